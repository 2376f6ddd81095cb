/* Its own CFLAGS_calc.nvhe.o gives it the step. */
#include <asm/kvm_pkvm_module.h>
#include "calc.h"

unsigned long pkvm_kbuild_step(unsigned long x)
{
	return x * PKVM_KBUILD_CALC_STEP;
}
