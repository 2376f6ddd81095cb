// File: lib/devices/fdt.cc
// The machine's device tree (docs/devices.md): SetDeviceTree() validation
// with libfdt, binding "arm,pl011" nodes to the PL011 model at Boot(), and
// the of_* functions the EL1 compat shims (linux/of.h, linux/of_address.h)
// reach -- called directly by native modules and through the OF host call
// by AArch64 modules in Unicorn.
#include <libfdt.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devices/devices.h"
#include "devices/fdt_validate.h"
#include "machine.h"
#include "status_internal.h"

namespace pkvm {
namespace devices {
namespace {

const void* Fdt(Hypervisor::Impl& m) {
  if (m.devices == nullptr || m.devices->dtb.empty()) return nullptr;
  return m.devices->dtb.data();
}

// The FDT offset of a node handle; -1 for anything that is not one.
int NodeOffset(Hypervisor::Impl& m, uint64_t node) {
  const void* fdt = Fdt(m);
  if (fdt == nullptr || node < kNodeHandleBase) return -1;
  const uint64_t off = node - kNodeHandleBase;
  if (off >= fdt_size_dt_struct(fdt)) return -1;
  return static_cast<int>(off);
}

uint64_t Cells(const fdt32_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 32) | fdt32_to_cpu(p[i]);
  return v;
}

// Translates a bus address of the children of `bus` (a node offset) up to
// the root through each ancestor's `ranges`. False when a level has no
// `ranges` (not memory mapped) or no entry covers the address.
bool Translate(const void* fdt, int bus, uint64_t* addr) {
  while (bus > 0) {  // the root (offset 0) has no ranges to apply
    const int parent = fdt_parent_offset(fdt, bus);
    if (parent < 0) return false;
    int len = 0;
    const auto* r = static_cast<const fdt32_t*>(fdt_getprop(fdt, bus, "ranges", &len));
    if (r == nullptr) return false;
    if (len > 0) {
      const int cac = fdt_address_cells(fdt, bus), csc = fdt_size_cells(fdt, bus);
      const int pac = fdt_address_cells(fdt, parent);
      if (cac < 1 || cac > 2 || csc < 0 || csc > 2 || pac < 1 || pac > 2) return false;
      const int entry = cac + pac + csc;
      const int n = len / (4 * entry);
      bool found = false;
      for (int i = 0; i < n && !found; ++i) {
        const fdt32_t* e = r + i * entry;
        const uint64_t child = Cells(e, cac), par = Cells(e + cac, pac), size = Cells(e + cac + pac, csc);
        if (*addr >= child && *addr - child < size) {
          *addr = par + (*addr - child);
          found = true;
        }
      }
      if (!found) return false;
    }
    bus = parent;
  }
  return true;
}

}  // namespace

uint64_t OfFindCompatible(Hypervisor::Impl& m, uint64_t from, const char* type, const char* compat) {
  const void* fdt = Fdt(m);
  if (fdt == nullptr || compat == nullptr) return 0;
  int off = from == 0 ? -1 : NodeOffset(m, from);
  if (from != 0 && off < 0) return 0;
  for (;;) {
    off = fdt_node_offset_by_compatible(fdt, off, compat);
    if (off < 0) return 0;
    if (type == nullptr) break;
    int len = 0;
    const char* dt = static_cast<const char*>(fdt_getprop(fdt, off, "device_type", &len));
    if (dt != nullptr && strnlen(dt, static_cast<size_t>(len)) < static_cast<size_t>(len) &&
        std::strcmp(dt, type) == 0)
      break;
  }
  return kNodeHandleBase + static_cast<uint64_t>(off);
}

// The kernel's of_property_read_u32/u64 results: -EINVAL no such property,
// -ENODATA no value, -EOVERFLOW too short.
namespace {
// `cells` 32-bit big-endian cells of a property as one number.
int ReadCells(Hypervisor::Impl& m, uint64_t node, const char* name, int cells, uint64_t* out) {
  const int off = NodeOffset(m, node);
  if (off < 0 || name == nullptr) return -EINVAL;
  int len = 0;
  const void* p = fdt_getprop(Fdt(m), off, name, &len);
  if (p == nullptr) return -EINVAL;
  if (len == 0) return -ENODATA;
  if (len < 4 * cells) return -EOVERFLOW;
  *out = Cells(static_cast<const fdt32_t*>(p), cells);
  return 0;
}
}  // namespace

int OfReadU32(Hypervisor::Impl& m, uint64_t node, const char* name, uint32_t* out) {
  uint64_t v = 0;
  const int rc = ReadCells(m, node, name, 1, &v);
  if (rc == 0) *out = static_cast<uint32_t>(v);
  return rc;
}

int OfReadU64(Hypervisor::Impl& m, uint64_t node, const char* name, uint64_t* out) {
  return ReadCells(m, node, name, 2, out);
}

int OfAddressToResource(Hypervisor::Impl& m, uint64_t node, int index, KernelResource* out) {
  const int off = NodeOffset(m, node);
  if (off < 0 || index < 0) return -EINVAL;
  const void* fdt = Fdt(m);
  const int parent = fdt_parent_offset(fdt, off);
  if (parent < 0) return -EINVAL;
  const int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
  if (ac < 1 || ac > 2 || sc < 0 || sc > 2) return -EINVAL;
  int len = 0;
  const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, off, "reg", &len));
  if (reg == nullptr) return -EINVAL;
  const int entry = ac + sc;
  if ((index + 1) * entry * 4 > len) return -EINVAL;
  uint64_t addr = Cells(reg + index * entry, ac);
  const uint64_t size = Cells(reg + index * entry + ac, sc);
  if (!Translate(fdt, parent, &addr)) return -EINVAL;
  std::memset(out, 0, sizeof *out);
  out->start = addr;
  out->end = addr + size - 1;
  out->flags = kIoresourceMem;
  return 0;
}

bool OfDeviceIsAvailable(Hypervisor::Impl& m, uint64_t node) {
  const int off = NodeOffset(m, node);
  if (off < 0) return false;
  int len = 0;
  const char* s = static_cast<const char*>(fdt_getprop(Fdt(m), off, "status", &len));
  if (s == nullptr) return true;
  if (len <= 0 || strnlen(s, static_cast<size_t>(len)) >= static_cast<size_t>(len)) return false;
  return std::strcmp(s, "okay") == 0 || std::strcmp(s, "ok") == 0;
}

absl::Status BindDeviceTree(Hypervisor::Impl& m) {
  if (Fdt(m) == nullptr) return absl::OkStatus();
  for (const char* compat : {"arm,pl011", "arm,primecell"}) {
    for (uint64_t n = OfFindCompatible(m, 0, nullptr, compat); n != 0;
         n = OfFindCompatible(m, n, nullptr, compat)) {
      if (!OfDeviceIsAvailable(m, n)) continue;
      if (std::strcmp(compat, "arm,primecell") == 0 &&
          fdt_node_check_compatible(Fdt(m), NodeOffset(m, n), "arm,pl011") == 0)
        continue;  // bound by the first pass
      KernelResource r{};
      if (OfAddressToResource(m, n, 0, &r) != 0) continue;
      const uint64_t phys = r.start & ~(kPageSize - 1);
      const uint64_t size = ((r.end + 1 - phys) + kPageSize - 1) & ~(kPageSize - 1);
      uint64_t off = 0;
      if (ModelAt(m, phys, &off) != nullptr) continue;  // the test attached its own
      const char* name = fdt_get_name(Fdt(m), NodeOffset(m, n), nullptr);
      if (absl::Status s = Attach(m, phys, size, std::make_shared<Pl011Device>(),
                                  name != nullptr ? name : "pl011", true);
          !s.ok())
        return internal::ErrnoError(internal::ErrnoOf(s),
                                    absl::StrCat("device tree node ", name ? name : "?", ": ",
                                                 s.message()));
      m.Log(absl::StrFormat("%#x.pl011: ttyAMA%d at MMIO %#x (emulated PL011)", phys,
                            static_cast<int>(State(m).consoles - 1), phys));
    }
  }
  return absl::OkStatus();
}

}  // namespace devices

Status Hypervisor::SetDeviceTree(std::vector<uint8_t> dtb) {
  Impl& m = *impl_;
  if (m.state != MachineState::kCreated)
    return Status(-EBUSY, "the device tree describes the machine: set it before Boot()");
  if (dtb.size() < sizeof(fdt_header))
    return Status(-EINVAL, absl::StrFormat("not a flattened device tree: %u bytes is shorter "
                                           "than an FDT header",
                                           dtb.size()));
  // libfdt is only handed blobs whose every offset and length is in bounds
  // (fdt_validate.h says which blobs it crashes or hangs on).
  if (absl::Status s = devices::ValidateFdtLayout(dtb); !s.ok())
    return Status(-EINVAL, absl::StrCat("not a valid flattened device tree (DTB): ",
                                        s.message()));
  if (int rc = fdt_check_full(dtb.data(), dtb.size()); rc != 0)
    return Status(-EINVAL, absl::StrCat("not a valid flattened device tree (DTB): ",
                                        fdt_strerror(rc)));
  devices::State(m).dtb = std::move(dtb);
  return Status();
}

}  // namespace pkvm

// ---- of_* for native EL1 module code (include/pkvm/compat/linux/of.h) ------------------
namespace {
pkvm::Hypervisor::Impl& OfMachine(const char* fn) { return pkvm::MachineOrDie(fn); }
uint64_t H(const void* p) { return reinterpret_cast<uint64_t>(p); }
}  // namespace

extern "C" {
struct device_node;
struct resource;
struct device_node* of_find_compatible_node(struct device_node* from, const char* type,
                                            const char* compat) {
  return reinterpret_cast<struct device_node*>(
      pkvm::devices::OfFindCompatible(OfMachine(__func__), H(from), type, compat));
}
int of_property_read_u32(const struct device_node* np, const char* name, uint32_t* out) {
  return pkvm::devices::OfReadU32(OfMachine(__func__), H(np), name, out);
}
int of_property_read_u64(const struct device_node* np, const char* name, uint64_t* out) {
  return pkvm::devices::OfReadU64(OfMachine(__func__), H(np), name, out);
}
int of_address_to_resource(struct device_node* np, int index, struct resource* r) {
  return pkvm::devices::OfAddressToResource(
      OfMachine(__func__), H(np), index, reinterpret_cast<pkvm::devices::KernelResource*>(r));
}
bool of_device_is_available(const struct device_node* np) {
  return pkvm::devices::OfDeviceIsAvailable(OfMachine(__func__), H(np));
}
void of_node_put(struct device_node* np) { (void)np; }
}
