// File: lib/host/module_param.cc -- module parameters from the kernel command line
// (see module_param.h).
#include "host/module_param.h"

#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "host/cmdline.h"
#include "pkvm/abi/module_param.h"
#include "status_internal.h"

namespace pkvm::internal {
namespace {

constexpr size_t kMaxCharpLen = 1024;  // param_set_charp's limit

// kstrtoull(s, 0): optional "0x"/"0X" (hex) or "0" (octal) prefix, digits,
// one optional trailing newline; nothing else, no overflow.
bool ParseUnsigned(absl::string_view s, unsigned long long* out) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  unsigned base = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  unsigned long long v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return false;
    if (d >= base) return false;
    if (v > (std::numeric_limits<unsigned long long>::max() - d) / base) return false;
    v = v * base + d;
  }
  *out = v;
  return true;
}

// kstrtoll(s, 0).
bool ParseSigned(absl::string_view s, long long* out) {
  bool neg = false;
  if (!s.empty() && s.front() == '-') {
    neg = true;
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '+') return false;
  }
  unsigned long long u = 0;
  if (!ParseUnsigned(s, &u)) return false;
  const unsigned long long lim =
      static_cast<unsigned long long>(std::numeric_limits<long long>::max()) + (neg ? 1 : 0);
  if (u > lim) return false;
  *out = neg ? static_cast<long long>(0 - u) : static_cast<long long>(u);
  return true;
}

// kstrtobool: y/Y/t/T/1, n/N/f/F/0, on/off (case-insensitive).
bool ParseBool(absl::string_view s, bool* out) {
  if (s.empty()) return false;
  switch (s[0]) {
    case 'y': case 'Y': case 't': case 'T': case '1': *out = true; return true;
    case 'n': case 'N': case 'f': case 'F': case '0': *out = false; return true;
    case 'o': case 'O':
      if (s.size() < 2) return false;
      if (s[1] == 'n' || s[1] == 'N') { *out = true; return true; }
      if (s[1] == 'f' || s[1] == 'F') { *out = false; return true; }
      return false;
    default:
      return false;
  }
}

template <typename T>
bool SetSigned(const ModuleParam& p, absl::string_view v, const ModuleParamSink& sink) {
  long long x = 0;
  if (!ParseSigned(v, &x) || x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max())
    return false;
  const T t = static_cast<T>(x);
  sink.write(p.arg, &t, sizeof t);
  return true;
}

template <typename T>
bool SetUnsigned(const ModuleParam& p, absl::string_view v, const ModuleParamSink& sink) {
  unsigned long long x = 0;
  if (!ParseUnsigned(v, &x) || x > std::numeric_limits<T>::max()) return false;
  const T t = static_cast<T>(x);
  sink.write(p.arg, &t, sizeof t);
  return true;
}

// One parameter; the status is the load's result.
absl::Status SetParam(Hypervisor::Impl& m, const std::string& mod, const ModuleParam& p,
                      bool has_value, const std::string& value, const ModuleParamSink& sink) {
  auto invalid = [&] {
    m.Log(absl::StrCat(mod, ": '", value, "' invalid for parameter '", p.name, "'"));
    return ErrnoError(EINVAL, absl::StrCat(mod, ": '", value, "' invalid for parameter '",
                                           p.name, "'"));
  };
  if (p.type == PKVM_PARAM_bool) {
    bool b = true;  // a bare "mod.flag" sets it
    if (has_value && !ParseBool(value, &b)) return invalid();
    sink.write(p.arg, &b, sizeof b);
    return absl::OkStatus();
  }
  if (!has_value) return invalid();  // only bool takes no value
  bool ok = false;
  switch (p.type) {
    case PKVM_PARAM_int: ok = SetSigned<int32_t>(p, value, sink); break;
    case PKVM_PARAM_long: ok = SetSigned<int64_t>(p, value, sink); break;
    case PKVM_PARAM_short: ok = SetSigned<int16_t>(p, value, sink); break;
    case PKVM_PARAM_uint:
    case PKVM_PARAM_hexint: ok = SetUnsigned<uint32_t>(p, value, sink); break;
    case PKVM_PARAM_ulong:
    case PKVM_PARAM_ullong: ok = SetUnsigned<uint64_t>(p, value, sink); break;
    case PKVM_PARAM_ushort: ok = SetUnsigned<uint16_t>(p, value, sink); break;
    case PKVM_PARAM_byte: ok = SetUnsigned<uint8_t>(p, value, sink); break;
    case PKVM_PARAM_charp: {
      if (value.size() > kMaxCharpLen) {
        m.Log(absl::StrCat(mod, ": string parameter too long"));
        return ErrnoError(ENOSPC, absl::StrCat(mod, ": string parameter '", p.name,
                                               "' too long (at most ", kMaxCharpLen, " bytes)"));
      }
      const uint64_t at = sink.place_string(value);
      if (at == 0)
        return ErrnoError(ENOMEM, absl::StrCat(mod, ": no memory for parameter '", p.name, "'"));
      sink.write(p.arg, &at, sizeof at);
      return absl::OkStatus();
    }
    default:
      m.Log(absl::StrCat(mod, ": parameter '", p.name, "' has an unknown type ", p.type));
      return ErrnoError(EINVAL, absl::StrCat(mod, ": parameter '", p.name,
                                             "' has an unknown type ", p.type,
                                             " (module built against another libpkvm?)"));
  }
  return ok ? absl::OkStatus() : invalid();
}

}  // namespace

absl::Status ApplyModuleParams(Hypervisor::Impl& m, const std::string& modname,
                               const std::vector<ModuleParam>& params,
                               const ModuleParamSink& sink) {
  const std::string mod = NormalizeModuleName(modname);
  for (size_t i = 0; i < m.cmdline.params.size(); ++i) {
    const auto& [key, value] = m.cmdline.params[i];
    const size_t dot = key.find('.');
    if (dot == std::string::npos || NormalizeModuleName(key.substr(0, dot)) != mod) continue;
    const std::string name = key.substr(dot + 1);
    // parameq(): '-' and '_' are the same in parameter names.
    const ModuleParam* p = nullptr;
    for (const ModuleParam& q : params)
      if (NormalizeModuleName(q.name) == NormalizeModuleName(name)) p = &q;
    if (p == nullptr) {
      m.Log(absl::StrCat(mod, ": unknown parameter '", name, "' ignored"));
      continue;
    }
    const bool has_value =
        i < m.cmdline.param_has_value.size() ? m.cmdline.param_has_value[i] : !value.empty();
    if (absl::Status s = SetParam(m, mod, *p, has_value, value, sink); !s.ok()) return s;
  }
  return absl::OkStatus();
}

namespace {

size_t ParamSize(uint32_t type) {
  switch (type) {
    case PKVM_PARAM_bool: case PKVM_PARAM_byte: return 1;
    case PKVM_PARAM_short: case PKVM_PARAM_ushort: return 2;
    case PKVM_PARAM_int: case PKVM_PARAM_uint: case PKVM_PARAM_hexint: return 4;
    default: return 8;
  }
}

// A native module's EL1 globals are linked into the process once; a device
// loads a fresh image each time. So every load first puts each parameter
// variable back to its value as linked (kept the first time it is seen),
// and a command line of an earlier machine never leaks into a later one.
void ResetNativeParams(const std::vector<ModuleParam>& params) {
  static std::mutex mu;
  static auto* pristine = new std::map<uint64_t, std::vector<uint8_t>>();
  std::lock_guard<std::mutex> lock(mu);
  for (const ModuleParam& p : params) {
    auto* b = reinterpret_cast<uint8_t*>(p.arg);
    const size_t n = ParamSize(p.type);
    auto [it, first] = pristine->try_emplace(p.arg);
    if (first) it->second.assign(b, b + n);
    else if (it->second.size() == n) std::memcpy(b, it->second.data(), n);
  }
}

}  // namespace

absl::Status ApplyNativeModuleParams(Hypervisor::Impl& m, const pkvm_native_module& d) {
  std::vector<ModuleParam> params;
  if (d.params != nullptr && d.params_end > d.params)
    for (const pkvm_module_param* p = d.params; p < d.params_end; ++p)
      params.push_back(ModuleParam{p->name != nullptr ? p->name : "",
                                   reinterpret_cast<uint64_t>(p->arg), p->type});
  ResetNativeParams(params);
  ModuleParamSink sink;
  sink.write = [](uint64_t arg, const void* bytes, size_t len) {
    std::memcpy(reinterpret_cast<void*>(arg), bytes, len);
  };
  sink.place_string = [&m](const std::string& value) {
    auto copy = std::make_unique<char[]>(value.size() + 1);
    std::memcpy(copy.get(), value.c_str(), value.size() + 1);
    const uint64_t at = reinterpret_cast<uint64_t>(copy.get());
    m.module_param_strings.push_back(std::move(copy));
    return at;
  };
  return ApplyModuleParams(m, d.name, params, sink);
}

}  // namespace pkvm::internal
