// File: bindings/cli/cli_build.cc -- `pkvm build DIR`.
//
// The reader of Kbuild and BUILD.bazel files and the module build itself are
// libpkvm's CMake functions (cmake/PkvmKbuild.cmake, cmake/PkvmModule.cmake),
// so `pkvm build` and a project's pkvm_add_kbuild_module() build a module the
// same way: this command writes a one-module CMake project into the output
// directory and drives CMake and Ninja (or Make) on it.
#include "cli_build.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace pkvm::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kBuildUsage[] = R"(usage: pkvm build DIR [--generation 14|15|16|17] [--out DIR]
                  [-I DIR]... [-D NAME[=VALUE]]... [--kconfig FILE|CONFIG_X=VALUE]...
                  [--source-root DIR] [--make-var NAME=VALUE]... [--name MODULE]
                  [--unicorn-only]
                  [--generator Ninja|"Unix Makefiles"] [--pkvm-dir DIR]

Builds the pKVM module in DIR, a directory as it sits in a kernel tree, from
its Kbuild (or Makefile) or its DDK BUILD.bazel, into NAME.so (native backend)
and NAME.ko (Unicorn backend), and prints the `pkvm run` line that loads it.

  --generation G   android14-6.1 (14), android15-6.6 (15, default), android16-6.12 (16)
  --out DIR        where the build goes (default: ./pkvm-build/<DIR's name>)
  -I DIR           an include directory for both halves (vendor headers)
  -D NAME[=VALUE]  a define for both halves
  --kconfig X      a Kconfig fragment (CONFIG_X=y lines) or one CONFIG_X=VALUE;
                   repeatable. y -> CONFIG_X 1, m -> CONFIG_X_MODULE 1, n: unset
  --source-root D  the kernel tree's root: $(srctree) paths and kernel-tree-
                   relative includes (HYP_EVENT_FILE ../../../../drivers/...)
  --make-var N=V   a make variable the Kbuild uses, as on make's command line
                   (DEVICE_MODULES_PATH=~/vendor); repeatable
  --name MODULE    the module to build when obj-m / the BUILD.bazel has several
  --unicorn-only   the EL2 part has AArch64 inline assembly: build NAME.ko only
  --generator G    CMake generator (default: Ninja when ninja is on PATH)
  --pkvm-dir DIR   the libpkvm CMake package to build with (default: this pkvm's)
)";

// A CMake bracket argument holding any text unchanged.
std::string Quote(const std::string& s) {
  std::string eq = "=";
  while (s.find("]" + eq + "]") != std::string::npos) eq += "=";
  return absl::StrCat("[", eq, "[", s, "]", eq, "]");
}

std::string Absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  return (ec ? fs::path(p) : a.lexically_normal()).string();
}

bool OnPath(const std::string& prog) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    if (dir.empty()) continue;
    fs::path p = fs::path(std::string(dir)) / prog;
    if (access(p.c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Runs a program with this process's stdout/stderr; returns its exit status.
int RunProgram(const std::vector<std::string>& argv) {
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "pkvm build: cannot run %s: %s\n", cargv[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The libpkvm CMake package this pkvm belongs to: installed beside it
// (<prefix>/bin/pkvm, <prefix>/<libdir>/cmake/pkvm), or the build tree it
// was built in.
std::optional<std::string> FindPackageDir() {
  if (const char* env = std::getenv("PKVM_CMAKE_DIR"); env != nullptr && *env != '\0')
    return std::string(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / PKVM_INSTALL_LIBDIR / "cmake" / "pkvm";
    if (fs::exists(installed / "pkvmConfig.cmake")) return installed.string();
  }
  fs::path build_tree = PKVM_BUILD_TREE_PACKAGE_DIR;
  if (fs::exists(build_tree / "pkvmConfig.cmake")) return build_tree.string();
  return std::nullopt;
}

// Reads KEY=VALUE lines.
std::map<std::string, std::string> ReadKeyValues(const fs::path& file) {
  std::map<std::string, std::string> kv;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

}  // namespace

int Build(const std::vector<std::string>& args) {
  std::string dir, out, source_root, name, generator, pkvm_dir;
  std::string generation = "15";
  std::vector<std::string> includes, defines, kconfig, make_vars;
  bool unicorn_only = false;
  auto usage_error = [](const std::string& msg) {
    std::fprintf(stderr, "pkvm build: %s (see pkvm build --help)\n", msg.c_str());
    return 2;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& to) {
      if (i + 1 >= args.size()) return false;
      to = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kBuildUsage, stdout);
      return 0;
    } else if (a == "--generation") {
      if (!value(generation)) return usage_error("--generation needs a value");
    } else if (a == "--out") {
      if (!value(out)) return usage_error("--out needs a directory");
    } else if (a == "--source-root") {
      if (!value(source_root)) return usage_error("--source-root needs a directory");
    } else if (a == "--name") {
      if (!value(name)) return usage_error("--name needs a module name");
    } else if (a == "--generator") {
      if (!value(generator)) return usage_error("--generator needs a CMake generator");
    } else if (a == "--pkvm-dir") {
      if (!value(pkvm_dir)) return usage_error("--pkvm-dir needs a directory");
    } else if (a == "--kconfig") {
      if (!value(v)) return usage_error("--kconfig needs a file or CONFIG_X=VALUE");
      kconfig.push_back(v.rfind("CONFIG_", 0) == 0 ? v : Absolute(v));
    } else if (a == "--make-var") {
      if (!value(v) || v.find('=') == std::string::npos)
        return usage_error("--make-var needs NAME=VALUE");
      make_vars.push_back(v);
    } else if (a == "--unicorn-only") {
      unicorn_only = true;
    } else if (a == "-I") {
      if (!value(v)) return usage_error("-I needs a directory");
      includes.push_back(Absolute(v));
    } else if (a.rfind("-I", 0) == 0) {
      includes.push_back(Absolute(a.substr(2)));
    } else if (a == "-D") {
      if (!value(v)) return usage_error("-D needs NAME[=VALUE]");
      defines.push_back(v);
    } else if (a.rfind("-D", 0) == 0) {
      defines.push_back(a.substr(2));
    } else if (!a.empty() && a[0] == '-') {
      return usage_error(absl::StrCat("unknown option '", a, "'"));
    } else if (dir.empty()) {
      dir = a;
    } else {
      return usage_error(absl::StrCat("one module directory at a time ('", dir, "' and '", a, "')"));
    }
  }
  if (dir.empty()) return usage_error("which module directory? pkvm build DIR");
  if (generation != "14" && generation != "15" && generation != "16" && generation != "17")
    return usage_error(absl::StrCat("unknown generation '", generation, "' (14, 15, 16 or 17)"));
  if (!fs::is_directory(dir)) return usage_error(absl::StrCat(dir, " is not a directory"));
  dir = Absolute(dir);
  if (!fs::exists(fs::path(dir) / "Kbuild") && !fs::exists(fs::path(dir) / "Makefile") &&
      !fs::exists(fs::path(dir) / "BUILD.bazel"))
    return usage_error(absl::StrCat(dir, " has no Kbuild, Makefile or BUILD.bazel"));
  if (!source_root.empty()) source_root = Absolute(source_root);
  if (out.empty()) out = (fs::path("pkvm-build") / fs::path(dir).filename()).string();
  out = Absolute(out);
  if (pkvm_dir.empty()) {
    auto found = FindPackageDir();
    if (!found) {
      std::fprintf(stderr,
                   "pkvm build: cannot find libpkvm's CMake package (pkvmConfig.cmake) beside this "
                   "pkvm: pass --pkvm-dir <prefix>/lib/cmake/pkvm\n");
      return 2;
    }
    pkvm_dir = *found;
  }
  pkvm_dir = Absolute(pkvm_dir);
  if (generator.empty()) generator = OnPath("ninja") ? "Ninja" : "Unix Makefiles";

  // The one-module project.
  const fs::path project = fs::path(out) / "project";
  const fs::path build = fs::path(out) / "cmake";
  std::error_code ec;
  fs::create_directories(project, ec);
  if (ec) {
    std::fprintf(stderr, "pkvm build: cannot create %s: %s\n", project.c_str(), ec.message().c_str());
    return 1;
  }
  std::ostringstream cm;
  cm << "# Generated by `pkvm build` for " << dir << ". Do not edit: rerun pkvm build.\n"
     << "cmake_minimum_required(VERSION 3.25)\n"
     << "project(pkvm_build LANGUAGES C CXX)\n"
     << "find_package(pkvm CONFIG REQUIRED)\n"
     << "pkvm_add_kbuild_module(DIR " << Quote(dir) << " GENERATION " << generation
     << " NAME pkvm_build_module\n  OUTPUT_DIRECTORY " << Quote(out);
  if (!name.empty()) cm << "\n  MODNAME " << Quote(name);
  if (!source_root.empty()) cm << "\n  SOURCE_ROOT " << Quote(source_root);
  if (unicorn_only) cm << "\n  UNICORN_ONLY";
  auto list = [&](const char* key, const std::vector<std::string>& items) {
    if (items.empty()) return;
    cm << "\n  " << key;
    for (const std::string& s : items) cm << " " << Quote(s);
  };
  list("INCLUDE_DIRS", includes);
  list("DEFINES", defines);
  list("KCONFIG", kconfig);
  list("MAKE_VARIABLES", make_vars);
  cm << ")\n"
     << "get_target_property(pkvm_name pkvm_build_module_so PKVM_MODULE_NAME)\n"
     << "get_target_property(pkvm_unicorn_only pkvm_build_module_so PKVM_UNICORN_ONLY)\n"
     << "set(pkvm_ko \"\")\n"
     << "if(TARGET pkvm_build_module_ko)\n"
     << "  get_target_property(pkvm_ko pkvm_build_module_ko PKVM_KO_FILE)\n"
     << "endif()\n"
     << "file(GENERATE OUTPUT \"${CMAKE_BINARY_DIR}/pkvm-build.txt\" CONTENT\n"
     << "  \"name=${pkvm_name}\\nso=$<TARGET_FILE:pkvm_build_module_so>\\nko=${pkvm_ko}\\n"
     << "unicorn_only=${pkvm_unicorn_only}\\n\")\n";
  {
    std::ofstream f(project / "CMakeLists.txt");
    f << cm.str();
    if (!f) {
      std::fprintf(stderr, "pkvm build: cannot write %s\n", (project / "CMakeLists.txt").c_str());
      return 1;
    }
  }
  // A generator change needs a fresh CMake cache.
  const fs::path cache = build / "CMakeCache.txt";
  if (fs::exists(cache)) {
    std::ifstream in(cache);
    std::string line, cached;
    while (std::getline(in, line))
      if (line.rfind("CMAKE_GENERATOR:INTERNAL=", 0) == 0) cached = line.substr(25);
    if (cached != generator) fs::remove_all(build, ec);
  }

  const std::string cmake = OnPath("cmake") ? "cmake" : PKVM_CMAKE_COMMAND;
  std::printf("pkvm build: %s (A%s) -> %s\n", dir.c_str(), generation.c_str(), out.c_str());
  if (RunProgram({cmake, "-S", project.string(), "-B", build.string(), "-G", generator,
                  "-Dpkvm_DIR=" + pkvm_dir, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                  "--log-level=WARNING"}) != 0) {
    std::fprintf(stderr, "pkvm build: reading %s failed (messages above)\n", dir.c_str());
    return 1;
  }
  if (RunProgram({cmake, "--build", build.string()}) != 0) {
    std::fprintf(stderr, "pkvm build: building %s failed (messages above)\n", dir.c_str());
    return 1;
  }
  auto kv = ReadKeyValues(build / "pkvm-build.txt");
  const std::string& mod = kv["name"];
  const bool only_unicorn = kv["unicorn_only"] == "ON";
  const std::string cmdline = absl::StrCat("--cmdline kvm-arm.protected_modules=", mod);
  std::printf("built module %s:\n", mod.c_str());
  if (!only_unicorn) std::printf("  %s  (native backend)\n", kv["so"].c_str());
  if (!kv["ko"].empty()) std::printf("  %s  (unicorn backend)\n", kv["ko"].c_str());
  if (only_unicorn)
    std::printf("  its EL2 part has AArch64 assembly: it runs on the unicorn backend only\n");
  std::printf("run it:\n");
  if (!only_unicorn)
    std::printf("  pkvm run --generation %s %s --module %s --hvc 128\n", generation.c_str(),
                cmdline.c_str(), kv["so"].c_str());
  if (!kv["ko"].empty())
    std::printf("  pkvm run --backend unicorn --generation %s %s --module %s --hvc 128\n",
                generation.c_str(), cmdline.c_str(), kv["ko"].c_str());
  return 0;
}

}  // namespace pkvm::cli
