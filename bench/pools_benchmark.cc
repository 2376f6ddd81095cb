// File: bench/pools_benchmark.cc
// The hypervisor's page pools (lib/mem/pools.h): mem::PagePool, whose free
// pages are linked through per-page descriptors in a Boost.Intrusive set,
// against its peer, the same first-fit algorithm over std::set<pfn> free
// and std::map used lists (one heap node per free page, allocated and freed
// on every alloc and free: the pool before it used Boost.Intrusive).
// Same operations, same run:
//   AllocFree     one order-0 block out and back (iommu_donate_pages /
//                 iommu_reclaim_pages on a warm pool)
//   Cycle/O       64 blocks of 2^O pages out, then all back
//   Copy          copying a 4096-page pool with half its pages in use (a
//                 machine snapshot copies both IOMMU pools)
#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "mem/pools.h"

namespace {

constexpr uint64_t kBase = 0x47000;  // pfn of the pool's first page

// The std::set pool: the same contract and algorithm as mem::PagePool.
class StdSetPagePool {
 public:
  static constexpr unsigned kMaxOrder = 10;
  void Add(uint64_t pfn, uint64_t nr_pages) {
    for (uint64_t p = pfn; p < pfn + nr_pages; ++p) {
      free_.insert(p);
      all_.insert(p);
    }
  }
  uint64_t Alloc(unsigned order) {
    if (order > kMaxOrder) return 0;
    const uint64_t n = 1ull << order;
    for (uint64_t p : free_) {
      if (p % n != 0) continue;
      bool ok = true;
      for (uint64_t q = p + 1; q < p + n && ok; ++q) ok = free_.count(q) != 0;
      if (!ok) continue;
      for (uint64_t q = p; q < p + n; ++q) free_.erase(q);
      used_.emplace(p, order);
      return p;
    }
    return 0;
  }
  int Free(uint64_t pfn, unsigned order) {
    auto it = used_.find(pfn);
    if (it == used_.end() || it->second != order) return -EINVAL;
    used_.erase(it);
    for (uint64_t q = pfn; q < pfn + (1ull << order); ++q) free_.insert(q);
    return 0;
  }
  uint64_t free_pages() const { return free_.size(); }

 private:
  std::set<uint64_t> free_;
  std::set<uint64_t> all_;
  std::map<uint64_t, unsigned> used_;
};

template <typename Pool>
void BM_PagePool_AllocFree(benchmark::State& state) {
  Pool pool;
  pool.Add(kBase, 1024);
  for (auto _ : state) {
    const uint64_t pfn = pool.Alloc(0);
    benchmark::DoNotOptimize(pfn);
    if (pool.Free(pfn, 0) != 0) state.SkipWithError("free failed");
  }
}

template <typename Pool>
void BM_PagePool_Cycle(benchmark::State& state) {
  const auto order = static_cast<unsigned>(state.range(0));
  Pool pool;
  pool.Add(kBase, 64ull << order);
  std::vector<uint64_t> out(64);
  for (auto _ : state) {
    for (uint64_t& pfn : out) pfn = pool.Alloc(order);
    for (uint64_t pfn : out)
      if (pool.Free(pfn, order) != 0) state.SkipWithError("free failed");
  }
  state.SetItemsProcessed(state.iterations() * 64);
}

template <typename Pool>
void BM_PagePool_Copy(benchmark::State& state) {
  Pool pool;
  pool.Add(kBase, 4096);
  for (int i = 0; i < 1024; ++i) pool.Alloc(1);  // half the pages in use
  for (auto _ : state) {
    Pool copy = pool;
    benchmark::DoNotOptimize(copy.free_pages());
  }
}

BENCHMARK_TEMPLATE(BM_PagePool_AllocFree, pkvm::mem::PagePool);
BENCHMARK_TEMPLATE(BM_PagePool_AllocFree, StdSetPagePool);
BENCHMARK_TEMPLATE(BM_PagePool_Cycle, pkvm::mem::PagePool)->Arg(0)->Arg(2);
BENCHMARK_TEMPLATE(BM_PagePool_Cycle, StdSetPagePool)->Arg(0)->Arg(2);
BENCHMARK_TEMPLATE(BM_PagePool_Copy, pkvm::mem::PagePool);
BENCHMARK_TEMPLATE(BM_PagePool_Copy, StdSetPagePool);

}  // namespace

BENCHMARK_MAIN();
