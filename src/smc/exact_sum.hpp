#pragma once
// An exact, order-independent accumulator for sums of doubles ("small superaccumulator").
//
// Why: results must be bitwise identical for any number of ranks and threads, but a floating-point sum rounds
// differently when its terms are grouped differently. Here every term is split into 32-bit chunks of a fixed-point
// number with 32·low_limbs fractional bits and added to int64 limbs: integer addition is associative, so the
// final value depends only on the multiset of terms. Terms below 2^-320 in magnitude are truncated (the same way
// whatever the grouping); terms of magnitude ≥ 2^280 set the overflow flag. Up to 2^31 terms can be added
// between normalisations. Cost: a few integer operations per term.
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "core/error/error.hpp"
#include "core/mpi/communicator.hpp"

namespace sampo::smc {

class ExactSum {
 public:
  static constexpr int limbs = 20;
  static constexpr int low_limbs = 10;  // limb k holds 32-bit chunk k, worth 2^(32(k - low_limbs))

  void add(double x) noexcept {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const int biased = static_cast<int>((bits >> 52) & 0x7ff);
    if (biased == 0x7ff) {
      overflow_ = true;
      return;
    }
    if (biased == 0) return;  // zero or subnormal: far below the truncation threshold
    const std::uint64_t mant = (bits & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{1} << 52);
    // x = mant · 2^(biased - 1075); bit position of mant's lowest bit in the accumulator:
    int pos = biased - 1075 + 32 * low_limbs;
    __uint128_t v = mant;
    if (pos < 0) {
      if (pos <= -53) return;
      v >>= -pos;
      pos = 0;
    }
    const int k = pos >> 5;
    if (k + 2 >= limbs) {
      overflow_ = true;
      return;
    }
    v <<= (pos & 31);
    const std::int64_t c0 = static_cast<std::int64_t>(static_cast<std::uint64_t>(v) & 0xffffffffULL);
    const std::int64_t c1 = static_cast<std::int64_t>(static_cast<std::uint64_t>(v >> 32) & 0xffffffffULL);
    const std::int64_t c2 = static_cast<std::int64_t>(static_cast<std::uint64_t>(v >> 64));
    if (bits >> 63) {
      limb_[k] -= c0, limb_[k + 1] -= c1, limb_[k + 2] -= c2;
    } else {
      limb_[k] += c0, limb_[k + 1] += c1, limb_[k + 2] += c2;
    }
  }
  void merge(const ExactSum& o) noexcept {
    for (int k = 0; k < limbs; ++k) limb_[k] += o.limb_[k];
    overflow_ = overflow_ || o.overflow_;
  }
  // The exact sum rounded to a double (deterministic: depends only on the exact value).
  [[nodiscard]] double value() const {
    SAMPO_VERIFY(!overflow_, "ExactSum: a term was infinite, NaN or beyond 2^280");
    auto l = limb_;
    normalise(l);
    double sign = 1.0;
    if (l[limbs - 1] < 0) {
      for (auto& x : l) x = -x;
      normalise(l);
      sign = -1.0;
    }
    int h = limbs - 1;
    while (h >= 0 && l[h] == 0) --h;
    if (h < 0) return 0.0;
    // Top 96 bits: enough for a deterministic double. Combine in long double (64-bit mantissa), then round once.
    long double r = static_cast<long double>(l[h]);
    if (h >= 1) r = r * 4294967296.0L + static_cast<long double>(l[h - 1]);
    if (h >= 2) r = r * 4294967296.0L + static_cast<long double>(l[h - 2]);
    const int shift = 32 * (std::max(h - 2, 0) - low_limbs);
    return sign * static_cast<double>(std::ldexp(r, shift));
  }
  [[nodiscard]] std::span<const std::int64_t, limbs> raw() const noexcept { return limb_; }
  [[nodiscard]] bool overflow() const noexcept { return overflow_; }
  void set_raw(std::span<const std::int64_t> r, bool of) noexcept {
    for (int k = 0; k < limbs; ++k) limb_[k] = r[static_cast<std::size_t>(k)];
    overflow_ = of;
  }

  // Collective: replaces each accumulator in `sums` by the sum over all ranks (exact).
  static void allreduce(const mpi::Communicator& comm, std::span<ExactSum> sums) {
    if (comm.size() == 1) return;
    std::vector<long long> mine;
    mine.reserve(sums.size() * (limbs + 1));
    for (const auto& s : sums) {
      auto l = s.limb_;
      normalise(l);  // keeps limbs small so that summing P of them cannot overflow
      for (auto x : l) mine.push_back(x);
      mine.push_back(s.overflow_ ? 1 : 0);
    }
    const auto all = comm.allgatherv<long long>(mine);
    const std::size_t per = mine.size();
    for (std::size_t i = 0; i < sums.size(); ++i) {
      ExactSum acc;
      for (int r = 0; r < comm.size(); ++r) {
        const auto* p = all.data() + static_cast<std::size_t>(r) * per + i * (limbs + 1);
        for (int k = 0; k < limbs; ++k) acc.limb_[k] += p[k];
        acc.overflow_ = acc.overflow_ || p[limbs] != 0;
      }
      sums[i] = acc;
    }
  }

 private:
  static void normalise(std::array<std::int64_t, limbs>& l) noexcept {
    for (int k = 0; k + 1 < limbs; ++k) {
      const std::int64_t c = l[k] >> 32;  // arithmetic shift: floor division
      l[k] -= c * 4294967296LL;
      l[k + 1] += c;
    }
  }
  std::array<std::int64_t, limbs> limb_{};
  bool overflow_ = false;
};

// Block layout of N global items over P ranks: rank r owns [N r / P, N (r+1) / P).
struct Layout {
  std::uint64_t n = 0;
  int ranks = 1;
  [[nodiscard]] std::uint64_t first(int r) const noexcept {
    return static_cast<std::uint64_t>((static_cast<__uint128_t>(n) * static_cast<unsigned>(r)) /
                                      static_cast<unsigned>(ranks));
  }
  [[nodiscard]] std::uint64_t count(int r) const noexcept { return first(r + 1) - first(r); }
  [[nodiscard]] int owner(std::uint64_t i) const noexcept {
    // first(r) <= i < first(r+1); start from the estimate and correct.
    int r = static_cast<int>((static_cast<__uint128_t>(i) * static_cast<unsigned>(ranks)) / n);
    while (r > 0 && first(r) > i) --r;
    while (r + 1 < ranks && first(r + 1) <= i) ++r;
    return r;
  }
};

}  // namespace sampo::smc
