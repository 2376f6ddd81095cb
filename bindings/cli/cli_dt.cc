// File: bindings/cli/cli_dt.cc -- see cli_dt.h.
#include "cli_dt.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace pkvm::cli {
namespace {

bool ReadFile(const std::string& path, std::vector<uint8_t>* out, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = absl::StrCat("cannot read ", path, ": ", std::strerror(errno));
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

// The dtc executable on PATH, or "" (looked up here rather than trusting
// posix_spawnp's ENOENT, which some runtimes, qemu-user among them, report
// as a child exiting 127).
std::string FindDtc() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/dtc";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

}  // namespace

bool LoadDeviceTree(const std::string& dtb_path, const std::string& dts_path,
                    std::vector<uint8_t>* out, std::string* error) {
  if (!dtb_path.empty()) return ReadFile(dtb_path, out, error);
  if (access(dts_path.c_str(), R_OK) != 0) {
    *error = absl::StrCat("cannot read ", dts_path, ": ", std::strerror(errno));
    return false;
  }
  const std::string dtc = FindDtc();
  if (dtc.empty()) {
    *error = "--dts needs the device-tree compiler `dtc`, which is not on PATH: install "
             "Debian's device-tree-compiler, or compile the source yourself and pass --dtb";
    return false;
  }
  char dir[] = "/tmp/pkvm-dtc-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    *error = absl::StrCat("--dts: cannot make a temporary directory: ", std::strerror(errno));
    return false;
  }
  const std::string dtb = absl::StrCat(dir, "/out.dtb"), log = absl::StrCat(dir, "/dtc.log");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> argv_s = {"dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb, dts_path};
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, dtc.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  bool ok = false;
  if (rc != 0) {
    *error = rc == ENOENT
                 ? "--dts needs the device-tree compiler `dtc`, which is not on PATH: install "
                   "Debian's device-tree-compiler, or compile the source yourself and pass --dtb"
                 : absl::StrCat("--dts: cannot run dtc: ", std::strerror(rc));
  } else {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::vector<uint8_t> diag;
    std::string ignored;
    ReadFile(log, &diag, &ignored);
    std::string text(diag.begin(), diag.end());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      ok = ReadFile(dtb, out, error);
    } else {
      *error = absl::StrCat("dtc failed to compile ", dts_path, ":\n",
                            absl::StripTrailingAsciiWhitespace(text));
    }
  }
  std::remove(dtb.c_str());
  std::remove(log.c_str());
  rmdir(dir);
  return ok;
}

}  // namespace pkvm::cli
