// File: bindings/testing/matchers.cc
// The non-template half of pkvm/testing/matchers.h: trace_pipe parsing (the
// parser the C API uses too, bindings/common/trace_line.h), descriptions and
// explanations.
#include "pkvm/testing/matchers.h"

#include <cstdint>
#include <ios>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace_line.h"

namespace pkvm {

void PrintTo(const Status& s, std::ostream* os) { *os << s.ToString(); }

void PrintTo(const HvcResult& r, std::ostream* os) {
  *os << std::hex << "{x0=0x" << r.x(0) << " x1=0x" << r.x(1) << " x2=0x" << r.x(2) << " x3=0x"
      << r.x(3) << "}" << std::dec;
}

void PrintTo(const StatusOr<HvcResult>& r, std::ostream* os) {
  if (r.ok()) {
    PrintTo(*r, os);
  } else {
    PrintTo(r.status(), os);
  }
}

void PrintTo(const StatusOr<std::string>& r, std::ostream* os) {
  if (r.ok()) {
    *os << ::testing::PrintToString(*r);
  } else {
    PrintTo(r.status(), os);
  }
}

void PrintTo(BackendKind backend, std::ostream* os) { *os << BackendName(backend); }

}  // namespace pkvm

namespace pkvm::testing {

namespace {
TraceEvent FromLine(bindings::TraceLine&& l) {
  TraceEvent e;
  e.cpu = l.cpu;
  e.timestamp_ns = l.timestamp_ns;
  e.name = std::move(l.name);
  e.text = std::move(l.text);
  e.fields = std::move(l.fields);
  return e;
}
}  // namespace

std::optional<std::string> TraceEvent::field(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return v;
  return std::nullopt;
}

std::optional<uint64_t> TraceEvent::field_int(std::string_view key) const {
  std::optional<std::string> v = field(key);
  uint64_t out = 0;
  if (!v || !bindings::ParseFieldInteger(*v, &out)) return std::nullopt;
  return out;
}

void PrintTo(const TraceEvent& e, std::ostream* os) {
  *os << "[" << e.cpu << "] " << e.timestamp_ns << "ns " << e.name;
  if (!e.text.empty()) *os << " " << e.text;
}

std::vector<TraceEvent> ParseTracePipe(std::string_view text, std::vector<std::string>* bad) {
  std::vector<TraceEvent> out;
  for (bindings::TraceLine& l : bindings::ParseTracePipeText(text, bad)) out.push_back(FromLine(std::move(l)));
  return out;
}

std::optional<TraceEvent> ParseTraceLine(std::string_view line) {
  std::optional<bindings::TraceLine> l = bindings::ParseTraceLine(line);
  if (!l) return std::nullopt;
  return FromLine(std::move(*l));
}

namespace internal {

const user_pt_regs* RegsOf(const HvcResult& r, ::testing::MatchResultListener*) { return &r.regs; }
const user_pt_regs* RegsOf(const StatusOr<HvcResult>& r, ::testing::MatchResultListener* l) {
  if (r.ok()) return &r->regs;
  *l << "which failed: " << r.status().ToString();
  return nullptr;
}
const user_pt_regs* RegsOf(const HostSmcResult& r, ::testing::MatchResultListener*) {
  return &r.result.regs;
}
const user_pt_regs* RegsOf(const StatusOr<HostSmcResult>& r, ::testing::MatchResultListener* l) {
  if (r.ok()) return &r->result.regs;
  *l << "which failed: " << r.status().ToString();
  return nullptr;
}
const user_pt_regs* RegsOf(const user_pt_regs& r, ::testing::MatchResultListener*) { return &r; }

void HvcReturnsMatcher::DescribeTo(std::ostream* os) const {
  *os << "is a register file where";
  for (size_t i = 0; i < regs_.size(); i++) {
    *os << (i == 0 ? " " : ", ") << "x" << i << " ";
    regs_[i].DescribeTo(os);
  }
}

void HvcReturnsMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "is a failed call or not (";
  DescribeTo(os);
  *os << ")";
}

bool StatusIsMatcher::MatchAndExplain(const Status& s, ::testing::MatchResultListener* l) const {
  if (s.error() != err_) {
    *l << "which is " << s.ToString();
    return false;
  }
  if (err_ == 0) return true;
  ::testing::StringMatchResultListener inner;
  if (!message_.MatchAndExplain(s.message(), &inner)) {
    *l << "whose message \"" << s.message() << "\" does not match";
    if (!inner.str().empty()) *l << ", " << inner.str();
    return false;
  }
  return true;
}

void StatusIsMatcher::DescribeTo(std::ostream* os) const {
  if (err_ == 0) {
    *os << "is OK";
    return;
  }
  *os << "fails with " << Status(err_, "").ToString() << " and a message that ";
  message_.DescribeTo(os);
}

void StatusIsMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "not (";
  DescribeTo(os);
  *os << ")";
}

std::optional<std::vector<TraceEvent>> EventsOf(const std::string& text,
                                                ::testing::MatchResultListener* l) {
  std::vector<std::string> bad;
  std::vector<TraceEvent> events = ParseTracePipe(text, &bad);
  if (!bad.empty()) {
    *l << "which has a line that is not a trace event: \"" << bad.front() << "\"";
    return std::nullopt;
  }
  return events;
}

std::optional<std::vector<TraceEvent>> EventsOf(const StatusOr<std::string>& text,
                                                ::testing::MatchResultListener* l) {
  if (!text.ok()) {
    *l << "which failed: " << text.status().ToString();
    return std::nullopt;
  }
  return EventsOf(*text, l);
}

std::optional<std::vector<TraceEvent>> EventsOf(const std::vector<TraceEvent>& events,
                                                ::testing::MatchResultListener*) {
  return events;
}

void HasTraceEventMatcher::DescribeTo(std::ostream* os) const {
  *os << "has a trace event that ";
  event_.DescribeTo(os);
}

void HasTraceEventMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "has no trace event that ";
  event_.DescribeTo(os);
}

void HasTraceEventMatcher::ExplainMiss(const std::vector<TraceEvent>& events,
                                       ::testing::MatchResultListener* l) const {
  if (events.empty()) {
    *l << "which has no events";
    return;
  }
  *l << "whose " << events.size() << " event(s) are:";
  size_t shown = 0;
  for (const TraceEvent& e : events) {
    if (++shown > 20) {
      *l << "\n  ...";
      break;
    }
    std::ostringstream s;
    PrintTo(e, &s);
    *l << "\n  " << s.str();
  }
}

bool TraceFieldMatcher::MatchAndExplain(const TraceEvent& e, ::testing::MatchResultListener* l) const {
  std::optional<std::string> v = e.field(key_);
  if (!v) {
    *l << "which has no field " << key_;
    return false;
  }
  return value_.MatchAndExplain(*v, l);
}

void TraceFieldMatcher::DescribeTo(std::ostream* os) const {
  *os << "has field " << key_ << " that ";
  value_.DescribeTo(os);
}

bool TraceFieldIntMatcher::MatchAndExplain(const TraceEvent& e,
                                           ::testing::MatchResultListener* l) const {
  std::optional<std::string> text = e.field(key_);
  if (!text) {
    *l << "which has no field " << key_;
    return false;
  }
  std::optional<uint64_t> v = e.field_int(key_);
  if (!v) {
    *l << "whose field " << key_ << "=" << *text << " is not an integer";
    return false;
  }
  return value_.MatchAndExplain(*v, l);
}

void TraceFieldIntMatcher::DescribeTo(std::ostream* os) const {
  *os << "has integer field " << key_ << " that ";
  value_.DescribeTo(os);
}

::testing::Matcher<const TraceEvent&> TraceName(::testing::Matcher<const std::string&> name) {
  return ::testing::Field("name", &TraceEvent::name, std::move(name));
}

}  // namespace internal
}  // namespace pkvm::testing
