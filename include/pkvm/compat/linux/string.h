/* File: include/pkvm/compat/linux/string.h -- the kernel's string and memory
 * routines, declared.
 *
 * EL1: the kernel provides them (natively the host's C library; in an
 * AArch64 .ko the EL1 glue's own copies).
 * EL2 (__KVM_NVHE_HYPERVISOR__): declarations only. The hypervisor does not
 * link module code against its own string routines; a module either calls
 * ops->memcpy / ops->memset or carries its own definitions (the compiler also
 * emits memcpy/memset calls for struct copies), as vendor modules do on a
 * device. A call to one the module does not define fails at link time, with
 * the symbol's name (__kvm_nvhe_<name>).
 */
#ifndef _LINUX_STRING_H_
#define _LINUX_STRING_H_

#include <linux/compiler.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
ssize_t strscpy(char *dst, const char *src, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
#ifdef __cplusplus
}
#endif

#define memset_startat(obj, v, member) \
  memset((char *)(obj) + offsetof(__typeof__(*(obj)), member), v, \
         sizeof(*(obj)) - offsetof(__typeof__(*(obj)), member))

#endif /* _LINUX_STRING_H_ */
