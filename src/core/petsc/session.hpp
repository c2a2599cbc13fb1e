#pragma once
// PETSc glue for the workloads that use PETSc (library sampo::petsc): the session (PETSc's lifetime on the run's
// communicator), error-code checking that turns PETSc errors into exceptions, and an RAII handle for PETSc objects.
// Used by walks (the variance oracle's KSP, prefix `oracle_`; θ* by TAO, prefix `theta_`), nlse (PETSc TS) and mcmc
// (MAP by TAO). Each solver sets its own options prefix, so options after "--" on the command line reach it.
#include <petscsys.h>

#include <string>
#include <vector>

#include "core/mpi/communicator.hpp"

namespace sampo::petsc {

// PETSc's lifetime, RAII. Collective: PETSc is initialised on `comm` (PETSC_COMM_WORLD is set to a private
// duplicate) after MPI, so PETSc never owns MPI; `args` are PETSc options (the driver's words after "--").
// -no_signal_handler is always passed: PETSc's handlers would replace Sampo's checkpoint-and-exit-85 handlers.
// If PETSc is already initialised the session only borrows it.
class Session {
 public:
  explicit Session(const mpi::Communicator& comm, const std::vector<std::string>& args = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  [[nodiscard]] const mpi::Communicator& comm() const noexcept { return comm_; }

 private:
  mpi::Communicator comm_;
  bool owned_ = false;
};


// Throws NumericalError naming the call and where it was made when ierr != 0.
void check(PetscErrorCode ierr, const char* call, const char* file, int line);

// Owns one PETSc object (Vec, Mat, KSP, Tao, VecScatter) and destroys it.
template <class T, PetscErrorCode (*Destroy)(T*)>
struct Handle {
  T h = nullptr;
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (h) Destroy(&h);
  }
  T* out() { return &h; }
  operator T() const { return h; }  // NOLINT: handles are passed to PETSc calls as is
};

}  // namespace sampo::petsc

#define SAMPO_PETSC(call) ::sampo::petsc::check((call), #call, __FILE__, __LINE__)
