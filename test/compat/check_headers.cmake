# File: test/compat/check_headers.cmake
# Every kernel-named compat header compiles on its own, as the first and only
# include of a translation unit, for each generation, as EL2 code
# (__KVM_NVHE_HYPERVISOR__) and as EL1 module code (MODULE), with the flags a
# kernel build uses to turn a missing declaration into an error
# (-Werror=implicit-function-declaration) and -Wall -Werror. A header that
# leans on something its includer happened to include first fails here.
#
#   cmake -DCC=cc -DCOMPAT_DIR=include/pkvm/compat -DINCLUDE_DIR=include
#         -DCC_INCLUDE=<cc -print-file-name=include> -DWORK_DIR=build/x
#         [-DEXTRA_FLAGS=...] [-DGENERATIONS=14;15;16;17] -P check_headers.cmake
foreach(v CC COMPAT_DIR INCLUDE_DIR CC_INCLUDE WORK_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_headers.cmake: -D${v}=... is required")
  endif()
endforeach()
if(NOT DEFINED GENERATIONS)
  set(GENERATIONS 14 15 16 17)
endif()
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS}")

file(GLOB_RECURSE headers RELATIVE "${COMPAT_DIR}" "${COMPAT_DIR}/*.h")
list(SORT headers)
# Included once per events file after #define HYP_EVENT_FILE, by design (as
# in the kernel); they are compiled by every module that defines events.
list(REMOVE_ITEM headers nvhe/define_events.h nvhe/trace/define_events.h
     asm/kvm_define_hypevents.h)

file(MAKE_DIRECTORY "${WORK_DIR}")
set(failures 0)
set(checked 0)
foreach(gen IN LISTS GENERATIONS)
  foreach(el 1 2)
    if(el EQUAL 2)
      set(defs -D__KVM_NVHE_HYPERVISOR__ -D__DISABLE_EXPORTS "-DKBUILD_MODNAME=\"check.nvhe\"")
    else()
      set(defs -DMODULE "-DKBUILD_MODNAME=\"check\"")
    endif()
    foreach(h IN LISTS headers)
      # The hypervisor's private headers (nvhe/) are on the include path of
      # EL2 objects only.
      if(el EQUAL 1 AND h MATCHES "^nvhe/")
        continue()
      endif()
      string(MAKE_C_IDENTIFIER "${h}_a${gen}_el${el}" id)
      set(src "${WORK_DIR}/${id}.c")
      # Included twice: the include guard must hold too.
      file(WRITE "${src}" "#include <${h}>\n#include <${h}>\nint pkvm_header_check_${id};\n")
      execute_process(
        COMMAND "${CC}" -std=gnu11 -fsyntax-only -nostdinc -isystem "${CC_INCLUDE}"
                -I "${COMPAT_DIR}" -I "${INCLUDE_DIR}" -DPKVM_GENERATION=${gen}
                -DCONFIG_TRACING=1 ${defs} -Wall -Werror
                -Werror=implicit-function-declaration -Werror=implicit-int
                -Wno-unused-function ${extra} "${src}"
        RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
      math(EXPR checked "${checked} + 1")
      if(NOT rc EQUAL 0)
        math(EXPR failures "${failures} + 1")
        message("FAIL <${h}> A${gen} EL${el}:\n${out}")
      endif()
    endforeach()
  endforeach()
endforeach()
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} of ${checked} header compilations failed")
endif()
message(STATUS "${checked} header compilations: all self-contained")
