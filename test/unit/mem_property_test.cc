// Property test: thousands of random sequences of ownership operations run
// against the page model (lib/mem/page_model.h) and against a small reference
// model written separately below, from the rules in docs/memory.md. After every
// operation the result codes and the state of every page must agree.
//
// The seed is printed on failure; replay it with
//   PKVM_MEM_SEED=<seed> ./pkvm_mem_unit_tests --gtest_filter='MemProperty.*'
// and explore new sequences with PKVM_MEM_SEED=random.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mem/page_model.h"

namespace pkvm::mem {
namespace {

constexpr uint64_t kRam = 0x40000000;
constexpr uint64_t kR = kRam >> 12;
constexpr uint64_t kRamPages = 16;
constexpr uint64_t kMmio = kR + kRamPages;  // 2 device pages right after RAM
constexpr uint64_t kLow = kR - 1, kHigh = kR + kRamPages + 4;  // pfns the test touches
constexpr uint64_t kRwx = kProtR | kProtW | kProtX;

// ---- the reference model -------------------------------------------------------

enum class Who { kHost, kHyp, kProtected, kNobody };

struct RefPage {
  char kind = 'R';  // 'R' RAM, 'M' device, 'N' nothing
  Who who = Who::kHost;
  bool shared = false;
  bool module = false;
  bool lazy = false;
  uint32_t pins = 0, dma = 0;
  uint64_t host_prot = kRwx, iommu_prot = kRwx, hyp_prot = 0;
};

class Reference {
 public:
  Reference() {
    for (uint64_t p = kLow; p <= kHigh; ++p) {
      RefPage pg;
      pg.kind = p >= kR && p < kMmio ? 'R' : p < kMmio + 2 && p >= kMmio ? 'M' : 'N';
      if (pg.kind == 'M') pg.host_prot = pg.iommu_prot = kProtR | kProtW;
      if (pg.kind == 'N') {
        pg.who = Who::kNobody;
        pg.host_prot = pg.iommu_prot = 0;
      }
      boot_.push_back(pg);
    }
    pages_ = boot_;
  }
  const RefPage& at(uint64_t p) const { return pages_[p - kLow]; }

  // Every page of the range is in the test's window, or the range is bad.
  // Empty, wrapping, or past the 48-bit physical address space.
  static bool Bad(uint64_t pfn, uint64_t nr) {
    return nr == 0 || pfn >= kPfnLimit || nr > kPfnLimit - pfn;
  }
  bool AllKind(uint64_t pfn, uint64_t nr, char k) const {
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (p < kLow || p > kHigh || at(p).kind != k) return false;
    return true;
  }
  bool HostAlone(uint64_t p) const {
    const RefPage& g = at(p);
    return g.who == Who::kHost && !g.shared && !g.module && g.pins == 0 && g.dma == 0;
  }
  bool AllHostAlone(uint64_t pfn, uint64_t nr) const {
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (!HostAlone(p)) return false;
    return true;
  }

  int Donate(uint64_t pfn, uint64_t nr, bool mmio, uint64_t prot) {
    if (Bad(pfn, nr) || (prot & ~(kRwx | kProtDevice | kProtNormalNc)) != 0) return -EINVAL;
    const bool ram = AllKind(pfn, nr, 'R'), dev = AllKind(pfn, nr, 'M');
    if (!mmio && !ram) return -EPERM;
    if (!ram && !dev) return -EINVAL;
    if (!AllHostAlone(pfn, nr)) return -EPERM;
    for (uint64_t p = pfn; p < pfn + nr; ++p) {
      RefPage& g = pages_[p - kLow];
      g.who = Who::kHyp;
      g.host_prot = g.iommu_prot = 0;
      g.hyp_prot = prot;
      g.lazy = false;
    }
    return 0;
  }
  int Undonate(uint64_t pfn, uint64_t nr) {
    if (Bad(pfn, nr)) return -EINVAL;
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (p < kLow || p > kHigh || at(p).who != Who::kHyp) return -EPERM;
    for (uint64_t p = pfn; p < pfn + nr; ++p) pages_[p - kLow] = boot_[p - kLow];
    return 0;
  }
  int Share(uint64_t p) {
    if (!AllKind(p, 1, 'R') || !HostAlone(p)) return -EPERM;
    pages_[p - kLow].shared = true;
    pages_[p - kLow].hyp_prot = kProtR | kProtW;
    return 0;
  }
  int Unshare(uint64_t p) {
    if (p < kLow || p > kHigh || at(p).who != Who::kHost || !at(p).shared) return -EPERM;
    if (at(p).pins != 0 || at(p).dma != 0) return -EBUSY;
    pages_[p - kLow].shared = false;
    pages_[p - kLow].hyp_prot = 0;
    return 0;
  }
  int Pin(uint64_t pfn, uint64_t nr) {
    if (Bad(pfn, nr)) return -EINVAL;
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (p < kLow || p > kHigh || at(p).who != Who::kHost || !at(p).shared) return -EPERM;
    for (uint64_t p = pfn; p < pfn + nr; ++p) ++pages_[p - kLow].pins;
    return 0;
  }
  int Unpin(uint64_t pfn, uint64_t nr) {
    if (Bad(pfn, nr)) return -EINVAL;
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (p < kLow || p > kHigh || at(p).pins == 0) return -EOVERFLOW;
    for (uint64_t p = pfn; p < pfn + nr; ++p) --pages_[p - kLow].pins;
    return 0;
  }
  int ModProt(uint64_t pfn, uint64_t nr, uint64_t prot, bool iommu) {
    if ((prot & ~(kRwx | kProtDevice | kProtNormalNc)) != 0 || Bad(pfn, nr)) return -EINVAL;
    if (!AllKind(pfn, nr, 'R') && !AllKind(pfn, nr, 'M')) return -EPERM;
    const bool module = at(pfn).module;
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (module ? !at(p).module : !HostAlone(p)) return -EPERM;
    for (uint64_t p = pfn; p < pfn + nr; ++p) {
      RefPage& g = pages_[p - kLow];
      const RefPage& boot = boot_[p - kLow];
      g.who = prot == 0 ? Who::kProtected : Who::kHost;
      g.module = prot != kRwx;
      g.host_prot = prot == kRwx ? boot.host_prot : prot;
      if (iommu) g.iommu_prot = prot == kRwx ? boot.iommu_prot : prot;
    }
    return 0;
  }
  int Lazy(uint64_t pfn, uint64_t nr, bool enable) {
    if (Bad(pfn, nr)) return -EINVAL;
    if (!AllKind(pfn, nr, 'R')) return -EPERM;
    if (!AllHostAlone(pfn, nr)) return -EPERM;
    for (uint64_t p = pfn; p < pfn + nr && !enable; ++p)
      if (!at(p).lazy) return -EINVAL;
    for (uint64_t p = pfn; p < pfn + nr; ++p) pages_[p - kLow].lazy = enable;
    return 0;
  }
  int UseDma(uint64_t pfn, uint64_t nr) {
    if (Bad(pfn, nr) || !AllKind(pfn, nr, 'R')) return -EINVAL;
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (at(p).who != Who::kHost || at(p).shared || at(p).module) return -EPERM;
    for (uint64_t p = pfn; p < pfn + nr; ++p) ++pages_[p - kLow].dma;
    return 0;
  }
  int UnuseDma(uint64_t pfn, uint64_t nr) {
    if (Bad(pfn, nr)) return -EINVAL;
    if (!AllKind(pfn, nr, 'R')) return 0;
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (at(p).dma == 0) return -EOVERFLOW;
    for (uint64_t p = pfn; p < pfn + nr; ++p) --pages_[p - kLow].dma;
    return 0;
  }
  HostAccess Access(uint64_t p, bool write) const {
    const RefPage& g = at(p);
    if (g.kind == 'N') return HostAccess::kNoDevice;
    if (g.who != Who::kHost) return HostAccess::kTranslationFault;
    return (g.host_prot & (write ? kProtW : kProtR)) ? HostAccess::kOk
                                                    : HostAccess::kPermissionFault;
  }

  bool Matches(const PageRec& r, uint64_t p) const {
    const RefPage& g = at(p);
    const PageOwner owner = g.who == Who::kHost ? PageOwner::kHost
                            : g.who == Who::kHyp ? PageOwner::kHyp
                            : g.who == Who::kProtected ? PageOwner::kProtected
                                                       : PageOwner::kNone;
    const PkvmPageState host = g.who != Who::kHost ? PkvmPageState::kNoPage
                               : g.shared          ? PkvmPageState::kSharedOwned
                                                   : PkvmPageState::kOwned;
    const PkvmPageState hyp = g.who == Who::kHyp ? PkvmPageState::kOwned
                              : g.shared         ? PkvmPageState::kSharedBorrowed
                                                 : PkvmPageState::kNoPage;
    return r.owner == owner && r.host == host && r.hyp == hyp && r.host_prot == g.host_prot &&
           r.iommu_prot == g.iommu_prot && r.hyp_prot == g.hyp_prot && r.module_owned == g.module &&
           r.lazy == g.lazy && r.pins == g.pins && r.dma == g.dma;
  }

  // What PageModel::State() must say about page p.
  std::string Expect(uint64_t p) const {
    const RefPage& g = at(p);
    const char* owner = g.who == Who::kHost ? "host" : g.who == Who::kHyp ? "hyp"
                        : g.who == Who::kProtected ? "protected" : "none";
    const char* host = g.who != Who::kHost ? "NOPAGE" : g.shared ? "SHARED_OWNED" : "OWNED";
    const char* hyp = g.who == Who::kHyp ? "OWNED" : g.shared ? "SHARED_BORROWED" : "NOPAGE";
    return absl::StrFormat("owner=%s host=%s hyp=%s host_prot=%#x iommu=%#x hyp_prot=%#x "
                           "module=%d lazy=%d pins=%u dma=%u",
                           owner, host, hyp, g.host_prot, g.iommu_prot, g.hyp_prot, g.module,
                           g.lazy, g.pins, g.dma);
  }

 private:
  std::vector<RefPage> boot_, pages_;
};

std::string Actual(const PageModel& m, uint64_t p) {
  const PageState s = m.State(p);
  return absl::StrFormat("owner=%s host=%s hyp=%s host_prot=%#x iommu=%#x hyp_prot=%#x "
                         "module=%d lazy=%d pins=%u dma=%u",
                         ToString(s.owner), ToString(s.host), ToString(s.hyp), s.host_prot,
                         s.iommu_prot, s.hyp_prot, s.host_prot_modified, s.lazy_pte, s.pins,
                         s.dma_refs);
}

// A fixed seed keeps every run (and CI) deterministic; PKVM_MEM_SEED=<n>
// replays a reported failure, PKVM_MEM_SEED=random explores new sequences.
uint64_t SeedFromEnvironment() {
  const char* s = std::getenv("PKVM_MEM_SEED");
  if (s == nullptr) return 0x5eed0005;
  if (std::string(s) == "random")
    return (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
  return std::strtoull(s, nullptr, 0);
}

// Runs one random sequence; returns "" or a description of the first
// disagreement (with the operations that led to it).
std::string RunSequence(uint64_t seed, int ops) {
  std::mt19937_64 rng(seed);
  PageModel m(kRam, kRamPages * 4096);
  if (m.AddMmio(kMmio << 12, 2 * 4096, "dev") != 0) return "AddMmio failed";
  Reference ref;
  std::string log;
  auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
  for (int i = 0; i < ops; ++i) {
    uint64_t pfn = kLow + pick(kHigh - kLow + 1);
    static constexpr uint64_t kNr[] = {0, 1, 1, 1, 1, 2, 2, 3, 5};
    uint64_t nr = kNr[pick(sizeof kNr / sizeof kNr[0])];
    if (pick(50) == 0) nr = 1ull << 40;     // huge
    if (pick(50) == 0) pfn = ~0ull - 1;     // wraps
    static constexpr uint64_t kProts[] = {0, kProtR, kProtR | kProtW, kRwx, kProtW | kProtX,
                                          kProtR | kProtDevice, KVM_PGTABLE_PROT_SW0};
    const uint64_t prot = kProts[pick(sizeof kProts / sizeof kProts[0])];
    const bool flag = pick(2) == 1;
    int got = 0, want = 0;
    std::string op;
    switch (pick(11)) {
      case 0: {
        const uint64_t hp = pick(8) == 0 ? uint64_t{KVM_PGTABLE_PROT_SW1} : kPageHyp;
        op = absl::StrFormat("host_donate_hyp(%#x, %u, mmio=%d, prot=%#x)", pfn, nr, flag, hp);
        got = m.HostDonateHyp(pfn, nr, flag, hp, HypUse::kNone);
        want = ref.Donate(pfn, nr, flag, hp);
        break;
      }
      case 1:
        op = absl::StrFormat("hyp_donate_host(%#x, %u)", pfn, nr);
        got = m.HypDonateHost(pfn, nr);
        want = ref.Undonate(pfn, nr);
        break;
      case 2:
        op = absl::StrFormat("host_share_hyp(%#x)", pfn);
        got = m.HostShareHyp(pfn);
        want = pfn >= kPfnLimit ? -EINVAL : ref.Share(pfn);
        break;
      case 3:
        op = absl::StrFormat("host_unshare_hyp(%#x)", pfn);
        got = m.HostUnshareHyp(pfn);
        want = pfn >= kPfnLimit ? -EINVAL : ref.Unshare(pfn);
        break;
      case 4:
        op = absl::StrFormat("pin(%#x, %u)", pfn, nr);
        got = m.Pin(pfn, nr);
        want = ref.Pin(pfn, nr);
        break;
      case 5:
        op = absl::StrFormat("unpin(%#x, %u)", pfn, nr);
        got = m.Unpin(pfn, nr);
        want = ref.Unpin(pfn, nr);
        break;
      case 6:
        op = absl::StrFormat("host_stage2_mod_prot(%#x, %#x, %u, iommu=%d)", pfn, prot, nr, flag);
        got = m.ModProt(pfn, nr, prot, flag);
        want = ref.ModProt(pfn, nr, prot, flag);
        break;
      case 7:
        op = absl::StrFormat("lazy_pte(%#x, %u, enable=%d)", pfn, nr, flag);
        got = m.LazyPte(pfn, nr, flag);
        want = ref.Lazy(pfn, nr, flag);
        break;
      case 8:
        op = absl::StrFormat("use_dma(%#x, %u)", pfn, nr);
        got = m.UseDma(pfn << 12, nr << 12);
        want = (nr << 12) >> 12 != nr || pfn >= kPfnLimit ? -EINVAL : ref.UseDma(pfn, nr);
        break;
      case 9:
        op = absl::StrFormat("unuse_dma(%#x, %u)", pfn, nr);
        got = m.UnuseDma(pfn << 12, nr << 12);
        want = (nr << 12) >> 12 != nr || pfn >= kPfnLimit ? -EINVAL : ref.UnuseDma(pfn, nr);
        break;
      default: {
        const uint64_t p = kLow + pick(kHigh - kLow + 1);
        op = absl::StrFormat("host %s %#x", flag ? "write" : "read", p);
        got = static_cast<int>(m.CheckHostAccess(p, flag));
        want = static_cast<int>(ref.Access(p, flag));
        break;
      }
    }
    absl::StrAppend(&log, "  ", op, " -> ", got, "\n");
    if (got != want)
      return absl::StrFormat("%s returned %d, the reference says %d\n%s", op, got, want, log);
    for (uint64_t p = kLow; p <= kHigh; ++p) {
      if (ref.Matches(m.Rec(p), p)) continue;
      return absl::StrFormat("after %s, pfn %#x is\n  %s\nbut the reference says\n  %s\n%s", op,
                             p, Actual(m, p), ref.Expect(p), log);
    }
  }
  return "";
}

TEST(MemProperty, RandomSequencesAgreeWithTheReference) {
  const uint64_t seed = SeedFromEnvironment();
  constexpr int kSequences = 5000, kOps = 60;
  for (int i = 0; i < kSequences; ++i) {
    const std::string failure = RunSequence(seed + static_cast<uint64_t>(i), kOps);
    if (!failure.empty())
      FAIL() << "seed " << seed << ", sequence " << i << " (PKVM_MEM_SEED="
             << seed + static_cast<uint64_t>(i) << " reproduces it as sequence 0):\n"
             << failure;
  }
}

}  // namespace
}  // namespace pkvm::mem
