#include "smc/app.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>
#include <sstream>

#include "core/checkpoint/checkpoint.hpp"
#include "core/error/error.hpp"
#include "core/io/hdf5.hpp"
#include "smc/kalman.hpp"
#include "smc/msc.hpp"

namespace sampo::smc {

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',' || c == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

}  // namespace

config::Schema Params::schema() {
  config::Schema s = model_schema();
  s.string("smc.mode", "filter",
           "filter: one particle filter (+PaRIS); ppg: PaRIS particle Gibbs; learn: SA-MLE; msc: Markov score "
           "climbing of a Gaussian proposal for the conditional SMC (scalar models)",
           {"filter", "ppg", "learn", "msc"});
  s.integer("smc.progress_every", 0, "log a line every this many steps/iterations (0: progress meter only)", 0, 1e12);
  s.integer("filter.particles", 1000, "number of particles N (sharded across ranks; at least the rank count)", 2,
            2e9);
  s.string("filter.resampling", "systematic", "resampling scheme (conditional SMC always uses multinomial)",
           {"multinomial", "systematic", "stratified", "residual"});
  s.real("filter.ess_threshold", 0.5, "resample when ESS < threshold·N (1: every step; 0: never)", 0.0, 1.0);
  s.string("filter.proposal", "bootstrap", "bootstrap (transition) or guided (the model's proposal)",
           {"bootstrap", "guided"});
  s.boolean("filter.moments", true, "record filtering means and variances every time step");
  s.integer("filter.islands", 0,
            "island mode (smc.mode = \"filter\", no smoothing): number of islands, each resampled on its own, the "
            "islands resampled as wholes by their masses (0: one population); a multiple of the rank count that "
            "divides filter.particles", 0, 1e12);
  s.real("filter.island_ess_threshold", 0.5, "island mode: resample whole islands when the island ESS < "
         "threshold·islands (0: never, 1: every step)", 0.0, 1.0);
  s.string("smoothing.functionals", "sum_x_xnext",
           "comma-separated PaRIS functionals: sum_x_xnext (Σ x_t x_{t+1}ᵀ), sum_x_x (Σ x_t x_tᵀ), score "
           "(∇θ log p(y)); empty: no smoothing");
  s.string("smoothing.backward", "rejection",
           "backward sampler: rejection (accept-reject with the bound, exact fallback), mh (independent MH from the "
           "ancestor), exact (O(N) per draw)",
           {"rejection", "mh", "exact"});
  s.string("smoothing.exchange", "allgather",
           "PaRIS over MPI: allgather (every rank receives all of (xi_t, W_t, tau_t) each step: O(N) memory and "
           "traffic per rank) or requests (batched all-to-all requests for the proposed ancestors only: O(N/P) "
           "memory; rejection sampler, exact fallback after max_tries)",
           {"allgather", "requests"});
  s.integer("smoothing.request_batch", 4, "requests: accept-reject tries per particle and request round", 1, 1024);
  s.integer("smoothing.draws", 2, "backward draws K̃ per particle (2 is typical; 1 degenerates)", 1, 64);
  s.integer("smoothing.max_tries", 0, "accept-reject tries before the exact draw (0: N)", 0, 1e12);
  s.integer("smoothing.mh_steps", 1, "independent-MH steps per backward draw", 1, 1000);
  s.string("smoothing.fallback", "exact",
           "rejection: after max_tries failures draw exactly in O(N) (exact), or run mh_steps of independent MH from "
           "the ancestor (mh: O(1), the hybrid for large N)",
           {"exact", "mh"});
  s.integer("ppg.iterations", 20, "PPG iterations after the initial PaRIS run", 1, 1e9);
  s.integer("ppg.burn_in", 5, "iterations discarded by the roll-out estimator (must be < ppg.iterations)", 0, 1e9);
  s.integer("ppg.chains", 1,
            "independent chains; they run on min(chains, ranks) rank groups, each chain's population distributed "
            "over its group",
            1, 1e6);
  s.string("learn.params", "rho", "comma-separated parameters to learn (names as the model defines them)");
  s.string("learn.driver", "ppg", "estimator of the score: ppg (conditional) or paris (independent runs)",
           {"ppg", "paris"});
  s.real("learn.step0", 0.2, "step size γ_k = step0 · k^-decay, applied to score/(n+1)", 0.0, 1e6);
  s.real("learn.decay", 0.6, "step-size decay exponent α", 0.0, 1.0);
  s.real_list("msc.init", {0.0, 0.0, 0.0, 0.0},
              "msc: initial λ = (a, b, c, log sd) of q(x_t | x_{t-1}, y_t) = N(a x_{t-1} + b y_t + c, sd²); "
              "learned with learn.step0 and learn.decay", -1e6, 1e6);
  return s;
}

Params Params::from(const config::Config& c, const Model& m, int ranks) {
  Params p;
  p.mode = c.get_string("smc.mode");
  p.progress_every = c.get_int("smc.progress_every");
  auto& f = p.filter;
  f.particles = static_cast<std::uint64_t>(c.get_int("filter.particles"));
  if (f.particles < static_cast<std::uint64_t>(ranks))
    throw ConfigError("filter.particles = " + std::to_string(f.particles) + " is fewer than the " +
                      std::to_string(ranks) + " MPI ranks (give at least one particle per rank)");
  f.scheme = parse_scheme(c.get_string("filter.resampling"));
  f.ess_threshold = c.get_real("filter.ess_threshold");
  f.guided = c.get_string("filter.proposal") == "guided";
  if (f.guided && !m.has_proposal())
    throw ConfigError("filter.proposal = \"guided\" but model '" + m.name() +
                      "' has no proposal (use \"bootstrap\", or model.type = \"linear_gaussian\")");
  f.moments = c.get_bool("filter.moments");
  f.backward = parse_backward(c.get_string("smoothing.backward"));
  f.backward_draws = static_cast<int>(c.get_int("smoothing.draws"));
  f.max_tries = c.get_int("smoothing.max_tries");
  f.mh_steps = static_cast<int>(c.get_int("smoothing.mh_steps"));
  f.mh_fallback = c.get_string("smoothing.fallback") == "mh";
  f.remote_requests = c.get_string("smoothing.exchange") == "requests";
  f.request_batch = static_cast<int>(c.get_int("smoothing.request_batch"));
  if (f.remote_requests && f.backward != Backward::rejection)
    throw ConfigError("smoothing.exchange = \"requests\" draws by accept-reject: set smoothing.backward = "
                      "\"rejection\" (it is \"" + to_string(f.backward) + "\"), or use smoothing.exchange = "
                      "\"allgather\"");
  if (f.remote_requests && f.mh_fallback)
    throw ConfigError("smoothing.exchange = \"requests\" falls back to the exact draw (computed by all ranks "
                      "together); remove smoothing.fallback = \"mh\" or use smoothing.exchange = \"allgather\"");
  if (f.remote_requests && !std::isfinite(m.log_transition_bound(1)))
    throw ConfigError("smoothing.exchange = \"requests\" needs a bound on the transition density; model '" +
                      m.name() + "' has none (use smoothing.exchange = \"allgather\")");
  f.seed = static_cast<std::uint64_t>(c.get_int("run.seed"));
  p.functionals = split_list(c.get_string("smoothing.functionals"));
  for (const auto& name : p.functionals) {
    if (name != "sum_x_xnext" && name != "sum_x_x" && name != "score")
      throw ConfigError("smoothing.functionals: unknown functional '" + name +
                        "' (allowed: sum_x_xnext, sum_x_x, score)");
    if (name == "score" && m.n_params() == 0)
      throw ConfigError("smoothing.functionals: model '" + m.name() + "' has no θ-gradients, so no 'score'");
  }
  f.islands = static_cast<std::uint64_t>(c.get_int("filter.islands"));
  f.island_ess_threshold = c.get_real("filter.island_ess_threshold");
  if (f.islands > 0) {
    const std::string is = "filter.islands = " + std::to_string(f.islands);
    if (p.mode != "filter")
      throw ConfigError(is + " needs smc.mode = \"filter\" (island mode has no PaRIS or conditional SMC); set "
                        "filter.islands = 0 for mode \"" + p.mode + "\"");
    if (!p.functionals.empty())
      throw ConfigError(is + " runs without smoothing: set smoothing.functionals = \"\" (or filter.islands = 0 "
                        "for PaRIS)");
    if (f.particles % f.islands != 0)
      throw ConfigError(is + " must divide filter.particles = " + std::to_string(f.particles) +
                        " (every island holds the same number of particles)");
    if (f.islands % static_cast<std::uint64_t>(ranks) != 0)
      throw ConfigError(is + " must be a multiple of the " + std::to_string(ranks) +
                        " MPI ranks (islands never straddle ranks); e.g. filter.islands = " +
                        std::to_string(((f.islands + static_cast<std::uint64_t>(ranks) - 1) / static_cast<std::uint64_t>(ranks)) * static_cast<std::uint64_t>(ranks)));
  }
  p.iterations = static_cast<int>(c.get_int("ppg.iterations"));
  p.burn_in = static_cast<int>(c.get_int("ppg.burn_in"));
  if (p.mode != "filter" && p.burn_in >= p.iterations)
    throw ConfigError("ppg.burn_in = " + std::to_string(p.burn_in) + " must be below ppg.iterations = " +
                      std::to_string(p.iterations) + " (lower ppg.burn_in or raise ppg.iterations)");
  p.chains = static_cast<int>(c.get_int("ppg.chains"));
  if (p.mode != "filter" && p.functionals.empty() && p.mode == "ppg")
    throw ConfigError("smc.mode = \"ppg\" needs at least one functional in smoothing.functionals");
  p.learn_driver = c.get_string("learn.driver");
  p.learn.step0 = c.get_real("learn.step0");
  p.learn.decay = c.get_real("learn.decay");
  if (p.mode == "msc") {
    if (m.dim() != 1 || m.obs_dim() != 1)
      throw ConfigError("smc.mode = \"msc\" learns a Gaussian proposal for scalar models; model '" + m.name() +
                        "' has state dimension " + std::to_string(m.dim()) + " (use a scalar model)");
    if (std::find(p.functionals.begin(), p.functionals.end(), "score") != p.functionals.end())
      throw ConfigError("smc.mode = \"msc\" learns the proposal, not θ: remove 'score' from smoothing.functionals");
    if (p.functionals.empty())
      throw ConfigError("smc.mode = \"msc\" needs a functional in smoothing.functionals (PaRIS draws the paths)");
    p.msc_init = c.get_real_list("msc.init");
    if (p.msc_init.size() != 4)
      throw ConfigError("msc.init has " + std::to_string(p.msc_init.size()) + " values; give 4: [a, b, c, log_sd]");
    p.learn_params = {"q_a", "q_b", "q_c", "q_log_sd"};
    p.learn.index = {0, 1, 2, 3};
    f.guided = true;
  }
  if (p.mode == "learn") {
    const auto names = m.param_names();
    if (names.empty()) throw ConfigError("smc.mode = \"learn\" needs a model with parameters; '" + m.name() + "' has none");
    p.learn_params = split_list(c.get_string("learn.params"));
    if (p.learn_params.empty()) throw ConfigError("learn.params is empty (give e.g. \"rho\" or \"rho,sigma_x\")");
    for (const auto& name : p.learn_params) {
      const auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end())
        throw ConfigError("learn.params: model '" + m.name() + "' has no parameter '" + name + "' (it has " +
                          join(names) + ")");
      p.learn.index.push_back(static_cast<int>(it - names.begin()));
    }
    // The score leads the functionals when learning.
    p.functionals.erase(std::remove(p.functionals.begin(), p.functionals.end(), "score"), p.functionals.end());
    p.functionals.insert(p.functionals.begin(), "score");
  }
  return p;
}

namespace {

std::unique_ptr<Composite> make_functional(const std::vector<std::string>& names, const Model& m,
                                           const Observations& y) {
  auto h = std::make_unique<Composite>();
  for (const auto& n : names) {
    if (n == "sum_x_xnext") h->add(std::make_unique<SumCross>(m.dim()));
    if (n == "sum_x_x") h->add(std::make_unique<SumSquare>(m.dim()));
    if (n == "score") h->add(std::make_unique<Score>(m, y));
  }
  return h;
}

// Exact smoothed functionals for linear Gaussian models (empty when unknown).
std::vector<double> exact_functionals(const std::vector<std::string>& names, const Model& m, const Observations& y) {
  const auto* s = dynamic_cast<const ScalarLinearGaussian*>(&m);
  const auto* mv = dynamic_cast<const LinearGaussian*>(&m);
  if (!s && !mv) return {};
  const auto spec = s ? s->spec() : mv->spec();
  const auto k = kalman_filter(spec, y);
  const auto r = rts_smoother(spec, k);
  std::vector<double> out;
  for (const auto& n : names) {
    std::vector<double> v;
    if (n == "sum_x_xnext") v = exact_sum_cross(r);
    if (n == "sum_x_x") v = exact_sum_square(r);
    if (n == "score") {
      if (!s) return {};
      v = exact_score(*s, y);
    }
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

io::DatasetOptions opts(const std::string& units, const std::string& desc) { return {units, desc, false, 0}; }

struct Setup {
  std::unique_ptr<Model> model;
  Params p;
  Observations obs;
  std::uint64_t seed = 0;
};

// Output file: written as <file>.part, renamed when complete. `fill` writes the mode's groups. Collective.
void write_output(app::Context& ctx, const Setup& s, const std::function<void(const io::Group&)>& fill) {
  app::Output output(ctx, schema_version);
  const auto& r = output.root();
  r.set_attr("mode", s.p.mode);
  r.set_attr("model", s.model->name());
  const int n = s.obs.steps();
  std::vector<double> time(static_cast<std::size_t>(n + 1));
  std::iota(time.begin(), time.end(), 0.0);
  r.write_replicated<double>("time", time, {}, opts("1", "time index t = 0..n"));
  io::make_dimension_scale(r, "time", "time");
  auto g = r.create_group("observations");
  g.write_replicated<double>("y", s.obs.y, {static_cast<std::uint64_t>(n + 1), static_cast<std::uint64_t>(s.obs.dy)},
                             opts("model units", "observations y_t (row t)"));
  if (!s.obs.truth.empty())
    g.write_replicated<double>("x_true", s.obs.truth,
                               {static_cast<std::uint64_t>(n + 1), static_cast<std::uint64_t>(s.obs.dx)},
                               opts("model units", "simulated hidden states x_t"));
  // Exact Kalman answers for linear Gaussian models.
  const auto* sl = dynamic_cast<const ScalarLinearGaussian*>(s.model.get());
  const auto* mv = dynamic_cast<const LinearGaussian*>(s.model.get());
  if (sl || mv) {
    const auto spec = sl ? sl->spec() : mv->spec();
    const auto k = kalman_filter(spec, s.obs);
    const auto d = static_cast<std::uint64_t>(spec.F.rows());
    std::vector<double> mean, var;
    for (int t = 0; t <= n; ++t)
      for (std::uint64_t i = 0; i < d; ++i) {
        mean.push_back(k.m_filt[static_cast<std::size_t>(t)](static_cast<Eigen::Index>(i)));
        var.push_back(k.P_filt[static_cast<std::size_t>(t)](static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i)));
      }
    auto e = r.create_group("exact");
    e.set_attr("loglik", k.loglik);
    e.write_replicated<double>("mean", mean, {static_cast<std::uint64_t>(n + 1), d}, opts("model units", "Kalman filtering mean"));
    e.write_replicated<double>("var", var, {static_cast<std::uint64_t>(n + 1), d}, opts("model units^2", "Kalman filtering variance"));
    e.write_replicated<double>("loglik_increment", k.loglik_increment, {}, opts("nats", "log p(y_t | y_0:t-1)"));
    const auto ex = exact_functionals(s.p.functionals, *s.model, s.obs);
    if (!ex.empty()) {
      e.write_replicated<double>("functionals", ex, {}, opts("model units", "exact smoothed functionals (RTS)"));
      e.set_attr("names", join(make_functional(s.p.functionals, *s.model, s.obs)->names()), "functionals");
    }
  }
  fill(r);
  output.finish();
  ctx.log.info("output " + output.path());
}

// ---- filter mode ------------------------------------------------------------------------------------------------
int run_filter(app::Context& ctx, Setup& s) {
  const auto& comm = ctx.comm;
  auto h = make_functional(s.p.functionals, *s.model, s.obs);
  const Functional* hp = h->empty() ? nullptr : h.get();
  ParticleFilter f(comm, *s.model, s.obs, hp, s.p.filter);
  checkpoint::Manager ckpt(comm, checkpoint::Params::from(ctx.config, ctx.output_dir), "smc", schema_version);
  if (!ctx.restart.empty()) {
    const auto found = ckpt.resolve(ctx.restart, ctx.log);
    auto file = ckpt.open(found);
    mpi::all_or_throw(comm, [&] {
      if (file.root().attr_string("mode") != "filter")
        throw CheckpointError("checkpoint " + found.path + " was written in mode '" + file.root().attr_string("mode") +
                              "', but smc.mode = \"filter\"");
    });
    f.load(file.root().open_group("filter"));
    ctx.log.info("restarted from " + found.path + " at time " + std::to_string(f.time()));
  } else {
    f.start();
  }
  auto write_ckpt = [&] {
    return ckpt.write(f.time(), [&](const io::Group& g) {
      g.set_attr("mode", "filter");
      f.save(g.create_group("filter"));
    });
  };
  log::Progress progress(ctx.log, "filter", static_cast<double>(s.obs.steps()), "steps");
  while (!f.finished()) {
    f.step();
    progress.update(f.time());
    if (s.p.progress_every > 0 && f.time() % s.p.progress_every == 0)
      ctx.log.info("t = " + std::to_string(f.time()) + ": ESS " + std::to_string(f.records().back().ess) +
                   ", log-likelihood " + std::to_string(f.loglik()));
    if (ckpt.after_step(f.time(), "t =", ctx.log, write_ckpt)) return checkpoint::exit_requeue;
  }
  progress.finish();
  if (ckpt.params().at_end) write_ckpt();
  const auto est = hp ? f.estimate() : std::vector<double>{};
  write_output(ctx, s, [&](const io::Group& r) {
    auto g = r.create_group("filter");
    const auto n1 = f.records().size();
    const auto d = static_cast<std::uint64_t>(s.model->dim());
    std::vector<double> ll, ess, mean, var;
    std::vector<std::int64_t> res, fb;
    for (const auto& rec : f.records()) {
      ll.push_back(rec.loglik_increment), ess.push_back(rec.ess), res.push_back(rec.resampled),
          fb.push_back(rec.fallbacks);
      mean.insert(mean.end(), rec.mean.begin(), rec.mean.end());
      var.insert(var.end(), rec.var.begin(), rec.var.end());
    }
    g.set_attr("loglik", f.loglik());
    g.set_attr("particles", static_cast<std::int64_t>(s.p.filter.particles));
    g.set_attr("resampling", to_string(s.p.filter.scheme));
    g.set_attr("islands", static_cast<std::int64_t>(s.p.filter.islands));
    g.write_replicated<double>("loglik_increment", ll, {}, opts("nats", "log of the likelihood-estimate increment at t"));
    g.write_replicated<double>("ess", ess, {}, opts("particles", "effective sample size after weighting at t"));
    g.write_replicated<std::int64_t>("resampled", res, {}, opts("1", "1 when resampling preceded the propagation to t"));
    if (!mean.empty()) {
      g.write_replicated<double>("mean", mean, {n1, d}, opts("model units", "filtering mean E[x_t | y_0:t]"));
      g.write_replicated<double>("var", var, {n1, d}, opts("model units^2", "filtering variance (diagonal)"));
      io::attach_dimension_scale(g, "mean", "/time", 0);
      io::attach_dimension_scale(g, "var", "/time", 0);
    }
    if (hp) {
      auto sm = r.create_group("smoothing");
      sm.set_attr("names", join(h->names()));
      sm.set_attr("backward", to_string(s.p.filter.backward));
      sm.set_attr("draws", static_cast<std::int64_t>(s.p.filter.backward_draws));
      sm.write_replicated<double>("estimate", est, {}, opts("model units", "PaRIS estimate Σ_i W_n^i τ_n^i"));
      sm.write_replicated<std::int64_t>("fallbacks", fb, {}, opts("1", "accept-reject draws that fell back to exact"));
    }
  });
  ctx.log.info("done: log-likelihood estimate " + std::to_string(f.loglik()));
  if (hp) {
    std::ostringstream os;
    for (std::size_t i = 0; i < est.size(); ++i) os << (i ? ", " : "") << h->names()[i] << " = " << est[i];
    ctx.log.info("PaRIS estimate: " + os.str());
  }
  return 0;
}

// ---- ppg / learn modes -------------------------------------------------------------------------------------------
struct Chain {
  int id = 0;
  std::unique_ptr<Model> model;
  std::unique_ptr<PpgChain> chain;
  std::vector<double> est;    // (k+1) × m
  std::vector<double> theta;  // (k+1) × p
  std::vector<double> aux;    // msc: running Gram average Ḡ_k (9 values); empty otherwise
};

int run_ppg(app::Context& ctx, Setup& s) {
  const auto& comm = ctx.comm;
  const int C = s.p.chains, P = comm.size();
  const int G = std::min(C, P);
  const int group = static_cast<int>(static_cast<std::int64_t>(comm.rank()) * G / P);
  const auto gcomm = comm.split(group, comm.rank());
  const bool msc = s.p.mode == "msc";
  const bool learn = s.p.mode == "learn" || msc;
  const bool conditional = !learn || msc || s.p.learn_driver == "ppg";
  const int n = s.obs.steps(), d = s.model->dim();
  // msc: every chain's model is the wrapped model whose parameters are the proposal's λ.
  auto chain_model = [&]() -> std::unique_ptr<Model> {
    if (msc) return std::make_unique<ProposalModel>(*s.model, s.p.msc_init);
    return s.model->clone();
  };
  const auto pnames = chain_model()->param_names();
  const int np = static_cast<int>(pnames.size());
  if (s.p.filter.particles < static_cast<std::uint64_t>(gcomm.size()))
    throw ConfigError("filter.particles is smaller than a rank group", true);
  std::vector<Chain> mine;
  int mdim = 0;
  for (int c = group; c < C; c += G) {
    Chain ch;
    ch.id = c;
    ch.model = chain_model();
    mine.push_back(std::move(ch));
  }
  // Functionals refer to each chain's model (its θ changes when learning).
  std::vector<std::unique_ptr<Composite>> hs;
  for (auto& ch : mine) {
    hs.push_back(make_functional(s.p.functionals, *ch.model, s.obs));
    mdim = hs.back()->dim();
    ch.chain = std::make_unique<PpgChain>(gcomm, *ch.model, s.obs, *hs.back(), s.p.filter, s.seed,
                                          static_cast<std::uint64_t>(ch.id));
  }
  mdim = make_functional(s.p.functionals, *s.model, s.obs)->dim();
  checkpoint::Manager ckpt(comm, checkpoint::Params::from(ctx.config, ctx.output_dir), "smc", schema_version);
  const std::size_t ref_len = static_cast<std::size_t>((n + 1) * d);
  const std::size_t naux = msc ? 9 : 0;
  for (auto& ch : mine) ch.aux.assign(naux, 0.0);

  // Every chain's state, in chain order, on every rank (collective over the world).
  auto gather_state = [&](int k) {
    std::vector<double> rec;
    if (gcomm.is_root())
      for (const auto& ch : mine) {
        rec.push_back(ch.id);
        rec.insert(rec.end(), ch.chain->reference().begin(), ch.chain->reference().end());
        rec.insert(rec.end(), ch.est.begin(), ch.est.end());
        rec.insert(rec.end(), ch.theta.begin(), ch.theta.end());
        rec.insert(rec.end(), ch.aux.begin(), ch.aux.end());
      }
    const auto all = comm.allgatherv<double>(rec);
    const std::size_t per = 1 + ref_len + static_cast<std::size_t>((k + 1) * (mdim + np)) + naux;
    std::vector<double> sorted(all.size());
    for (std::size_t o = 0; o < all.size(); o += per) {
      const auto id = static_cast<std::size_t>(all[o]);
      std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(o), per, sorted.begin() + static_cast<std::ptrdiff_t>(id * per));
    }
    return sorted;
  };
  auto unpack = [&](const std::vector<double>& st, int k) {
    const std::size_t per = 1 + ref_len + static_cast<std::size_t>((k + 1) * (mdim + np)) + naux;
    for (auto& ch : mine) {
      const double* p = st.data() + static_cast<std::size_t>(ch.id) * per + 1;
      std::vector<double> ref(p, p + ref_len);
      p += ref_len;
      ch.est.assign(p, p + (k + 1) * mdim);
      p += (k + 1) * mdim;
      ch.theta.assign(p, p + (k + 1) * np);
      p += (k + 1) * np;
      ch.aux.assign(p, p + naux);
      ch.model->set_params(std::span<const double>(ch.theta).last(static_cast<std::size_t>(np)));
      ch.chain->restore(k, std::move(ref));
    }
  };

  int k = 0;
  if (!ctx.restart.empty()) {
    const auto found = ckpt.resolve(ctx.restart, ctx.log);
    auto file = ckpt.open(found);
    const auto& r = file.root();
    mpi::all_or_throw(comm, [&] {
      if (r.attr_string("mode") != s.p.mode || r.attr_int("chains") != C || r.attr_int("functionals") != mdim)
        throw CheckpointError("checkpoint " + found.path + " (mode " + r.attr_string("mode") + ", " +
                              std::to_string(r.attr_int("chains")) + " chains) does not match this deck (mode " +
                              s.p.mode + ", ppg.chains = " + std::to_string(C) + ")");
    });
    k = static_cast<int>(r.attr_int("iteration"));
    unpack(r.read_all<double>("chains"), k);
    ctx.log.info("restarted from " + found.path + " at iteration " + std::to_string(k));
  } else {
    for (auto& ch : mine) {
      ch.theta = ch.model->params();
      ch.est = ch.chain->initialise();
    }
  }
  auto write_ckpt = [&] {
    const auto st = gather_state(k);
    return ckpt.write(k, [&](const io::Group& g) {
      g.set_attr("mode", s.p.mode);
      g.set_attr("iteration", static_cast<std::int64_t>(k));
      g.set_attr("chains", static_cast<std::int64_t>(C));
      g.set_attr("functionals", static_cast<std::int64_t>(mdim));
      g.write_replicated<double>("chains", st, {}, checkpoint::Manager::dataset_options("per-chain PPG state"));
    });
  };
  log::Progress progress(ctx.log, s.p.mode, s.p.iterations, "iterations");
  while (k < s.p.iterations) {
    ++k;
    for (auto& ch : mine) {
      const auto est = ch.chain->iterate(conditional);
      ch.est.insert(ch.est.end(), est.begin(), est.end());
      auto th = ch.model->params();
      if (msc) {  // λ climbs the (preconditioned) score of q at the new reference path
        const auto st = msc_statistics(th, ch.chain->reference(), s.obs);
        for (std::size_t i = 0; i < 9; ++i) ch.aux[i] += (st.gram[i] - ch.aux[i]) / k;
        th = sa_update(*ch.model, th, msc_direction(st, ch.aux), s.p.learn, k, 0);
        ch.model->set_params(th);
      } else if (learn) {
        th = sa_update(*ch.model, th, std::span<const double>(est).first(static_cast<std::size_t>(np)), s.p.learn, k, n);
        ch.model->set_params(th);
      }
      ch.theta.insert(ch.theta.end(), th.begin(), th.end());
    }
    progress.update(k);
    if (s.p.progress_every > 0 && k % s.p.progress_every == 0 && gcomm.is_root() && comm.is_root()) {
      std::ostringstream os;
      os << "iteration " << k << ": chain 0 estimate";
      for (int i = 0; i < mdim; ++i) os << ' ' << mine[0].est[static_cast<std::size_t>(k * mdim + i)];
      if (learn) {
        os << "; θ";
        for (int i = 0; i < np; ++i) os << ' ' << mine[0].theta[static_cast<std::size_t>(k * np + i)];
      }
      ctx.log.info(os.str());
    }
    if (ckpt.after_step(k, "iteration", ctx.log, write_ckpt)) return checkpoint::exit_requeue;
  }
  progress.finish();
  if (ckpt.params().at_end) write_ckpt();
  const auto st = gather_state(k);
  // Unpack every chain's history (replicated) for output and the roll-out estimator.
  const std::size_t per = 1 + ref_len + static_cast<std::size_t>((k + 1) * (mdim + np)) + naux;
  std::vector<double> est_all, theta_all, ref_all, rollout(static_cast<std::size_t>(C * mdim), 0.0);
  for (int c = 0; c < C; ++c) {
    const double* p = st.data() + static_cast<std::size_t>(c) * per + 1;
    ref_all.insert(ref_all.end(), p, p + ref_len);
    p += ref_len;
    est_all.insert(est_all.end(), p, p + (k + 1) * mdim);
    for (int it = s.p.burn_in + 1; it <= k; ++it)
      for (int i = 0; i < mdim; ++i) rollout[static_cast<std::size_t>(c * mdim + i)] += p[it * mdim + i] / (k - s.p.burn_in);
    p += (k + 1) * mdim;
    theta_all.insert(theta_all.end(), p, p + (k + 1) * np);
  }
  std::vector<double> rmean(static_cast<std::size_t>(mdim), 0.0), rse(static_cast<std::size_t>(mdim), 0.0);
  for (int i = 0; i < mdim; ++i) {
    for (int c = 0; c < C; ++c) rmean[static_cast<std::size_t>(i)] += rollout[static_cast<std::size_t>(c * mdim + i)] / C;
    if (C > 1) {
      double v = 0;
      for (int c = 0; c < C; ++c) {
        const double e = rollout[static_cast<std::size_t>(c * mdim + i)] - rmean[static_cast<std::size_t>(i)];
        v += e * e / (C - 1);
      }
      rse[static_cast<std::size_t>(i)] = std::sqrt(v / C);
    }
  }
  std::vector<double> theta_avg(static_cast<std::size_t>(C * np), 0.0), lambda_exact;
  for (int c = 0; c < C; ++c)
    for (int it = s.p.burn_in + 1; it <= k; ++it)
      for (int i = 0; i < np; ++i)
        theta_avg[static_cast<std::size_t>(c * np + i)] +=
            theta_all[static_cast<std::size_t>((c * (k + 1) + it) * np + i)] / (k - s.p.burn_in);
  if (msc)
    if (const auto* lg = dynamic_cast<const ScalarLinearGaussian*>(s.model.get())) lambda_exact = msc_optimum(*lg, s.obs);
  const auto names = make_functional(s.p.functionals, *s.model, s.obs)->names();
  write_output(ctx, s, [&](const io::Group& r) {
    auto g = r.create_group("ppg");
    g.set_attr("names", join(names));
    g.set_attr("chains", static_cast<std::int64_t>(C));
    g.set_attr("burn_in", static_cast<std::int64_t>(s.p.burn_in));
    g.set_attr("conditional", static_cast<std::int64_t>(conditional ? 1 : 0));
    const auto uC = static_cast<std::uint64_t>(C), uK = static_cast<std::uint64_t>(k + 1);
    g.write_replicated<double>("estimate", est_all, {uC, uK, static_cast<std::uint64_t>(mdim)},
                               opts("model units", "per-iteration estimate Π_k (iteration 0: the initial PaRIS run)"));
    g.write_replicated<double>("rollout", rollout, {uC, static_cast<std::uint64_t>(mdim)},
                               opts("model units", "roll-out estimator per chain (iterations burn_in+1..K)"));
    g.write_replicated<double>("rollout_mean", rmean, {}, opts("model units", "mean roll-out estimate over chains"));
    g.write_replicated<double>("rollout_stderr", rse, {}, opts("model units", "standard error over chains (0 if 1 chain)"));
    g.write_replicated<double>("reference", ref_all, {uC, static_cast<std::uint64_t>(n + 1), static_cast<std::uint64_t>(d)},
                               opts("model units", "final reference path of each chain"));
    if (learn && np > 0) {
      auto l = r.create_group("learn");
      l.set_attr("names", join(pnames));
      l.set_attr("learned", join(s.p.learn_params));
      l.set_attr("method", msc ? std::string("markov_score_climbing") : "sa_mle_" + s.p.learn_driver);
      l.write_replicated<double>("theta", theta_all, {uC, uK, static_cast<std::uint64_t>(np)},
                                 opts("model units", msc ? "proposal parameters λ_k = (a, b, c, log sd) per chain "
                                                           "(k = 0: initial)"
                                                         : "parameter trajectory θ_k per chain (k = 0: initial)"));
      l.write_replicated<double>("theta_average", theta_avg, {uC, static_cast<std::uint64_t>(np)},
                                 opts("model units", "Polyak–Ruppert average of the trajectory over iterations "
                                                     "burn_in+1..K, per chain"));
      if (!lambda_exact.empty())
        l.write_replicated<double>("theta_exact", lambda_exact, {},
                                   opts("model units", "exact MSC fixed point λ* from the RTS moments"));
    }
  });
  std::ostringstream os;
  for (int i = 0; i < mdim; ++i)
    os << (i ? ", " : "") << names[static_cast<std::size_t>(i)] << " = " << rmean[static_cast<std::size_t>(i)]
       << (C > 1 ? " ± " + std::to_string(rse[static_cast<std::size_t>(i)]) : "");
  ctx.log.info("roll-out estimate (iterations " + std::to_string(s.p.burn_in + 1) + ".." + std::to_string(k) +
               "): " + os.str());
  if (learn) {
    std::ostringstream th;
    for (int c = 0; c < std::min(C, 4); ++c) {
      th << " chain " << c << ":";
      for (int i = 0; i < np; ++i) th << ' ' << pnames[static_cast<std::size_t>(i)] << '=' << theta_all[static_cast<std::size_t>((c * (k + 1) + k) * np + i)];
    }
    ctx.log.info((msc ? "final λ:" : "final θ:") + th.str());
    std::ostringstream av;
    for (int i = 0; i < np; ++i) {
      double mean = 0;
      for (int c = 0; c < C; ++c) mean += theta_avg[static_cast<std::size_t>(c * np + i)] / C;
      av << ' ' << pnames[static_cast<std::size_t>(i)] << '=' << mean;
      if (!lambda_exact.empty()) av << " (exact " << lambda_exact[static_cast<std::size_t>(i)] << ")";
    }
    ctx.log.info("average over iterations " + std::to_string(s.p.burn_in + 1) + ".." + std::to_string(k) +
                 " and chains:" + av.str());
  }
  return 0;
}

}  // namespace

int run(app::Context& ctx) {
  Setup s;
  mpi::all_or_throw(ctx.comm, [&] {
    s.model = make_model(ctx.config);
    s.p = Params::from(ctx.config, *s.model, ctx.comm.size());
  });
  s.seed = static_cast<std::uint64_t>(ctx.config.get_int("run.seed"));
  s.obs = load_observations(ctx.comm, ctx.config, *s.model);
  {
    // Filter: this rank's particles (state, weights, statistics; a few copies while resampling) plus the Allgather
    // of (ξ, W, τ) for PaRIS. PPG: each chain keeps the whole particle history for path selection.
    const double N = static_cast<double>(s.p.filter.particles), P = ctx.comm.size();
    const double d = s.model->dim(), n = static_cast<double>(s.obs.steps()) + 1.0;
    const double per_particle = 8.0 * (d + 4.0 + static_cast<double>(s.p.functionals.size()));
    double bytes = 4.0 * per_particle * N / P + 2.0 * per_particle * N;
    if (s.p.mode != "filter")
      bytes += std::ceil(static_cast<double>(s.p.chains) / P) * N * n * (8.0 * d + 8.0 * s.p.filter.backward_draws + 8.0);
    app::require_memory(ctx, bytes, "filter.particles = " + std::to_string(s.p.filter.particles) + " with " +
                                        std::to_string(s.obs.steps()) + " steps (mode " + s.p.mode + ")");
  }
  ctx.log.info("model " + s.model->name() + ", " + std::to_string(s.obs.steps()) + " transitions, " +
               std::to_string(s.p.filter.particles) + " particles, mode " + s.p.mode);
  if (s.p.mode == "filter") return run_filter(ctx, s);
  return run_ppg(ctx, s);
}

}  // namespace sampo::smc
