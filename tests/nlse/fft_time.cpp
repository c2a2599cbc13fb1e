// Times the grid's distributed FFT (one to_k or to_x, with the copies in and out the integrators pay) for the
// benchmark's FFT-only lower bound (tests/perf/nlse_bench.sh). Not a test.
//   mpirun -n R nlse_fft_time N [estimate|measure|patient] [REPS]  →  prints "N ns_per_fft"
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) grid.to_k(x, k), grid.to_x(k, x);
    comm.barrier();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (comm.is_root()) std::printf("%lld %.1f\n", static_cast<long long>(n), 1e9 * s / (2.0 * reps));
  }
  MPI_Finalize();
  return 0;
}
