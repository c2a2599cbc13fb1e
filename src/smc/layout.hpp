#pragma once
// The block layout of particles over ranks (every smc component places global particle i the same way).
#include <cstdint>

namespace sampo::smc {

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
