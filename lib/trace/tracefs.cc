// File: lib/trace/tracefs.cc
#include "trace/tracefs.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "status_internal.h"
#include "trace/text_format.h"

namespace pkvm::trace {

using ::pkvm::internal::ErrnoError;

namespace {
constexpr char kMount[] = "/sys/kernel/tracing/";
constexpr uint32_t kWriteMode = 0640, kReadMode = 0440;
}  // namespace

std::string Tracefs::root() const {
  if (upstream()) return "remotes/hypervisor";
  return since_a16() ? "hypervisor" : "hyp";
}

std::string Tracefs::EventsDirPrefix() const {
  return events_have_system() ? "events/hypervisor" : "events";
}

absl::StatusOr<Tracefs::Node> Tracefs::Resolve(const std::string& path_in) const {
  std::string path = path_in;
  if (path.rfind(kMount, 0) == 0) path = path.substr(sizeof kMount - 1);
  std::vector<std::string> parts;
  for (absl::string_view p : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (p == ".") continue;
    parts.emplace_back(p);
  }
  const std::vector<std::string> root_parts = absl::StrSplit(root(), '/');
  if (parts.size() < root_parts.size() ||
      !std::equal(root_parts.begin(), root_parts.end(), parts.begin()))
    return ErrnoError(ENOENT, absl::StrCat(path_in, ": no such file in the hypervisor's tracefs (",
                                           "paths start with ", root(), "/ on this generation)"));
  // Under the root: name the deepest directory that exists and what it holds,
  // so a wrong event or file name shows the right ones.
  auto noent = [&] {
    std::string dir = root();
    std::vector<Entry> entries;
    // `parts` holds the components after the root by now.
    for (size_t k = parts.size(); k-- > 0;) {
      std::string prefix = root();
      for (size_t j = 0; j < k; ++j) absl::StrAppend(&prefix, "/", parts[j]);
      absl::StatusOr<Node> d = Resolve(prefix);
      if (d.ok() && d->kind == Kind::kDir) {
        dir = prefix;
        entries = Children(*d);
        break;
      }
    }
    std::vector<std::string> names;
    for (const Entry& e : entries) names.push_back(e.is_dir ? e.name + "/" : e.name);
    return ErrnoError(ENOENT, absl::StrCat(path_in, ": no such file in the hypervisor's tracefs (",
                                           dir, "/ has: ", absl::StrJoin(names, " "), ")"));
  };
  parts.erase(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(root_parts.size()));
  Node n;
  n.components = parts;
  // Files only the Android flavour of A16 has: function tracing.
  const bool a16 = since_a16() && !upstream();
  const bool up = upstream();
  if (parts.empty()) return n;
  const std::string& p0 = parts[0];
  if (parts.size() == 1) {
    if (p0 == "tracing_on") return Node{Kind::kTracingOn, kWriteMode, -1, nullptr, parts};
    if (p0 == "buffer_size_kb") return Node{Kind::kBufferSizeKb, kWriteMode, -1, nullptr, parts};
    if (p0 == "trace_clock") return Node{Kind::kTraceClock, kReadMode, -1, nullptr, parts};
    if (p0 == "trace") return Node{Kind::kTrace, kWriteMode, -1, nullptr, parts};
    if (p0 == "trace_pipe")
      return Node{Kind::kTracePipe, up ? kReadMode : kWriteMode, -1, nullptr, parts};
    if (p0 == "per_cpu" || p0 == "events") return n;
    if (a16 && p0 == "set_ftrace_filter")
      return Node{Kind::kFtraceFilter, 0600, -1, nullptr, parts};
    if (a16 && p0 == "set_ftrace_notrace")
      return Node{Kind::kFtraceNotrace, 0200, -1, nullptr, parts};
    return noent();
  }
  if (p0 == "per_cpu") {
    const std::string& c = parts[1];
    int cpu = -1;
    if (c.rfind("cpu", 0) == 0 && c.size() > 3 && c.size() < 6 &&
        c.find_first_not_of("0123456789", 3) == std::string::npos)
      cpu = std::stoi(c.substr(3));
    if (cpu < 0 || cpu >= t_->cpus() || (c.size() > 4 && c[3] == '0')) return noent();
    if (parts.size() == 2) return Node{Kind::kDir, 0555, cpu, nullptr, parts};
    if (parts.size() != 3) return noent();
    if (parts[2] == "trace")
      return Node{Kind::kCpuTrace, up ? kWriteMode : kReadMode, cpu, nullptr, parts};
    if (parts[2] == "trace_pipe") return Node{Kind::kCpuTracePipe, kReadMode, cpu, nullptr, parts};
    if (!up && parts[2] == "trace_pipe_raw")
      return Node{Kind::kCpuTracePipeRaw, kReadMode, cpu, nullptr, parts};
    return noent();
  }
  if (p0 != "events") return noent();
  if (parts.size() == 2 && parts[1] == "header_page")
    return Node{Kind::kHeaderPage, up ? kReadMode : 0400, -1, nullptr, parts};
  if (up && parts.size() == 2 && parts[1] == "header_event")
    return Node{Kind::kHeaderEvent, kReadMode, -1, nullptr, parts};
  if (up && parts.size() == 2 && parts[1] == "enable")
    return Node{Kind::kEventsEnable, kWriteMode, -1, nullptr, parts};
  size_t i = 1;
  if (events_have_system()) {
    if (parts[1] != "hypervisor") return noent();
    if (parts.size() == 2) return n;
    i = 2;
  }
  const EventType* e = t_->FindEvent(parts[i]);
  if (e == nullptr) return noent();
  if (parts.size() == i + 1) return Node{Kind::kDir, 0555, -1, e, parts};
  if (parts.size() != i + 2) return noent();
  if (parts[i + 1] == "enable") return Node{Kind::kEventEnable, up ? kWriteMode : 0700, -1, e, parts};
  if (parts[i + 1] == "id") return Node{Kind::kEventId, up ? kReadMode : 0400, -1, e, parts};
  if (parts[i + 1] == "format") return Node{Kind::kEventFormat, up ? kReadMode : 0400, -1, e, parts};
  return noent();
}

std::vector<Tracefs::Entry> Tracefs::Children(const Node& dir) const {
  std::vector<Entry> out;
  const auto& c = dir.components;
  const bool a16 = since_a16() && !upstream();
  const bool up = upstream();
  auto file = [&](const char* name, uint32_t mode) { out.push_back(Entry{name, false, mode}); };
  auto subdir = [&](const std::string& name) { out.push_back(Entry{name, true, 0555}); };
  auto events = [&] {
    for (const EventType& e : t_->events()) subdir(e.name);
  };
  if (c.empty()) {
    file("tracing_on", kWriteMode);
    file("buffer_size_kb", kWriteMode);
    file("trace_clock", kReadMode);
    file("trace", kWriteMode);
    file("trace_pipe", up ? kReadMode : kWriteMode);
    subdir("per_cpu");
    subdir("events");
    if (a16) {
      file("set_ftrace_filter", 0600);
      file("set_ftrace_notrace", 0200);
    }
  } else if (c[0] == "per_cpu" && c.size() == 1) {
    for (int cpu = 0; cpu < t_->cpus(); ++cpu) subdir(absl::StrCat("cpu", cpu));
  } else if (c[0] == "per_cpu") {
    file("trace", up ? kWriteMode : kReadMode);
    file("trace_pipe", kReadMode);
    if (!up) file("trace_pipe_raw", kReadMode);
  } else if (dir.event != nullptr) {
    file("enable", up ? kWriteMode : 0700);
    file("id", up ? kReadMode : 0400);
    file("format", up ? kReadMode : 0400);
  } else if (c.size() == 1) {  // events/
    if (up) {
      file("enable", kWriteMode);
      file("header_page", kReadMode);
      file("header_event", kReadMode);
    } else {
      file("header_page", 0400);
    }
    if (events_have_system()) subdir("hypervisor");
    else events();
  } else {  // events/hypervisor/
    events();
  }
  return out;
}

absl::StatusOr<Tracefs::Entry> Tracefs::Stat(const std::string& path) {
  absl::StatusOr<Node> n = Resolve(path);
  if (!n.ok()) return n.status();
  // The root's last component ("hypervisor" of remotes/hypervisor).
  const std::string r = root();
  const std::string name = n->components.empty() ? r.substr(r.rfind('/') + 1) : n->components.back();
  return Entry{name, n->kind == Kind::kDir, n->mode};
}

absl::StatusOr<std::vector<Tracefs::Entry>> Tracefs::List(const std::string& dir) {
  absl::StatusOr<Node> n = Resolve(dir);
  if (!n.ok()) return n.status();
  if (n->kind != Kind::kDir) return ErrnoError(ENOTDIR, absl::StrCat(dir, " is not a directory"));
  return Children(*n);
}

absl::StatusOr<std::string> Tracefs::Read(const std::string& path) {
  absl::StatusOr<Node> node = Resolve(path);
  if (!node.ok()) return node.status();
  const Node& n = *node;
  // A16 and upstream answer alike where only A14/A15 differ.
  const bool a16 = since_a16() || upstream();
  auto no_read = [&] {
    return ErrnoError(EINVAL, absl::StrCat(path, " cannot be read (it has no read operation)"));
  };
  switch (n.kind) {
    case Kind::kDir:
      return ErrnoError(EISDIR, absl::StrCat(path, " is a directory"));
    case Kind::kTracingOn:
      return std::string(t_->tracing_on() ? "1\n" : "0\n");
    case Kind::kBufferSizeKb:
      if (!a16) return absl::StrCat(t_->buffer_size_kb(), "\n");
      return absl::StrCat(t_->buffer_size_kb(), t_->loaded() ? " (loaded)\n" : " (unloaded)\n");
    case Kind::kTraceClock:
      return std::string("[boot]\n");
    case Kind::kTrace:
    case Kind::kCpuTrace:
      // Upstream: a non-consuming iterator; nothing to show when unloaded
      // (opening `trace` does not load the buffer).
      if (upstream()) return t_->FormatRawPages(t_->CopyRaw(n.kind == Kind::kTrace ? -1 : n.cpu));
      if (a16)
        return ErrnoError(EPERM, absl::StrCat(path, " cannot be opened for reading; read "
                                                    "trace_pipe instead"));
      return std::string("** Reading trace not yet supported **\n");
    case Kind::kTracePipe:
    case Kind::kCpuTracePipe:
    case Kind::kCpuTracePipeRaw: {
      if (absl::Status s = t_->EnsureLoaded(); !s.ok()) return s;
      std::string out = n.kind == Kind::kCpuTracePipeRaw ? t_->ReadPipeRaw(n.cpu)
                                                         : t_->ReadPipeText(n.cpu);
      t_->MaybeTeardown();  // close
      return out;
    }
    case Kind::kHeaderPage:
      return t_->HeaderPageText();
    case Kind::kHeaderEvent:
      return t_->HeaderEventText();
    case Kind::kEventsEnable: {
      // '0' none, '1' all, 'X' a mix (trace_remote.c).
      int state = -1;
      for (const EventType& e : t_->events()) {
        const int on = t_->EventEnabled(e) ? 1 : 0;
        if (state == -1) state = on;
        else if (state != on) state = 2;
      }
      return std::string(1, "01X"[state < 0 ? 0 : state]) + "\n";
    }
    case Kind::kEventEnable:
      return std::string(t_->EventEnabled(*n.event) ? "1\n" : "0\n");
    case Kind::kEventId:
      return absl::StrCat(n.event->id, "\n");
    case Kind::kEventFormat:
      return t_->FormatFileText(*n.event);
    case Kind::kFtraceFilter: {
      std::string out;
      for (const HypTrace::Function& f : t_->functions())
        if (f.enabled) absl::StrAppend(&out, f.name, "\n");
      return out;
    }
    case Kind::kFtraceNotrace:
      return no_read();
  }
  return no_read();
}

absl::Status Tracefs::Write(const std::string& path, const std::string& data) {
  absl::StatusOr<Node> node = Resolve(path);
  if (!node.ok()) return node.status();
  const Node& n = *node;
  const bool a16 = since_a16() || upstream();
  auto no_write = [&] {
    return ErrnoError(EINVAL, absl::StrCat(path, " cannot be written (it has no write operation)"));
  };
  switch (n.kind) {
    case Kind::kDir:
      return ErrnoError(EISDIR, absl::StrCat(path, " is a directory"));
    case Kind::kTracingOn: {
      absl::StatusOr<uint64_t> v = ParseKernelUlong(data);
      if (!v.ok()) return v.status();
      return t_->SetTracingOn(*v != 0);
    }
    case Kind::kBufferSizeKb: {
      absl::StatusOr<uint64_t> v = ParseKernelUlong(data);
      if (!v.ok()) return v.status();
      return t_->SetBufferSizeKb(*v);
    }
    case Kind::kTrace:
    case Kind::kCpuTrace:
      // Opening for write resets; what is written is ignored.
      if (upstream()) {  // any time; then the buffer goes if nobody needs it
        t_->Reset(n.kind == Kind::kTrace ? -1 : n.cpu);
        t_->MaybeTeardown();
        return absl::OkStatus();
      }
      if (!a16) {
        if (t_->tracing_on())
          return ErrnoError(EBUSY, absl::StrCat(path, ": stop tracing (tracing_on = 0) before "
                                                      "resetting the buffers"));
        if (n.kind == Kind::kTrace) {
          t_->Reset(-1);
          t_->MaybeTeardown();
          return absl::OkStatus();
        }
      }
      t_->Reset(n.kind == Kind::kTrace ? -1 : n.cpu);
      return absl::OkStatus();
    case Kind::kEventEnable:
    case Kind::kEventsEnable:
      if (upstream()) {
        // kstrtou8(buf, 10): any value that fits a u8; non-zero enables.
        absl::StatusOr<uint64_t> v = ParseKernelUlong(data);
        if (!v.ok()) return v.status();
        if (*v > 0xff) return ErrnoError(ERANGE, absl::StrCat(path, ": ", *v, " does not fit a u8"));
        if (n.kind == Kind::kEventEnable) return t_->EnableEvent(n.event->name, *v != 0);
        // events/enable: every event; one that fails does not stop the others,
        // and the write still succeeds (trace_remote.c ignores the results).
        for (const EventType& e : t_->events()) (void)t_->EnableEvent(e.name, *v != 0);
        return absl::OkStatus();
      }
      if (n.kind == Kind::kEventsEnable) return no_write();
      {
      // A16: "0"/"1" with an optional newline; A14/A15: exactly 2 bytes.
      const bool size_ok = a16 ? (data.size() == 1 || data.size() == 2) : data.size() == 2;
      const bool text_ok = size_ok && (data[0] == '0' || data[0] == '1') &&
                           (data.size() == 1 || data[1] == '\n');
      if (!text_ok)
        return ErrnoError(EINVAL, absl::StrCat(path, ": write ", a16 ? "\"1\" or \"0\"" : "\"1\\n\" or \"0\\n\"",
                                               " (got ", data.size(), " bytes)"));
      return t_->EnableEvent(n.event->name, data[0] == '1');
    }
    case Kind::kFtraceFilter:
      return t_->SetFtraceFilter(data);
    case Kind::kFtraceNotrace:
      return t_->SetFtraceNotrace(data);
    case Kind::kTraceClock:
    case Kind::kTracePipe:
    case Kind::kCpuTracePipe:
    case Kind::kCpuTracePipeRaw:
    case Kind::kHeaderPage:
    case Kind::kHeaderEvent:
    case Kind::kEventId:
    case Kind::kEventFormat:
      return no_write();
  }
  return no_write();
}

absl::Status Tracefs::Dump(const std::string& dir) {
  absl::StatusOr<CpuPages> pages = t_->ConsumeAllRaw();
  if (!pages.ok()) return pages.status();
  absl::Status s = DumpPages(dir, *pages);
  t_->MaybeTeardown();
  return s;
}

absl::Status Tracefs::DumpPages(const std::string& dir, const CpuPages& pages) {
  auto mkdir_p = [](const std::string& d) -> absl::Status {
    std::string cur;
    for (absl::string_view part : absl::StrSplit(d, '/')) {
      cur += std::string(part);
      cur += "/";
      if (part.empty()) continue;
      if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
        return ErrnoError(errno, absl::StrCat("cannot create directory ", cur));
    }
    return absl::OkStatus();
  };
  auto write_file = [](const std::string& p, const std::string& content) -> absl::Status {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!f) return ErrnoError(EIO, absl::StrCat("cannot write ", p));
    return absl::OkStatus();
  };
  // Depth-first over the tree.
  std::vector<std::string> todo = {root()};
  while (!todo.empty()) {
    const std::string rel = todo.back();
    todo.pop_back();
    if (absl::Status s = mkdir_p(absl::StrCat(dir, "/", rel)); !s.ok()) return s;
    absl::StatusOr<std::vector<Entry>> entries = List(rel);
    if (!entries.ok()) return entries.status();
    for (const Entry& e : *entries) {
      const std::string child = absl::StrCat(rel, "/", e.name);
      if (e.is_dir) {
        todo.push_back(child);
        continue;
      }
      absl::StatusOr<Node> n = Resolve(child);
      if (!n.ok()) return n.status();
      switch (n->kind) {
        case Kind::kTracePipe:
        case Kind::kCpuTracePipe:
        case Kind::kTrace:
        case Kind::kCpuTrace:
        case Kind::kCpuTracePipeRaw:
        case Kind::kFtraceNotrace:
          continue;  // consuming, unreadable or written from `pages` below
        default:
          break;
      }
      absl::StatusOr<std::string> r = Read(child);
      if (!r.ok()) return r.status();
      if (absl::Status s = write_file(absl::StrCat(dir, "/", child), *r); !s.ok()) return s;
    }
  }
  // The pages, as trace_pipe_raw of each CPU, and their text as `trace`.
  CpuPages sorted = pages;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [cpu, raw] : sorted) {
    const std::string cpu_dir = absl::StrCat(dir, "/", root(), "/per_cpu/cpu", cpu);
    if (absl::Status s = mkdir_p(cpu_dir); !s.ok()) return s;
    if (absl::Status s = write_file(cpu_dir + "/trace_pipe_raw", raw); !s.ok()) return s;
  }
  return write_file(absl::StrCat(dir, "/", root(), "/trace"), t_->FormatRawPages(sorted));
}

}  // namespace pkvm::trace
