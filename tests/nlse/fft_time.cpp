// Times the grid's distributed FFT (one to_k or to_x, with the copies in and out the integrators pay) for the
// benchmark's FFT-only lower bound (tests/perf/nlse_bench.sh). Not a test.
//   mpirun -n R nlse_fft_time N [estimate|measure|patient] [REPS]  →  prints "N ns_per_fft cpu_ns_per_fft"
// (wall time, and rank 0's process CPU time: on a loaded machine the CPU time is the one to compare)
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "nlse/grid.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  {
    auto comm = sampo::mpi::Communicator(MPI_COMM_WORLD);
    const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 65536;
    const unsigned planner = sampo::nlse::planner_from(argc > 2 ? argv[2] : "estimate");
    sampo::nlse::Grid grid(comm, n, 0.0, 1.0, planner);
    const int reps = argc > 3 ? std::atoi(argv[3]) : std::max<int>(10, static_cast<int>((1 << 24) / n));
    sampo::nlse::cvec x(static_cast<std::size_t>(grid.x_count()), {1.0, 0.5}), k;
    grid.to_k(x, k), grid.to_x(k, x);  // warm up
    comm.barrier();
    auto cpu = [] {
      timespec ts{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
    };
    const double c0 = cpu();
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) grid.to_k(x, k), grid.to_x(k, x);
    comm.barrier();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double c = cpu() - c0;
    if (comm.is_root())
      std::printf("%lld %.1f %.1f\n", static_cast<long long>(n), 1e9 * s / (2.0 * reps), 1e9 * c / (2.0 * reps));
  }
  MPI_Finalize();
  return 0;
}
