// File: bindings/cli/cli_args.cc -- see cli_args.h.
#include "cli_args.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pkvm/abi/smccc.h"

namespace pkvm::cli {
namespace {

bool ParseU64(absl::string_view s, uint64_t* v) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    return absl::SimpleHexAtoi(s.substr(2), v) && s.size() <= 18;
  if (!s.empty() && s[0] == '-') {
    int64_t n = 0;
    if (!absl::SimpleAtoi(s, &n)) return false;
    *v = static_cast<uint64_t>(n);
    return true;
  }
  return !s.empty() && s[0] != '+' && absl::SimpleAtoi(s, v);
}

bool ParseCallArgs(absl::string_view option, const std::string& text,
                   const std::vector<absl::string_view>& parts, HvcRequest* out,
                   std::string* error);

}  // namespace

bool ParseHvc(const std::string& text, HvcRequest* out, std::string* error) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  out->text = text;
  const absl::string_view id = parts[0];
  uint64_t v = 0;
  if (id.size() > 2 && id[0] == '0' && (id[1] == 'x' || id[1] == 'X')) {
    if (!ParseU64(id, &v) || v > 0xFFFFFFFFull) {
      *error = absl::StrCat("--hvc ", text, ": '", id, "' is not a 32-bit SMCCC function id");
      return false;
    }
    out->function_id = v;
  } else {
    if (id.empty() || id[0] == '-' || !absl::SimpleAtoi(id, &v) || v > 0xFFFF) {
      *error = absl::StrCat("--hvc ", text, ": '", id,
                            "' is neither a host hypercall number (0..65535, e.g. 128) nor a "
                            "0x-prefixed function id (e.g. 0xc6000080)");
      return false;
    }
    out->function_id = PKVM_HOST_SMCCC_ID(v);
  }
  return ParseCallArgs("--hvc", text, parts, out, error);
}

bool ParseSmc(const std::string& text, HvcRequest* out, std::string* error) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  out->text = text;
  out->smc = true;
  uint64_t v = 0;
  if (!ParseU64(parts[0], &v) || parts[0][0] == '-' || v > 0xFFFFFFFFull) {
    *error = absl::StrCat("--smc ", text, ": '", parts[0],
                          "' is not a 32-bit SMCCC function id (e.g. 0x84000000)");
    return false;
  }
  out->function_id = v;
  return ParseCallArgs("--smc", text, parts, out, error);
}

namespace {

bool ParseCallArgs(absl::string_view option, const std::string& text,
                   const std::vector<absl::string_view>& parts, HvcRequest* out,
                   std::string* error) {
  out->args.clear();
  for (size_t i = 1; i < parts.size(); ++i) {
    uint64_t a = 0;
    if (!ParseU64(parts[i], &a)) {
      *error = absl::StrCat(option, " ", text, ": argument '", parts[i],
                            "' is not a number (decimal or 0x-hex)");
      return false;
    }
    out->args.push_back(a);
  }
  if (out->args.size() > 17) {
    *error = absl::StrCat(option, " ", text, ": at most 17 arguments (x1..x17)");
    return false;
  }
  return true;
}

}  // namespace

bool ParseRunArgs(const std::vector<std::string>& args, RunOptions* out, std::string* error) {
  int cpu = 0;  // --cpu N: the CPU of the --hvc/--smc options after it
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string value;
    std::string name = a;
    // The flags without a value.
    if (a == "--print-trace") {
      out->print_trace = true;
      continue;
    }
    if (a == "--list-tracefs") {
      out->list_tracefs = true;
      continue;
    }
    if (a == "-v" || a == "--verbose") {
      out->verbose = true;
      continue;
    }
    if (const size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    } else if (a.rfind("--", 0) == 0) {
      if (i + 1 >= args.size()) {
        *error = absl::StrCat(a, " needs a value");
        return false;
      }
      value = args[++i];
    } else {
      *error = absl::StrCat("unexpected argument '", a, "' (see pkvm run --help)");
      return false;
    }
    if (name == "--generation") {
      int g = 0;
      if (!absl::SimpleAtoi(value, &g) || !IsValidGeneration(g)) {
        *error = absl::StrCat("--generation ", value,
                              ": unknown generation (use 14, 15, 16 or 17; 17 is provisional)");
        return false;
      }
      out->machine.generation = static_cast<Generation>(g);
    } else if (name == "--cpus") {
      int n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 1 || n > 64) {
        *error = absl::StrCat("--cpus ", value, ": must be a number from 1 to 64");
        return false;
      }
      out->machine.cpus = n;
    } else if (name == "--cmdline") {
      out->machine.cmdline = value;
    } else if (name == "--module") {
      out->modules.push_back(value);
    } else if (name == "--backend") {
      auto kind = pkvm::ParseBackend(value);
      if (!kind.ok()) {
        *error = absl::StrCat("--backend ", value, ": ", kind.status().message());
        return false;
      }
      out->machine.backend = *kind;
    } else if (name == "--tracefs-write") {
      const size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        *error = absl::StrCat("--tracefs-write ", value,
                              ": expected PATH=VALUE, e.g. hypervisor/tracing_on=1");
        return false;
      }
      out->tracefs_writes.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (name == "--dtb" || name == "--dts") {
      if (value.empty() || !out->dtb.empty() || !out->dts.empty()) {
        *error = value.empty() ? absl::StrCat(name, " needs a file")
                               : "give one device tree: --dtb FILE or --dts FILE, once";
        return false;
      }
      (name == "--dtb" ? out->dtb : out->dts) = value;
    } else if (name == "--tracefs-dump") {
      if (value.empty()) {
        *error = "--tracefs-dump needs a directory";
        return false;
      }
      out->tracefs_dump = value;
    } else if (name == "--trace-dat" || name == "--perfetto") {
      if (value.empty()) {
        *error = absl::StrCat(name, " needs a file name");
        return false;
      }
      (name == "--trace-dat" ? out->trace_dat : out->perfetto) = value;
    } else if (name == "--coverage" || name == "--coverage-drcov") {
      if (value.empty()) {
        *error = absl::StrCat(name, " needs a file name");
        return false;
      }
      (name == "--coverage" ? out->machine.coverage_lcov : out->machine.coverage_drcov) = value;
    } else if (name == "--gdb") {
      int port = -1;
      if (!absl::SimpleAtoi(value, &port) || port < 0 || port > 65535) {
        *error = absl::StrCat("--gdb ", value, ": must be a TCP port (0 = any free port)");
        return false;
      }
      out->machine.gdb_port = port;
    } else if (name == "--tracefs-flavor") {
      auto flavor = pkvm::ParseTracefsFlavor(value);
      if (!flavor.ok()) {
        *error = absl::StrCat("--tracefs-flavor ", value, ": ", flavor.status().message());
        return false;
      }
      out->machine.tracefs_flavor = *flavor;
    } else if (name == "--trace-clock") {
      if (value == "host") {
        out->machine.trace_clock = TraceClockSource::kHost;
      } else if (value == "manual") {
        out->machine.trace_clock = TraceClockSource::kManual;
      } else {
        *error = absl::StrCat("--trace-clock ", value, ": use host or manual");
        return false;
      }
    } else if (name == "--hvc" || name == "--smc") {
      HvcRequest req;
      if (!(name == "--hvc" ? ParseHvc(value, &req, error) : ParseSmc(value, &req, error)))
        return false;
      req.cpu = cpu;
      out->hvcs.push_back(std::move(req));
    } else if (name == "--cpu") {
      if (!absl::SimpleAtoi(value, &cpu) || cpu < 0 || cpu > 63) {
        *error = absl::StrCat("--cpu ", value, ": must be a CPU number from 0 to 63");
        return false;
      }
    } else if (name == "--time-limit-ms") {
      uint32_t ms = 0;
      if (value.empty() || value[0] == '-' || !absl::SimpleAtoi(value, &ms)) {
        *error = absl::StrCat("--time-limit-ms ", value,
                              ": must be a number of milliseconds (0 = no limit)");
        return false;
      }
      out->machine.call_time_limit_ms = ms;
    } else if (name == "--a16-kmi") {
      int level = 0;
      if (!absl::SimpleAtoi(value, &level) || level < pkvm::kA16KmiVerified ||
          level > pkvm::kA16KmiLatest) {
        *error = absl::StrCat("--a16-kmi ", value, ": must be ", pkvm::kA16KmiVerified, "..",
                              pkvm::kA16KmiLatest, " (docs/abi-decisions.md)");
        return false;
      }
      out->machine.a16_kmi = level;
    } else {
      *error = absl::StrCat("unknown option ", name, " (see pkvm run --help)");
      return false;
    }
  }
  // After the loop: --cpus may come after --cpu.
  for (const HvcRequest& req : out->hvcs) {
    if (req.cpu >= out->machine.cpus) {
      *error = absl::StrCat("--cpu ", req.cpu, ": the machine has ", out->machine.cpus,
                            out->machine.cpus == 1 ? " CPU" : " CPUs",
                            " (CPUs 0..", out->machine.cpus - 1, "; more with --cpus N)");
      return false;
    }
  }
  return true;
}

}  // namespace pkvm::cli
