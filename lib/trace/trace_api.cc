// File: lib/trace/trace_api.cc
// Hypervisor's tracing outputs for standard tools (trace.dat, Perfetto) and
// the tracefs flavour choice.
#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "machine.h"
#include "pkvm/hypervisor.h"
#include "status_internal.h"
#include "trace/hyp_trace.h"
#include "trace/perfetto.h"
#include "trace/trace_dat.h"
#include "trace/tracefs.h"

namespace pkvm {

using ::pkvm::internal::ErrnoError;

const char* TracefsFlavorName(TracefsFlavor flavor) {
  switch (flavor) {
    case TracefsFlavor::kDefault: return "default";
    case TracefsFlavor::kAndroid: return "android";
    case TracefsFlavor::kUpstream: return "upstream";
  }
  return "unknown";
}

StatusOr<TracefsFlavor> ParseTracefsFlavor(const std::string& name) {
  if (name == "android") return TracefsFlavor::kAndroid;
  if (name == "upstream") return TracefsFlavor::kUpstream;
  if (name == "default") return TracefsFlavor::kDefault;
  return Status(-EINVAL, absl::StrCat("unknown tracefs flavour \"", name,
                                      "\": use \"android\", \"upstream\" or \"default\""));
}

TracefsFlavor DefaultTracefsFlavor(Generation generation) {
  // A14-A16 kernels have Android's hyp tracing; later generations follow
  // mainline's trace remotes (docs/abi-decisions.md).
  return GenerationNumber(generation) <= 16 ? TracefsFlavor::kAndroid : TracefsFlavor::kUpstream;
}

namespace {

absl::Status CheckTraceReadable(const Hypervisor::Impl& m) {
  if (absl::Status s = m.CheckRunnable(); !s.ok()) return s;
  if (m.state == MachineState::kCreated)
    return ErrnoError(ENODEV, "the hypervisor's trace buffers appear when pKVM initialises: call "
                              "Boot() first");
  return absl::OkStatus();
}

}  // namespace

TracefsFlavor Hypervisor::tracefs_flavor() const {
  return impl_->trace->flavor() == trace::TracefsFlavor::kUpstream ? TracefsFlavor::kUpstream
                                                                   : TracefsFlavor::kAndroid;
}

std::string Hypervisor::tracefs_root() const { return impl_->tracefs->root(); }

StatusOr<std::string> Hypervisor::ExportTrace(const TraceExport& what) {
  if (absl::Status s = CheckTraceReadable(*impl_); !s.ok()) return internal::ToPublic(s);
  if (!what.text && what.tracefs_dir.empty() && what.trace_dat.empty() && what.perfetto.empty())
    return std::string();  // nothing asked: nothing consumed
  if (!what.trace_dat.empty() && !trace::TraceDatAvailable())
    return internal::ToPublic(trace::WriteTraceDat(*impl_->trace, {}, what.trace_dat));
  trace::HypTrace& t = *impl_->trace;
  absl::StatusOr<trace::CpuPages> read = t.ConsumeAllRaw();
  if (!read.ok()) return internal::ToPublic(read.status());
  const trace::CpuPages& pages = *read;
  absl::Status status = absl::OkStatus();
  auto keep_first = [&status](absl::Status s) {
    if (status.ok()) status = std::move(s);
  };
  if (!what.tracefs_dir.empty()) keep_first(impl_->tracefs->DumpPages(what.tracefs_dir, pages));
  if (!what.trace_dat.empty()) keep_first(trace::WriteTraceDat(t, pages, what.trace_dat));
  if (!what.perfetto.empty()) keep_first(trace::WritePerfetto(t, pages, what.perfetto));
  std::string text = what.text ? t.FormatRawPages(pages) : std::string();
  t.MaybeTeardown();  // closing trace_pipe_raw
  if (!status.ok()) return internal::ToPublic(status);
  return text;
}

Status Hypervisor::WriteTraceDat(const std::string& path) {
  if (path.empty()) return Status(-EINVAL, "WriteTraceDat: give a file name");
  TraceExport e;
  e.trace_dat = path;
  auto r = ExportTrace(e);
  return r.ok() ? Status() : r.status();
}

Status Hypervisor::WritePerfetto(const std::string& path) {
  if (path.empty()) return Status(-EINVAL, "WritePerfetto: give a file name");
  TraceExport e;
  e.perfetto = path;
  auto r = ExportTrace(e);
  return r.ok() ? Status() : r.status();
}

}  // namespace pkvm
