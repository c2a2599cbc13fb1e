#pragma once
// The core's end-to-end exerciser until the workloads land: N independent Brownian walkers x_i(t+1) = x_i(t) + σ ξ,
// sharded across ranks. Exact answer: E[mean x²](t) = σ² t, with standard error σ² t √(2/N).
// Every walker's increments come from its own counter-based stream (seed, walk, walker id, step), so positions
// are bitwise identical for any rank count and across checkpoint/restart.
#include <cstdint>
#include <vector>

#include "core/app/driver.hpp"
#include "core/config/config.hpp"

namespace sampo::demo {

inline constexpr int schema_version = 1;

struct Params {
  std::int64_t walkers = 100000;
  std::int64_t steps = 1000;
  double sigma = 1.0;
  std::int64_t output_every = 10;

  static config::Schema schema();
  static Params from(const config::Config& c);
};

// Runs the demo (collective). Returns the exit code.
int run(app::Context& ctx);

// Positions of walkers [first, first+count) after `step` steps, computed directly (used by tests).
std::vector<double> positions(std::uint64_t seed, double sigma, std::int64_t step, std::uint64_t first,
                              std::uint64_t count);

}  // namespace sampo::demo
