/* secure_mem's own memset/memcpy at EL2 (and list debug hooks), as some
 * vendor modules carry: they become __kvm_nvhe_memset etc. and must not
 * clash with the hypervisor's or another module's. */
#include <linux/types.h>

unsigned long secure_mem_string_calls;

void *memset(void *dst, int c, size_t n) {
  volatile unsigned char *d = dst;
  secure_mem_string_calls++;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  volatile unsigned char *d = dst;
  const volatile unsigned char *s = src;
  secure_mem_string_calls++;
  while (n--) *d++ = *s++;
  return dst;
}

bool __list_add_valid_or_report(struct list_head *entry, struct list_head *prev,
                                struct list_head *next) {
  return entry != prev && entry != next;
}
bool __list_del_entry_valid_or_report(struct list_head *entry) { return entry->next != entry; }
