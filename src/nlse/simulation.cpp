#include "nlse/simulation.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <memory>
#include <numbers>

#include "core/checkpoint/checkpoint.hpp"
#include "core/error/error.hpp"
#include "core/io/hdf5.hpp"
#include "core/log/logger.hpp"
#include "nlse/diagnostics.hpp"
#include "nlse/petsc_ts.hpp"
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
           {"soliton", "two_soliton", "akhmediev", "akhmediev_tiled", "peregrine", "cw_mi", "source_mi",
            "source_two_soliton", "source_breather"});
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
  s.integer("case.tiles", 64,
            "akhmediev_tiled: spatial periods of the breather in the box (sets grid.length = tiles x period, "
            "grid.x0 = -length/2; grid.points must be a multiple of tiles)",
            1, 1e12);
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
  s.string("time.method", "erk43-ip", "integrator",
           {"erk43-ip", "rk4ip", "strang", "yoshida4", "kahan-li6", "suzuki-umeno8", "dop853", "ip-dop853", "petsc-ts",
            "etd-abm"});
  s.integer("time.order", 7,
            "etd-abm: steps k of the exponential Adams pair (predictor order k, corrector k + 1; its first k - 1 "
            "steps come from ip-dop853 with time.rtol/atol, at most 1e-10/1e-12)",
            1, 12);
  s.boolean("time.dense_output", false,
            "erk43-ip: output times from a cubic Hermite interpolant in the interaction picture, petsc-ts: from "
            "the PETSc scheme's interpolant (steps are not shortened to land on them); the DOP853 methods always "
            "use their 7th-order dense output");
  s.real("time.first_step", 0.0, "dop853, ip-dop853: first trial step (0: scipy's select_initial_step rule)", 0.0, 1e6);
  s.real("time.duration", 20.0, "integration time T (from case.t0 to case.t0 + T)", 0.0, 1e9);
  s.real("time.dt", 1e-3,
         "step of fixed-step methods (the largest h <= dt that divides the output interval); first trial step of "
         "adaptive ones",
         1e-12, 1e6);
  s.real("time.rtol", 1e-9, "relative tolerance (adaptive)", 1e-15, 1.0);
  s.real("time.atol", 1e-11, "absolute tolerance (adaptive)", 0.0, 1.0);
  s.real("time.max_step", 0.0, "largest step of adaptive methods (0: unlimited)", 0.0, 1e6);
  s.integer("output.snapshots", 100, "number of output times after t0 (diagnostics at each)", 1, 1e7);
  s.boolean("output.psi", true, "store psi at every output time (N complex numbers each)");
  s.integer("output.x_stride", 1, "store psi at every x_stride-th grid point (decimation for large N)", 1, 1e12);
  s.real_list("output.x_window", {}, "store psi only for x in [a, b) (empty: the whole box)");
  s.boolean("output.spectrum", true, "store the power spectrum at every output time");
  s.integer("output.k_stride", 1, "store the spectrum at every k_stride-th mode number |m|", 1, 1e12);
  s.real("output.k_max", 0.0, "store the spectrum only for |k| <= k_max (0: every mode)", 0.0, 1e12);
  s.string("fft.planner", "estimate",
           "FFTW planner rigour (measure/patient time the transforms at start; wisdom makes it a one-off)",
           {"estimate", "measure", "patient"});
  s.string("fft.wisdom", "auto",
           "FFTW wisdom file read at start and written after planning: auto (<run.output_dir>/nlse.wisdom), "
           "none, or a path");
  s.real("output.entropy_q", 2.0, "order q of the Renyi and Tsallis entropies (q = 1: Shannon)", 1e-3, 1e3);
  return s;
}

namespace {

// CPU seconds of this process (all its threads): the benchmark's throughput on a loaded machine, where wall time
// also counts the time other jobs hold the cores.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Bytes per grid point (both spaces) a method holds: 16-byte complex arrays. ψ̂, ψ_x for output, FFTW's two
// buffers, the nonlinear term's x-space array, the integrator's work arrays, and for padding 3/2 × (2 FFTW
// buffers + x array + fine spectrum) + 2 exchange buffers.
double bytes_per_point(Method m, Dealias d, int order) {
  // ψ̂, output ψ_x, FFTW's one in-place buffer, FFTW-MPI's own scratch, the diagnostics' transient ψ(x) and spectrum
  // row, and the x and k grids (two real arrays: one complex-sized). Before the in-place transforms and the fused
  // stage loops (no x-space work array, no FFTW output buffer) the base was 9 arrays and measured 153 bytes per point
  // for yoshida4 at N = 2^27 (docs/nlse.md).
  double arrays = 7.0;
  switch (m) {
    case Method::erk43ip:
      arrays += 9;
      break;  // a b d e k5 acc out + ψ̂ swap + cached e^{Lh/2}
    case Method::rk4ip:
      arrays += 3;
      break;  // a acc + cached e^{Lh/2}
    case Method::strang:
    case Method::yoshida4:
    case Method::kahanli6:
    case Method::suzukiumeno8:
      break;  // e^{Lc_j h} generated inside the k passes (nothing stored)
    case Method::dop853:
      arrays += 16 + 6;
      break;  // K0..K15, y_old, y_new, y_s, f, f_next, swap
    case Method::ipdop853:
      arrays += 16 + 8;
      break;  // + e^{Lch}y_s and the phase factors
    case Method::petscts:
      arrays += 17 + 3;
      break;  // TSRK 5dp: 7 stages Y, 7 RHS, solution, 2 work (2N reals each); e^{Ls}v, N̂, phases
    case Method::etdabm:
      arrays += std::max(2.0 * order + 3, order + 16.0 + 8);
      break;  // weights k + 2, history k, the corrector's sum; during the first k steps history + ip-dop853's
  }
  // Filter: the filtered Hamiltonian's transient σψ̂ and the σ(k) table with its companions (measured +32 bytes per
  // point, 2026-11-30). Padding: 3N/2: FFTW buffer, spectrum, x work; N: in, out, send, recv, and FFTW-MPI's scratch
  // of the fine plans (measured +148 bytes per point).
  if (d == Dealias::filter) arrays += 2;
  if (d == Dealias::padding) arrays += 1.5 * 3 + 5;
  return 16.0 * arrays;
}

// The output columns of a distributed axis: local indices whose global index passes `keep`, in global order, and
// their offset in the output row (blocks are in rank order, as FFTW-MPI distributes them). Collective.
struct Columns {
  std::vector<std::int64_t> local;  // empty when every local index is kept (`all`): no 8 bytes per point
  bool all = false;
  std::int64_t count = 0;  // local columns
  std::uint64_t offset = 0, total = 0;
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(count); }
  [[nodiscard]] std::size_t at(std::size_t i) const noexcept { return all ? i : static_cast<std::size_t>(local[i]); }
};
template <class Keep>
Columns select_columns(const mpi::Communicator& comm, std::int64_t start, std::int64_t count, Keep keep) {
  Columns c;
  for (std::int64_t j = 0; j < count; ++j)
    if (keep(start + j)) c.local.push_back(j);
  c.count = static_cast<std::int64_t>(c.local.size());
  if (c.count == count) c.all = true, c.local = {};
  const auto counts = comm.allgather(c.count);
  const auto starts = comm.allgather(start);
  for (std::size_t r = 0; r < counts.size(); ++r) {
    c.total += static_cast<std::uint64_t>(counts[r]);
    if (starts[r] < start && counts[r] > 0) c.offset += static_cast<std::uint64_t>(counts[r]);
  }
  return c;
}

struct Diagnostics {
  io::Series<double> time, mass, momentum, energy, error, steps, mi, hfilt;
  io::Series<double> rejected, rhs, ffts, entropy_x, entropy_k;  // every run
  io::Series<double> sol_pos, sol_phase, sol_shift;              // two_soliton
  io::Series<double> spectrum;
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
  cs.tiles = c.get_int("case.tiles");
  // akhmediev_tiled: `tiles` whole periods of the breather, the same samples in each (weak scaling: grow
  // grid.points and case.tiles together, so the work per rank and the resolution stay fixed).
  const bool tiled = cs.name == "akhmediev_tiled";
  const double box_length = tiled ? static_cast<double>(cs.tiles) * cs.akhmediev_period() : c.get_real("grid.length");
  const double box_x0 = tiled ? -0.5 * box_length : c.get_real("grid.x0");
  mpi::all_or_throw(comm, [&] {
    if (tiled && n % cs.tiles != 0)
      throw ConfigError(
          "case.name = \"akhmediev_tiled\" needs grid.points a multiple of case.tiles (the same "
          "samples in every period); got grid.points = " +
          std::to_string(n) + ", case.tiles = " + std::to_string(cs.tiles) +
          ": set grid.points = case.tiles x points per period");
  });
  const auto method = method_from(c.get_string("time.method"));
  const int order = static_cast<int>(c.get_int("time.order"));
  Dealiasing dealias;
  dealias.kind = dealias_from(c.get_string("model.dealiasing"));
  dealias.alpha = c.get_real("model.filter_alpha"), dealias.order = c.get_real("model.filter_order");
  dealias.kc = c.get_real("model.filter_kc");
  const bool erk_dense = method == Method::erk43ip && c.get_bool("time.dense_output");
  const bool ts_dense = method == Method::petscts && c.get_bool("time.dense_output");
  mpi::all_or_throw(comm, [&] {
    if (c.get_bool("time.dense_output") && method != Method::erk43ip && method != Method::petscts &&
        !dense_output(method))
      throw ConfigError(
          "time.dense_output = true is for time.method = \"erk43-ip\" or \"petsc-ts\" (the DOP853 methods always "
          "use their dense output); time.method = \"" +
          to_string(method) + "\" lands its steps on the output times: set time.dense_output = false");
  });
  const double T = c.get_real("time.duration");
  const std::int64_t nout = c.get_int("output.snapshots");
  // etd-abm's step: the output interval T/nout over the least whole number of steps no longer than time.dt.
  const double interval = T / static_cast<double>(nout);
  const double h_multistep =
      interval / std::max(1.0, std::ceil(interval / c.get_real("time.dt") - 1e-9));
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
    if (split_step(method) &&
        (dealias.kind == Dealias::padding || dealias.kind == Dealias::filter))
      throw ConfigError("model.dealiasing = \"" + to_string(dealias.kind) +
                        "\" acts on a right-hand side; time.method = \"" + to_string(method) +
                        "\" has none (exact nonlinear flow): use model.dealiasing = \"none\" or "
                        "\"two_thirds\", or time.method = \"erk43-ip\", \"rk4ip\", \"dop853\" or \"ip-dop853\"");
  });
  app::require_memory(ctx, bytes_per_point(method, dealias.kind, order) * static_cast<double>(n) / comm.size(),
                      "grid.points = " + std::to_string(n) + " with time.method = " + to_string(method));

  // FFTW wisdom: imported before planning, so a run with the same N, rank count and threads reuses the plans.
  const std::string wisdom_key = c.get_string("fft.wisdom");
  const std::string wisdom =
      wisdom_key == "none" ? "" : (wisdom_key == "auto" ? ctx.output_dir + "/nlse.wisdom" : wisdom_key);
  const bool wisdom_read = !wisdom.empty() && import_wisdom(comm, wisdom);
  if (tiled)
    ctx.log.info("akhmediev_tiled: " + std::to_string(cs.tiles) + " periods, grid.length = " +
                 std::to_string(box_length) + ", grid.x0 = " + std::to_string(box_x0) + " (deck values ignored)");
  Grid grid(comm, n, box_x0, box_length, planner_from(c.get_string("fft.planner")));
  Stepper stepper(grid, model, method, dealias, order);
  // petsc-ts: PETSc's session (options after "--") outlives the TS.
  std::unique_ptr<petsc::Session> petsc_session;
  std::unique_ptr<PetscTs> petsc_ts;
  const bool plans_from_wisdom = grid.from_wisdom() && stepper.padded_from_wisdom();
  const bool wisdom_written = !wisdom.empty() && export_wisdom(comm, wisdom);
  if (!wisdom.empty() && !wisdom_written)
    ctx.log.warn("cannot write the FFTW wisdom file " + wisdom + " (fft.wisdom); the plans are not saved");
  ctx.log.info(
      std::string("FFTW plans ") +
      (plans_from_wisdom ? "from wisdom " + wisdom : std::string("made (") + c.get_string("fft.planner") + ")") +
      (wisdom_read || !wisdom_written ? "" : "; wisdom written to " + wisdom));
  if (!plans_from_wisdom && grid.fft_threads() > 1 && grid.planner() == FFTW_ESTIMATE)
    ctx.log.info("FFTW plans its " + std::to_string(grid.fft_threads()) +
                 "-thread transforms by estimate, which can be slower than serial ones (N = 2^20 on a 2-core VM: "
                 "11.7 against 10.4 ms); fft.planner = \"measure\" times them (6.6 ms there; docs/nlse.md)");
  // Output columns: ψ at every x_stride-th point of the window, the spectrum at |m| % k_stride = 0, |k| <= k_max.
  const auto xw = c.get_real_list("output.x_window");
  mpi::all_or_throw(comm, [&] {
    if (!xw.empty() && (xw.size() != 2 || !(xw[0] < xw[1])))
      throw ConfigError("output.x_window = [a, b] needs two values with a < b (got " + std::to_string(xw.size()) +
                        " values); leave it empty for the whole box");
  });
  const std::int64_t xs_stride = c.get_int("output.x_stride"), ks_stride = c.get_int("output.k_stride");
  const double k_max = c.get_real("output.k_max");
  const auto xcols = select_columns(comm, grid.x_start(), grid.x_count(), [&](std::int64_t j) {
    const double x = grid.x0() + static_cast<double>(j) * grid.dx();
    return j % xs_stride == 0 && (xw.empty() || (x >= xw[0] && x < xw[1]));
  });
  const auto kcols = select_columns(comm, grid.k_start(), grid.k_count(), [&](std::int64_t j) {
    const std::int64_t m = j < (n + 1) / 2 ? j : j - n;
    const double k = 2.0 * std::numbers::pi * static_cast<double>(m) / grid.length();
    return std::abs(m) % ks_stride == 0 && (k_max == 0.0 || std::abs(k) <= k_max);
  });
  const bool store_spectrum = c.get_bool("output.spectrum");
  mpi::all_or_throw(comm, [&] {
    if (store_psi && xcols.total == 0)
      throw ConfigError("output.x_window selects no grid point; widen it or set output.psi = false");
    if (store_spectrum && kcols.total == 0)
      throw ConfigError("output.k_max = " + std::to_string(k_max) + " selects no mode; raise it or set it to 0");
  });
  Controller ctl;
  ctl.h = dense_output(method) ? c.get_real("time.first_step") : c.get_real("time.dt");
  ctl.rtol = c.get_real("time.rtol"), ctl.atol = c.get_real("time.atol");
  ctl.hmax = c.get_real("time.max_step");
  if (method != Method::petscts && !ctx.extra_args.empty())
    ctx.log.warn("options after \"--\" are PETSc's and only time.method = \"petsc-ts\" reads them; ignored");
  if (method == Method::petscts) {
    petsc_session = std::make_unique<petsc::Session>(comm, ctx.extra_args);
    petsc_ts = std::make_unique<PetscTs>(*petsc_session, grid, stepper, ctl);
    // The same options, so the same answers, on every rank.
    const int interp_order = petsc_ts->interpolation_order();
    const std::string problem = petsc_ts->option_problem();
    ctx.log.info("petsc-ts: PETSc TS " + petsc_ts->describe() + " (options prefix -nlse_)" +
                 (ts_dense ? "; outputs from its interpolant (TSInterpolate, tableau p = " +
                                 std::to_string(interp_order) + ")"
                           : std::string()));
    mpi::all_or_throw(comm, [&] {
      if (!problem.empty()) throw ConfigError(problem + " (options after \"--\")");
      if (ts_dense && interp_order < 2)
        throw ConfigError("time.dense_output = true with time.method = \"petsc-ts\" needs a PETSc TSRK scheme with "
                          "a dense-output formula; PETSc TS " + petsc_ts->describe() +
                          (interp_order == 1 ? " has only the linear (first-order) interpolant" : " has none") +
                          ": choose one that has (-nlse_ts_rk_type 5dp, the default) or set time.dense_output = false");
    });
  }

  checkpoint::Manager ckpt(comm, checkpoint::Params::from(c, ctx.output_dir), "nlse", schema_version);
  const std::string out_path = ctx.output_dir + "/" + c.get_string("run.output"), part = out_path + ".part";
  cvec psi_k;
  double t = cs.t0;
  std::int64_t next_out = 1, rows = 0;
  io::File out;
  Diagnostics d;
  const bool is_mi = cs.name == "cw_mi", filtered = dealias.kind == Dealias::filter, is_two = cs.name == "two_soliton";
  const double entropy_q = c.get_real("output.entropy_q");
  // FFT count of the integrator: all transforms of both grids minus those of setup and diagnostics, plus the count
  // restored from a checkpoint (fft_base), so the series continues across restarts.
  std::int64_t fft_base = 0, fft_excluded = 0;
  auto all_ffts = [&] { return grid.fft_count() + stepper.padded_fft_count(); };
  auto integrator_ffts = [&] { return fft_base + all_ffts() - fft_excluded; };
  auto all_fft_seconds = [&] { return grid.fft_seconds() + stepper.padded_fft_seconds(); };
  const std::string fsal_of = to_string(method) + " " + to_string(dealias.kind);
  const std::string multistep_of = fsal_of + " k=" + std::to_string(order);  // whose etd-abm history a checkpoint holds
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
        d.psi = io::Series<std::complex<double>>(r, "psi", xcols.total, {"1", "ψ(x) at output times", false, 0});
      if (store_spectrum)
        d.spectrum = io::Series<double>(
            r, "spectrum", kcols.total,
            {"1", "power spectrum S(k) = dx²|ψ̂_k|²/(2π) (Σ S dk = M) at the modes of /k, FFT order", false, 0});
      if (is_mi)
        d.mi =
            io::Series<double>(r, "mi_amplitude", 0, {"1", "√(|ψ̂_K|² + |ψ̂_−K|²)/N of the seeded modes ±K", false, 0});
      if (filtered)
        d.hfilt =
            io::Series<double>(r, "hamiltonian_filtered", 0,
                               {"1", "filter-consistent Hamiltonian H_σ (conserved by the filtered system)", false, 0});
      d.rejected = io::Series<double>(r, "rejected", 0, {"1", "rejected steps so far", false, 0});
      d.rhs =
          io::Series<double>(r, "rhs_evaluations", 0, {"1", "nonlinear right-hand-side evaluations so far", false, 0});
      d.ffts = io::Series<double>(
          r, "ffts", 0, {"1", "FFTs of the integrator so far (N grid and padded grid; not diagnostics)", false, 0});
      d.entropy_x = io::Series<double>(r, "entropy_x", 3,
                                       {"1", "Shannon, Renyi_q, Tsallis_q differential entropies of |ψ|²/M", false, 0});
      d.entropy_k = io::Series<double>(
          r, "entropy_k", 3,
          {"1", "Shannon, Renyi_q, Tsallis_q differential entropies of the normalised power spectrum", false, 0});
      r.set_attr("q", entropy_q, "entropy_x");
      r.set_attr("q", entropy_q, "entropy_k");
      if (is_two) {
        d.sol_pos = io::Series<double>(r, "soliton_position", 2, {"1", "measured centres c1, c2 (max |ψ|)", false, 0});
        d.sol_phase = io::Series<double>(r, "soliton_phase", 2, {"rad", "arg ψ(c1), arg ψ(c2)", false, 0});
        d.sol_shift = io::Series<double>(
            r, "soliton_shift", 4,
            {"1", "Δx1, Δx2, Δθ1, Δθ2 against free motion (NaN while the solitons overlap)", false, 0});
      }
    } else {
      d.time = io::Series<double>::open(r, "time"), d.mass = io::Series<double>::open(r, "mass");
      d.momentum = io::Series<double>::open(r, "momentum"), d.energy = io::Series<double>::open(r, "energy");
      d.error = io::Series<double>::open(r, "max_error"), d.steps = io::Series<double>::open(r, "steps");
      if (store_psi) d.psi = io::Series<std::complex<double>>::open(r, "psi");
      if (store_spectrum) d.spectrum = io::Series<double>::open(r, "spectrum");
      if (is_mi) d.mi = io::Series<double>::open(r, "mi_amplitude");
      if (filtered) d.hfilt = io::Series<double>::open(r, "hamiltonian_filtered");
      d.rejected = io::Series<double>::open(r, "rejected"), d.rhs = io::Series<double>::open(r, "rhs_evaluations");
      d.ffts = io::Series<double>::open(r, "ffts");
      d.entropy_x = io::Series<double>::open(r, "entropy_x"), d.entropy_k = io::Series<double>::open(r, "entropy_k");
      if (is_two) {
        d.sol_pos = io::Series<double>::open(r, "soliton_position");
        d.sol_phase = io::Series<double>::open(r, "soliton_phase");
        d.sol_shift = io::Series<double>::open(r, "soliton_shift");
      }
    }
  };
  auto all_series = [&] {
    std::vector<io::Series<double>*> v = {&d.time,     &d.mass, &d.momentum, &d.energy,    &d.error,    &d.steps,
                                          &d.rejected, &d.rhs,  &d.ffts,     &d.entropy_x, &d.entropy_k};
    if (is_mi) v.push_back(&d.mi);
    if (filtered) v.push_back(&d.hfilt);
    if (is_two) v.insert(v.end(), {&d.sol_pos, &d.sol_phase, &d.sol_shift});
    return v;
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
    const auto read_k = [&](const char* name) {
      const auto v = r.read_part<std::complex<double>>(name, static_cast<std::uint64_t>(grid.k_start()),
                                                       static_cast<std::uint64_t>(grid.k_count()));
      return cvec(v.begin(), v.end());
    };
    psi_k = read_k("psi_k");
    t = r.attr_double("t");
    next_out = r.attr_int("next_output");
    rows = r.attr_int("output_rows");
    const auto cs_state = r.attr_doubles("controller");
    ctl.h = cs_state.at(0), ctl.err_prev = cs_state.at(1);
    // The FSAL stage belongs to one right-hand side: a restart with another method or dealiasing recomputes it.
    if (r.has_attr("has_fsal") && r.attr_int("has_fsal") != 0 && r.has_attr("fsal_of") &&
        r.attr_string("fsal_of") == fsal_of)
      stepper.set_fsal(read_k("fsal_k"));
    // etd-abm's history, when it belongs to the same right-hand side, order and step (else the start is repeated).
    if (method == Method::etdabm && r.has_attr("multistep_count") && r.attr_int("multistep_count") > 0) {
      if (r.attr_string("multistep_of") == multistep_of &&
          r.attr_double("multistep_h") == h_multistep) {
        std::vector<cvec> hist;
        for (std::int64_t age = 0; age < r.attr_int("multistep_count"); ++age)
          hist.push_back(read_k(("multistep_k_" + std::to_string(age)).c_str()));
        stepper.set_multistep_state(h_multistep, hist);
      } else {
        ctx.log.warn("the checkpoint's etd-abm history belongs to another step, order or right-hand side (" +
                     r.attr_string("multistep_of") + ", h = " + std::to_string(r.attr_double("multistep_h")) +
                     "); the multistep start is repeated from this state");
      }
    }
    const auto counts = r.attr_ints("counters");
    ctl.accepted = counts.at(0), ctl.rejected = counts.at(1), ctl.rhs = counts.at(2);
    // The integrator's FFTs before the checkpoint (older checkpoints without it: counted from here).
    fft_base = counts.size() > 3 ? counts.at(3) : 0;
    fft_excluded = all_ffts();
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
    for (auto* s : all_series()) s->resize(static_cast<std::uint64_t>(rows));
    if (store_psi) d.psi.resize(static_cast<std::uint64_t>(rows));
    if (store_spectrum) d.spectrum.resize(static_cast<std::uint64_t>(rows));
    ctx.log.info("restarted from " + found.path + " at t = " + std::to_string(t));
  } else {
    grid.to_k(initial_state(grid, cs, seed), psi_k);
    fft_excluded = all_ffts();
    mpi::all_or_throw(comm, [&] {
      try {
        out = io::File::create(comm, part);
      } catch (const IoError& e) {
        throw InputError(e.what());
      }
    });
    io::write_provenance(out, {"nlse", c.to_toml(), ctx.command_line, seed, schema_version});
    std::vector<double> xs, ks;
    for (std::size_t i = 0; i < xcols.size(); ++i) xs.push_back(grid.x(static_cast<std::int64_t>(xcols.at(i))));
    for (std::size_t i = 0; i < kcols.size(); ++i) ks.push_back(grid.k(static_cast<std::int64_t>(kcols.at(i))));
    out.root().write_distributed<double>(
        "x", xs,
        {"1", "grid points x_j = x0 + j L/N of the /psi columns (output.x_stride, output.x_window)", false, 0});
    out.root().write_distributed<double>(
        "k", ks, {"1", "wavenumbers 2πm/L of the /spectrum columns, FFT order (output.k_stride, k_max)", false, 0});
    out.root().set_attr("x_stride", xs_stride, "x");
    out.root().set_attr("k_stride", ks_stride, "k");
    open_series(true);
  }

  // Diagnostics of ψ̂ = pk at time tt (an accepted state, or the dense output between two of them).
  double wall_record = 0, cpu_record = 0;  // seconds in record() (diagnostics and output) since this start
  double fft_record = 0;                   // of which inside FFTW (diagnostics' transforms)
  auto record = [&](const cvec& pk, double tt) {
    const auto wall0 = std::chrono::steady_clock::now();
    const double cpu0 = cpu_seconds(), fft0 = all_fft_seconds();
    const auto ffts_before = all_ffts();
    const auto inv = invariants(grid, model, pk);
    // The mass is a sum over all ranks, so every rank stops here together: one message, exit 2 (the output stays
    // a .part file).
    if (!std::isfinite(inv.mass))
      throw ConfigError("the solution is no longer finite at t = " + std::to_string(tt) + " (time.method = \"" +
                            to_string(method) + "\", time.dt = " + std::to_string(c.get_real("time.dt")) +
                            "): the step is beyond the method's stability; lower time.dt" +
                            (adaptive(method) ? " or time.rtol" : std::string()) +
                            (method == Method::etdabm && order > 7 ? " or time.order (7 is stable)" : std::string()),
                        true);
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
    if (store_psi) {
      if (xcols.all) {
        d.psi.append(psi_x, xcols.offset);
      } else {
        std::vector<std::complex<double>> v(xcols.size());
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = psi_x[xcols.at(i)];
        d.psi.append(v, xcols.offset);
      }
    }
    if (store_spectrum) {
      const double s = grid.dx() * grid.dx() / (2.0 * std::numbers::pi);
      std::vector<double> v(kcols.size());
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = s * std::norm(pk[kcols.at(i)]);
      d.spectrum.append(v, kcols.offset);
    }
    if (is_mi) d.mi.append(one(mode_amplitude(grid, pk, cs.mode_k)));
    if (filtered) d.hfilt.append(one(filtered_hamiltonian(grid, model, pk, stepper.sigma())));
    const auto ent = field_entropies(grid, psi_x, pk, entropy_q);
    auto three = [&](const Entropies& e) {
      return root ? std::vector<double>{e.shannon, e.renyi, e.tsallis} : std::vector<double>{};
    };
    d.entropy_x.append(three(ent[0])), d.entropy_k.append(three(ent[1]));
    if (is_two) {
      const auto sh = measure_two_soliton(grid, pk, psi_x, cs, tt);
      auto row = [&](std::initializer_list<double> v) { return root ? std::vector<double>(v) : std::vector<double>{}; };
      d.sol_pos.append(row({sh.position[0], sh.position[1]})), d.sol_phase.append(row({sh.phase[0], sh.phase[1]}));
      d.sol_shift.append(row({sh.dx[0], sh.dx[1], sh.dtheta[0], sh.dtheta[1]}));
    }
    fft_excluded += all_ffts() - ffts_before;
    d.rejected.append(one(static_cast<double>(ctl.rejected))), d.rhs.append(one(static_cast<double>(ctl.rhs)));
    d.ffts.append(one(static_cast<double>(integrator_ffts())));
    ++rows;
    wall_record += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    cpu_record += cpu_seconds() - cpu0;
    fft_record += all_fft_seconds() - fft0;
    return std::pair{inv, err};
  };
  if (rows == 0) record(psi_k, t);

  const double t_end = cs.t0 + T;
  // Output time i (the last is t_end exactly).
  auto out_time = [&](std::int64_t i) {
    return i == nout ? t_end : cs.t0 + T * static_cast<double>(i) / static_cast<double>(nout);
  };
  log::Progress progress(ctx.log, "nlse", T, "time units");
  if (method != Method::etdabm && c.given("time.order"))
    ctx.log.warn("time.order = " + std::to_string(order) + " is ignored: only time.method = \"etd-abm\" uses it (\"" +
                 to_string(method) + "\" has a fixed order); remove the key or set time.method = \"etd-abm\"");
  if (method == Method::etdabm && order > 7)
    ctx.log.warn("time.order = " + std::to_string(order) +
                 ": exponential Adams pairs above k = 7 grow spurious modes on modulationally unstable backgrounds "
                 "(breathers, CW; docs/nlse.md); check the result against k = 7");
  if (method == Method::etdabm)
    ctx.log.info("etd-abm: k = " + std::to_string(order) + ", h = " + std::to_string(h_multistep) + " (" +
                 std::to_string(std::llround(T / static_cast<double>(nout) / h_multistep)) + " steps per output)");
  std::int64_t step = ctl.accepted;
  cvec dense_psi, ms_buf;
  const auto wall_loop0 = std::chrono::steady_clock::now();
  const double cpu_loop0 = cpu_seconds(), fft_loop0 = all_fft_seconds() - fft_record;
  const std::int64_t steps0 = ctl.accepted;
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
    } else if (erk_dense || ts_dense) {  // step towards the end; outputs inside the step from the interpolant
      const double t_old = t;
      const double h = ts_dense ? petsc_ts->advance(psi_k, t, t_end - t, ctl) : stepper.advance(psi_k, t_end - t, ctl);
      t = (t_end - t - h <= 1e-12 * std::max(1.0, std::abs(t_end))) ? t_end : t + h;
      while (next_out <= nout && out_time(next_out) <= t) {
        const double to = out_time(next_out);
        if (to == t) {
          record(psi_k, t);
        } else {
          if (ts_dense) {
            petsc_ts->interpolate(to, dense_psi);
          } else {
            stepper.erk43_dense(t_old, t, to, psi_k, dense_psi);
          }
          record(dense_psi, to);
        }
        ++next_out;
      }
    } else if (adaptive(method)) {
      const double h =
          petsc_ts ? petsc_ts->advance(psi_k, t, t_target - t, ctl) : stepper.advance(psi_k, t_target - t, ctl);
      t = (t_target - t - h <= 1e-12 * std::max(1.0, std::abs(t_target))) ? t_target : t + h;
    } else if (method == Method::etdabm) {
      // One h for the whole run (the multistep weights and history are spaced by it): the output interval over the
      // least whole number of steps no longer than time.dt. The equation is autonomous, so t is only a label and
      // lands on the output time at its last step.
      const auto sub = static_cast<std::int64_t>(std::llround((t_target - t) / h_multistep));
      stepper.advance(psi_k, h_multistep, ctl);
      t = (sub <= 1) ? t_target : t + h_multistep;
    } else {
      const double dt = c.get_real("time.dt");
      const double remaining = t_target - t;
      const auto sub = static_cast<std::int64_t>(std::ceil(remaining / dt - 1e-9));
      const double h = remaining / static_cast<double>(std::max<std::int64_t>(sub, 1));
      stepper.advance(psi_k, h, ctl);
      t = (sub <= 1) ? t_target : t + h;
    }
    ++step;
    if (!dense_output(method) && !erk_dense && !ts_dense && t == t_target) {
      record(psi_k, t);
      ++next_out;
    }
    progress.update(t - cs.t0);
    const bool stop = ckpt.after_step(step, "step", ctx.log, [&] {
      out.flush();
      return ckpt.write(step, [&](const io::Group& g) {
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
        // etd-abm: N̂ at the last states (newest first) and their spacing.
        const int count = stepper.multistep_count();
        g.set_attr("multistep_count", static_cast<std::int64_t>(count));
        g.set_attr("multistep_h", stepper.multistep_h());
        g.set_attr("multistep_of", multistep_of);
        for (int age = 0; age < count; ++age) {
          stepper.multistep_history(age, ms_buf);
          g.write_distributed<std::complex<double>>(
              "multistep_k_" + std::to_string(age), ms_buf,
              checkpoint::Manager::dataset_options("etd-abm history: N̂ at the state `age` steps back (FFT order)"));
        }
        const std::vector<double> cstate = {ctl.h, ctl.err_prev};
        const std::vector<std::int64_t> counts = {ctl.accepted, ctl.rejected, ctl.rhs, integrator_ffts()};
        g.set_attr("controller", std::span<const double>(cstate));
        g.set_attr("counters", std::span<const std::int64_t>(counts));
      });
    });
    if (stop) {
      out.close();
      return checkpoint::exit_requeue;
    }
  }
  progress.finish();
  // Throughput of this start (benchmarks): loop wall time, the part spent in diagnostics and output, the steps.
  const std::vector<double> walls = {
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_loop0).count(), wall_record,
      static_cast<double>(ctl.accepted - steps0)};
  const std::vector<double> cpus = {cpu_seconds() - cpu_loop0, cpu_record};
  // Wall seconds inside the integrator's transforms in this start's loop (record()'s excluded).
  const double fft_loop = all_fft_seconds() - fft_record - fft_loop0;
  const auto& r = out.root();
  io::make_dimension_scale(r, "time", "time");
  for (const char* s : {"mass", "momentum", "energy", "max_error", "steps", "rejected", "rhs_evaluations", "ffts",
                        "entropy_x", "entropy_k"})
    io::attach_dimension_scale(r, s, "time", 0);
  if (is_two) {
    for (const char* s : {"soliton_position", "soliton_phase", "soliton_shift"})
      io::attach_dimension_scale(r, s, "time", 0);
    // The asymptotic shifts against the last output's measurement (t − t0 past the collision for a useful test).
    const auto th = two_soliton_shift_theory(cs);
    r.set_attr("soliton_shift_theory", std::span<const double>(th.data(), th.size()));
    out.flush();
    const auto sh = r.read_all<double>("soliton_shift");
    const std::vector<double> last(sh.end() - 4, sh.end());
    r.set_attr("soliton_shift_measured", std::span<const double>(last));
    ctx.log.info("two-soliton shifts at t = " + std::to_string(t) + ": Δx = (" + std::to_string(last[0]) + ", " +
                 std::to_string(last[1]) + "), Δθ = (" + std::to_string(last[2]) + ", " + std::to_string(last[3]) +
                 "); theory (" + std::to_string(th[0]) + ", " + std::to_string(th[1]) + "), (" + std::to_string(th[2]) +
                 ", " + std::to_string(th[3]) + ")");
  }
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
  io::make_dimension_scale(r, "k", "k");
  if (store_spectrum) {
    io::attach_dimension_scale(r, "spectrum", "time", 0);
    io::attach_dimension_scale(r, "spectrum", "k", 1);
  }
  if (store_psi) {
    io::attach_dimension_scale(r, "psi", "time", 0);
    io::attach_dimension_scale(r, "psi", "x", 1);
  }
  const std::vector<std::int64_t> counts = {ctl.accepted, ctl.rejected, ctl.rhs, integrator_ffts()};
  r.set_attr("counters_accepted_rejected_rhs_ffts", std::span<const std::int64_t>(counts));
  r.set_attr("method", to_string(method));
  r.set_attr("dealiasing", to_string(dealias.kind));
  r.set_attr("fftw_planner", c.get_string("fft.planner"));
  r.set_attr("wall_seconds_loop_record_steps", std::span<const double>(walls));
  r.set_attr("cpu_seconds_loop_record", std::span<const double>(cpus));
  r.set_attr("wall_seconds_loop_fft", fft_loop);
  r.set_attr("fftw_plans_from_wisdom", static_cast<std::int64_t>(plans_from_wisdom ? 1 : 0));
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
