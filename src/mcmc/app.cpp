#include "mcmc/app.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>

#include "core/checkpoint/checkpoint.hpp"
#include "core/error/error.hpp"
#include "core/io/hdf5.hpp"
#include "mcmc/bridgestan.hpp"
#include "mcmc/diagnostics.hpp"
#include "mcmc/ensemble.hpp"
#include "mcmc/models.hpp"
#include "mcmc/optimize.hpp"
#include "mcmc/output.hpp"
#include "mcmc/tempering.hpp"

namespace sampo::mcmc {

config::Schema Params::schema() {
  config::Schema s;
  s.string("mcmc.target", "correlated_gaussian", "built-in target, or bridgestan: a user model library",
           {"correlated_gaussian", "banana", "mixture", "eight_schools_centred", "eight_schools_noncentred",
            "logistic_regression", "hierarchical_regression", "bridgestan"});
  s.string("mcmc.data", "",
           "logistic_regression (rows x_1..x_p,y with y in {0,1}) / hierarchical_regression (rows group,x,y with "
           "groups 1..J): a CSV data file; empty: simulated data (mcmc.dim = p or J, mcmc.data_rows rows)");
  s.integer("mcmc.data_rows", 1000, "rows of simulated data for the data models", 1, 1e9);
  s.integer("mcmc.data_seed", 1, "seed of the simulated data (independent of run.seed)", 0, 9.2e18);
  s.string("mcmc.model_library", "",
           "bridgestan: path of a model library with BridgeStan's C API (a Stan model compiled by BridgeStan >= 2.0, "
           "or hand-written: inputs/mcmc/models/eight_schools_bs.cpp)");
  s.string("mcmc.model_data", "", "bridgestan: the model's data, a JSON file path (*.json) or a JSON string");
  s.integer("tempering.replicas", 0,
            "parallel tempering: number of replicas K (0: independent chains); replicas sharded across ranks, "
            "temperatures swapped in even-odd rounds; mcmc.warmup rounds tune the ladder, mcmc.draws rounds are kept "
            "from the beta = 1 replica (one chain in the output)", 0, 100000);
  s.real("tempering.beta_min", 0.01, "smallest inverse temperature (initial ladder geometric from 1 to beta_min)",
         1e-12, 0.999);
  s.real("tempering.step", 0.25, "NUTS step size at beta = 1 (eps_k = step / sqrt(beta_k), unit metric)", 1e-8, 100.0);
  s.boolean("tempering.adapt", true,
            "during warm-up, re-space the ladder to equalise the swap rejection rates (Syed et al. 2022)");
  s.integer("mcmc.dim", 100,
            "dimension of correlated_gaussian and mixture; predictors p of simulated logistic_regression; groups J of "
            "simulated hierarchical_regression", 1, 100000);
  s.real("mcmc.rho", 0.9, "correlation of neighbours in correlated_gaussian (Sigma_ij = rho^|i-j|)", -0.999, 0.999);
  s.string("mcmc.sampler", "nuts", "sampler", {"nuts", "hmc", "mala", "rwm"});
  s.integer("mcmc.chains", 4, "number of chains (sharded across ranks, OpenMP inside a rank)", 1, 1e6);
  s.integer("mcmc.warmup", 1000, "warm-up iterations per chain (adaptation; not in the posterior group)", 0, 1e9);
  s.integer("mcmc.draws", 1000, "post-warm-up draws per chain", 1, 1e12);
  s.real("mcmc.delta", 0.0,
         "target acceptance of the step-size adaptation (0: 0.8 NUTS/HMC, 0.574 MALA, "
         "0.234 RWM)",
         0.0, 0.999);
  s.integer("mcmc.max_depth", 10, "NUTS maximum tree depth", 1, 20);
  s.integer("warmup.init_buffer", 75, "first warm-up iterations with step-size adaptation only (Stan's init_buffer)",
            0, 1e9);
  s.integer("warmup.term_buffer", 50,
            "last warm-up iterations with step-size adaptation only (Stan's term_buffer; MALA/RWM settle better "
            "with ~200)",
            0, 1e9);
  s.integer("warmup.window", 25, "first metric window; each next one doubles (Stan's window)", 1, 1e9);
  s.integer("mcmc.hmc_steps", 16, "leapfrog steps of static HMC", 1, 100000);
  s.real("mcmc.stepsize_jitter", 0.0, "static HMC: step eps(1 + j(2u-1)) per iteration, u uniform (Stan's stepsize_jitter)", 0.0, 0.999);
  s.string("mcmc.mode", "sample",
           "sample: MCMC chains; optimize: MAP / penalised MLE by PETSc TAO (L-BFGS), like CmdStan's optimize "
           "(group optimize/ in the output; solver options after -- with prefix map_, e.g. -map_tao_monitor)",
           {"sample", "optimize"});
  s.string("mcmc.init", "random",
           "initial points of the chains: random (uniform(-2, 2) unconstrained, per chain) or map (every chain starts "
           "at the optimum of mcmc.mode = \"optimize\"; the optimize/ group is written too)",
           {"random", "map"});
  s.real("optimize.gatol", 1e-8, "stop when |gradient| (unconstrained) <= gatol", 0.0, 1e10);
  s.real("optimize.grtol", 1e-8,
         "or when |gradient| / |lp| <= grtol (relative; large data sets, where rounding of lp stops the line search)",
         0.0, 1.0);
  s.integer("optimize.iterations", 2000, "maximum TAO iterations", 1, 1e9);
  s.boolean("optimize.jacobian", false,
            "include the log Jacobian of the constraining transforms (false: MAP / penalised MLE as CmdStan's "
            "default; true: the mode of the sampling density in unconstrained space)");
  s.integer("mcmc.flush_every", 100,
            "append the new draws to the output file (<run.output>.part while running) every this many iterations "
            "(also at every checkpoint); 0: only at checkpoints and the end", 0, 1e12);
  s.boolean("mcmc.save_warmup", false,
            "also write the warm-up iterations to groups warmup_posterior and warmup_sample_stats (not with "
            "tempering)");
  s.boolean("mcmc.dense", false, "dense metric (NUTS/HMC/MALA; RWM always adapts a dense covariance)");
  return s;
}

Params Params::from(const config::Config& c) {
  Params p;
  p.target = c.get_string("mcmc.target");
  p.dim = c.get_int("mcmc.dim");
  p.rho = c.get_real("mcmc.rho");
  p.chains = c.get_int("mcmc.chains");
  p.replicas = static_cast<int>(c.get_int("tempering.replicas"));
  p.beta_min = c.get_real("tempering.beta_min");
  p.temper_step = c.get_real("tempering.step");
  p.adapt_ladder = c.get_bool("tempering.adapt");
  if (p.replicas == 1)
    throw ConfigError("tempering.replicas = 1 has nothing to swap with; use at least 2 replicas, or 0 to turn "
                      "tempering off");
  if (p.replicas > 0 && p.chains != 1)
    throw ConfigError("tempering.replicas = " + std::to_string(p.replicas) + " runs one tempered ensemble whose "
                      "beta = 1 replica is the one chain of the output; set mcmc.chains = 1 (it is " +
                      std::to_string(p.chains) + ")");
  p.data = c.get_string("mcmc.data");
  p.data_rows = c.get_int("mcmc.data_rows");
  p.data_seed = c.get_int("mcmc.data_seed");
  if (!p.data.empty() && p.target != "logistic_regression" && p.target != "hierarchical_regression")
    throw ConfigError("mcmc.data is set but mcmc.target = \"" + p.target + "\" reads no data (data models: "
                      "logistic_regression, hierarchical_regression)");
  p.model_library = c.get_string("mcmc.model_library");
  p.model_data = c.get_string("mcmc.model_data");
  if (p.target == "bridgestan" && p.model_library.empty())
    throw ConfigError("mcmc.target = \"bridgestan\" needs mcmc.model_library (the path of the model's .so)");
  if (p.target != "bridgestan" && !p.model_library.empty())
    throw ConfigError("mcmc.model_library is set but mcmc.target = \"" + p.target +
                      "\"; set mcmc.target = \"bridgestan\" to load the library");
  p.sampler.algorithm = parse_algorithm(c.get_string("mcmc.sampler"), "mcmc.sampler");
  p.sampler.warmup = c.get_int("mcmc.warmup");
  p.sampler.draws = c.get_int("mcmc.draws");
  p.sampler.delta = c.get_real("mcmc.delta") > 0 ? c.get_real("mcmc.delta") : -1.0;
  p.sampler.max_depth = static_cast<int>(c.get_int("mcmc.max_depth"));
  p.sampler.init_buffer = static_cast<int>(c.get_int("warmup.init_buffer"));
  p.sampler.term_buffer = static_cast<int>(c.get_int("warmup.term_buffer"));
  p.sampler.base_window = static_cast<int>(c.get_int("warmup.window"));
  p.sampler.hmc_steps = static_cast<int>(c.get_int("mcmc.hmc_steps"));
  p.sampler.stepsize_jitter = c.get_real("mcmc.stepsize_jitter");
  p.sampler.dense = c.get_bool("mcmc.dense");
  p.mode = c.get_string("mcmc.mode");
  p.init = c.get_string("mcmc.init");
  p.map_gatol = c.get_real("optimize.gatol");
  p.map_grtol = c.get_real("optimize.grtol");
  p.map_iterations = c.get_int("optimize.iterations");
  p.map_jacobian = c.get_bool("optimize.jacobian");
  if (p.replicas > 0 && (p.mode != "sample" || p.init != "random"))
    throw ConfigError("tempering.replicas = " + std::to_string(p.replicas) + " needs mcmc.mode = \"sample\" and "
                      "mcmc.init = \"random\" (got \"" + p.mode + "\", \"" + p.init + "\"); set tempering.replicas = 0 "
                      "to optimise or to start chains at the MAP");
  p.flush_every = c.get_int("mcmc.flush_every");
  p.save_warmup = c.get_bool("mcmc.save_warmup");
  if (p.replicas > 0 && p.save_warmup)
    throw ConfigError("mcmc.save_warmup = true with tempering.replicas = " + std::to_string(p.replicas) +
                      ": the tempering warm-up tunes the ladder and keeps no draws; set mcmc.save_warmup = false");
  if (p.replicas > 0 && p.sampler.algorithm != Algorithm::nuts)
    throw ConfigError("tempering.replicas > 0 moves every replica with NUTS; set mcmc.sampler = \"nuts\"");
  if (p.sampler.draws < 4)
    throw ConfigError("mcmc.draws = " + std::to_string(p.sampler.draws) +
                      " is too few for split R-hat and ESS; allowed: mcmc.draws >= 4");
  if (p.sampler.dense && p.target == "correlated_gaussian" && p.dim > 2000)
    throw ConfigError("mcmc.dense = true with mcmc.dim = " + std::to_string(p.dim) +
                      " needs a dim x dim metric per chain; allowed: mcmc.dim <= 2000 with a dense metric "
                      "(set mcmc.dense = false)");
  return p;
}

namespace {

constexpr int n_scalar = 11;  // per-chain scalar state entries

std::vector<double> pack(const ChainState& s) {
  std::vector<double> v = {static_cast<double>(s.iteration),
                           s.lp,
                           s.eps,
                           s.da.mu,
                           s.da.s_bar,
                           s.da.x_bar,
                           s.da.counter,
                           static_cast<double>(s.windows.counter),
                           static_cast<double>(s.windows.window_size),
                           static_cast<double>(s.windows.next_window),
                           s.welford_n};
  auto add = [&](const auto& m) { v.insert(v.end(), m.data(), m.data() + m.size()); };
  add(s.q);
  add(s.grad);
  add(s.welford_mean);
  add(s.welford_m2);
  add(s.inv_metric);
  return v;
}

void unpack(ChainState& s, const double* v) {
  s.iteration = static_cast<std::int64_t>(v[0]);
  s.lp = v[1];
  s.eps = v[2];
  s.da.mu = v[3];
  s.da.s_bar = v[4];
  s.da.x_bar = v[5];
  s.da.counter = v[6];
  s.windows.counter = static_cast<std::int64_t>(v[7]);
  s.windows.window_size = static_cast<std::int64_t>(v[8]);
  s.windows.next_window = static_cast<std::int64_t>(v[9]);
  s.welford_n = v[10];
  const double* p = v + n_scalar;
  auto take = [&](auto& m) {
    std::copy(p, p + m.size(), m.data());
    p += m.size();
  };
  take(s.q);
  take(s.grad);
  take(s.welford_mean);
  take(s.welford_m2);
  take(s.inv_metric);
}

std::vector<DrawStats> unpack_stats(const std::vector<double>& v) {
  std::vector<DrawStats> out(v.size() / n_stats);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double* p = v.data() + i * n_stats;
    out[i] = {p[0], p[1], p[2], p[3], static_cast<int>(p[4]), static_cast<int>(p[5]), p[6] != 0, p[7] != 0};
  }
  return out;
}

}  // namespace

// Collective: MAP / penalised MLE by TAO from a random initial point (Stream(seed, purpose_init, 0, 1): not a
// chain's), with the result logged as a table; a warning names TAO's reason when it did not converge.
MapResult run_map(app::Context& ctx, const Params& p, const Target& target, std::uint64_t seed) {
  petsc::Session session(ctx.comm, ctx.extra_args);
  rng::Stream r(seed, rng::purpose_init, 0, 1);
  Vec start;
  for (int attempt = 0; attempt < 100; ++attempt) {
    start = target.initial_point(r);
    Vec g(target.dim());
    const double lp = target.log_density_gradient(start, g, p.map_jacobian);
    if (std::isfinite(lp) && g.allFinite()) break;
    if (attempt == 99)
      throw NumericalError("optimize: no finite log density at 100 random initial points of " + target.name());
  }
  MapOptions opt;
  opt.gatol = p.map_gatol;
  opt.grtol = p.map_grtol;
  opt.max_it = p.map_iterations;
  opt.jacobian = p.map_jacobian;
  const auto t0 = std::chrono::steady_clock::now();
  auto res = find_map(session, target, start, opt);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "optimize (%s, jacobian = %s) by TAO %s: %s after %lld iterations (%lld evaluations, %.3f s), "
                "lp = %.10g, |grad| = %.3g",
                p.map_jacobian ? "mode of the sampling density" : "MAP / penalised MLE",
                p.map_jacobian ? "true" : "false", res.type.c_str(), res.reason.c_str(),
                static_cast<long long>(res.iterations), static_cast<long long>(res.evaluations), seconds, res.lp,
                res.gradient_norm);
  std::string table = std::string(buf) + "\n";
  const auto names = target.param_names();
  const Vec x = target.constrain(res.q);
  const std::size_t shown = std::min<std::size_t>(names.size(), 40);
  for (std::size_t k = 0; k < shown; ++k) {
    std::snprintf(buf, sizeof buf, "%20s %16.8g\n", names[k].c_str(), x[static_cast<Eigen::Index>(k)]);
    table += buf;
  }
  if (shown < names.size())
    table += "... " + std::to_string(names.size() - shown) + " more parameters (all in the output file)\n";
  ctx.log.info(table);
  if (!res.converged)
    ctx.log.warn("optimize: TAO did not converge (" + res.reason + " after " + std::to_string(res.iterations) +
                 " iterations, |grad| = " + std::to_string(res.gradient_norm) +
                 "): the point is not the optimum; raise optimize.iterations, loosen optimize.gatol, or see "
                 "-- -map_tao_monitor (a density unbounded above, e.g. a centred hierarchical model without the "
                 "Jacobian, has no MAP)");
  return res;
}

// Collective: group optimize/ of the output: the optimum's constrained values by variable, the unconstrained
// point, lp, and how TAO stopped.
void write_map(const io::Group& root, const Target& target, const MapResult& m, const Params& p) {
  auto g = root.create_group("optimize");
  const Vec x = target.constrain(m.q);
  std::size_t off = 0;
  for (const auto& v : target.variables()) {
    const auto n = static_cast<std::size_t>(v.size());
    std::vector<std::uint64_t> shape(v.shape.begin(), v.shape.end());
    if (shape.empty()) shape = {1};
    g.write_replicated<double>(v.name, std::span<const double>(x.data() + off, n), shape,
                               {"", "value at the optimum (constrained)", false, 0});
    off += n;
  }
  g.write_replicated<double>("unconstrained", std::span<const double>(m.q.data(), m.q.size()), {},
                             {"", "the optimum in unconstrained space", false, 0});
  const double lp = m.lp, gn = m.gradient_norm;
  g.write_replicated<double>("lp", std::span<const double>(&lp, 1), {},
                             {"", p.map_jacobian ? "log density with the Jacobian" : "log density without the Jacobian",
                              false, 0});
  g.write_replicated<double>("gradient_norm", std::span<const double>(&gn, 1), {}, {"", "|grad lp| there", false, 0});
  const std::int64_t its = m.iterations;
  g.write_replicated<std::int64_t>("iterations", std::span<const std::int64_t>(&its, 1), {},
                                   {"", "TAO iterations", false, 0});
  g.set_attr("reason", m.reason);
  g.set_attr("tao_type", m.type);
  g.set_attr("converged", static_cast<std::int64_t>(m.converged ? 1 : 0));
  g.set_attr("jacobian", static_cast<std::int64_t>(p.map_jacobian ? 1 : 0));
  g.set_attr("evaluations", m.evaluations);
}

// Collective: the output file (<name>.part until complete) with its root attributes and the groups that receive the
// draws as they are sampled.
DrawGroups open_output(app::Output& output, const Params& p, const Target& target, std::uint64_t C) {
  const auto& root = output.root();
  root.set_attr("created_at", io::utc_now());
  root.set_attr("inference_library", "sampo");
  root.set_attr("inference_library_version", io::sampo_version());
  root.set_attr("sampler", to_string(p.sampler.algorithm));
  root.set_attr("target", target.name());
  return DrawGroups(root, target, C, p.save_warmup);
}

// Collective: makes what was appended visible to readers of the .part file.
void flush_output(const app::Output& output) {
  io::detail::check(H5Fflush(output.root().id(), H5F_SCOPE_GLOBAL), "flushing " + output.path() + ".part");
}

// Collective: diagnostics, the summary table and warnings, then completes the ArviZ-readable output file (whose
// draws were appended during the run). draws[c] and stats[c] hold chain c's N post-warm-up draws (cd constrained
// values each) and n_stats statistics; `add_groups` adds groups to the output root (tempering); `algorithm` the
// sampler (RWM has no momentum: no E-BFMI warning).
int report_and_write(app::Context& ctx, app::Output& output, DrawGroups& groups, const Target& target,
                     std::uint64_t C, std::uint64_t N,
                     const std::vector<std::vector<double>>& draws, const std::vector<std::vector<double>>& stats,
                     double seconds, double all_grads, const std::function<void(const io::Group&)>& add_groups,
                     Algorithm algorithm) {
  const int cd = target.constrained_dim();
  // Diagnostics and the summary table.
  std::vector<Summary> summaries;
  Chains lp(C);
  double divergences = 0, gradients = 0;
  std::vector<double> bfmi(C);
  for (std::uint64_t c = 0; c < C; ++c) {
    std::vector<double> energy;
    for (std::uint64_t i = 0; i < N; ++i) {
      lp[c].push_back(stats[c][i * n_stats + 0]);
      energy.push_back(stats[c][i * n_stats + 3]);
      divergences += stats[c][i * n_stats + 6];
      gradients += stats[c][i * n_stats + 5];
    }
    bfmi[c] = e_bfmi(energy);
  }
  summaries.push_back(summarise("lp__", lp));
  const auto names = target.param_names();
  double min_bulk = 1e300, min_tail = 1e300, max_rhat = 0;
  for (int k = 0; k < cd; ++k) {
    Chains x(C);
    for (std::uint64_t c = 0; c < C; ++c)
      for (std::uint64_t i = 0; i < N; ++i) x[c].push_back(draws[c][i * cd + static_cast<std::uint64_t>(k)]);
    summaries.push_back(summarise(names[static_cast<std::size_t>(k)], x));
    min_bulk = std::min(min_bulk, summaries.back().ess_bulk);
    min_tail = std::min(min_tail, summaries.back().ess_tail);
    max_rhat = std::max(max_rhat, summaries.back().rhat);
  }
  const std::size_t shown = std::min<std::size_t>(summaries.size(), 21);
  std::string table = format_table({summaries.begin(), summaries.begin() + static_cast<std::ptrdiff_t>(shown)});
  if (shown < summaries.size())
    table += "... " + std::to_string(summaries.size() - shown) + " more parameters (all in the output file)\n";
  ctx.log.info("summary (" + std::to_string(C) + " chains x " + std::to_string(N) + " draws):\n" + table);
  char buf[640];
  std::snprintf(buf, sizeof buf,
                "min bulk-ESS %.6f, min tail-ESS %.6f, max R-hat %.10f, divergences %.0f, E-BFMI min %.3f; "
                "%.2f s, min bulk-ESS per second %.1f, per 1000 gradients (sampling) %.2f, (incl. warm-up) %.2f",
                min_bulk, min_tail, max_rhat, divergences, *std::min_element(bfmi.begin(), bfmi.end()), seconds,
                min_bulk / seconds, 1000.0 * min_bulk / std::max(1.0, gradients),
                1000.0 * min_bulk / std::max(1.0, all_grads));
  ctx.log.info(buf);
  if (max_rhat > 1.01) ctx.log.warn("R-hat above 1.01: the chains have not mixed; run longer");
  if (min_bulk < 100.0 * static_cast<double>(C) / 4.0 || min_tail < 100.0 * static_cast<double>(C) / 4.0)
    ctx.log.warn("low ESS (below 100 per 4 chains): estimates are unreliable; run longer");
  if (divergences > 0)
    ctx.log.warn(std::to_string(static_cast<long long>(divergences)) +
                 " divergent transitions: raise mcmc.delta or reparameterise");
  // E-BFMI measures how momentum resampling moves the energy: RWM has no momentum, so no warning for it.
  for (double b : bfmi)
    if (b < 0.3 && algorithm != Algorithm::rwm) {
      ctx.log.warn("E-BFMI below 0.3 on some chain: the momentum resampling explores the energy poorly");
      break;
    }

  // The draws are already in the output file (appended as they were sampled): close their groups, add the
  // workload's extra groups, mark it complete and rename it.
  groups.close();
  if (add_groups) add_groups(output.root());
  output.finish();
  ctx.log.info("output " + output.path());
  return 0;
}

// After one iteration (or tempering round) `step`: appends the draws to the output when a flush or a checkpoint is
// due, writes and logs a due checkpoint; true when the run must stop after a signal (exit code 85).
template <class Flush, class Write>
bool after_iteration(app::Context& ctx, checkpoint::Manager& ckpt, const Params& p, std::int64_t step,
                     const std::string& unit, Flush&& flush, Write&& write_checkpoint) {
  bool flushed = false;
  const bool stop = ckpt.after_step(step, unit, ctx.log, [&] {
    flush();  // the draws so far go to the output before the checkpoint that counts them
    flushed = true;
    return write_checkpoint();
  });
  if (!flushed && p.flush_every > 0 && step % p.flush_every == 0) flush();
  return stop;
}

// Parallel tempering (tempering.replicas = K > 0): K replicas sharded across ranks, swaps of temperatures in
// even-odd rounds (Tempering), the ladder re-spaced during warm-up to equalise rejection rates, the β = 1 replica's
// draws kept. Checkpoints hold every replica's state, the permutation, the counters, the ladder and the draws.
int run_tempering(app::Context& ctx, const Params& p, const Target& target, std::uint64_t seed) {
  const auto& comm = ctx.comm;
  const int K = p.replicas, cd = target.constrained_dim();
  TemperingParams tp;
  tp.replicas = K;
  tp.beta_min = p.beta_min;
  tp.step = p.temper_step;
  tp.max_depth = p.sampler.max_depth;
  Tempering pt(comm, target, tp, seed);
  auto s = pt.init(nullptr);
  const std::int64_t W = p.sampler.warmup, N = p.sampler.draws, total = W + N;
  std::vector<double> draws, stats, ladders(pt.betas());  // draws: rounds ≥ W; ladders: every ladder used
  std::int64_t next_adapt = 64, phase = 64;               // tune after rounds 64, 192, 448, ... (doubling phases)
  checkpoint::Manager ckpt(comm, checkpoint::Params::from(ctx.config, ctx.output_dir), "mcmc", schema_version);
  const auto state_len = static_cast<std::uint64_t>(pack(s.chains.empty() ? pt.init(nullptr).chains.at(0) : s.chains[0]).size());
  const auto first = s.local.empty() ? 0 : s.local.front();
  auto replicated = [&] {  // the replicated part of the state, as doubles
    std::vector<double> v = {static_cast<double>(s.round), static_cast<double>(next_adapt), static_cast<double>(phase)};
    v.insert(v.end(), s.temp_of_replica.begin(), s.temp_of_replica.end());
    v.insert(v.end(), s.attempts.begin(), s.attempts.end());
    v.insert(v.end(), s.accepts.begin(), s.accepts.end());
    v.insert(v.end(), s.accept_prob_sum.begin(), s.accept_prob_sum.end());
    v.insert(v.end(), pt.betas().begin(), pt.betas().end());
    return v;
  };
  if (!ctx.restart.empty()) {
    const auto found = ckpt.resolve(ctx.restart, ctx.log);
    auto f = ckpt.open(found);
    const auto& r = f.root();
    mpi::all_or_throw(comm, [&] {
      if (!r.exists("tempering") || r.attr_int("replicas") != K || r.shape("state").at(0) != static_cast<std::uint64_t>(K) * state_len)
        throw CheckpointError("checkpoint " + found.path + " is not a tempering run with tempering.replicas = " +
                              std::to_string(K) + " on this target (the deck must match the run that wrote it)");
    });
    const auto rep = r.read_all<double>("tempering");
    std::size_t o = 0;
    s.round = static_cast<std::int64_t>(rep[o++]);
    next_adapt = static_cast<std::int64_t>(rep[o++]);
    phase = static_cast<std::int64_t>(rep[o++]);
    for (auto& t : s.temp_of_replica) t = static_cast<int>(rep[o++]);
    for (auto& a : s.attempts) a = static_cast<std::int64_t>(rep[o++]);
    for (auto& a : s.accepts) a = static_cast<std::int64_t>(rep[o++]);
    for (auto& a : s.accept_prob_sum) a = rep[o++];
    std::vector<double> betas(rep.begin() + static_cast<std::ptrdiff_t>(o), rep.begin() + static_cast<std::ptrdiff_t>(o + K));
    pt.set_ladder(s, betas);  // (the chains' cached values are overwritten below)
    const auto sv = r.read_part<double>("state", first * state_len, s.local.size() * state_len);
    for (std::size_t i = 0; i < s.chains.size(); ++i) unpack(s.chains[i], sv.data() + i * state_len);
    draws = r.read_all<double>("draws");
    stats = r.read_all<double>("stats");
    ladders = r.read_all<double>("ladders");
    ctx.log.info("restarted from " + found.path + " at round " + std::to_string(s.round));
  }
  auto write_checkpoint = [&] {
    return ckpt.write(s.round, [&](const io::Group& g) {
      const auto o = checkpoint::Manager::dataset_options();
      std::vector<double> sv;
      for (const auto& c : s.chains) {
        const auto v = pack(c);
        sv.insert(sv.end(), v.begin(), v.end());
      }
      g.set_attr("replicas", static_cast<std::int64_t>(K));
      g.write_distributed<double>("state", sv, o);
      g.write_replicated<double>("tempering", replicated(), {}, o);
      g.write_replicated<double>("draws", draws, {}, o);
      g.write_replicated<double>("stats", stats, {}, o);
      g.write_replicated<double>("ladders", ladders, {}, o);
    });
  };
  // The output file, its draws rebuilt from the checkpoint on a restart and appended every mcmc.flush_every rounds
  // and at every checkpoint (rank 0 writes the one chain: the draws are replicated).
  app::Output output(ctx, schema_version);
  auto groups = open_output(output, p, target, 1);
  auto flush = [&] {
    const auto done = groups.size(false), have = static_cast<std::uint64_t>(draws.size()) / static_cast<std::uint64_t>(cd);
    std::vector<const double*> dp, sp;
    if (comm.is_root()) {
      dp.push_back(draws.data() + done * static_cast<std::uint64_t>(cd));
      sp.push_back(stats.data() + done * n_stats);
    }
    groups.append(false, 0, dp, sp, have - done);
    flush_output(output);
  };
  flush();
  ctx.log.info("mcmc: parallel tempering, " + std::to_string(K) + " replicas of NUTS on " + target.name() + " (" +
               std::to_string(target.dim()) + " unconstrained parameters) over " + std::to_string(comm.size()) +
               " ranks, " + std::to_string(W) + " warm-up + " + std::to_string(N) + " rounds");
  const auto t0 = std::chrono::steady_clock::now();
  log::Progress progress(ctx.log, "tempering", static_cast<double>(total), "rounds");
  double all_grads = 0;
  std::vector<double> cold, buf(static_cast<std::size_t>(cd + 1));
  while (s.round < total) {
    int owner = 0, towner = 0;
    DrawStats ts;
    const std::int64_t round = s.round;
    pt.round(s, cold, owner, &ts, &towner);
    if (round >= W) {  // keep the β = 1 draw, its log density and the β = 1 transition's statistics
      if (comm.rank() == owner) std::copy(cold.begin(), cold.end(), buf.begin());
      comm.broadcast(std::span<double>(buf), owner);
      std::vector<double> st = {buf[static_cast<std::size_t>(cd)], ts.accept, ts.step_size, ts.energy,
                                static_cast<double>(ts.tree_depth), static_cast<double>(ts.n_steps),
                                ts.divergent ? 1.0 : 0.0, 0.0};
      comm.broadcast(std::span<double>(st).subspan(1), towner);
      draws.insert(draws.end(), buf.begin(), buf.begin() + cd);
      stats.insert(stats.end(), st.begin(), st.end());
    }
    if (s.round == W) {  // sampling measures the swap rates of the final ladder
      std::fill(s.attempts.begin(), s.attempts.end(), 0);
      std::fill(s.accepts.begin(), s.accepts.end(), 0);
      std::fill(s.accept_prob_sum.begin(), s.accept_prob_sum.end(), 0.0);
    } else if (p.adapt_ladder && s.round == next_adapt && s.round < W) {
      std::vector<double> rej(static_cast<std::size_t>(K - 1));
      for (int k = 0; k + 1 < K; ++k)
        rej[static_cast<std::size_t>(k)] =
            1.0 - s.accept_prob_sum[static_cast<std::size_t>(k)] / std::max<double>(1.0, static_cast<double>(s.attempts[static_cast<std::size_t>(k)]));
      pt.set_ladder(s, equalise_ladder(pt.betas(), rej));
      ladders.insert(ladders.end(), pt.betas().begin(), pt.betas().end());
      std::fill(s.attempts.begin(), s.attempts.end(), 0);
      std::fill(s.accepts.begin(), s.accepts.end(), 0);
      std::fill(s.accept_prob_sum.begin(), s.accept_prob_sum.end(), 0.0);
      phase *= 2;
      next_adapt += phase;
    }
    progress.update(static_cast<double>(s.round));
    if (after_iteration(ctx, ckpt, p, s.round, "round", flush, write_checkpoint)) return checkpoint::exit_requeue;
  }
  progress.finish();
  const double seconds =
      comm.allreduce(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), mpi::Op::max);
  if (ckpt.params().at_end) write_checkpoint();
  flush();
  all_grads = 0;
  for (std::size_t i = 5; i < stats.size(); i += n_stats) all_grads += stats[i];  // β = 1 transitions only
  std::vector<double> rates(static_cast<std::size_t>(K - 1));
  for (int k = 0; k + 1 < K; ++k)
    rates[static_cast<std::size_t>(k)] = s.accept_prob_sum[static_cast<std::size_t>(k)] /
                                         std::max<double>(1.0, static_cast<double>(s.attempts[static_cast<std::size_t>(k)]));
  std::string line;
  for (int k = 0; k < K; ++k) line += (k ? " " : "") + std::to_string(pt.betas()[static_cast<std::size_t>(k)]);
  ctx.log.info("ladder: " + line);
  line.clear();
  for (double r : rates) line += (line.empty() ? "" : " ") + std::to_string(r);
  ctx.log.info("swap rates (sampling rounds, Rao-Blackwellised): " + line);
  const auto uK = static_cast<std::uint64_t>(K);
  const auto n_ladders = static_cast<std::uint64_t>(ladders.size()) / uK;
  auto add = [&](const io::Group& root) {
    auto g = root.create_group("tempering");
    g.set_attr("replicas", static_cast<std::int64_t>(K));
    g.write_replicated<double>("beta", pt.betas(), {}, {"1", "final inverse temperatures, beta_0 = 1", false, 0});
    g.write_replicated<double>("swap_rate", rates, {}, {"1", "mean swap acceptance probability of pair (k, k+1) "
                                                             "over the sampling rounds", false, 0});
    std::vector<std::int64_t> at(s.attempts.begin(), s.attempts.end()), ac(s.accepts.begin(), s.accepts.end());
    g.write_replicated<std::int64_t>("attempts", at, {}, {"1", "swap attempts per pair (sampling rounds)", false, 0});
    g.write_replicated<std::int64_t>("accepts", ac, {}, {"1", "accepted swaps per pair (sampling rounds)", false, 0});
    g.write_replicated<double>("ladders", ladders, {n_ladders, uK},
                               {"1", "every ladder used: the initial one, then one per tuning phase", false, 0});
  };
  std::vector<std::vector<double>> d1 = {draws}, s1 = {stats};
  return report_and_write(ctx, output, groups, target, 1, static_cast<std::uint64_t>(N), d1, s1, seconds, all_grads, add,
                          Algorithm::nuts);
}

int run(app::Context& ctx) {
  const auto& comm = ctx.comm;
  Params p;
  mpi::all_or_throw(comm, [&] { p = Params::from(ctx.config); });
  const auto seed = static_cast<std::uint64_t>(ctx.config.get_int("run.seed"));
  std::unique_ptr<Target> target;
  mpi::all_or_throw(comm, [&] {  // a library that fails to load fails on every rank: one message, exit 2
    if (p.target == "bridgestan")
      target = std::make_unique<BridgeStanTarget>(p.model_library, p.model_data, static_cast<unsigned>(seed));
    else
      target = make_target(TargetSpec{p.target, static_cast<int>(p.dim), p.rho, p.data, p.data_rows,
                                      static_cast<std::uint64_t>(p.data_seed)},
                           "mcmc.target");
  });
  std::optional<MapResult> map;
  if (p.mode == "optimize" || p.init == "map") map = run_map(ctx, p, *target, seed);
  if (p.mode == "optimize") {
    app::Output output(ctx, schema_version);
    const auto& root = output.root();
    root.set_attr("created_at", io::utc_now());
    root.set_attr("inference_library", "sampo");
    root.set_attr("inference_library_version", io::sampo_version());
    root.set_attr("target", target->name());
    write_map(root, *target, *map, p);
    output.finish();
    ctx.log.info("output " + output.path());
    return 0;
  }
  if (p.replicas > 0) return run_tempering(ctx, p, *target, seed);
  const auto C = static_cast<std::uint64_t>(p.chains);
  const std::int64_t total = p.sampler.warmup + p.sampler.draws;
  const int cd = target->constrained_dim(), d = target->dim();
  {
    // Records of all chains (draws + stats), gathered on every rank at the end (×2), plus the metric.
    const double dd = static_cast<double>(d);
    const double per_chain =
        static_cast<double>(total) * (cd + n_stats) * 8.0 + (p.sampler.dense ? dd * dd : dd) * 24.0;
    app::require_memory(ctx, 2.0 * per_chain * static_cast<double>(C),
                        "mcmc.chains = " + std::to_string(p.chains) + ", mcmc.warmup + mcmc.draws = " +
                            std::to_string(total) + ", " + std::to_string(cd) + " parameters");
  }
  Sampler sampler(*target, p.sampler, seed);
  const auto mine = local_chains(comm.rank(), comm.size(), C);
  const std::uint64_t first = mine.empty() ? 0 : mine.front();
  checkpoint::Manager ckpt(comm, checkpoint::Params::from(ctx.config, ctx.output_dir), "mcmc", schema_version);
  std::vector<ChainState> states;
  std::vector<Record> recs(mine.size());
  std::int64_t step = 0;
  for (auto c : mine)  // shapes (and a fresh start: at the MAP with mcmc.init = "map")
    states.push_back(sampler.init(c, map && ctx.restart.empty() ? &map->q : nullptr));
  const auto state_len =
      static_cast<std::uint64_t>(states.empty() ? pack(sampler.init(0)).size() : pack(states[0]).size());
  if (!ctx.restart.empty()) {
    const auto found = ckpt.resolve(ctx.restart, ctx.log);
    auto f = ckpt.open(found);
    const auto& r = f.root();
    mpi::all_or_throw(comm, [&] {
      if (r.shape("state").at(0) != C * state_len)
        throw CheckpointError("checkpoint " + found.path +
                              " holds a different number of chains, target or "
                              "metric than this deck (mcmc.chains, mcmc.target, mcmc.dim, mcmc.dense must match)");
    });
    step = r.attr_int("step");
    const auto sv = r.read_part<double>("state", first * state_len, mine.size() * state_len);
    const auto per = static_cast<std::uint64_t>(step);
    const auto dr = r.read_part<double>("draws", first * per * cd, mine.size() * per * cd);
    const auto sr = r.read_part<double>("stats", first * per * n_stats, mine.size() * per * n_stats);
    for (std::size_t i = 0; i < mine.size(); ++i) {
      unpack(states[i], sv.data() + i * state_len);
      sampler.refresh(states[i]);
      recs[i].draws.assign(dr.begin() + static_cast<std::ptrdiff_t>(i * per * cd),
                           dr.begin() + static_cast<std::ptrdiff_t>((i + 1) * per * cd));
      recs[i].stats =
          unpack_stats(std::vector<double>(sr.begin() + static_cast<std::ptrdiff_t>(i * per * n_stats),
                                           sr.begin() + static_cast<std::ptrdiff_t>((i + 1) * per * n_stats)));
    }
    ctx.log.info("restarted from " + found.path + " at iteration " + std::to_string(step));
  }
  auto write_checkpoint = [&] {
    return ckpt.write(step, [&](const io::Group& g) {
      const auto o = checkpoint::Manager::dataset_options();
      std::vector<double> sv, dr, sr;
      for (std::size_t i = 0; i < states.size(); ++i) {
        const auto v = pack(states[i]);
        sv.insert(sv.end(), v.begin(), v.end());
        dr.insert(dr.end(), recs[i].draws.begin(), recs[i].draws.end());
        const auto s = pack_stats(recs[i].stats);
        sr.insert(sr.end(), s.begin(), s.end());
      }
      g.write_distributed<double>("state", sv, o);
      g.write_distributed<double>("draws", dr, o);
      g.write_distributed<double>("stats", sr, o);
    });
  };

  // The output file: its draws rebuilt from the checkpoint on a restart, then appended every mcmc.flush_every
  // iterations and at every checkpoint (warm-up iterations to warmup_* when mcmc.save_warmup). Each rank writes
  // its own chains.
  app::Output output(ctx, schema_version);
  auto groups = open_output(output, p, *target, C);
  const auto W = static_cast<std::uint64_t>(p.sampler.warmup);
  std::uint64_t flushed = 0;  // iterations in the file
  auto flush = [&] {          // collective
    const auto now = static_cast<std::uint64_t>(step);
    auto part = [&](bool warmup, std::uint64_t from, std::uint64_t to) {
      if (from >= to) return;
      std::vector<std::vector<double>> packed;
      std::vector<const double*> dp, sp;
      for (const auto& r : recs) {
        packed.push_back(pack_stats(std::span<const DrawStats>(r.stats).subspan(from, to - from)));
        dp.push_back(r.draws.data() + from * static_cast<std::uint64_t>(cd));
      }
      for (const auto& v : packed) sp.push_back(v.data());
      groups.append(warmup, first, dp, sp, to - from);
    };
    part(true, flushed, std::min(now, W));
    part(false, std::max(flushed, W), now);
    flushed = now;
    flush_output(output);
  };
  flush();
  ctx.log.info("mcmc: " + to_string(p.sampler.algorithm) + " on " + target->name() + " (" + std::to_string(d) +
               " unconstrained parameters), " + std::to_string(C) + " chains on " + std::to_string(comm.size()) +
               " ranks, " + std::to_string(p.sampler.warmup) + " warm-up + " + std::to_string(p.sampler.draws) +
               " draws");
  const auto t0 = std::chrono::steady_clock::now();
  log::Progress progress(ctx.log, "mcmc", static_cast<double>(total), "iterations");
  while (step < total) {
    advance(sampler, *target, states, 1, recs);
    ++step;
    progress.update(static_cast<double>(step));
    if (after_iteration(ctx, ckpt, p, step, "iteration", flush, write_checkpoint)) return checkpoint::exit_requeue;
  }
  progress.finish();
  const double seconds =
      comm.allreduce(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), mpi::Op::max);
  if (ckpt.params().at_end) write_checkpoint();
  flush();

  // Gather post-warm-up draws and stats in [chain][draw] order.
  const auto N = static_cast<std::uint64_t>(p.sampler.draws);
  std::vector<std::vector<double>> local_draws, local_stats;
  for (const auto& r : recs) {
    local_draws.emplace_back(r.draws.begin() + static_cast<std::ptrdiff_t>(W * cd), r.draws.end());
    const auto s = pack_stats(r.stats);
    local_stats.emplace_back(s.begin() + static_cast<std::ptrdiff_t>(W * n_stats), s.end());
  }
  const auto draws = gather_chains(comm, C, local_draws);  // [c][i*cd + k]
  const auto stats = gather_chains(comm, C, local_stats);  // [c][i*n_stats + j]

  double all_grads = 0;
  for (const auto& r : recs)
    for (const auto& st : r.stats) all_grads += st.n_steps;
  all_grads = comm.allreduce(all_grads, mpi::Op::sum);
  std::function<void(const io::Group&)> add;
  if (map) add = [&](const io::Group& root) { write_map(root, *target, *map, p); };
  return report_and_write(ctx, output, groups, *target, C, N, draws, stats, seconds, all_grads, add,
                          p.sampler.algorithm);
}

}  // namespace sampo::mcmc
