/* EL1 half of the debug_uart module: finds the PL011 in the device tree,
 * checks it is one (its PrimeCell id, read through ioremap()), computes the
 * baud-rate divisors from its "current-speed" and hands the UART to the EL2
 * part, which maps it privately and makes it the hypervisor's serial
 * console. No "arm,pl011" node, or one that is disabled: -ENODEV, as a
 * kernel driver answers. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/io.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <asm/kvm_pkvm_module.h>
#include "debug_uart.h"

int __kvm_nvhe_debug_uart_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_debug_uart_hyp_hvc(void *regs);

static u32 read_cell_id(phys_addr_t base)
{
	void __iomem *regs = ioremap(base, 0x1000);
	u32 id = 0;
	int i;

	if (!regs)
		return 0;
	for (i = 0; i < 4; i++)
		id |= (readl(regs + DU_UART_PCELLID0 + 4 * i) & 0xff) << (8 * i);
	iounmap(regs);
	return id;
}

static int __init debug_uart_init(void)
{
	struct device_node *np;
	struct resource res;
	unsigned long token;
	u32 baud = DU_DEFAULT_BAUD, div64;
	int ret, id;

	np = of_find_compatible_node(NULL, NULL, "arm,pl011");
	if (!np) {
		pr_err("debug_uart: no arm,pl011 node in the device tree\n");
		return -ENODEV;
	}
	if (!of_device_is_available(np)) {
		pr_err("debug_uart: the PL011 is disabled\n");
		of_node_put(np);
		return -ENODEV;
	}
	ret = of_address_to_resource(np, 0, &res);
	of_property_read_u32(np, "current-speed", &baud);
	of_node_put(np);
	if (ret)
		return ret;
	if (resource_size(&res) < 0x1000 || baud == 0)
		return -EINVAL;
	if (read_cell_id(res.start) != 0xb105f00dU) {
		pr_err("debug_uart: no PrimeCell at %llx\n", (unsigned long long)res.start);
		return -ENODEV;
	}

	ret = pkvm_load_el2_module(__kvm_nvhe_debug_uart_hyp_init, &token);
	if (ret)
		return ret;
	id = pkvm_register_el2_mod_call((dyn_hcall_t)__kvm_nvhe_debug_uart_hyp_hvc, token);
	if (id < 0)
		return id;
	/* Divisor = UARTCLK / (16 * baud) in 1/64ths, rounded. */
	div64 = (DU_UARTCLK * 4U + baud / 2) / baud;
	ret = (int)pkvm_el2_mod_call(id, DU_SETUP, (unsigned long)res.start, div64 >> 6, div64 & 0x3f);
	if (ret)
		return ret;
	pr_info("debug_uart: PL011 at %llx, %u baud, hypercall %d\n",
		(unsigned long long)res.start, baud, id);
	return 0;
}
module_init(debug_uart_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test: a hypervisor debug UART over a DT-described PL011");
