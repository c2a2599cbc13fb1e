#pragma once
// RAII MPI lifetime: one Environment object in main(), nowhere else.
#include <mpi.h>

namespace sampo::mpi {

class Environment {
 public:
  // Initialises MPI with MPI_THREAD_FUNNELED at least (OpenMP regions never call MPI) and checks the level given.
  Environment(int& argc, char**& argv, int required = MPI_THREAD_FUNNELED);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  [[nodiscard]] int thread_level() const noexcept { return provided_; }

 private:
  int provided_ = MPI_THREAD_SINGLE;
};

}  // namespace sampo::mpi
