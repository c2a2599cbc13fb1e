#include "nlse/simulation.hpp"

#include <cmath>
#include <filesystem>

#include "core/checkpoint/checkpoint.hpp"
#include "core/error/error.hpp"
#include "core/io/hdf5.hpp"
#include "core/log/logger.hpp"
#include "nlse/solver.hpp"

namespace sampo::nlse {

config::Schema schema() {
  config::Schema s;
  s.integer("grid.points", 512, "number of grid points N", 8, 1e12);
  s.real("grid.length", 50.0, "box length L (periodic)", 1e-6, 1e12);
  s.real("grid.x0", -25.0, "left end x0 of the box [x0, x0 + L)", -1e12, 1e12);
  s.real("model.beta", 1.0, "dispersion coefficient β in (β/2) ψ_xx (signed)", -1e6, 1e6);
  s.real("model.g", 1.0, "nonlinearity g (> 0 focusing, < 0 defocusing)", -1e6, 1e6);
  s.string("model.potential", "none", "external potential V(x)", {"none", "harmonic", "lattice"});
  s.real("model.v0", 0.0, "potential strength: harmonic v0 x², lattice v0 cos²(k x)", -1e6, 1e6);
  s.real("model.lattice_k", 1.0, "lattice wavenumber", 0.0, 1e6);
  s.string("case.name", "soliton", "initial condition",
           {"soliton", "two_soliton", "akhmediev", "peregrine", "cw_mi", "source_mi"});
  s.real("case.amplitude", 2.0, "soliton amplitude A (soliton 1 for two_soliton)", 1e-6, 1e3);
  s.real("case.velocity", 1.0, "soliton velocity v", -1e3, 1e3);
  s.real("case.position", -10.0, "soliton start position", -1e12, 1e12);
  s.real("case.phase", 0.0, "soliton phase θ0", -1e3, 1e3);
  s.real("case.amplitude2", 1.5, "two_soliton: amplitude of soliton 2", 1e-6, 1e3);
  s.real("case.velocity2", -2.0, "two_soliton: velocity of soliton 2", -1e3, 1e3);
  s.real("case.position2", 10.0, "two_soliton: start position of soliton 2", -1e12, 1e12);
  s.real("case.a", 0.25, "Akhmediev breather parameter a (0 < a < 1/2)", 1e-6, 0.499999);
  s.real("case.p0", 1.0, "background power P0 (akhmediev, peregrine, cw_mi)", 1e-9, 1e6);
  s.real("case.t0", 0.0, "start time t0 (exact solutions are evaluated there)", -1e6, 1e6);
  s.real("case.epsilon", 1e-4, "cw_mi: relative amplitude of the seeded mode", 0.0, 1.0);
  s.real("case.mode_k", 1.0, "cw_mi: wavenumber K of the seeded mode (a multiple of 2π/L)", 0.0, 1e6);
  s.string("model.dealiasing", "none",
           "aliasing of the cubic term: none, two_thirds (zero |k| > 2/3 k_Nyquist of the "
           "nonlinear term), padding (3N/2 grid), filter (the source's exp(-alpha (|k|/k_c)^p) on the whole RHS)",
           {"none", "two_thirds", "padding", "filter"});
  s.real("model.filter_alpha", 36.0, "filter strength alpha", 0.0, 1e4);
  s.real("model.filter_order", 36.0, "filter order p", 1.0, 1e4);
  s.real("model.filter_kc", 2.0 / 3.0, "filter cut-off k_c as a fraction of the Nyquist wavenumber pi N / L", 1e-6,
         1.0);
  s.string("time.method", "erk43-ip", "integrator", {"erk43-ip", "rk4ip", "strang", "yoshida4", "dop853", "ip-dop853"});
  s.real("time.first_step", 0.0, "dop853, ip-dop853: first trial step (0: scipy's select_initial_step rule)", 0.0, 1e6);
  s.real("time.duration", 20.0, "integration time T (from case.t0 to case.t0 + T)", 0.0, 1e9);
  s.real("time.dt", 1e-3, "step of fixed-step methods; first trial step of adaptive ones", 1e-12, 1e6);
  s.real("time.rtol", 1e-9, "relative tolerance (adaptive)", 1e-15, 1.0);
  s.real("time.atol", 1e-11, "absolute tolerance (adaptive)", 0.0, 1.0);
  s.real("time.max_step", 0.0, "largest step of adaptive methods (0: unlimited)", 0.0, 1e6);
  s.integer("output.snapshots", 100, "number of output times after t0 (diagnostics at each)", 1, 1e7);
  s.boolean("output.psi", true, "store psi at every output time (N complex numbers each)");
  return s;
}

namespace {

// Bytes per grid point (both spaces) a method holds: 16-byte complex arrays. ψ̂, ψ_x for output, FFTW's two
// buffers, the nonlinear term's x-space array, the integrator's work arrays, and for padding 3/2 × (2 FFTW
// buffers + x array + fine spectrum) + 2 exchange buffers.
double bytes_per_point(Method m, Dealias d) {
  double arrays = 6.0;  // ψ̂, output ψ_x, FFTW in/out, x_, FFTW-MPI's own scratch (measured: docs/nlse.md)
  switch (m) {
    case Method::erk43ip:
      arrays += 9;
      break;  // a b c d e k5 acc out + ψ̂ swap
    case Method::rk4ip:
      arrays += 6;
      break;
    case Method::strang:
    case Method::yoshida4:
      arrays += 0;
      break;
    case Method::dop853:
      arrays += 16 + 6;
      break;  // K0..K15, y_old, y_new, y_s, f, f_next, swap
    case Method::ipdop853:
      arrays += 16 + 8;
      break;  // + e^{Lch} y_s and the phase factors
  }
  if (d == Dealias::filter) arrays += 1;
  if (d == Dealias::padding) arrays += 1.5 * 4 + 2;
  return 16.0 * arrays;
}

struct Diagnostics {
  io::Series<double> time, mass, momentum, energy, error, steps, mi, hfilt;
  io::Series<std::complex<double>> psi;
};

}  // namespace

int run(app::Context& ctx) {
  const auto& c = ctx.config;
  const auto& comm = ctx.comm;
  const std::int64_t n = c.get_int("grid.points");
  Model model{c.get_real("model.beta"), c.get_real("model.g"), c.get_string("model.potential"), c.get_real("model.v0"),
              c.get_real("model.lattice_k")};
  Case cs;
  cs.name = c.get_string("case.name");
  cs.amplitude = c.get_real("case.amplitude"), cs.velocity = c.get_real("case.velocity");
  cs.position = c.get_real("case.position"), cs.phase = c.get_real("case.phase");
  cs.amplitude2 = c.get_real("case.amplitude2"), cs.velocity2 = c.get_real("case.velocity2");
  cs.position2 = c.get_real("case.position2");
  cs.a = c.get_real("case.a"), cs.p0 = c.get_real("case.p0"), cs.t0 = c.get_real("case.t0");
  cs.epsilon = c.get_real("case.epsilon"), cs.mode_k = c.get_real("case.mode_k");
  const auto method = method_from(c.get_string("time.method"));
  Dealiasing dealias;
  dealias.kind = dealias_from(c.get_string("model.dealiasing"));
  dealias.alpha = c.get_real("model.filter_alpha"), dealias.order = c.get_real("model.filter_order");
  dealias.kc = c.get_real("model.filter_kc");
  const double T = c.get_real("time.duration");
  const std::int64_t nout = c.get_int("output.snapshots");
  const bool store_psi = c.get_bool("output.psi");
  const auto seed = static_cast<std::uint64_t>(c.get_int("run.seed"));
  mpi::all_or_throw(comm, [&] {
    if (cs.has_exact() && (model.beta != 1.0 || model.g != 1.0 || model.potential != "none"))
      throw ConfigError("case.name = \"" + cs.name +
                        "\" is an exact solution of β = g = 1, V = 0; set model.beta = 1, "
                        "model.g = 1, model.potential = \"none\" (or use case.name = \"source_mi\")");
  });
  mpi::all_or_throw(comm, [&] {
    if (dealias.kind == Dealias::padding && n % 2 != 0)
      throw ConfigError(
          "model.dealiasing = \"padding\" needs an even grid.points (the padded grid has 3N/2 points), "
          "got " +
          std::to_string(n) + "; use an even N");
    if ((method == Method::strang || method == Method::yoshida4) &&
        (dealias.kind == Dealias::padding || dealias.kind == Dealias::filter))
      throw ConfigError("model.dealiasing = \"" + to_string(dealias.kind) +
                        "\" acts on a right-hand side; time.method = \"" + to_string(method) +
                        "\" has none (exact nonlinear flow): use model.dealiasing = \"none\" or "
                        "\"two_thirds\", or time.method = \"erk43-ip\", \"rk4ip\", \"dop853\" or \"ip-dop853\"");
  });
  app::require_memory(ctx, bytes_per_point(method, dealias.kind) * static_cast<double>(n) / comm.size(),
                      "grid.points = " + std::to_string(n) + " with time.method = " + to_string(method));

  Grid grid(comm, n, c.get_real("grid.x0"), c.get_real("grid.length"));
  Stepper stepper(grid, model, method, dealias);
  Controller ctl;
  ctl.h = dense_output(method) ? c.get_real("time.first_step") : c.get_real("time.dt");
  ctl.rtol = c.get_real("time.rtol"), ctl.atol = c.get_real("time.atol");
  ctl.hmax = c.get_real("time.max_step");

  checkpoint::Manager ckpt(comm, checkpoint::Params::from(c, ctx.output_dir), "nlse", schema_version);
  const std::string out_path = ctx.output_dir + "/" + c.get_string("run.output"), part = out_path + ".part";
  cvec psi_k;
  double t = cs.t0;
  std::int64_t next_out = 1, rows = 0;
  io::File out;
  Diagnostics d;
  const bool is_mi = cs.name == "cw_mi", filtered = dealias.kind == Dealias::filter;
  const std::string fsal_of = to_string(method) + " " + to_string(dealias.kind);
  auto open_series = [&](bool create) {
    const auto& r = out.root();
    if (create) {
      d.time = io::Series<double>(r, "time", 0, {"1", "output times", false, 0});
      d.mass = io::Series<double>(r, "mass", 0, {"1", "M = ∫|ψ|² dx", false, 0});
      d.momentum = io::Series<double>(r, "momentum", 0, {"1", "P = ∫ Im(ψ* ψ_x) dx", false, 0});
      d.energy = io::Series<double>(r, "energy", 0, {"1", "E = ∫ (β/2)|ψ_x|² − (g/2)|ψ|⁴ + V|ψ|² dx", false, 0});
      d.error =
          io::Series<double>(r, "max_error", 0, {"1", "max |ψ − ψ_exact| (NaN without an exact solution)", false, 0});
      d.steps = io::Series<double>(r, "steps", 0, {"1", "accepted steps so far", false, 0});
      if (store_psi)
        d.psi = io::Series<std::complex<double>>(r, "psi", static_cast<std::uint64_t>(n),
                                                 {"1", "ψ(x) at output times", false, 0});
      if (is_mi)
        d.mi =
            io::Series<double>(r, "mi_amplitude", 0, {"1", "√(|ψ̂_K|² + |ψ̂_−K|²)/N of the seeded modes ±K", false, 0});
      if (filtered)
        d.hfilt =
            io::Series<double>(r, "hamiltonian_filtered", 0,
                               {"1", "filter-consistent Hamiltonian H_σ (conserved by the filtered system)", false, 0});
    } else {
      d.time = io::Series<double>::open(r, "time"), d.mass = io::Series<double>::open(r, "mass");
      d.momentum = io::Series<double>::open(r, "momentum"), d.energy = io::Series<double>::open(r, "energy");
      d.error = io::Series<double>::open(r, "max_error"), d.steps = io::Series<double>::open(r, "steps");
      if (store_psi) d.psi = io::Series<std::complex<double>>::open(r, "psi");
      if (is_mi) d.mi = io::Series<double>::open(r, "mi_amplitude");
      if (filtered) d.hfilt = io::Series<double>::open(r, "hamiltonian_filtered");
    }
  };

  if (!ctx.restart.empty()) {
    const auto found = ckpt.resolve(ctx.restart, ctx.log);
    auto f = ckpt.open(found);
    const auto& r = f.root();
    mpi::all_or_throw(comm, [&] {
      if (r.shape("psi_k").at(0) != static_cast<std::uint64_t>(n))
        throw CheckpointError("checkpoint " + found.path + " has N = " + std::to_string(r.shape("psi_k").at(0)) +
                              " but grid.points = " + std::to_string(n));
    });
    psi_k = r.read_part<std::complex<double>>("psi_k", static_cast<std::uint64_t>(grid.k_start()),
                                              static_cast<std::uint64_t>(grid.k_count()));
    t = r.attr_double("t");
    next_out = r.attr_int("next_output");
    rows = r.attr_int("output_rows");
    const auto cs_state = r.attr_doubles("controller");
    ctl.h = cs_state.at(0), ctl.err_prev = cs_state.at(1);
    // The FSAL stage belongs to one right-hand side: a restart with another method or dealiasing recomputes it.
    if (r.has_attr("has_fsal") && r.attr_int("has_fsal") != 0 && r.has_attr("fsal_of") &&
        r.attr_string("fsal_of") == fsal_of)
      stepper.set_fsal(r.read_part<std::complex<double>>("fsal_k", static_cast<std::uint64_t>(grid.k_start()),
                                                         static_cast<std::uint64_t>(grid.k_count())));
    const auto counts = r.attr_ints("counters");
    ctl.accepted = counts.at(0), ctl.rejected = counts.at(1), ctl.rhs = counts.at(2);
    f.close();
    // The output holds the time series so far: continue it (a finished run being extended is reopened too).
    mpi::all_or_throw(comm, [&] {
      if (!comm.is_root()) return;
      if (!std::filesystem::exists(part) && std::filesystem::exists(out_path)) std::filesystem::rename(out_path, part);
      if (!std::filesystem::exists(part))
        throw CheckpointError("restart needs the output of the interrupted run (" + part + " or " + out_path +
                              "): it holds the time series written so far");
    });
    out = io::File::open(comm, part, true);
    open_series(false);
    for (auto* s : {&d.time, &d.mass, &d.momentum, &d.energy, &d.error, &d.steps})
      s->resize(static_cast<std::uint64_t>(rows));
    if (store_psi) d.psi.resize(static_cast<std::uint64_t>(rows));
    if (is_mi) d.mi.resize(static_cast<std::uint64_t>(rows));
    if (filtered) d.hfilt.resize(static_cast<std::uint64_t>(rows));
    ctx.log.info("restarted from " + found.path + " at t = " + std::to_string(t));
  } else {
    grid.to_k(initial_state(grid, cs, seed), psi_k);
    mpi::all_or_throw(comm, [&] {
      try {
        out = io::File::create(comm, part);
      } catch (const IoError& e) {
        throw InputError(e.what());
      }
    });
    io::write_provenance(out, {"nlse", c.to_toml(), ctx.command_line, seed, schema_version});
    std::vector<double> xs(static_cast<std::size_t>(grid.x_count()));
    for (std::int64_t j = 0; j < grid.x_count(); ++j) xs[static_cast<std::size_t>(j)] = grid.x(j);
    out.root().write_distributed<double>("x", xs, {"1", "grid points x_j = x0 + j L/N", false, 0});
    open_series(true);
  }

  // Diagnostics of ψ̂ = pk at time tt (an accepted state, or the dense output between two of them).
  auto record = [&](const cvec& pk, double tt) {
    const auto inv = invariants(grid, model, pk);
    cvec psi_x;
    grid.to_x(pk, psi_x);
    double err = NAN;
    if (cs.has_exact()) {
      double e = 0;
      for (std::int64_t j = 0; j < grid.x_count(); ++j)
        e = std::max(e, std::abs(psi_x[static_cast<std::size_t>(j)] - cs.exact(grid.x(j), tt)));
      err = comm.allreduce(e, mpi::Op::max);
    }
    const bool root = comm.is_root();
    auto one = [&](double v) { return root ? std::vector<double>{v} : std::vector<double>{}; };
    d.time.append(one(tt)), d.mass.append(one(inv.mass)), d.momentum.append(one(inv.momentum));
    d.energy.append(one(inv.energy)), d.error.append(one(err)), d.steps.append(one(static_cast<double>(ctl.accepted)));
    if (store_psi) d.psi.append(psi_x, static_cast<std::uint64_t>(grid.x_start()));
    if (is_mi) d.mi.append(one(mode_amplitude(grid, pk, cs.mode_k)));
    if (filtered) d.hfilt.append(one(filtered_hamiltonian(grid, model, pk, stepper.sigma())));
    ++rows;
    return std::pair{inv, err};
  };
  if (rows == 0) record(psi_k, t);

  const double t_end = cs.t0 + T;
  // Output time i (the last is t_end exactly).
  auto out_time = [&](std::int64_t i) {
    return i == nout ? t_end : cs.t0 + T * static_cast<double>(i) / static_cast<double>(nout);
  };
  log::Progress progress(ctx.log, "nlse", T, "time units");
  std::int64_t step = ctl.accepted;
  cvec dense_psi;
  while (next_out <= nout) {
    const double t_target = out_time(next_out);
    if (dense_output(method)) {
      // Steps are never shortened for output times (only the last one, to end at t_end); outputs inside a step
      // come from the 7th-order dense output, as scipy's solve_ivp(t_eval=...) gives them.
      if (t < t_end) t = stepper.advance_to(psi_k, t, t_end, ctl);
      while (next_out <= nout && out_time(next_out) <= t) {
        const double to = out_time(next_out);
        if (to == t) {
          record(psi_k, t);
        } else {
          stepper.dense(to, dense_psi, ctl);
          record(dense_psi, to);
        }
        ++next_out;
      }
    } else if (adaptive(method)) {
      const double h = stepper.advance(psi_k, t_target - t, ctl);
      t = (t_target - t - h <= 1e-12 * std::max(1.0, std::abs(t_target))) ? t_target : t + h;
    } else {
      const double dt = c.get_real("time.dt");
      const double remaining = t_target - t;
      const auto sub = static_cast<std::int64_t>(std::ceil(remaining / dt - 1e-9));
      const double h = remaining / static_cast<double>(std::max<std::int64_t>(sub, 1));
      stepper.advance(psi_k, h, ctl);
      t = (sub <= 1) ? t_target : t + h;
    }
    ++step;
    if (!dense_output(method) && t == t_target) {
      record(psi_k, t);
      ++next_out;
    }
    progress.update(t - cs.t0);
    const auto why = ckpt.due(step);
    if (why != checkpoint::Reason::none) {
      out.flush();
      const auto path = ckpt.write(step, [&](const io::Group& g) {
        const auto off = g.write_distributed<std::complex<double>>(
            "psi_k", psi_k, checkpoint::Manager::dataset_options("ψ̂ (FFT order)"));
        SAMPO_VERIFY(off == static_cast<std::uint64_t>(grid.k_start()), "k blocks are not in rank order");
        g.set_attr("t", t);
        g.set_attr("next_output", next_out);
        g.set_attr("output_rows", rows);
        // The FSAL right-hand side at ψ̂(t) (erk43-ip, dop853, ip-dop853): restored rather than recomputed.
        const auto& fsal = stepper.fsal();
        const std::int64_t has_fsal = comm.allreduce(static_cast<std::int64_t>(fsal.empty() ? 0 : 1), mpi::Op::max);
        g.set_attr("has_fsal", has_fsal);
        g.set_attr("fsal_of", fsal_of);
        if (has_fsal)
          g.write_distributed<std::complex<double>>(
              "fsal_k", fsal, checkpoint::Manager::dataset_options("FSAL stage f(ψ̂(t)) (FFT order)"));
        const std::vector<double> cstate = {ctl.h, ctl.err_prev};
        const std::vector<std::int64_t> counts = {ctl.accepted, ctl.rejected, ctl.rhs};
        g.set_attr("controller", std::span<const double>(cstate));
        g.set_attr("counters", std::span<const std::int64_t>(counts));
      });
      ctx.log.info("checkpoint (" + checkpoint::to_string(why) + ") at step " + std::to_string(step) + ": " + path);
      if (why == checkpoint::Reason::signal) {
        out.close();
        ctx.log.info("stopping after a signal at t = " + std::to_string(t) +
                     " (exit 85; restart with --restart latest)");
        return checkpoint::exit_requeue;
      }
    }
  }
  progress.finish();
  const auto& r = out.root();
  io::make_dimension_scale(r, "time", "time");
  for (const char* s : {"mass", "momentum", "energy", "max_error", "steps"})
    io::attach_dimension_scale(r, s, "time", 0);
  if (filtered) io::attach_dimension_scale(r, "hamiltonian_filtered", "time", 0);
  if (is_mi) {
    // Growth rate of the seeded modes: slope of ln a(t) past the decaying eigenmode's transient (t − t0 ≥ 3/σ) and
    // before saturation (a ≤ 1e-3 √P0), against σ(K). NaN when the mode is stable or the window holds < 3 outputs.
    io::attach_dimension_scale(r, "mi_amplitude", "time", 0);
    out.flush();
    const auto ts = r.read_all<double>("time"), as = r.read_all<double>("mi_amplitude");
    const double sigma = mi_growth_theory(model, cs.p0, cs.mode_k);
    std::vector<double> rel(ts.size());
    for (std::size_t i = 0; i < ts.size(); ++i) rel[i] = ts[i] - cs.t0;
    const double rate = sigma > 0 ? fit_growth_rate(rel, as, 3.0 / sigma, 1e-3 * std::sqrt(cs.p0)) : NAN;
    r.set_attr("mi_growth_rate", rate);
    r.set_attr("mi_growth_rate_theory", sigma);
    ctx.log.info("modulation instability at K = " + std::to_string(cs.mode_k) + ": measured growth rate " +
                 std::to_string(rate) + ", theory σ(K) = " + std::to_string(sigma));
  }
  io::make_dimension_scale(r, "x", "x");
  if (store_psi) {
    io::attach_dimension_scale(r, "psi", "time", 0);
    io::attach_dimension_scale(r, "psi", "x", 1);
  }
  const std::vector<std::int64_t> counts = {ctl.accepted, ctl.rejected, ctl.rhs,
                                            grid.fft_count() + stepper.padded_fft_count()};
  r.set_attr("counters_accepted_rejected_rhs_ffts", std::span<const std::int64_t>(counts));
  r.set_attr("method", to_string(method));
  r.set_attr("dealiasing", to_string(dealias.kind));
  r.set_attr("complete", static_cast<std::int64_t>(1));
  out.close();
  if (comm.is_root()) std::filesystem::rename(part, out_path);
  comm.barrier();
  const auto mass = io::File::open(comm, out_path).root().read_all<double>("mass");
  ctx.log.info("done: t = " + std::to_string(t) + ", " + std::to_string(ctl.accepted) + " steps (" +
               std::to_string(ctl.rejected) + " rejected), relative mass drift " +
               std::to_string(std::abs(mass.back() - mass.front()) / mass.front()) + "; output " + out_path);
  return 0;
}

}  // namespace sampo::nlse
