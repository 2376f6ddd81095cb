// File: lib/trace/trace_dat.h
// A trace-cmd `trace.dat` of the hypervisor's events, written by libtracecmd
// (Debian's libtracecmd) the way `trace-cmd record` writes one: the header
// files, every event's format under the system "hypervisor", then each CPU's
// raw ring-buffer pages. `trace-cmd report` and KernelShark read it.
//
//   CpuPages pages = hyp_trace.ConsumeAllRaw().value();
//   absl::Status s = WriteTraceDat(hyp_trace, pages, "/tmp/trace.dat");
#ifndef PKVM_LIB_TRACE_TRACE_DAT_H_
#define PKVM_LIB_TRACE_TRACE_DAT_H_

#include <string>

#include "absl/status/status.h"
#include "trace/hyp_trace.h"

namespace pkvm::trace {

// Whether this build links libtracecmd.
bool TraceDatAvailable();

// -EOPNOTSUPP without libtracecmd; -EIO (with libtracecmd's reason where it
// gives one) when the file cannot be written.
absl::Status WriteTraceDat(const HypTrace& t, const CpuPages& pages, const std::string& path);

}  // namespace pkvm::trace

#endif  // PKVM_LIB_TRACE_TRACE_DAT_H_
