/* Header probe: <nvhe/mem_protect.h> is this file's only kernel header. */
#include <nvhe/mem_protect.h>

#define KC_PROBE_FN kc_probe_nvhe
#include "probe_body.inc"
