#pragma once
// Exact summation of doubles (a Kulisch-style fixed-point accumulator covering the whole double range): the sum of
// any set of doubles is held exactly, so it does not depend on the order of the additions or on how the terms are
// split between threads and ranks, and rounding it once gives the same double whatever the decomposition.
//
// Value = Σ_k d[k]·2^(32k − 1126): 68 signed 64-bit limbs holding 32-bit digits between normalisations (a double
// m·2^(e−1075), subnormals included, lands in three digits), so 2^29 additions fit before a carry pass, which runs
// by itself. normalise() makes the digits canonical (0 ≤ d[k] < 2^32 for k < 67, the sign in d[67]); round() is
// correctly rounded (ties to even; ±inf beyond the double range; NaN once an infinite or NaN term was added).
// Cost: a few integer operations per term. Header-only.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "core/error/error.hpp"
#include "core/mpi/communicator.hpp"

namespace sampo::numeric {

__extension__ typedef unsigned __int128 exact_u128;

class ExactSum {
 public:
  static constexpr int limbs = 68;
  static constexpr int bias = 1126;  // the value of digit k is 2^(32k − bias)

  void add(double x) noexcept { put(x, false); }
  void sub(double x) noexcept { put(x, true); }
  // x added `count` times, exactly: x·2^b for each set bit b of count (exact doubles while |x|·2^63 is finite).
  void add_times(double x, std::uint64_t count) noexcept {
    for (int b = 0; count != 0; ++b, count >>= 1)
      if (count & 1u) put(std::ldexp(x, b), false);
  }
  void add(const ExactSum& o) noexcept {
    nonfinite_ = nonfinite_ || o.nonfinite_;
    for (int k = 0; k < limbs; ++k) d_[k] += o.d_[k];
    count_ += o.count_ + 1;
    if (count_ >= (1 << 29)) normalise();
  }
  void sub(const ExactSum& o) noexcept {
    nonfinite_ = nonfinite_ || o.nonfinite_;
    for (int k = 0; k < limbs; ++k) d_[k] -= o.d_[k];
    count_ += o.count_ + 1;
    if (count_ >= (1 << 29)) normalise();
  }
  void merge(const ExactSum& o) noexcept { add(o); }  // this += o, exactly

  // Canonical digits (unique for a value): afterwards the limbs of several accumulators can be added as integers.
  void normalise() noexcept {
    for (int k = 0; k + 1 < limbs; ++k) {
      const std::int64_t carry = d_[k] >> 32;  // floor division by 2^32
      d_[k] -= carry * (std::int64_t{1} << 32);
      d_[k + 1] += carry;
    }
    count_ = 0;
  }

  // The sum rounded to the nearest double (ties to even; ±inf beyond the double range; NaN if nonfinite()).
  [[nodiscard]] double round() const noexcept {
    if (nonfinite_) return std::numeric_limits<double>::quiet_NaN();
    ExactSum a = *this;
    a.normalise();
    const bool neg = a.d_[limbs - 1] < 0;
    if (neg) {
      for (auto& v : a.d_) v = -v;
      a.normalise();
    }
    int h = limbs - 1;
    while (h >= 0 && a.d_[h] == 0) --h;
    if (h < 0) return 0.0;
    // The top three digits (96 bits) and a sticky bit for anything below: one correctly rounded conversion.
    exact_u128 top = 0;
    for (int k = h; k > h - 3; --k) top = (top << 32) | static_cast<std::uint64_t>(k >= 0 ? a.d_[k] : 0);
    bool sticky = false;
    for (int k = h - 3; k >= 0; --k) sticky = sticky || a.d_[k] != 0;
    // Below 2^64 the conversion is exact only if the value needs at most 53 bits: the sticky bit sits under them.
    if (sticky) top |= 1;
    const double v = std::ldexp(static_cast<double>(top), 32 * (h - 2) - bias);
    return neg ? -v : v;
  }
  [[nodiscard]] bool nonfinite() const noexcept { return nonfinite_; }

  // Wire format: normalised digits from `lo` to `hi` (inclusive); a zero sum sends nothing but its header.
  // (The nonfinite flag is not sent: the caller sends it where it matters.)
  void append_to(std::vector<std::uint64_t>& out) noexcept {
    normalise();
    int lo = 0, hi = limbs - 1;
    while (hi >= 0 && d_[hi] == 0) --hi;
    while (lo <= hi && d_[lo] == 0) ++lo;
    if (hi < 0) lo = 0;
    out.push_back(static_cast<std::uint64_t>(lo) | (static_cast<std::uint64_t>(hi + 1) << 32));
    for (int k = lo; k <= hi; ++k) out.push_back(static_cast<std::uint64_t>(d_[k]));
  }
  // Adds a record written by append_to; returns the words read.
  std::size_t add_from(const std::uint64_t* in) noexcept {
    const int lo = static_cast<int>(in[0] & 0xffffffffu), end = static_cast<int>(in[0] >> 32);
    for (int k = lo; k < end; ++k) d_[k] += static_cast<std::int64_t>(in[1 + k - lo]);
    if (++count_ >= (1 << 29)) normalise();
    return 1 + static_cast<std::size_t>(end > lo ? end - lo : 0);
  }

  // Raw limbs, e.g. for checkpoints: raw() after normalise() is canonical (the same value always has the same
  // limbs); set_raw(limbs, nonfinite) restores any raw() (limbs.size() must be `limbs`).
  [[nodiscard]] std::span<const std::int64_t, limbs> raw() const noexcept { return d_; }
  void set_raw(std::span<const std::int64_t> r, bool nonfinite) {
    SAMPO_VERIFY(r.size() == static_cast<std::size_t>(limbs), "ExactSum::set_raw: expected 68 limbs");
    std::copy(r.begin(), r.end(), d_.begin());
    nonfinite_ = nonfinite;
    normalise();
  }

  // Collective: replaces every accumulator in `sums` by its exact sum over the ranks of `comm` (the same on every
  // rank; sums.size() must agree). Each rank's digits are normalised (< 2^32) before the integer MPI sum, so it
  // cannot overflow for fewer than 2^30 ranks; the nonfinite flags are or-ed. One allreduce of 69 words per sum.
  static void allreduce(const mpi::Communicator& comm, std::span<ExactSum> sums) {
    std::vector<std::int64_t> v;
    v.reserve(sums.size() * (limbs + 1));
    for (auto& s : sums) {
      s.normalise();
      v.insert(v.end(), s.d_.begin(), s.d_.end());
      v.push_back(s.nonfinite_ ? 1 : 0);
    }
    comm.allreduce_inplace<std::int64_t>(v, mpi::Op::sum);
    for (std::size_t q = 0; q < sums.size(); ++q) {
      const auto* p = v.data() + q * (limbs + 1);
      std::copy(p, p + limbs, sums[q].d_.begin());
      sums[q].nonfinite_ = p[limbs] != 0;
      sums[q].count_ = (1 << 28);  // digits up to P·2^32: normalise well before the headroom is used
    }
  }

 private:
  void put(double x, bool negate) noexcept {
    if (x == 0.0 || !std::isfinite(x)) {
      if (!std::isfinite(x)) nonfinite_ = true;
      return;
    }
    const auto bits = std::bit_cast<std::uint64_t>(x);
    int e = static_cast<int>((bits >> 52) & 0x7ff);
    std::uint64_t m = bits & ((std::uint64_t{1} << 52) - 1);
    if (e == 0) e = 1;
    else m |= std::uint64_t{1} << 52;
    // x = ±m·2^(e − 1075) = ±m·2^p·2^(−bias) with p = e − 1075 + bias ≥ 52.
    const int p = e - 1075 + bias, k = p >> 5, sh = p & 31;
    const exact_u128 v = static_cast<exact_u128>(m) << sh;
    const auto a = static_cast<std::int64_t>(static_cast<std::uint64_t>(v) & 0xffffffffu);
    const auto b = static_cast<std::int64_t>(static_cast<std::uint64_t>(v >> 32) & 0xffffffffu);
    const auto c = static_cast<std::int64_t>(static_cast<std::uint64_t>(v >> 64));
    if ((bits >> 63 != 0) != negate) {
      d_[k] -= a, d_[k + 1] -= b, d_[k + 2] -= c;
    } else {
      d_[k] += a, d_[k + 1] += b, d_[k + 2] += c;
    }
    if (++count_ >= (1 << 29)) normalise();
  }

  std::array<std::int64_t, limbs> d_{};
  std::int32_t count_ = 0;
  bool nonfinite_ = false;
};

}  // namespace sampo::numeric
