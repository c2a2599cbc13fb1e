#pragma once
// PETSc glue for the walks workload (internal to src/walks): the session (PETSc's lifetime on the run's
// communicator), error-code checking that turns PETSc errors into exceptions, and an RAII handle for PETSc objects.
// Shared by the variance oracle (KSP, prefix `oracle_`) and θ* by TAO (prefix `theta_`).
#include <petscsys.h>

#include <string>
#include <vector>

#include "core/mpi/communicator.hpp"

namespace sampo::walks {

// PETSc's lifetime, RAII. Collective: PETSc is initialised on `comm` (PETSC_COMM_WORLD is set to a private
// duplicate) after MPI, so PETSc never owns MPI; `args` are PETSc options (the driver's words after "--").
// -no_signal_handler is always passed: PETSc's handlers would replace Sampo's checkpoint-and-exit-85 handlers.
// If PETSc is already initialised the session only borrows it.
class PetscSession {
 public:
  explicit PetscSession(const mpi::Communicator& comm, const std::vector<std::string>& args = {});
  ~PetscSession();
  PetscSession(const PetscSession&) = delete;
  PetscSession& operator=(const PetscSession&) = delete;
  [[nodiscard]] const mpi::Communicator& comm() const noexcept { return comm_; }

 private:
  mpi::Communicator comm_;
  bool owned_ = false;
};

namespace petsc {

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

}  // namespace petsc
}  // namespace sampo::walks

#define SAMPO_PETSC(call) ::sampo::walks::petsc::check((call), #call, __FILE__, __LINE__)
