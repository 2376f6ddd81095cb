/* File: include/pkvm/compat/linux/of_address.h -- `reg` of a DT node as a
 * struct resource (docs/devices.md): the parent's #address-cells and
 * #size-cells, translated through every ancestor's "ranges" to a CPU
 * physical address; -EINVAL when the node has no such entry or an ancestor
 * is not memory mapped. */
#ifndef _LINUX_OF_ADDRESS_H
#define _LINUX_OF_ADDRESS_H

#include <linux/ioport.h>
#include <linux/of.h>

#ifdef __cplusplus
extern "C" {
#endif
int of_address_to_resource(struct device_node *dev, int index, struct resource *r);
#ifdef __cplusplus
}
#endif

#endif /* _LINUX_OF_ADDRESS_H */
