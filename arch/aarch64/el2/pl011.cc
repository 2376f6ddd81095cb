// File: arch/aarch64/el2/pl011.cc
// The PL011 transmit path (see pl011.h).
#include "pl011.h"

namespace pkvm::el2 {
namespace {

volatile uint32_t* g_uart = nullptr;

inline uint32_t Rd(uint32_t off) { return g_uart[off / 4]; }
inline void Wr(uint32_t off, uint32_t v) { g_uart[off / 4] = v; }

void RawPutc(char c) {
  while (Rd(kUartFr) & kUartFrTxff) {
  }
  Wr(kUartDr, static_cast<unsigned char>(c));
}

}  // namespace

void Pl011Init(uintptr_t base) {
  g_uart = reinterpret_cast<volatile uint32_t*>(base);
  Wr(kUartCr, 0);
  Wr(kUartImsc, 0);
  // 24 MHz / (16 * 115200) = 13.02: IBRD 13, FBRD round(0.02 * 64) = 1.
  Wr(kUartIbrd, 13);
  Wr(kUartFbrd, 1);
  Wr(kUartLcrH, kUartLcrHWlen8 | kUartLcrHFen);
  Wr(kUartCr, kUartCrUarten | kUartCrTxe);
}

void Pl011Putc(char c) {
  if (g_uart == nullptr) return;
  if (c == '\n') RawPutc('\r');
  RawPutc(c);
}

void Pl011Flush() {
  if (g_uart == nullptr) return;
  while (Rd(kUartFr) & kUartFrBusy) {
  }
}

}  // namespace pkvm::el2
