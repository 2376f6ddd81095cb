/* An EL1-only module whose module_init fails before touching EL2. */
#include <linux/module.h>

static int __init el1_fails_init(void)
{
	return -ENODEV;
}
module_init(el1_fails_init);
