// File: lib/hyp/hyp_ops_a17.cc
// A17-only ops (provisional table, post-a16.md 1.3):
// * init_hvc_pd(pd, ops): the module drives power domain pd->device_id; when
//   the host asks (Hypervisor::HostPowerDomain, the kernel's host HVC power
//   request) pKVM calls ops->power_on(pd) or ops->power_off(pd). Ids at or
//   above MAX_POWER_DOMAINS (32) are -E2BIG; a later registration of an id
//   replaces the earlier one, as the kernel's table does.
// * iommu_register_pviommu_drv(id): the one guest pvIOMMU driver of the
//   machine; a second registration is -EBUSY (the kernel's cmpxchg slot).
#include "hyp/hyp_ops_a17.h"

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "machine.h"
#include "status_internal.h"

namespace pkvm {
namespace {

Hypervisor::Impl& M() { return OpsMachine(); }

// struct kvm_power_domain: enum type at +0, then (8-aligned) the union whose
// HOST_HVC member is `u64 device_id`. struct kvm_power_domain_ops:
// power_on at +0, power_off at +8, each int (*)(struct kvm_power_domain *).
constexpr size_t kPdDeviceIdOffset = 8;
constexpr int kPowerDomainHostHvc = 1;  // KVM_POWER_DOMAIN_HOST_HVC

int InitHvcPd(struct kvm_power_domain* pd, const struct kvm_power_domain_ops* ops) {
  Hypervisor::Impl& m = M();
  if (pd == nullptr || ops == nullptr) return -EINVAL;
  const auto* raw = reinterpret_cast<const uint8_t*>(pd);
  int type = 0;
  uint64_t id = 0;
  std::memcpy(&type, raw, sizeof type);
  std::memcpy(&id, raw + kPdDeviceIdOffset, sizeof id);
  if (type != kPowerDomainHostHvc)
    m.Log(absl::StrFormat("hyp: init_hvc_pd: power domain type %d is not KVM_POWER_DOMAIN_HOST_HVC",
                          type));
  if (id >= mem::kMaxPowerDomains) return -E2BIG;
  m.memory.hvc_pd[id] = {reinterpret_cast<uint64_t>(pd), reinterpret_cast<uint64_t>(ops)};
  return 0;
}

int IommuRegisterPviommuDrv(pkvm_handle_t drv_id) {
  mem::MemoryState& s = M().memory;
  if (s.pviommu_drv != 0) return -EBUSY;
  s.pviommu_drv = drv_id;
  return 0;
}

}  // namespace

void FillOpsA17(pkvm_module_ops_a17& o) {
  o.init_hvc_pd = &InitHvcPd;
  o.iommu_register_pviommu_drv = &IommuRegisterPviommuDrv;
}

StatusOr<int> Hypervisor::HostPowerDomain(uint64_t device_id, bool on, int cpu) {
  Impl& m = *impl_;
  if (absl::Status s = m.CheckRunnable(); !s.ok()) return internal::ToPublic(s);
  if (m.state == MachineState::kCreated)
    return Status(-EPERM, "the machine has not booted yet: call Boot() first");
  if (cpu < 0 || cpu >= m.opts.cpus)
    return Status(-EINVAL, absl::StrFormat("cpu %d: the machine has %d CPUs", cpu, m.opts.cpus));
  if (m.gen != Generation::kA17)
    return Status(-EOPNOTSUPP, "host power domain requests (init_hvc_pd) need generation A17");
  if (device_id >= mem::kMaxPowerDomains)
    return Status(-E2BIG, absl::StrFormat("power domain %u: ids go up to %u", device_id,
                                          mem::kMaxPowerDomains - 1));
  const auto [pd, ops] = m.memory.hvc_pd[device_id];
  if (ops == 0)
    return Status(-ENOENT, absl::StrFormat("no module drives power domain %u (init_hvc_pd)",
                                           device_id));
  // Both pointers are as init_hvc_pd() received them (host-readable); the
  // callbacks in the ops are EL2 code addresses.
  uint64_t fn = 0;
  std::memcpy(&fn, reinterpret_cast<const uint8_t*>(ops) + (on ? 0 : 8), sizeof fn);
  int rc = 0;
  if (fn == 0 || !m.CallEl2(fn, cpu, &rc, reinterpret_cast<struct kvm_power_domain*>(pd)))
    return Status(-EIO, absl::StrCat("the power domain's power_", on ? "on" : "off",
                                     " callback failed: ", m.PanicHeadline()));
  // The kernel ignores what the callback returns; the caller may not.
  return rc;
}

}  // namespace pkvm
