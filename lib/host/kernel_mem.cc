// File: lib/host/kernel_mem.cc
// kmalloc, alloc_pages & co. for EL1 module code:
// the machine's page allocator (kernel_mem.h) and the functions native EL1
// code links against (<linux/slab.h>, <linux/gfp.h>, <asm/memory.h>).
#include "host/kernel_mem.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mem/memory.h"

namespace pkvm {

uint64_t KernelPageAlloc(Hypervisor::Impl& m, uint64_t nr, uint64_t align, uint32_t gfp) {
  mem::PageModel& pages = m.memory.pages;
  const uint64_t pfn = m.memory.el1_pages.Alloc(nr, align, [&](uint64_t p) {
    return pages.KindOf(p) == PageKind::kRam && pages.IsPristine(p);
  });
  if (pfn == 0) {
    m.Log(absl::StrFormat("page allocation failure: %u page%s (aligned to %u): the kernel "
                          "allocator's range pfn %#x-%#x has no such free run",
                          nr, nr == 1 ? "" : "s", align, m.memory.el1_pages.first_pfn(),
                          m.memory.el1_pages.end_pfn() - 1));
    return 0;
  }
  const uint64_t phys = pfn * kPageSize;
  if ((gfp & kGfpZero) != 0) std::memset(mem::PhysToPtr(m, phys), 0, nr * kPageSize);
  return phys;
}

void KernelPageFree(Hypervisor::Impl& m, uint64_t phys, uint64_t nr) {
  const uint64_t pfn = phys / kPageSize;
  std::string err;
  if (phys % kPageSize != 0) err = absl::StrFormat("%#x is not page aligned", phys);
  const uint64_t size = err.empty() ? m.memory.el1_pages.SizeOf(pfn) : 0;
  if (err.empty() && size != 0) {
    // A page the hypervisor or a guest still has (donated, shared, pinned)
    // would be handed out again: the kernel would corrupt it; refuse.
    for (uint64_t p = pfn; p < pfn + size; ++p) {
      if (!m.memory.pages.IsPristine(p)) {
        err = absl::StrFormat("pfn %#x is not the host's alone (%s): leaking the block", p,
                              m.memory.pages.State(p).ToString());
        break;
      }
    }
  }
  if (err.empty()) err = m.memory.el1_pages.Free(pfn, nr);
  if (!err.empty()) m.Log(absl::StrCat("WARNING: free_pages: ", err));
}

}  // namespace pkvm

namespace {

pkvm::Hypervisor::Impl& El1Machine(const char* fn) { return pkvm::MachineOrDie(fn); }

}  // namespace

extern "C" {

// Natively EL1 code's linear map is the machine's RAM buffer.
unsigned long __pkvm_page_alloc(unsigned long nr, unsigned long align, unsigned int gfp) {
  pkvm::Hypervisor::Impl& m = El1Machine("alloc_pages");
  const uint64_t phys = pkvm::KernelPageAlloc(m, nr, align, gfp);
  return phys == 0 ? 0 : reinterpret_cast<unsigned long>(pkvm::mem::PhysToPtr(m, phys));
}

void __pkvm_page_free(unsigned long addr, unsigned long nr) {
  pkvm::Hypervisor::Impl& m = El1Machine("free_pages");
  uint64_t phys = 0;
  if (!pkvm::mem::PtrToPhys(m, reinterpret_cast<const void*>(addr), &phys)) {
    m.Log(absl::StrFormat("WARNING: free_pages: %#x is not a kernel linear-map address", addr));
    return;
  }
  pkvm::KernelPageFree(m, phys, nr);
}

unsigned long __pkvm_virt_to_phys(const volatile void* x) {
  pkvm::Hypervisor::Impl& m = El1Machine("virt_to_phys");
  uint64_t phys = 0;
  if (!pkvm::mem::PtrToPhys(m, const_cast<const void*>(x), &phys)) {
    m.Log(absl::StrFormat("WARNING: virt_to_phys(%p): not a linear-map address (only memory "
                          "from kmalloc/alloc_pages has one)",
                          const_cast<const void*>(x)));
    return 0;
  }
  return phys;
}

void* __pkvm_phys_to_virt(unsigned long phys) {
  pkvm::Hypervisor::Impl& m = El1Machine("phys_to_virt");
  void* p = pkvm::mem::PhysToPtr(m, phys);
  if (p == nullptr)
    m.Log(absl::StrFormat("WARNING: phys_to_virt(%#x): no RAM there", phys));
  return p;
}

}  // extern "C"
