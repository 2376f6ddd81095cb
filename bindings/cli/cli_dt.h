// File: bindings/cli/cli_dt.h -- `pkvm run --dtb FILE` / `--dts FILE`: the
// machine's device tree, read as a blob or compiled from source by the
// device-tree compiler (`dtc`, Debian's device-tree-compiler).
//
//   std::vector<uint8_t> dtb;
//   std::string error;
//   if (!pkvm::cli::LoadDeviceTree("", "board.dts", &dtb, &error)) ... error ...
#ifndef PKVM_CLI_DT_H_
#define PKVM_CLI_DT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace pkvm::cli {

// Exactly one of dtb_path and dts_path is non-empty. False with a message a
// person can act on: unreadable file, dtc missing, dtc's own diagnostics.
bool LoadDeviceTree(const std::string& dtb_path, const std::string& dts_path,
                    std::vector<uint8_t>* out, std::string* error);

}  // namespace pkvm::cli

#endif  // PKVM_CLI_DT_H_
