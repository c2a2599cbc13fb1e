#pragma once
// One exception hierarchy for Sampo, and the verify/assert macros.
//
// Policy (see app/driver.hpp): a UsageError that is *collective* (every rank holds the same one, as produced by
// mpi::all_or_throw or by a broadcast decision) is printed once by rank 0 and every rank exits with code 2.
// Any other exception is printed with its rank and the whole job is aborted, so nothing ever hangs.
#include <stdexcept>
#include <string>

namespace sampo {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Something the user can fix: a deck, an override, an input file, an output directory, a checkpoint.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what, bool collective = false)
      : Error(what), collective_(collective) {}
  // True when every rank is known to hold this same error (so a clean exit 2 cannot hang).
  [[nodiscard]] bool collective() const noexcept { return collective_; }
  void mark_collective() noexcept { collective_ = true; }

 private:
  bool collective_;
};

class ConfigError : public UsageError {
 public:
  using UsageError::UsageError;
};

class InputError : public UsageError {
 public:
  using UsageError::UsageError;
};

class CheckpointError : public UsageError {
 public:
  using UsageError::UsageError;
};

class IoError : public Error {
 public:
  using Error::Error;
};

class MpiError : public Error {
 public:
  using Error::Error;
};

class NumericalError : public Error {
 public:
  using Error::Error;
};

class InternalError : public Error {
 public:
  using Error::Error;
};

namespace detail {
[[noreturn]] void verify_failed(const char* expr, const std::string& msg, const char* function, const char* file,
                                int line);
}  // namespace detail

}  // namespace sampo

// Always-on check of an internal invariant; throws InternalError naming the expression and place.
#define SAMPO_VERIFY(cond, msg)                                                                         \
  do {                                                                                                  \
    if (!(cond)) [[unlikely]]                                                                           \
      ::sampo::detail::verify_failed(#cond, (msg), __func__, __FILE__, __LINE__);                         \
  } while (0)

// Debug-only check (compiled out with NDEBUG).
#ifdef NDEBUG
#define SAMPO_ASSERT(cond) ((void)0)
#else
#define SAMPO_ASSERT(cond) SAMPO_VERIFY(cond, "assertion failed")
#endif
