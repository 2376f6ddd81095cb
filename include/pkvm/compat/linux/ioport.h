/* File: include/pkvm/compat/linux/ioport.h -- struct resource (docs/devices.md).
 * The kernel's arm64 layout; of_address_to_resource() fills start, end and
 * flags (IORESOURCE_MEM) and leaves name NULL.
 *
 *   struct resource res;
 *   if (!of_address_to_resource(np, 0, &res)) base = res.start, len = resource_size(&res);
 */
#ifndef _LINUX_IOPORT_H
#define _LINUX_IOPORT_H

#include <linux/types.h>


struct resource {
  resource_size_t start;
  resource_size_t end;
  const char *name;
  unsigned long flags;
  unsigned long desc;
  struct resource *parent, *sibling, *child;
};

#define IORESOURCE_IO 0x00000100
#define IORESOURCE_MEM 0x00000200
#define IORESOURCE_REG 0x00000300
#define IORESOURCE_IRQ 0x00000400

static inline resource_size_t resource_size(const struct resource *res) {
  return res->end - res->start + 1;
}

#endif /* _LINUX_IOPORT_H */
