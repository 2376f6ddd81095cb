// File: lib/trace/ring_reader.h
// The host's side of a hypervisor trace ring (spec §5.2, §5.7): decoding
// ring-buffer pages (PageCursor) and consuming one CPU's ring event by event
// or page by page (RingReader), the way trace_pipe and trace_pipe_raw do.
//
//   pkvm::trace::RingReader reader(&ring);
//   while (const pkvm::trace::Event* ev = reader.Peek()) {
//     Print(ev->timestamp_ns, ev->data, ev->size);  // data starts with the u16 id
//     reader.Consume();
//   }
//   uint64_t lost = reader.TakeLost();
//
// A RingReader is the ring's only reader; calls on it, RingBuffer::Reset()
// and RingBuffer::SwapReaderPage() must not run concurrently (the
// hypervisor's reader lock). The writer runs concurrently.
#ifndef PKVM_LIB_TRACE_RING_READER_H_
#define PKVM_LIB_TRACE_RING_READER_H_

#include <cstdint>
#include <string>

#include "pkvm/trace_ring.h"

namespace pkvm::trace {

struct Event {
  uint64_t timestamp_ns;
  const uint8_t* data;  // payload: the packed record, starting with the u16 event id
  uint32_t size;        // payload bytes as encoded (array[0] - 4, a multiple of 4)
};

// Decodes the events of one ring-buffer page (16-byte header, then events):
// data events (type_len 0, and 1..28 for pages from other writers),
// TIME_EXTEND, TIME_STAMP and PADDING; the missed-events flags in the commit
// word are masked off. Reads the commit word atomically, so it can follow a
// live page that the writer is still filling (Reload()).
class PageCursor {
 public:
  PageCursor() = default;
  explicit PageCursor(const uint8_t* page, uint32_t data_size = kDataSize);

  // The next event, or false at the end of the committed data (or at a
  // malformed event, which ends the page).
  bool Next(Event* out);
  // Re-reads the commit word; true if more data was committed.
  bool Reload();
  // Steps back to before the event the last Next() returned.
  void Rewind();

  uint32_t offset() const { return pos_; }    // data bytes decoded so far
  uint32_t commit() const { return limit_; }  // data bytes committed (flags masked, clamped)
  uint64_t commit_word() const { return word_; }
  // Time of the last decoded event (the page time before the first one).
  uint64_t timestamp() const { return ts_; }
  bool missed_events() const { return (word_ & PKVM_RB_MISSED_EVENTS) != 0; }
  // The count stored after the data with RB_MISSED_STORED, else 0.
  uint64_t stored_missed_events() const;

 private:
  void LoadHeader();

  const uint8_t* page_ = nullptr;
  uint32_t data_size_ = 0;
  uint32_t pos_ = 0;
  uint32_t limit_ = 0;
  uint64_t word_ = 0;
  uint64_t ts_ = 0;
  bool have_ts_ = false;
  uint32_t mark_pos_ = 0;  // Rewind() point
  uint64_t mark_ts_ = 0;
};

class RingReader {
 public:
  explicit RingReader(RingBuffer* ring);
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // The next unread event, or nullptr when there is none right now. Swaps
  // in the next page when the reader page is exhausted and the writer has
  // left it; while the reader page is the writer's page, events appended to
  // it show up here. The pointers stay valid until the next Peek() after
  // Consume().
  const Event* Peek();
  void Consume();

  // Events lost (overwritten before they were read) reported by page swaps
  // since the last call (or since the last ReadRawPage(), which takes them).
  uint64_t TakeLost();

  // Copies the next unread page (or the unread part of the writer's page)
  // into `out` (kPageSize bytes) in the tracefs raw format: page header,
  // events, zeroes. Lost events pending go with it as in trace_pipe_raw:
  // commit |= RB_MISSED_EVENTS, plus RB_MISSED_STORED and the count (an
  // unsigned long after the data) when it fits. False when nothing to read.
  bool ReadRawPage(uint8_t* out);

  // Appends the unread events as raw pages (the reader page's rest, then
  // each ring page from the head to the writer's page) without consuming
  // anything: no swap, the reader's position unchanged. No lost-event
  // marks: only swaps learn those. Must not run concurrently with the
  // reader side (the writer may run).
  void CopyUnread(std::string* out);

 private:
  void Restart();
  bool NextPage();

  RingBuffer* ring_;
  PageCursor cursor_;
  Event current_{};
  bool has_current_ = false;
  uint64_t lost_ = 0;
  uint32_t generation_ = 0;
};

}  // namespace pkvm::trace

#endif  // PKVM_LIB_TRACE_RING_READER_H_
