#include "core/rng/stream.hpp"

#include <algorithm>
#include <cmath>

#include "core/error/error.hpp"

namespace sampo::rng {

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Stream::Stream(std::uint64_t seed, std::uint32_t purpose, std::uint64_t entity, std::uint32_t substream) noexcept {
  const std::uint64_t k = splitmix64(seed ^ splitmix64(0x5a3bULL + purpose));
  key_[0] = static_cast<std::uint32_t>(k);
  key_[1] = static_cast<std::uint32_t>(k >> 32);
  ctr_[0] = 0;
  ctr_[1] = substream;
  ctr_[2] = static_cast<std::uint32_t>(entity);
  ctr_[3] = static_cast<std::uint32_t>(entity >> 32);
}

void Stream::refill() noexcept {
  ctr_[0] = static_cast<std::uint32_t>(block_);
  const auto out = Philox()(ctr_, key_);
  for (int i = 0; i < 4; ++i) buf_[i] = out[i];
  ++block_;
  used_ = 0;
}

void Stream::set_position(Position p) noexcept {
  if (p.used >= 4) {
    block_ = p.block;
    used_ = 4;
    return;
  }
  block_ = p.block - 1;  // regenerate the partly used block
  refill();
  used_ = p.used;
}

std::uint64_t Stream::below(std::uint64_t n) noexcept {
  // Lemire's nearly divisionless method on 64 bits.
  std::uint64_t x = next_u64();
  __uint128_t m = static_cast<__uint128_t>(x) * n;
  auto l = static_cast<std::uint64_t>(m);
  if (l < n) {
    const std::uint64_t t = -n % n;
    while (l < t) {
      x = next_u64();
      m = static_cast<__uint128_t>(x) * n;
      l = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double Stream::normal() noexcept {
  const double u1 = uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::pair<double, double> Stream::normal_pair() noexcept {
  const double r = std::sqrt(-2.0 * std::log(uniform()));
  const double phi = 2.0 * std::numbers::pi * uniform();
  return {r * std::cos(phi), r * std::sin(phi)};
}

double Stream::gamma(double shape) noexcept {
  if (shape < 1.0) {
    const double u = uniform();
    return gamma(shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0.0, v = 0.0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

namespace {
// log k! (thread-safe: std::lgamma may write the global signgam).
double log_factorial(double k) noexcept {
  int sign = 0;
  return ::lgamma_r(k + 1.0, &sign);
}
}  // namespace

std::int64_t Stream::poisson(double mean) noexcept {
  if (!(mean > 0.0)) return 0;
  mean = std::min(mean, 1e15);
  if (mean < 10.0) {  // inversion: P(0) = e^{-λ}, P(k) = P(k-1) λ/k
    double p = std::exp(-mean), cdf = p;
    const double u = uniform();
    std::int64_t k = 0;
    while (u > cdf && k < 1000) {
      ++k;
      p *= mean / static_cast<double>(k);
      cdf += p;
    }
    return k;
  }
  // PTRS (W. Hörmann, "The transformed rejection method for generating Poisson random variables", 1993).
  const double slam = std::sqrt(mean), loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = uniform() - 0.5, v = uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::int64_t>(k);
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <= -mean + k * loglam - log_factorial(k))
      return static_cast<std::int64_t>(k);
  }
}

AliasTable::AliasTable(std::span<const double> weights) {
  const std::size_t n = weights.size();
  SAMPO_VERIFY(n > 0 && n < (1ULL << 32), "alias table needs 1..2^32-1 weights");
  double total = 0.0;
  for (double w : weights) {
    SAMPO_VERIFY(w >= 0.0 && std::isfinite(w), "alias table weights must be finite and non-negative");
    total += w;
  }
  SAMPO_VERIFY(total > 0.0, "alias table weights sum to zero");
  prob_.assign(n, 0.0);
  alias_.assign(n, 0);
  std::vector<double> scaled(n);
  std::vector<std::uint32_t> small, large;
  for (std::size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<double>(n) / total;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const auto s = small.back();
    small.pop_back();
    const auto l = large.back();
    prob_[s] = scaled[s];
    alias_[s] = l;
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (auto i : large) prob_[i] = 1.0, alias_[i] = i;
  for (auto i : small) prob_[i] = 1.0, alias_[i] = i;  // round-off leftovers
}

std::size_t AliasTable::sample(Stream& s) const noexcept {
  const std::size_t i = static_cast<std::size_t>(s.below(prob_.size()));
  return s.uniform() < prob_[i] ? i : alias_[i];
}

}  // namespace sampo::rng
