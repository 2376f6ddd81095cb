// File: arch/aarch64/el2/pl011.h
// A minimal Arm PL011 UART driver for the bare-metal EL2 runtime: polled
// transmit only. The hypervisor registers Pl011Putc as its serial driver
// through pkvm_module_ops.register_serial_driver, as a vendor module with a
// UART driver would (spec §1.5: puts/putx64 print nothing until then).
//
//   pkvm::el2::Pl011Init(0x09000000);   // QEMU virt's UART0
//   ops->register_serial_driver(&pkvm::el2::Pl011Putc);
#ifndef PKVM_ARCH_AARCH64_EL2_PL011_H_
#define PKVM_ARCH_AARCH64_EL2_PL011_H_

#include <cstdint>

namespace pkvm::el2 {

// PL011 register offsets and bits (Arm PrimeCell UART TRM).
inline constexpr uint32_t kUartDr = 0x00;
inline constexpr uint32_t kUartFr = 0x18;
inline constexpr uint32_t kUartIbrd = 0x24;
inline constexpr uint32_t kUartFbrd = 0x28;
inline constexpr uint32_t kUartLcrH = 0x2C;
inline constexpr uint32_t kUartCr = 0x30;
inline constexpr uint32_t kUartImsc = 0x38;
inline constexpr uint32_t kUartFrTxff = 1u << 5;  // transmit FIFO full
inline constexpr uint32_t kUartFrBusy = 1u << 3;
inline constexpr uint32_t kUartLcrHWlen8 = 3u << 5;
inline constexpr uint32_t kUartLcrHFen = 1u << 4;
inline constexpr uint32_t kUartCrUarten = 1u << 0;
inline constexpr uint32_t kUartCrTxe = 1u << 8;

// Programs 115200 8N1 (24 MHz reference clock), FIFOs on, interrupts masked.
void Pl011Init(uintptr_t base);
// Waits for room in the transmit FIFO, then writes `c`. "\n" becomes "\r\n".
void Pl011Putc(char c);
// Waits until the last character has left the shifter.
void Pl011Flush();

}  // namespace pkvm::el2

#endif  // PKVM_ARCH_AARCH64_EL2_PL011_H_
