/* An EL1 object built from a source outside the module's directory (an
 * explicit rule in pkvm_kbuild/Kbuild), as google-modules trees do. */
#include <linux/kernel.h>
#include <pkvm_kbuild_shared.h>

int pkvm_kbuild_shared_check(void)
{
	return PKVM_KBUILD_SHARED;
}
