// File: lib/trace/perfetto.h
// The hypervisor's events in the Chrome JSON trace-event format, which the
// Perfetto UI (ui.perfetto.dev) and chrome://tracing open: one process
// "pKVM hypervisor", one thread per CPU; each host call into the hypervisor
// (hyp_enter .. hyp_exit) a complete duration event ("ph": "X", a span in
// the Perfetto UI) named after the host_hcall / host_smc / host_mem_abort event inside it; every other event
// (module events, __hyp_printk, ...) an instant ("ph": "i") with the text
// `trace` prints for it. Encoded with nlohmann::json.
//
//   std::string json = PerfettoJson(hyp_trace, hyp_trace.ConsumeAllRaw().value());
#ifndef PKVM_LIB_TRACE_PERFETTO_H_
#define PKVM_LIB_TRACE_PERFETTO_H_

#include <string>

#include "absl/status/status.h"
#include "trace/hyp_trace.h"

namespace pkvm::trace {

std::string PerfettoJson(const HypTrace& t, const CpuPages& pages);
absl::Status WritePerfetto(const HypTrace& t, const CpuPages& pages, const std::string& path);

}  // namespace pkvm::trace

#endif  // PKVM_LIB_TRACE_PERFETTO_H_
