#pragma once
// RAII MPI lifetime: one Environment object in main(), nowhere else.
#include <mpi.h>

namespace sampo::mpi {

// Call before MPI_Init (Environment does): Open MPI 4.1's MPI-IO opens its `sharedfp/sm` component for every file,
// which keeps a POSIX semaphore named after the file's *base name* (/dev/shm/sem.OMPIO_<name>). A job killed inside
// MPI_File_open leaves it locked, and every later run on that node that opens a file of the same name (say
// ckpt-000000000040.h5.tmp) blocks forever in MPI_File_open. Sampo never uses shared file pointers, so the
// component is excluded (OMPI_MCA_sharedfp=^sm) unless the user's environment already sets OMPI_MCA_sharedfp.
void exclude_stale_lock_components() noexcept;

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
