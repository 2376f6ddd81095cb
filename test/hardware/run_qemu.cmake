# File: test/hardware/run_qemu.cmake
# cmake -DQEMU=... -DIMAGE=... -DLOG=... -P run_qemu.cmake
# Boots the bare-metal image at EL2 on QEMU's virt board with the
# virtualization extensions, UART0 to LOG. `timeout` bounds the run: the
# image powers the board off itself (PSCI SYSTEM_OFF) when it is done.
# -icount shift=0: one instruction per virtual nanosecond, so the PMU's
# instruction counter (event 0x08) counts and runs are deterministic.
foreach(v QEMU IMAGE LOG)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_qemu.cmake: -D${v}= missing")
  endif()
endforeach()
file(REMOVE "${LOG}")
execute_process(
  COMMAND timeout --kill-after=5 60 "${QEMU}" -M virt,virtualization=on -cpu cortex-a57
          -m 256M -nographic -no-reboot -nic none -icount shift=0 -kernel "${IMAGE}"
  INPUT_FILE /dev/null
  OUTPUT_FILE "${LOG}"
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
file(READ "${LOG}" text)
string(LENGTH "${text}" len)
message(STATUS "qemu exit status ${rc}, ${len} bytes of UART output in ${LOG}")
if(err)
  message(STATUS "qemu stderr: ${err}")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "qemu-system-aarch64 failed or timed out (status ${rc})")
endif()
