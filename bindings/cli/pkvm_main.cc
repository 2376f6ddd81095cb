// File: bindings/cli/pkvm_main.cc -- the `pkvm` command.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli_args.h"
#include "cli_dt.h"
#include "pkvm/hypervisor.h"

namespace {

constexpr char kUsage[] = R"(usage: pkvm <command> [options]

Commands:
  run        boot a simulated pKVM machine, load modules, issue hypercalls
  version    print the libpkvm version
  help       print this help

pkvm run [--generation 14|15|16] [--cpus N] [--cmdline "<kernel cmdline>"]
         [--backend native|unicorn] [--module PATH]... [--hvc ID[:ARG]...]...
         [--tracefs-write PATH=VALUE]... [--print-trace] [--tracefs-dump DIR]
         [--trace-clock host|manual] [--dtb FILE | --dts FILE]
         [--trace-dat FILE] [--perfetto FILE] [--tracefs-flavor android|upstream]

  --generation G   kernel generation: 14 = android14-6.1, 15 = android15-6.6
                   (default), 16 = android16-6.12
  --cpus N         number of CPUs (1..64, default 1)
  --cmdline S      kernel command line. kvm-arm.protected_modules=a,b names the
                   modules loaded before deprivilege, in that order; a module
                   offered with --module but not named there is not loaded
  --backend B      where module code runs: native (NAME.so, default) or
                   unicorn (NAME.ko, AArch64 code in the Unicorn emulator)
  --module PATH    offer a module (NAME.so built by pkvm_add_module()), as if
                   it were in the initramfs; repeatable
  --hvc ID[:ARG]...
                   after boot, issue an HVC from the host on CPU 0. ID is a
                   host hypercall number (128 = first dynamic one, 0xC6000080)
                   or a 0x-prefixed function id; ARGs go to x1, x2, ...
                   Prints: hvc <fid> -> x0=<hex> x1=<hex> x2=<hex> x3=<hex>
  --tracefs-write PATH=VALUE
                   after boot, before the HVCs, write VALUE to the hypervisor
                   tracefs file PATH as `echo VALUE > PATH` would (with a
                   newline; hypervisor/... on A16, hyp/... before),
                   e.g. hypervisor/events/hypervisor/host_hcall/enable=1;
                   repeatable, applied in order. A write the kernel would
                   refuse is an error (exit status 1)
  --print-trace    after the HVCs, print trace_pipe (all CPUs, by timestamp)
  --tracefs-dump DIR
                   after the HVCs, write the whole hypervisor tracefs tree into
                   DIR (format files, header_page, per-CPU trace_pipe_raw
                   pages and their text as `trace`), for libtraceevent readers
  --trace-clock C  host (default): timestamps from the CPU counter; manual: all
                   timestamps 0, for byte-exact comparisons
  --trace-dat FILE after the HVCs, write the trace as a trace-cmd trace.dat
                   (`trace-cmd report FILE`, KernelShark)
  --perfetto FILE  after the HVCs, write the trace as Chrome JSON trace events
                   for the Perfetto UI: host calls as slices per CPU, other
                   events as instants
                   --print-trace, --tracefs-dump, --trace-dat and --perfetto
                   all show the same events, read once
  --tracefs-flavor F
                   android: the hyp/ or hypervisor/ tracefs of Android kernels;
                   upstream: mainline's remotes/hypervisor/ (Linux 7.1 trace
                   remotes). Default: android for 14-16
  --dtb FILE       describe the machine with a flattened device tree: EL1
                   module code reads it with of_*; every "arm,pl011" node with
                   a reg gets an emulated PL011 whose output is the serial
                   output (docs/devices.md)
  --dts FILE       the same from device-tree source, compiled with `dtc`

Output: the boot log, the hypervisor's serial output, one line per HVC.
Exit status: 0 when every named module loaded; 1 when the machine booted with
protected VMs disabled or an HVC could not be issued (the reason is on
stderr); 2 for bad usage.

Example:
  pkvm run --generation 15 --cmdline "kvm-arm.protected_modules=pkvm_driver" \
      --module build/examples/pkvm_driver/android15/pkvm_driver.so --hvc 128
  pkvm run --generation 16 --cmdline "kvm-arm.protected_modules=hello_hypercall" \
      --module hello_hypercall.so --tracefs-write hypervisor/tracing_on=1 \
      --tracefs-write hypervisor/events/hypervisor/__hyp_printk/enable=1 \
      --hvc 128 --print-trace
)";

int Run(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  pkvm::cli::RunOptions opts;
  std::string error;
  if (!pkvm::cli::ParseRunArgs(args, &opts, &error)) {
    std::fprintf(stderr, "pkvm: %s\n", error.c_str());
    return 2;
  }
  auto hv_or = pkvm::Hypervisor::Create(opts.machine);
  if (!hv_or.ok()) {
    std::fprintf(stderr, "pkvm: %s\n", hv_or.status().ToString().c_str());
    return 2;
  }
  pkvm::Hypervisor& hv = **hv_or;
  if (!opts.dtb.empty() || !opts.dts.empty()) {  // uart slice
    std::vector<uint8_t> dtb;
    if (!pkvm::cli::LoadDeviceTree(opts.dtb, opts.dts, &dtb, &error)) {
      std::fprintf(stderr, "pkvm: %s\n", error.c_str());
      return 2;
    }
    if (pkvm::Status s = hv.SetDeviceTree(std::move(dtb)); !s.ok()) {
      std::fprintf(stderr, "pkvm: %s: %s\n", (opts.dtb.empty() ? opts.dts : opts.dtb).c_str(),
                   s.ToString().c_str());
      return 2;
    }
  }
  for (const std::string& path : opts.modules) {
    auto name = hv.OfferModuleFile(path);
    if (!name.ok()) {
      std::fprintf(stderr, "pkvm: %s\n", name.status().ToString().c_str());
      return 2;
    }
  }
  const pkvm::Status boot = hv.Boot();
  size_t log_printed = 0;
  auto print_log = [&] {  // the boot log grows (hyp_trace_printk mirrors events)
    const std::string log = hv.boot_log();
    std::fputs(log.c_str() + log_printed, stdout);
    log_printed = log.size();
  };
  print_log();
  std::string failure;
  if (!boot.ok()) failure = boot.ToString();
  if (hv.state() == pkvm::MachineState::kDeprivileged) {
    for (const auto& [path, value] : opts.tracefs_writes) {
      // As `echo VALUE > PATH` writes it: with a trailing newline.
      const std::string data = value.empty() || value.back() != '\n' ? value + "\n" : value;
      if (pkvm::Status s = hv.TracefsWrite(path, data); !s.ok()) {
        std::printf("tracefs write %s=%s -> failed: %s\n", path.c_str(), value.c_str(),
                    s.ToString().c_str());
        if (failure.empty()) failure = s.ToString();
      }
    }
  }
  if (hv.state() == pkvm::MachineState::kDeprivileged) {
    for (const pkvm::cli::HvcRequest& req : opts.hvcs) {
      user_pt_regs regs{};
      regs.regs[0] = req.function_id;
      for (size_t i = 0; i < req.args.size(); ++i) regs.regs[i + 1] = req.args[i];
      auto r = hv.HostHvc(regs);
      if (!r.ok()) {
        std::printf("hvc 0x%llx -> failed: %s\n", static_cast<unsigned long long>(req.function_id),
                    r.status().ToString().c_str());
        if (failure.empty()) failure = r.status().ToString();
        break;
      }
      std::printf("hvc 0x%llx -> x0=0x%llx x1=0x%llx x2=0x%llx x3=0x%llx\n",
                  static_cast<unsigned long long>(req.function_id),
                  static_cast<unsigned long long>(r->x(0)), static_cast<unsigned long long>(r->x(1)),
                  static_cast<unsigned long long>(r->x(2)), static_cast<unsigned long long>(r->x(3)));
      print_log();
    }
  }
  print_log();
  if (opts.print_trace || !opts.tracefs_dump.empty() || !opts.trace_dat.empty() ||
      !opts.perfetto.empty()) {
    // One read of the buffers for every output, so each shows the same events
    // (reading trace_pipe first would leave nothing for the others).
    pkvm::TraceExport what;
    what.text = opts.print_trace;
    what.tracefs_dir = opts.tracefs_dump;
    what.trace_dat = opts.trace_dat;
    what.perfetto = opts.perfetto;
    auto text = hv.ExportTrace(what);
    if (text.ok()) {
      if (opts.print_trace) std::printf("trace_pipe:\n%s", text->c_str());
    } else {
      std::printf("trace export -> failed: %s\n", text.status().ToString().c_str());
      if (failure.empty()) failure = text.status().ToString();
    }
  }
  if (std::string serial = hv.serial_output(); !serial.empty()) {
    std::erase(serial, '\r');  // hyp_puts ends lines with "\n\r"
    std::printf("serial:\n");
    for (absl::string_view line : absl::StrSplit(serial, '\n', absl::SkipEmpty()))
      std::printf("  %.*s\n", static_cast<int>(line.size()), line.data());
  }
  std::fflush(stdout);
  if (!failure.empty()) {
    std::fprintf(stderr, "pkvm: %s\n", failure.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::printf("pkvm %s\n", PKVM_VERSION_STRING);
    return 0;
  }
  if (args[0] == "run") return Run({args.begin() + 1, args.end()});
  std::fprintf(stderr, "pkvm: unknown command '%s' (see pkvm --help)\n", args[0].c_str());
  return 2;
}
