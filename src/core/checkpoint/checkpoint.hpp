#pragma once
// Checkpoints: full restartable state, distinct from output.
//
// Written by cadence (steps, wall time) and after SIGTERM/SIGUSR1/SIGUSR2 at the next step boundary: every rank
// checks the signal flag collectively so all stop at the same step. A checkpoint is written to `<name>.tmp`,
// its datasets checksummed (Fletcher32), a `complete` attribute set last, closed, fsynced, renamed and the
// directory fsynced; the newest `keep` are kept. Restart takes the newest checkpoint that is complete and whose
// checksums verify, falling back past broken ones with a warning.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/io/hdf5.hpp"
#include "core/log/logger.hpp"
#include "core/mpi/communicator.hpp"

namespace sampo::checkpoint {

// Exit code of a driver that stopped after a signal-triggered checkpoint (Slurm: RequeueExit=85).
inline constexpr int exit_requeue = 85;

// Installs handlers for SIGTERM, SIGUSR1 and SIGUSR2 that only record the signal. Call first thing in main().
void install_signal_handlers();
// The last signal received (0 when none), and a way to clear it (tests).
int pending_signal() noexcept;
void clear_signal() noexcept;

struct Params {
  std::string dir = "checkpoints";
  std::string prefix = "ckpt";
  std::int64_t every_steps = 0;  // 0: not by step count
  double every_seconds = 0.0;    // 0: not by wall time
  int keep = 2;
  bool at_end = true;  // write one when the run finishes

  // The `checkpoint.*` keys every driver has.
  static config::Schema schema();
  static Params from(const config::Config& c, const std::string& output_dir);
};

enum class Reason { none, steps, wall_time, signal };
std::string to_string(Reason r);

struct Found {
  std::string path;
  std::int64_t step = 0;
};

class Manager {
 public:
  Manager(mpi::Communicator comm, Params params, std::string driver, int schema_version);

  // Collective (one small Allreduce): whether a checkpoint is due after `step`, and why.
  // Also the per-step hook for fault-injection tests, set from the environment (never from decks):
  //   SAMPO_FAULT_INJECT=RANK:STEP   rank RANK throws an internal error at the first step >= STEP (must abort, not hang)
  //   SAMPO_STEP_DELAY_MS=X          sleep X ms per step (so kill tests catch a short run mid-way)
  Reason due(std::int64_t step);
  // Collective: the checkpoint hook every driver loop runs after `step`. When a checkpoint is due, `write` writes it
  // (through write() below) and returns its path, which is logged as "checkpoint (<reason>) at <unit> <step>:
  // <path>"; returns true when the run must stop after a signal (it has then logged how to continue, and the driver
  // returns exit_requeue). Nothing happens, and false is returned, when no checkpoint is due.
  bool after_step(std::int64_t step, const std::string& unit, log::Logger& log,
                  const std::function<std::string()>& write);
  // Collective: writes the checkpoint of `step`; `writer` fills the root group (checksummed datasets: use
  // dataset_options()). Returns the final path.
  std::string write(std::int64_t step, const std::function<void(const io::Group&)>& writer);
  // Dataset options for state datasets (checksum on).
  static io::DatasetOptions dataset_options(const std::string& description = "");

  // Collective: resolves a --restart request ("latest" or a path) to a valid checkpoint of this driver and
  // schema; falls back past incomplete or corrupt files with a warning. Throws CheckpointError (collective) when
  // none is usable.
  Found resolve(const std::string& request, log::Logger& log) const;
  // Collective: opens a resolved checkpoint for reading.
  io::File open(const Found& f) const;

  // Serial: empty when `path` is a complete, checksum-valid checkpoint of this driver/schema; else the reason.
  [[nodiscard]] std::string validate(const std::string& path) const;
  // Checkpoint files in the directory, newest step first (no .tmp).
  [[nodiscard]] std::vector<Found> list() const;
  [[nodiscard]] const Params& params() const noexcept { return params_; }

 private:
  mpi::Communicator comm_;
  Params params_;
  std::string driver_;
  int schema_version_;
  std::int64_t last_step_written_ = -1;
  int fault_rank_ = -1;
  std::int64_t fault_step_ = -1;
  double step_delay_ms_ = 0.0;
  std::chrono::steady_clock::time_point last_time_;
};

// Durability helpers (POSIX): fsync a file or directory by path; mkdir -p. Throw IoError.
void fsync_path(const std::string& path);
void make_directories(const std::string& path);

}  // namespace sampo::checkpoint
