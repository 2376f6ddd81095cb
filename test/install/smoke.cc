// Links the module built out of tree and calls it through the installed library.
#include <cstdio>

#include "pkvm/hypervisor.h"

PKVM_DECLARE_NATIVE_MODULE(pkvm_driver);

int main() {
  pkvm::HypervisorOptions o;
  o.cmdline = "kvm-arm.protected_modules=pkvm_driver";
  auto hv = pkvm::Hypervisor::Create(o);
  if (!hv.ok()) return std::printf("%s\n", hv.status().ToString().c_str()), 1;
  if (auto s = (*hv)->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver)); !s.ok())
    return std::printf("%s\n", s.ToString().c_str()), 1;
  if (auto s = (*hv)->Boot(); !s.ok()) return std::printf("%s\n", s.ToString().c_str()), 1;
  auto r = (*hv)->HostHvc(0xC6000080);
  if (!r.ok() || r->x(0) != 0 || r->x(1) != 0) return std::puts("unexpected HVC result"), 1;
  std::puts("ok: pkvm_driver answered hvc 0xc6000080 with x0=0 x1=0");
  return 0;
}
