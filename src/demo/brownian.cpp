#include "demo/brownian.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "core/checkpoint/checkpoint.hpp"
#include "core/error/error.hpp"
#include "core/io/hdf5.hpp"
#include "core/rng/stream.hpp"

namespace sampo::demo {

config::Schema Params::schema() {
  config::Schema s;
  s.integer("demo.walkers", 100000, "number of walkers (sharded across ranks)", 1, 1e12);
  s.integer("demo.steps", 1000, "number of steps", 0, 1e12);
  s.real("demo.sigma", 1.0, "standard deviation of one increment", 0.0, 1e6);
  s.integer("demo.output_every", 10, "record the mean square displacement every this many steps", 1, 1e12);
  return s;
}

Params Params::from(const config::Config& c) {
  Params p;
  p.walkers = c.get_int("demo.walkers");
  p.steps = c.get_int("demo.steps");
  p.sigma = c.get_real("demo.sigma");
  p.output_every = c.get_int("demo.output_every");
  return p;
}

namespace {

void advance(std::vector<double>& x, std::uint64_t first, std::uint64_t seed, double sigma, std::int64_t step) {
  const auto n = static_cast<std::int64_t>(x.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    rng::Stream s(seed, rng::purpose_walk, first + static_cast<std::uint64_t>(i), static_cast<std::uint32_t>(step));
    x[static_cast<std::size_t>(i)] += sigma * s.normal();
  }
}

double mean_square(const mpi::Communicator& comm, const std::vector<double>& x, std::int64_t total) {
  double local = 0.0;
  for (double v : x) local += v * v;
  return comm.allreduce(local, mpi::Op::sum) / static_cast<double>(total);
}

}  // namespace

std::vector<double> positions(std::uint64_t seed, double sigma, std::int64_t step, std::uint64_t first,
                              std::uint64_t count) {
  std::vector<double> x(count, 0.0);
  for (std::int64_t t = 0; t < step; ++t) advance(x, first, seed, sigma, t);
  return x;
}

int run(app::Context& ctx) {
  const auto p = Params::from(ctx.config);
  const auto& comm = ctx.comm;
  const auto seed = static_cast<std::uint64_t>(ctx.config.get_int("run.seed"));
  const auto P = static_cast<std::uint64_t>(comm.size());
  const auto N = static_cast<std::uint64_t>(p.walkers);
  const std::uint64_t first = N * static_cast<std::uint64_t>(comm.rank()) / P;
  const std::uint64_t count = N * static_cast<std::uint64_t>(comm.rank() + 1) / P - first;

  // Positions, plus the same again while a checkpoint or the output is written.
  app::require_memory(ctx, 2.0 * 8.0 * static_cast<double>(count),
                      "demo.walkers = " + std::to_string(p.walkers));
  checkpoint::Manager ckpt(comm, checkpoint::Params::from(ctx.config, ctx.output_dir), "demo", schema_version);
  std::vector<double> x(count, 0.0), t_hist, msd_hist;
  std::int64_t step = 0;

  if (!ctx.restart.empty()) {
    const auto found = ckpt.resolve(ctx.restart, ctx.log);
    auto f = ckpt.open(found);
    const auto& r = f.root();
    mpi::all_or_throw(comm, [&] {
      if (static_cast<std::uint64_t>(r.shape("x").at(0)) != N)
        throw CheckpointError("checkpoint " + found.path + " has " + std::to_string(r.shape("x").at(0)) +
                              " walkers but demo.walkers = " + std::to_string(N) + " (they must match)");
    });
    step = r.attr_int("step");
    x = r.read_part<double>("x", first, count);
    t_hist = r.read_all<double>("t_hist");
    msd_hist = r.read_all<double>("msd_hist");
    ctx.log.info("restarted from " + found.path + " at step " + std::to_string(step));
  } else {
    t_hist.push_back(0.0);
    msd_hist.push_back(0.0);
  }

  auto write_checkpoint = [&] {
    return ckpt.write(step, [&](const io::Group& g) {
      const auto o = checkpoint::Manager::dataset_options();
      g.write_distributed<double>("x", x, o);
      g.write_replicated<double>("t_hist", t_hist, {}, o);
      g.write_replicated<double>("msd_hist", msd_hist, {}, o);
    });
  };

  log::Progress progress(ctx.log, "demo", static_cast<double>(p.steps), "steps");
  while (step < p.steps) {
    advance(x, first, seed, p.sigma, step);
    ++step;
    if (step % p.output_every == 0 || step == p.steps) {
      t_hist.push_back(static_cast<double>(step));
      msd_hist.push_back(mean_square(comm, x, p.walkers));
    }
    progress.update(static_cast<double>(step));
    if (ckpt.after_step(step, "step", ctx.log, write_checkpoint)) return checkpoint::exit_requeue;
  }
  progress.finish();
  if (ckpt.params().at_end) write_checkpoint();

  // Output: written under a temporary name, renamed when complete.
  app::Output output(ctx, schema_version);
  const std::string out = output.path();
  {
    const auto& r = output.root();
    r.write_distributed<double>("x", x, {"1", "final walker positions", false, 0});
    r.write_replicated<double>("time", t_hist, {}, {"steps", "output times", false, 0});
    r.write_replicated<double>("msd", msd_hist, {}, {"1", "mean square displacement over walkers", false, 0});
    std::vector<double> exact(t_hist.size());
    for (std::size_t i = 0; i < exact.size(); ++i) exact[i] = p.sigma * p.sigma * t_hist[i];
    r.write_replicated<double>("msd_exact", exact, {}, {"1", "exact expectation sigma^2 t", false, 0});
    io::make_dimension_scale(r, "time", "time");
    io::attach_dimension_scale(r, "msd", "time", 0);
    io::attach_dimension_scale(r, "msd_exact", "time", 0);
  }
  output.finish();
  const double final_msd = msd_hist.back(), expect = p.sigma * p.sigma * static_cast<double>(p.steps);
  ctx.log.info("done: " + std::to_string(step) + " steps; mean square displacement " + std::to_string(final_msd) +
               " (exact expectation " + std::to_string(expect) + "); output " + out);
  return 0;
}

}  // namespace sampo::demo
