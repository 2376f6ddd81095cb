/* EL2 half of the debug_uart module: a private device mapping of the PL011
 * and a serial driver whose putc polls FR.TXFF with readl and writes DR with
 * writel; plus commands that exercise the MMIO accessors on other devices
 * through the fixmap. Builds for A14/15/16. */
#include <asm/kvm_pkvm_module.h>
#include <asm/io.h>
#include <linux/arm-smccc.h>
#include <linux/errno.h>
#include "../debug_uart.h"

#if PKVM_GENERATION == 14
#define REGS_T struct kvm_cpu_context
#define REG(r, n) cpu_reg(r, n)
#else
#define REGS_T struct user_pt_regs
#define REG(r, n) ((r)->regs[n])
#endif

static const struct pkvm_module_ops *ops;
static void __iomem *uart;

static void uart_putc(char c)
{
	while (readl_relaxed(uart + DU_UART_FR) & DU_FR_TXFF)
		;
	writel_relaxed((u32)(unsigned char)c, uart + DU_UART_DR);
}

static long setup(u64 phys, u32 ibrd, u32 fbrd, u64 *haddr_out)
{
	unsigned long haddr = 0;
	int ret;

	ret = ops->create_private_mapping(phys, 0x1000, PAGE_HYP_DEVICE, &haddr);
	if (ret)
		return ret;
	uart = (void __iomem *)haddr;
	*haddr_out = haddr;
	/* Disable, clear interrupts, program 8N1 with FIFOs, enable TX/RX. */
	writel(0, uart + DU_UART_CR);
	writel(0x7ff, uart + DU_UART_ICR);
	writel(ibrd, uart + DU_UART_IBRD);
	writel(fbrd, uart + DU_UART_FBRD);
	writel(DU_LCR_H_WLEN8 | DU_LCR_H_FEN, uart + DU_UART_LCR_H);
	writel(DU_CR_UARTEN | DU_CR_TXE | DU_CR_RXE, uart + DU_UART_CR);
	return ops->register_serial_driver(uart_putc);
}

/* Byte, halfword, word and doubleword accesses in a fixed order; x2, x3
 * get what the word and doubleword reads returned. */
static long probe(u64 phys, u64 *r2, u64 *r3)
{
	void __iomem *p = ops->fixmap_map(phys);
	u64 sum;

	if (!p)
		return -EINVAL;
	writel(0x12345678, p + 0x10);
	*r2 = readl(p + 0x14);
	writeb(0x5a, p + 0x01);
	writew(0xbeef, p + 0x02);
	writeq(0x0123456789abcdefULL, p + 0x18);
	*r3 = readq(p + 0x20);
	sum = readb(p + 0x05) + readw(p + 0x06);
	writel_relaxed(0xcafe, p + 0x28);
	sum += readl_relaxed(p + 0x2c);
	ops->fixmap_unmap();
	return (long)sum;
}

static long stale_fixmap(u64 phys)
{
	void __iomem *p = ops->fixmap_map(phys);
	u32 v;

	if (!p)
		return -EINVAL;
	v = readl(p);
	ops->fixmap_unmap();
	return (long)(v + readl(p)); /* the page is no longer mapped at EL2 */
}

int debug_uart_hyp_init(const struct pkvm_module_ops *module_ops)
{
	ops = module_ops;
	return 0;
}

void debug_uart_hyp_hvc(REGS_T *regs)
{
	u64 r2 = 0, r3 = 0;
	long r1;

	switch (REG(regs, 1)) {
	case DU_SETUP:
		r1 = setup(REG(regs, 2), (u32)REG(regs, 3), (u32)REG(regs, 4), &r2);
		break;
	case DU_HELLO:
		if (!uart) {
			r1 = -ENODEV;
			break;
		}
		ops->puts("debug_uart: hello from EL2");
		ops->putx64(REG(regs, 2));
		r1 = 0;
		break;
	case DU_UART_READL:
		r1 = uart ? (long)readl(uart + REG(regs, 2)) : -ENODEV;
		break;
	case DU_PROBE:
		r1 = probe(REG(regs, 2), &r2, &r3);
		break;
	case DU_STALE_FIXMAP:
		r1 = stale_fixmap(REG(regs, 2));
		break;
	default:
		r1 = -EINVAL;
	}
	REG(regs, 0) = SMCCC_RET_SUCCESS;
	REG(regs, 1) = (u64)r1;
	REG(regs, 2) = r2;
	REG(regs, 3) = r3;
}
