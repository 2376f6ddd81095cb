/* Built only with CONFIG_PKVM_KCONFIG_EXTRA (hyp-obj-$(CONFIG_...)). */
#include <asm/kvm_pkvm_module.h>

unsigned long pkvm_kconfig_extra(void)
{
	return 40;
}
