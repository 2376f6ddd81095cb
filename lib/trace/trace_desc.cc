// File: lib/trace/trace_desc.cc
#include "trace/trace_desc.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "pkvm/abi/trace.h"
#include "status_internal.h"

namespace pkvm::trace {

using ::pkvm::internal::ErrnoError;

namespace {

// Both per-CPU layouts are {int cpu; 32-bit count; unsigned long meta;
// unsigned long page_va[]} -- only the header differs.
size_t HeaderSize(TracefsFlavor f) {
  return f == TracefsFlavor::kUpstream ? offsetof(trace_buffer_desc, __data)
                                       : offsetof(trace_page_desc, __data);
}

size_t CpuDescSize(size_t nr_pages) {
  return offsetof(ring_buffer_desc, page_va) + nr_pages * sizeof(unsigned long);
}

static_assert(offsetof(ring_buffer_desc, page_va) == offsetof(rb_page_desc, page_va));

}  // namespace

std::vector<uint8_t> BuildTraceDesc(TracefsFlavor flavor, const std::vector<CpuBufferVa>& cpus) {
  size_t size = HeaderSize(flavor);
  for (const CpuBufferVa& c : cpus) size += CpuDescSize(c.pages.size());
  std::vector<uint8_t> out(size, 0);
  const int nr_cpus = static_cast<int>(cpus.size());
  std::memcpy(out.data(), &nr_cpus, sizeof nr_cpus);
  if (flavor == TracefsFlavor::kUpstream) {
    const size_t len = size;
    std::memcpy(out.data() + offsetof(trace_buffer_desc, struct_len), &len, sizeof len);
  }
  size_t off = HeaderSize(flavor);
  for (const CpuBufferVa& c : cpus) {
    const uint32_t nr = static_cast<uint32_t>(c.pages.size());
    const unsigned long meta = c.meta;
    std::memcpy(out.data() + off + offsetof(ring_buffer_desc, cpu), &c.cpu, sizeof c.cpu);
    std::memcpy(out.data() + off + offsetof(ring_buffer_desc, nr_page_va), &nr, sizeof nr);
    std::memcpy(out.data() + off + offsetof(ring_buffer_desc, meta_va), &meta, sizeof meta);
    for (size_t i = 0; i < c.pages.size(); ++i) {
      const unsigned long va = c.pages[i];
      std::memcpy(out.data() + off + offsetof(ring_buffer_desc, page_va) + i * sizeof va, &va,
                  sizeof va);
    }
    off += CpuDescSize(c.pages.size());
  }
  return out;
}

absl::StatusOr<std::vector<CpuBufferVa>> ParseTraceDesc(TracefsFlavor flavor, const uint8_t* desc,
                                                        size_t size, int nr_cpus) {
  const size_t header = HeaderSize(flavor);
  if (desc == nullptr || size < header)
    return ErrnoError(EINVAL, "trace descriptor smaller than its header");
  int n = 0;
  std::memcpy(&n, desc, sizeof n);
  if (n < 1 || n > nr_cpus)
    return ErrnoError(EINVAL, absl::StrCat("trace descriptor for ", n, " CPUs on a machine with ",
                                           nr_cpus));
  size_t limit = size;
  if (flavor == TracefsFlavor::kUpstream) {
    size_t len = 0;
    std::memcpy(&len, desc + offsetof(trace_buffer_desc, struct_len), sizeof len);
    if (len < header || len > size)
      return ErrnoError(EINVAL, absl::StrCat("trace_buffer_desc.struct_len ", len,
                                             " does not fit the ", size, " bytes given"));
    limit = len;
  }
  std::vector<CpuBufferVa> out;
  std::vector<bool> seen(static_cast<size_t>(nr_cpus));
  size_t off = header;
  for (int i = 0; i < n; ++i) {
    if (off + offsetof(ring_buffer_desc, page_va) > limit)
      return ErrnoError(EINVAL, absl::StrCat("trace descriptor ends inside CPU entry ", i));
    CpuBufferVa c;
    uint32_t nr = 0;
    unsigned long meta = 0;
    std::memcpy(&c.cpu, desc + off + offsetof(ring_buffer_desc, cpu), sizeof c.cpu);
    std::memcpy(&nr, desc + off + offsetof(ring_buffer_desc, nr_page_va), sizeof nr);
    std::memcpy(&meta, desc + off + offsetof(ring_buffer_desc, meta_va), sizeof meta);
    if (flavor == TracefsFlavor::kAndroid && static_cast<int32_t>(nr) < 0)
      return ErrnoError(EINVAL, "rb_page_desc.nr_page_va is negative");
    if (nr < 2 || CpuDescSize(nr) > limit - off)
      return ErrnoError(EINVAL, absl::StrCat("CPU entry ", i, ": ", nr,
                                             " pages do not fit the descriptor (at least 2)"));
    if (c.cpu < 0 || c.cpu >= nr_cpus || seen[static_cast<size_t>(c.cpu)])
      return ErrnoError(EINVAL, absl::StrCat("CPU entry ", i, ": cpu ", c.cpu,
                                             " is out of range or given twice"));
    seen[static_cast<size_t>(c.cpu)] = true;
    c.meta = meta;
    for (uint32_t k = 0; k < nr; ++k) {
      unsigned long va = 0;
      std::memcpy(&va, desc + off + offsetof(ring_buffer_desc, page_va) + k * sizeof va, sizeof va);
      if (va == 0) return ErrnoError(EINVAL, absl::StrCat("CPU ", c.cpu, ": page ", k, " is NULL"));
      c.pages.push_back(va);
    }
    if (c.meta == 0) return ErrnoError(EINVAL, absl::StrCat("CPU ", c.cpu, ": no meta page"));
    out.push_back(std::move(c));
    off += CpuDescSize(nr);
  }
  if (flavor == TracefsFlavor::kUpstream && off != limit)
    return ErrnoError(EINVAL, absl::StrCat("trace_buffer_desc.struct_len ", limit,
                                           " is not the size of its entries (", off, ")"));
  return out;
}

}  // namespace pkvm::trace
