/* File: include/pkvm/compat/linux/of.h -- the device-tree API EL1 module
 * code uses (docs/devices.md), over the machine's DTB
 * (Hypervisor::SetDeviceTree, `pkvm run --dtb/--dts`).
 *
 * struct device_node is opaque: libpkvm hands out handles, not the kernel's
 * node structure (a module must not look inside it). Reference counts are
 * not modelled: of_node_put() does nothing. Native modules call libpkvm;
 * AArch64 modules reach it through a host call of the EL1 glue.
 *
 *   struct device_node *np = of_find_compatible_node(NULL, NULL, "arm,pl011");
 *   u32 v;
 *   if (np && of_device_is_available(np) && !of_property_read_u32(np, "clock-frequency", &v)) ...
 *   of_node_put(np);
 */
#ifndef _LINUX_OF_H
#define _LINUX_OF_H

#include <linux/types.h>

struct device_node;

#ifdef __cplusplus
extern "C" {
#endif
/* The next node after `from` (NULL: the first) whose "compatible" list holds
 * `compat` and, when `type` is not NULL, whose device_type is `type`. */
struct device_node *of_find_compatible_node(struct device_node *from, const char *type,
                                            const char *compat);
/* 0, -EINVAL (no such property), -ENODATA (empty), -EOVERFLOW (too short). */
int of_property_read_u32(const struct device_node *np, const char *propname, u32 *out_value);
int of_property_read_u64(const struct device_node *np, const char *propname, u64 *out_value);
/* "status" absent, "okay" or "ok". */
bool of_device_is_available(const struct device_node *np);
void of_node_put(struct device_node *node);
#ifdef __cplusplus
}
#endif

static inline struct device_node *of_node_get(struct device_node *node) { return node; }

#define for_each_compatible_node(dn, type, compatible)                   \
  for (dn = of_find_compatible_node(NULL, type, compatible); dn;         \
       dn = of_find_compatible_node(dn, type, compatible))

#endif /* _LINUX_OF_H */
