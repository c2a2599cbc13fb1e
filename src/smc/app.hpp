#pragma once
// The smc workload as a driver sees it: deck keys, and run(ctx) for the three modes
//   filter — one (bootstrap or guided) particle filter with optional PaRIS smoothing, checkpointed per time step;
//   ppg    — PaRIS particle Gibbs chains (on rank groups, or one distributed population), checkpointed per iteration;
//   learn  — stochastic-approximation MLE driven by PPG (or by independent PaRIS runs).
#include <cstdint>
#include <string>
#include <vector>

#include "core/app/driver.hpp"
#include "core/config/config.hpp"
#include "smc/filter.hpp"
#include "smc/ppg.hpp"

namespace sampo::smc {

inline constexpr int schema_version = 1;

struct Params {
  std::string mode = "filter";
  FilterOptions filter;
  std::vector<std::string> functionals;  // sum_x_xnext, sum_x_x, score
  int iterations = 20;
  int burn_in = 5;
  int chains = 1;
  std::string learn_driver = "ppg";
  std::vector<std::string> learn_params;
  LearnOptions learn;
  std::vector<double> msc_init;          // msc: initial (a, b, c, log sd) of the Gaussian proposal family
  std::int64_t progress_every = 0;

  static config::Schema schema();  // smc.*, filter.*, smoothing.*, ppg.*, learn.* plus model.* and data.*
  // Reads and cross-checks the deck (throws ConfigError naming key, value, what is allowed and the fix).
  static Params from(const config::Config& c, const Model& m, int ranks);
};

// Runs the workload (collective). Returns the exit code (0, or 85 after a signal-triggered checkpoint).
int run(app::Context& ctx);

}  // namespace sampo::smc
