# File: test/compat/check_sysreg.cmake
# read_sysreg()/write_sysreg() of a register libpkvm does not model natively
# (PAR_EL1): natively a compile error naming the register; with the AArch64
# compiler for a .ko (-DPKVM_A64_KO, when A64_CC is given) it compiles to
# mrs/msr. The modelled EL2 registers compile both ways, in both spellings.
#   cmake -DCC=cc -DCC_INCLUDE=... [-DA64_CC=... -DA64_CC_INCLUDE=...]
#         -DCOMPAT_DIR=... -DINCLUDE_DIR=... -DWORK_DIR=... -P check_sysreg.cmake
file(MAKE_DIRECTORY "${WORK_DIR}")
set(src "${WORK_DIR}/sysreg.c")
file(WRITE "${src}" "#include <asm/kvm_hyp.h>
u64 modelled(void);
u64 modelled(void) {
  write_sysreg(read_sysreg(elr_el2) + 4, elr_el2);
  return read_sysreg(ESR_EL2) + read_sysreg(hpfar_el2) + read_sysreg_el2(SYS_FAR);
}
#ifdef RAW
u64 raw(void);
u64 raw(void) { write_sysreg(1, PAR_EL1); return read_sysreg(PAR_EL1); }
#endif
")
set(flags -std=gnu11 -fsyntax-only -nostdinc -I "${COMPAT_DIR}" -I "${INCLUDE_DIR}"
    -DPKVM_GENERATION=15 -D__KVM_NVHE_HYPERVISOR__ -Wall -Werror
    -Werror=implicit-function-declaration)
set(failures 0)
# check(<what> ok|error <compiler> <its include dir> [flags...])
function(check what expect cc inc)
  execute_process(COMMAND "${cc}" ${flags} -isystem "${inc}" ${ARGN} "${src}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(bad FALSE)
  if(expect STREQUAL "ok")
    if(NOT rc EQUAL 0)
      set(bad TRUE)
      message("FAIL: ${what} does not compile:\n${out}")
    endif()
  elseif(rc EQUAL 0 OR NOT out MATCHES "read_sysreg\\(PAR_EL1\\)")
    set(bad TRUE)
    message("FAIL: ${what} should fail naming read_sysreg(PAR_EL1):\n${out}")
  endif()
  if(bad)
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
  endif()
endfunction()
check("modelled registers, native" ok "${CC}" "${CC_INCLUDE}")
check("PAR_EL1, native" error "${CC}" "${CC_INCLUDE}" -DRAW)
if(A64_CC)
  check("modelled registers, .ko" ok "${A64_CC}" "${A64_CC_INCLUDE}" -DPKVM_A64_KO)
  check("PAR_EL1, .ko" ok "${A64_CC}" "${A64_CC_INCLUDE}" -DPKVM_A64_KO -DRAW)
endif()
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} sysreg checks failed")
endif()
