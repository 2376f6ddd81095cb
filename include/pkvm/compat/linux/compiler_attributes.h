/* File: include/pkvm/compat/linux/compiler_attributes.h -- attribute macros,
 * spelled as the kernel spells them: every expansion uses the reserved
 * `__name__` form of the attribute. So module code can also write the
 * attribute itself (`__attribute__((unused))`, `__attribute__((__noinline__))`)
 * without a macro getting in the way. Note that, as in the kernel, `noinline`
 * is a macro: `__attribute__((noinline))` does not compile in a kernel build
 * either (write `noinline` or `__attribute__((__noinline__))`).
 *
 *   static noinline __cold void report(void);
 *   struct hdr { u8 type; u32 len; } __packed;
 */
#ifndef __LINUX_COMPILER_ATTRIBUTES_H
#define __LINUX_COMPILER_ATTRIBUTES_H

#ifndef __has_attribute
#define __has_attribute(x) 0
#endif

#define __alias(symbol) __attribute__((__alias__(#symbol)))
#define __aligned(x) __attribute__((__aligned__(x)))
#define __aligned_largest __attribute__((__aligned__))
#define __alloc_size__(x, ...) __attribute__((__alloc_size__(x, ##__VA_ARGS__)))
#define __always_inline inline __attribute__((__always_inline__))
#define __assume_aligned(a, ...) __attribute__((__assume_aligned__(a, ##__VA_ARGS__)))
#define __cleanup(func) __attribute__((__cleanup__(func)))
#define __cold __attribute__((__cold__))
#define __attribute_const__ __attribute__((__const__))
#define __copy(symbol) __attribute__((__copy__(symbol)))
#if __has_attribute(__counted_by__)
#define __counted_by(member) __attribute__((__counted_by__(member)))
#else
#define __counted_by(member)
#endif
#define __deprecated
#define __designated_init
#define __visible __attribute__((__externally_visible__))
#define __flatten __attribute__((__flatten__))
#define __gnu_inline __attribute__((__gnu_inline__))
#define __malloc __attribute__((__malloc__))
#define __mode(x) __attribute__((__mode__(x)))
#define __must_check __attribute__((__warn_unused_result__))
#define __naked __attribute__((__naked__)) notrace
#if __has_attribute(__noclone__)
#define __noclone __attribute__((__noclone__))
#else
#define __noclone
#endif
#define fallthrough __attribute__((__fallthrough__))
#define noinline __attribute__((__noinline__))
#if __has_attribute(__nonstring__)
#define __nonstring __attribute__((__nonstring__))
#else
#define __nonstring
#endif
#define __noreturn __attribute__((__noreturn__))
#define __packed __attribute__((__packed__))
#define __printf(a, b) __attribute__((__format__(printf, a, b)))
#define __scanf(a, b) __attribute__((__format__(scanf, a, b)))
#define __pure __attribute__((__pure__))
#define __section(section) __attribute__((__section__(section)))
#define __always_unused __attribute__((__unused__))
#define __maybe_unused __attribute__((__unused__))
#define __used __attribute__((__used__))
#define __weak __attribute__((__weak__))

#endif /* __LINUX_COMPILER_ATTRIBUTES_H */
