/* Header probe: <asm/kvm_pgtable.h> is this file's only kernel header. */
#include <asm/kvm_pgtable.h>

#define KC_PROBE_FN kc_probe_pgtable
#include "probe_body.inc"
