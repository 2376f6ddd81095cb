/* Found through subdir-ccflags-y += -I$(srctree)/$(src)/include, by both halves. */
#ifndef PKVM_KBUILD_SHARED_H
#define PKVM_KBUILD_SHARED_H
#define PKVM_KBUILD_SHARED 42
int pkvm_kbuild_shared_check(void);
#endif
