/* File: include/pkvm/compat/linux/compiler_types.h -- the kernel's annotation
 * macros (__iomem, __user, __force, __rcu, __percpu, __bitwise, notrace, ...)
 * and, through <linux/compiler_attributes.h>, its attribute macros. Kbuild
 * puts this header in front of every file (-include); here every compat
 * header reaches it through <linux/types.h>. */
#ifndef __LINUX_COMPILER_TYPES_H
#define __LINUX_COMPILER_TYPES_H

#include <linux/compiler_attributes.h>

#define __user
#define __kernel
#define __safe
#define __force
#define __nocast
#define __iomem
#define __chk_user_ptr(x) (void)0
#define __chk_io_ptr(x) (void)0
#define __builtin_warning(x, y...) (1)
#define __must_hold(x)
#define __acquires(x)
#define __releases(x)
#define __acquire(x) (void)0
#define __release(x) (void)0
#define __cond_lock(x, c) (c)
#define __percpu
#define __rcu
#define __private
#define ACCESS_PRIVATE(p, member) ((p)->member)
#define __bitwise
#define __preserve_most
#define __read_mostly
#define __ro_after_init
#define __latent_entropy
#define __randomize_layout
#define __no_randomize_layout
#define __noscs
#define __nocfi
#define __cficanonical
#define __no_sanitize_address
#define __no_kasan_or_inline __always_inline
#define __no_kcsan
#define __no_sanitize_or_inline __always_inline
#define noinstr noinline notrace
#define __cpuidle noinstr

#define notrace __attribute__((__no_instrument_function__))
#define __inline_maybe_unused __maybe_unused
#define __noinline_for_stack noinline
#define noinline_for_stack noinline

#define __compiletime_object_size(obj) __builtin_object_size(obj, 0)
#define __compiletime_warning(msg) __attribute__((__warning__(msg)))
#define __compiletime_error(msg) __attribute__((__error__(msg)))

#define __same_type(a, b) __builtin_types_compatible_p(__typeof__(a), __typeof__(b))
#define __native_word(t) \
  (sizeof(t) == sizeof(char) || sizeof(t) == sizeof(short) || sizeof(t) == sizeof(int) || \
   sizeof(t) == sizeof(long))

#endif /* __LINUX_COMPILER_TYPES_H */
