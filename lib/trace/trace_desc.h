// File: lib/trace/trace_desc.h
// The descriptor the host builds when it loads the trace buffers, and the
// hypervisor's check of it (include/pkvm/abi/trace.h): Android's
// trace_page_desc / rb_page_desc, or mainline's trace_buffer_desc (with
// struct_len) / ring_buffer_desc. HypTrace builds one at every load and
// initialises the rings from what ParseTraceDesc() accepts, so the layout
// of the machine's flavour is what the buffers really come from.
//
//   std::vector<uint8_t> d = BuildTraceDesc(TracefsFlavor::kUpstream, cpus);
//   absl::StatusOr<std::vector<CpuBufferVa>> back = ParseTraceDesc(flavor, d.data(), d.size(), 2);
#ifndef PKVM_LIB_TRACE_TRACE_DESC_H_
#define PKVM_LIB_TRACE_TRACE_DESC_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "trace/hyp_trace.h"

namespace pkvm::trace {

struct CpuBufferVa {
  int cpu = 0;
  uintptr_t meta = 0;
  std::vector<uintptr_t> pages;  // reader page first
  bool operator==(const CpuBufferVa&) const = default;
};

std::vector<uint8_t> BuildTraceDesc(TracefsFlavor flavor, const std::vector<CpuBufferVa>& cpus);

// The hypervisor's side of the load: -EINVAL for a descriptor that does not
// fit `size` (upstream: struct_len must be what the list really takes), a
// CPU out of range or twice, fewer than 2 pages (a reader page and one ring
// page) or a NULL page.
absl::StatusOr<std::vector<CpuBufferVa>> ParseTraceDesc(TracefsFlavor flavor, const uint8_t* desc,
                                                        size_t size, int nr_cpus);

}  // namespace pkvm::trace

#endif  // PKVM_LIB_TRACE_TRACE_DESC_H_
