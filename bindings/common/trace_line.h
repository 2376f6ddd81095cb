// File: bindings/common/trace_line.h
// Private to the bindings (not installed): one parser of trace_pipe's text
// lines, shared by the C API (pkvm_trace_pipe_next) and pkvm::testing
// (HasTraceEvent), so both read the format the same way:
//
//   [CPU]\t SECONDS.MICROS: NAME TEXT      e.g.
//   [001]\t    2.000003: pkvm_driver_event id=0x00000042
//
// FIELDS are the `key=value` words of TEXT.
//
//   auto ev = pkvm::bindings::ParseTraceLine("[000]\t    0.000000: host_hcall id=128");
//   // ev->name == "host_hcall", ev->fields[0] == {"id", "128"}
#ifndef PKVM_BINDINGS_COMMON_TRACE_LINE_H_
#define PKVM_BINDINGS_COMMON_TRACE_LINE_H_

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pkvm::bindings {

struct TraceLine {
  int cpu = 0;
  uint64_t timestamp_ns = 0;
  std::string name;
  std::string text;
  std::vector<std::pair<std::string, std::string>> fields;
};

// Digits only, no sign, no overflow past uint64_t.
inline bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// A field value as an integer: decimal, 0x-hex or a negative decimal (two's
// complement, as the kernel prints a signed field with %d).
inline bool ParseFieldInteger(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  bool negative = false;
  if (s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!(base == 16 ? std::isxdigit(u) : std::isdigit(u))) return false;
  }
  std::string digits(s);
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(digits.c_str(), &end, base);
  if (errno == ERANGE || end != digits.c_str() + digits.size()) return false;
  *out = negative ? static_cast<uint64_t>(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  return true;
}

inline std::vector<std::pair<std::string, std::string>> ParseTraceFields(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') i++;
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(i, end - i);
    size_t eq = word.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      std::string_view key = word.substr(0, eq);
      bool is_word = true;
      for (char c : key)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) is_word = false;
      if (is_word) fields.emplace_back(std::string(key), std::string(word.substr(eq + 1)));
    }
    i = end;
  }
  return fields;
}

// One line of trace_pipe (with or without its '\n'); nullopt if it is not one.
inline std::optional<TraceLine> ParseTraceLine(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (line.size() < 3 || line[0] != '[') return std::nullopt;
  size_t close = line.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  uint64_t cpu = 0;
  if (!ParseDecimal(line.substr(1, close - 1), &cpu) || cpu > 4096) return std::nullopt;
  size_t i = close + 1;
  size_t ws = i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
  if (i == ws) return std::nullopt;
  size_t colon = line.find(": ", i);
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view stamp = line.substr(i, colon - i);
  size_t dot = stamp.find('.');
  uint64_t secs = 0, micros = 0;
  if (dot == std::string_view::npos || stamp.size() - dot - 1 != 6 ||
      !ParseDecimal(stamp.substr(0, dot), &secs) || !ParseDecimal(stamp.substr(dot + 1), &micros) ||
      secs > UINT64_MAX / 1000000000ull - 1)
    return std::nullopt;
  std::string_view rest = line.substr(colon + 2);
  size_t sp = rest.find(' ');
  std::string_view name = rest.substr(0, sp);
  if (name.empty()) return std::nullopt;
  TraceLine ev;
  ev.cpu = static_cast<int>(cpu);
  ev.timestamp_ns = secs * 1000000000ull + micros * 1000ull;
  ev.name = std::string(name);
  if (sp != std::string_view::npos) ev.text = std::string(rest.substr(sp + 1));
  ev.fields = ParseTraceFields(ev.text);
  return ev;
}

// Every line of a trace_pipe read; lines that are not events (there should
// be none) are returned in *bad when it is given.
inline std::vector<TraceLine> ParseTracePipeText(std::string_view text,
                                                 std::vector<std::string>* bad = nullptr) {
  std::vector<TraceLine> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find('\n', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(i, end - i);
    if (!line.empty()) {
      if (auto ev = ParseTraceLine(line)) {
        out.push_back(std::move(*ev));
      } else if (bad != nullptr) {
        bad->emplace_back(line);
      }
    }
    i = end + 1;
  }
  return out;
}

}  // namespace pkvm::bindings

#endif  // PKVM_BINDINGS_COMMON_TRACE_LINE_H_
