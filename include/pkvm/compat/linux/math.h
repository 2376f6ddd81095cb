/* File: include/pkvm/compat/linux/math.h -- rounding and division helpers. */
#ifndef _LINUX_MATH_H
#define _LINUX_MATH_H

#include <linux/types.h>

#define __round_mask(x, y) ((__typeof__(x))((y)-1))
/* y must be a power of two. */
#define round_up(x, y) ((((x)-1) | __round_mask(x, y)) + 1)
#define round_down(x, y) ((x) & ~__round_mask(x, y))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define DIV_ROUND_DOWN_ULL(ll, d) ({ unsigned long long _tmp = (ll); _tmp / (d); })
#define DIV_ROUND_UP_ULL(ll, d) DIV_ROUND_DOWN_ULL((unsigned long long)(ll) + (d)-1, (d))
#define roundup(x, y)                     \
  ({                                      \
    __typeof__(y) __y = (y);              \
    (((x) + (__y - 1)) / __y) * __y;      \
  })
#define rounddown(x, y)                   \
  ({                                      \
    __typeof__(x) __x = (x);              \
    __x - (__x % (y));                    \
  })
#define DIV_ROUND_CLOSEST(x, divisor)                                       \
  ({                                                                        \
    __typeof__(x) __x = (x);                                                \
    __typeof__(divisor) __d = (divisor);                                    \
    (((__typeof__(x))-1) > 0 || ((__typeof__(divisor))-1) > 0 ||            \
     (((__x) > 0) == ((__d) > 0)))                                          \
        ? (((__x) + ((__d) / 2)) / (__d))                                   \
        : (((__x) - ((__d) / 2)) / (__d));                                  \
  })
#define abs(x)                                   \
  ({                                             \
    __typeof__(x) __abs_x = (x);                 \
    __abs_x < 0 ? -__abs_x : __abs_x;            \
  })
#define mult_frac(x, n, d)                       \
  ({                                             \
    __typeof__(x) __q = (x) / (d);               \
    __typeof__(x) __r = (x) % (d);               \
    (__q * (n)) + ((__r * (n)) / (d));           \
  })

#endif /* _LINUX_MATH_H */
