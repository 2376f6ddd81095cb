// File: lib/trace/trace_ops.h -- the tracing members of pkvm_module_ops.
#ifndef PKVM_LIB_TRACE_TRACE_OPS_H_
#define PKVM_LIB_TRACE_TRACE_OPS_H_

#include "pkvm/abi/types.h"

namespace pkvm::trace {

void* TracingReserveEntry(unsigned long length);
void TracingCommitEntry();
void TracingModHypPrintk(pkvm_u8 fmt_id, pkvm_u64 a, pkvm_u64 b, pkvm_u64 c, pkvm_u64 d);
int RegisterHypEventIds(unsigned long start, unsigned long end);

}  // namespace pkvm::trace

#endif  // PKVM_LIB_TRACE_TRACE_OPS_H_
