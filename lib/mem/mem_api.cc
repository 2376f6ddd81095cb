// File: lib/mem/mem_api.cc
// The memory, guest and device side of the public Hypervisor API: page-state
// queries, host accesses checked against the host stage-2 (running the
// module permission-fault chain), the host kernel's donations to hypervisor
// pools, and the events that drive guest and device callbacks the way pKVM
// would (a guest SMC, a device assignment and its return).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devices/devices.h"
#include "machine.h"
#include "mem/memory.h"
#include "pkvm/abi/smccc.h"
#include "pkvm/hypervisor.h"
#include "status_internal.h"
#include "trace/hyp_trace.h"

// As <linux/arm-smccc.h> defines them (and lib/el3.cc): complete, so that
// the Unicorn backend shows EL2 code the whole of what these calls pass.
struct arm_smccc_res {
  unsigned long a0, a1, a2, a3;
};
struct arm_smccc_1_2_regs {
  unsigned long a[18];
};

namespace pkvm {

uint64_t mem::HostDabtEsr(bool write, bool permission, const AccessSyndrome* a) {
  uint64_t esr = (0x24ull << 26) | (1ull << 25) | (write ? 1ull << 6 : 0) |
                 (permission ? 0x0fu : 0x07u);
  if (a != nullptr)
    esr |= (1ull << 24) | (uint64_t{a->sas} << 22) | (a->sse ? 1ull << 21 : 0) |
           (uint64_t{a->srt} << 16) | (a->sf ? 1ull << 15 : 0);
  return esr;
}

using mem::kPage;
using mem::kPageShift;

namespace {

using Impl = Hypervisor::Impl;

Status CheckAlive(const Impl& m) {
  if (m.state == MachineState::kPanicked)
    return Status(-EIO, absl::StrCat("the hypervisor panicked: ", m.PanicHeadline()));
  return Status();
}
Status CheckCpuArg(const Impl& m, int cpu) {
  if (cpu < 0 || cpu >= m.opts.cpus)
    return Status(-EINVAL, absl::StrCat("CPU ", cpu, " does not exist (the machine has ",
                                        m.opts.cpus, ")"));
  return Status();
}
Status CheckBootedCpu(const Impl& m, int cpu) {
  if (Status s = CheckAlive(m); !s.ok()) return s;
  if (m.state == MachineState::kCreated)
    return Status(-EPERM, "the machine has not booted yet: call Boot() first");
  return CheckCpuArg(m, cpu);
}


// An abort pKVM injects into the host without asking the modules (the host
// touched a page it does not own): the illegal-abort notifier is told first.
Status InjectHostAbort(Impl& m, uint64_t esr, uint64_t addr, int cpu) {
  kvm_cpu_context* ctx = &m.cpus[static_cast<size_t>(cpu)].host_ctxt;
  if (m.illegal_abt != 0) {
    const bool ok = m.gen == Generation::kA14 ? m.CallEl2Void(m.illegal_abt, cpu, ctx)
                                              : m.CallEl2Void(m.illegal_abt, cpu, &ctx->regs);
    if (!ok) return Status(-EIO, m.PanicHeadline());
  }
  m.Log(absl::StrFormat("hyp: host stage-2 fault at %#x (esr %#x): abort injected", addr, esr));
  return Status();
}

constexpr int kMaxFaultRetries = 64;

Status HostAccess(Impl& m, uint64_t phys, uint8_t* buf, size_t len, bool write,
                  int cpu) {
  if (Status s = CheckBootedCpu(m, cpu); !s.ok()) return s;
  if (len == 0) return Status();
  if (phys + len < phys || ((phys + len - 1) >> mem::kPaBits) != 0)
    return Status(-EINVAL, absl::StrFormat("[%#x, +%#x) is outside the physical address space",
                                           phys, len));
  const char* what = write ? "write" : "read";
  for (size_t done = 0; done < len;) {
    const uint64_t pa = phys + done;
    const uint64_t pfn = pa >> kPageShift;
    const size_t chunk = std::min<size_t>(len - done, kPage - (pa & (kPage - 1)));
    bool emulated = false;
    for (int tries = 0;; ++tries) {
      const mem::HostAccess a = m.memory.pages.CheckHostAccess(pfn, write);
      if (a == mem::HostAccess::kOk) break;
      if (a == mem::HostAccess::kNoDevice)
        return Status(-EFAULT, absl::StrFormat("host %s at %#x: there is no RAM or registered "
                                               "device there (an external abort on a device)",
                                               what, pa));
      if (a == mem::HostAccess::kTranslationFault) {
        // The host stage-2 has no valid entry: pKVM's idmap fault path finds
        // another owner and injects the abort; module handlers are not asked.
        if (Status s = InjectHostAbort(m, mem::HostDabtEsr(write, false), pa, cpu); !s.ok()) return s;
        return Status(-EPERM, absl::StrFormat("host %s at %#x: the page is not the host's (%s); "
                                              "pKVM injected an abort into the host",
                                              what, pa, m.memory.pages.State(pfn).ToString()));
      }
      // A permission fault: the module handler chain decides.
      if (tries == kMaxFaultRetries)
        return Status(-ELOOP, absl::StrFormat(
                                  "host %s at %#x: still a permission fault after %d retries; on "
                                  "a device the host CPU would fault forever (%s)",
                                  what, pa, kMaxFaultRetries, m.memory.pages.State(pfn).ToString()));
      // One naturally aligned access of 1, 2, 4 or 8 bytes is one LDR/STR
      // of x0 (w0...) at the host's PC: the syndrome is valid (ISV) and a
      // handler may emulate it -- take the value from x0 (write) or put it
      // there (read) -- and advance ELR past it (docs/memory.md).
      HostException e;
      e.ipa = pa;
      e.regs = m.cpus[static_cast<size_t>(cpu)].host_ctxt.regs;
      const bool single = (chunk == 1 || chunk == 2 || chunk == 4 || chunk == 8) &&
                          (pa & (chunk - 1)) == 0;
      mem::AccessSyndrome x0;
      x0.sas = chunk == 1 ? 0 : chunk == 2 ? 1 : chunk == 4 ? 2 : 3;
      x0.sf = chunk == 8;
      e.esr = mem::HostDabtEsr(write, true, single ? &x0 : nullptr);
      if (single) {
        if (write) {
          e.regs.regs[0] = 0;
          std::memcpy(&e.regs.regs[0], buf + done, chunk);
        }
      }
      absl::StatusOr<HostExceptionResult> r = m.HostPermFault(e, cpu);
      if (!r.ok()) return internal::ToPublic(r.status());
      if (r->result == 0 && r->emulated) {
        if (!single) {
          m.HypPanic(absl::StrFormat("a host permission fault handler skipped an access at %#x "
                                     "it could not decode (ISV=0)", pa), cpu);
          return Status(-EIO, m.PanicHeadline());
        }
        if (!write) std::memcpy(buf + done, &r->regs.regs[0], chunk);
        emulated = true;
        break;  // emulated: the host goes on after the instruction
      }
      if (r->result == -EPERM)
        return Status(-EPERM, absl::StrFormat("host %s at %#x: host stage-2 permission fault "
                                              "(%s); the abort was injected into the host",
                                              what, pa, m.memory.pages.State(pfn).ToString()));
      // 0 (resolved) or -EAGAIN: the host retries the access.
    }
    if (!emulated) {
      // A device model answers the access itself.
      if (!devices::ModelAccess(m, pa, buf + done, chunk, write)) {
        uint8_t* p = mem::PhysToPtr(m, pa);
        if (write)
          std::memcpy(p, buf + done, chunk);
        else
          std::memcpy(buf + done, p, chunk);
      }
    }
    done += chunk;
  }
  return Status();
}

const char* PoolName(HypPool pool) {
  switch (pool) {
    case HypPool::kHypAlloc: return "hyp_alloc heap";
    case HypPool::kIommu: return "IOMMU pool";
    case HypPool::kIommuAtomic: return "IOMMU atomic pool";
  }
  return "?";
}

// The host kernel allocates `nr` contiguous pages aligned to `align` pages and
// donates them to `pool`. 0 or -errno.
int DonateToPool(Impl& m, HypPool pool, uint64_t nr, uint64_t align) {
  mem::MemoryState& s = m.memory;
  const uint64_t pfn = s.pages.FindFreeHostRun(nr, align);
  if (pfn == 0) return -ENOMEM;
  const HypUse use = pool == HypPool::kHypAlloc ? HypUse::kHeap
                     : pool == HypPool::kIommu  ? HypUse::kIommuPool
                                                : HypUse::kIommuAtomicPool;
  if (int rc = s.pages.HostDonateHyp(pfn, nr, false, mem::kPageHyp, use); rc != 0) return rc;
  switch (pool) {
    case HypPool::kHypAlloc: s.heap.AddRun(pfn << kPageShift, nr); break;
    case HypPool::kIommu: s.iommu_pool.Add(pfn, nr); break;
    case HypPool::kIommuAtomic: s.iommu_atomic_pool.Add(pfn, nr); break;
  }
  m.Log(absl::StrFormat("kvm: host donated pfn %#x+%u to the hypervisor's %s", pfn, nr,
                        PoolName(pool)));
  return 0;
}

uint64_t PoolAlign(uint64_t nr) {
  uint64_t a = 1;
  while (a * 2 <= nr && a * 2 <= (1ull << mem::PagePool::kMaxOrder)) a *= 2;
  return a;
}

}  // namespace

// ---- devices and page states ------------------------------------------------------

Status Hypervisor::AddMmioRegion(uint64_t phys, uint64_t size, const std::string& name) {
  Impl& m = *impl_;
  if (m.state != MachineState::kCreated)
    return Status(-EBUSY, "devices are part of the machine's device tree: add them before Boot()");
  if (int rc = m.memory.pages.AddMmio(phys, size, name); rc != 0)
    return Status(rc, absl::StrFormat("cannot add MMIO region [%#x, +%#x): it must be page "
                                      "aligned, at most 1 GiB, inside the 48-bit physical "
                                      "address space and overlap neither RAM [%#x, +%#x) nor "
                                      "another device",
                                      phys, size, kRamBase, m.ram_size));
  mem::Device d;
  d.base_pfn = phys >> kPageShift;
  d.nr_pages = size >> kPageShift;
  m.memory.devices.emplace(d.base_pfn, d);
  return Status();
}

PageState Hypervisor::page_state(uint64_t pfn) const { return impl_->memory.pages.State(pfn); }

std::string Hypervisor::DumpPageStates() const {
  const Impl& m = *impl_;
  const mem::MemoryState& s = m.memory;
  std::string out = absl::StrFormat("RAM [%#x, %#x) pfn %#x-%#x\n", kRamBase, kRamBase + m.ram_size,
                                    s.pages.ram_begin_pfn(), s.pages.ram_end_pfn() - 1);
  for (const auto& [pfn, r] : s.pages.mmio()) {
    absl::StrAppend(&out, absl::StrFormat("device %s [%#x, %#x)", r.name, pfn << kPageShift,
                                          (pfn + r.nr_pages) << kPageShift));
    const mem::Device& d = s.devices.at(pfn);
    if (d.reset_cb != 0) absl::StrAppend(&out, " reset callback");
    if (d.assigned_to != 0) absl::StrAppend(&out, absl::StrFormat(" assigned to guest %#x", d.assigned_to));
    absl::StrAppend(&out, "\n");
  }
  const std::string pages = s.pages.Dump();
  absl::StrAppend(&out, "pages not in their boot state:", pages.empty() ? " none\n" : "\n", pages);
  for (size_t c = 0; c < s.cpu.size(); ++c) {
    if (s.cpu[c].fixmap_used)
      absl::StrAppend(&out, absl::StrFormat("CPU%u fixmap: phys %#x\n", c, s.cpu[c].fixmap_phys));
    if (s.cpu[c].req_pending) {
      const mem::HypReq& r = s.cpu[c].req;
      absl::StrAppend(&out, absl::StrFormat("CPU%u request for the host: type %u dest %u "
                                            "nr_pages %d sz_alloc %d\n",
                                            c, r.type, r.mem.dest, r.mem.nr_pages, r.mem.sz_alloc));
    }
  }
  if (s.fixblock_used)
    absl::StrAppend(&out, absl::StrFormat("fixblock: phys %#x\n", s.fixblock_phys));
  for (const mem::EarlyMapping& e : s.early)
    absl::StrAppend(&out, absl::StrFormat("linear_map_early: phys %#x size %#x prot %s\n", e.phys,
                                          e.size, ProtToString(e.prot)));
  for (const mem::PrivateMapping& p : s.priv)
    absl::StrAppend(&out, absl::StrFormat("private mapping: phys %#x size %#x prot %s\n", p.phys,
                                          p.size, ProtToString(p.prot)));
  absl::StrAppend(&out, absl::StrFormat("hyp_alloc heap: %u pages, %u bytes in %u allocations\n",
                                        s.heap.pages(), s.heap.bytes_in_use(),
                                        s.heap.live_allocations()));
  absl::StrAppend(&out, absl::StrFormat("IOMMU pool: %u free pages, %u blocks in use; atomic pool: "
                                        "%u free pages, %u blocks in use\n",
                                        s.iommu_pool.free_pages(), s.iommu_pool.blocks_in_use(),
                                        s.iommu_atomic_pool.free_pages(),
                                        s.iommu_atomic_pool.blocks_in_use()));
  for (const auto& [handle, g] : s.guests)
    absl::StrAppend(&out, absl::StrFormat("guest %#x: %u stage-2 pages%s\n", handle,
                                          g.stage2.size(),
                                          g.smc_handler != 0 ? ", SMC handler" : ""));
  absl::StrAppend(&out, absl::StrFormat("udelay total %u us, %u dcache flushes, %u IOTLB syncs\n",
                                        s.udelay_us, s.dcache_flushes, s.iotlb_syncs));
  return out;
}

// ---- host accesses ----------------------------------------------------------------

Status Hypervisor::host_read(uint64_t phys, void* buf, size_t len, int cpu) {
  return HostAccess(*impl_, phys, static_cast<uint8_t*>(buf), len, false, cpu);
}

Status Hypervisor::host_write(uint64_t phys, const void* buf, size_t len, int cpu) {
  return HostAccess(*impl_, phys, static_cast<uint8_t*>(const_cast<void*>(buf)), len, true,
                    cpu);
}

Status Hypervisor::HostUseDma(uint64_t phys, uint64_t size) {
  Impl& m = *impl_;
  if (Status s = CheckAlive(m); !s.ok()) return s;
  if (int rc = m.memory.pages.UseDma(phys, size); rc != 0)
    return Status(rc, absl::StrFormat("cannot map [%#x, +%#x) for DMA: %s", phys, size,
                                      rc == -EINVAL ? "it must be a page-aligned range of RAM"
                                      : rc == -EPERM ? "every page must be the host's alone"
                                                     : "DMA reference count saturated"));
  return Status();
}

// ---- hypervisor pools -----------------------------------------------------------------

Status Hypervisor::TopUpHypPool(HypPool pool, uint64_t nr_pages) {
  Impl& m = *impl_;
  if (Status s = CheckAlive(m); !s.ok()) return s;
  if (nr_pages == 0 || nr_pages > mem::HypHeap::kVaPages)
    return Status(-EINVAL, absl::StrFormat("cannot donate %u pages (1..%u)", nr_pages,
                                           mem::HypHeap::kVaPages));
  const uint64_t align = pool == HypPool::kHypAlloc ? 1 : PoolAlign(nr_pages);
  if (int rc = DonateToPool(m, pool, nr_pages, align); rc != 0)
    return Status(rc, absl::StrFormat("the host has no %u free contiguous pages for the %s",
                                      nr_pages, PoolName(pool)));
  return Status();
}

StatusOr<uint64_t> Hypervisor::ServeHypRequests(int cpu) {
  Impl& m = *impl_;
  if (Status s = CheckAlive(m); !s.ok()) return s;
  if (Status s = CheckCpuArg(m, cpu); !s.ok()) return s;
  mem::CpuMemState& c = m.memory.cpu[static_cast<size_t>(cpu)];
  if (!c.req_pending) return uint64_t{0};
  const mem::HypReq r = c.req;
  c.req_pending = false;
  if (r.type != mem::kHypReqTypeMem ||
      (r.mem.dest != mem::kReqMemDestHypAlloc && r.mem.dest != mem::kReqMemDestHypIommu))
    return Status(-EOPNOTSUPP,
                  absl::StrFormat("CPU%d asked for type %u dest %u: libpkvm models memory "
                                  "requests for the hyp_alloc heap and the IOMMU pool only",
                                  cpu, r.type, r.mem.dest));
  if (r.mem.nr_pages <= 0 || r.mem.sz_alloc <= 0)
    return Status(-EINVAL, absl::StrFormat("CPU%d request for %d x %d bytes", cpu, r.mem.nr_pages,
                                           r.mem.sz_alloc));
  uint64_t donated = 0;
  if (r.mem.dest == mem::kReqMemDestHypAlloc) {
    const uint64_t nr = static_cast<uint64_t>(r.mem.nr_pages) *
                        ((static_cast<uint64_t>(r.mem.sz_alloc) + kPage - 1) / kPage);
    if (int rc = DonateToPool(m, HypPool::kHypAlloc, nr, 1); rc != 0)
      return Status(rc, "the host has no free memory for the hyp_alloc heap");
    donated = nr;
  } else {
    // nr_pages chunks of sz_alloc bytes, each a naturally aligned block.
    const uint64_t chunk = PoolAlign((static_cast<uint64_t>(r.mem.sz_alloc) + kPage - 1) / kPage);
    for (int i = 0; i < r.mem.nr_pages; ++i) {
      if (int rc = DonateToPool(m, HypPool::kIommu, chunk, chunk); rc != 0)
        return Status(rc, "the host has no free memory for the IOMMU pool");
      donated += chunk;
    }
  }
  return donated;
}

// ---- guests ---------------------------------------------------------------------------

StatusOr<uint16_t> Hypervisor::CreateGuest(const std::vector<GuestMemory>& memory) {
  Impl& m = *impl_;
  mem::MemoryState& s = m.memory;
  if (Status st = CheckAlive(m); !st.ok()) return st;
  if (s.next_guest_handle == 0xffff) return Status(-ENOSPC, "no guest handles left");
  std::map<uint64_t, uint64_t> stage2;
  for (const GuestMemory& g : memory) {
    if (g.ipa % kPage != 0 || mem::PageModel::CheckRange(g.pfn, g.nr_pages) != 0 ||
        mem::PageModel::CheckRange(g.ipa >> kPageShift, g.nr_pages) != 0 ||
        s.pages.RangeKind(g.pfn, g.nr_pages) != PageKind::kRam)
      return Status(-EINVAL, absl::StrFormat("guest memory ipa %#x pfn %#x +%u pages: needs a "
                                             "page-aligned IPA and a range of RAM",
                                             g.ipa, g.pfn, g.nr_pages));
    for (uint64_t i = 0; i < g.nr_pages; ++i) {
      if (!stage2.emplace((g.ipa >> kPageShift) + i, g.pfn + i).second)
        return Status(-EINVAL, absl::StrFormat("IPA %#x is given twice", g.ipa + i * kPage));
    }
  }
  const uint16_t handle = s.next_guest_handle;
  size_t done = 0;
  for (; done < memory.size(); ++done) {
    const GuestMemory& g = memory[done];
    if (int rc = s.pages.HostDonateGuest(g.pfn, g.nr_pages, handle); rc != 0) {
      for (size_t i = 0; i < done; ++i)
        (void)s.pages.GuestDonateHost(memory[i].pfn, memory[i].nr_pages, handle);
      return Status(rc, absl::StrFormat("pfn %#x +%u: the host does not own these pages alone "
                                        "(%s)",
                                        g.pfn, g.nr_pages, s.pages.State(g.pfn).ToString()));
    }
  }
  ++s.next_guest_handle;
  s.guests[handle].stage2 = std::move(stage2);
  m.Log(absl::StrFormat("kvm: created guest %#x", handle));
  return handle;
}

namespace {

// SMCCC function ids pKVM answers itself.
constexpr uint32_t kSmcccVersion = 0x80000000;
constexpr uint32_t kPsciVersion = 0x84000000;
constexpr uint32_t kTrngVersion = 0x84000050;
constexpr uint32_t kTrngFeatures = 0x84000051;
constexpr uint32_t kTrngGetUuid = 0x84000052;
constexpr uint32_t kTrngRnd32 = 0x84000053;
constexpr uint32_t kTrngRnd64 = 0xC4000053;
constexpr uint64_t kNotSupported = static_cast<uint64_t>(-1);
constexpr uint64_t kTrngInvalidParameters = static_cast<uint64_t>(-2);
constexpr uint64_t kTrngNoEntropy = static_cast<uint64_t>(-3);

bool IsTrng(uint32_t fid) {
  return (fid >= kTrngVersion && fid <= kTrngRnd32) || fid == kTrngRnd64;
}

// TRNG through the module's pkvm_module_trng_ops. false if it panicked.
bool TrngCall(Impl& m, int cpu, uint32_t fid, SmcccRegs& r) {
  const auto* ops = reinterpret_cast<const pkvm_module_trng_ops*>(m.memory.trng_ops);
  switch (fid) {
    case kTrngVersion:
      r.x[0] = 0x10000;  // TRNG 1.0
      return true;
    case kTrngFeatures:
      r.x[0] = IsTrng(static_cast<uint32_t>(r.x[1])) ? 0 : kNotSupported;
      return true;
    case kTrngGetUuid: {
      const auto* uuid = static_cast<const pkvm_uuid*>(m.El2Data(ops->trng_uuid));
      if (uuid == nullptr) {
        m.HypPanic(absl::StrFormat("EL2 data abort: trng_uuid %p is not mapped at EL2",
                                   static_cast<const void*>(ops->trng_uuid)),
                   cpu);
        return false;
      }
      const uint8_t* b = uuid->b;
      for (int i = 0; i < 4; ++i)
        r.x[i] = static_cast<uint64_t>(b[4 * i]) | static_cast<uint64_t>(b[4 * i + 1]) << 8 |
                 static_cast<uint64_t>(b[4 * i + 2]) << 16 |
                 static_cast<uint64_t>(b[4 * i + 3]) << 24;
      return true;
    }
    default:
      break;
  }
  const bool is64 = fid == kTrngRnd64;
  const uint64_t bits = r.x[1];
  if (bits == 0 || bits > (is64 ? 192u : 96u)) {
    r.x[0] = kTrngInvalidParameters;
    return true;
  }
  uint64_t entropy[3] = {0, 0, 0};
  int rc = 0;
  // (As a pointer to the array: EL2 code gets all three words, not one.)
  if (!m.CallEl2(reinterpret_cast<uint64_t>(ops->trng_rnd64), cpu, &rc, &entropy,
                 static_cast<int>(bits)))
    return false;
  if (rc != 0) {
    r.x[0] = kTrngNoEntropy;
    return true;
  }
  // Only the requested bits reach the guest.
  for (int w = 0; w < 3; ++w) {
    const uint64_t lo = 64ull * static_cast<uint64_t>(w);
    if (bits <= lo) entropy[w] = 0;
    else if (bits - lo < 64) entropy[w] &= (1ull << (bits - lo)) - 1;
  }
  r.x[0] = 0;
  if (is64) {
    r.x[3] = entropy[0];
    r.x[2] = entropy[1];
    r.x[1] = entropy[2];
  } else {
    r.x[3] = entropy[0] & 0xffffffffu;
    r.x[2] = entropy[0] >> 32;
    r.x[1] = entropy[1] & 0xffffffffu;
  }
  return true;
}

}  // namespace

StatusOr<GuestSmcResult> Hypervisor::GuestSmc(uint16_t handle, const SmcccRegs& regs, int cpu) {
  Impl& m = *impl_;
  mem::MemoryState& s = m.memory;
  if (Status st = CheckBootedCpu(m, cpu); !st.ok()) return st;
  auto guest = s.guests.find(handle);
  if (guest == s.guests.end())
    return Status(-EINVAL, absl::StrFormat("no guest has handle %#x", handle));
  GuestSmcResult out;
  out.regs = regs;
  const uint32_t fid = static_cast<uint32_t>(regs.x[0]);
  const uint32_t owner = (fid >> 24) & 0x3f;
  if (IsTrng(fid) && s.trng_ops != 0) {
    out.handled_by_pkvm = true;
    if (!TrngCall(m, cpu, fid, out.regs))
      return Status(-EIO, absl::StrCat("the TRNG callback panicked the hypervisor: ",
                                       m.PanicHeadline()));
    return out;
  }
  if (fid == kSmcccVersion || fid == kPsciVersion) {
    out.handled_by_pkvm = true;
    out.regs.x[0] = 0x10001;  // SMCCC 1.1 / PSCI 1.1
    return out;
  }
  if (owner == 0 || (owner == 4 && !IsTrng(fid))) {
    // Arm architecture calls and PSCI: pKVM's own (libpkvm models no vCPU
    // power state, so anything beyond the versions is NOT_SUPPORTED).
    out.handled_by_pkvm = true;
    out.regs.x[0] = kNotSupported;
    return out;
  }
  // Not pKVM's: the module's guest SMC handler, if any.
  const uint64_t cb = m.gen == Generation::kA15 ? guest->second.smc_handler
                      : GenerationNumber(m.gen) >= 16 ? s.guest_smc_handler
                                                  : 0;
  bool handled = false;
  uint64_t in[18];
  std::memcpy(in, regs.x, sizeof in);
  if (m.gen == Generation::kA16 && m.opts.a16_kmi >= kA16KmiLate) {
    // enum pkvm_smc_handler_ret: the first handler that does not answer
    // NOT_HANDLED decides. NEED_TOPUP: the hypervisor needs memory from the
    // host before the call can go on; the guest's registers stay as they
    // were and the call is retried after the host tops up.
    for (const uint64_t h : s.guest_smc_chain) {
      uint64_t res[18] = {};
      int rc = GUEST_SMC_NOT_HANDLED;
      if (!m.CallEl2(h, cpu, &rc, reinterpret_cast<arm_smccc_1_2_regs*>(in),
                     reinterpret_cast<arm_smccc_1_2_regs*>(res), handle))
        return Status(-EIO, absl::StrCat("the guest SMC handler panicked the hypervisor: ",
                                         m.panic_report));
      if (rc == GUEST_SMC_HANDLED) {
        handled = true;
        std::memcpy(out.regs.x, res, sizeof res);
        break;
      }
      if (rc == GUEST_SMC_NEED_TOPUP) {
        out.needs_topup = true;
        return out;
      }
      if (rc != GUEST_SMC_NOT_HANDLED)
        m.Log(absl::StrFormat("WARNING: guest SMC handler returned %d, not a "
                              "pkvm_smc_handler_ret; taken as NOT_HANDLED", rc));
    }
  } else if (cb != 0 && m.gen == Generation::kA15) {
    uint64_t res[4] = {0, 0, 0, 0};  // struct arm_smccc_res
    if (!m.CallEl2(cb, cpu, &handled, reinterpret_cast<arm_smccc_1_2_regs*>(in),
                   reinterpret_cast<arm_smccc_res*>(res), handle))
      return Status(-EIO, absl::StrCat("the guest SMC handler panicked the hypervisor: ",
                                       m.PanicHeadline()));
    if (handled) std::memcpy(out.regs.x, res, sizeof res);
  } else if (cb != 0) {
    uint64_t res[18] = {};  // struct arm_smccc_1_2_regs
    if (!m.CallEl2(cb, cpu, &handled, reinterpret_cast<arm_smccc_1_2_regs*>(in),
                   reinterpret_cast<arm_smccc_1_2_regs*>(res), handle))
      return Status(-EIO, absl::StrCat("the guest SMC handler panicked the hypervisor: ",
                                       m.PanicHeadline()));
    if (handled) std::memcpy(out.regs.x, res, sizeof res);
  }
  out.handled_by_module = handled;
  if (!handled) out.regs.x[0] = kNotSupported;
  return out;
}

// ---- device assignment ------------------------------------------------------------------

StatusOr<int> Hypervisor::GuestDevicePowerLock(uint64_t phys, uint16_t handle, bool lock, int cpu) {
  Impl& m = *impl_;
  mem::MemoryState& s = m.memory;
  if (Status st = CheckBootedCpu(m, cpu); !st.ok()) return st;
  const bool has_power_lock = m.gen == Generation::kA17 ||
                              (m.gen == Generation::kA16 && m.opts.a16_kmi >= kA16KmiPowerLock);
  if (!has_power_lock)
    return Status(-EOPNOTSUPP, "device power locks need generation A17, or A16 with a16_kmi >= 1");
  auto dev = s.devices.find(phys >> kPageShift);
  if (phys % kPage != 0 || dev == s.devices.end())
    return Status(-ENODEV, absl::StrFormat("no device has its MMIO base at %#x", phys));
  mem::Device& d = dev->second;
  if (d.assigned_to != handle)
    return Status(-EPERM, absl::StrFormat("the device at %#x is not assigned to guest %#x", phys,
                                          handle));
  if (d.power_lock_cb == 0)
    return Status(-EOPNOTSUPP, absl::StrFormat("no module registered a power lock for the device "
                                               "at %#x (device_register_power_lock)", phys));
  int rc = 0;
  if (!m.CallEl2(d.power_lock_cb, cpu, &rc, reinterpret_cast<void*>(d.power_lock_cookie), lock))
    return Status(-EIO, absl::StrCat("the power lock callback panicked the hypervisor: ",
                                     m.panic_report));
  // The core hyp event power_lock(vm, device, lock, ret) records each request.
  m.trace->EmitPowerLock(cpu, handle, phys, lock, rc);
  return rc;
}

Status Hypervisor::AssignDevice(uint64_t phys, uint16_t handle, int cpu) {
  Impl& m = *impl_;
  mem::MemoryState& s = m.memory;
  if (Status st = CheckBootedCpu(m, cpu); !st.ok()) return st;
  auto dev = s.devices.find(phys >> kPageShift);
  if (phys % kPage != 0 || dev == s.devices.end())
    return Status(-ENODEV, absl::StrFormat("no device has its MMIO base at %#x", phys));
  mem::Device& d = dev->second;
  if (s.guests.count(handle) == 0)
    return Status(-EINVAL, absl::StrFormat("no guest has handle %#x", handle));
  if (d.assigned_to != 0)
    return Status(-EBUSY, absl::StrFormat("the device at %#x is assigned to guest %#x", phys,
                                          d.assigned_to));
  for (uint64_t p = d.base_pfn; p < d.base_pfn + d.nr_pages; ++p) {
    const mem::PageRec r = s.pages.Rec(p);
    if (r.owner != PageOwner::kHost || r.host != PkvmPageState::kOwned || r.module_owned)
      return Status(-EPERM, absl::StrFormat("the device's page is not the host's alone: %s",
                                            s.pages.State(p).ToString()));
  }
  if (d.reset_cb != 0) {
    // Scrub the device and quiesce its DMA before the guest gets it.
    int rc = 0;
    if (!m.CallEl2(d.reset_cb, cpu, &rc, reinterpret_cast<void*>(d.cookie), true))
      return Status(-EIO, absl::StrCat("the device reset callback panicked the hypervisor: ",
                                       m.PanicHeadline()));
    if (rc != 0)
      return Status(rc, absl::StrFormat("the reset callback of the device at %#x returned %d: "
                                        "the device was not assigned",
                                        phys, rc));
  }
  if (int rc = s.pages.HostDonateGuest(d.base_pfn, d.nr_pages, handle); rc != 0)
    return Status(rc, "the device's pages could not be given to the guest");
  for (uint64_t p = d.base_pfn; p < d.base_pfn + d.nr_pages; ++p) s.guests[handle].stage2[p] = p;
  d.assigned_to = handle;
  m.Log(absl::StrFormat("kvm: device at %#x assigned to guest %#x", phys, handle));
  return Status();
}

Status Hypervisor::ReclaimDevice(uint64_t phys, int cpu) {
  Impl& m = *impl_;
  mem::MemoryState& s = m.memory;
  if (Status st = CheckBootedCpu(m, cpu); !st.ok()) return st;
  auto dev = s.devices.find(phys >> kPageShift);
  if (phys % kPage != 0 || dev == s.devices.end())
    return Status(-ENODEV, absl::StrFormat("no device has its MMIO base at %#x", phys));
  mem::Device& d = dev->second;
  if (d.assigned_to == 0)
    return Status(-EINVAL, absl::StrFormat("the device at %#x is not assigned to a guest", phys));
  if (d.reset_cb != 0) {
    // Scrub before the host sees the device again; failure is fatal.
    int rc = 0;
    if (!m.CallEl2(d.reset_cb, cpu, &rc, reinterpret_cast<void*>(d.cookie), false))
      return Status(-EIO, absl::StrCat("the device reset callback panicked the hypervisor: ",
                                       m.PanicHeadline()));
    if (rc != 0) {
      m.HypPanic(absl::StrFormat("device at %#x: reset callback returned %d while returning it "
                                 "from guest %#x to the host",
                                 phys, rc, d.assigned_to),
                 cpu);
      return Status(-EIO, m.PanicHeadline());
    }
  }
  const uint16_t guest = d.assigned_to;
  if (int rc = s.pages.GuestDonateHost(d.base_pfn, d.nr_pages, guest); rc != 0)
    return Status(rc, "the device's pages are not the guest's");
  for (uint64_t p = d.base_pfn; p < d.base_pfn + d.nr_pages; ++p) s.guests[guest].stage2.erase(p);
  d.assigned_to = 0;
  m.Log(absl::StrFormat("kvm: device at %#x returned from guest %#x to the host", phys, guest));
  return Status();
}

}  // namespace pkvm
