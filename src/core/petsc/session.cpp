#include "core/petsc/session.hpp"

#include <filesystem>

#include "core/error/error.hpp"

namespace sampo::petsc {

void check(PetscErrorCode ierr, const char* call, const char* file, int line) {
  if (ierr == 0) return;
  const char* text = nullptr;
  PetscErrorMessage(ierr, &text, nullptr);
  throw NumericalError(std::string("PETSc call ") + call + " failed (" +
                       std::filesystem::path(file).filename().string() + ":" + std::to_string(line) +
                       "): " + (text ? text : "unknown error"));
}

Session::Session(const mpi::Communicator& comm, const std::vector<std::string>& args)
    : comm_(comm.duplicate()) {
  if (PetscInitializeCalled && !PetscFinalizeCalled) return;  // borrowed
  std::vector<std::string> words{"sampo", "-no_signal_handler"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(words.size());
  char** pargv = argv.data();
  PETSC_COMM_WORLD = comm_.get();
  SAMPO_PETSC(PetscInitialize(&argc, &pargv, nullptr, nullptr));
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);  // errors become exceptions, printed once
  owned_ = true;
}

Session::~Session() {
  if (owned_) {
    PetscPopErrorHandler();
    PetscFinalize();
  }
}

}  // namespace sampo::petsc
