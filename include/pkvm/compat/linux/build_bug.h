/* File: include/pkvm/compat/linux/build_bug.h -- compile-time assertions:
 * static_assert (C11's, with the message optional as in the kernel),
 * BUILD_BUG_ON, BUILD_BUG_ON_MSG, BUILD_BUG_ON_ZERO, BUILD_BUG_ON_NOT_POWER_OF_2.
 *
 *   static_assert(sizeof(struct hdr) == 8);
 *   BUILD_BUG_ON(ARRAY_SIZE(table) > 16);
 */
#ifndef _LINUX_BUILD_BUG_H
#define _LINUX_BUILD_BUG_H

#include <linux/compiler.h>

#ifdef __cplusplus
#define BUILD_BUG_ON_ZERO(e) 0
#define BUILD_BUG_ON_MSG(cond, msg) static_assert(!(cond), msg)
#else
/* 0, or a bit-field of negative width (a build error) when e is true. */
#define BUILD_BUG_ON_ZERO(e) ((int)(sizeof(struct { int : (-!!(e)); })))
#define BUILD_BUG_ON_MSG(cond, msg) _Static_assert(!(cond), msg)
/* The kernel's static_assert: the message may be left out. */
#define static_assert(expr, ...) __static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...) _Static_assert(expr, msg)
#endif
#define BUILD_BUG_ON_INVALID(e) ((void)(sizeof((long)(e))))
#define BUILD_BUG_ON(condition) BUILD_BUG_ON_MSG(condition, "BUILD_BUG_ON failed: " #condition)
#define BUILD_BUG() BUILD_BUG_ON_MSG(1, "BUILD_BUG failed")
#define BUILD_BUG_ON_NOT_POWER_OF_2(n) BUILD_BUG_ON((n) == 0 || (((n) & ((n)-1)) != 0))

#endif /* _LINUX_BUILD_BUG_H */
