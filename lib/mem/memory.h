// File: lib/mem/memory.h
// Everything the simulated hypervisor knows about memory, guests and devices,
// kept in Hypervisor::Impl::memory: the page-ownership model, the hyp_alloc
// heap, the IOMMU page pools, per-CPU fixmap slots and host requests, early
// linear maps, private mappings, guests (stage-2 and SMC handlers), devices
// (MMIO regions and their reset callbacks) and the counters of the members
// that have nothing else to change (udelay, cache maintenance, IOTLB syncs).
//
// lib/hyp/hyp_ops.cc calls FillMemoryOps() to put the memory, guest and device
// members into each generation's pkvm_module_ops; lib/hypervisor.cc calls
// FinalizeCheck() from __pkvm_prot_finalize.
#ifndef PKVM_LIB_MEM_MEMORY_H_
#define PKVM_LIB_MEM_MEMORY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mem/el1_alloc.h"
#include "mem/page_model.h"
#include "mem/pools.h"
#include "pkvm/abi/module_ops.h"
#include "pkvm/hypervisor.h"

namespace pkvm::mem {

// MAX_POWER_DOMAINS of the hypervisor's HVC power-domain table (A17).
inline constexpr uint64_t kMaxPowerDomains = 32;

// struct kvm_hyp_req, the request a hypercall hands back to the host, as
// libpkvm lays it out (layout and numbers unverified: docs/memory.md).
inline constexpr uint8_t kHypReqTypeMem = 1;
inline constexpr uint8_t kHypReqTypeMap = 2;
inline constexpr uint8_t kReqMemDestVcpuMemcache = 1;
inline constexpr uint8_t kReqMemDestHypAlloc = 2;
inline constexpr uint8_t kReqMemDestHypIommu = 3;
struct HypReq {
  uint8_t type;
  union {
    struct {
      uint8_t dest;
      int32_t nr_pages;
      int32_t sz_alloc;
    } mem;
    struct {
      uint64_t guest_ipa;
      uint64_t size;
    } map;
  };
};
static_assert(sizeof(HypReq) == 24 && offsetof(HypReq, mem) == 8, "kvm_hyp_req layout");

// struct kvm_iommu_paddr_cache (A15 iommu_flush_unmap_cache).
inline constexpr size_t kIommuPaddrCacheMax = 511;
struct IommuPaddrCache {
  uint16_t ptr;
  uint64_t paddr[kIommuPaddrCacheMax];
  uint64_t pgsize[kIommuPaddrCacheMax];
};

// struct iommu_iotlb_gather (include/linux/iommu.h).
struct IotlbGather {
  unsigned long start;
  unsigned long end;
  size_t pgsize;
  void* freelist_next;
  void* freelist_prev;
  bool queued;
};

struct CpuMemState {
  int alloc_errno = 0;    // hyp_alloc_errno()
  uint8_t missing = 0;    // hyp_alloc_missing_donations()
  bool req_pending = false;
  HypReq req{};           // the request the next hypercall return hands the host
  bool fixmap_used = false;
  uint64_t fixmap_phys = 0;
};

struct EarlyMapping {
  uint64_t phys, size, prot, addr;
};

struct PrivateMapping {
  uint64_t phys, size, prot, haddr;
};

struct Guest {
  std::map<uint64_t, uint64_t> stage2;  // ipa pfn -> pfn
  uint64_t smc_handler = 0;             // A15: registered for this guest
};

struct Device {
  uint64_t base_pfn = 0, nr_pages = 0;
  uint64_t reset_cb = 0;   // device_register_reset()
  uint64_t cookie = 0;
  uint64_t power_lock_cb = 0;      // device_register_power_lock() (A16 KMI >= 1)
  uint64_t power_lock_cookie = 0;
  uint16_t assigned_to = 0;  // guest handle, 0 = the host has it
};

struct MemoryState {
  MemoryState(uint64_t ram_base, uint64_t ram_size, int cpus)
      : pages(ram_base, ram_size), cpu(static_cast<size_t>(cpus)) {
    el1_pages.Init(ram_base >> 12, (ram_base + ram_size) >> 12);
  }
  MemoryState() : MemoryState(0, 0, 0) {}  // a machine snapshot's, before it is assigned

  PageModel pages;
  HypHeap heap;
  PagePool iommu_pool, iommu_atomic_pool;
  std::vector<CpuMemState> cpu;
  bool fixblock_used = false;
  uint64_t fixblock_phys = 0;
  std::vector<EarlyMapping> early;
  std::vector<PrivateMapping> priv;
  std::map<uint16_t, Guest> guests;
  uint16_t next_guest_handle = 0x1000;  // pKVM handles start at HANDLE_OFFSET
  std::map<uint64_t, Device> devices;   // every MMIO region, by base pfn
  uint64_t guest_smc_handler = 0;       // A16: one handler for every guest
  // A16 KMI >= 2: up to 16 handlers returning enum pkvm_smc_handler_ret.
  std::vector<uint64_t> guest_smc_chain;
  uint64_t trng_ops = 0;                // const struct pkvm_module_trng_ops *
  // A17 init_hvc_pd(): {struct kvm_power_domain *, const kvm_power_domain_ops *}
  // by device id (lib/hyp/hyp_ops_a17.cc).
  std::array<std::pair<uint64_t, uint64_t>, kMaxPowerDomains> hvc_pd{};
  uint64_t pviommu_drv = 0;  // A17 iommu_register_pviommu_drv()
  std::vector<uint64_t> iommus;         // iommu_init_device()
  std::map<uint64_t, uint64_t> iommu_snapshots;  // domain -> host pages mapped
  uint64_t udelay_us = 0;
  uint64_t dcache_flushes = 0;
  uint64_t iotlb_syncs = 0;
  // The host kernel's allocator behind kmalloc and
  // alloc_pages in EL1 module code (lib/host/kernel_mem.cc).
  El1PageAllocator el1_pages;
};

// Fills the memory, guest and device members of a generation's table.
template <typename Ops>
void FillMemoryOps(Ops& ops);
extern template void FillMemoryOps(pkvm_module_ops_a14&);
extern template void FillMemoryOps(pkvm_module_ops_a15&);
extern template void FillMemoryOps(pkvm_module_ops_a16&);
extern template void FillMemoryOps(pkvm_module_ops_a17&);

// __pkvm_prot_finalize: -EBUSY (and a boot-log line) while linear_map_early()
// mappings are left; 0 otherwise.
int FinalizeCheck(Hypervisor::Impl& m);
// "phys 0x..+0x.." for each mapping linear_map_early() left behind.
std::string EarlyMappingsLeft(const Hypervisor::Impl& m);

// Where the bytes of physical address `phys` are in this process (RAM or a
// device's registers); nullptr when nothing is there.
uint8_t* PhysToPtr(Hypervisor::Impl& m, uint64_t phys);

// The syndrome of one load or store of 2^sas bytes to/from register srt
// (ESR_ELx ISV/SAS/SSE/SRT/SF), when the architecture reports it.
struct AccessSyndrome {
  unsigned sas = 0;
  unsigned srt = 0;
  bool sse = false;  // sign-extending load
  bool sf = false;   // 64-bit register
};
// ESR_EL2 of a host data abort: EC = DABT_LOW, IL, WnR, a level-3
// translation or permission fault, and the access syndrome when known.
uint64_t HostDabtEsr(bool write, bool permission, const AccessSyndrome* access = nullptr);
// The physical address behind a pointer PhysToPtr() handed out; false when
// `p` is neither in RAM nor in a device.
bool PtrToPhys(const Hypervisor::Impl& m, const void* p, uint64_t* phys);

}  // namespace pkvm::mem

#endif  // PKVM_LIB_MEM_MEMORY_H_
