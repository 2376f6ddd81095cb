// File: test/hardware/el2_main.cc
// EL2 side of the bare-metal test image: bring up the hypervisor runtime
// (arch/aarch64/el2) and hand the CPU to the "host kernel" (el1_main.cc) at
// EL1, as pKVM does once it has initialised.
#include <cstdint>

#include "el2_runtime.h"

extern "C" char __el1_stack_top[];
extern "C" void pkvm_hw_el1_main();

namespace {
constexpr uintptr_t kVirtUart0 = 0x09000000;  // QEMU virt: PL011 UART0
}

extern "C" [[noreturn]] void pkvm_hw_el2_main() {
  pkvm::el2::RuntimeConfig cfg;
  cfg.uart_base = kVirtUart0;
  cfg.trap_smc = true;
  pkvm::el2::RuntimeInit(cfg);
  pkvm::el2::ConsolePuts("EL2: entering the host at EL1\n");
  pkvm::el2::EnterHost(reinterpret_cast<uint64_t>(&pkvm_hw_el1_main),
                       reinterpret_cast<uint64_t>(__el1_stack_top));
}
