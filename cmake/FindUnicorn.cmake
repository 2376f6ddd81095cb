# File: cmake/FindUnicorn.cmake
# find_package(Unicorn): the Unicorn CPU emulator (Debian: libunicorn-dev).
# Defines Unicorn_FOUND, Unicorn_VERSION and the imported target
# Unicorn::Unicorn. Only arch/aarch64 links it.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_Unicorn QUIET unicorn)
endif()
find_path(Unicorn_INCLUDE_DIR unicorn/unicorn.h HINTS ${PC_Unicorn_INCLUDE_DIRS})
find_library(Unicorn_LIBRARY NAMES unicorn HINTS ${PC_Unicorn_LIBRARY_DIRS})
set(Unicorn_VERSION "${PC_Unicorn_VERSION}")

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Unicorn REQUIRED_VARS Unicorn_LIBRARY Unicorn_INCLUDE_DIR
                                  VERSION_VAR Unicorn_VERSION)
if(Unicorn_FOUND AND NOT TARGET Unicorn::Unicorn)
  add_library(Unicorn::Unicorn UNKNOWN IMPORTED)
  set_target_properties(Unicorn::Unicorn PROPERTIES
    IMPORTED_LOCATION "${Unicorn_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Unicorn_INCLUDE_DIR}")
endif()
mark_as_advanced(Unicorn_INCLUDE_DIR Unicorn_LIBRARY)
