/* File: include/pkvm/compat/linux/kconfig.h
 * IS_ENABLED(), IS_BUILTIN(), IS_MODULE(), IS_REACHABLE() and __is_defined()
 * over CONFIG_* macros, usable in C expressions and in #if. Kbuild compiles
 * every file with `-include linux/kconfig.h`, so modules call IS_ENABLED()
 * without including anything; pkvm_add_module() force-includes this header
 * the same way.
 *
 * The kernel's Kconfig values are `#define CONFIG_X 1` (y) or
 * `#define CONFIG_X_MODULE 1` (m). A value is "defined" here when it is
 * defined as 1: pasting the name onto PKVM_KCONFIG_IS_1_ turns a 1 into a
 * macro that supplies an extra argument, which shifts the answer 1 into the
 * selected position; anything else leaves the default 0 there.
 *
 *   if (IS_ENABLED(CONFIG_FOO)) ...;   #if IS_ENABLED(CONFIG_FOO) ... #endif
 */
#ifndef PKVM_COMPAT_LINUX_KCONFIG_H_
#define PKVM_COMPAT_LINUX_KCONFIG_H_

#define PKVM_KCONFIG_IS_1_1 ~, 1
#define PKVM_KCONFIG_PICK(ignored, value, ...) value
#define PKVM_KCONFIG_PICK_(args) PKVM_KCONFIG_PICK args
#define PKVM_KCONFIG_TEST(maybe_pair) PKVM_KCONFIG_PICK_((maybe_pair, 0, 0))
#define PKVM_KCONFIG_PASTE(value) PKVM_KCONFIG_TEST(PKVM_KCONFIG_IS_1_##value)

/* 1 if `macro` is defined as 1, else 0. */
#define __is_defined(macro) PKVM_KCONFIG_PASTE(macro)

#define IS_BUILTIN(option) __is_defined(option)
#define IS_MODULE(option) __is_defined(option##_MODULE)
#define IS_ENABLED(option) (IS_BUILTIN(option) || IS_MODULE(option))
/* Built in, or a module while this code is built as a module too. */
#define IS_REACHABLE(option) \
  (IS_BUILTIN(option) || (IS_MODULE(option) && __is_defined(MODULE)))

#endif /* PKVM_COMPAT_LINUX_KCONFIG_H_ */
