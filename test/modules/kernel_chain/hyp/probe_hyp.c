/* Header probe: <asm/kvm_hyp.h> is this file's only kernel header. */
#include <asm/kvm_hyp.h>

#define KC_PROBE_FN kc_probe_hyp
#include "probe_body.inc"
