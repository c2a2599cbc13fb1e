#pragma once
// Shared helpers of the walks tests: walk parameters from a case, and token fingerprints for bitwise comparisons.
#include <bit>
#include <cstdint>
#include <vector>

#include "walks/walkers.hpp"

namespace sampo::walks::test {

// WalkParams of a test case (the fields every bitwise test sets; the others keep their defaults).
inline WalkParams params(Chain chain, Method method, double alpha, double laziness, std::int64_t tokens,
                         std::uint64_t seed, double gamma_exponent = 1.0) {
  WalkParams p;
  p.chain = chain;
  p.method = method;
  p.alpha = alpha;
  p.laziness = laziness;
  p.gamma_exponent = gamma_exponent;
  p.tokens = tokens;
  p.seed = seed;
  return p;
}

template <class V>
std::uint64_t hash_doubles(const V& v) {  // FNV-1a over the bit patterns
  std::uint64_t h = 1469598103934665603ull;
  for (double x : v) h = (h ^ std::bit_cast<std::uint64_t>(x)) * 1099511628211ull;
  return h;
}

// Per token: id, vertex, previous, rng block, rng used, hash(w), hash(θ), bits(scale) ^ cached.
inline std::vector<std::uint64_t> fingerprint(const Walkers& w) {
  std::vector<std::uint64_t> out;
  for (const auto& t : w.tokens()) {
    const auto pos = t.stream.position();
    out.insert(out.end(), {t.id, static_cast<std::uint64_t>(t.vertex), static_cast<std::uint64_t>(t.previous),
                           pos.block, pos.used, hash_doubles(t.w), hash_doubles(t.theta),
                           std::bit_cast<std::uint64_t>(t.scale) ^ (t.cached ? 1u : 0u)});
  }
  return out;
}

}  // namespace sampo::walks::test
