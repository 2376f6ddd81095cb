/* File: include/pkvm/pkvm.h
 * The C API of libpkvm (C99): one simulated pKVM machine behind an opaque
 * handle, the same machine as pkvm::Hypervisor (include/pkvm/hypervisor.h).
 * Link with pkvm::c (libpkvm_c.so). See docs/c-api.md.
 *
 *   struct pkvm_machine_options o;
 *   pkvm_machine_options_init(&o);
 *   o.generation = 15;
 *   o.cmdline = "kvm-arm.protected_modules=pkvm_driver";
 *   pkvm_machine* m;
 *   if (pkvm_machine_create(&o, &m) < 0) return 1;
 *   pkvm_offer_module_file(m, "pkvm_driver.so");
 *   if (pkvm_boot(m) < 0) fprintf(stderr, "%s\n", pkvm_last_error(m));
 *   struct pkvm_regs r = {{0xC6000080}};
 *   pkvm_hvc(m, 0, &r);                     // r.x[0] == 0
 *   pkvm_machine_destroy(m);
 *
 * Conventions:
 *  - Every function returning int returns 0 (or a documented non-negative
 *    value) on success and a negative kernel errno (-EINVAL, -ENOENT, ...)
 *    on failure. pkvm_strerror() names it; pkvm_last_error() gives the
 *    message of the last failing call on that handle.
 *  - NULL handles and NULL required pointers are always checked: -EINVAL.
 *    A handle used after pkvm_machine_destroy() or pkvm_snapshot_free()
 *    (dangling) is undefined behaviour, as for any freed pointer.
 *  - No C++ exception ever crosses this API.
 *  - A handle may be used by one thread at a time; different handles are
 *    independent.
 *  - Strings returned by the API (pkvm_boot_log(), ...) are owned by the
 *    handle and stay valid until the next call of the same function on that
 *    handle or pkvm_machine_destroy().
 *  - Snapshots (pkvm_snapshot_take()) are handles of their own, freed with
 *    pkvm_snapshot_free(); their errors go to the machine's last error.
 */
#ifndef PKVM_PKVM_H_
#define PKVM_PKVM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PKVM_C_EXPORT __attribute__((visibility("default")))
#else
#define PKVM_C_EXPORT
#endif

/* The C API version this header describes. Bumped on every incompatible
 * change of the structures or functions below. */
#define PKVM_C_API_VERSION 3

/* libpkvm's version, e.g. "0.1.0". Static storage. */
PKVM_C_EXPORT const char* pkvm_version(void);
/* PKVM_C_API_VERSION of the library actually loaded: compare it with the
 * header's macro (pkvm_api_version() == PKVM_C_API_VERSION). */
PKVM_C_EXPORT int pkvm_api_version(void);

typedef struct pkvm_machine pkvm_machine;

enum pkvm_trace_clock {
  PKVM_TRACE_CLOCK_HOST = 0,   /* the CPU counter converted to boot-clock ns */
  PKVM_TRACE_CLOCK_MANUAL = 1, /* starts at 0, moves only with pkvm_advance_trace_clock() */
};

struct pkvm_machine_options {
  int generation;       /* 14, 15, 16 or 17 (provisional) */
  int cpus;             /* 1..64 */
  const char* cmdline;  /* kernel command line; NULL = "" */
  const char* backend;  /* "native" or "unicorn"; NULL = "native" */
  uint64_t ram_size;    /* simulated RAM in bytes, multiple of 4096 */
  int trace_clock;      /* enum pkvm_trace_clock */
  /* The hypervisor tracefs: "android" (hyp/ or hypervisor/), "upstream"
   * (mainline's remotes/hypervisor/); NULL or "default" = the generation's.
   * Added in API version 2. */
  const char* tracefs_flavor;
  /* Unicorn backend (docs/debugging.md): serve gdb on 127.0.0.1:gdb_port
   * (0: a free port, named in the boot log; -1: none); write the module
   * lines that ran, when the machine is destroyed, as an lcov tracefile /
   * drcov (NULL: not written). Added in API version 3. */
  int gdb_port;
  const char* coverage_lcov;
  const char* coverage_drcov;
};

/* Fills *opts with the defaults: generation 15, 1 CPU, empty command line,
 * the native backend, 64 MiB of RAM, the host trace clock, no gdb stub, no
 * coverage files. */
PKVM_C_EXPORT void pkvm_machine_options_init(struct pkvm_machine_options* opts);

/* Creates a machine. On success *out is the new handle; on failure *out is
 * NULL and the error is returned (the message cannot be kept on a handle:
 * it goes to pkvm_create_error(), per thread). An unknown backend name is
 * -EINVAL; a backend this build of libpkvm cannot run is -EOPNOTSUPP. */
PKVM_C_EXPORT int pkvm_machine_create(const struct pkvm_machine_options* opts,
                                      pkvm_machine** out);
/* The message of the last failing pkvm_machine_create() on this thread, ""
 * when there was none. Valid until the next pkvm_machine_create() on it. */
PKVM_C_EXPORT const char* pkvm_create_error(void);
/* Destroys the machine; NULL is a no-op. Its snapshots stay valid handles
 * (they can only be freed). */
PKVM_C_EXPORT void pkvm_machine_destroy(pkvm_machine* m);

/* --- backends (docs/c-api.md) -------------------------------------------- */
/* 1 when this build of libpkvm has the backend ("native", "unicorn"), 0 when
 * it was built without it, -EINVAL for an unknown name or NULL. */
PKVM_C_EXPORT int pkvm_backend_available(const char* name);
/* The machine's backend: "native" or "unicorn" (static storage); "" for NULL. */
PKVM_C_EXPORT const char* pkvm_machine_backend(const pkvm_machine* m);
/* The machine's generation (14, 15, 16 or 17), -EINVAL for NULL. */
PKVM_C_EXPORT int pkvm_machine_generation(const pkvm_machine* m);

/* --- errors ------------------------------------------------------------- */
/* "-EINVAL: Invalid argument" for -22 or 22; "OK" for 0. Static storage or a
 * per-thread buffer valid until the next pkvm_strerror() call on that thread. */
PKVM_C_EXPORT const char* pkvm_strerror(int err);
/* "-ENOENT: cannot load module ..." for the last failing call on `m`, "" if
 * none failed yet. NULL handle: "". */
PKVM_C_EXPORT const char* pkvm_last_error(const pkvm_machine* m);

/* --- modules and boot --------------------------------------------------- */
/* Loads a module file and offers it to the machine: the native shared
 * object (NAME.so from pkvm_add_module()) on the native backend, the
 * AArch64 relocatable module (NAME.ko) on the unicorn backend. -ENOENT if it
 * cannot be loaded, -ENOEXEC if it is not a module of this generation and
 * backend (the message names the backend to use), -EEXIST for a second
 * module of the same name, -EBUSY after boot. */
PKVM_C_EXPORT int pkvm_offer_module_file(pkvm_machine* m, const char* path);
/* Boots and deprivileges. The machine boots even when a module fails (as on
 * a device; protected VMs are then disabled) and that failure is returned.
 * -EBUSY when already booted. */
PKVM_C_EXPORT int pkvm_boot(pkvm_machine* m);

enum pkvm_machine_state {
  PKVM_STATE_CREATED = 0,
  PKVM_STATE_DEPRIVILEGED = 1,
  PKVM_STATE_PANICKED = 2,
};
/* enum pkvm_machine_state, or -EINVAL for a NULL handle. */
PKVM_C_EXPORT int pkvm_machine_state(const pkvm_machine* m);
/* 1 when protected VMs are enabled, 0 when disabled, -EINVAL for NULL. */
PKVM_C_EXPORT int pkvm_protected_vms_enabled(const pkvm_machine* m);

/* --- host calls ---------------------------------------------------------- */
/* The arm64 user_pt_regs layout: x0..x30, sp, pc, pstate. */
struct pkvm_regs {
  uint64_t x[31];
  uint64_t sp;
  uint64_t pc;
  uint64_t pstate;
};

/* An HVC from the host on `cpu`: *regs in (x0 = function id), the register
 * file after the call out. -EPERM before boot, -EINVAL for a bad CPU, -EIO
 * after a hyp panic. */
PKVM_C_EXPORT int pkvm_hvc(pkvm_machine* m, int cpu, struct pkvm_regs* regs);
/* An SMC from the host: module host SMC handlers, then EL3. The two flag
 * pointers may be NULL. */
PKVM_C_EXPORT int pkvm_smc(pkvm_machine* m, int cpu, struct pkvm_regs* regs,
                           int* handled_by_module, int* forwarded_to_el3);

/* --- injected events ----------------------------------------------------- */
/* A host stage-2 permission fault: *result (may be NULL) gets the fault
 * handler chain's result (0 resolved, -EPERM abort injected, -EAGAIN retry). */
PKVM_C_EXPORT int pkvm_inject_host_perm_fault(pkvm_machine* m, int cpu, uint64_t esr,
                                              uint64_t addr, int* result);
/* An EL1 trap pKVM does not handle: *handled (may be NULL) = 1 when a module
 * handled it (0 means the machine panicked). */
PKVM_C_EXPORT int pkvm_inject_host_trap(pkvm_machine* m, int cpu, uint64_t esr, int* handled);
enum pkvm_psci_notify {
  /* the values of enum pkvm_psci_notification (pkvm/abi/module_ops.h) */
  PKVM_PSCI_NOTIFY_CPU_SUSPEND = 0,
  PKVM_PSCI_NOTIFY_SYSTEM_SUSPEND = 1,
  PKVM_PSCI_NOTIFY_CPU_ENTRY = 2,
};
PKVM_C_EXPORT int pkvm_inject_psci(pkvm_machine* m, int cpu, int what /* enum pkvm_psci_notify */);
/* An SError reaching EL2: *unmask (may be NULL) = whether the module asked
 * to unmask. */
PKVM_C_EXPORT int pkvm_inject_serror(pkvm_machine* m, int cpu, int* unmask);
/* Panics the hypervisor: panic notifiers run, then every further call on
 * the machine fails with -EIO. `reason` may be NULL. */
PKVM_C_EXPORT int pkvm_inject_hyp_panic(pkvm_machine* m, int cpu, const char* reason);

/* --- tracefs (docs/tracing.md) ------------------------------------------- */
/* Reads a tracefs file ("hyp/trace_pipe" on A14/A15, "hypervisor/..." on A16,
 * or "/sys/kernel/tracing/..."). The ERANGE contract:
 *  - the content is copied to buf and NUL-terminated; *len_out (may be NULL)
 *    gets its length without the NUL; returns 0;
 *  - if size < length + 1 (buf may then be NULL with size 0), nothing is
 *    copied, *len_out gets the length and -ERANGE is returned: call again
 *    with at least *len_out + 1 bytes. The content that did not fit is kept
 *    by the handle and returned by the next read of the same path, so
 *    nothing consumed from trace_pipe is lost.
 * Other errors: -ENODEV before boot, -ENOENT for a path that does not
 * exist, -EIO after a hyp panic. */
PKVM_C_EXPORT int pkvm_tracefs_read(pkvm_machine* m, const char* path, char* buf, size_t size,
                                    size_t* len_out);
/* Writes `len` bytes (one open + write + close): the kernel's result, e.g.
 * -EINVAL for "2" written to an event's enable file. */
PKVM_C_EXPORT int pkvm_tracefs_write(pkvm_machine* m, const char* path, const char* data,
                                     size_t len);
/* Lists a tracefs directory into buf as one "name\n" line per entry, "name/\n"
 * for directories. Same ERANGE contract as pkvm_tracefs_read(). */
PKVM_C_EXPORT int pkvm_tracefs_list(pkvm_machine* m, const char* dir, char* buf, size_t size,
                                    size_t* len_out);
/* Writes the whole tracefs tree into the real directory `dir` (consumes the
 * per-CPU buffers), for libtraceevent / trace-cmd readers. */
PKVM_C_EXPORT int pkvm_tracefs_dump(pkvm_machine* m, const char* dir);
/* Writes the trace as a trace-cmd trace.dat (`trace-cmd report`,
 * KernelShark), consuming the events; -EOPNOTSUPP when this libpkvm was
 * built without libtracecmd. */
PKVM_C_EXPORT int pkvm_write_trace_dat(pkvm_machine* m, const char* path);
/* Writes the trace as Chrome JSON trace events for the Perfetto UI (host
 * calls as duration events per CPU, other events as instants), consuming the events. */
PKVM_C_EXPORT int pkvm_write_perfetto(pkvm_machine* m, const char* path);
/* Reads the buffers once and writes each requested form (NULL = not
 * wanted) from those same events: a tracefs dump, a trace.dat, a Perfetto
 * JSON trace. */
PKVM_C_EXPORT int pkvm_export_trace(pkvm_machine* m, const char* tracefs_dir,
                                    const char* trace_dat, const char* perfetto);
/* With PKVM_TRACE_CLOCK_MANUAL: moves the trace clock forward. */
PKVM_C_EXPORT int pkvm_advance_trace_clock(pkvm_machine* m, uint64_t ns);

/* --- trace_pipe as events ------------------------------------------------ */
/* One line of trace_pipe: "[CPU]\t SECONDS.MICROS: NAME TEXT". `name` and
 * `text` are owned by the machine handle and valid until the next
 * pkvm_trace_pipe_next() on it (or destroy). */
struct pkvm_trace_event {
  int cpu;
  uint64_t timestamp_ns;
  const char* name; /* "pkvm_driver_event" */
  const char* text; /* "id=0x00000042" */
};
/* Consumes one event of the machine's trace_pipe ("hyp/trace_pipe", or
 * "hypervisor/trace_pipe" on A16): returns 1 and fills *ev, or 0 when
 * trace_pipe is empty. The handle reads trace_pipe in whole reads and keeps
 * the events not returned yet: a pkvm_tracefs_read() of trace_pipe does not
 * see those (pkvm_snapshot_restore() drops them). -EIO when a line cannot be
 * parsed. */
PKVM_C_EXPORT int pkvm_trace_pipe_next(pkvm_machine* m, struct pkvm_trace_event* ev);
/* The `key=value` word `key` of an event's text as an integer (decimal,
 * 0x-hex, or negative decimal as two's complement): 0 and *value, -ENOENT
 * when the text has no such field, -EINVAL when it is not an integer (or a
 * pointer is NULL). */
PKVM_C_EXPORT int pkvm_trace_event_field(const struct pkvm_trace_event* ev, const char* key,
                                         uint64_t* value);

/* --- snapshot/restore ------------------------------------------------------ */
typedef struct pkvm_snapshot pkvm_snapshot;
/* Saves the whole booted machine (memory, CPUs, modules, hypervisor state,
 * trace buffers) into a new snapshot handle *out. -EPERM before boot, -EIO
 * once panicked; *out is NULL on failure. */
PKVM_C_EXPORT int pkvm_snapshot_take(pkvm_machine* m, pkvm_snapshot** out);
/* Puts the machine back into the state the snapshot saved, a panicked machine
 * included; the snapshot stays valid for further restores. -EINVAL for a
 * NULL snapshot or one taken on another machine. */
PKVM_C_EXPORT int pkvm_snapshot_restore(pkvm_machine* m, const pkvm_snapshot* s);
/* Frees a snapshot; NULL is a no-op. Independent of its machine's lifetime. */
PKVM_C_EXPORT void pkvm_snapshot_free(pkvm_snapshot* s);

/* --- memory (docs/memory.md) --------------------------------------------- */
enum pkvm_page_kind { PKVM_PAGE_RAM = 0, PKVM_PAGE_MMIO = 1, PKVM_PAGE_NONE = 2 };
enum pkvm_page_owner {
  PKVM_OWNER_HOST = 0,
  PKVM_OWNER_HYP = 1,
  PKVM_OWNER_GUEST = 2,
  PKVM_OWNER_PROTECTED = 3,
  PKVM_OWNER_NONE = 4,
};
enum pkvm_pkvm_page_state {
  PKVM_PAGE_OWNED = 0,
  PKVM_PAGE_SHARED_OWNED = 1,
  PKVM_PAGE_SHARED_BORROWED = 2,
  PKVM_PAGE_NOPAGE = 3,
};
enum pkvm_hyp_use {
  PKVM_HYP_USE_NONE = 0,
  PKVM_HYP_USE_HEAP = 1,
  PKVM_HYP_USE_IOMMU_POOL = 2,
  PKVM_HYP_USE_IOMMU_ATOMIC_POOL = 3,
};

/* pkvm::PageState (include/pkvm/page_state.h), field for field. */
struct pkvm_page_state {
  uint64_t pfn;
  int kind;           /* enum pkvm_page_kind */
  char region[64];    /* the MMIO region's name (truncated, NUL-terminated) */
  int owner;          /* enum pkvm_page_owner */
  uint16_t guest;     /* the guest's handle when owner == PKVM_OWNER_GUEST */
  int host;           /* enum pkvm_pkvm_page_state: host stage-2 view */
  int hyp;            /* enum pkvm_pkvm_page_state: hypervisor stage-1 view */
  uint64_t host_prot; /* kvm_pgtable_prot bits; 0 = no host access */
  int host_prot_modified;
  uint64_t iommu_prot;
  int lazy_pte;
  uint32_t pins;
  uint32_t dma_refs;
  uint64_t hyp_prot;
  uint32_t el2_mappings;
  int hyp_use;        /* enum pkvm_hyp_use */
};
PKVM_C_EXPORT int pkvm_page_state(pkvm_machine* m, uint64_t pfn, struct pkvm_page_state* out);
/* Host (EL1) accesses to physical memory, checked against the host stage-2:
 * -EPERM when the access ends in an abort injected into the host. */
PKVM_C_EXPORT int pkvm_host_read(pkvm_machine* m, int cpu, uint64_t phys, void* buf, size_t len);
PKVM_C_EXPORT int pkvm_host_write(pkvm_machine* m, int cpu, uint64_t phys, const void* buf,
                                  size_t len);

/* --- logs (owned by the handle, see the conventions above; NULL handle: "") */
PKVM_C_EXPORT const char* pkvm_boot_log(pkvm_machine* m);
PKVM_C_EXPORT const char* pkvm_serial_output(pkvm_machine* m);
PKVM_C_EXPORT const char* pkvm_panic_report(pkvm_machine* m);

#ifdef __cplusplus
}
#endif

#endif /* PKVM_PKVM_H_ */
