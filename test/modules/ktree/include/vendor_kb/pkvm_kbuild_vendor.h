/* A vendor header of the tree, found through -I$(srctree)/include/vendor_kb. */
#ifndef PKVM_KBUILD_VENDOR_H
#define PKVM_KBUILD_VENDOR_H
#define PKVM_KBUILD_VENDOR_MAGIC 0x1000
#endif
