// File: lib/snapshot.cc
// Machine snapshots (docs/snapshots.md): what a booted machine is, saved so
// that a test fixture can go back to it before every test instead of booting
// and loading modules again.
//
// A snapshot holds
//  - the hypervisor's and the host kernel's state (PKVM_MACHINE_SNAPSHOT_FIELDS:
//    lifecycle, module lists, EL2 mappings, handler chains, CPU contexts,
//    page ownership, pools, guests, devices' bookkeeping) and the registry;
//  - the machine's RAM and every device's register file, as sparse images
//    (non-zero pages only), which covers all Unicorn module code and data,
//    and every page modules were given;
//  - the writable EL2 pages of native modules (their .hyp.data/.hyp.bss live
//    in the module's shared object, outside RAM);
//  - the tracing settings (SavedState in lib/trace/hyp_trace.h).
// A restore assigns all of it back in place, so addresses the machine handed
// out (RAM, device memory, the trace flags EL2 code points at) stay valid.
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "machine.h"
#include "mem/sparse_image.h"
#include "status_internal.h"
#include "trace/hyp_trace.h"

namespace pkvm {

namespace {
using Impl = Hypervisor::Impl;
template <typename T>
using FieldType = std::remove_cvref_t<T>;
}  // namespace

struct Snapshot::Data {
  uint64_t machine_id = 0;
#define PKVM_SNAPSHOT_MEMBER(f) FieldType<decltype(std::declval<Impl&>().f)> f;
  PKVM_MACHINE_SNAPSHOT_FIELDS(PKVM_SNAPSHOT_MEMBER)
#undef PKVM_SNAPSHOT_MEMBER
  std::vector<uint64_t> registry;  // dynamic HVC handlers, by slot
  trace::HypTrace::SavedState trace;
  mem::SparseImage ram;
  std::vector<mem::SparseImage> mmio;  // in the page model's region order
  // Writable EL2 pages outside RAM (native modules): host page -> bytes.
  std::vector<std::pair<uint64_t, std::unique_ptr<uint8_t[]>>> native_pages;
};

namespace {

// Writable hyp pages whose bytes are not in the machine's RAM.
template <typename F>
void ForEachNativeDataPage(const Impl& m, F&& f) {
  const auto ram = reinterpret_cast<uint64_t>(m.ram);
  for (const auto& [va, page] : m.hyp_pages) {
    if ((page.prot & KVM_PGTABLE_PROT_W) == 0) continue;
    if (page.host_page >= ram && page.host_page < ram + m.ram_size) continue;
    f(page.host_page);
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Snapshot::Data>> Impl::TakeSnapshot() {
  if (state == MachineState::kCreated)
    return internal::ErrnoError(EPERM, "a snapshot needs a booted machine: call Boot() first");
  if (state == MachineState::kPanicked)
    return internal::ErrnoError(
        EIO, absl::StrCat("cannot snapshot a machine that panicked (", PanicHeadline(),
                          "); restore an earlier snapshot instead"));
  if (const ExecContext* c = CurrentContext(); c != nullptr && c->machine == this)
    return internal::ErrnoError(EBUSY, "cannot take a snapshot from inside the machine's own code");

  auto d = std::make_shared<Snapshot::Data>();
  d->machine_id = machine_id;
#define PKVM_SNAPSHOT_SAVE(f) d->f = f;
  PKVM_MACHINE_SNAPSHOT_FIELDS(PKVM_SNAPSHOT_SAVE)
#undef PKVM_SNAPSHOT_SAVE
  d->registry.resize(registry.size());
  for (uint32_t i = 0; i < registry.size(); ++i) d->registry[i] = registry.Lookup(i);
  d->trace = trace->Save();
  d->ram = mem::SparseImage::Capture(ram, ram_size);
  for (const auto& [base, region] : memory.pages.mmio())
    d->mmio.push_back(mem::SparseImage::Capture(region.data.get(), region.nr_pages * kPageSize));
  ForEachNativeDataPage(*this, [&](uint64_t host_page) {
    auto bytes = std::make_unique_for_overwrite<uint8_t[]>(kPageSize);
    std::memcpy(bytes.get(), reinterpret_cast<const void*>(host_page), kPageSize);
    d->native_pages.emplace_back(host_page, std::move(bytes));
  });
  return std::shared_ptr<const Snapshot::Data>(std::move(d));
}

absl::Status Impl::RestoreSnapshot(const Snapshot::Data& d) {
  if (d.machine_id != machine_id)
    return internal::ErrnoError(EINVAL,
                                "the snapshot was taken on another machine: a snapshot can only "
                                "be restored into the Hypervisor that took it");
  if (const ExecContext* c = CurrentContext(); c != nullptr && c->machine == this)
    return internal::ErrnoError(EBUSY,
                                "cannot restore a snapshot from inside the machine's own code");

#define PKVM_SNAPSHOT_RESTORE(f) f = d.f;
  PKVM_MACHINE_SNAPSHOT_FIELDS(PKVM_SNAPSHOT_RESTORE)
#undef PKVM_SNAPSHOT_RESTORE
  HvcRegistry saved;
  for (uint64_t handler : d.registry) saved.Register(handler);
  registry.CopyFrom(saved);

  mem::SparseImage::PageRanges changed;
  d.ram.Restore(ram, ram_size, backend->WantsChangedRam() ? &changed : nullptr);
  size_t i = 0;
  for (const auto& [base, region] : memory.pages.mmio()) {
    if (i < d.mmio.size()) d.mmio[i].Restore(region.data.get(), region.nr_pages * kPageSize);
    ++i;
  }
  for (const auto& [host_page, bytes] : d.native_pages) {
    auto* p = reinterpret_cast<uint8_t*>(host_page);
    if (std::memcmp(p, bytes.get(), kPageSize) != 0) std::memcpy(p, bytes.get(), kPageSize);
  }
  for (auto& [first, end] : changed) {
    first = kRamBase + first * kPageSize;
    end = kRamBase + end * kPageSize;
  }
  backend->Restored(changed);
  return trace->Restore(d.trace);
}

}  // namespace pkvm
