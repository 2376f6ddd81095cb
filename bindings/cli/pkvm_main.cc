// File: bindings/cli/pkvm_main.cc -- the `pkvm` command.
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli_args.h"
#include "cli_build.h"
#include "cli_dt.h"
#include "pkvm/hypervisor.h"

namespace {

constexpr char kUsage[] = R"(usage: pkvm <command> [options]

Commands:
  run        boot a simulated pKVM machine, load modules, issue hypercalls
  build      build a module directory (Kbuild or BUILD.bazel): pkvm build --help
  version    print the libpkvm version
  help       print this help

pkvm run [--generation 14|15|16|17] [--cpus N] [--cmdline "<kernel cmdline>"]
         [--backend native|unicorn] [--module PATH]... [--time-limit-ms MS]
         [--cpu N] [--hvc ID[:ARG]...]... [--smc ID[:ARG]...]... [-v]
         [--tracefs-write PATH=VALUE]... [--print-trace] [--tracefs-dump DIR]
         [--list-tracefs] [--trace-clock host|manual] [--dtb FILE | --dts FILE]
         [--trace-dat FILE] [--perfetto FILE] [--tracefs-flavor android|upstream]
         [--a16-kmi 0|1|2] [--gdb PORT] [--coverage FILE] [--coverage-drcov FILE]

  --generation G   kernel generation: 14 = android14-6.1, 15 = android15-6.6
                   (default), 16 = android16-6.12, 17 = android17-6.18
                   (PROVISIONAL: its ops table is from pre-release trees)
  --cpus N         number of CPUs (1..64, default 1)
  --cmdline S      kernel command line. kvm-arm.protected_modules=a,b names the
                   modules loaded before deprivilege, in that order; a module
                   offered with --module but not named there is not loaded
                   (pkvm warns)
  --backend B      where module code runs: native (NAME.so, default) or
                   unicorn (NAME.ko, AArch64 code in the Unicorn emulator)
  --module PATH    offer a module (NAME.so built by pkvm_add_module()), as if
                   it were in the initramfs; repeatable
  --a16-kmi L      A16 only: the android16-6.12 KMI level of the ops table,
                   as the module was built (-DPKVM_A16_KMI=L): 0 = the verified
                   table (default), 1 = + device_register_power_lock, 2 = +
                   get_time and guest SMC handlers returning an enum
  --time-limit-ms MS
                   a call into module EL2 code (a hypercall, a callback; on
                   the unicorn backend module_init too) still running after
                   MS milliseconds is stopped as a hyp panic (runaway code);
                   0 = no limit, default 2000
  --hvc ID[:ARG]...
                   after boot, issue an HVC from the host. ID is a host
                   hypercall number (128 = first dynamic one, 0xC6000080)
                   or a 0x-prefixed function id; ARGs go to x1, x2, ...
                   Prints: hvc <fid> -> x0=<hex> and every other register the
                   call changed, e.g. hvc 0xc6000080 -> x0=0x0 x1=0x2a
  --smc ID[:ARG]...
                   after boot, issue an SMC from the host: the modules' host
                   SMC handlers, then EL3 (docs/smc-filter.md). ID is a 32-bit
                   function id (e.g. 0x84000000); prints as --hvc does, then
                   who answered: (handled by a module) or (forwarded to EL3)
  --cpu N          the --hvc and --smc options after it run on CPU N (default
                   0; the line then says "on CPU N")
  -v, --verbose    print x0..x17 after every HVC/SMC, not only what changed
  --tracefs-write PATH=VALUE
                   after boot, before the HVCs, write VALUE to the hypervisor
                   tracefs file PATH as `echo VALUE > PATH` would (with a
                   newline). Paths: hyp/... on A14/A15, e.g.
                   hyp/tracing_on=1, hyp/events/EVENT/enable=1; hypervisor/...
                   on A16, e.g. hypervisor/events/hypervisor/EVENT/enable=1.
                   Repeatable, applied in order. A write the kernel would
                   refuse is an error (exit status 1)
  --list-tracefs   after boot, print every file and directory of the
                   hypervisor's tracefs with its mode (its events included)
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
                   for the Perfetto UI: host calls as duration events per CPU, other
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
  --gdb PORT       unicorn backend: serve gdb-multiarch on 127.0.0.1:PORT (0 =
                   any free port) and wait for it before the first instruction
                   after boot; the boot log prints the port and each module's
                   add-symbol-file command; no time limit (docs/debugging.md)
  --coverage FILE  unicorn backend: at the end, write the module lines that ran
                   (EL1 and EL2) as an lcov tracefile, for genhtml
  --coverage-drcov FILE
                   the same as drcov (version 2) basic blocks

Output: the boot log, the hypervisor's serial output, one line per HVC/SMC;
warnings (pkvm: warning: ...) on stderr.
Exit status: 0 when every named module loaded; 1 when the machine booted with
protected VMs disabled, an HVC/SMC could not be issued or a tracefs operation
failed (the reason is on stderr); 2 for bad usage.

Example:
  pkvm run --generation 15 --cmdline "kvm-arm.protected_modules=pkvm_driver" \
      --module build/examples/pkvm_driver/android15/pkvm_driver.so --hvc 128
  pkvm run --generation 16 --cmdline "kvm-arm.protected_modules=hello_hypercall" \
      --module hello_hypercall.so --tracefs-write hypervisor/tracing_on=1 \
      --tracefs-write hypervisor/events/hypervisor/__hyp_printk/enable=1 \
      --hvc 128 --print-trace
)";

// The module names kvm-arm.protected_modules= lists ('-' and '_' alike, as
// the kernel compares module names).
std::set<std::string> NamedModules(const std::string& cmdline) {
  std::set<std::string> names;
  constexpr absl::string_view kKey = "kvm-arm.protected_modules=";
  for (absl::string_view word : absl::StrSplit(cmdline, ' ', absl::SkipEmpty())) {
    if (!absl::StartsWith(word, kKey)) continue;
    for (absl::string_view n : absl::StrSplit(word.substr(kKey.size()), ',', absl::SkipEmpty()))
      names.insert(absl::StrReplaceAll(n, {{"-", "_"}}));
  }
  return names;
}

// "x0=0x0 x1=0x2a": x0 always, then every register the call changed (all of
// x0..x17 when verbose).
std::string Registers(const user_pt_regs& in, const user_pt_regs& out, bool verbose) {
  std::string text = absl::StrFormat("x0=0x%x", out.regs[0]);
  for (int i = 1; i < 31; ++i) {
    if ((verbose && i <= 17) || in.regs[i] != out.regs[i])
      absl::StrAppendFormat(&text, " x%d=0x%x", i, out.regs[i]);
  }
  return text;
}

// Every entry under `dir`, depth first, as "MODE PATH" ("/" after a directory).
pkvm::Status ListTracefs(pkvm::Hypervisor& hv, const std::string& dir) {
  auto entries = hv.TracefsList(dir);
  if (!entries.ok()) return entries.status();
  for (const pkvm::TracefsEntry& e : *entries) {
    const std::string path = absl::StrCat(dir, "/", e.name);
    std::printf("  %04o %s%s\n", e.mode, path.c_str(), e.is_dir ? "/" : "");
    if (e.is_dir) {
      if (pkvm::Status s = ListTracefs(hv, path); !s.ok()) return s;
    }
  }
  return pkvm::Status();
}

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
  if (!opts.dtb.empty() || !opts.dts.empty()) {
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
  std::vector<std::pair<std::string, std::string>> offered;  // name, path
  for (const std::string& path : opts.modules) {
    auto name = hv.OfferModuleFile(path);
    if (!name.ok()) {
      std::fprintf(stderr, "pkvm: %s\n", name.status().ToString().c_str());
      return 2;
    }
    offered.emplace_back(*name, path);
  }
  const pkvm::Status boot = hv.Boot();
  size_t log_printed = 0;
  auto print_log = [&] {  // the boot log grows (hyp_trace_printk mirrors events)
    const std::string log = hv.boot_log();
    std::fputs(log.c_str() + log_printed, stdout);
    log_printed = log.size();
  };
  print_log();
  // The kernel loads only the modules the command line names: an offered
  // module it skips is silent there, and its hypercalls answer
  // NOT_SUPPORTED. Say so before the HVC lines show it.
  const std::set<std::string> named = NamedModules(opts.machine.cmdline);
  for (const auto& [name, path] : offered) {
    if (named.count(absl::StrReplaceAll(name, {{"-", "_"}})) == 0)
      std::fprintf(stderr,
                   "pkvm: warning: module %s (%s) was offered but not loaded: "
                   "kvm-arm.protected_modules= does not name it (add it to --cmdline, e.g. "
                   "--cmdline \"kvm-arm.protected_modules=%s\")\n",
                   name.c_str(), path.c_str(), name.c_str());
  }
  std::string failure;
  if (!boot.ok()) failure = boot.ToString();
  if (opts.list_tracefs && hv.state() == pkvm::MachineState::kDeprivileged) {
    const std::string root = hv.tracefs_root();  // hyp/, hypervisor/ or remotes/hypervisor/
    std::printf("tracefs:\n  0555 %s/\n", root.c_str());
    if (pkvm::Status s = ListTracefs(hv, root); !s.ok()) {
      std::printf("tracefs list -> failed: %s\n", s.ToString().c_str());
      if (failure.empty()) failure = s.ToString();
    }
  }
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
      const std::string call =
          absl::StrFormat("%s 0x%x%s", req.smc ? "smc" : "hvc", req.function_id,
                          req.cpu != 0 ? absl::StrCat(" on CPU ", req.cpu) : "");
      pkvm::StatusOr<pkvm::HvcResult> r = pkvm::HvcResult{};
      std::string who;
      if (req.smc) {
        auto smc = hv.HostSmc(regs, req.cpu);
        if (smc.ok()) {
          r = smc->result;
          who = smc->handled_by_module   ? " (handled by a module)"
                : smc->forwarded_to_el3 ? " (forwarded to EL3)"
                                        : " (answered by pKVM)";
        } else {
          r = smc.status();
        }
      } else {
        r = hv.HostHvc(regs, req.cpu);
      }
      print_log();
      if (!r.ok()) {
        std::printf("%s -> failed: %s\n", call.c_str(), r.status().ToString().c_str());
        if (failure.empty()) failure = r.status().ToString();
        break;
      }
      std::printf("%s -> %s%s\n", call.c_str(), Registers(regs, r->regs, opts.verbose).c_str(),
                  who.c_str());
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
      // Name the output when there is one (the message names the path).
      const int asked = opts.print_trace + !opts.tracefs_dump.empty() + !opts.trace_dat.empty() +
                        !opts.perfetto.empty();
      const char* what_failed = asked > 1                    ? "trace export"
                                : !opts.tracefs_dump.empty() ? "tracefs dump"
                                : !opts.trace_dat.empty()    ? "trace.dat"
                                : !opts.perfetto.empty()     ? "perfetto"
                                                             : "trace_pipe";
      std::printf("%s -> failed: %s\n", what_failed, text.status().ToString().c_str());
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
  // Line by line, so the output interleaves with stderr's warnings in order
  // and a run that hangs or dies has shown everything before it.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
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
  if (args[0] == "build") return pkvm::cli::Build({args.begin() + 1, args.end()});
  std::fprintf(stderr, "pkvm: unknown command '%s' (see pkvm --help)\n", args[0].c_str());
  return 2;
}
