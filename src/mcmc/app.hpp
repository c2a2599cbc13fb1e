#pragma once
// The sampo-mcmc workload: many chains of one sampler on a built-in target, sharded across ranks, with
// checkpoint/restart (bitwise), an ArviZ-readable HDF5 output and a stansummary-like table.
#include <cstdint>
#include <string>

#include "core/app/driver.hpp"
#include "core/config/config.hpp"
#include "mcmc/sampler.hpp"

namespace sampo::mcmc {

inline constexpr int schema_version = 1;

struct Params {
  std::string target = "correlated_gaussian";
  std::int64_t dim = 100;
  double rho = 0.9;
  std::int64_t chains = 4;
  std::string data;                       // data models: CSV file ("" = simulated: data_rows rows from data_seed)
  std::int64_t data_rows = 1000, data_seed = 1;
  std::string model_library, model_data;  // target = "bridgestan": the .so and its JSON data
  int replicas = 0;                       // parallel tempering with this many replicas (0: independent chains)
  double beta_min = 0.01, temper_step = 0.25;
  bool adapt_ladder = true;
  std::int64_t flush_every = 100;         // append draws to the output every this many iterations (0: checkpoints)
  bool save_warmup = false;               // warm-up iterations to warmup_posterior / warmup_sample_stats
  std::string mode = "sample";            // "sample" or "optimize" (MAP / penalised MLE by TAO)
  std::string init = "random";            // chains start at "random" points or at the "map"
  double map_gatol = 1e-8, map_grtol = 1e-8;
  std::int64_t map_iterations = 2000;
  bool map_jacobian = false;
  SamplerParams sampler;

  static config::Schema schema();
  static Params from(const config::Config& c);  // cross-key checks throw ConfigError (identically on all ranks)
};

// Runs the workload (collective). Returns the exit code.
int run(app::Context& ctx);

}  // namespace sampo::mcmc
