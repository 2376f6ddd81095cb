// File: lib/devices/devices.h
// Internal side of emulated MMIO devices and the device tree
// (docs/devices.md): the models attached to a machine, the DTB it was given,
// and the entry points the rest of libpkvm calls -- the host access path
// (host_read/host_write), the Unicorn backend's MMIO mappings, the serial
// driver (whether a console UART is attached), Boot() (binding DT nodes to
// models), and the of_* functions behind the EL1 compat shims.
#ifndef PKVM_LIB_DEVICES_DEVICES_H_
#define PKVM_LIB_DEVICES_DEVICES_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "pkvm/devices.h"
#include "pkvm/hypervisor.h"

namespace pkvm::devices {

struct AttachedDevice {
  uint64_t phys = 0, size = 0;
  std::string name;
  std::shared_ptr<MmioDevice> model;
  bool from_dt = false;  // bound by Boot() from a device-tree node
};

struct DeviceState {
  std::map<uint64_t, AttachedDevice> by_phys;  // base physical address -> device
  std::vector<uint8_t> dtb;                    // empty: no device tree
  int consoles = 0;                            // console models attached
};

// The machine's device state (created on first use).
DeviceState& State(Hypervisor::Impl& m);

// Attaches `model` at [phys, phys + size) (registering the MMIO region when
// no region covers it yet): before Boot() only.
absl::Status Attach(Hypervisor::Impl& m, uint64_t phys, uint64_t size,
                    std::shared_ptr<MmioDevice> model, const std::string& name, bool from_dt);

// The model answering physical address `phys` and the offset in it; nullptr
// when no model is attached there (plain memory or registers).
MmioDevice* ModelAt(Hypervisor::Impl& m, uint64_t phys, uint64_t* offset);

// An access of `len` bytes at `phys` inside one page with a model: split into
// naturally aligned accesses of 8/4/2/1 bytes. False when no model is there.
bool ModelAccess(Hypervisor::Impl& m, uint64_t phys, uint8_t* buf, size_t len, bool write);

// Whether a console model (a UART) carries the machine's serial output: the
// serial driver's characters are then recorded by the UART, not by the ops.
bool HasConsole(Hypervisor::Impl& m);

// Boot(): binds DT nodes compatible with "arm,pl011" (or "arm,primecell")
// that have a `reg` and no model yet to a Pl011Device.
absl::Status BindDeviceTree(Hypervisor::Impl& m);

// ---- of_* (include/pkvm/compat/linux/of.h), shared by both backends ----------
// A device_node pointer is an opaque handle: kNodeHandleBase + FDT offset.
inline constexpr uint64_t kNodeHandleBase = 0x00007d0000000000ull;
// struct resource as the kernel lays it out on arm64.
struct KernelResource {
  uint64_t start, end;
  uint64_t name;  // const char *: libpkvm leaves it NULL
  uint64_t flags, desc;
  uint64_t parent, sibling, child;
};
static_assert(sizeof(KernelResource) == 64, "struct resource");
inline constexpr uint64_t kIoresourceMem = 0x00000200;

// Sub-operations of the Unicorn EL1 OF host call (x7; glue/hostcalls.S).
enum OfCall : uint64_t {
  kOfFindCompatible = 0,
  kOfReadU32 = 1,
  kOfReadU64 = 2,
  kOfAddressToResource = 3,
  kOfDeviceIsAvailable = 4,
  kOfNodePut = 5,
};

uint64_t OfFindCompatible(Hypervisor::Impl& m, uint64_t from, const char* type, const char* compat);
int OfReadU32(Hypervisor::Impl& m, uint64_t node, const char* name, uint32_t* out);
int OfReadU64(Hypervisor::Impl& m, uint64_t node, const char* name, uint64_t* out);
int OfAddressToResource(Hypervisor::Impl& m, uint64_t node, int index, KernelResource* out);
bool OfDeviceIsAvailable(Hypervisor::Impl& m, uint64_t node);

}  // namespace pkvm::devices

#endif  // PKVM_LIB_DEVICES_DEVICES_H_
