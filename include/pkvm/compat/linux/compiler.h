/* File: include/pkvm/compat/linux/compiler.h -- attributes and access helpers. */
#ifndef __LINUX_COMPILER_H
#define __LINUX_COMPILER_H

#include <linux/types.h>

#define __always_inline inline __attribute__((__always_inline__))
#define noinline __attribute__((__noinline__))
#define __noreturn __attribute__((__noreturn__))
#define __packed __attribute__((__packed__))
#define __aligned(x) __attribute__((__aligned__(x)))
#define __section(s) __attribute__((__section__(s)))
#define __used __attribute__((__used__))
#define __maybe_unused __attribute__((__unused__))
#define __always_unused __attribute__((__unused__))
#define __weak __attribute__((__weak__))
#define __visible __attribute__((__externally_visible__))
#define __cold __attribute__((__cold__))
#define __must_check __attribute__((__warn_unused_result__))
#define __printf(a, b) __attribute__((__format__(printf, a, b)))
#define __read_mostly
#define __ro_after_init
#define notrace __attribute__((__no_instrument_function__))
#define __iomem
#define __user
#define __force
#define __rcu
#define __percpu

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" ::: "memory")

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)                        \
  do {                                            \
    *(volatile __typeof__(x) *)&(x) = (val);      \
  } while (0)

#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)

#endif
