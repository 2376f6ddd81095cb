/* File: include/pkvm/compat/linux/bsearch.h -- binary search over a sorted
 * array (header-only, so EL2 code gets no libc).
 *
 *   static int cmp(const void *key, const void *elt) { ... }
 *   struct range *r = bsearch(&addr, ranges, n, sizeof(*ranges), cmp);
 */
#ifndef _LINUX_BSEARCH_H
#define _LINUX_BSEARCH_H

#include <linux/types.h>

typedef int (*cmp_func_t)(const void *a, const void *b);

static inline void *__inline_bsearch(const void *key, const void *base, size_t num, size_t size,
                                     cmp_func_t cmp) {
  const char *pivot;
  int result;
  while (num > 0) {
    pivot = (const char *)base + (num >> 1) * size;
    result = cmp(key, pivot);
    if (result == 0) return (void *)pivot;
    if (result > 0) {
      base = pivot + size;
      num--;
    }
    num >>= 1;
  }
  return NULL;
}

static inline void *bsearch(const void *key, const void *base, size_t num, size_t size,
                            cmp_func_t cmp) {
  return __inline_bsearch(key, base, num, size, cmp);
}

#endif
