/* File: include/pkvm/abi/trace.h
 * Hypervisor trace ring-buffer layouts (spec §5.2): the data page (a standard
 * Linux ring-buffer sub-buffer), the per-CPU meta page (the tracefs mmap UAPI
 * `struct trace_buffer_meta`), the A14 page footer, the event header encoding
 * and the commit-word flags of raw pages.
 *
 * Every event starts with a 32-bit header: type_len in bits 0..4, time_delta
 * in bits 5..31. Data events use type_len 0 and a second word array[0] =
 * payload length + 4; the payload (a packed record starting with
 * `struct hyp_entry_hdr`) follows.
 *
 *   struct pkvm_buffer_data_page *p = page;     // 4096 bytes
 *   pkvm_u32 hdr = *(const pkvm_u32 *)p->data;  // first event
 *   unsigned type_len = hdr & PKVM_RB_TYPE_LEN_MASK;
 *   unsigned delta = hdr >> PKVM_RB_TYPE_LEN_BITS;
 */
#ifndef PKVM_ABI_TRACE_H_
#define PKVM_ABI_TRACE_H_

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- event header ---------------------------------------------------------- */
#define PKVM_RB_TYPE_LEN_BITS 5u
#define PKVM_RB_TYPE_LEN_MASK 0x1Fu
/* type_len values with a special meaning (RINGBUF_TYPE_*). 0 = data event whose
 * length is in array[0]; 1..28 (length in the type) are never written by the
 * hypervisor. */
#define PKVM_RINGBUF_TYPE_DATA 0u
#define PKVM_RINGBUF_TYPE_PADDING 29u
#define PKVM_RINGBUF_TYPE_TIME_EXTEND 30u
#define PKVM_RINGBUF_TYPE_TIME_STAMP 31u
/* time_delta is 27 bits wide (TS_SHIFT); longer deltas need a TIME_EXTEND
 * whose array[0] carries delta >> 27. */
#define PKVM_RB_TS_SHIFT 27u
#define PKVM_RB_TS_MASK ((1ULL << PKVM_RB_TS_SHIFT) - 1)
#define PKVM_RB_MAX_DELTA PKVM_RB_TS_MASK
/* The largest delta one TIME_EXTEND can carry (27 + 32 bits). */
#define PKVM_RB_MAX_EXTENDED_DELTA ((1ULL << (PKVM_RB_TS_SHIFT + 32)) - 1)
/* Header word + array[0]. */
#define PKVM_RB_EVNT_HDR_SIZE 8u

/* ---- raw-page commit word -------------------------------------------------- */
/* Set by the host in copies of pages (trace_pipe_raw): events were lost before
 * this page; with MISSED_STORED the count follows the data as an unsigned long. */
#define PKVM_RB_MISSED_EVENTS (1u << 31)
#define PKVM_RB_MISSED_STORED (1u << 30)
#define PKVM_RB_MISSED_FLAGS (PKVM_RB_MISSED_EVENTS | PKVM_RB_MISSED_STORED)

/* ---- data page ------------------------------------------------------------- */
#define PKVM_TRACE_PAGE_SIZE 4096u
#define PKVM_BUF_PAGE_HDR_SIZE 16u
#define PKVM_BUF_PAGE_DATA_SIZE (PKVM_TRACE_PAGE_SIZE - PKVM_BUF_PAGE_HDR_SIZE) /* 4080 */

/* struct buffer_data_page: `commit` is a local_t (8 bytes on arm64). */
struct pkvm_buffer_data_page {
  pkvm_u64 time_stamp; /* ns of the first event on the page */
  pkvm_u64 commit;     /* bytes of committed event data */
  unsigned char data[];
};

PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct pkvm_buffer_data_page, time_stamp) == 0, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct pkvm_buffer_data_page, commit) == 8, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct pkvm_buffer_data_page, data) == 16, "layout");
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_buffer_data_page) == PKVM_BUF_PAGE_HDR_SIZE, "layout");

/* ---- meta page (A15/A16) ----------------------------------------------------- */
/* The tracefs mmap UAPI layout. The hypervisor keeps Reserved1 = pages lost
 * (head pages overwritten) and Reserved2 = pages touched (tail moves). */
struct trace_buffer_meta {
  pkvm_u32 meta_page_size;
  pkvm_u32 meta_struct_len;
  pkvm_u32 subbuf_size;
  pkvm_u32 nr_subbufs;
  struct {
    pkvm_u64 lost_events;
    pkvm_u32 id;
    pkvm_u32 read;
  } reader;
  pkvm_u64 flags;
  pkvm_u64 entries;
  pkvm_u64 overrun;
  pkvm_u64 read;
  pkvm_u64 Reserved1;
  pkvm_u64 Reserved2;
};

PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, meta_page_size) == 0, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, meta_struct_len) == 4, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, subbuf_size) == 8, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, nr_subbufs) == 12, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, reader.lost_events) == 16, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, reader.id) == 24, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, reader.read) == 28, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, flags) == 32, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, entries) == 40, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, overrun) == 48, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, read) == 56, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, Reserved1) == 64, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_meta, Reserved2) == 72, "layout");
PKVM_ABI_STATIC_ASSERT(sizeof(struct trace_buffer_meta) == 80, "layout");

/* ---- A14 page footer --------------------------------------------------------- */
/* Lives in the last bytes of every A14 data page, so the A14 data area is
 * PKVM_BUF_PAGE_DATA_SIZE - sizeof(struct rb_ext_page_footer) = 4048 bytes. */
#define PKVM_RB_PAGE_FT_HEAD (1u << 0)   /* reader_status: the head page */
#define PKVM_RB_PAGE_FT_READER (1u << 1) /* reader_status: the reader page */
#define PKVM_RB_PAGE_FT_COMMIT (1u << 2) /* writer_status: the writer's page */

struct rb_ext_page_footer {
  int writer_status; /* atomic_t */
  int reader_status; /* atomic_t */
  struct {
    pkvm_u64 entries;
    unsigned long pages_touched;
    unsigned long overrun;
  } stats;
};

PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct rb_ext_page_footer, writer_status) == 0, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct rb_ext_page_footer, reader_status) == 4, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct rb_ext_page_footer, stats.entries) == 8, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct rb_ext_page_footer, stats.pages_touched) == 16, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct rb_ext_page_footer, stats.overrun) == 24, "layout");
PKVM_ABI_STATIC_ASSERT(sizeof(struct rb_ext_page_footer) == 32, "layout");

#define PKVM_BUF_PAGE_DATA_SIZE_A14 (PKVM_BUF_PAGE_DATA_SIZE - sizeof(struct rb_ext_page_footer)) /* 4048 */

/* ---- record header ------------------------------------------------------------ */
/* Every hypervisor event record starts with its (dynamically assigned) id. */
struct hyp_entry_hdr {
  unsigned short id;
} __attribute__((packed));

PKVM_ABI_STATIC_ASSERT(sizeof(struct hyp_entry_hdr) == 2, "layout");

/* ---- load descriptors: where the host put each CPU's pages ---------------------- */
/* What the host hands the hypervisor when it loads the buffers: per CPU, the
 * meta page and the data pages (kernel VAs). Two layouts (spec post-a16 §2.3):
 *
 * Android A16 (`__pkvm_load_tracing`): trace_page_desc, whose per-CPU
 * rb_page_desc list starts at offset 8 (spec: "from offset 8"). */
struct rb_page_desc {
  int cpu;
  int nr_page_va; /* data pages, the reader page included; not the meta page */
  unsigned long meta_va;
  unsigned long page_va[];
};

struct trace_page_desc {
  int nr_cpus;
  char __data[] __attribute__((aligned(8))); /* struct rb_page_desc, one per CPU */
};

/* Mainline trace remotes (Linux 7.1, `__tracing_load`): trace_buffer_desc
 * adds struct_len, the whole descriptor's size, which moves the first
 * ring_buffer_desc to offset 16; nr_page_va is unsigned. */
struct ring_buffer_desc {
  int cpu;
  unsigned int nr_page_va;
  unsigned long meta_va;
  unsigned long page_va[];
};

struct trace_buffer_desc {
  int nr_cpus;
  pkvm_size_t struct_len; /* header + every ring_buffer_desc with its page_va[] */
  char __data[];
};

#if __SIZEOF_LONG__ == 8
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct rb_page_desc, nr_page_va) == 4, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct rb_page_desc, meta_va) == 8, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct rb_page_desc, page_va) == 16, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_page_desc, __data) == 8, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct ring_buffer_desc, nr_page_va) == 4, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct ring_buffer_desc, meta_va) == 8, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct ring_buffer_desc, page_va) == 16, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_desc, struct_len) == 8, "layout");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct trace_buffer_desc, __data) == 16, "layout");
#endif

#ifdef __cplusplus
}
#endif

#endif /* PKVM_ABI_TRACE_H_ */
