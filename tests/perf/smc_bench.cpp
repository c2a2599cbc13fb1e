// smc throughput: ns per particle-step (× cores = ranks × threads, so figures compare across machines) for the
// bootstrap filter, PaRIS with K̃ = 2, and one PPG iteration. Built only with -DSAMPO_BENCHMARKS=ON; run through
// tests/perf/smc_bench.sh (which also runs it at 1 and 2 ranks). Not a test: nothing is asserted.
// Last, bias against cost at equal budget for PaRIS and PPG on the reference's linear Gaussian case.
//   mpirun -n 2 smc_bench [N_filter=1000000] [steps=50] [estimates per budget=100]
#include <mpi.h>
#include <omp.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "core/app/driver.hpp"
#include "smc/filter.hpp"
#include "smc/kalman.hpp"
#include "smc/ppg.hpp"

using namespace sampo;
using namespace sampo::smc;

namespace {
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
// Wall seconds of fn (between barriers); cpu receives the CPU seconds of all ranks' processes (all threads) — the
// figure that a loaded machine distorts least.
double seconds(const mpi::Communicator& comm, const std::function<void()>& fn, double* cpu = nullptr) {
  comm.barrier();
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_now();
  fn();
  const double c1 = cpu_now();
  comm.barrier();
  if (cpu) *cpu = comm.allreduce(c1 - c0, mpi::Op::sum);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
struct Summary {
  double mean = 0, se = 0, rmse = 0;
};
Summary summarise(const std::vector<double>& err) {
  Summary r;
  const auto R = static_cast<double>(err.size());
  for (double e : err) r.mean += e / R, r.rmse += e * e / R;
  double v = 0;
  for (double e : err) v += (e - r.mean) * (e - r.mean) / (R - 1);
  r.se = std::sqrt(v / R);
  r.rmse = std::sqrt(r.rmse);
  return r;
}

// Bias against cost at equal budget (the reference's case: ρ = 0.9, σx = σy = 1, n = 100, h = Σ x_t x_{t+1},
// K̃ = 2, multinomial resampling every step; exact value from the RTS smoother). For a budget of B particle-steps
// per estimate: PaRIS with N = B/(n+1) particles, and PPG with 16 particles for B/(16(n+1)) iterations (iteration 0
// included), whose roll-out estimator averages the iterations after a burn-in of a quarter. R independent
// estimates each (different seeds); bias ± standard error, RMSE and CPU seconds per estimate.
void bias_at_equal_budget(const mpi::Communicator& comm, ScalarLinearGaussian& m, const Observations& y, int R) {
  const double exact = exact_sum_cross(rts_smoother(m.spec(), kalman_filter(m.spec(), y)))[0];
  const int n = y.steps();
  SumCross h(1);
  FilterOptions o;
  o.scheme = Scheme::multinomial;
  o.ess_threshold = 1.0;
  o.moments = false;
  if (comm.is_root())
    std::printf("\n# bias against cost at equal budget: n = %d, exact sum x_t x_t+1 = %.4f, %d estimates each\n"
                "%-8s %-30s %20s %10s %12s\n", n, exact, R, "budget", "estimator", "bias +- se", "RMSE",
                "CPU s/est");
  for (std::uint64_t N : {64ULL, 256ULL, 1024ULL}) {
    const std::uint64_t budget = N * static_cast<std::uint64_t>(n + 1);
    std::vector<double> paris, ppg;
    double cpu_paris = 0, cpu_ppg = 0;
    const int iters = static_cast<int>(N / 16), burn = iters / 4;
    for (int r = 0; r < R; ++r) {
      double c = 0;
      seconds(comm, [&] {
        FilterOptions p = o;
        p.particles = N;
        p.seed = 70000 + static_cast<std::uint64_t>(r);
        ParticleFilter f(comm, m, y, &h, p);
        f.run();
        paris.push_back(f.estimate()[0] - exact);
      }, &c);
      cpu_paris += c / R;
      seconds(comm, [&] {
        FilterOptions p = o;
        p.particles = 16;
        PpgChain chain(comm, m, y, h, p, 90000, static_cast<std::uint64_t>(r));
        chain.initialise();
        double ro = 0;
        for (int k = 1; k < iters; ++k) {
          const double v = chain.iterate()[0];
          if (k > burn) ro += v / (iters - 1 - burn);
        }
        ppg.push_back(ro - exact);
      }, &c);
      cpu_ppg += c / R;
    }
    char label[64];
    const auto a = summarise(paris), b = summarise(ppg);
    if (comm.is_root()) {
      std::snprintf(label, sizeof label, "PaRIS N = %llu", static_cast<unsigned long long>(N));
      std::printf("%-8llu %-30s %10.3f +- %6.3f %10.3f %12.4f\n", static_cast<unsigned long long>(budget), label,
                  a.mean, a.se, a.rmse, cpu_paris);
      std::snprintf(label, sizeof label, "PPG N = 16, %d it (burn %d)", iters, burn);
      std::printf("%-8llu %-30s %10.3f +- %6.3f %10.3f %12.4f\n", static_cast<unsigned long long>(budget), label,
                  b.mean, b.se, b.rmse, cpu_ppg);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  sampo::app::keep_freed_memory();  // as every driver does
  MPI_Init(&argc, &argv);
  {
    const mpi::Communicator comm(MPI_COMM_WORLD);
    const std::uint64_t Nf = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
    const int steps = argc > 2 ? std::atoi(argv[2]) : 50;
    const int cores = comm.size() * omp_get_max_threads();
    ScalarLinearGaussian m(0.9, 1.0, 1.0, 0.0, std::sqrt(1.0 / 0.19));
    const auto y = simulate(m, steps, 1);
    const auto y100 = simulate(m, 100, 1);
    if (comm.is_root())
      std::printf("# smc_bench: %d ranks x %d threads; linear Gaussian (rho 0.9), n = %d\n"
                  "%-52s %12s %10s %14s %14s\n", comm.size(), omp_get_max_threads(), steps, "case", "N", "time [s]",
                  "ns/p-step/core", "CPU ns/p-step");
    auto row = [&](const char* name, std::uint64_t N, int n, double s, double cpu) {
      if (comm.is_root())
        std::printf("%-52s %12llu %10.3f %14.1f %14.1f\n", name, static_cast<unsigned long long>(N), s,
                    s * 1e9 * cores / (static_cast<double>(N) * n), cpu * 1e9 / (static_cast<double>(N) * n));
    };
    auto filter = [&](const char* name, std::uint64_t N, FilterOptions o, const Functional* h, const Observations& obs) {
      o.particles = N;
      ParticleFilter f(comm, m, obs, h, o);
      double cpu = 0;
      const double s = seconds(comm, [&] { f.run(); }, &cpu);
      row(name, N, obs.steps() + 1, s, cpu);
    };
    FilterOptions o;
    o.moments = false;
    filter("bootstrap, systematic at ESS<N/2, no moments", Nf, o, nullptr, y);
    o.ess_threshold = 0.0;
    filter("bootstrap, no resampling, no moments", Nf, o, nullptr, y);
    o.ess_threshold = 0.5;
    o.moments = true;
    filter("bootstrap, systematic at ESS<N/2, moments", Nf, o, nullptr, y);
    o.ess_threshold = 1.0;
    filter("bootstrap, systematic every step, moments", Nf, o, nullptr, y);
    o.scheme = Scheme::multinomial;
    filter("bootstrap, multinomial every step, moments", Nf, o, nullptr, y);
    SumCross h(1);
    o = FilterOptions{};
    o.moments = false;
    filter("PaRIS K=2 rejection, sum x_t x_t+1", Nf / 10, o, &h, y);
    o.mh_fallback = true;
    o.max_tries = 16;
    filter("PaRIS K=2 rejection (16 tries) then MH fallback", Nf / 10, o, &h, y);
    o.backward = Backward::mh;
    filter("PaRIS K=2 MH (1 step), sum x_t x_t+1", Nf / 10, o, &h, y);
    // One PPG iteration (conditional PaRIS + path selection), n = 100.
    for (std::uint64_t N : {32ULL, 1000ULL, 10000ULL}) {
      FilterOptions p;
      p.particles = N;
      p.moments = false;
      PpgChain chain(comm, m, y100, h, p, 1, 0);
      chain.initialise();
      const int iters = N <= 1000 ? 20 : 3;
      double cpu = 0;
      const double s = seconds(comm, [&] {
        for (int k = 0; k < iters; ++k) chain.iterate();
      }, &cpu);
      char name[80];
      std::snprintf(name, sizeof name, "one PPG iteration (n = 100), %.3g ms", 1e3 * s / iters);
      row(name, N, 101, s / iters, cpu / iters);
    }
    bias_at_equal_budget(comm, m, y100, argc > 3 ? std::atoi(argv[3]) : 100);
  }
  MPI_Finalize();
  return 0;
}
