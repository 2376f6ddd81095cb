// File: bindings/python/pkvm_py.cc
// pkvm._pkvm: the low-level pybind11 layer over pkvm::Hypervisor. The public
// Python API (argument checks, register objects, trace events, tracefs
// object) is bindings/python/pkvm/__init__.py; this file only converts
// types and turns pkvm::Status errors into pkvm.Error (an OSError whose
// errno is the positive kernel errno and whose strerror is "-EINVAL: ...").
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "pkvm/hypervisor.h"
#include "pkvm/page_state.h"
#include "pkvm/status.h"

namespace py = pybind11;

namespace {

PyObject* g_error = nullptr;  // pkvm._pkvm.Error, a new reference kept for the process

struct PkvmError {
  int err;  // negative
  std::string message;
};

class Machine {
 public:
  Machine(int generation, int cpus, const std::string& cmdline, const std::string& backend,
          uint64_t ram_size, const std::string& trace_clock,
          const std::string& tracefs_flavor = "default", int gdb_port = -1,
          const std::string& coverage = "", const std::string& coverage_drcov = "") {
    pkvm::HypervisorOptions o;
    if (!pkvm::IsValidGeneration(generation))
      throw PkvmError{-EINVAL, "-EINVAL: unknown generation " + std::to_string(generation) +
                                   " (14, 15, 16 or 17)"};
    o.generation = static_cast<pkvm::Generation>(generation);
    o.cpus = cpus;
    o.cmdline = cmdline;
    auto kind = pkvm::ParseBackend(backend);
    if (!kind.ok()) throw PkvmError{kind.status().error(), kind.status().ToString()};
    o.backend = *kind;
    o.ram_size = ram_size;
    if (trace_clock == "manual") {
      o.trace_clock = pkvm::TraceClockSource::kManual;
    } else if (trace_clock == "host") {
      o.trace_clock = pkvm::TraceClockSource::kHost;
    } else {
      throw PkvmError{-EINVAL, "-EINVAL: unknown trace clock \"" + trace_clock +
                                   "\" (\"host\" or \"manual\")"};
    }
    auto flavor = pkvm::ParseTracefsFlavor(tracefs_flavor);
    if (!flavor.ok()) throw PkvmError{flavor.status().error(), flavor.status().ToString()};
    o.tracefs_flavor = *flavor;
    o.gdb_port = gdb_port;
    o.coverage_lcov = coverage;
    o.coverage_drcov = coverage_drcov;
    auto hv = pkvm::Hypervisor::Create(o);
    if (!hv.ok()) throw PkvmError{hv.status().error(), hv.status().ToString()};
    hv_ = std::move(hv).value();
  }

  void close() { hv_.reset(); }
  bool closed() const { return hv_ == nullptr; }

  std::string offer_module(const std::string& path) { return Value(hv().OfferModuleFile(path)); }
  void boot() { Check(hv().Boot()); }

  std::vector<uint64_t> hvc(const std::vector<uint64_t>& regs, int cpu) {
    return FromRegs(Value(hv().HostHvc(ToRegs(regs), cpu)).regs);
  }
  std::tuple<std::vector<uint64_t>, bool, bool> smc(const std::vector<uint64_t>& regs, int cpu) {
    pkvm::HostSmcResult r = Value(hv().HostSmc(ToRegs(regs), cpu));
    return {FromRegs(r.result.regs), r.handled_by_module, r.forwarded_to_el3};
  }

  py::bytes tracefs_read(const std::string& path) { return py::bytes(Value(hv().TracefsRead(path))); }
  void tracefs_write(const std::string& path, const std::string& data) {
    Check(hv().TracefsWrite(path, data));
  }
  std::vector<std::tuple<std::string, bool, uint32_t>> tracefs_list(const std::string& dir) {
    std::vector<std::tuple<std::string, bool, uint32_t>> out;
    for (const pkvm::TracefsEntry& e : Value(hv().TracefsList(dir)))
      out.emplace_back(e.name, e.is_dir, e.mode);
    return out;
  }
  void tracefs_dump(const std::string& dir) { Check(hv().TracefsDump(dir)); }
  std::string tracefs_flavor() { return pkvm::TracefsFlavorName(hv().tracefs_flavor()); }
  std::string tracefs_root() { return hv().tracefs_root(); }
  py::bytes export_trace(bool text, const std::string& tracefs_dir, const std::string& trace_dat,
                         const std::string& perfetto) {
    pkvm::TraceExport what;
    what.text = text;
    what.tracefs_dir = tracefs_dir;
    what.trace_dat = trace_dat;
    what.perfetto = perfetto;
    return py::bytes(Value(hv().ExportTrace(what)));
  }
  void advance_trace_clock(uint64_t ns) { hv().AdvanceTraceClock(ns); }

  int inject_host_perm_fault(uint64_t esr, uint64_t addr, int cpu) {
    return Value(hv().InjectHostPermFault(esr, addr, cpu));
  }
  bool inject_host_trap(uint64_t esr, int cpu) { return Value(hv().InjectHostTrap(esr, cpu)); }
  void inject_psci(int what, int cpu) {
    if (what < 0 || what > 2)
      throw PkvmError{-EINVAL, "-EINVAL: unknown PSCI notification " + std::to_string(what)};
    Check(hv().InjectPsci(static_cast<pkvm::PsciNotification>(what), cpu));
  }
  bool inject_serror(int cpu) { return Value(hv().InjectSError(cpu)); }
  void inject_hyp_panic(const std::string& reason, int cpu) {
    Check(hv().InjectHypPanic(reason, cpu));
  }

  py::dict page_state(uint64_t pfn) {
    pkvm::PageState s = hv().page_state(pfn);
    py::dict d;
    d["pfn"] = s.pfn;
    d["kind"] = pkvm::ToString(s.kind);
    d["region"] = s.region;
    d["owner"] = pkvm::ToString(s.owner);
    d["guest"] = s.guest;
    d["host"] = pkvm::ToString(s.host);
    d["hyp"] = pkvm::ToString(s.hyp);
    d["host_prot"] = s.host_prot;
    d["host_prot_modified"] = s.host_prot_modified;
    d["iommu_prot"] = s.iommu_prot;
    d["lazy_pte"] = s.lazy_pte;
    d["pins"] = s.pins;
    d["dma_refs"] = s.dma_refs;
    d["hyp_prot"] = s.hyp_prot;
    d["el2_mappings"] = s.el2_mappings;
    d["hyp_use"] = pkvm::ToString(s.hyp_use);
    d["text"] = s.ToString();
    return d;
  }
  py::bytes host_read(uint64_t phys, size_t len, int cpu) {
    std::string buf(len, '\0');
    Check(hv().host_read(phys, buf.data(), len, cpu));
    return py::bytes(buf);
  }
  void host_write(uint64_t phys, const std::string& data, int cpu) {
    Check(hv().host_write(phys, data.data(), data.size(), cpu));
  }

  // Snapshots are pkvm.Snapshot objects holding the immutable core snapshot.
  pkvm::Snapshot snapshot() { return Value(hv().TakeSnapshot()); }
  void restore(const pkvm::Snapshot& snap) { Check(hv().RestoreSnapshot(snap)); }
  std::string backend() { return pkvm::BackendName(hv().backend()); }

  std::string state() {
    switch (hv().state()) {
      case pkvm::MachineState::kCreated: return "created";
      case pkvm::MachineState::kDeprivileged: return "deprivileged";
      case pkvm::MachineState::kPanicked: return "panicked";
    }
    return "?";
  }
  int generation() { return pkvm::GenerationNumber(hv().generation()); }
  int cpus() { return hv().cpus(); }
  py::bytes boot_log() { return py::bytes(hv().boot_log()); }
  py::bytes serial_output() { return py::bytes(hv().serial_output()); }
  py::bytes panic_report() { return py::bytes(hv().panic_report()); }
  bool protected_vms_enabled() { return hv().protected_vms_enabled(); }
  std::string protected_vms_disabled_reason() { return hv().protected_vms_disabled_reason(); }
  std::vector<std::string> loaded_modules() { return hv().loaded_modules(); }

 private:
  pkvm::Hypervisor& hv() {
    if (hv_ == nullptr) throw py::value_error("the machine is closed");
    return *hv_;
  }

  // A failure on a panicked machine carries the panic report: a fault in
  // module code ends in an exception that says what happened.
  [[noreturn]] void Throw(const pkvm::Status& s) {
    std::string msg = s.ToString();
    if (hv_ != nullptr && hv_->state() == pkvm::MachineState::kPanicked) {
      std::string report = hv_->panic_report();
      if (!report.empty() && msg.find(report) == std::string::npos) msg += "\n" + report;
    }
    throw PkvmError{s.error(), std::move(msg)};
  }
  void Check(const pkvm::Status& s) {
    if (!s.ok()) Throw(s);
  }
  template <typename T>
  T Value(pkvm::StatusOr<T> r) {
    if (!r.ok()) Throw(r.status());
    return std::move(r).value();
  }

  static user_pt_regs ToRegs(const std::vector<uint64_t>& v) {
    if (v.size() != 34) throw py::value_error("a register file is 34 values (x0..x30, sp, pc, pstate)");
    user_pt_regs r{};
    std::memcpy(&r, v.data(), sizeof(r));
    return r;
  }
  static std::vector<uint64_t> FromRegs(const user_pt_regs& r) {
    std::vector<uint64_t> v(34);
    std::memcpy(v.data(), &r, sizeof(r));
    return v;
  }

  std::unique_ptr<pkvm::Hypervisor> hv_;
};

static_assert(sizeof(user_pt_regs) == 34 * sizeof(uint64_t));

}  // namespace

PYBIND11_MODULE(_pkvm, m) {
  m.doc() = "Low-level bindings of libpkvm; use the `pkvm` package instead.";
  m.attr("__version__") = PKVM_VERSION_STRING;

  g_error = PyErr_NewExceptionWithDoc(
      "pkvm.Error",
      "An error of the simulated machine (subclass of OSError): errno is the positive kernel\n"
      "errno, strerror the message (\"-EINVAL: ...\"), with the panic report appended when\n"
      "the machine panicked.",
      PyExc_OSError, nullptr);
  if (g_error == nullptr) throw py::error_already_set();
  Py_INCREF(g_error);  // one reference for the module attribute, one kept here
  m.add_object("Error", py::handle(g_error));
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const PkvmError& e) {
      py::tuple args = py::make_tuple(-e.err, e.message);
      PyErr_SetObject(g_error, args.ptr());
    }
  });

  m.def("backend_available", [](const std::string& name) {
    auto kind = pkvm::ParseBackend(name);
    if (kind.ok()) return true;
    if (kind.status().error() == -EOPNOTSUPP) return false;
    throw PkvmError{kind.status().error(), kind.status().ToString()};
  });

  py::class_<pkvm::Snapshot>(m, "Snapshot")
      .def_property_readonly("valid", &pkvm::Snapshot::valid);

  py::class_<Machine>(m, "Machine")
      .def(py::init<int, int, const std::string&, const std::string&, uint64_t,
                    const std::string&, const std::string&, int, const std::string&,
                    const std::string&>(),
           py::arg("generation"), py::arg("cpus"), py::arg("cmdline"), py::arg("backend"),
           py::arg("ram_size"), py::arg("trace_clock"), py::arg("tracefs_flavor") = "default",
           py::arg("gdb_port") = -1, py::arg("coverage") = "", py::arg("coverage_drcov") = "")
      .def("close", &Machine::close)
      .def_property_readonly("closed", &Machine::closed)
      .def("offer_module", &Machine::offer_module)
      .def("boot", &Machine::boot)
      .def("hvc", &Machine::hvc)
      .def("smc", &Machine::smc)
      .def("tracefs_read", &Machine::tracefs_read)
      .def("tracefs_write", &Machine::tracefs_write)
      .def("tracefs_list", &Machine::tracefs_list)
      .def("tracefs_dump", &Machine::tracefs_dump)
      .def("tracefs_flavor", &Machine::tracefs_flavor)
      .def("tracefs_root", &Machine::tracefs_root)
      .def("export_trace", &Machine::export_trace)
      .def("advance_trace_clock", &Machine::advance_trace_clock)
      .def("inject_host_perm_fault", &Machine::inject_host_perm_fault)
      .def("inject_host_trap", &Machine::inject_host_trap)
      .def("inject_psci", &Machine::inject_psci)
      .def("inject_serror", &Machine::inject_serror)
      .def("inject_hyp_panic", &Machine::inject_hyp_panic)
      .def("page_state", &Machine::page_state)
      .def("host_read", &Machine::host_read)
      .def("host_write", &Machine::host_write)
      .def("state", &Machine::state)
      .def("generation", &Machine::generation)
      .def("cpus", &Machine::cpus)
      .def("boot_log", &Machine::boot_log)
      .def("serial_output", &Machine::serial_output)
      .def("panic_report", &Machine::panic_report)
      .def("protected_vms_enabled", &Machine::protected_vms_enabled)
      .def("protected_vms_disabled_reason", &Machine::protected_vms_disabled_reason)
      .def("loaded_modules", &Machine::loaded_modules)
      .def("snapshot", &Machine::snapshot)
      .def("restore", &Machine::restore)
      .def("backend", &Machine::backend);
}
