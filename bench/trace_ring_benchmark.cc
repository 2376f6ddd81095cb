// File: bench/trace_ring_benchmark.cc
// Cost of emitting one hypervisor trace event: the trace ring's writer
// (Reserve 16 bytes + fill + Commit, with the real host clock) against its
// peer, a boost::lockfree::spsc_queue push of the same record with the same
// clock read. Then throughput with a concurrent reader: the ring (writer
// never waits, the reader swaps pages) against the queue (producer drops when
// full, a consumer thread pops), with events lost/dropped.
//
// Each single-thread benchmark also reports p50_ns/p99_ns: a per-event
// estimate from timing 20000 batches of 32 events with the host counter.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <boost/lockfree/spsc_queue.hpp>

#include "pkvm/trace_ring.h"
#include "trace/host_clock.h"
#include "trace/ring_reader.h"

namespace {

using pkvm::trace::ClockCalibration;
using pkvm::trace::kPageSize;
using pkvm::trace::RingBuffer;
using pkvm::trace::RingPage;
using pkvm::trace::RingReader;
using pkvm::trace::TraceClock;

// A 16-byte event record: {u16 id, u16 pad, u32 a, u64 b}.
struct Rec16 {
  uint16_t id;
  uint16_t pad;
  uint32_t a;
  uint64_t b;
};
static_assert(sizeof(Rec16) == 16);

// The queue's element: the same record plus the timestamp the ring keeps in
// its event header.
struct QueueRec {
  uint64_t ts;
  Rec16 rec;
};

const ClockCalibration& Cal() {
  static const ClockCalibration c = pkvm::trace::CalibrateHostClock();
  return c;
}

void InitClock(TraceClock* clock) {
  const ClockCalibration& c = Cal();
  clock->Init(&pkvm::trace::HostCounter, nullptr, c.mult, c.shift, c.epoch_ns, c.epoch_cyc);
}

class Ring {
 public:
  Ring(uint32_t nr_pages, const TraceClock* clock) {
    mem_ = static_cast<uint8_t*>(std::aligned_alloc(kPageSize, (nr_pages + 1) * size_t{kPageSize}));
    std::memset(mem_, 0, (nr_pages + 1) * size_t{kPageSize});
    for (uint32_t i = 0; i < nr_pages; ++i)
      pages_.push_back(reinterpret_cast<pkvm_buffer_data_page*>(mem_ + (i + 1) * size_t{kPageSize}));
    descs_ = std::make_unique<RingPage[]>(nr_pages);
    ring_.Init(meta(), pages_.data(), nr_pages, descs_.get(), clock);
    ring_.Enable();
  }
  ~Ring() { std::free(mem_); }
  RingBuffer& ring() { return ring_; }
  const trace_buffer_meta* meta() const { return reinterpret_cast<const trace_buffer_meta*>(mem_); }
  trace_buffer_meta* meta() { return reinterpret_cast<trace_buffer_meta*>(mem_); }

 private:
  uint8_t* mem_;
  std::vector<pkvm_buffer_data_page*> pages_;
  std::unique_ptr<RingPage[]> descs_;
  RingBuffer ring_;
};

inline void WriteRing(RingBuffer& ring, uint64_t v) {
  void* p = ring.Reserve(sizeof(Rec16));
  if (p == nullptr) return;
  const Rec16 rec{7, 0, static_cast<uint32_t>(v), v};
  std::memcpy(p, &rec, sizeof rec);
  ring.Commit();
}

template <class Q>
inline bool PushQueue(Q& q, const TraceClock& clock, uint64_t v) {
  const QueueRec r{clock.Now(), Rec16{7, 0, static_cast<uint32_t>(v), v}};
  return q.push(r);
}

// p50/p99 per-event estimates: 20000 batches of 32 events timed with the
// host counter.
template <class Fn>
void ReportPercentiles(benchmark::State& state, Fn fn) {
  constexpr int kBatches = 20000, kBatch = 32;
  std::vector<uint64_t> cycles(kBatches);
  uint64_t v = 0;
  for (int b = 0; b < kBatches; ++b) {
    const uint64_t t0 = pkvm::trace::HostCounter();
    for (int i = 0; i < kBatch; ++i) fn(v++);
    cycles[static_cast<size_t>(b)] = pkvm::trace::HostCounter() - t0;
  }
  std::sort(cycles.begin(), cycles.end());
  const ClockCalibration& c = Cal();
  auto per_event_ns = [&](uint64_t cyc) {
    return static_cast<double>(TraceClock::Convert(cyc, c.mult, c.shift, 0, 0)) / kBatch;
  };
  state.counters["p50_ns"] = per_event_ns(cycles[kBatches / 2]);
  state.counters["p99_ns"] = per_event_ns(cycles[kBatches * 99 / 100]);
}

// ---- single thread: cost per event ------------------------------------------

void BM_TraceRingWrite16(benchmark::State& state) {
  TraceClock clock;
  InitClock(&clock);
  Ring r(64, &clock);  // no reader: the steady state is overwriting (flight recorder)
  uint64_t v = 0;
  for (auto _ : state) {
    WriteRing(r.ring(), v++);
  }
  benchmark::ClobberMemory();
  ReportPercentiles(state, [&](uint64_t x) { WriteRing(r.ring(), x); });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceRingWrite16);

void BM_SpscQueuePush16(benchmark::State& state) {
  TraceClock clock;
  InitClock(&clock);
  auto q = std::make_unique<boost::lockfree::spsc_queue<QueueRec, boost::lockfree::capacity<1 << 16>>>();
  uint64_t v = 0;
  auto push = [&](uint64_t x) {
    if (!PushQueue(*q, clock, x)) {  // full: start over (no consumer here)
      q->reset();
      PushQueue(*q, clock, x);
    }
  };
  for (auto _ : state) {
    push(v++);
  }
  benchmark::ClobberMemory();
  ReportPercentiles(state, push);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpscQueuePush16);

// Context: the clock read alone (part of both).
void BM_TraceClockNow(benchmark::State& state) {
  TraceClock clock;
  InitClock(&clock);
  for (auto _ : state) benchmark::DoNotOptimize(clock.Now());
}
BENCHMARK(BM_TraceClockNow);

// Context: the writer-status protocol alone (CAS READY->WRITING, then
// store-release READY), which the spec requires of every event.
void BM_WriterStatusCas(benchmark::State& state) {
  std::atomic<uint32_t> status{1};
  for (auto _ : state) {
    uint32_t expected = 1;
    benchmark::DoNotOptimize(status.compare_exchange_strong(expected, 2, std::memory_order_seq_cst));
    status.store(1, std::memory_order_release);
  }
}
BENCHMARK(BM_WriterStatusCas);

// Context: the host reader's cost per event (Peek + Consume), pages swapped
// in as it goes; the writer refills the ring outside the timing.
void BM_RingReaderPeekConsume(benchmark::State& state) {
  TraceClock clock;
  InitClock(&clock);
  Ring r(65, &clock);
  RingReader reader(&r.ring());
  uint64_t v = 0, read = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < 60 * 170; ++i) WriteRing(r.ring(), v++);  // 60 of 64 pages
    state.ResumeTiming();
    while (const pkvm::trace::Event* e = reader.Peek()) {
      benchmark::DoNotOptimize(e->data[4]);
      reader.Consume();
      ++read;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(read));
}
BENCHMARK(BM_RingReaderPeekConsume);

// ---- one writer + one concurrent reader -------------------------------------

// The consumer found nothing: let the producer fill more before looking again
// (the host's reader polls; it does not spin on the writer's cache lines).
void Backoff() { std::this_thread::sleep_for(std::chrono::microseconds(20)); }

void BM_TraceRingWriterPlusReader(benchmark::State& state) {
  TraceClock clock;
  InitClock(&clock);
  Ring r(static_cast<uint32_t>(state.range(0)), &clock);
  RingReader reader(&r.ring());
  std::atomic<bool> stop{false};
  uint64_t read = 0, lost = 0;
  std::thread consumer([&] {
    for (;;) {
      const bool last = stop.load(std::memory_order_acquire);
      const pkvm::trace::Event* e;
      while ((e = reader.Peek()) != nullptr) {
        benchmark::DoNotOptimize(e->data[4]);
        reader.Consume();
        ++read;
      }
      lost += reader.TakeLost();
      if (last) break;
      Backoff();
    }
  });
  uint64_t v = 0;
  for (auto _ : state) {
    WriteRing(r.ring(), v++);
  }
  stop.store(true, std::memory_order_release);
  consumer.join();
  state.SetItemsProcessed(state.iterations());
  state.counters["read"] = static_cast<double>(read);
  state.counters["lost"] = static_cast<double>(lost);
  state.counters["lost_pct"] = 100.0 * static_cast<double>(lost) / static_cast<double>(v ? v : 1);
  if (read + lost != v || lost != r.meta()->overrun) state.SkipWithError("event accounting mismatch");
}
// Pages per CPU including the reader page: 3 = the default 7 KiB buffer.
BENCHMARK(BM_TraceRingWriterPlusReader)->Arg(3)->Arg(64)->Arg(256)->UseRealTime();

void BM_SpscQueueProducerPlusConsumer(benchmark::State& state) {
  TraceClock clock;
  InitClock(&clock);
  using Queue = boost::lockfree::spsc_queue<QueueRec>;
  // The same bytes as the ring's data pages: 4080 / 24 bytes per event.
  const size_t capacity = static_cast<size_t>(state.range(0) - 1) * 4080 / 24;
  auto q = std::make_unique<Queue>(capacity);
  std::atomic<bool> stop{false};
  uint64_t read = 0;
  std::thread consumer([&] {
    for (;;) {
      const bool last = stop.load(std::memory_order_acquire);
      read += q->consume_all([](const QueueRec& r) { benchmark::DoNotOptimize(r.rec.a); });
      if (last) break;
      Backoff();
    }
  });
  uint64_t v = 0, dropped = 0;
  for (auto _ : state) {
    if (!PushQueue(*q, clock, v++)) ++dropped;  // the producer never waits either
  }
  stop.store(true, std::memory_order_release);
  consumer.join();
  state.SetItemsProcessed(state.iterations());
  state.counters["read"] = static_cast<double>(read);
  state.counters["lost"] = static_cast<double>(dropped);
  state.counters["lost_pct"] = 100.0 * static_cast<double>(dropped) / static_cast<double>(v ? v : 1);
}
BENCHMARK(BM_SpscQueueProducerPlusConsumer)->Arg(3)->Arg(64)->Arg(256)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
