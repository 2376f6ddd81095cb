/* File: include/pkvm/compat/linux/bug.h -- WARN_ON, BUG_ON and (through
 * <linux/build_bug.h>) BUILD_BUG_ON.
 * A WARN is logged with file and line; a BUG is a panic of the simulated
 * machine (EL2: hyp panic; EL1: kernel BUG), never of the host process. */
#ifndef _LINUX_BUG_H
#define _LINUX_BUG_H

#include <linux/build_bug.h>
#include <linux/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif
void __pkvm_warn(const char *file, int line, const char *cond);
__noreturn void __pkvm_bug(const char *file, int line, const char *cond);
#ifdef __cplusplus
}
#endif

#define WARN_ON(condition)                                       \
  ({                                                             \
    int __ret_warn_on = !!(condition);                           \
    if (unlikely(__ret_warn_on)) __pkvm_warn(__FILE__, __LINE__, #condition); \
    unlikely(__ret_warn_on);                                     \
  })
#define WARN_ON_ONCE(condition) WARN_ON(condition)
#define WARN(condition, format...) WARN_ON(condition)
#define WARN_ONCE(condition, format...) WARN_ON(condition)
#define BUG() __pkvm_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(condition)                                                     \
  do {                                                                        \
    if (unlikely(condition)) __pkvm_bug(__FILE__, __LINE__, #condition);      \
  } while (0)

#endif
