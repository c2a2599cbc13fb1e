#pragma once
// Counter-based random streams (Philox4x32-10 from Random123).
//
// A stream is named by (seed, purpose, entity, substream): key = mix(seed, purpose) (64 bits), counter =
// {block, substream, entity_lo, entity_hi}. The numbers an entity draws therefore depend only on its global id,
// never on which rank or thread owns it. `block` counts 128-bit blocks (2^32 per substream = 64 GiB of randomness).
// A stream's position is two integers (Position), saved in checkpoints and restored exactly.
#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <utility>
#include <vector>

namespace sampo::rng {

// Purposes used by Sampo; a workload may define its own above 1000.
enum Purpose : std::uint32_t {
  purpose_test = 1,
  purpose_init = 2,
  purpose_noise = 3,
  purpose_transition = 10,
  purpose_observation = 11,
  purpose_resample = 12,
  purpose_backward = 13,
  purpose_sampler = 20,
  purpose_swap = 21,
  purpose_walk = 30,
  purpose_graph = 31,
};

std::uint64_t splitmix64(std::uint64_t x) noexcept;

class Stream {
 public:
  struct Position {
    std::uint64_t block = 0;   // next block to generate
    std::uint64_t used = 4;    // 32-bit words of the current block already consumed (4 = none left)
    bool operator==(const Position&) const = default;
  };

  Stream(std::uint64_t seed, std::uint32_t purpose, std::uint64_t entity, std::uint32_t substream = 0) noexcept;

  std::uint32_t next_u32() noexcept {
    if (used_ >= 4) refill();
    return buf_[used_++];
  }
  std::uint64_t next_u64() noexcept {
    const std::uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }
  // Uniform on the open interval (0, 1), 53 random bits.
  double uniform() noexcept { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }
  double uniform(double a, double b) noexcept { return a + (b - a) * uniform(); }
  // Uniform integer in [0, n) without modulo bias (Lemire).
  std::uint64_t below(std::uint64_t n) noexcept;
  // Standard normal by Box–Muller (two uniforms per call, no cached spare: the position stays two integers).
  double normal() noexcept;
  // Both Box–Muller outputs of one pair of uniforms (half the cost per normal).
  std::pair<double, double> normal_pair() noexcept;
  double normal(double mean, double sd) noexcept { return mean + sd * normal(); }
  double exponential(double rate = 1.0) noexcept { return -std::log(uniform()) / rate; }
  // Gamma(shape, scale=1) by Marsaglia–Tsang, with the boost for shape < 1.
  double gamma(double shape) noexcept;
  // Poisson(mean): inversion by sequential search for mean < 10, Hörmann's PTRS transformed rejection (1993) above.
  // mean must be finite, ≥ 0 and ≤ 1e15 (callers validate; larger means are clamped to 1e15).
  std::int64_t poisson(double mean) noexcept;

  [[nodiscard]] Position position() const noexcept { return {block_, used_}; }
  void set_position(Position p) noexcept;

 private:
  void refill() noexcept;
  using Philox = r123::Philox4x32;
  Philox::key_type key_{};
  Philox::ctr_type ctr_{};
  std::array<std::uint32_t, 4> buf_{};
  std::uint64_t block_ = 0;
  std::uint64_t used_ = 4;
};

// Walker's alias table: O(n) build, O(1) draws from a categorical law with the given (unnormalised) weights.
class AliasTable {
 public:
  AliasTable() = default;
  explicit AliasTable(std::span<const double> weights);
  [[nodiscard]] std::size_t size() const noexcept { return prob_.size(); }
  std::size_t sample(Stream& s) const noexcept;

 private:
  std::vector<double> prob_;
  std::vector<std::uint32_t> alias_;
};

}  // namespace sampo::rng
