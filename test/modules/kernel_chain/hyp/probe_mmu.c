/* Header probe: <asm/kvm_mmu.h> is this file's only kernel header. */
#include <asm/kvm_mmu.h>

#define KC_PROBE_FN kc_probe_mmu
#include "probe_body.inc"
