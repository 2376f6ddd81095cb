#include <asm/kvm_pkvm_module.h>
int hyp_init(const struct pkvm_module_ops *ops)
{
	return hyp_vendor_secure_call(1);
}
