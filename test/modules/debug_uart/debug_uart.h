/* The debug_uart module's hypercall commands and PL011 facts, shared by its
 * EL1 and EL2 code and test/integration/devices_test.cc. x1 = command,
 * x2..x4 = arguments; results in x1 (return value), x2 and x3. */
#ifndef PKVM_TEST_DEBUG_UART_H_
#define PKVM_TEST_DEBUG_UART_H_

enum debug_uart_cmd {
	DU_SETUP = 0,        /* phys, ibrd, fbrd: map the UART, program it, register the serial driver */
	DU_HELLO = 1,        /* value: ops->puts() of a line, then ops->putx64(value) */
	DU_UART_READL = 2,   /* offset -> readl(uart + offset) */
	DU_PROBE = 3,        /* phys: a fixed access sequence through a fixmap (see el2.c) */
	DU_STALE_FIXMAP = 4, /* phys: readl through a fixmap, unmap, readl again (a fault) */
};

/* PL011 registers and bits (PL011 TRM). */
#define DU_UART_DR 0x000
#define DU_UART_FR 0x018
#define DU_UART_IBRD 0x024
#define DU_UART_FBRD 0x028
#define DU_UART_LCR_H 0x02c
#define DU_UART_CR 0x030
#define DU_UART_ICR 0x044
#define DU_UART_PERIPHID0 0xfe0
#define DU_UART_PCELLID0 0xff0
#define DU_FR_TXFF (1U << 5)
#define DU_LCR_H_FEN (1U << 4)
#define DU_LCR_H_WLEN8 (3U << 5)
#define DU_CR_UARTEN (1U << 0)
#define DU_CR_TXE (1U << 8)
#define DU_CR_RXE (1U << 9)

/* The UART clock the module assumes (24 MHz) and its default baud rate. */
#define DU_UARTCLK 24000000U
#define DU_DEFAULT_BAUD 115200U

#endif
