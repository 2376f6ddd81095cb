#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>
/* Relative to the kernel tree: needs --source-root. */
#define HYP_EVENT_FILE ../../../../drivers/misc/acme/hyp/events.h
#include <asm/kvm_define_hypevents.h>
static int __init m_init(void)
{
	return 0;
}
module_init(m_init);
