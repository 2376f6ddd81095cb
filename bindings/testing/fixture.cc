// File: bindings/testing/fixture.cc
// pkvm::testing's machine handling (include/pkvm/testing/fixture.h): boot a
// suite's machine once, snapshot it, restore it before each test.
#include "pkvm/testing/fixture.h"

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

namespace pkvm::testing {

Module Module::Linked(const pkvm_native_module& module, std::string ko_path) {
  Module m;
  m.linked = &module;
  m.ko_path = std::move(ko_path);
  return m;
}

Module Module::Files(std::string so_path, std::string ko_path) {
  Module m;
  m.so_path = std::move(so_path);
  m.ko_path = std::move(ko_path);
  return m;
}

bool Module::HasBuildFor(BackendKind backend) const {
  if (backend == BackendKind::kUnicorn) return !ko_path.empty();
  return linked != nullptr || !so_path.empty();
}

std::vector<BackendKind> AvailableBackends() {
  std::vector<BackendKind> out;
  for (BackendKind k : {BackendKind::kNative, BackendKind::kUnicorn})
    if (BackendAvailable(k)) out.push_back(k);
  return out;
}

std::vector<BackendKind> AvailableBackends(const std::vector<Module>& modules) {
  std::vector<BackendKind> out;
  for (BackendKind k : AvailableBackends()) {
    bool all = true;
    for (const Module& m : modules) all = all && m.HasBuildFor(k);
    if (all) out.push_back(k);
  }
  return out;
}

std::string TracefsPath(const Hypervisor& hv, const std::string& rel) {
  return hv.tracefs_root() + "/" + rel;
}

std::string TraceEventEnablePath(const Hypervisor& hv, const std::string& event) {
  // A14/A15's hyp/ lists events directly; later layouts group them.
  const std::string root = hv.tracefs_root();
  if (root == "hyp") return "hyp/events/" + event + "/enable";
  return root + "/events/hypervisor/" + event + "/enable";
}

Status EnableTraceEvent(Hypervisor& hv, const std::string& event) {
  if (Status s = hv.TracefsWrite(TracefsPath(hv, "tracing_on"), "1\n"); !s.ok()) return s;
  return hv.TracefsWrite(TraceEventEnablePath(hv, event), "1\n");
}

StatusOr<std::vector<TraceEvent>> ReadTracePipe(Hypervisor& hv) {
  StatusOr<std::string> text = hv.TracefsRead(TracefsPath(hv, "trace_pipe"));
  if (!text.ok()) return text.status();
  std::vector<std::string> bad;
  std::vector<TraceEvent> events = ParseTracePipe(*text, &bad);
  if (!bad.empty()) return Status(-EIO, "not a trace_pipe line: \"" + bad.front() + "\"");
  return events;
}

SuiteMachine::SuiteMachine(MachineConfig config) : config_(std::move(config)) {}
SuiteMachine::~SuiteMachine() = default;

namespace {
std::string WithBootLog(const Status& s, const Hypervisor& hv) {
  std::string log = hv.boot_log();
  return log.empty() ? s.message() : s.message() + "\nboot log:\n" + log;
}
}  // namespace

Status SuiteMachine::BootFresh() {
  hv_.reset();
  StatusOr<std::unique_ptr<Hypervisor>> hv = Hypervisor::Create(config_.options);
  if (!hv.ok()) {
    backend_unsupported_ = hv.status().error() == -EOPNOTSUPP;
    return hv.status();
  }
  std::unique_ptr<Hypervisor> m = std::move(hv).value();
  const char* backend = BackendName(config_.options.backend);
  for (const Module& mod : config_.modules) {
    if (!mod.HasBuildFor(config_.options.backend))
      return Status(-ENOENT, std::string("a module of the config has no build for the ") +
                                 backend + " backend (" +
                                 (config_.options.backend == BackendKind::kUnicorn
                                      ? "give Module::ko_path: the NAME.ko of pkvm_add_module)"
                                      : "give Module::so_path or Module::Linked)"));
    Status s;
    if (config_.options.backend == BackendKind::kUnicorn) {
      s = m->OfferModuleFile(mod.ko_path).status();
    } else if (mod.linked != nullptr) {
      s = m->OfferModule(*mod.linked);
    } else {
      s = m->OfferModuleFile(mod.so_path).status();
    }
    if (!s.ok()) return s;
  }
  boots_++;
  if (Status s = m->Boot(); !s.ok() && !config_.allow_boot_failure)
    return Status(s.error(), "Boot() failed: " + WithBootLog(s, *m));
  for (const std::string& event : config_.trace_events) {
    if (Status s = EnableTraceEvent(*m, event); !s.ok())
      return Status(s.error(), "enabling trace event " + event + ": " + s.message());
  }
  for (const auto& [path, value] : config_.tracefs_writes) {
    if (Status s = m->TracefsWrite(path, value); !s.ok())
      return Status(s.error(), "writing \"" + value + "\" to " + path + ": " + s.message());
  }
  hv_ = std::move(m);
  return Status();
}

Status SuiteMachine::PrepareTest() {
  if (!started_) {
    started_ = true;
    start_status_ = BootFresh();
    if (!start_status_.ok()) return start_status_;
    // A machine that panicked while booting (allow_boot_failure) cannot be
    // snapshotted: each test then gets a fresh boot to look at.
    if (hv_->state() == MachineState::kPanicked) return start_status_;
    StatusOr<Snapshot> snap = hv_->TakeSnapshot();
    if (!snap.ok()) {
      start_status_ = Status(snap.status().error(), "TakeSnapshot() after boot failed: " +
                                                        snap.status().message());
      hv_.reset();
      return start_status_;
    }
    snapshot_ = std::move(snap).value();
    return start_status_;
  }
  if (!start_status_.ok()) return start_status_;
  if (snapshot_.valid()) {
    if (Status s = hv_->RestoreSnapshot(snapshot_); !s.ok())
      return Status(s.error(), "RestoreSnapshot() failed: " + s.message());
    return Status();
  }
  return BootFresh();
}

namespace internal {

void PrepareOrSkip(SuiteMachine& machine) {
  Status s = machine.PrepareTest();
  if (!s.ok() && machine.backend_unsupported()) {
    GTEST_SKIP() << "the " << BackendName(machine.config().options.backend)
                 << " backend cannot run here: " << s.ToString();
  }
  ASSERT_TRUE(s.ok()) << "pkvm::testing could not prepare the machine: " << s.ToString();
}

}  // namespace internal
}  // namespace pkvm::testing
