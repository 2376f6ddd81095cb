# File: cmake/PkvmHelpers.cmake -- one way to make every libpkvm target.
include_guard(GLOBAL)

# pkvm_target_defaults(<target>): warnings and the house flags.
function(pkvm_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-missing-field-initializers)
  if(PKVM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# pkvm_test(<name> SOURCES ... [LIBS ...] [LABELS ...]): a GoogleTest binary
# registered with ctest test by test.
function(pkvm_test name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;LIBS;LABELS")
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  pkvm_target_defaults(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
