/* File: include/pkvm/compat/nvhe/serial.h -- the hypervisor's serial output
 * as its own code uses it. Modules print through ops->puts / ops->putx64 and
 * register a driver with ops->register_serial_driver; these hypervisor
 * functions are declared as the kernel declares them but not exported to
 * modules (a call fails to link, naming the function). */
#ifndef __ARM64_KVM_NVHE_SERIAL_H__
#define __ARM64_KVM_NVHE_SERIAL_H__

#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif
void hyp_puts(const char *s);
void hyp_putx64(u64 x);
void hyp_putc(char c);
int __pkvm_register_serial_driver(void (*driver_cb)(char));
#ifdef __cplusplus
}
#endif

#endif /* __ARM64_KVM_NVHE_SERIAL_H__ */
