#include <asm/kvm_pkvm_module.h>
#include <vendor/board_secrets.h>
int hyp_init(const struct pkvm_module_ops *ops) { return 0; }
