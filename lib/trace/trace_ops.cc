// File: lib/trace/trace_ops.cc
// The tracing members of pkvm_module_ops and the EL2 symbols module code
// links against when it does not define them itself (the Android page has
// modules forward tracing_reserve_entry/tracing_commit_entry/
// trace___hyp_printk to the ops; libpkvm's defaults do the same), plus the
// -finstrument-functions hooks of A16 EL2 code and the host-side printf the
// generated event printers use.
#include "trace/trace_ops.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include "machine.h"
#include "trace/hyp_trace.h"

namespace pkvm::trace {
namespace {

// The current machine and CPU, or nullptr outside one (EL2 code called
// directly by a test): tracing is then a no-op.
Hypervisor::Impl* Machine(int* cpu) {
  const ExecContext* ctx = CurrentContext();
  if (ctx == nullptr) return nullptr;
  *cpu = ctx->cpu;
  return ctx->machine;
}

}  // namespace

void* TracingReserveEntry(unsigned long length) {
  int cpu = 0;
  Hypervisor::Impl* m = Machine(&cpu);
  return m != nullptr ? m->trace->Reserve(cpu, length) : nullptr;
}

void TracingCommitEntry() {
  int cpu = 0;
  if (Hypervisor::Impl* m = Machine(&cpu)) m->trace->Commit(cpu);
}

void TracingModHypPrintk(pkvm_u8 fmt_id, pkvm_u64 a, pkvm_u64 b, pkvm_u64 c, pkvm_u64 d) {
  int cpu = 0;
  if (Hypervisor::Impl* m = Machine(&cpu)) m->trace->EmitHypPrintk(cpu, fmt_id, a, b, c, d);
}

int RegisterHypEventIds(unsigned long start, unsigned long end) {
  int cpu = 0;
  Hypervisor::Impl* m = Machine(&cpu);
  return m != nullptr ? m->trace->RegisterHypEventIds(start, end) : -EINVAL;
}

}  // namespace pkvm::trace

extern "C" {

__attribute__((visibility("default"))) void* __kvm_nvhe_tracing_reserve_entry(unsigned long length) {
  return pkvm::trace::TracingReserveEntry(length);
}
__attribute__((visibility("default"))) void __kvm_nvhe_tracing_commit_entry(void) {
  pkvm::trace::TracingCommitEntry();
}
__attribute__((visibility("default"))) void __kvm_nvhe_trace___hyp_printk(pkvm_u8 fmt_id, pkvm_u64 a,
                                                                         pkvm_u64 b, pkvm_u64 c,
                                                                         pkvm_u64 d) {
  pkvm::trace::TracingModHypPrintk(fmt_id, a, b, c, d);
}

// CONFIG_PKVM_FTRACE for native A16 modules (built with -finstrument-functions).
__attribute__((visibility("default"), no_instrument_function)) void
__kvm_nvhe___cyg_profile_func_enter(void* fn, void* call_site) {
  const pkvm::ExecContext* ctx = pkvm::CurrentContext();
  if (ctx == nullptr || !ctx->machine->trace->FtraceActive()) return;
  ctx->machine->trace->FuncEnter(ctx->cpu, reinterpret_cast<uintptr_t>(fn),
                                 reinterpret_cast<uintptr_t>(call_site));
}
__attribute__((visibility("default"), no_instrument_function)) void
__kvm_nvhe___cyg_profile_func_exit(void* fn, void* /*call_site*/) {
  const pkvm::ExecContext* ctx = pkvm::CurrentContext();
  if (ctx == nullptr || !ctx->machine->trace->FtraceActive()) return;
  ctx->machine->trace->FuncExit(ctx->cpu, reinterpret_cast<uintptr_t>(fn));
}

// Generated event printers (<nvhe/define_events.h>) format with this.
__attribute__((visibility("default"))) void __kvm_nvhe___pkvm_trace_seq_printf(
    struct pkvm_trace_seq* s, const char* fmt, ...) {
  if (s == nullptr || s->buf == nullptr || s->len >= s->size) return;
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(s->buf + s->len, s->size - s->len, fmt, ap);
  va_end(ap);
  if (n > 0) s->len = std::min<unsigned long>(s->size - 1, s->len + static_cast<unsigned long>(n));
}

}  // extern "C"
