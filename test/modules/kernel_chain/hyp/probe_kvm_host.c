/* Header probe: <linux/kvm_host.h> is this file's only kernel header. */
#include <linux/kvm_host.h>

#define KC_PROBE_FN kc_probe_kvm_host
#include "probe_body.inc"
