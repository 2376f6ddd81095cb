// File: test/hardware/hardware_test.cc
// Host side of the hardware backend's test: reads the UART log of the
// bare-metal image's QEMU boot (the hardware_qemu_boot fixture), checks
// every result line, decodes the trace pages the image printed with the
// library's ring-page reader (lib/trace/ring_reader.h) and checks the
// events, and checks the hyp-panic report of the deliberate data abort.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pkvm/abi/smccc.h"
#include "trace/ring_reader.h"

namespace {

constexpr uint64_t kNotSupported = ~0ull;  // SMCCC NOT_SUPPORTED (-1)

struct Log {
  std::vector<std::string> lines;
  std::map<std::string, std::map<std::string, uint64_t>> results;  // RESULT name k=v...
  std::map<std::string, std::map<std::string, uint64_t>> loaded;   // LOADED name k=v...
  std::map<std::string, std::map<std::string, uint64_t>> bench;    // BENCH name k=v...
  std::map<std::string, uint64_t> events;                          // EVENT name id
  std::map<std::string, uint64_t> panic;                           // HYP_PANIC k=v
  std::map<std::string, uint64_t> fault_expect;
  std::vector<std::vector<uint8_t>> pages;
  std::string raw;
};

std::map<std::string, uint64_t> KeyValues(std::istringstream& in) {
  std::map<std::string, uint64_t> kv;
  std::string tok;
  while (in >> tok) {
    const size_t eq = tok.find('=');
    if (eq == std::string::npos) continue;
    kv[tok.substr(0, eq)] = std::stoull(tok.substr(eq + 1), nullptr, 0);
  }
  return kv;
}

std::vector<uint8_t> Unhex(const std::string& hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

Log* ReadLog(int gen) {
    auto* l = new Log;
    std::ifstream f(std::string(PKVM_HW_LOG_DIR) + "/hardware_uart_a" + std::to_string(gen) + ".log");
    std::string line;
    while (std::getline(f, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
      l->raw += line + "\n";
      l->lines.push_back(line);
      std::istringstream in(line);
      std::string kind, name;
      in >> kind;
      if (kind == "RESULT") {
        in >> name;
        std::string rest;
        std::getline(in, rest);
        std::istringstream r(rest);
        l->results[name] = KeyValues(r);
      } else if (kind == "LOADED") {
        in >> name;
        l->loaded[name] = KeyValues(in);
      } else if (kind == "BENCH") {
        in >> name;
        l->bench[name] = KeyValues(in);
      } else if (kind == "EVENT") {
        uint64_t id;
        in >> name >> id;
        l->events[name] = id;
      } else if (kind == "HYP_PANIC") {
        l->panic = KeyValues(in);
        l->panic["seen"] = 1;
      } else if (kind == "FAULT_EXPECT") {
        l->fault_expect = KeyValues(in);
      } else if (kind == "TRACE_PAGE") {
        std::string id, hex;
        in >> id >> hex;
        l->pages.push_back(Unhex(hex));
      }
    }
    return l;
}

// The generation of the image whose log the current test reads.
int g_gen = 15;

const Log& TheLog() {
  // Read once per image for the whole run (reachable until exit).
  static auto* logs = new std::map<int, const Log*>();
  const Log*& l = (*logs)[g_gen];
  if (l == nullptr) l = ReadLog(g_gen);
  return *l;
}

class HardwareBoot : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { g_gen = GetParam(); }
  bool a14() const { return GetParam() == 14; }
  // A16 and A17 modules are built with CONFIG_PKVM_FTRACE.
  bool ftrace() const { return GetParam() >= 16; }
};

uint64_t Res(const std::string& name, const std::string& key) {
  const auto& r = TheLog().results;
  auto it = r.find(name);
  EXPECT_NE(it, r.end()) << "no RESULT " << name << " in the UART log:\n" << TheLog().raw;
  if (it == r.end()) return 0xDEADDEADDEADDEADull;
  auto kv = it->second.find(key);
  EXPECT_NE(kv, it->second.end()) << "RESULT " << name << " has no " << key;
  return kv == it->second.end() ? 0xDEADDEADDEADDEADull : kv->second;
}

TEST_P(HardwareBoot, ReachedEl1AndLoadedBothModules) {
  const Log& log = TheLog();
  ASSERT_FALSE(log.lines.empty()) << "empty UART log";
  EXPECT_NE(log.raw.find("EL1: host kernel running at EL1"), std::string::npos) << log.raw;
  EXPECT_NE(log.raw.find("GENERATION " + std::to_string(GetParam()) + "\n"), std::string::npos);
  EXPECT_EQ(Res("load_pkvm_driver", "ret"), 0u);
  EXPECT_EQ(Res("load_hw_fault", "ret"), 0u);
  for (const char* m : {"pkvm_driver", "hw_fault"}) {
    SCOPED_TRACE(m);
    ASSERT_TRUE(log.loaded.count(m));
    const auto& l = log.loaded.at(m);
    EXPECT_EQ(l.at("init_x0"), 0u);
    EXPECT_EQ(l.at("init_ret"), 0u);
    // The EL2 image runs at a hyp VA in the module window, not where EL1
    // placed it: the relocations really had to be applied.
    EXPECT_GE(l.at("hyp_va"), 0x4000000000ull);
    EXPECT_NE(l.at("hyp_va"), l.at("el1_va"));
    EXPECT_EQ(l.at("mapped"), l.at("pages"));
  }
  // A15 pkvm_driver: one page each of text, rodata, event_ids, data, bss;
  // A14 pkvm_driver (no events, no state) and hw_fault: text and data. From
  // A16 the image's return-only ftrace hooks add a second text page.
  EXPECT_EQ(log.loaded.at("pkvm_driver").at("pages"), a14() ? 2u : ftrace() ? 6u : 5u);
  EXPECT_EQ(log.loaded.at("hw_fault").at("pages"), ftrace() ? 3u : 2u);
  // A15 pkvm_driver's .hyp.reloc: the event's enable-flag pointer and the
  // two string pointers of its field table. The A14 form holds no pointers.
  EXPECT_EQ(log.loaded.at("pkvm_driver").at("relocs"), a14() ? 0u : 3u);
  EXPECT_NE(log.loaded.at("pkvm_driver").at("hyp_va"), log.loaded.at("hw_fault").at("hyp_va"));
}

TEST_P(HardwareBoot, DynamicIdsAreHandedOutInOrder) {
  EXPECT_EQ(Res("register_pkvm_driver", "x0"), 0u);
  EXPECT_EQ(Res("register_pkvm_driver", "x1"), 128u);
  EXPECT_EQ(Res("register_hw_fault", "x0"), 0u);
  EXPECT_EQ(Res("register_hw_fault", "x1"), 129u);
}

TEST_P(HardwareBoot, DynamicCallRunsTheModuleHandlerAtEl2) {
  // A15 pkvm_driver_hyp_hvc sets x0 = SUCCESS and x1 = 0. The A14 one only
  // sets x1: SUCCESS in x0 is the dispatcher's preset (x0 held the function id).
  EXPECT_EQ(Res("dyn_call", "x0"), 0u);
  EXPECT_EQ(Res("dyn_call", "x1"), 0u);
  if (a14()) {
    // A14 does not strip the SVE hint: 0xC6010080 is an unknown dynamic id.
    EXPECT_EQ(Res("dyn_call_sve_hint", "x0"), kNotSupported);
    EXPECT_EQ(Res("dyn_call_sve_hint", "x1"), 0x43u);
  } else {
    EXPECT_EQ(Res("dyn_call_sve_hint", "x0"), 0u);  // A15 strips bit 16
    EXPECT_EQ(Res("dyn_call_sve_hint", "x1"), 0u);
  }
  EXPECT_EQ(Res("dyn_call_after_finalize", "x0"), 0u);
  EXPECT_EQ(Res("dyn_call_after_finalize", "x1"), 0u);
}

TEST_P(HardwareBoot, UnknownIdsAreNotSupported) {
  EXPECT_EQ(Res("unknown_dynamic", "x0"), kNotSupported);
  EXPECT_EQ(Res("unknown_dynamic", "x1"), 0x44u);  // untouched
  EXPECT_EQ(Res("unknown_static", "x0"), kNotSupported);
  EXPECT_EQ(Res("foreign_fid", "x0"), kNotSupported);
  EXPECT_EQ(Res("smc_trapped", "x0"), kNotSupported);
  EXPECT_EQ(Res("smc_trapped", "x1"), 5u);
}

TEST_P(HardwareBoot, DeprivilegeClosesThePrivilegedCalls) {
  EXPECT_EQ(Res("static_get_mdcr_before", "x0"), 0u);
  EXPECT_EQ(Res("prot_finalize", "x0"), 0u);
  EXPECT_EQ(Res("static_get_mdcr_after", "x0"), kNotSupported);
  EXPECT_EQ(Res("register_after_finalize", "x0"), kNotSupported);
  EXPECT_EQ(Res("alloc_va_after_finalize", "x0"), kNotSupported);
}

TEST_P(HardwareBoot, HarnessCallsAnswer) {
  EXPECT_EQ(Res("tracing_enable", "x0"), 0u);
  EXPECT_EQ(Res("event_enable_host_hcall", "x1"), 0u);
  // A14 modules have no hypervisor events.
  EXPECT_EQ(static_cast<int64_t>(Res("event_enable_pkvm_driver_event", "x1")), a14() ? -2 : 0);
  EXPECT_EQ(static_cast<int64_t>(Res("event_enable_unknown", "x1")), -2);  // -ENOENT
  EXPECT_GE(Res("trace_dump", "x1"), 1u);
}

struct Decoded {
  uint64_t ts;
  std::vector<uint8_t> rec;
};

std::vector<Decoded> DecodeTrace() {
  std::vector<Decoded> out;
  for (const auto& page : TheLog().pages) {
    EXPECT_EQ(page.size(), pkvm::trace::kPageSize);
    if (page.size() != pkvm::trace::kPageSize) continue;
    pkvm::trace::PageCursor cursor(page.data(), g_gen == 14 ? pkvm::trace::kDataSizeA14
                                                             : pkvm::trace::kDataSize);
    pkvm::trace::Event ev;
    while (cursor.Next(&ev)) out.push_back({ev.timestamp_ns, {ev.data, ev.data + ev.size}});
  }
  return out;
}

template <typename T>
T At(const std::vector<uint8_t>& rec, size_t off) {
  T v{};
  if (off + sizeof(T) <= rec.size()) std::memcpy(&v, rec.data() + off, sizeof(T));
  return v;
}

TEST_P(HardwareBoot, TracePagesDecodeToTheExpectedEvents) {
  const Log& log = TheLog();
  ASSERT_TRUE(log.events.count("host_hcall"));
  ASSERT_TRUE(log.events.count("host_smc"));
  ASSERT_EQ(log.events.count("pkvm_driver_event"), a14() ? 0u : 1u);
  const uint64_t hcall_ev = log.events.at("host_hcall");
  const uint64_t smc_ev = log.events.at("host_smc");
  const uint64_t drv_ev = a14() ? 0 : log.events.at("pkvm_driver_event");
  ASSERT_FALSE(log.pages.empty());

  // What the image did after enabling the events, in order:
  // (event id, payload check)
  struct Want {
    uint64_t ev;
    uint64_t a;  // host_hcall: function number; driver: id; smc: SMC id
    uint64_t b;  // host_hcall: invalid
  };
  const uint64_t drv = 128;
  const uint64_t finalize = pkvm_prot_finalize_id(GetParam());  // 19, 20, 21 from A16
  std::vector<Want> want = {
      {hcall_ev, 101, 0},  // enabling host_hcall: traced on its way out
      {hcall_ev, 101, 0},  // enabling host_smc
      {hcall_ev, 101, 0},  // enabling pkvm_driver_event (A14: -ENOENT, still a valid call)
      {hcall_ev, 101, 0},  // enabling an unknown event (answers -ENOENT)
  };
  auto dyn = [&](uint64_t arg) {
    if (!a14()) want.push_back({drv_ev, arg, 0});
    want.push_back({hcall_ev, drv, 0});
  };
  dyn(0x42);
  if (a14()) {
    want.push_back({hcall_ev, drv | 0x10000, 1});  // SVE hint kept: unknown id
  } else {
    want.push_back({drv_ev, 0x43, 0});
    want.push_back({hcall_ev, drv | 0x10000, 0});
  }
  for (const Want& w : std::vector<Want>{
           {hcall_ev, 130, 1},                        // unknown dynamic id
           {hcall_ev, 99, 1},                         // unknown static id
           {hcall_ev, 0x84000000u - 0xC6000000u, 1},  // foreign function id
           {smc_ev, 0xC2000001, 0},
           {hcall_ev, finalize, 0},                   // __pkvm_prot_finalize
           {hcall_ev, 1, 1},    // __kvm_get_mdcr_el2 after deprivilege
           {hcall_ev, 18, 1},   // __pkvm_register_hcall after deprivilege
           {hcall_ev, 14, 1}})  // __pkvm_alloc_module_va after deprivilege
    want.push_back(w);
  dyn(0x45);
  const std::vector<Decoded> got = DecodeTrace();
  std::ostringstream decoded;
  for (const auto& d : got) {
    decoded << d.ts << ":";
    for (uint8_t b : d.rec) decoded << " " << std::hex << +b << std::dec;
    decoded << "\n";
  }
  ASSERT_EQ(got.size(), want.size()) << "decoded events:\n" << decoded.str();
  EXPECT_EQ(TheLog().raw.find("TRACE_META entries=" + std::to_string(want.size()) + " overrun=0"),
            TheLog().raw.find("TRACE_META"));
  uint64_t last_ts = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    const auto& r = got[i].rec;
    ASSERT_GE(r.size(), 8u);
    EXPECT_EQ(At<uint16_t>(r, 0), want[i].ev);
    if (want[i].ev == hcall_ev) {
      EXPECT_EQ(At<uint32_t>(r, 2), static_cast<uint32_t>(want[i].a));
      EXPECT_EQ(At<uint8_t>(r, 6), want[i].b);
    } else {
      EXPECT_EQ(At<uint64_t>(r, 2), want[i].a);  // pkvm_driver_event.id / host_smc.id
    }
    EXPECT_GE(got[i].ts, last_ts);  // CNTVCT-based, never backwards
    last_ts = got[i].ts;
  }
  EXPECT_GT(last_ts, 0u);
}

TEST_P(HardwareBoot, DataAbortInModuleCodeIsReported) {
  const Log& log = TheLog();
  ASSERT_TRUE(log.panic.count("seen")) << log.raw;
  ASSERT_TRUE(log.fault_expect.count("fn"));
  const auto& p = log.panic;
  EXPECT_EQ(p.at("ec"), 0x25u);                 // data abort taken at EL2
  EXPECT_EQ(p.at("esr") >> 26, 0x25u);
  EXPECT_EQ(p.at("esr") & 0x3C, 0x04u);         // DFSC: translation fault (level in bits 1:0)
  EXPECT_EQ((p.at("esr") >> 6) & 1, 0u);        // a read
  EXPECT_EQ(p.at("far"), log.fault_expect.at("far"));
  // ELR: inside hw_fault_hyp_hvc, at its hyp VA (an ftrace build's
  // function has the entry hook's call in front of the load).
  EXPECT_GE(p.at("elr"), log.fault_expect.at("fn"));
  EXPECT_LT(p.at("elr"), log.fault_expect.at("fn") + (ftrace() ? 128 : 64));
  EXPECT_EQ(p.at("spsr") & 0xF, 0x9u);          // the fault was at EL2h
  EXPECT_NE(log.raw.find("HYP_PANIC_END"), std::string::npos);
  // The host never got control back.
  EXPECT_EQ(log.results.count("fault_call_returned"), 0u);
}

TEST_P(HardwareBoot, BenchmarkCountedEl2Instructions) {
  const Log& log = TheLog();
  for (const char* b : {"dynamic_hcall", "unknown_hcall", "static_hcall", "dynamic_hcall_traced"}) {
    SCOPED_TRACE(b);
    ASSERT_TRUE(log.bench.count(b)) << log.raw;
    const auto& kv = log.bench.at(b);
    EXPECT_GT(kv.at("insns_min"), 20u);  // at least the register save/restore
    EXPECT_LE(kv.at("insns_min"), kv.at("insns_max"));
    EXPECT_GT(kv.at("cycles_min"), 0u);
  }
  // The module's handler runs on top of the routing the unknown id also pays.
  EXPECT_GT(log.bench.at("dynamic_hcall").at("insns_min"),
            log.bench.at("unknown_hcall").at("insns_min"));
  // Writing two events into the ring costs instructions on top.
  EXPECT_GT(log.bench.at("dynamic_hcall_traced").at("insns_min"),
            log.bench.at("dynamic_hcall").at("insns_min"));
}

INSTANTIATE_TEST_SUITE_P(Generations, HardwareBoot, ::testing::Values(14, 15, 16, 17),
                         [](const ::testing::TestParamInfo<int>& i) {
                           return "A" + std::to_string(i.param);
                         });

}  // namespace
