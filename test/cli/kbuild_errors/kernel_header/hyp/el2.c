#include <asm/kvm_pkvm_module.h>
#include <linux/soc/qcom/geni-se.h>
int hyp_init(const struct pkvm_module_ops *ops) { return 0; }
