/* File: include/pkvm/compat/linux/init.h -- __init/__exit markers. */
#ifndef _LINUX_INIT_H
#define _LINUX_INIT_H

#include <linux/compiler.h>

/* On a device these sections are freed after boot; in libpkvm they stay. */
#define __init
#define __exit
#define __initdata
#define __initconst
#define __exitdata
#define __init_or_module

#endif
