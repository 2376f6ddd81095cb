// File: lib/hyp/hyp_ops_a17.h
// The members of the provisional A17 `pkvm_module_ops` table that no earlier
// generation has and that are not memory services (those are in lib/mem):
// hypervisor power domains switched by host HVC and the guest pvIOMMU driver.
//
//   FillOps(m.ops_a17);     // what A17 shares with A14-A16 (lib/hyp/hyp_ops.cc)
//   FillOpsA17(m.ops_a17);  // init_hvc_pd, iommu_register_pviommu_drv
#ifndef PKVM_LIB_HYP_OPS_A17_H_
#define PKVM_LIB_HYP_OPS_A17_H_

#include <pkvm/abi/module_ops.h>

namespace pkvm {

void FillOpsA17(pkvm_module_ops_a17& o);

}  // namespace pkvm

#endif  // PKVM_LIB_HYP_OPS_A17_H_
