// File: lib/trace/ring_reader.cc
// Host-side decoding and consumption of hypervisor trace rings.
#include "trace/ring_reader.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pkvm::trace {

namespace {

constexpr uint64_t kMissedFlags = PKVM_RB_MISSED_EVENTS | PKVM_RB_MISSED_STORED;
// TIME_STAMP events carry the low 59 bits of an absolute time.
constexpr uint64_t kAbsTsMask = (uint64_t{1} << (PKVM_RB_TS_SHIFT + 32)) - 1;

// The page header of a live page is written concurrently by the writer: read
// it atomically. Copies in caller buffers may be unaligned: read them plainly.
uint64_t LoadU64(const uint8_t* p, int order) {
  if (reinterpret_cast<uintptr_t>(p) % alignof(uint64_t) == 0)
    return __atomic_load_n(reinterpret_cast<const uint64_t*>(p), order);
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint32_t Get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

// ---- PageCursor -------------------------------------------------------------

PageCursor::PageCursor(const uint8_t* page, uint32_t data_size)
    : page_(page), data_size_(std::min(data_size, kDataSize)) {
  if (page_ != nullptr) LoadHeader();
}

void PageCursor::LoadHeader() {
  word_ = LoadU64(page_ + offsetof(pkvm_buffer_data_page, commit), __ATOMIC_ACQUIRE);
  limit_ = static_cast<uint32_t>(std::min<uint64_t>(word_ & ~kMissedFlags, data_size_));
  if (!have_ts_ && limit_ > 0) {
    // Written before the first commit; unread until then.
    ts_ = LoadU64(page_ + offsetof(pkvm_buffer_data_page, time_stamp), __ATOMIC_RELAXED);
    have_ts_ = true;
  }
}

bool PageCursor::Reload() {
  if (page_ == nullptr) return false;
  const uint32_t before = limit_;
  LoadHeader();
  return limit_ > before;
}

void PageCursor::Rewind() {
  pos_ = mark_pos_;
  ts_ = mark_ts_;
}

uint64_t PageCursor::stored_missed_events() const {
  if ((word_ & PKVM_RB_MISSED_STORED) == 0 || limit_ + sizeof(uint64_t) > data_size_) return 0;
  uint64_t v;
  std::memcpy(&v, page_ + PKVM_BUF_PAGE_HDR_SIZE + limit_, sizeof v);
  return v;
}

bool PageCursor::Next(Event* out) {
  if (page_ == nullptr) return false;
  mark_pos_ = pos_;
  mark_ts_ = ts_;
  const uint8_t* data = page_ + PKVM_BUF_PAGE_HDR_SIZE;
  // A malformed event ends the page for good: pos_ moves past any later commit.
  const auto broken = [this] {
    pos_ = UINT32_MAX - kPageSize;
    return false;
  };
  while (pos_ + 4 <= limit_) {
    const uint32_t hdr = Get32(data + pos_);
    const uint32_t type_len = hdr & PKVM_RB_TYPE_LEN_MASK;
    const uint32_t delta = hdr >> PKVM_RB_TYPE_LEN_BITS;
    if (type_len >= 1 && type_len <= 28) {  // length in the type, payload at array[0]
      const uint32_t len = type_len * 4;
      if (pos_ + 4 + len > limit_) return broken();
      ts_ += delta;
      *out = Event{ts_, data + pos_ + 4, len};
      pos_ += 4 + len;
      return true;
    }
    if (type_len == PKVM_RINGBUF_TYPE_PADDING && delta == 0) {
      pos_ = limit_;  // the rest of the page is unused
      return false;
    }
    if (pos_ + 8 > limit_) return broken();
    const uint32_t array0 = Get32(data + pos_ + 4);
    switch (type_len) {
      case PKVM_RINGBUF_TYPE_DATA: {
        // kbuffer's stepping: the length rounded up to 4 bytes.
        if (array0 < 4) return broken();
        const uint32_t step = (array0 + 3) & ~3u;
        if (pos_ + 4 + step > limit_) return broken();
        ts_ += delta;
        *out = Event{ts_, data + pos_ + 8, array0 - 4};
        pos_ += 4 + step;
        return true;
      }
      case PKVM_RINGBUF_TYPE_PADDING: {  // a discarded event
        if (array0 < 4) return broken();
        pos_ += 4 + ((array0 + 3) & ~3u);
        continue;
      }
      case PKVM_RINGBUF_TYPE_TIME_EXTEND:
        ts_ += (static_cast<uint64_t>(array0) << PKVM_RB_TS_SHIFT) | delta;
        pos_ += 8;
        continue;
      default: {  // TIME_STAMP: absolute, the top bits from the time so far
        const uint64_t abs = (static_cast<uint64_t>(array0) << PKVM_RB_TS_SHIFT) | delta;
        ts_ = (ts_ & ~kAbsTsMask) | abs;
        pos_ += 8;
        continue;
      }
    }
  }
  return false;
}

// ---- RingReader -------------------------------------------------------------

RingReader::RingReader(RingBuffer* ring) : ring_(ring) { Restart(); }

void RingReader::Restart() {
  generation_ = ring_->generation();
  cursor_ = PageCursor(reinterpret_cast<const uint8_t*>(ring_->reader_page()), ring_->data_size());
  has_current_ = false;
  lost_ = 0;
}

// The reader page has nothing more decoded: find more data, on this page if
// the writer committed more, else on the next one. False if there is none.
bool RingReader::NextPage() {
  // Ask before reloading: once the writer is seen off the page, its final
  // commit there is visible.
  const bool tail = ring_->ReaderPageIsTail();
  if (cursor_.Reload()) return true;
  if (tail) return false;
  if (ring_->SwapReaderPage() != 0) return false;
  lost_ += __atomic_load_n(&ring_->meta()->reader.lost_events, __ATOMIC_RELAXED);
  cursor_ = PageCursor(reinterpret_cast<const uint8_t*>(ring_->reader_page()), ring_->data_size());
  return true;
}

const Event* RingReader::Peek() {
  if (ring_->generation() != generation_) Restart();
  if (has_current_) return &current_;
  for (;;) {
    if (cursor_.Next(&current_)) {
      has_current_ = true;
      return &current_;
    }
    if (!NextPage()) return nullptr;
  }
}

void RingReader::Consume() {
  if (!has_current_) Peek();
  has_current_ = false;
}

uint64_t RingReader::TakeLost() {
  const uint64_t n = lost_;
  lost_ = 0;
  return n;
}

bool RingReader::ReadRawPage(uint8_t* out) {
  if (ring_->generation() != generation_) Restart();
  if (has_current_) {  // peeked but not consumed: it goes into this page
    cursor_.Rewind();
    has_current_ = false;
  }
  const uint32_t data_size = ring_->data_size();
  for (;;) {
    if (cursor_.offset() < cursor_.commit() || NextPage()) {
      if (cursor_.offset() >= cursor_.commit()) continue;  // swapped in: look again
      const uint32_t from = cursor_.offset();
      const uint32_t to = cursor_.commit();
      const uint64_t start_ts = cursor_.timestamp();
      const uint8_t* src = reinterpret_cast<const uint8_t*>(ring_->reader_page()) + PKVM_BUF_PAGE_HDR_SIZE;
      uint8_t* dst = out + PKVM_BUF_PAGE_HDR_SIZE;
      const uint32_t len = to - from;
      std::memcpy(dst, src + from, len);
      std::memset(dst + len, 0, kPageSize - PKVM_BUF_PAGE_HDR_SIZE - len);
      // Consume what was copied (walking it keeps the running time right for
      // events the writer may still append to this page).
      Event ignored;
      while (cursor_.offset() < to && cursor_.Next(&ignored)) {
      }
      uint64_t word = len;
      if (lost_ != 0) {
        word |= PKVM_RB_MISSED_EVENTS;
        if (len + sizeof(uint64_t) <= data_size) {
          std::memcpy(dst + len, &lost_, sizeof lost_);
          word |= PKVM_RB_MISSED_STORED;
        }
        lost_ = 0;
      }
      std::memcpy(out, &start_ts, sizeof start_ts);
      std::memcpy(out + offsetof(pkvm_buffer_data_page, commit), &word, sizeof word);
      return true;
    }
    return false;
  }
}

void RingReader::CopyUnread(std::string* out) {
  if (ring_->generation() != generation_) Restart();
  const uint32_t data_size = ring_->data_size();
  // One page of output per source page: [from, commit) of its data, with the
  // time of the last event before `from` as the page time.
  auto emit = [&](const uint8_t* page, PageCursor cursor) {
    cursor.Reload();
    const uint32_t from = cursor.offset(), to = cursor.commit();
    if (to <= from) return;
    std::string p(kPageSize, '\0');
    const uint64_t start_ts = cursor.timestamp();
    const uint64_t word = to - from;
    std::memcpy(p.data(), &start_ts, sizeof start_ts);
    std::memcpy(p.data() + offsetof(pkvm_buffer_data_page, commit), &word, sizeof word);
    std::memcpy(p.data() + PKVM_BUF_PAGE_HDR_SIZE, page + PKVM_BUF_PAGE_HDR_SIZE + from, to - from);
    out->append(p);
  };
  PageCursor here = cursor_;
  if (has_current_) here.Rewind();  // peeked, not consumed: still unread
  emit(reinterpret_cast<const uint8_t*>(ring_->reader_page()), here);
  if (ring_->ReaderPageIsTail()) return;
  const RingPage* tail = ring_->tail_page();
  const RingPage* p = ring_->head_page();
  for (uint32_t i = 0; p != nullptr && i < ring_->nr_pages(); ++i, p = p->next()) {
    const auto* page = reinterpret_cast<const uint8_t*>(p->page);
    emit(page, PageCursor(page, data_size));
    if (p == tail) break;
  }
}

}  // namespace pkvm::trace
