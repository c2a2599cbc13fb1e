// Times the grid's distributed FFT for the benchmark's FFT-only lower bound (tests/perf/nlse_bench.sh). Not a test.
//   mpirun -n R nlse_fft_time N [estimate|measure|patient] [REPEATS] [bare|copy]
//     →  prints "N ns_per_fft cpu_ns_per_fft median_ns median_cpu_ns"
// bare (default): Grid::backward() + Grid::forward(), the calls the integrators make (the same FFTW-MPI plans on the
// same buffers, out of place, the same threads): FFTW's own time and nothing else. copy: to_x + to_k with their copies
// in and out (what the integrators paid before their stage loops wrote into FFTW's buffers; for comparison).
// Each repeat times a loop of at least 0.25 s (and ≥ 10 pairs); the first two columns are the minimum over the
// repeats (a load spike can only slow a repeat down, so the minimum is the least disturbed bound, never inflated by
// it), the last two the median. Wall time, and rank 0's process CPU time (on a shared machine compare CPU times).
// bare: the unnormalised pair multiplies the data by N; the loop rescales it by N^−K every K pairs (N^K ≤ 2^600),
// outside the timed sections, so the values stay O(1) (no overflow, no subnormals).
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "nlse/grid.hpp"

namespace {
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  {
    auto comm = sampo::mpi::Communicator(MPI_COMM_WORLD);
    const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 65536;
    if (n < 2 * comm.size()) {  // "--help" or a typo parses as 0: say how to call it instead of dividing by zero
      if (comm.rank() == 0)
        std::fprintf(stderr, "usage: mpirun -n R nlse_fft_time N [estimate|measure|patient] [REPEATS] [bare|copy]\n"
                             "  N: grid points, at least 2 per rank (got '%s')\n", argc > 1 ? argv[1] : "");
      MPI_Finalize();
      return 2;
    }
    const unsigned planner = sampo::nlse::planner_from(argc > 2 ? argv[2] : "estimate");
    const int repeats = std::max(1, argc > 3 ? std::atoi(argv[3]) : 5);
    const bool bare = !(argc > 4 && std::string(argv[4]) == "copy");
    sampo::nlse::Grid grid(comm, n, 0.0, 1.0, planner);
    sampo::nlse::cvec x(static_cast<std::size_t>(grid.x_count())), k;
    for (std::size_t j = 0; j < x.size(); ++j)  // a smooth O(1) field
      x[j] = {std::cos(0.001 * static_cast<double>(j)), 0.5 * std::sin(0.003 * static_cast<double>(j))};
    sampo::nlse::cplx* bk = grid.k_buffer();
    const auto nk = grid.k_count();
    grid.to_k(x, k);
    std::copy(k.begin(), k.end(), bk);
    // Pairs between rescalings: N^K ≤ 2^600.
    const int per = std::max(1, static_cast<int>(600.0 / std::log2(static_cast<double>(std::max<std::int64_t>(n, 2)))));
    const double rescale = std::pow(static_cast<double>(n), -per);
    auto pairs = [&](int count, double& wall, double& cpu) {  // `count` timed pairs
      int done = 0;
      while (done < count) {
        const int m = std::min(per, count - done);
        comm.barrier();
        const double w0 = wall_now(), c0 = cpu_now();
        for (int r = 0; r < m; ++r) {
          if (bare) {
            grid.backward(), grid.forward();
          } else {
            grid.to_x(k, x), grid.to_k(x, k);
          }
        }
        comm.barrier();
        wall += wall_now() - w0, cpu += cpu_now() - c0;
        done += m;
        if (bare) {
          const double s = m == per ? rescale : std::pow(static_cast<double>(n), -m);
          for (std::int64_t j = 0; j < nk; ++j) bk[j] *= s;
        }
      }
    };
    double w = 0, c = 0;
    pairs(2, w, c);  // warm up
    // Pairs per repeat: at least 10 and ≥ 0.25 s (from a short calibration, agreed on by all ranks).
    w = 0, c = 0;
    pairs(5, w, c);
    const double per_pair = comm.allreduce(w / 5.0, sampo::mpi::Op::max);
    const int reps = std::max(10, static_cast<int>(std::ceil(0.25 / std::max(per_pair, 1e-9))));
    std::vector<double> walls, cpus;
    for (int r = 0; r < repeats; ++r) {
      double rw = 0, rc = 0;
      pairs(reps, rw, rc);
      walls.push_back(1e9 * rw / (2.0 * reps)), cpus.push_back(1e9 * rc / (2.0 * reps));
    }
    if (comm.is_root())
      std::printf("%lld %.1f %.1f %.1f %.1f\n", static_cast<long long>(n),
                  *std::min_element(walls.begin(), walls.end()), *std::min_element(cpus.begin(), cpus.end()),
                  median(walls), median(cpus));
  }
  MPI_Finalize();
  return 0;
}
