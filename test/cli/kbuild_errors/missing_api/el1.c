#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>
int __kvm_nvhe_hyp_init(const struct pkvm_module_ops *ops);
static int __init m_init(void)
{
	unsigned long token;
	return pkvm_load_el2_module(__kvm_nvhe_hyp_init, &token);
}
module_init(m_init);
