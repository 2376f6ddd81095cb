// File: include/pkvm/devices.h
// Emulated MMIO devices a machine can carry (docs/devices.md): a device model
// attached at a physical range before Boot() answers every access to that
// range -- EL2 code's readl()/writel() (natively through the compat
// accessors, in Unicorn as real loads and stores on the device page), EL1
// code in Unicorn, and Hypervisor::host_read()/host_write().
//
//   auto uart = std::make_shared<pkvm::Pl011Device>();
//   (void)hv->AttachMmioDevice(0x09000000, 0x1000, uart, "uart0");
//   (void)hv->Boot();
//   ... module code writes UARTDR ...
//   uart->output();          // the bytes the UART transmitted
//   hv->serial_output();     // the same bytes: a PL011 is the machine's console
//
//   auto dev = std::make_shared<pkvm::CallbackMmioDevice>(
//       [](uint64_t off, unsigned size) -> uint64_t { return off == 0 ? 0x42 : 0; },
//       [](uint64_t off, uint64_t value, unsigned size) { /* record it */ });
#ifndef PKVM_DEVICES_H_
#define PKVM_DEVICES_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

namespace pkvm {

// One device model. Offsets are from the start of the attached range; size
// is the access width in bytes (1, 2, 4 or 8). Called on the thread running
// the machine, never concurrently for one machine. A model must not throw.
class MmioDevice {
 public:
  virtual ~MmioDevice() = default;
  virtual uint64_t Read(uint64_t offset, unsigned size) = 0;
  virtual void Write(uint64_t offset, uint64_t value, unsigned size) = 0;

  // A console device (a UART): what it transmits is the machine's serial
  // output. The machine sets the sink when the device is attached.
  virtual bool is_console() const { return false; }
  void set_console_sink(std::function<void(char)> sink) { console_sink_ = std::move(sink); }

 protected:
  void EmitConsole(char c) const {
    if (console_sink_) console_sink_(c);
  }

 private:
  std::function<void(char)> console_sink_;
};

// A device whose registers are two functions (a test records or scripts
// accesses with it). A missing read function reads 0; a missing write
// function ignores writes.
class CallbackMmioDevice : public MmioDevice {
 public:
  using ReadFn = std::function<uint64_t(uint64_t offset, unsigned size)>;
  using WriteFn = std::function<void(uint64_t offset, uint64_t value, unsigned size)>;
  CallbackMmioDevice(ReadFn read, WriteFn write) : read_(std::move(read)), write_(std::move(write)) {}
  uint64_t Read(uint64_t offset, unsigned size) override { return read_ ? read_(offset, size) : 0; }
  void Write(uint64_t offset, uint64_t value, unsigned size) override {
    if (write_) write_(offset, value, size);
  }

 private:
  ReadFn read_;
  WriteFn write_;
};

// An Arm PrimeCell PL011 UART, the registers a driver touches (offsets and
// bits from the PL011 Technical Reference Manual):
//   DR 0x000 (bits 7:0 data), RSR/ECR 0x004, FR 0x018, ILPR 0x020,
//   IBRD 0x024, FBRD 0x028, LCR_H 0x02c, CR 0x030, IFLS 0x034, IMSC 0x038,
//   RIS 0x03c, MIS 0x040, ICR 0x044, DMACR 0x048, PeriphID/PCellID 0xfe0-0xffc.
// Transmission is instant: FR.TXFF and FR.BUSY always read 0 and FR.TXFE 1,
// so a driver's polling loop never spins. A byte written to DR is
// transmitted when CR.UARTEN and CR.TXE are set (the reset value of CR here
// is 0x301: enabled, as firmware leaves a console UART); otherwise it is
// dropped and counted. Received bytes come from Receive(); FR.RXFE says
// whether any are left. Registers are 32 bits wide: accesses at an offset
// that is not a multiple of 4 read 0 and are counted in bad_accesses().
class Pl011Device : public MmioDevice {
 public:
  static constexpr uint64_t kDR = 0x000, kRSR = 0x004, kFR = 0x018, kILPR = 0x020,
                            kIBRD = 0x024, kFBRD = 0x028, kLCR_H = 0x02c, kCR = 0x030,
                            kIFLS = 0x034, kIMSC = 0x038, kRIS = 0x03c, kMIS = 0x040,
                            kICR = 0x044, kDMACR = 0x048;
  // FR bits.
  static constexpr uint32_t kFrBusy = 1u << 3, kFrRxfe = 1u << 4, kFrTxff = 1u << 5,
                            kFrRxff = 1u << 6, kFrTxfe = 1u << 7;
  // CR bits.
  static constexpr uint32_t kCrUarten = 1u << 0, kCrTxe = 1u << 8, kCrRxe = 1u << 9;
  // Interrupt bits (RIS/MIS/IMSC/ICR).
  static constexpr uint32_t kIntRx = 1u << 4, kIntTx = 1u << 5;

  uint64_t Read(uint64_t offset, unsigned size) override;
  void Write(uint64_t offset, uint64_t value, unsigned size) override;
  bool is_console() const override { return true; }

  // What the UART transmitted.
  const std::string& output() const { return output_; }
  // Bytes the driver wrote while the UART or its transmitter was disabled.
  uint64_t dropped() const { return dropped_; }
  uint64_t bad_accesses() const { return bad_accesses_; }
  // Bytes arriving on the UART's receive line (read from DR).
  void Receive(const std::string& bytes);
  // Register values as a driver left them.
  uint32_t ibrd() const { return ibrd_; }
  uint32_t fbrd() const { return fbrd_; }
  uint32_t lcr_h() const { return lcr_h_; }
  uint32_t cr() const { return cr_; }
  uint32_t imsc() const { return imsc_; }

 private:
  uint32_t Ris() const;
  std::string output_;
  std::deque<uint8_t> rx_;
  uint64_t dropped_ = 0, bad_accesses_ = 0;
  uint32_t ibrd_ = 0, fbrd_ = 0, lcr_h_ = 0, cr_ = 0x301, ifls_ = 0x12, imsc_ = 0, dmacr_ = 0,
           ilpr_ = 0, rsr_ = 0;
  bool tx_int_ = false;  // RIS.TX: set by a transmission, cleared through ICR
};

}  // namespace pkvm

#endif  // PKVM_DEVICES_H_
