// Emulated MMIO devices and the device tree end to end (docs/devices.md):
// the debug_uart module finds a DT-described PL011 with of_*, maps it
// privately at EL2 and makes it the hypervisor's console; a callback device
// sees the exact access sequence EL2 readl/writel make; host accesses reach
// models; a stale EL2 pointer to a device page is a hyp panic. For each
// generation and backend, with the same observable results.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libfdt.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "../modules/debug_uart/debug_uart.h"
#include "backends.h"
#include "pkvm/devices.h"

PKVM_DECLARE_NATIVE_MODULE(debug_uart_a14);
PKVM_DECLARE_NATIVE_MODULE(debug_uart_a15);
PKVM_DECLARE_NATIVE_MODULE(debug_uart_a16);

namespace pkvm::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint64_t kHvc = 0xC6000080;  // the module's hypercall (the first dynamic one)
constexpr uint64_t kUart = 0x09000000;
constexpr uint64_t kDev = 0x0a000000;

// What the device tree should say about the UART.
struct UartNode {
  bool present = true;
  const char* status = nullptr;  // no "status" property
  uint32_t speed = 0;            // no "current-speed" property
};

// A DTB like QEMU virt's: the UART behind a simple-bus whose ranges move
// child address 0 to kUart, so of_address_to_resource() must translate.
std::vector<uint8_t> MakeDtb(const UartNode& u) {
  std::vector<uint8_t> buf(4096);
  void* f = buf.data();
  auto ok = [](int rc) { EXPECT_EQ(rc, 0) << fdt_strerror(rc); };
  ok(fdt_create(f, static_cast<int>(buf.size())));
  ok(fdt_finish_reservemap(f));
  ok(fdt_begin_node(f, ""));
  ok(fdt_property_u32(f, "#address-cells", 2));
  ok(fdt_property_u32(f, "#size-cells", 2));
  ok(fdt_property_string(f, "compatible", "linux,dummy-virt"));
  ok(fdt_begin_node(f, "soc"));
  ok(fdt_property_string(f, "compatible", "simple-bus"));
  ok(fdt_property_u32(f, "#address-cells", 1));
  ok(fdt_property_u32(f, "#size-cells", 1));
  const fdt32_t ranges[] = {cpu_to_fdt32(0), cpu_to_fdt32(0), cpu_to_fdt32(kUart),
                            cpu_to_fdt32(0x100000)};
  ok(fdt_property(f, "ranges", ranges, sizeof ranges));
  if (u.present) {
    ok(fdt_begin_node(f, "pl011@0"));
    const char compat[] = "arm,pl011\0arm,primecell";
    ok(fdt_property(f, "compatible", compat, sizeof compat));
    const fdt32_t reg[] = {cpu_to_fdt32(0), cpu_to_fdt32(0x1000)};
    ok(fdt_property(f, "reg", reg, sizeof reg));
    if (u.status != nullptr) ok(fdt_property_string(f, "status", u.status));
    if (u.speed != 0) ok(fdt_property_u32(f, "current-speed", u.speed));
    ok(fdt_end_node(f));
  }
  ok(fdt_end_node(f));
  ok(fdt_end_node(f));
  ok(fdt_finish(f));
  buf.resize(fdt_totalsize(f));
  return buf;
}

template <Generation G>
const pkvm_native_module& DebugUart() {
  return ForGeneration<G>(PKVM_NATIVE_MODULE(debug_uart_a14), PKVM_NATIVE_MODULE(debug_uart_a15),
                          PKVM_NATIVE_MODULE(debug_uart_a16));
}

struct Access {
  char op;  // 'R' or 'W'
  uint64_t offset, value;
  unsigned size;
  bool operator==(const Access&) const = default;
};
void PrintTo(const Access& a, std::ostream* os) {
  *os << a.op << "(" << std::hex << a.offset << ", " << a.value << ", " << std::dec << a.size << ")";
}

// A device whose register at offset o of width n reads 0x1000 + 0x10 * o + n,
// recording every access.
std::shared_ptr<CallbackMmioDevice> Recorder(std::vector<Access>* log) {
  return std::make_shared<CallbackMmioDevice>(
      [log](uint64_t off, unsigned n) -> uint64_t {
        const uint64_t v = 0x1000 + 0x10 * off + n;
        log->push_back({'R', off, v, n});
        return v;
      },
      [log](uint64_t off, uint64_t v, unsigned n) { log->push_back({'W', off, v, n}); });
}

template <typename C>
class DevicesTest : public ::testing::Test {
 protected:
  // A machine with the debug_uart module and the given DT, booted.
  Status BootWith(const UartNode& u, const std::function<void(Hypervisor&)>& before = nullptr) {
    hv_ = MakeMachine(C::Backend::kKind, C::kGen, "kvm-arm.protected_modules=debug_uart");
    EXPECT_TRUE(hv_->SetDeviceTree(MakeDtb(u)).ok());
    if (before) before(*hv_);
    EXPECT_TRUE(hv_->OfferModule(DebugUart<C::kGen>()).ok());
    return hv_->Boot();
  }
  HvcResult Call(uint64_t cmd, uint64_t a = 0) {
    auto r = hv_->HostHvc(kHvc, {cmd, a});
    EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << hv_->panic_report();
    return r.ok() ? *r : HvcResult{};
  }
  std::shared_ptr<Pl011Device> Uart() {
    return std::dynamic_pointer_cast<Pl011Device>(hv_->mmio_device(kUart));
  }
  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(DevicesTest, GenConfigs, GenConfigNames);

TYPED_TEST(DevicesTest, DtDescribedPl011IsTheHypervisorsSerialConsole) {
  const Status s = this->BootWith({});
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << this->hv_->boot_log();
  EXPECT_THAT(this->hv_->boot_log(), HasSubstr("debug_uart: PL011 at 9000000, 115200 baud"));
  auto uart = this->Uart();
  ASSERT_NE(uart, nullptr) << "Boot() did not bind the DT node to a PL011 model";
  // 24 MHz / (16 * 115200) = 13 + 1/64; 8 bits, FIFOs; UART, TX and RX on.
  EXPECT_EQ(uart->ibrd(), 13u);
  EXPECT_EQ(uart->fbrd(), 1u);
  EXPECT_EQ(uart->lcr_h(), 0x70u);
  EXPECT_EQ(uart->cr(), 0x301u);
  EXPECT_EQ(this->hv_->serial_output(), "");

  EXPECT_EQ(this->Call(DU_HELLO, 0xfeed).x(1), 0u);
  const std::string line = "debug_uart: hello from EL2\n\r0x000000000000feed\n\r";
  EXPECT_EQ(uart->output(), line);
  EXPECT_EQ(this->hv_->serial_output(), line);  // once: the UART carries it
  EXPECT_EQ(uart->dropped(), 0u);
}

TYPED_TEST(DevicesTest, ATestsOwnUartModelWinsOverTheDeviceTree) {
  auto mine = std::make_shared<Pl011Device>();
  const Status s = this->BootWith({.speed = 9600}, [&](Hypervisor& hv) {
    ASSERT_TRUE(hv.AttachMmioDevice(kUart, 0x1000, mine, "my-uart").ok());
  });
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << this->hv_->boot_log();
  EXPECT_EQ(this->hv_->mmio_device(kUart), mine);
  // 24 MHz / (16 * 9600) = 156.25: 156 + 16/64.
  EXPECT_EQ(mine->ibrd(), 156u);
  EXPECT_EQ(mine->fbrd(), 16u);
  EXPECT_EQ(this->Call(DU_HELLO, 1).x(1), 0u);
  EXPECT_THAT(mine->output(), HasSubstr("hello from EL2"));
}

TYPED_TEST(DevicesTest, ReadlReturnsTheModelsRegisters) {
  ASSERT_TRUE(this->BootWith({}).ok()) << this->hv_->boot_log();
  auto uart = this->Uart();
  ASSERT_NE(uart, nullptr);
  EXPECT_EQ(this->Call(DU_UART_READL, DU_UART_FR).x(1), 0x90u);  // TXFE | RXFE
  EXPECT_EQ(this->Call(DU_UART_READL, DU_UART_PERIPHID0).x(1), 0x11u);
  EXPECT_EQ(this->Call(DU_UART_READL, DU_UART_CR).x(1), 0x301u);
  uart->Receive("k");
  EXPECT_EQ(this->Call(DU_UART_READL, DU_UART_FR).x(1), 0x80u);  // RX FIFO not empty
  EXPECT_EQ(this->Call(DU_UART_READL, DU_UART_DR).x(1), uint64_t{'k'});
  EXPECT_EQ(this->Call(DU_UART_READL, DU_UART_FR).x(1), 0x90u);
}

TYPED_TEST(DevicesTest, CallbackDeviceSeesTheExactAccessSequence) {
  std::vector<Access> log;
  ASSERT_TRUE(this->BootWith({}, [&](Hypervisor& hv) {
                    ASSERT_TRUE(hv.AttachMmioDevice(kDev, 0x1000, Recorder(&log), "rec").ok());
                  }).ok())
      << this->hv_->boot_log();
  ASSERT_TRUE(log.empty());
  const HvcResult r = this->Call(DU_PROBE, kDev);
  EXPECT_THAT(log, ElementsAre(Access{'W', 0x10, 0x12345678, 4}, Access{'R', 0x14, 0x1144, 4},
                               Access{'W', 0x01, 0x5a, 1}, Access{'W', 0x02, 0xbeef, 2},
                               Access{'W', 0x18, 0x0123456789abcdefull, 8},
                               Access{'R', 0x20, 0x1208, 8}, Access{'R', 0x05, 0x1051, 1},
                               Access{'R', 0x06, 0x1062, 2}, Access{'W', 0x28, 0xcafe, 4},
                               Access{'R', 0x2c, 0x12c4, 4}));
  EXPECT_EQ(r.x(2), 0x1144u);
  EXPECT_EQ(r.x(3), 0x1208u);
  EXPECT_EQ(r.x(1), 0x51u + 0x1062u + 0x12c4u);  // readb keeps 8 bits
}

TYPED_TEST(DevicesTest, HostAccessesReachTheModel) {
  std::vector<Access> log;
  ASSERT_TRUE(this->BootWith({}, [&](Hypervisor& hv) {
                    ASSERT_TRUE(hv.AttachMmioDevice(kDev, 0x1000, Recorder(&log), "rec").ok());
                  }).ok())
      << this->hv_->boot_log();
  log.clear();  // nothing touches it at boot, but be exact from here
  const uint32_t w = 0xa5a5;
  ASSERT_TRUE(this->hv_->host_write(kDev + 0x40, &w, sizeof w).ok());
  uint64_t q = 0;
  ASSERT_TRUE(this->hv_->host_read(kDev + 0x48, &q, sizeof q).ok());
  uint8_t three[3];
  ASSERT_TRUE(this->hv_->host_read(kDev + 0x51, three, sizeof three).ok());
  EXPECT_THAT(log, ElementsAre(Access{'W', 0x40, 0xa5a5, 4}, Access{'R', 0x48, 0x1488, 8},
                               Access{'R', 0x51, 0x1511, 1}, Access{'R', 0x52, 0x1522, 2}));
  EXPECT_EQ(q, 0x1488u);
  uint32_t fr = 0;
  ASSERT_TRUE(this->hv_->host_read(kUart + DU_UART_FR, &fr, sizeof fr).ok());
  EXPECT_EQ(fr, 0x90u);
  const uint32_t c = 'H';
  ASSERT_TRUE(this->hv_->host_write(kUart + DU_UART_DR, &c, sizeof c).ok());
  EXPECT_EQ(this->hv_->serial_output(), "H");
}

TYPED_TEST(DevicesTest, DevicePageWithoutAnEl2MappingIsAHypPanic) {
  std::vector<Access> log;
  ASSERT_TRUE(this->BootWith({}, [&](Hypervisor& hv) {
                    ASSERT_TRUE(hv.AttachMmioDevice(kDev, 0x1000, Recorder(&log), "rec").ok());
                  }).ok())
      << this->hv_->boot_log();
  auto r = this->hv_->HostHvc(kHvc, {DU_STALE_FIXMAP, kDev});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().error(), -EIO);
  EXPECT_THAT(this->hv_->panic_report(),
              AllOf(HasSubstr("EL2 data abort"), HasSubstr("0xa000000"), HasSubstr("pfn 0xa000")))
      << this->hv_->panic_report();
  // Only the read through the live fixmap reached the device.
  EXPECT_THAT(log, ElementsAre(Access{'R', 0, 0x1004, 4}));
}

TYPED_TEST(DevicesTest, NoPl011NodeFailsInitWithENODEV) {
  const Status s = this->BootWith({.present = false});
  EXPECT_EQ(s.error(), -ENODEV) << s.ToString();
  EXPECT_THAT(this->hv_->boot_log(), HasSubstr("debug_uart: no arm,pl011 node"));
  EXPECT_EQ(this->hv_->mmio_device(kUart), nullptr);
}

TYPED_TEST(DevicesTest, DisabledPl011FailsInitWithENODEVAndGetsNoModel) {
  const Status s = this->BootWith({.status = "disabled"});
  EXPECT_EQ(s.error(), -ENODEV) << s.ToString();
  EXPECT_THAT(this->hv_->boot_log(), HasSubstr("debug_uart: the PL011 is disabled"));
  EXPECT_EQ(this->hv_->mmio_device(kUart), nullptr);
}

TYPED_TEST(DevicesTest, OkayStatusIsAvailable) {
  const Status s = this->BootWith({.status = "okay"});
  EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << this->hv_->boot_log();
  EXPECT_NE(this->Uart(), nullptr);
}

// ---- API errors and the PL011 model (no module code) --------------------------------

TEST(DeviceApiTest, BadDeviceTreesAreEinvalAndLateOnesEbusy) {
  auto hv = MakeMachine(BackendKind::kNative, Generation::kA15, "");
  Status s = hv->SetDeviceTree({1, 2, 3});
  EXPECT_EQ(s.error(), -EINVAL);
  EXPECT_THAT(s.message(), HasSubstr("not a flattened device tree"));
  std::vector<uint8_t> dtb = MakeDtb({});
  std::vector<uint8_t> bad = dtb;
  bad[0] ^= 0xff;  // magic
  s = hv->SetDeviceTree(bad);
  EXPECT_EQ(s.error(), -EINVAL);
  EXPECT_THAT(s.message(), HasSubstr("not a valid flattened device tree"));
  bad = dtb;
  bad.resize(bad.size() - 16);  // truncated
  EXPECT_EQ(hv->SetDeviceTree(bad).error(), -EINVAL);
  EXPECT_TRUE(hv->SetDeviceTree(dtb).ok());
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();
  EXPECT_THAT(hv->boot_log(), HasSubstr("emulated PL011"));
  EXPECT_EQ(hv->SetDeviceTree(dtb).error(), -EBUSY);
}

// Blobs libfdt 1.6.1's fdt_check_full() crashes (NULL dereference) or hangs
// on (a property length near 2^32 wraps its offset arithmetic): refused
// with a message before libfdt sees them.
TEST(DeviceApiTest, HostileDeviceTreesAreRefusedNotCrashedOn) {
  const std::vector<uint8_t> dtb = MakeDtb({.present = true});
  auto set_be32 = [](std::vector<uint8_t>& b, size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  };
  auto get_be32 = [](const std::vector<uint8_t>& b, size_t off) {
    return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) |
           (uint32_t{b[off + 2]} << 8) | b[off + 3];
  };
  auto refused = [](std::vector<uint8_t> blob, const char* why) {
    auto hv = MakeMachine(BackendKind::kNative, Generation::kA15, "");
    const Status s = hv->SetDeviceTree(std::move(blob));
    EXPECT_EQ(s.error(), -EINVAL) << why;
    EXPECT_THAT(s.message(), HasSubstr("not a valid flattened device tree")) << why;
    return s.message();
  };
  std::vector<uint8_t> v2 = dtb;
  set_be32(v2, 20, 2);  // version
  set_be32(v2, 24, 2);  // last_comp_version
  EXPECT_THAT(refused(v2, "version 2"), HasSubstr("version 2"));

  // The first property of the root node: its length field set near 2^32.
  const uint32_t off_struct = get_be32(dtb, 8);
  size_t prop = off_struct;
  while (get_be32(dtb, prop) != 3 /* FDT_PROP */) prop += 4;
  for (uint32_t len : {0xfffffff8u, 0xfffffffcu, 0x80000000u, 0xffffffffu}) {
    std::vector<uint8_t> huge = dtb;
    set_be32(huge, prop + 4, len);
    EXPECT_THAT(refused(huge, "huge property"), HasSubstr("property value length"));
  }
  std::vector<uint8_t> name = dtb;
  set_be32(name, prop + 8, 0xfffffff0u);  // nameoff
  EXPECT_THAT(refused(name, "name offset"), HasSubstr("property name offset"));
  std::vector<uint8_t> total = dtb;
  set_be32(total, 4, 0xffffffffu);  // totalsize past the buffer
  EXPECT_THAT(refused(total, "totalsize"), HasSubstr("totalsize"));
  std::vector<uint8_t> token = dtb;
  set_be32(token, prop, 0x77);  // not a token
  EXPECT_THAT(refused(token, "token"), HasSubstr("unknown token"));

  // The original still works.
  auto hv = MakeMachine(BackendKind::kNative, Generation::kA15, "");
  EXPECT_TRUE(hv->SetDeviceTree(dtb).ok());
}

TEST(DeviceApiTest, AttachErrors) {
  auto hv = MakeMachine(BackendKind::kNative, Generation::kA15, "");
  auto dev = std::make_shared<Pl011Device>();
  EXPECT_EQ(hv->AttachMmioDevice(kUart, 0x1000, nullptr, "x").error(), -EINVAL);
  EXPECT_EQ(hv->AttachMmioDevice(kUart + 1, 0x1000, dev, "x").error(), -EINVAL);
  EXPECT_EQ(hv->AttachMmioDevice(kUart, 0, dev, "x").error(), -EINVAL);
  EXPECT_EQ(hv->AttachMmioDevice(0x40000000, 0x1000, dev, "in RAM").error(), -EINVAL);
  ASSERT_TRUE(hv->AttachMmioDevice(kUart, 0x2000, dev, "x").ok());
  const Status s = hv->AttachMmioDevice(kUart + 0x1000, 0x1000, dev, "y");
  EXPECT_EQ(s.error(), -EEXIST);
  EXPECT_THAT(s.message(), HasSubstr("device x is attached"));
  // A model on part of a region added before: fine; past its end: -EINVAL.
  ASSERT_TRUE(hv->AddMmioRegion(kDev, 0x2000, "plain").ok());
  EXPECT_EQ(hv->AttachMmioDevice(kDev + 0x1000, 0x2000, dev, "z").error(), -EINVAL);
  EXPECT_TRUE(hv->AttachMmioDevice(kDev + 0x1000, 0x1000, dev, "z").ok());
  ASSERT_TRUE(hv->Boot().ok());
  EXPECT_EQ(hv->AttachMmioDevice(0x0b000000, 0x1000, dev, "late").error(), -EBUSY);
}

TEST(Pl011ModelTest, RegistersAsTheTrmSays) {
  Pl011Device u;
  EXPECT_EQ(u.Read(Pl011Device::kFR, 4), 0x90u);
  EXPECT_EQ(u.Read(Pl011Device::kCR, 4), 0x301u);
  u.Write(Pl011Device::kCR, 0, 4);  // disabled: bytes are dropped
  u.Write(Pl011Device::kDR, 'a', 4);
  EXPECT_EQ(u.output(), "");
  EXPECT_EQ(u.dropped(), 1u);
  u.Write(Pl011Device::kCR, Pl011Device::kCrUarten, 4);  // TXE off: still dropped
  u.Write(Pl011Device::kDR, 'b', 4);
  EXPECT_EQ(u.dropped(), 2u);
  u.Write(Pl011Device::kCR, Pl011Device::kCrUarten | Pl011Device::kCrTxe, 4);
  u.Write(Pl011Device::kDR, 0x163, 4);  // only bits 7:0 are data
  EXPECT_EQ(u.output(), "c");
  EXPECT_EQ(u.Read(Pl011Device::kRIS, 4), Pl011Device::kIntTx);
  EXPECT_EQ(u.Read(Pl011Device::kMIS, 4), 0u);
  u.Write(Pl011Device::kIMSC, Pl011Device::kIntTx, 4);
  EXPECT_EQ(u.Read(Pl011Device::kMIS, 4), Pl011Device::kIntTx);
  u.Write(Pl011Device::kICR, Pl011Device::kIntTx, 4);
  EXPECT_EQ(u.Read(Pl011Device::kRIS, 4), 0u);
  u.Write(Pl011Device::kFBRD, 0xff, 4);
  EXPECT_EQ(u.fbrd(), 0x3fu);  // 6 bits
  EXPECT_EQ(u.Read(0x1, 1), 0u);
  EXPECT_EQ(u.bad_accesses(), 1u);
  uint32_t cell = 0;
  for (int i = 0; i < 4; ++i) cell |= static_cast<uint32_t>(u.Read(0xff0 + 4 * i, 4)) << (8 * i);
  EXPECT_EQ(cell, 0xb105f00du);
}

}  // namespace
}  // namespace pkvm::testing
