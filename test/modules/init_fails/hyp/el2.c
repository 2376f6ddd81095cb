#include <asm/kvm_pkvm_module.h>
#include <linux/errno.h>

int init_fails_hyp_init(const struct pkvm_module_ops *ops)
{
	return -EINVAL;
}
