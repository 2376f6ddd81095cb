/* File: include/pkvm/compat/linux/list.h -- the kernel's circular doubly
 * linked list (struct list_head is in <linux/types.h>). Header-only, usable
 * at EL1 and EL2.
 *
 *   struct item { struct list_head node; int v; };
 *   static LIST_HEAD(items);
 *   list_add_tail(&it->node, &items);
 *   list_for_each_entry(it, &items, node) sum += it->v;
 *
 * Unhardened, as with CONFIG_LIST_HARDENED=n: nothing here calls
 * __list_add_valid_or_report()/__list_del_entry_valid_or_report(), so a
 * module may define those names itself.
 */
#ifndef _LINUX_LIST_H
#define _LINUX_LIST_H

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/types.h>

/* How CONFIG_LIST_HARDENED's out-of-line checks are declared (the report
 * path is cold). */
#define __list_valid_slowpath __cold __preserve_most

#define LIST_POISON1 ((void *)0x100)
#define LIST_POISON2 ((void *)0x122)

#define LIST_HEAD_INIT(name) {&(name), &(name)}
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *list) {
  WRITE_ONCE(list->next, list);
  WRITE_ONCE(list->prev, list);
}

static inline void __list_add(struct list_head *entry, struct list_head *prev,
                              struct list_head *next) {
  next->prev = entry;
  entry->next = next;
  entry->prev = prev;
  WRITE_ONCE(prev->next, entry);
}
/* After head (a stack). */
static inline void list_add(struct list_head *entry, struct list_head *head) {
  __list_add(entry, head, head->next);
}
/* Before head (a queue). */
static inline void list_add_tail(struct list_head *entry, struct list_head *head) {
  __list_add(entry, head->prev, head);
}
static inline void __list_del(struct list_head *prev, struct list_head *next) {
  next->prev = prev;
  WRITE_ONCE(prev->next, next);
}
static inline void __list_del_entry(struct list_head *entry) {
  __list_del(entry->prev, entry->next);
}
static inline void list_del(struct list_head *entry) {
  __list_del_entry(entry);
  entry->next = (struct list_head *)LIST_POISON1;
  entry->prev = (struct list_head *)LIST_POISON2;
}
static inline void list_del_init(struct list_head *entry) {
  __list_del_entry(entry);
  INIT_LIST_HEAD(entry);
}
static inline void list_replace(struct list_head *old, struct list_head *entry) {
  entry->next = old->next;
  entry->next->prev = entry;
  entry->prev = old->prev;
  entry->prev->next = entry;
}
static inline void list_move(struct list_head *entry, struct list_head *head) {
  __list_del_entry(entry);
  list_add(entry, head);
}
static inline void list_move_tail(struct list_head *entry, struct list_head *head) {
  __list_del_entry(entry);
  list_add_tail(entry, head);
}
static inline int list_is_first(const struct list_head *entry, const struct list_head *head) {
  return entry->prev == head;
}
static inline int list_is_last(const struct list_head *entry, const struct list_head *head) {
  return entry->next == head;
}
static inline int list_is_head(const struct list_head *entry, const struct list_head *head) {
  return entry == head;
}
static inline int list_empty(const struct list_head *head) {
  return READ_ONCE(head->next) == head;
}
static inline int list_is_singular(const struct list_head *head) {
  return !list_empty(head) && (head->next == head->prev);
}
static inline size_t list_count_nodes(struct list_head *head) {
  size_t n = 0;
  for (struct list_head *p = head->next; p != head; p = p->next) n++;
  return n;
}
/* Moves every entry of list to the front of head; list is left garbage. */
static inline void list_splice(const struct list_head *list, struct list_head *head) {
  if (!list_empty(list)) {
    struct list_head *first = list->next, *last = list->prev, *at = head->next;
    first->prev = head;
    head->next = first;
    last->next = at;
    at->prev = last;
  }
}
static inline void list_splice_init(struct list_head *list, struct list_head *head) {
  list_splice(list, head);
  INIT_LIST_HEAD(list);
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_last_entry(ptr, type, member) list_entry((ptr)->prev, type, member)
#define list_first_entry_or_null(ptr, type, member)                              \
  ({                                                                             \
    struct list_head *__head = (ptr);                                            \
    struct list_head *__pos = READ_ONCE(__head->next);                           \
    __pos != __head ? list_entry(__pos, type, member) : NULL;                    \
  })
#define list_next_entry(pos, member) list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_prev_entry(pos, member) list_entry((pos)->member.prev, __typeof__(*(pos)), member)
#define list_entry_is_head(pos, head, member) (&(pos)->member == (head))

#define list_for_each(pos, head) for (pos = (head)->next; !list_is_head(pos, (head)); pos = pos->next)
#define list_for_each_safe(pos, n, head) \
  for (pos = (head)->next, n = pos->next; !list_is_head(pos, (head)); pos = n, n = pos->next)
#define list_for_each_entry(pos, head, member)                                 \
  for (pos = list_first_entry(head, __typeof__(*pos), member);                 \
       !list_entry_is_head(pos, head, member); pos = list_next_entry(pos, member))
#define list_for_each_entry_reverse(pos, head, member)                         \
  for (pos = list_last_entry(head, __typeof__(*pos), member);                  \
       !list_entry_is_head(pos, head, member); pos = list_prev_entry(pos, member))
/* Safe against removal of the current entry. */
#define list_for_each_entry_safe(pos, n, head, member)                         \
  for (pos = list_first_entry(head, __typeof__(*pos), member),                 \
      n = list_next_entry(pos, member);                                        \
       !list_entry_is_head(pos, head, member); pos = n, n = list_next_entry(n, member))

#endif
