// File: include/pkvm/trace_ring.h
// The hypervisor's per-CPU trace ring buffer (spec §5.2) and trace clock
// (§5.3). Freestanding: no heap, no exceptions, no RTTI, no libc; the EL2
// image links it as is (test/freestanding proves it).
//
// One RingBuffer per CPU. Its storage (meta page, data pages, descriptors) is
// provided by the caller. Exactly one writer per ring (the CPU itself) calls
// Reserve/Commit; it never waits for the reader. The reader side
// (SwapReaderPage, Reset and the RingReader built on them) must be serialised
// by the caller, as the hypervisor does with its per-CPU reader lock.
// Control calls (Enable, Disable, Panic) may come from any thread at any
// time, also during a Reset(): Enable() and Disable() wait for a Reset() in
// progress and then apply to the reset ring (so "Reset; Enable" from two
// threads leaves it READY whichever runs first); a Panic() during a Reset()
// wins (the ring stays PANIC). Init() is concurrent with nothing.
//
//   pkvm::trace::TraceClock clock;
//   clock.Init(&MyCounter, nullptr, mult, shift, epoch_ns, epoch_cyc);
//   pkvm::trace::RingBuffer ring;
//   ring.Init(&meta, pages, nr_pages, descs, &clock);  // pages[0]: reader page
//   ring.Enable();
//   if (void* p = ring.Reserve(sizeof(rec))) {       // nullptr: event dropped
//     __builtin_memcpy(p, &rec, sizeof(rec));
//     ring.Commit();
//   }
//
// Page format: standard Linux ring-buffer sub-buffers. One deliberate
// difference from the spec text ("no padding"): the payload length is rounded
// up to a multiple of 4 (pad bytes zeroed) and array[0] = padded length + 4,
// because libtraceevent's kbuffer steps over type-0 events by the rounded-up
// length (docs/abi-decisions.md).
#ifndef PKVM_TRACE_RING_H_
#define PKVM_TRACE_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "pkvm/abi/trace.h"

namespace pkvm::trace {

inline constexpr uint32_t kPageSize = PKVM_TRACE_PAGE_SIZE;
inline constexpr uint32_t kDataSize = PKVM_BUF_PAGE_DATA_SIZE;         // 4080, A15/A16
inline constexpr uint32_t kDataSizeA14 = PKVM_BUF_PAGE_DATA_SIZE_A14;  // 4048
inline constexpr uint32_t kEventHeaderSize = PKVM_RB_EVNT_HDR_SIZE;    // header + array[0]
inline constexpr uint32_t kTimeExtendSize = 8;
inline constexpr uint64_t kMaxDelta = PKVM_RB_MAX_DELTA;               // 2^27 - 1
inline constexpr uint64_t kMaxExtendedDelta = PKVM_RB_MAX_EXTENDED_DELTA;
inline constexpr uint32_t kMinDataSize = 64;

inline constexpr int kErrAgain = -11;  // -EAGAIN: the writer is moving the head; retry
inline constexpr int kErrBusy = -16;   // -EBUSY: the reader page is still the writer's page
inline constexpr int kErrNoDev = -19;  // -ENODEV: not initialised
inline constexpr int kErrInval = -22;  // -EINVAL

enum class WriterStatus : uint32_t { kUnavailable = 0, kReady = 1, kWriting = 2, kPanic = 3 };

namespace internal {

inline void CpuRelax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Fields of the C layouts (meta page, page header) shared with the host are
// plain integers; every concurrent access goes through these.
inline uint64_t Load(const pkvm_u64* p, int order = __ATOMIC_RELAXED) noexcept {
  return __atomic_load_n(p, order);
}
inline void Store(pkvm_u64* p, uint64_t v, int order = __ATOMIC_RELAXED) noexcept {
  __atomic_store_n(p, v, order);
}
inline void Store32(pkvm_u32* p, uint32_t v) noexcept { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
// Single-writer counter: a load and a store, no locked read-modify-write.
inline void Add(pkvm_u64* p, uint64_t n) noexcept { Store(p, Load(p) + n); }

inline void Put32(unsigned char* p, uint32_t v) noexcept { __builtin_memcpy(p, &v, sizeof(v)); }
inline uint32_t Get32(const unsigned char* p) noexcept {
  uint32_t v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace internal

// ns = epoch_ns + ((counter - epoch_cyc) * mult) >> shift.
// Two banks and a sequence number whose low bit selects the current bank:
// Update fills the inactive bank, then release-stores the sequence. Now()
// retries if the sequence moved while it read a bank, so back-to-back updates
// can never hand a writer a half-written bank.
class TraceClock {
 public:
  using CounterFn = uint64_t (*)(void* ctx);

  constexpr TraceClock() noexcept = default;
  TraceClock(const TraceClock&) = delete;
  TraceClock& operator=(const TraceClock&) = delete;

  // Not concurrent with Now(): call before tracing starts.
  void Init(CounterFn counter, void* ctx, uint32_t mult, uint32_t shift, uint64_t epoch_ns,
            uint64_t epoch_cyc) noexcept {
    counter_ = counter;
    ctx_ = ctx;
    banks_[0].Set(mult, shift, epoch_ns, epoch_cyc);
    banks_[1].Set(mult, shift, epoch_ns, epoch_cyc);
    seq_.store(0, std::memory_order_release);
  }

  // Concurrent with Now() on any CPU; updates must not race each other.
  void Update(uint32_t mult, uint32_t shift, uint64_t epoch_ns, uint64_t epoch_cyc) noexcept {
    const uint32_t next = seq_.load(std::memory_order_relaxed) + 1;
    banks_[next & 1].Set(mult, shift, epoch_ns, epoch_cyc);
    seq_.store(next, std::memory_order_release);
  }

  uint64_t ReadCounter() const noexcept { return counter_ ? counter_(ctx_) : 0; }

  uint64_t Now() const noexcept {
    const uint64_t cyc = ReadCounter();
    for (;;) {
      const uint32_t seq = seq_.load(std::memory_order_acquire);
      const Bank& b = banks_[seq & 1];
      const uint64_t ms = b.mult_shift.load(std::memory_order_acquire);
      const uint64_t epoch_ns = b.epoch_ns.load(std::memory_order_acquire);
      const uint64_t epoch_cyc = b.epoch_cyc.load(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) == seq) {
        return Convert(cyc, static_cast<uint32_t>(ms), static_cast<uint32_t>(ms >> 32), epoch_ns,
                       epoch_cyc);
      }
    }
  }

  // The conversion itself, exposed for tests and for the host's calibration.
  // Counters before the epoch (a bank published after the counter was read)
  // convert backwards instead of wrapping.
  static uint64_t Convert(uint64_t cyc, uint32_t mult, uint32_t shift, uint64_t epoch_ns,
                          uint64_t epoch_cyc) noexcept {
    __extension__ typedef unsigned __int128 u128;
    shift &= 127;
    if (cyc >= epoch_cyc)
      return epoch_ns + static_cast<uint64_t>((static_cast<u128>(cyc - epoch_cyc) * mult) >> shift);
    const uint64_t back = static_cast<uint64_t>((static_cast<u128>(epoch_cyc - cyc) * mult) >> shift);
    return back < epoch_ns ? epoch_ns - back : 0;
  }

  // Index of the bank Now() uses (for tests).
  uint32_t current_bank() const noexcept { return seq_.load(std::memory_order_acquire) & 1; }

 private:
  struct Bank {
    std::atomic<uint64_t> mult_shift{0};  // mult | shift << 32
    std::atomic<uint64_t> epoch_ns{0};
    std::atomic<uint64_t> epoch_cyc{0};
    void Set(uint32_t mult, uint32_t shift, uint64_t ns, uint64_t cyc) noexcept {
      mult_shift.store(mult | (static_cast<uint64_t>(shift) << 32), std::memory_order_release);
      epoch_ns.store(ns, std::memory_order_release);
      epoch_cyc.store(cyc, std::memory_order_release);
    }
  };

  CounterFn counter_ = nullptr;
  void* ctx_ = nullptr;
  std::atomic<uint32_t> seq_{0};
  Bank banks_[2];
};

// Hyp-private descriptor of one data page. `link` is the next descriptor's
// address with two flag bits: kHead ("the next page is the head, the oldest
// unread page") and kUpdate (the writer is moving the head past it). The
// writer only ever changes flag bits; only the reader (SwapReaderPage)
// rewires links, and only it uses `prev`.
struct RingPage {
  static constexpr uintptr_t kHead = 1;
  static constexpr uintptr_t kUpdate = 2;
  static constexpr uintptr_t kFlagMask = 3;

  std::atomic<uintptr_t> link{0};
  RingPage* prev = nullptr;
  pkvm_buffer_data_page* page = nullptr;
  uint32_t id = 0;
  // Events on the page and bytes written. The writer keeps the live values
  // of its current page in the RingBuffer and stores them here when it
  // leaves the page (the head-move accounting reads `entries`).
  uint32_t entries = 0;
  uint32_t write = 0;

  RingPage* next() const noexcept {
    return reinterpret_cast<RingPage*>(link.load(std::memory_order_acquire) & ~kFlagMask);
  }
};

class RingBuffer {
 public:
  constexpr RingBuffer() noexcept = default;
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;

  // pages[0] is the initial reader page (id 0); pages[1..nr_pages) form the
  // ring (ids 1..). descs has nr_pages entries. data_size = usable bytes per
  // page: kDataSize (A15/A16) or kDataSizeA14; any multiple of 4 in
  // [kMinDataSize, kDataSize] is accepted. Returns 0 or kErrInval. Not
  // concurrent with anything else on this ring.
  int Init(trace_buffer_meta* meta, pkvm_buffer_data_page* const* pages, uint32_t nr_pages,
           RingPage* descs, const TraceClock* clock, uint32_t data_size = kDataSize) noexcept {
    if (meta == nullptr || pages == nullptr || descs == nullptr || clock == nullptr || nr_pages < 2)
      return kErrInval;
    if (data_size < kMinDataSize || data_size > kDataSize || data_size % 4 != 0) return kErrInval;
    for (uint32_t i = 0; i < nr_pages; ++i)
      if (pages[i] == nullptr) return kErrInval;
    status_.store(static_cast<uint32_t>(WriterStatus::kUnavailable), std::memory_order_relaxed);
    panicked_.store(false, std::memory_order_relaxed);
    meta_ = meta;
    clock_ = clock;
    data_size_ = data_size;
    max_payload_ = data_size - kEventHeaderSize;
    descs_ = descs;
    nr_pages_ = nr_pages;
    for (uint32_t i = 0; i < nr_pages; ++i) descs[i].page = pages[i];
    internal::Store32(&meta->meta_page_size, kPageSize);
    internal::Store32(&meta->meta_struct_len, 0);
    internal::Store32(&meta->subbuf_size, kPageSize);
    internal::Store32(&meta->nr_subbufs, nr_pages);
    ResetState(/*zero_data=*/false);
    return 0;
  }

  // Writer: room for `length` payload bytes, or nullptr (event dropped) when
  // the ring is not READY (off, busy, panicked) or the event cannot fit in a
  // page. The pointer is 4-byte aligned; fill it, then Commit().
  void* Reserve(uint32_t length) noexcept {
    if (length > max_payload_) return nullptr;
    // Cheap early out when tracing is off, then the clock read before the
    // claim: the counter read overlaps the locked CAS instead of waiting for
    // it (7 ns of 36 on x86). One writer per ring, so per-ring order is the
    // order of these reads; a reentrant reserve in between fails anyway.
    if (status_.load(std::memory_order_relaxed) != static_cast<uint32_t>(WriterStatus::kReady))
      return nullptr;
    const uint64_t ts = clock_->Now();
    uint32_t expected = static_cast<uint32_t>(WriterStatus::kReady);
    if (!status_.compare_exchange_strong(expected, static_cast<uint32_t>(WriterStatus::kWriting),
                                         std::memory_order_seq_cst, std::memory_order_relaxed))
      return nullptr;
    if (panicked_.load(std::memory_order_seq_cst)) [[unlikely]] {
      // A Commit() overwrote PANIC with READY; panic wins.
      status_.store(static_cast<uint32_t>(WriterStatus::kPanic), std::memory_order_release);
      return nullptr;
    }
    const uint32_t padded = (length + 3) & ~3u;
    uint32_t need = padded + kEventHeaderSize;
    uint64_t delta = 0;
    if (entries_ != 0) {
      delta = ts > last_ts_ ? ts - last_ts_ : 0;  // a clock update may step back: clamp
      if (delta > kMaxDelta) {
        if (delta > kMaxExtendedDelta) delta = kMaxExtendedDelta;
        need += kTimeExtendSize;
      }
    }
    if (write_ + need > data_size_) [[unlikely]] {
      MoveTail();
      need = padded + kEventHeaderSize;
    }
    unsigned char* p = tail_data_ + write_;
    if (entries_ == 0) {
      // First event of the page: the page carries the absolute time.
      internal::Store(&tail_page_->time_stamp, ts);
      delta = 0;
      last_ts_ = ts;
    } else {
      last_ts_ += delta;
      if (delta > kMaxDelta) {
        internal::Put32(p, PKVM_RINGBUF_TYPE_TIME_EXTEND |
                               static_cast<uint32_t>((delta & kMaxDelta) << PKVM_RB_TYPE_LEN_BITS));
        internal::Put32(p + 4, static_cast<uint32_t>(delta >> PKVM_RB_TS_SHIFT));
        p += kTimeExtendSize;
        delta = 0;
      }
    }
    internal::Put32(p, PKVM_RINGBUF_TYPE_DATA | static_cast<uint32_t>(delta << PKVM_RB_TYPE_LEN_BITS));
    internal::Put32(p + 4, padded + 4);
    if (padded != length) internal::Put32(p + kEventHeaderSize + padded - 4, 0);
    write_ += need;
    ++entries_;
    return p + kEventHeaderSize;
  }

  // Writer: publishes the reserved event (page.commit = write; meta.entries++;
  // store-release READY). Does nothing without a successful Reserve().
  void Commit() noexcept {
    if (status_.load(std::memory_order_relaxed) != static_cast<uint32_t>(WriterStatus::kWriting))
      return;
    internal::Store(&tail_page_->commit, write_, __ATOMIC_RELEASE);
    internal::Add(&meta_->entries, 1);
    status_.store(static_cast<uint32_t>(WriterStatus::kReady), std::memory_order_release);
  }

  // UNAVAILABLE -> READY (after a Reset() in progress). False if the ring
  // is in another state.
  bool Enable() noexcept {
    for (;;) {
      uint32_t expected = status_.load(std::memory_order_acquire);
      if (expected == kResetting) {
        internal::CpuRelax();
        continue;
      }
      if (expected != static_cast<uint32_t>(WriterStatus::kUnavailable)) return false;
      if (status_.compare_exchange_weak(expected, static_cast<uint32_t>(WriterStatus::kReady),
                                        std::memory_order_acq_rel, std::memory_order_relaxed))
        return true;
    }
  }

  // Waits until the writer is out of WRITING (and a Reset() in progress is
  // done), then UNAVAILABLE. PANIC stays.
  void Disable() noexcept { (void)Quiesce(); }

  // PANIC from any CPU, even the writer's in the middle of an event: Reserve
  // fails from then on. Only Init() leaves it.
  void Panic() noexcept {
    panicked_.store(true, std::memory_order_seq_cst);
    status_.store(static_cast<uint32_t>(WriterStatus::kPanic), std::memory_order_seq_cst);
  }

  // Reader side (serialised with SwapReaderPage): quiesces the writer, zeroes
  // every page and all meta counters, puts the pages back in their initial
  // places, then restores READY if it was. A panicked ring keeps its events.
  // While it runs the status is RESETTING (reported as UNAVAILABLE): the
  // writer's Reserve() fails and Enable()/Disable() wait, so nothing reads
  // the writer state being rewritten.
  void Reset() noexcept {
    if (meta_ == nullptr) return;
    uint32_t was;
    for (;;) {
      was = status_.load(std::memory_order_acquire);
      if (was == static_cast<uint32_t>(WriterStatus::kWriting)) {
        internal::CpuRelax();
        continue;
      }
      if (was == static_cast<uint32_t>(WriterStatus::kPanic) ||
          panicked_.load(std::memory_order_acquire))
        return;
      if (status_.compare_exchange_weak(was, kResetting, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
        break;
    }
    ResetState(/*zero_data=*/true);
    // Back to what it was -- unless a Panic() came in meanwhile.
    uint32_t expected = kResetting;
    status_.compare_exchange_strong(expected, was, std::memory_order_release,
                                    std::memory_order_relaxed);
  }

  // Reader side: takes the head page (oldest unread) as the new reader page
  // and puts the old reader page in its place in the ring; sets
  // meta.reader.id and meta.reader.lost_events (events overwritten since the
  // previous swap). Returns 0, kErrBusy while the reader page is still the
  // writer's page (read it as it grows instead), kErrAgain if the writer
  // kept the head moving (retry later), kErrNoDev before Init().
  int SwapReaderPage() noexcept {
    if (reader_ == nullptr) return kErrNoDev;
    // SC with the writer's publication of its tail (MoveTail): if this does
    // not see the reader page, the writer has left it for good, and its last
    // commit there is visible.
    if (tail_pub_.load(std::memory_order_seq_cst) == reader_) return kErrBusy;
    for (int attempt = 0; attempt < 8; ++attempt) {
      uintptr_t link;
      RingPage* const pred = FindHeadPred(&link);
      if (pred == nullptr) {  // the writer is between clearing and setting HEAD
        internal::CpuRelax();
        continue;
      }
      RingPage* const head = Ptr(link);
      RingPage* const r = reader_;
      // In a one-page ring the head is its own successor and predecessor:
      // the reader page then links to itself.
      RingPage* after = head->next();
      if (after == head) after = r;
      r->link.store(reinterpret_cast<uintptr_t>(after) | RingPage::kHead, std::memory_order_relaxed);
      r->prev = pred == head ? r : pred;
      uintptr_t expected = reinterpret_cast<uintptr_t>(head) | RingPage::kHead;
      if (!pred->link.compare_exchange_strong(expected, reinterpret_cast<uintptr_t>(r),
                                              std::memory_order_seq_cst, std::memory_order_relaxed))
        continue;  // the writer moved the head: start again
      // Read after the CAS (the spec reads it just before): the CAS reads the
      // link the writer stored after its last overrun update, so no head move
      // is missed, whatever the reader's delay between scan and CAS.
      const uint64_t overrun = internal::Load(&meta_->overrun, __ATOMIC_SEQ_CST);
      after->prev = r;
      reader_ = head;
      head_hint_ = after;
      internal::Store(&meta_->reader.lost_events, overrun - last_overrun_);
      internal::Store32(&meta_->reader.id, head->id);
      internal::Store32(&meta_->reader.read, 0);
      last_overrun_ = overrun;
      return 0;
    }
    return kErrAgain;
  }

  WriterStatus status() const noexcept {
    if (panicked_.load(std::memory_order_acquire)) return WriterStatus::kPanic;
    const uint32_t s = status_.load(std::memory_order_acquire);
    return s == kResetting ? WriterStatus::kUnavailable : static_cast<WriterStatus>(s);
  }
  const trace_buffer_meta* meta() const noexcept { return meta_; }
  const pkvm_buffer_data_page* reader_page() const noexcept {
    return reader_ ? reader_->page : nullptr;
  }
  uint32_t reader_page_id() const noexcept { return reader_ ? reader_->id : 0; }
  uint32_t data_size() const noexcept { return data_size_; }
  uint32_t nr_pages() const noexcept { return nr_pages_; }
  // Largest payload Reserve() accepts (data_size - 8).
  uint32_t max_payload() const noexcept { return max_payload_; }

  // Reader side: is the reader page the page the writer is filling? Then its
  // commit may still grow, and SwapReaderPage() answers kErrBusy.
  bool ReaderPageIsTail() const noexcept {
    return reader_ != nullptr && tail_pub_.load(std::memory_order_seq_cst) == reader_;
  }
  // Reader side, for a walk that consumes nothing (the upstream `trace`
  // file): the oldest unread ring page (the head), nullptr while no link
  // carries HEAD; and the page the writer fills. Unread data is the reader
  // page's rest, then head .. tail in link order.
  const RingPage* head_page() const noexcept {
    if (head_hint_ == nullptr) return nullptr;
    uintptr_t link;
    return FindHeadPred(&link) != nullptr ? Ptr(link) : nullptr;
  }
  const RingPage* tail_page() const noexcept { return tail_pub_.load(std::memory_order_acquire); }
  // Id of the writer's current page (reader side, for tests and dumps).
  uint32_t tail_page_id() const noexcept {
    const RingPage* t = tail_pub_.load(std::memory_order_acquire);
    return t ? t->id : 0;
  }
  // Bumped by every Reset(), so readers know their page was taken back.
  uint32_t generation() const noexcept { return generation_; }

 private:
  static RingPage* Ptr(uintptr_t link) noexcept {
    return reinterpret_cast<RingPage*>(link & ~RingPage::kFlagMask);
  }

  // Writer: the event does not fit; continue on the next page. If that page
  // is the head (the ring is full), overwrite it: account its events as
  // overrun and move HEAD one page on, unless the reader swaps it out first.
  void MoveTail() noexcept {
    RingPage* const old = tail_;
    old->entries = entries_;
    old->write = write_;
    RingPage* next;
    for (;;) {
      uintptr_t link = old->link.load(std::memory_order_seq_cst);
      next = Ptr(link);
      if ((link & RingPage::kHead) == 0) {
        ClearPage(next);
        break;
      }
      // Claim the head: from here the reader cannot take it.
      if (!old->link.compare_exchange_strong(link, reinterpret_cast<uintptr_t>(next) | RingPage::kUpdate,
                                             std::memory_order_seq_cst, std::memory_order_seq_cst))
        continue;  // the reader swapped it out; our link now names its old page
      internal::Add(&meta_->overrun, next->entries);
      internal::Add(&meta_->Reserved1, 1);  // pages lost
      // Cleared while no link carries HEAD: in a one-page ring old == next is
      // the head again the moment UPDATE clears, and the reader may take it
      // at once; it must find it empty, not the events just counted lost.
      ClearPage(next);
      next->link.store(next->link.load(std::memory_order_relaxed) | RingPage::kHead,
                       std::memory_order_seq_cst);
      // Clear UPDATE. In a one-page ring the HEAD just set is on this same
      // link: keep it.
      old->link.store(reinterpret_cast<uintptr_t>(next) | (next == old ? RingPage::kHead : 0),
                      std::memory_order_seq_cst);
      break;
    }
    internal::Add(&meta_->Reserved2, 1);  // pages touched
    tail_ = next;
    tail_page_ = next->page;
    tail_data_ = next->page->data;
    write_ = 0;
    entries_ = 0;
    // Published after the page is reset: a reader that sees it as its new
    // reader page sees commit == 0, not the page's previous life.
    tail_pub_.store(next, std::memory_order_seq_cst);
  }

  // Writer: empties the page it moves onto.
  static void ClearPage(RingPage* p) noexcept {
    p->entries = 0;
    p->write = 0;
    internal::Store(&p->page->commit, 0);
  }

  // Reader: the descriptor whose link carries HEAD (its value in *link), or
  // nullptr if no link does right now.
  RingPage* FindHeadPred(uintptr_t* link) const noexcept {
    RingPage* p = head_hint_->prev;
    for (uint32_t i = 0; i < nr_pages_; ++i) {
      const uintptr_t v = p->link.load(std::memory_order_acquire);
      if (v & RingPage::kHead) {
        *link = v;
        return p;
      }
      p = Ptr(v);
    }
    return nullptr;
  }

  // Waits for the writer to leave WRITING and makes the ring UNAVAILABLE
  // (PANIC stays). True if it was READY.
  bool Quiesce() noexcept {
    for (;;) {
      uint32_t s = status_.load(std::memory_order_acquire);
      if (s == static_cast<uint32_t>(WriterStatus::kWriting) || s == kResetting) {
        internal::CpuRelax();
        continue;
      }
      if (s != static_cast<uint32_t>(WriterStatus::kReady)) return false;
      if (status_.compare_exchange_weak(s, static_cast<uint32_t>(WriterStatus::kUnavailable),
                                        std::memory_order_acq_rel, std::memory_order_acquire))
        return true;
    }
  }

  // Initial layout: descs[0] is the reader page, 1..n-1 the ring with the
  // head (and the writer) on page 1.
  void ResetState(bool zero_data) noexcept {
    const uint32_t n = nr_pages_;
    for (uint32_t i = 0; i < n; ++i) {
      RingPage& d = descs_[i];
      d.id = i;
      d.entries = 0;
      d.write = 0;
      internal::Store(&d.page->time_stamp, 0);
      internal::Store(&d.page->commit, 0);
      if (zero_data) {
        // Word stores the compiler cannot turn into a memset call.
        pkvm_u64* w = reinterpret_cast<pkvm_u64*>(d.page->data);
        for (uint32_t k = 0; k < kDataSize / 8; ++k) internal::Store(&w[k], 0);
      }
    }
    descs_[0].link.store(reinterpret_cast<uintptr_t>(&descs_[1]), std::memory_order_relaxed);
    descs_[0].prev = &descs_[n - 1];
    for (uint32_t i = 1; i < n; ++i) {
      RingPage* next = &descs_[i + 1 < n ? i + 1 : 1];
      uintptr_t link = reinterpret_cast<uintptr_t>(next);
      if (next == &descs_[1]) link |= RingPage::kHead;
      descs_[i].link.store(link, std::memory_order_relaxed);
      descs_[i].prev = &descs_[i > 1 ? i - 1 : n - 1];
    }
    reader_ = &descs_[0];
    head_hint_ = &descs_[1];
    last_overrun_ = 0;
    ++generation_;
    tail_ = &descs_[1];
    tail_page_ = tail_->page;
    tail_data_ = tail_->page->data;
    write_ = 0;
    entries_ = 0;
    last_ts_ = 0;
    trace_buffer_meta* m = meta_;
    internal::Store(&m->reader.lost_events, 0);
    internal::Store32(&m->reader.id, 0);
    internal::Store32(&m->reader.read, 0);
    internal::Store(&m->flags, 0);
    internal::Store(&m->entries, 0);
    internal::Store(&m->overrun, 0);
    internal::Store(&m->read, 0);
    internal::Store(&m->Reserved1, 0);
    internal::Store(&m->Reserved2, 0);
    tail_pub_.store(tail_, std::memory_order_seq_cst);
  }

  // ---- writer: one cache line, touched by every event ----
  // Reset() in progress: a status value of its own, never WriterStatus.
  static constexpr uint32_t kResetting = 4;
  alignas(64) std::atomic<uint32_t> status_{0};
  std::atomic<bool> panicked_{false};
  uint32_t max_payload_ = 0;
  uint32_t data_size_ = 0;
  uint32_t write_ = 0;      // bytes used on the tail page
  uint32_t entries_ = 0;    // events on the tail page
  unsigned char* tail_data_ = nullptr;
  pkvm_buffer_data_page* tail_page_ = nullptr;
  uint64_t last_ts_ = 0;    // time of the last event, as the reader reconstructs it
  trace_buffer_meta* meta_ = nullptr;
  const TraceClock* clock_ = nullptr;
  RingPage* tail_ = nullptr;

  // ---- written on page moves, read by the reader ----
  alignas(64) std::atomic<RingPage*> tail_pub_{nullptr};

  // ---- reader ----
  alignas(64) RingPage* reader_ = nullptr;
  RingPage* head_hint_ = nullptr;  // a page at or before the head, always in the ring
  uint64_t last_overrun_ = 0;
  RingPage* descs_ = nullptr;
  uint32_t nr_pages_ = 0;
  uint32_t generation_ = 0;
};

static_assert(noexcept(RingBuffer().Reserve(0)), "the writer must stay freestanding");
static_assert(noexcept(RingBuffer().SwapReaderPage()), "the writer must stay freestanding");

}  // namespace pkvm::trace

#endif  // PKVM_TRACE_RING_H_
