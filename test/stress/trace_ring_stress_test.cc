// File: test/stress/trace_ring_stress_test.cc
// The trace ring under real concurrency: one writer thread per CPU and one
// reader thread consuming all CPUs while the writers overwrite (small
// buffers), a control thread toggling tracing off/on and re-publishing the
// clock. Per CPU at the end: written == read + lost exactly, the lost count
// equals meta.overrun and the gaps in the sequence numbers, sequence numbers
// strictly increase, and no record is torn (checksums). Meant for TSan.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkvm/trace_ring.h"
#include "trace/host_clock.h"
#include "trace/ring_reader.h"

namespace pkvm::trace {
namespace {

constexpr int kCpus = 4;
constexpr uint64_t kEventsPerCpu = 250000;

// Payload: {u16 id, u16 cpu, u32 len, u64 seq, u64 check, tail bytes}; the
// length varies (24..42) so padding is exercised.
constexpr uint32_t kFixed = 24;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

uint32_t LenOf(uint64_t seq) { return kFixed + static_cast<uint32_t>(seq % 7) * 3; }
uint8_t TailByte(uint64_t seq, uint32_t k) { return static_cast<uint8_t>(Mix(seq) >> (8 * (k % 8))) ^ static_cast<uint8_t>(k); }
uint64_t Check(uint32_t cpu, uint64_t seq, uint32_t len) { return Mix(seq * 131 + cpu * 7 + len); }

void Fill(uint8_t* p, uint32_t cpu, uint64_t seq) {
  const uint32_t len = LenOf(seq);
  const uint16_t id = 3, c = static_cast<uint16_t>(cpu);
  const uint64_t check = Check(cpu, seq, len);
  std::memcpy(p, &id, 2);
  std::memcpy(p + 2, &c, 2);
  std::memcpy(p + 4, &len, 4);
  std::memcpy(p + 8, &seq, 8);
  std::memcpy(p + 16, &check, 8);
  for (uint32_t k = kFixed; k < len; ++k) p[k] = TailByte(seq, k);
}

struct Cpu {
  uint8_t* mem = nullptr;
  std::vector<pkvm_buffer_data_page*> pages;
  std::unique_ptr<RingPage[]> descs;
  RingBuffer ring;
  std::unique_ptr<RingReader> reader;
  std::atomic<uint64_t> written{0};
  // Reader-thread state.
  uint64_t read = 0, lost = 0, gaps = 0;
  int64_t last_seq = -1;
  uint64_t torn = 0, bad_order = 0;

  trace_buffer_meta* meta() { return reinterpret_cast<trace_buffer_meta*>(mem); }
  ~Cpu() { std::free(mem); }
};

// Checks one event: counts it read, or torn.
void Verify(Cpu& c, uint32_t cpu, const Event& e) {
  uint16_t id, ecpu;
  uint32_t len;
  uint64_t seq, check;
  if (e.size < kFixed) {
    ++c.torn;
    return;
  }
  std::memcpy(&id, e.data, 2);
  std::memcpy(&ecpu, e.data + 2, 2);
  std::memcpy(&len, e.data + 4, 4);
  std::memcpy(&seq, e.data + 8, 8);
  std::memcpy(&check, e.data + 16, 8);
  bool ok = id == 3 && ecpu == cpu && len == LenOf(seq) && e.size == ((len + 3) & ~3u) &&
            check == Check(cpu, seq, len);
  for (uint32_t k = kFixed; ok && k < len; ++k) ok = e.data[k] == TailByte(seq, k);
  for (uint32_t k = len; ok && k < e.size; ++k) ok = e.data[k] == 0;  // zeroed padding
  if (!ok) {
    ++c.torn;
    return;
  }
  if (static_cast<int64_t>(seq) <= c.last_seq) ++c.bad_order;
  c.gaps += seq - static_cast<uint64_t>(c.last_seq + 1);
  c.last_seq = static_cast<int64_t>(seq);
  ++c.read;
}

// Drains up to `budget` events of one CPU; returns how many were read.
uint64_t Drain(Cpu& c, uint32_t cpu, uint64_t budget) {
  uint64_t n = 0;
  while (n < budget) {
    const Event* e = c.reader->Peek();
    c.lost += c.reader->TakeLost();
    if (e == nullptr) break;
    Verify(c, cpu, *e);
    c.reader->Consume();
    ++n;
  }
  return n;
}

// Parameter: pages per CPU including the reader page. 2 is the one-page ring
// (the writer overwrites its own page), 4 overwrites all the time, 16 lets
// the reader keep up at times and read the writer's page as it grows.
class TraceRingStressTest : public testing::TestWithParam<uint32_t> {};

TEST_P(TraceRingStressTest, WritersPerCpuAndAConcurrentReaderAccountForEveryEvent) {
  const uint32_t kPagesPerCpu = GetParam();
  const ClockCalibration cal = CalibrateHostClock();
  TraceClock clock;
  clock.Init(&HostCounter, nullptr, cal.mult, cal.shift, cal.epoch_ns, cal.epoch_cyc);

  std::vector<std::unique_ptr<Cpu>> cpus;
  for (int i = 0; i < kCpus; ++i) {
    auto c = std::make_unique<Cpu>();
    c->mem = static_cast<uint8_t*>(std::aligned_alloc(kPageSize, (kPagesPerCpu + 1) * size_t{kPageSize}));
    std::memset(c->mem, 0, (kPagesPerCpu + 1) * size_t{kPageSize});
    for (uint32_t p = 0; p < kPagesPerCpu; ++p)
      c->pages.push_back(reinterpret_cast<pkvm_buffer_data_page*>(c->mem + (p + 1) * size_t{kPageSize}));
    c->descs = std::make_unique<RingPage[]>(kPagesPerCpu);
    ASSERT_EQ(c->ring.Init(c->meta(), c->pages.data(), kPagesPerCpu, c->descs.get(), &clock), 0);
    c->reader = std::make_unique<RingReader>(&c->ring);
    ASSERT_TRUE(c->ring.Enable());
    cpus.push_back(std::move(c));
  }

  std::atomic<int> writers_left{kCpus};
  std::vector<std::thread> writers;
  for (int i = 0; i < kCpus; ++i) {
    writers.emplace_back([&, i] {
      Cpu& c = *cpus[static_cast<size_t>(i)];
      uint64_t seq = 0;
      uint64_t attempts = 0;
      while (seq < kEventsPerCpu) {
        ++attempts;
        void* p = c.ring.Reserve(LenOf(seq));
        if (p == nullptr) {  // tracing toggled off by the control thread
          std::this_thread::yield();
          continue;
        }
        Fill(static_cast<uint8_t*>(p), static_cast<uint32_t>(i), seq);
        c.ring.Commit();
        ++seq;
        c.written.store(seq, std::memory_order_relaxed);
        if (attempts % 1024 == 0) std::this_thread::yield();  // let the reader catch up at times
      }
      writers_left.fetch_sub(1);
    });
  }

  // Control: re-publish the clock (same mapping, new epoch) and turn one
  // CPU's tracing off and on again now and then.
  std::thread control([&] {
    for (uint64_t round = 0; writers_left.load() > 0; ++round) {
      const uint64_t cyc = HostCounter();
      clock.Update(cal.mult, cal.shift, TraceClock::Convert(cyc, cal.mult, cal.shift, cal.epoch_ns, cal.epoch_cyc),
                   cyc);
      if (round % 4 == 0) {
        RingBuffer& r = cpus[round / 4 % kCpus]->ring;
        r.Disable();
        std::this_thread::yield();
        r.Enable();
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });

  // Reader: round-robin over the CPUs while the writers run, then drain.
  std::thread reader([&] {
    while (writers_left.load() > 0) {
      uint64_t n = 0;
      for (int i = 0; i < kCpus; ++i) n += Drain(*cpus[static_cast<size_t>(i)], static_cast<uint32_t>(i), 64);
      if (n == 0) std::this_thread::yield();
    }
    for (int i = 0; i < kCpus; ++i) Drain(*cpus[static_cast<size_t>(i)], static_cast<uint32_t>(i), UINT64_MAX);
  });

  for (auto& w : writers) w.join();
  control.join();
  reader.join();

  uint64_t total_lost = 0, total_read = 0;
  for (int i = 0; i < kCpus; ++i) {
    Cpu& c = *cpus[static_cast<size_t>(i)];
    SCOPED_TRACE(testing::Message() << "cpu " << i);
    EXPECT_EQ(c.torn, 0u);
    EXPECT_EQ(c.bad_order, 0u);
    EXPECT_EQ(c.written.load(), kEventsPerCpu);
    EXPECT_EQ(c.read + c.lost, kEventsPerCpu);
    EXPECT_EQ(c.lost, c.meta()->overrun);
    EXPECT_EQ(c.lost, c.gaps);  // lost events are exactly the missing sequence numbers
    EXPECT_EQ(c.last_seq, static_cast<int64_t>(kEventsPerCpu - 1));  // the newest event survives
    EXPECT_EQ(c.meta()->entries, kEventsPerCpu);
    EXPECT_EQ(c.ring.status(), WriterStatus::kReady);
    total_lost += c.lost;
    total_read += c.read;
  }
  // The buffers are small on purpose: overwriting must have happened.
  if (kPagesPerCpu <= 4) {
    EXPECT_GT(total_lost, 0u);
  }
  RecordProperty("events_read", std::to_string(total_read));
  RecordProperty("events_lost", std::to_string(total_lost));
  std::printf("read %llu, lost %llu of %llu events\n", static_cast<unsigned long long>(total_read),
              static_cast<unsigned long long>(total_lost),
              static_cast<unsigned long long>(kCpus * kEventsPerCpu));
}

INSTANTIATE_TEST_SUITE_P(Pages, TraceRingStressTest, testing::Values(2u, 4u, 16u));

// The tightest race: a one-page ring, where every page move overwrites the
// writer's own page and makes it the head again, against a reader that swaps
// the moment it has read its page. Repeated in short rounds so the reader
// often finds the writer in the middle of that move.
TEST(TraceRingStressTest, OnePageRingAgainstASpinningReader) {
  const ClockCalibration cal = CalibrateHostClock();
  TraceClock clock;
  clock.Init(&HostCounter, nullptr, cal.mult, cal.shift, cal.epoch_ns, cal.epoch_cyc);
  for (int round = 0; round < 20; ++round) {
    Cpu c;
    c.mem = static_cast<uint8_t*>(std::aligned_alloc(kPageSize, 3 * size_t{kPageSize}));
    std::memset(c.mem, 0, 3 * size_t{kPageSize});
    c.pages = {reinterpret_cast<pkvm_buffer_data_page*>(c.mem + kPageSize),
               reinterpret_cast<pkvm_buffer_data_page*>(c.mem + 2 * size_t{kPageSize})};
    c.descs = std::make_unique<RingPage[]>(2);
    ASSERT_EQ(c.ring.Init(c.meta(), c.pages.data(), 2, c.descs.get(), &clock), 0);
    c.reader = std::make_unique<RingReader>(&c.ring);
    c.ring.Enable();
    constexpr uint64_t kEvents = 20000;
    std::atomic<bool> done{false};
    std::thread writer([&] {
      for (uint64_t seq = 0; seq < kEvents; ++seq) {
        void* p = c.ring.Reserve(LenOf(seq));
        ASSERT_NE(p, nullptr);
        Fill(static_cast<uint8_t*>(p), 0, seq);
        c.ring.Commit();
      }
      done.store(true, std::memory_order_release);
    });
    // Read in bursts with pauses of varying length, so the reader's swaps
    // land at every phase of the writer's page moves (including while the
    // writer overwrites its own page).
    uint64_t rng = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(round + 1);
    while (!done.load(std::memory_order_acquire)) {
      rng = Mix(rng);
      Drain(c, 0, 1 + rng % 256);
      for (uint64_t spin = (rng >> 16) % 4096; spin > 0; --spin) internal::CpuRelax();
    }
    writer.join();
    Drain(c, 0, UINT64_MAX);
    SCOPED_TRACE(testing::Message() << "round " << round);
    ASSERT_EQ(c.torn, 0u);
    ASSERT_EQ(c.bad_order, 0u);
    ASSERT_EQ(c.read + c.lost, kEvents);
    ASSERT_EQ(c.lost, c.meta()->overrun);
    ASSERT_EQ(c.lost, c.gaps);
  }
}

// Reset() (reader side) against Enable()/Disable() from a control thread
// and a writer: the header's contract. Control calls wait for a Reset() in
// progress, so a Disable() is never undone by a Reset() that started before
// it (the ring stays off until the control thread enables it again), the
// writer never sees writer state a Reset() is rewriting (TSan), and the ring
// works normally afterwards.
TEST(TraceRingStressTest, ResetAgainstEnableAndDisableFromOtherThreads) {
  const ClockCalibration cal = CalibrateHostClock();
  TraceClock clock;
  clock.Init(&HostCounter, nullptr, cal.mult, cal.shift, cal.epoch_ns, cal.epoch_cyc);
  constexpr uint32_t kPages = 4;
  Cpu c;
  c.mem = static_cast<uint8_t*>(std::aligned_alloc(kPageSize, (kPages + 1) * size_t{kPageSize}));
  std::memset(c.mem, 0, (kPages + 1) * size_t{kPageSize});
  for (uint32_t i = 0; i < kPages; ++i)
    c.pages.push_back(reinterpret_cast<pkvm_buffer_data_page*>(c.mem + (i + 1) * size_t{kPageSize}));
  c.descs = std::make_unique<RingPage[]>(kPages);
  ASSERT_EQ(c.ring.Init(c.meta(), c.pages.data(), kPages, c.descs.get(), &clock), 0);
  ASSERT_TRUE(c.ring.Enable());
  std::atomic<bool> done{false};
  std::atomic<uint64_t> resets{0}, undone_disables{0}, failed_enables{0};
  std::thread writer([&] {
    uint64_t seq = 0;
    while (!done.load(std::memory_order_acquire)) {
      if (void* p = c.ring.Reserve(LenOf(seq))) {
        Fill(static_cast<uint8_t*>(p), 0, seq++);
        c.ring.Commit();
      }
    }
  });
  std::thread resetter([&] {
    while (!done.load(std::memory_order_acquire)) {
      c.ring.Reset();
      resets.fetch_add(1, std::memory_order_relaxed);
    }
  });
  // Until both sides have done plenty (thread start-up order is the OS's).
  for (int i = 0; i < 20000 || resets.load(std::memory_order_relaxed) < 2000; ++i) {
    c.ring.Disable();
    for (int k = 0; k < 8; ++k)
      if (c.ring.status() != WriterStatus::kUnavailable) undone_disables.fetch_add(1);
    if (!c.ring.Enable()) failed_enables.fetch_add(1);
  }
  done.store(true, std::memory_order_release);
  writer.join();
  resetter.join();
  EXPECT_GT(resets.load(), 0u);
  EXPECT_EQ(undone_disables.load(), 0u);
  EXPECT_EQ(failed_enables.load(), 0u);
  // Quiet again: a reset ring takes and gives back events as a new one.
  c.ring.Reset();
  ASSERT_EQ(c.ring.status(), WriterStatus::kReady);
  c.reader = std::make_unique<RingReader>(&c.ring);
  constexpr uint64_t kEvents = 50;
  for (uint64_t seq = 0; seq < kEvents; ++seq) {
    void* p = c.ring.Reserve(LenOf(seq));
    ASSERT_NE(p, nullptr);
    Fill(static_cast<uint8_t*>(p), 0, seq);
    c.ring.Commit();
  }
  Drain(c, 0, UINT64_MAX);
  EXPECT_EQ(c.torn, 0u);
  EXPECT_EQ(c.read, kEvents);
  EXPECT_EQ(c.lost, 0u);
}

}  // namespace
}  // namespace pkvm::trace
