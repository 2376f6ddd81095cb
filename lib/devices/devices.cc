// File: lib/devices/devices.cc
// Emulated MMIO devices (docs/devices.md): the PL011 model, attaching models
// to a machine, the access paths that reach them (host_read/host_write, the
// compat readl/writel of native module code), and the console UART that
// carries the machine's serial output.
#include "devices/devices.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "machine.h"
#include "mem/memory.h"
#include "status_internal.h"

namespace pkvm {

// ---- PL011 ----------------------------------------------------------------------

void Pl011Device::Receive(const std::string& bytes) {
  for (char c : bytes) rx_.push_back(static_cast<uint8_t>(c));
}

uint32_t Pl011Device::Ris() const {
  return (rx_.empty() ? 0 : kIntRx) | (tx_int_ ? kIntTx : 0);
}

uint64_t Pl011Device::Read(uint64_t offset, unsigned size) {
  (void)size;
  if (offset % 4 != 0) {
    ++bad_accesses_;
    return 0;
  }
  switch (offset) {
    case kDR: {
      if (rx_.empty()) return 0;
      const uint8_t c = rx_.front();
      rx_.pop_front();
      return c;
    }
    case kRSR: return rsr_;
    case kFR: {
      // Transmission is instant: never busy, FIFO never full, always empty.
      uint32_t fr = kFrTxfe;
      if (rx_.empty()) fr |= kFrRxfe;
      return fr;
    }
    case kILPR: return ilpr_;
    case kIBRD: return ibrd_;
    case kFBRD: return fbrd_;
    case kLCR_H: return lcr_h_;
    case kCR: return cr_;
    case kIFLS: return ifls_;
    case kIMSC: return imsc_;
    case kRIS: return Ris();
    case kMIS: return Ris() & imsc_;
    case kDMACR: return dmacr_;
    // PeriphID0..3 (PL011 r1p5: 0x00341011), PCellID0..3 (0xb105f00d).
    case 0xfe0: return 0x11;
    case 0xfe4: return 0x10;
    case 0xfe8: return 0x34;
    case 0xfec: return 0x00;
    case 0xff0: return 0x0d;
    case 0xff4: return 0xf0;
    case 0xff8: return 0x05;
    case 0xffc: return 0xb1;
    default: return 0;
  }
}

void Pl011Device::Write(uint64_t offset, uint64_t value, unsigned size) {
  (void)size;
  if (offset % 4 != 0) {
    ++bad_accesses_;
    return;
  }
  const uint32_t v = static_cast<uint32_t>(value);
  switch (offset) {
    case kDR:
      if ((cr_ & kCrUarten) == 0 || (cr_ & kCrTxe) == 0) {
        ++dropped_;
        return;
      }
      output_.push_back(static_cast<char>(v & 0xff));
      tx_int_ = true;
      EmitConsole(static_cast<char>(v & 0xff));
      return;
    case kRSR: rsr_ = 0; return;  // a write clears the error flags
    case kILPR: ilpr_ = v & 0xff; return;
    case kIBRD: ibrd_ = v & 0xffff; return;
    case kFBRD: fbrd_ = v & 0x3f; return;
    case kLCR_H: lcr_h_ = v & 0xff; return;
    case kCR: cr_ = v & 0xffff; return;
    case kIFLS: ifls_ = v & 0x3f; return;
    case kIMSC: imsc_ = v & 0x7ff; return;
    case kICR:
      if (v & kIntTx) tx_int_ = false;
      return;
    case kDMACR: dmacr_ = v & 0x7; return;
    default: return;  // read-only or reserved
  }
}

namespace devices {

DeviceState& State(Hypervisor::Impl& m) {
  if (m.devices == nullptr) m.devices = std::make_shared<DeviceState>();
  return *m.devices;
}

MmioDevice* ModelAt(Hypervisor::Impl& m, uint64_t phys, uint64_t* offset) {
  if (m.devices == nullptr || m.devices->by_phys.empty()) return nullptr;
  auto& map = m.devices->by_phys;
  auto it = map.upper_bound(phys);
  if (it == map.begin()) return nullptr;
  --it;
  if (phys - it->second.phys >= it->second.size) return nullptr;
  *offset = phys - it->second.phys;
  return it->second.model.get();
}

bool ModelAccess(Hypervisor::Impl& m, uint64_t phys, uint8_t* buf, size_t len, bool write) {
  uint64_t off = 0;
  MmioDevice* d = ModelAt(m, phys, &off);
  if (d == nullptr) return false;
  for (size_t done = 0; done < len;) {
    const uint64_t o = off + done;
    unsigned n = 8;
    while (n > 1 && (o % n != 0 || len - done < n)) n /= 2;
    uint64_t v = 0;
    if (write) {
      std::memcpy(&v, buf + done, n);
      d->Write(o, v, n);
    } else {
      v = d->Read(o, n);
      std::memcpy(buf + done, &v, n);
    }
    done += n;
  }
  return true;
}

bool HasConsole(Hypervisor::Impl& m) { return m.devices != nullptr && m.devices->consoles > 0; }

absl::Status Attach(Hypervisor::Impl& m, uint64_t phys, uint64_t size,
                    std::shared_ptr<MmioDevice> model, const std::string& name, bool from_dt) {
  using internal::ErrnoError;
  if (model == nullptr) return ErrnoError(EINVAL, "AttachMmioDevice: the device model is null");
  if (m.state != MachineState::kCreated)
    return ErrnoError(EBUSY, "devices are part of the machine: attach them before Boot()");
  if (size == 0 || phys % kPageSize != 0 || size % kPageSize != 0)
    return ErrnoError(EINVAL, absl::StrFormat("cannot attach %s at [%#x, +%#x): the range must "
                                              "be page aligned and not empty",
                                              name, phys, size));
  DeviceState& s = State(m);
  for (const auto& [base, d] : s.by_phys)
    if (phys < d.phys + d.size && d.phys < phys + size)
      return ErrnoError(EEXIST, absl::StrFormat("cannot attach %s at [%#x, +%#x): device %s is "
                                                "attached at [%#x, +%#x)",
                                                name, phys, size, d.name, d.phys, d.size));
  // The range must be a device of the machine: an existing region
  // (AddMmioRegion) covering it, or a new one.
  const mem::MmioRegion* r = m.memory.pages.MmioAt(phys >> 12);
  if (r != nullptr) {
    if (phys + size > (r->base_pfn + r->nr_pages) << 12)
      return ErrnoError(EINVAL, absl::StrFormat("cannot attach %s at [%#x, +%#x): it runs past "
                                                "MMIO region %s",
                                                name, phys, size, r->name));
  } else {
    if (int rc = m.memory.pages.AddMmio(phys, size, name); rc != 0)
      return ErrnoError(-rc, absl::StrFormat(
                                 "cannot attach %s at [%#x, +%#x): a device range must be page "
                                 "aligned, at most 1 GiB, inside the 48-bit physical address "
                                 "space and overlap neither RAM [%#x, +%#x) nor another device",
                                 name, phys, size, kRamBase, m.ram_size));
    mem::Device d;
    d.base_pfn = phys >> 12;
    d.nr_pages = size >> 12;
    m.memory.devices.emplace(d.base_pfn, d);
  }
  if (model->is_console()) {
    ++s.consoles;
    Hypervisor::Impl* mp = &m;
    model->set_console_sink([mp](char c) { mp->serial.push_back(c); });
  }
  s.by_phys.emplace(phys, AttachedDevice{phys, size, name, std::move(model), from_dt});
  return absl::OkStatus();
}

// The native compat accessors (asm/io.h): `addr` is a host pointer EL2 (or
// EL1) code got for a device page -- create_private_mapping, fixmap,
// hyp_va(phys) -- or any other memory.
namespace {

// Native EL2 code touching a device page the hypervisor has no EL2 mapping
// of: the hyp panic the Unicorn backend's data abort gives. Returns true if
// the access may go on.
bool CheckEl2Access(Hypervisor::Impl& m, const ExecContext& ctx, uint64_t phys, bool write) {
  if (ctx.el != ExceptionLevel::kEl2) return true;
  const uint64_t pfn = phys >> 12;
  if (m.memory.pages.MmioAt(pfn) == nullptr) return true;  // RAM: unchecked natively
  const mem::PageRec r = m.memory.pages.Rec(pfn);
  if (r.owner == PageOwner::kHyp || r.hyp != PkvmPageState::kNoPage || r.el2_mappings != 0)
    return true;
  {
    const std::string why = absl::StrFormat(
        "EL2 data abort: %s of device memory at %#x without an EL2 mapping (%s)",
        write ? "write" : "read", phys, m.memory.pages.State(pfn).ToString());
    m.HypPanic(why, ctx.cpu);
  }
  return false;
}

bool Resolve(const volatile void* addr, const ExecContext** ctx, MmioDevice** dev, uint64_t* off,
             bool write) {
  const ExecContext* c = CurrentContext();
  if (c == nullptr || c->machine == nullptr) return false;
  Hypervisor::Impl& m = *c->machine;
  uint64_t phys = 0;
  if (!mem::PtrToPhys(m, const_cast<const void*>(addr), &phys)) return false;
  if (!CheckEl2Access(m, *c, phys, write)) PanicUnwind();
  *ctx = c;
  *dev = ModelAt(m, phys, off);
  return *dev != nullptr;
}

uint64_t PlainRead(const volatile void* addr, unsigned size) {
  switch (size) {
    case 1: return *static_cast<const volatile uint8_t*>(addr);
    case 2: return *static_cast<const volatile uint16_t*>(addr);
    case 4: return *static_cast<const volatile uint32_t*>(addr);
    default: return *static_cast<const volatile uint64_t*>(addr);
  }
}
void PlainWrite(volatile void* addr, uint64_t v, unsigned size) {
  switch (size) {
    case 1: *static_cast<volatile uint8_t*>(addr) = static_cast<uint8_t>(v); break;
    case 2: *static_cast<volatile uint16_t*>(addr) = static_cast<uint16_t>(v); break;
    case 4: *static_cast<volatile uint32_t*>(addr) = static_cast<uint32_t>(v); break;
    default: *static_cast<volatile uint64_t*>(addr) = v; break;
  }
}

}  // namespace
}  // namespace devices

// ---- public API ----------------------------------------------------------------------

Status Hypervisor::AttachMmioDevice(uint64_t phys, uint64_t size,
                                    std::shared_ptr<MmioDevice> device, const std::string& name) {
  return internal::ToPublic(devices::Attach(*impl_, phys, size, std::move(device), name, false));
}

std::shared_ptr<MmioDevice> Hypervisor::mmio_device(uint64_t phys) const {
  if (impl_->devices == nullptr) return nullptr;
  for (const auto& [base, d] : impl_->devices->by_phys)
    if (phys >= d.phys && phys - d.phys < d.size) return d.model;
  return nullptr;
}

}  // namespace pkvm

// Exported to module code (asm/io.h): native EL1 code calls them by these
// names, native EL2 code by the __kvm_nvhe_ ones its objcopy gave it.
extern "C" {
uint64_t pkvm_mmio_read(const volatile void* addr, unsigned size) {
  const pkvm::ExecContext* ctx = nullptr;
  pkvm::MmioDevice* dev = nullptr;
  uint64_t off = 0;
  if (pkvm::devices::Resolve(addr, &ctx, &dev, &off, false)) return dev->Read(off, size);
  return pkvm::devices::PlainRead(addr, size);
}
void pkvm_mmio_write(volatile void* addr, uint64_t value, unsigned size) {
  const pkvm::ExecContext* ctx = nullptr;
  pkvm::MmioDevice* dev = nullptr;
  uint64_t off = 0;
  if (pkvm::devices::Resolve(addr, &ctx, &dev, &off, true)) {
    dev->Write(off, value, size);
    return;
  }
  pkvm::devices::PlainWrite(addr, value, size);
}
void* pkvm_ioremap(uint64_t phys, size_t size) {
  const pkvm::ExecContext* c = pkvm::CurrentContext();
  if (c == nullptr || c->machine == nullptr || size == 0 || phys + size < phys) return nullptr;
  pkvm::Hypervisor::Impl& m = *c->machine;
  const pkvm::mem::MmioRegion* r = m.memory.pages.MmioAt(phys >> 12);
  if (r == nullptr || phys + size > (r->base_pfn + r->nr_pages) << 12) return nullptr;
  return pkvm::mem::PhysToPtr(m, phys);
}
uint64_t __kvm_nvhe_pkvm_mmio_read(const volatile void* addr, unsigned size) {
  return pkvm_mmio_read(addr, size);
}
void __kvm_nvhe_pkvm_mmio_write(volatile void* addr, uint64_t value, unsigned size) {
  pkvm_mmio_write(addr, value, size);
}
}
