/* File: include/pkvm/compat/linux/bitfield.h -- FIELD_GET/FIELD_PREP over a
 * constant mask.
 *
 *   #define ESR_EC GENMASK(31, 26)
 *   u32 ec = FIELD_GET(ESR_EC, esr);
 *   u64 v = FIELD_PREP(ESR_EC, 0x24);
 */
#ifndef _LINUX_BITFIELD_H
#define _LINUX_BITFIELD_H

#include <linux/bits.h>
#include <linux/bug.h>

/* The shift of a mask's lowest set bit. */
#define __bf_shf(x) (__builtin_ffsll(x) - 1)

#define FIELD_MAX(_mask) ((__typeof__(_mask))((_mask) >> __bf_shf(_mask)))
#define FIELD_FIT(_mask, _val) \
  (!((((__typeof__(_mask))(_val)) << __bf_shf(_mask)) & ~(_mask)))
#define FIELD_PREP(_mask, _val) \
  ((__typeof__(_mask))(((__typeof__(_mask))(_val) << __bf_shf(_mask)) & (_mask)))
#define FIELD_GET(_mask, _reg) ((__typeof__(_mask))(((_reg) & (_mask)) >> __bf_shf(_mask)))

#define u32_encode_bits(v, field) FIELD_PREP((u32)(field), (v))
#define u64_encode_bits(v, field) FIELD_PREP((u64)(field), (v))
#define u32_get_bits(v, field) FIELD_GET((u32)(field), (v))
#define u64_get_bits(v, field) FIELD_GET((u64)(field), (v))

#endif
