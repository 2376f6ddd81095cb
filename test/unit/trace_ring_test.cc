// File: test/unit/trace_ring_test.cc
// The hypervisor trace ring (pkvm::trace::RingBuffer), its clock and the
// host-side reader, with a fake counter so every timestamp is known: the
// byte-exact page encoding (headers, array[0], padding, TIME_EXTEND from
// exactly 2^27 ns), page moves, overwrite accounting, writer states, clock
// banks, Peek/Consume across pages, lost events, reading the writer's own
// page, raw pages with missed-event flags, and (when libtraceevent is
// installed) the pages parsed by kbuffer.

#include <sys/mman.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkvm/abi/trace.h"
#include "pkvm/trace_ring.h"
#include "trace/host_clock.h"
#include "trace/ring_reader.h"

#if PKVM_HAVE_LIBTRACEEVENT
extern "C" {  // kbuffer.h has no C++ guard
#include <traceevent/kbuffer.h>
}
#endif

namespace pkvm::trace {
namespace {

uint64_t FakeCounter(void* ctx) { return *static_cast<const uint64_t*>(ctx); }

// One CPU's buffer with a fake clock: ns == counter value.
class TestRing {
 public:
  explicit TestRing(uint32_t nr_pages, uint32_t data_size = kDataSize) : nr_pages_(nr_pages) {
    mem_ = static_cast<uint8_t*>(std::aligned_alloc(kPageSize, (nr_pages + 1) * size_t{kPageSize}));
    std::memset(mem_, 0xA5, (nr_pages + 1) * size_t{kPageSize});  // garbage the ring must not show
    for (uint32_t i = 0; i < nr_pages; ++i)
      pages_.push_back(reinterpret_cast<pkvm_buffer_data_page*>(mem_ + (i + 1) * size_t{kPageSize}));
    descs_ = std::make_unique<RingPage[]>(nr_pages);
    clock_.Init(&FakeCounter, &now_, 1, 0, 0, 0);
    rc_ = ring_.Init(meta(), pages_.data(), nr_pages, descs_.get(), &clock_, data_size);
  }
  ~TestRing() { std::free(mem_); }

  trace_buffer_meta* meta() { return reinterpret_cast<trace_buffer_meta*>(mem_); }
  pkvm_buffer_data_page* page(uint32_t i) { return pages_[i]; }
  const uint8_t* data(uint32_t i) { return pages_[i]->data; }
  uint32_t word(uint32_t page_index, uint32_t offset) {
    uint32_t v;
    std::memcpy(&v, data(page_index) + offset, 4);
    return v;
  }

  // Reserve + fill + Commit at time t; false if the reserve failed.
  bool Write(uint64_t t, const void* payload, uint32_t len) {
    now_ = t;
    void* p = ring_.Reserve(len);
    if (p == nullptr) return false;
    std::memcpy(p, payload, len);
    ring_.Commit();
    return true;
  }
  // An 8-byte record {u16 id, u16 0, u32 seq}: 16 bytes in the page.
  bool WriteSeq(uint64_t t, uint32_t seq, uint16_t id = 7) {
    uint8_t rec[8] = {};
    std::memcpy(rec, &id, 2);
    std::memcpy(rec + 4, &seq, 4);
    return Write(t, rec, sizeof rec);
  }

  RingBuffer& ring() { return ring_; }
  TraceClock& clock() { return clock_; }
  int rc() const { return rc_; }
  uint64_t now_ = 0;

 private:
  uint32_t nr_pages_;
  uint8_t* mem_;
  std::vector<pkvm_buffer_data_page*> pages_;
  std::unique_ptr<RingPage[]> descs_;
  TraceClock clock_;
  RingBuffer ring_;
  int rc_;
};

uint32_t SeqOf(const Event& e) {
  uint32_t s;
  std::memcpy(&s, e.data + 4, 4);
  return s;
}

constexpr uint32_t kPerPage = kDataSize / 16;  // 8-byte records: 255 per page

// ---- layout -------------------------------------------------------------------

TEST(TraceAbiTest, LayoutsAndConstants) {
  EXPECT_EQ(sizeof(trace_buffer_meta), 80u);
  EXPECT_EQ(offsetof(trace_buffer_meta, Reserved2), 72u);
  EXPECT_EQ(sizeof(pkvm_buffer_data_page), 16u);
  EXPECT_EQ(sizeof(rb_ext_page_footer), 32u);
  EXPECT_EQ(kDataSize, 4080u);
  EXPECT_EQ(kDataSizeA14, 4048u);
  EXPECT_EQ(sizeof(hyp_entry_hdr), 2u);
  EXPECT_EQ(PKVM_RB_MISSED_EVENTS, 0x80000000u);
  EXPECT_EQ(PKVM_RB_MISSED_STORED, 0x40000000u);
  EXPECT_EQ(kMaxDelta, (1u << 27) - 1);
}

// ---- Init ---------------------------------------------------------------------

TEST(TraceRingTest, InitValidatesItsArguments) {
  TestRing t(3);
  ASSERT_EQ(t.rc(), 0);
  RingBuffer r;
  pkvm_buffer_data_page* pages[3] = {t.page(0), t.page(1), t.page(2)};
  RingPage descs[3];
  trace_buffer_meta meta{};
  TraceClock clock;
  EXPECT_EQ(r.Init(&meta, pages, 1, descs, &clock), kErrInval);
  EXPECT_EQ(r.Init(nullptr, pages, 3, descs, &clock), kErrInval);
  EXPECT_EQ(r.Init(&meta, nullptr, 3, descs, &clock), kErrInval);
  EXPECT_EQ(r.Init(&meta, pages, 3, nullptr, &clock), kErrInval);
  EXPECT_EQ(r.Init(&meta, pages, 3, descs, nullptr), kErrInval);
  EXPECT_EQ(r.Init(&meta, pages, 3, descs, &clock, 4084), kErrInval);
  EXPECT_EQ(r.Init(&meta, pages, 3, descs, &clock, 4078), kErrInval);
  EXPECT_EQ(r.Init(&meta, pages, 3, descs, &clock, 60), kErrInval);
  pkvm_buffer_data_page* with_null[3] = {t.page(0), nullptr, t.page(2)};
  EXPECT_EQ(r.Init(&meta, with_null, 3, descs, &clock), kErrInval);
  EXPECT_EQ(r.SwapReaderPage(), kErrNoDev);
  EXPECT_EQ(r.Init(&meta, pages, 3, descs, &clock, kDataSizeA14), 0);
  EXPECT_EQ(r.data_size(), kDataSizeA14);
  EXPECT_EQ(r.max_payload(), kDataSizeA14 - 8);
}

TEST(TraceRingTest, InitSetsTheMetaPageAndStartsUnavailable) {
  TestRing t(4);  // the meta page was filled with 0xA5
  ASSERT_EQ(t.rc(), 0);
  const trace_buffer_meta* m = t.meta();
  EXPECT_EQ(m->meta_page_size, 4096u);
  EXPECT_EQ(m->meta_struct_len, 0u);
  EXPECT_EQ(m->subbuf_size, 4096u);
  EXPECT_EQ(m->nr_subbufs, 4u);
  EXPECT_EQ(m->reader.lost_events, 0u);
  EXPECT_EQ(m->reader.id, 0u);
  EXPECT_EQ(m->reader.read, 0u);
  EXPECT_EQ(m->flags, 0u);
  EXPECT_EQ(m->entries, 0u);
  EXPECT_EQ(m->overrun, 0u);
  EXPECT_EQ(m->read, 0u);
  EXPECT_EQ(m->Reserved1, 0u);
  EXPECT_EQ(m->Reserved2, 0u);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(t.page(i)->commit, 0u);
    EXPECT_EQ(t.page(i)->time_stamp, 0u);
  }
  EXPECT_EQ(t.ring().status(), WriterStatus::kUnavailable);
  EXPECT_EQ(t.ring().reader_page(), t.page(0));
  EXPECT_EQ(t.ring().tail_page_id(), 1u);
  EXPECT_FALSE(t.WriteSeq(1, 1));  // not enabled: dropped
  EXPECT_EQ(t.meta()->entries, 0u);
}

// ---- encoding -------------------------------------------------------------------

TEST(TraceRingTest, EventsAreEncodedByteExactly) {
  TestRing t(3);
  ASSERT_TRUE(t.ring().Enable());
  const uint8_t five[5] = {1, 2, 3, 4, 5};
  ASSERT_TRUE(t.Write(1000, five, 5));
  const uint8_t eight[8] = {9, 9, 9, 9, 9, 9, 9, 9};
  ASSERT_TRUE(t.Write(1013, eight, 8));
  const uint8_t zero[1] = {0x77};
  t.now_ = 1013;
  void* p = t.ring().Reserve(0);  // an empty payload is legal: array[0] = 4
  ASSERT_NE(p, nullptr);
  t.ring().Commit();
  ASSERT_TRUE(t.Write(1020, zero, 1));

  pkvm_buffer_data_page* pg = t.page(1);
  EXPECT_EQ(pg->time_stamp, 1000u);
  EXPECT_EQ(pg->commit, 16u + 16u + 8u + 12u);
  // Event 1: type_len 0, delta 0 (first on the page), array[0] = 8 + 4.
  EXPECT_EQ(t.word(1, 0), 0u);
  EXPECT_EQ(t.word(1, 4), 12u);
  EXPECT_EQ(std::memcmp(t.data(1) + 8, five, 5), 0);
  EXPECT_EQ(t.data(1)[13], 0);  // padding zeroed (the page held 0xA5)
  EXPECT_EQ(t.data(1)[14], 0);
  EXPECT_EQ(t.data(1)[15], 0);
  // Event 2: delta 13 in bits 5..31.
  EXPECT_EQ(t.word(1, 16), 13u << 5);
  EXPECT_EQ(t.word(1, 20), 12u);
  EXPECT_EQ(std::memcmp(t.data(1) + 24, eight, 8), 0);
  // Event 3: empty.
  EXPECT_EQ(t.word(1, 32), 0u);
  EXPECT_EQ(t.word(1, 36), 4u);
  // Event 4: 1 byte padded to 4.
  EXPECT_EQ(t.word(1, 40), 7u << 5);
  EXPECT_EQ(t.word(1, 44), 8u);
  EXPECT_EQ(t.word(1, 48), 0x77u);
  EXPECT_EQ(t.word(1, 52), 0xA5A5A5A5u);  // nothing written past commit
  EXPECT_EQ(t.meta()->entries, 4u);
}

TEST(TraceRingTest, ReservedPointerIsFourByteAlignedAndHoldsTheWholeRecord) {
  TestRing t(3);
  t.ring().Enable();
  for (uint32_t len : {1u, 2u, 3u, 35u, 64u}) {
    auto* p = static_cast<uint8_t*>(t.ring().Reserve(len));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 4, 0u);
    std::memset(p, 0xEE, len);
    t.ring().Commit();
  }
  // 35 bytes (the __hyp_printk record) -> array[0] = 36 + 4.
  uint32_t off = 3 * 12;  // three events of 4 padded bytes
  EXPECT_EQ(t.word(1, off + 4), 40u);
}

TEST(TraceRingTest, TimeExtendFromExactly2Pow27) {
  TestRing t(3);
  t.ring().Enable();
  const uint64_t base = 5000;
  const uint8_t rec[4] = {1, 0, 0, 0};
  ASSERT_TRUE(t.Write(base, rec, 4));
  ASSERT_TRUE(t.Write(base + kMaxDelta, rec, 4));  // 2^27 - 1: still inline
  const uint64_t t2 = base + kMaxDelta;
  ASSERT_TRUE(t.Write(t2 + (1u << 27), rec, 4));  // exactly 2^27: extend
  const uint64_t t3 = t2 + (1u << 27);
  const uint64_t big = (uint64_t{5} << 27) + 7;
  ASSERT_TRUE(t.Write(t3 + big, rec, 4));

  EXPECT_EQ(t.word(1, 12), kMaxDelta << 5);  // event 2 header, type 0
  EXPECT_EQ(t.word(1, 16), 8u);
  // Event 3: TIME_EXTEND{low 27 bits = 0, array[0] = 1}, then delta 0.
  EXPECT_EQ(t.word(1, 24), PKVM_RINGBUF_TYPE_TIME_EXTEND);
  EXPECT_EQ(t.word(1, 28), 1u);
  EXPECT_EQ(t.word(1, 32), 0u);
  EXPECT_EQ(t.word(1, 36), 8u);
  // Event 4: TIME_EXTEND{7, 5}.
  EXPECT_EQ(t.word(1, 44), PKVM_RINGBUF_TYPE_TIME_EXTEND | (7u << 5));
  EXPECT_EQ(t.word(1, 48), 5u);
  EXPECT_EQ(t.word(1, 52), 0u);
  EXPECT_EQ(t.page(1)->commit, 12u + 12u + 20u + 20u);

  // The reader reconstructs every timestamp.
  PageCursor c(reinterpret_cast<const uint8_t*>(t.page(1)));
  Event e;
  const uint64_t want[] = {base, base + kMaxDelta, t3, t3 + big};
  for (uint64_t w : want) {
    ASSERT_TRUE(c.Next(&e));
    EXPECT_EQ(e.timestamp_ns, w);
    EXPECT_EQ(e.size, 4u);
  }
  EXPECT_FALSE(c.Next(&e));
}

TEST(TraceRingTest, ClockGoingBackwardsGivesDeltaZero) {
  TestRing t(3);
  t.ring().Enable();
  ASSERT_TRUE(t.WriteSeq(1000, 1));
  ASSERT_TRUE(t.WriteSeq(900, 2));   // stepped back: delta 0, time stays 1000
  ASSERT_TRUE(t.WriteSeq(1005, 3));  // delta from the reconstructed 1000
  EXPECT_EQ(t.word(1, 16), 0u);
  EXPECT_EQ(t.word(1, 32), 5u << 5);
}

// ---- page moves and overwrite ------------------------------------------------------

TEST(TraceRingTest, FullPageMovesTheTailAndStampsTheNewPage) {
  TestRing t(4);
  t.ring().Enable();
  for (uint32_t i = 0; i < kPerPage; ++i) ASSERT_TRUE(t.WriteSeq(100 + i, i));
  EXPECT_EQ(t.page(1)->commit, kDataSize);  // exactly full
  EXPECT_EQ(t.ring().tail_page_id(), 1u);
  EXPECT_EQ(t.meta()->Reserved2, 0u);
  ASSERT_TRUE(t.WriteSeq(5000, kPerPage));
  EXPECT_EQ(t.ring().tail_page_id(), 2u);
  EXPECT_EQ(t.meta()->Reserved2, 1u);  // pages touched
  EXPECT_EQ(t.page(1)->commit, kDataSize);
  EXPECT_EQ(t.page(2)->commit, 16u);
  EXPECT_EQ(t.page(2)->time_stamp, 5000u);
  EXPECT_EQ(t.word(2, 0), 0u);  // first event on a page: delta 0
  EXPECT_EQ(t.meta()->overrun, 0u);
  EXPECT_EQ(t.meta()->Reserved1, 0u);
  EXPECT_EQ(t.meta()->entries, kPerPage + 1);
}

TEST(TraceRingTest, TimeExtendThatDoesNotFitMovesWithoutIt) {
  TestRing t(3);
  t.ring().Enable();
  // Leave exactly 16 bytes: an event fits, an event with an extend does not.
  for (uint32_t i = 0; i < kPerPage - 1; ++i) ASSERT_TRUE(t.WriteSeq(10, i));
  ASSERT_TRUE(t.WriteSeq(10 + (1u << 27), 99));
  EXPECT_EQ(t.ring().tail_page_id(), 2u);
  EXPECT_EQ(t.page(1)->commit, kDataSize - 16);
  EXPECT_EQ(t.page(2)->time_stamp, 10u + (1u << 27));
  EXPECT_EQ(t.page(2)->commit, 16u);
}

TEST(TraceRingTest, OverwriteCountsEntriesPagesLostAndPagesTouchedExactly) {
  TestRing t(4);  // reader page + 3 ring pages
  t.ring().Enable();
  uint32_t seq = 0;
  auto fill_pages = [&](uint32_t n) {
    for (uint32_t i = 0; i < n * kPerPage; ++i, ++seq) ASSERT_TRUE(t.WriteSeq(1000 + seq, seq));
  };
  fill_pages(3);  // pages 1, 2, 3 full; no overwrite yet
  EXPECT_EQ(t.meta()->overrun, 0u);
  EXPECT_EQ(t.meta()->Reserved2, 2u);
  // One more event: the tail wraps onto page 1, the head.
  ASSERT_TRUE(t.WriteSeq(1000 + seq, seq));
  ++seq;
  EXPECT_EQ(t.ring().tail_page_id(), 1u);
  EXPECT_EQ(t.meta()->overrun, kPerPage);
  EXPECT_EQ(t.meta()->Reserved1, 1u);  // pages lost
  EXPECT_EQ(t.meta()->Reserved2, 3u);
  // A short page 1, then two more moves: pages 2 and 3 (full) are lost.
  for (int i = 0; i < 9; ++i, ++seq) ASSERT_TRUE(t.WriteSeq(1000 + seq, seq));
  t.now_ = 1000 + seq;
  // 4000 bytes do not fit after 160: move to page 2.
  ASSERT_NE(t.ring().Reserve(4000), nullptr);
  t.ring().Commit();
  ASSERT_NE(t.ring().Reserve(4000), nullptr);
  t.ring().Commit();
  EXPECT_EQ(t.ring().tail_page_id(), 3u);
  EXPECT_EQ(t.meta()->overrun, 3 * kPerPage);
  EXPECT_EQ(t.meta()->Reserved1, 3u);
  EXPECT_EQ(t.meta()->Reserved2, 5u);
  // Page 1 holds 10 events, page 2 one big one: wrapping loses 10.
  ASSERT_NE(t.ring().Reserve(4000), nullptr);
  t.ring().Commit();
  EXPECT_EQ(t.meta()->overrun, 3 * kPerPage + 10);
  EXPECT_EQ(t.meta()->Reserved1, 4u);
  EXPECT_EQ(t.meta()->entries, 3 * kPerPage + 1 + 9 + 3);

  // The reader sees exactly what was not overwritten.
  RingReader reader(&t.ring());
  uint64_t read = 0;
  while (reader.Peek() != nullptr) {
    ++read;
    reader.Consume();
  }
  EXPECT_EQ(reader.TakeLost(), 3 * kPerPage + 10);
  EXPECT_EQ(read + 3 * kPerPage + 10, t.meta()->entries);
}

TEST(TraceRingTest, OnePageRingOverwritesItself) {
  TestRing t(2);  // the minimum: a reader page and one ring page
  ASSERT_EQ(t.rc(), 0);
  t.ring().Enable();
  for (uint32_t i = 0; i < kPerPage + 3; ++i) ASSERT_TRUE(t.WriteSeq(10 + i, i));
  EXPECT_EQ(t.meta()->overrun, kPerPage);
  EXPECT_EQ(t.meta()->Reserved1, 1u);
  RingReader reader(&t.ring());
  std::vector<uint32_t> seen;
  for (const Event* e; (e = reader.Peek()) != nullptr; reader.Consume()) seen.push_back(SeqOf(*e));
  EXPECT_EQ(seen, (std::vector<uint32_t>{kPerPage, kPerPage + 1, kPerPage + 2}));
  EXPECT_EQ(reader.TakeLost(), kPerPage);
  // The writer leaves the reader page for the other page, and keeps going.
  for (uint32_t i = 0; i < 2 * kPerPage; ++i) ASSERT_TRUE(t.WriteSeq(5000 + i, 1000 + i));
  uint64_t read = 0;
  for (; reader.Peek() != nullptr; reader.Consume()) ++read;
  EXPECT_EQ(read + reader.TakeLost(), 2 * kPerPage);
  EXPECT_EQ(t.meta()->overrun + seen.size() + read, t.meta()->entries);
}

// ---- writer states ---------------------------------------------------------------

TEST(TraceRingTest, ReserveFailsWhenNotReadyOrTooLarge) {
  TestRing t(3);
  EXPECT_EQ(t.ring().Reserve(8), nullptr);  // unavailable
  ASSERT_TRUE(t.ring().Enable());
  EXPECT_FALSE(t.ring().Enable());  // already ready
  // Larger than a page's data area: nothing changes.
  EXPECT_EQ(t.ring().Reserve(kDataSize - 7), nullptr);
  EXPECT_EQ(t.ring().Reserve(0xFFFFFFFFu), nullptr);
  EXPECT_EQ(t.ring().status(), WriterStatus::kReady);
  EXPECT_EQ(t.page(1)->commit, 0u);
  // The largest record fills a fresh page exactly.
  ASSERT_TRUE(t.WriteSeq(1, 1));
  ASSERT_NE(t.ring().Reserve(kDataSize - 8), nullptr);
  t.ring().Commit();
  EXPECT_EQ(t.ring().tail_page_id(), 2u);
  EXPECT_EQ(t.page(2)->commit, kDataSize);
  // Reentrancy: a second reserve while writing is dropped.
  ASSERT_NE(t.ring().Reserve(8), nullptr);
  EXPECT_EQ(t.ring().status(), WriterStatus::kWriting);
  EXPECT_EQ(t.ring().Reserve(8), nullptr);
  t.ring().Commit();
  EXPECT_EQ(t.ring().status(), WriterStatus::kReady);
  EXPECT_EQ(t.meta()->entries, 3u);
  // Commit without a reserve does nothing.
  t.ring().Commit();
  EXPECT_EQ(t.meta()->entries, 3u);
}

TEST(TraceRingTest, PanicStopsTheWriterEvenMidEvent) {
  TestRing t(3);
  t.ring().Enable();
  ASSERT_TRUE(t.WriteSeq(1, 1));
  ASSERT_NE(t.ring().Reserve(8), nullptr);
  t.ring().Panic();  // while WRITING
  t.ring().Commit();  // must not bring it back to READY
  EXPECT_EQ(t.ring().status(), WriterStatus::kPanic);
  EXPECT_EQ(t.ring().Reserve(8), nullptr);
  EXPECT_FALSE(t.ring().Enable());
  t.ring().Disable();
  EXPECT_EQ(t.ring().status(), WriterStatus::kPanic);
  t.ring().Reset();  // a panicked ring keeps its events for the dump
  EXPECT_EQ(t.meta()->entries, 1u);
  RingReader reader(&t.ring());
  ASSERT_NE(reader.Peek(), nullptr);
  EXPECT_EQ(SeqOf(*reader.Peek()), 1u);
}

// Panic() from another CPU can land between Commit()'s check of WRITING and
// its store of READY. Whenever it does, the writer must still stop: no
// reserve that starts after Panic() returned may succeed.
TEST(TraceRingTest, PanicRacingCommitStillStopsTheWriter) {
  for (int trial = 0; trial < 100; ++trial) {
    TestRing t(3);
    t.ring().Enable();
    std::atomic<bool> panicked{false};
    std::atomic<int> after_panic{0};
    std::atomic<bool> started{false};
    std::thread writer([&] {
      for (int i = 0; i < 20000; ++i) {
        started.store(true, std::memory_order_relaxed);
        const bool was_panicked = panicked.load(std::memory_order_acquire);
        void* p = t.ring().Reserve(8);
        if (p == nullptr) {
          if (was_panicked) break;
          continue;
        }
        if (was_panicked) after_panic.fetch_add(1);
        std::memset(p, 0, 8);
        t.ring().Commit();
      }
    });
    while (!started.load(std::memory_order_relaxed)) {
    }
    for (int spin = 0; spin < trial * 20; ++spin) internal::CpuRelax();
    t.ring().Panic();
    panicked.store(true, std::memory_order_release);
    writer.join();
    ASSERT_EQ(after_panic.load(), 0) << "trial " << trial;
    EXPECT_EQ(t.ring().status(), WriterStatus::kPanic);
  }
}

TEST(TraceRingTest, DisableWaitsForTheWriterToCommit) {
  TestRing t(3);
  t.ring().Enable();
  ASSERT_NE(t.ring().Reserve(8), nullptr);
  std::atomic<bool> done{false};
  std::thread off([&] {
    t.ring().Disable();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(done.load());
  t.ring().Commit();
  off.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(t.ring().status(), WriterStatus::kUnavailable);
  EXPECT_EQ(t.ring().Reserve(8), nullptr);
  EXPECT_EQ(t.meta()->entries, 1u);
  EXPECT_TRUE(t.ring().Enable());
  EXPECT_TRUE(t.WriteSeq(5, 2));
}

TEST(TraceRingTest, ResetZeroesPagesAndCountersAndRestoresReady) {
  TestRing t(3);
  t.ring().Enable();
  for (uint32_t i = 0; i < 3 * kPerPage; ++i) ASSERT_TRUE(t.WriteSeq(100 + i, i));
  RingReader reader(&t.ring());
  ASSERT_NE(reader.Peek(), nullptr);  // the reader swapped a page in
  ASSERT_NE(t.meta()->reader.id, 0u);
  ASSERT_NE(t.meta()->overrun, 0u);
  t.ring().Reset();
  EXPECT_EQ(t.ring().status(), WriterStatus::kReady);
  const trace_buffer_meta* m = t.meta();
  EXPECT_EQ(m->entries, 0u);
  EXPECT_EQ(m->overrun, 0u);
  EXPECT_EQ(m->Reserved1, 0u);
  EXPECT_EQ(m->Reserved2, 0u);
  EXPECT_EQ(m->reader.id, 0u);
  EXPECT_EQ(m->reader.lost_events, 0u);
  EXPECT_EQ(m->meta_page_size, 4096u);
  EXPECT_EQ(m->nr_subbufs, 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(t.page(i)->commit, 0u);
    EXPECT_EQ(t.word(i, 0), 0u);
    EXPECT_EQ(t.word(i, kDataSize - 4), 0u);
  }
  EXPECT_EQ(t.ring().reader_page(), t.page(0));
  EXPECT_EQ(t.ring().tail_page_id(), 1u);
  // The old reader notices and starts over.
  EXPECT_EQ(reader.Peek(), nullptr);
  ASSERT_TRUE(t.WriteSeq(7, 42));
  ASSERT_NE(reader.Peek(), nullptr);
  EXPECT_EQ(SeqOf(*reader.Peek()), 42u);
  EXPECT_EQ(reader.Peek()->timestamp_ns, 7u);
  // Reset keeps a disabled ring disabled.
  t.ring().Disable();
  t.ring().Reset();
  EXPECT_EQ(t.ring().status(), WriterStatus::kUnavailable);
}

// ---- clock ---------------------------------------------------------------------------

TEST(TraceClockTest, ConvertsWithMultShiftAndEpoch) {
  EXPECT_EQ(TraceClock::Convert(1000, 3, 1, 50, 400), 50u + (600u * 3 >> 1));
  // Before the epoch: backwards, not a wrapped huge value.
  EXPECT_EQ(TraceClock::Convert(390, 1, 0, 50, 400), 40u);
  EXPECT_EQ(TraceClock::Convert(0, 1, 0, 5, 400), 0u);
  // 600 s at 3 GHz with a 32-bit mult: the product needs more than 64 bits.
  const uint64_t cyc = 600ull * 3000000000ull;
  const uint32_t mult = 0xAAAAAAABu;  // ~ 1/3 * 2^33... scaled by shift 33
  EXPECT_NEAR(static_cast<double>(TraceClock::Convert(cyc, mult, 33, 0, 0)), 600e9, 1e3);
}

TEST(TraceClockTest, UpdateFillsTheInactiveBankThenSwitches) {
  uint64_t counter = 1000;
  TraceClock c;
  c.Init(&FakeCounter, &counter, 1, 0, 0, 0);
  EXPECT_EQ(c.current_bank(), 0u);
  EXPECT_EQ(c.ReadCounter(), 1000u);
  EXPECT_EQ(c.Now(), 1000u);
  c.Update(2, 0, 5000, 1000);  // 2 ns per cycle from (1000 cyc, 5000 ns)
  EXPECT_EQ(c.current_bank(), 1u);
  counter = 1010;
  EXPECT_EQ(c.Now(), 5020u);
  c.Update(4, 1, 7000, 1010);
  EXPECT_EQ(c.current_bank(), 0u);
  counter = 1020;
  EXPECT_EQ(c.Now(), 7020u);
  TraceClock none;
  EXPECT_EQ(none.Now(), 0u);
}

TEST(TraceClockTest, ConcurrentUpdatesNeverTearABank) {
  // Every bank maps the counter to the same time, so any mix of two banks
  // would show as a wrong time.
  uint64_t counter = 5000000;
  TraceClock c;
  c.Init(&FakeCounter, &counter, 1, 0, 0, 0);
  std::atomic<bool> stop{false};
  std::thread updater([&] {
    for (uint64_t i = 1; !stop.load(std::memory_order_relaxed); ++i) {
      const uint32_t shift = static_cast<uint32_t>(i % 4);
      // ns = cyc: epoch (e, e) with mult 2^shift >> shift.
      const uint64_t e = 1000 * (i % 4096);
      c.Update(1u << shift, shift, e, e);
    }
  });
  uint64_t wrong = 0;
  for (int i = 0; i < 2000000; ++i) wrong += c.Now() != counter;
  stop = true;
  updater.join();
  EXPECT_EQ(wrong, 0u);
}

TEST(HostClockTest, ComputeMultShiftKeeps600SecondsIn64Bits) {
  for (uint64_t hz : {19200000ull, 24000000ull, 1000000000ull, 2300000000ull, 3999999999ull}) {
    uint32_t mult = 0, shift = 0;
    ComputeMultShift(hz, 600, &mult, &shift);
    ASSERT_NE(mult, 0u);
    const unsigned __int128 max = static_cast<unsigned __int128>(hz) * 600 * mult;
    EXPECT_LE(max, static_cast<unsigned __int128>(UINT64_MAX)) << hz;
    // One second of cycles converts to one second within 1 ppm.
    const uint64_t ns = TraceClock::Convert(hz, mult, shift, 0, 0);
    EXPECT_NEAR(static_cast<double>(ns), 1e9, 1e3) << hz;
  }
}

TEST(HostClockTest, CalibratedClockFollowsBoottimeAndIsCached) {
  const ClockCalibration a = CalibrateHostClock();
  const ClockCalibration b = CalibrateHostClock();
  EXPECT_EQ(a.mult, b.mult);
  EXPECT_EQ(a.epoch_cyc, b.epoch_cyc);
  EXPECT_GT(HostCounterHz(), 0u);
  TraceClock c;
  c.Init(&HostCounter, nullptr, a.mult, a.shift, a.epoch_ns, a.epoch_cyc);
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  const uint64_t boot = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  const uint64_t now = c.Now();
  EXPECT_NEAR(static_cast<double>(now), static_cast<double>(boot), 2e6);  // 2 ms
  const uint64_t later = c.Now();
  EXPECT_GE(later, now);
}

// ---- reader ---------------------------------------------------------------------------

TEST(RingReaderTest, PeekAndConsumeAcrossPagesInOrder) {
  TestRing t(8);  // 7 ring pages: no overwrite
  t.ring().Enable();
  const uint32_t n = 3 * kPerPage + 17;
  for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(t.WriteSeq(1000 + 3 * i, i));
  RingReader reader(&t.ring());
  for (uint32_t i = 0; i < n; ++i) {
    const Event* e = reader.Peek();
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(reader.Peek(), e);  // Peek does not consume
    EXPECT_EQ(SeqOf(*e), i);
    EXPECT_EQ(e->timestamp_ns, 1000u + 3 * i);
    EXPECT_EQ(e->size, 8u);
    uint16_t id;
    std::memcpy(&id, e->data, 2);
    EXPECT_EQ(id, 7u);
    reader.Consume();
  }
  EXPECT_EQ(reader.Peek(), nullptr);
  EXPECT_EQ(reader.TakeLost(), 0u);
  EXPECT_EQ(t.meta()->reader.id, 4u);  // pages 1..4 went through the reader
}

TEST(RingReaderTest, TakeLostReportsOverwrittenEventsOnce) {
  TestRing t(4);
  t.ring().Enable();
  const uint32_t n = 5 * kPerPage + 3;  // pages 1 and 2 overwritten, plus page 3
  for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(t.WriteSeq(10 + i, i));
  const uint64_t overrun = t.meta()->overrun;
  ASSERT_EQ(overrun, 3 * kPerPage);
  RingReader reader(&t.ring());
  ASSERT_NE(reader.Peek(), nullptr);
  EXPECT_EQ(SeqOf(*reader.Peek()), 3 * kPerPage);  // the oldest survivor
  EXPECT_EQ(t.meta()->reader.lost_events, overrun);
  EXPECT_EQ(reader.TakeLost(), overrun);
  EXPECT_EQ(reader.TakeLost(), 0u);
  uint32_t read = 0;
  uint32_t expect = 3 * kPerPage;
  for (const Event* e; (e = reader.Peek()) != nullptr; reader.Consume(), ++read, ++expect)
    ASSERT_EQ(SeqOf(*e), expect);
  EXPECT_EQ(read + overrun, n);
  EXPECT_EQ(reader.TakeLost(), 0u);
  EXPECT_EQ(t.meta()->reader.lost_events, 0u);  // later swaps lost nothing
}

TEST(RingReaderTest, ReadsTheWritersPageAsItGrows) {
  TestRing t(4);
  t.ring().Enable();
  RingReader reader(&t.ring());
  EXPECT_EQ(reader.Peek(), nullptr);  // empty: the reader took page 1, the tail
  EXPECT_EQ(t.meta()->reader.id, 1u);
  EXPECT_TRUE(t.ring().ReaderPageIsTail());
  EXPECT_EQ(t.ring().SwapReaderPage(), kErrBusy);
  ASSERT_TRUE(t.WriteSeq(100, 0));
  ASSERT_TRUE(t.WriteSeq(110, 1));
  ASSERT_NE(reader.Peek(), nullptr);
  EXPECT_EQ(SeqOf(*reader.Peek()), 0u);
  reader.Consume();
  EXPECT_EQ(reader.Peek()->timestamp_ns, 110u);
  reader.Consume();
  EXPECT_EQ(reader.Peek(), nullptr);
  EXPECT_EQ(t.ring().SwapReaderPage(), kErrBusy);  // nothing newer exists
  // More on the same page, and the rest of the page, then the next page.
  for (uint32_t i = 2; i < kPerPage + 5; ++i) ASSERT_TRUE(t.WriteSeq(100 + 10 * i, i));
  EXPECT_FALSE(t.ring().ReaderPageIsTail());
  for (uint32_t i = 2; i < kPerPage + 5; ++i) {
    const Event* e = reader.Peek();
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(SeqOf(*e), i);
    EXPECT_EQ(e->timestamp_ns, 100u + 10 * i);
    reader.Consume();
  }
  EXPECT_EQ(reader.Peek(), nullptr);
  EXPECT_EQ(reader.TakeLost(), 0u);
  // The writer filled page 1 while it was the reader page: it then moved to
  // page 2, never back onto the reader page, and nothing was counted lost.
  EXPECT_EQ(t.meta()->overrun, 0u);
  EXPECT_EQ(t.meta()->reader.id, 2u);
}

TEST(RingReaderTest, WriterLeavingTheReaderPageForTheHeadDoesNotCountItLost) {
  TestRing t(3);  // ring of pages 1, 2
  t.ring().Enable();
  RingReader reader(&t.ring());
  ASSERT_EQ(reader.Peek(), nullptr);  // reader page = page 1 = tail; head = page 2
  // The writer fills page 1 (the reader page) and page 2, and wraps to page 0
  // (the old reader page, now in the ring): page 2 is the head then.
  uint32_t seq = 0;
  for (; seq < 2 * kPerPage + 1; ++seq) ASSERT_TRUE(t.WriteSeq(10 + seq, seq));
  EXPECT_EQ(t.meta()->overrun, 0u);
  for (; seq < 3 * kPerPage + 1; ++seq) ASSERT_TRUE(t.WriteSeq(10 + seq, seq));
  EXPECT_EQ(t.meta()->overrun, kPerPage);  // page 2 overwritten
  uint64_t read = 0;
  uint32_t last = 0;
  for (const Event* e; (e = reader.Peek()) != nullptr; reader.Consume(), ++read) {
    if (read > 0) {
      EXPECT_GT(SeqOf(*e), last);
    }
    last = SeqOf(*e);
  }
  EXPECT_EQ(read + reader.TakeLost(), seq);
  EXPECT_EQ(last, seq - 1);
}

TEST(RingReaderTest, RawPagesCarryMissedEvents) {
  TestRing t(4);
  t.ring().Enable();
  // p1, p2, p3, p1 again (old p1 lost), p2 with 3 events (old p2 lost).
  const uint32_t n = 4 * kPerPage + 3;
  for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(t.WriteSeq(10 + i, i));
  ASSERT_EQ(t.meta()->overrun, 2 * kPerPage);
  RingReader reader(&t.ring());
  alignas(8) uint8_t raw[kPageSize];
  ASSERT_TRUE(reader.ReadRawPage(raw));  // page 3, whole
  pkvm_buffer_data_page hdr;
  std::memcpy(&hdr, raw, sizeof hdr);
  // A full page has no room for the count: the flag alone.
  EXPECT_EQ(hdr.commit, kDataSize | PKVM_RB_MISSED_EVENTS);
  EXPECT_EQ(hdr.time_stamp, 10u + 2 * kPerPage);
  EXPECT_EQ(std::memcmp(raw + 16, t.data(3), kDataSize), 0);
  PageCursor c(raw);
  EXPECT_TRUE(c.missed_events());
  EXPECT_EQ(c.stored_missed_events(), 0u);
  Event e;
  ASSERT_TRUE(c.Next(&e));
  EXPECT_EQ(SeqOf(e), 2 * kPerPage);
  EXPECT_EQ(reader.TakeLost(), 0u);  // the count went with the page

  ASSERT_TRUE(reader.ReadRawPage(raw));  // page 1: nothing lost since
  std::memcpy(&hdr, raw, sizeof hdr);
  EXPECT_EQ(hdr.commit, kDataSize);

  ASSERT_TRUE(reader.ReadRawPage(raw));  // the writer's page, as far as it goes
  std::memcpy(&hdr, raw, sizeof hdr);
  EXPECT_EQ(hdr.commit, 48u);
  EXPECT_EQ(hdr.time_stamp, 10u + 4 * kPerPage);
  EXPECT_FALSE(reader.ReadRawPage(raw));

  // Two more events on that page: a page holding just them, stamped with the
  // time before the first (the last event already handed out).
  ASSERT_TRUE(t.WriteSeq(20000, 9000));
  ASSERT_TRUE(t.WriteSeq(20005, 9001));
  ASSERT_TRUE(reader.ReadRawPage(raw));
  std::memcpy(&hdr, raw, sizeof hdr);
  EXPECT_EQ(hdr.commit, 32u);
  EXPECT_EQ(hdr.time_stamp, 10u + n - 1);
  PageCursor tail(raw);
  ASSERT_TRUE(tail.Next(&e));
  EXPECT_EQ(e.timestamp_ns, 20000u);
  EXPECT_EQ(SeqOf(e), 9000u);
  ASSERT_TRUE(tail.Next(&e));
  EXPECT_EQ(e.timestamp_ns, 20005u);
  EXPECT_FALSE(tail.Next(&e));
  EXPECT_EQ(std::memcmp(raw + 16 + 32, std::vector<uint8_t>(kDataSize - 32).data(), kDataSize - 32), 0);
  EXPECT_FALSE(reader.ReadRawPage(raw));
}

TEST(RingReaderTest, RawPageStoresTheMissedCountAfterTheDataWhenItFits) {
  TestRing t(3);  // ring of pages 1 and 2
  t.ring().Enable();
  // One 4000-byte record per page: the third overwrites page 1.
  std::vector<uint8_t> big(4000, 0x5A);
  for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(t.Write(100 + i, big.data(), 4000));
  ASSERT_EQ(t.meta()->overrun, 1u);
  RingReader reader(&t.ring());
  alignas(8) uint8_t raw[kPageSize];
  ASSERT_TRUE(reader.ReadRawPage(raw));  // page 2
  pkvm_buffer_data_page hdr;
  std::memcpy(&hdr, raw, sizeof hdr);
  EXPECT_EQ(hdr.commit, 4008u | PKVM_RB_MISSED_EVENTS | PKVM_RB_MISSED_STORED);
  uint64_t stored;
  std::memcpy(&stored, raw + 16 + 4008, 8);
  EXPECT_EQ(stored, 1u);
  PageCursor c(raw);
  EXPECT_EQ(c.commit(), 4008u);
  EXPECT_EQ(c.stored_missed_events(), 1u);
  Event e;
  ASSERT_TRUE(c.Next(&e));
  EXPECT_EQ(e.size, 4000u);
  EXPECT_EQ(e.timestamp_ns, 101u);
  EXPECT_FALSE(c.Next(&e));
}

TEST(PageCursorTest, DecodesForeignEncodings) {
  // A page as the Linux ring buffer could write it: a type_len 2 event (8
  // bytes in the type), a discarded event (padding with a length), a
  // TIME_STAMP, a data event, then null padding ending the page.
  alignas(8) uint8_t page[kPageSize] = {};
  auto put = [&](uint32_t off, uint32_t v) { std::memcpy(page + 16 + off, &v, 4); };
  const uint64_t ts0 = (uint64_t{3} << 59) + 100;
  std::memcpy(page, &ts0, 8);
  put(0, 2 | (5u << 5));  // type_len 2: 8 bytes payload
  put(4, 0x11111111);
  put(8, 0x22222222);
  put(12, PKVM_RINGBUF_TYPE_PADDING | (1u << 5));  // discarded: array[0] = 12
  put(16, 12);
  put(28, PKVM_RINGBUF_TYPE_TIME_STAMP | (4u << 5));  // absolute: (2 << 27) | 4
  put(32, 2);
  put(36, 3u << 5);  // data, delta 3, 4 bytes
  put(40, 8);
  put(44, 0xABCD);
  put(48, PKVM_RINGBUF_TYPE_PADDING);  // null: rest of page
  const uint64_t commit = 56 | PKVM_RB_MISSED_EVENTS;
  std::memcpy(page + 8, &commit, 8);
  PageCursor c(page);
  EXPECT_EQ(c.commit(), 56u);
  EXPECT_TRUE(c.missed_events());
  Event e;
  ASSERT_TRUE(c.Next(&e));
  EXPECT_EQ(e.timestamp_ns, ts0 + 5);
  EXPECT_EQ(e.size, 8u);
  EXPECT_EQ(e.data, page + 20);
  ASSERT_TRUE(c.Next(&e));
  EXPECT_EQ(e.timestamp_ns, (uint64_t{3} << 59) + (uint64_t{2} << 27) + 4 + 3);
  EXPECT_EQ(e.size, 4u);
  uint32_t v;
  std::memcpy(&v, e.data, 4);
  EXPECT_EQ(v, 0xABCDu);
  EXPECT_FALSE(c.Next(&e));
}

TEST(PageCursorTest, MalformedLengthEndsThePage) {
  alignas(8) uint8_t page[kPageSize] = {};
  const uint32_t words[] = {0, 8, 0x1234, 0, 5000, 0};  // second event claims 5000 bytes
  std::memcpy(page + 16, words, sizeof words);
  const uint64_t commit = sizeof words;
  std::memcpy(page + 8, &commit, 8);
  PageCursor c(page);
  Event e;
  ASSERT_TRUE(c.Next(&e));
  EXPECT_FALSE(c.Next(&e));
  EXPECT_FALSE(c.Next(&e));
}

#if PKVM_HAVE_LIBTRACEEVENT
// libtraceevent's kbuffer parses our pages with no special casing: same
// events, same timestamps, same payload pointers, and the missed-events count.
TEST(KbufferCompatTest, KbufferReadsOurPages) {
  TestRing t(3);
  t.ring().Enable();
  std::vector<std::pair<uint64_t, uint32_t>> written;  // (ts, len)
  uint64_t ts = 1000;
  uint32_t lens[] = {2, 5, 35, 8, 1, 16, 3};
  for (int i = 0; i < 2 * static_cast<int>(kPerPage); ++i) {
    const uint32_t len = lens[i % 7];
    ts += (i % 50 == 49) ? (uint64_t{3} << 27) + 11 : 17;  // some TIME_EXTENDs
    uint8_t rec[64];
    for (uint32_t k = 0; k < len; ++k) rec[k] = static_cast<uint8_t>(i + k);
    ASSERT_TRUE(t.Write(ts, rec, len));
    written.push_back({ts, len});
  }
  // Overwrite the first page.
  const uint64_t lost = t.meta()->overrun;
  ASSERT_GT(lost, 0u);
  RingReader reader(&t.ring());
  kbuffer* kb = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
  ASSERT_NE(kb, nullptr);
  alignas(8) uint8_t raw[kPageSize];
  size_t i = lost;
  bool first = true;
  while (reader.ReadRawPage(raw)) {
    ASSERT_EQ(kbuffer_load_subbuffer(kb, raw), 0);
    if (first) {
      EXPECT_NE(kbuffer_missed_events(kb), 0);
    }
    PageCursor ours(raw);
    Event e;
    unsigned long long kts = 0;
    void* data = kbuffer_read_event(kb, &kts);
    while (ours.Next(&e)) {
      ASSERT_NE(data, nullptr) << i;
      EXPECT_EQ(kts, e.timestamp_ns) << i;
      EXPECT_EQ(data, e.data) << i;
      EXPECT_EQ(static_cast<uint32_t>(kbuffer_event_size(kb)), (written[i].second + 3) & ~3u) << i;
      EXPECT_EQ(e.timestamp_ns, written[i].first) << i;
      ++i;
      data = kbuffer_next_event(kb, &kts);
    }
    EXPECT_EQ(data, nullptr);
    first = false;
  }
  EXPECT_EQ(i, written.size());
  kbuffer_free(kb);
}

TEST(KbufferCompatTest, KbufferReadsTheStoredMissedCount) {
  alignas(8) uint8_t page[kPageSize] = {};
  const uint32_t words[] = {0, 8, 0x1234};
  std::memcpy(page + 16, words, sizeof words);
  const uint64_t missed = 77;
  std::memcpy(page + 16 + sizeof words, &missed, 8);
  const uint64_t commit = sizeof words | PKVM_RB_MISSED_EVENTS | PKVM_RB_MISSED_STORED;
  std::memcpy(page + 8, &commit, 8);
  kbuffer* kb = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
  ASSERT_EQ(kbuffer_load_subbuffer(kb, page), 0);
  EXPECT_EQ(kbuffer_missed_events(kb), 77);
  PageCursor c(page);
  EXPECT_EQ(c.stored_missed_events(), 77u);
  kbuffer_free(kb);
}
#endif

}  // namespace
}  // namespace pkvm::trace
