/* File: test/unit/abi_list_hardened_check.c
 * Compile-only check: the ABI headers' static asserts must also hold with the
 * two CONFIG_LIST_HARDENED members present in the A15/A16 ops tables.
 */
#define PKVM_CONFIG_LIST_HARDENED 1
#include <pkvm/abi/module_ops.h>
#include <pkvm/abi/el2_module.h>

int pkvm_list_hardened_check(void) { return 0; }
