// File: bindings/cli/cli_build.h -- `pkvm build DIR`: a module directory as it
// sits in a kernel tree (Kbuild/Makefile or DDK BUILD.bazel) built into
// NAME.so and NAME.ko with CMake, through pkvm_add_kbuild_module().
//
//   pkvm build drivers/misc/pkvm-foo --generation 15 --source-root ~/kernel
#ifndef PKVM_BINDINGS_CLI_CLI_BUILD_H_
#define PKVM_BINDINGS_CLI_CLI_BUILD_H_

#include <string>
#include <vector>

namespace pkvm::cli {

// Runs `pkvm build` with the arguments after "build"; returns the exit status
// (0 built, 1 the build failed, 2 bad usage).
int Build(const std::vector<std::string>& args);

}  // namespace pkvm::cli

#endif  // PKVM_BINDINGS_CLI_CLI_BUILD_H_
