/* File: include/pkvm/compat/linux/io.h -- the generic MMIO header: asm/io.h. */
#ifndef _LINUX_IO_H
#define _LINUX_IO_H

#include <linux/types.h>
#include <asm/io.h>

#endif /* _LINUX_IO_H */
