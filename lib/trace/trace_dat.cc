// File: lib/trace/trace_dat.cc
#include "trace/trace_dat.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "status_internal.h"

#ifdef PKVM_HAVE_TRACECMD
// libtracecmd's writer. Debian's libtracecmd-dev installs only the reader's
// header (trace-cmd.h); the writer functions are exported by libtracecmd.so
// (trace-cmd 3.1, libtracecmd 1.3) and declared here as that library
// declares them in its trace-cmd-private.h.
extern "C" {
struct tracecmd_output;
struct tracecmd_event_list;
struct tracecmd_output* tracecmd_output_create(const char* output_file);
void tracecmd_set_quiet(struct tracecmd_output* handle, bool set_quiet);
int tracecmd_output_set_trace_dir(struct tracecmd_output* handle, const char* tracing_dir);
int tracecmd_output_set_kallsyms(struct tracecmd_output* handle, const char* kallsyms);
int tracecmd_output_write_headers(struct tracecmd_output* handle, struct tracecmd_event_list* list);
int tracecmd_write_cmdlines(struct tracecmd_output* handle);
int tracecmd_append_cpu_data(struct tracecmd_output* handle, int cpus, char* const* cpu_data_files);
void tracecmd_output_close(struct tracecmd_output* handle);
}
#endif

#if defined(PKVM_HAVE_TRACECMD) && defined(__SANITIZE_ADDRESS__)
// libtracecmd 3.1 keeps the kallsyms path it strdup()s in
// tracecmd_output_set_kallsyms() and never frees it (tracecmd_output_free()
// forgets that field): 39 bytes per trace.dat that are not ours to free.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:tracecmd_output_set_kallsyms\n";
}
#endif

namespace pkvm::trace {

using ::pkvm::internal::ErrnoError;

#ifndef PKVM_HAVE_TRACECMD

bool TraceDatAvailable() { return false; }

absl::Status WriteTraceDat(const HypTrace&, const CpuPages&, const std::string&) {
  return ErrnoError(EOPNOTSUPP, "this build of libpkvm has no libtracecmd: install Debian's "
                                "libtracecmd-dev and libtracefs-dev and rebuild to write trace.dat");
}

#else

namespace {

// A temporary directory laid out as a tracing mount, for libtracecmd to read
// (it copies header_page, header_event, events/*/*/format, saved_cmdlines,
// printk_formats from a tracing directory).
class Staging {
 public:
  Staging() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/pkvm-trace-dat-XXXXXX");
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~Staging() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

  absl::Status Write(const std::string& rel, const std::string& content) const {
    const std::filesystem::path p = std::filesystem::path(path_) / rel;
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!f) return ErrnoError(EIO, absl::StrCat("cannot write ", p.string()));
    return absl::OkStatus();
  }

 private:
  std::string path_;
};

}  // namespace

bool TraceDatAvailable() { return true; }

absl::Status WriteTraceDat(const HypTrace& t, const CpuPages& pages, const std::string& path) {
  Staging st;
  if (st.path().empty()) return ErrnoError(errno, "cannot create a temporary directory for trace.dat");
  absl::Status s = st.Write("events/header_page", t.HeaderPageText());
  // Stored after the CPU data of a version 6 file (what `trace_clock` shows).
  if (s.ok()) s = st.Write("trace_clock", "[boot]\n");
  if (s.ok()) s = st.Write("events/header_event", t.HeaderEventText());
  // libtracecmd 3.1 cannot write a file without any "ftrace" system event
  // (it walks an empty list), and the hypervisor has none: one event that
  // is never recorded, with the one id no hypervisor event can have.
  if (s.ok()) {
    s = st.Write("events/ftrace/pkvm_placeholder/format",
                 "name: pkvm_placeholder\nID: 65535\nformat:\n"
                 "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
                 "print fmt: \"never recorded\"\n");
  }
  for (const EventType& e : t.events()) {
    if (!s.ok()) break;
    s = st.Write(absl::StrCat("events/hypervisor/", e.name, "/format"), t.FormatFileText(e));
  }
  // One file of raw pages per CPU, every CPU present (an empty file for a
  // CPU without events) so that CPU numbers stay what they were.
  std::vector<std::string> files;
  for (int cpu = 0; cpu < t.cpus() && s.ok(); ++cpu) {
    std::string raw;
    for (const auto& [c, p] : pages)
      if (c == cpu) raw += p;
    files.push_back(absl::StrCat(st.path(), "/cpu", cpu));
    s = st.Write(absl::StrCat("cpu", cpu), raw);
  }
  if (!s.ok()) return s;

  auto fail = [&](const char* what) {
    return ErrnoError(errno != 0 ? errno : EIO,
                      absl::StrCat("libtracecmd could not write ", path, " (", what, ")"));
  };
  errno = 0;
  tracecmd_output* out = tracecmd_output_create(path.c_str());
  if (out == nullptr) return fail("create");
  absl::Status result = absl::OkStatus();
  tracecmd_set_quiet(out, true);  // no "CPU0 data recorded at ..." on stderr
  // The hypervisor has no kernel symbols: a kallsyms path that does not
  // exist gives an empty table (and keeps libtracecmd away from
  // /proc/sys/kernel/kptr_restrict).
  const std::string no_kallsyms = st.path() + "/no-kallsyms";
  std::vector<char*> argv;
  for (std::string& f : files) argv.push_back(f.data());
  if (tracecmd_output_set_trace_dir(out, st.path().c_str()) != 0) {
    result = fail("tracing directory");
  } else if (tracecmd_output_set_kallsyms(out, no_kallsyms.c_str()) != 0) {
    result = fail("kallsyms");
  } else if (tracecmd_output_write_headers(out, nullptr) != 0) {
    result = fail("headers and event formats");
  // No trace-clock option: the clock is boot-clock ns, and trace-cmd 3.1
  // shows "[boot]" timestamps as raw ns but unlabelled ones in seconds,
  // as the `trace` file does.
  } else if (tracecmd_write_cmdlines(out) != 0) {
    result = fail("command lines");
  } else if (tracecmd_append_cpu_data(out, static_cast<int>(argv.size()), argv.data()) != 0) {
    result = fail("CPU data");
  }
  tracecmd_output_close(out);
  if (!result.ok()) ::unlink(path.c_str());
  return result;
}

#endif

}  // namespace pkvm::trace
