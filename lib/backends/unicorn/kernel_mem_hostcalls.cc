// File: lib/backends/unicorn/kernel_mem_hostcalls.cc
// The EL1 host calls behind kmalloc, alloc_pages, virt_to_phys & co. in .ko
// modules: the stubs are in
// arch/aarch64/glue/hostcalls.S; the allocator is the machine's
// (lib/host/kernel_mem.h), so both backends hand out the same pages. EL1 runs
// with the MMU off, so a kernel VA is its physical address.
#include "glue/pkvm_a64_glue.h"
#include "host/kernel_mem.h"
#include "mem/memory.h"
#include "unicorn_cpu.h"

namespace pkvm {

void InstallKernelMemHostCalls(Hypervisor::Impl& m, arm64::UnicornCpu& el1) {
  using arm64::TrapFrame;
  using arm64::UnicornCpu;
  el1.SetHostCall(PKVM_A64_HOSTCALL_PAGE_ALLOC, [&m](UnicornCpu&, TrapFrame& f) {
    f.x[0] = KernelPageAlloc(m, f.x[0], f.x[1], static_cast<uint32_t>(f.x[2]));
  }).IgnoreError();
  el1.SetHostCall(PKVM_A64_HOSTCALL_PAGE_FREE, [&m](UnicornCpu&, TrapFrame& f) {
    KernelPageFree(m, f.x[0], f.x[1]);
  }).IgnoreError();
  el1.SetHostCall(PKVM_A64_HOSTCALL_VIRT_TO_PHYS, [](UnicornCpu&, TrapFrame&) {
    // x0 stays: VA == PA.
  }).IgnoreError();
  el1.SetHostCall(PKVM_A64_HOSTCALL_PHYS_TO_VIRT, [](UnicornCpu&, TrapFrame&) {}).IgnoreError();
}

}  // namespace pkvm
