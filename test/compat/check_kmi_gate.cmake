# File: test/compat/check_kmi_gate.cmake
# A module using an ops member of a later A16 KMI level fails to compile,
# naming the member, unless it is built for that level (-DPKVM_A16_KMI=<n>);
# built for it, it compiles.
#   cmake -DCC=cc -DCOMPAT_DIR=... -DINCLUDE_DIR=... -DCC_INCLUDE=... -DWORK_DIR=... -P check_kmi_gate.cmake
foreach(v CC COMPAT_DIR INCLUDE_DIR CC_INCLUDE WORK_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_kmi_gate.cmake: -D${v}=... is required")
  endif()
endforeach()
file(MAKE_DIRECTORY "${WORK_DIR}")

# member | level it needs | code using it (a return statement, no ';')
set(cases
  "get_time|2|return (int)ops->get_time()"
  "device_register_power_lock|1|return ops->device_register_power_lock(0, 0, 0)"
  "GUEST_SMC_NEED_TOPUP|2|return GUEST_SMC_NEED_TOPUP")
set(failures 0)
foreach(c IN LISTS cases)
  string(REPLACE "|" ";" c "${c}")
  list(GET c 0 name)
  list(GET c 1 level)
  list(GET c 2 code)
  set(src "${WORK_DIR}/${name}.c")
  file(WRITE "${src}" "#include <asm/kvm_pkvm_module.h>\nint use(const struct pkvm_module_ops *ops);\nint use(const struct pkvm_module_ops *ops) { ${code}; }\n")
  foreach(kmi 0 1 2)
    execute_process(
      COMMAND "${CC}" -std=gnu11 -fsyntax-only -nostdinc -isystem "${CC_INCLUDE}" -I "${COMPAT_DIR}"
              -I "${INCLUDE_DIR}" -DPKVM_GENERATION=16 -DPKVM_A16_KMI=${kmi}
              -D__KVM_NVHE_HYPERVISOR__ -Wall -Werror -Werror=implicit-function-declaration "${src}"
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(kmi LESS level)
      if(rc EQUAL 0)
        math(EXPR failures "${failures} + 1")
        message("FAIL: ${name} compiled at PKVM_A16_KMI=${kmi} (needs ${level})")
      elseif(NOT out MATCHES "${name}")
        math(EXPR failures "${failures} + 1")
        message("FAIL: the error for ${name} at PKVM_A16_KMI=${kmi} does not name it:\n${out}")
      endif()
    elseif(NOT rc EQUAL 0)
      math(EXPR failures "${failures} + 1")
      message("FAIL: ${name} does not compile at PKVM_A16_KMI=${kmi}:\n${out}")
    endif()
  endforeach()
endforeach()
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} KMI gate checks failed")
endif()
