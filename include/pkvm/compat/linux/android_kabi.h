/* File: include/pkvm/compat/linux/android_kabi.h -- Android's KABI padding
 * macros: a reserved u64 that a later KMI update turns into a member of the
 * same size without moving any offset. */
#ifndef _ANDROID_KABI_H
#define _ANDROID_KABI_H

#include <linux/types.h>

#define _ANDROID_KABI_RESERVE(n) u64 android_kabi_reserved##n
#define ANDROID_KABI_RESERVE(number) _ANDROID_KABI_RESERVE(number)
#define ANDROID_KABI_USE(number, _new) \
  union {                              \
    _new;                              \
    _ANDROID_KABI_RESERVE(number);     \
  }
#define ANDROID_KABI_USE2(number, _new1, _new2) \
  union {                                       \
    struct {                                    \
      _new1;                                    \
      _new2;                                    \
    };                                          \
    _ANDROID_KABI_RESERVE(number);              \
  }
#define ANDROID_KABI_REPLACE(_orig, _new) \
  union {                                 \
    _new;                                 \
    _orig;                                \
  }
#define ANDROID_BACKPORT_RESERVE(number) u64 android_backport_reserved##number
#define ANDROID_VENDOR_DATA(n) u64 android_vendor_data##n
#define ANDROID_VENDOR_DATA_ARRAY(n, s) u64 android_vendor_data##n[s]
#define ANDROID_OEM_DATA(n) u64 android_oem_data##n
#define ANDROID_OEM_DATA_ARRAY(n, s) u64 android_oem_data##n[s]

#endif /* _ANDROID_KABI_H */
