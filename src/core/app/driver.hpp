#pragma once
// The one top-level policy every driver shares: command line, deck, logging, output directory, error handling.
//
//   sampo-<name> DECK.toml [section.key=value ...] [--restart PATH|latest] [--dry-run] [--quiet|--verbose]
//                [-- PETSc options]
//
// Errors: a UsageError held by every rank (config, input, checkpoint) prints one message from rank 0 and every
// rank exits 2. Anything else prints "[rank r] ..." and aborts the whole job (MPI_Abort), so nothing hangs.
#include <functional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/io/hdf5.hpp"
#include "core/log/logger.hpp"
#include "core/mpi/communicator.hpp"

namespace sampo::app {

struct Context {
  mpi::Communicator comm;
  config::Config config;
  log::Logger& log;
  std::string driver;                   // "nlse", ...
  std::string deck_path;
  std::string restart;                  // "", "latest" or a checkpoint path
  std::string output_dir;               // created, writable
  std::string command_line;
  std::vector<std::string> extra_args;  // after "--" (PETSc options)
};

struct DriverSpec {
  std::string name;     // "nlse" → program sampo-nlse
  std::string summary;  // one line
  std::string example;  // e.g. "mpirun -n 4 sampo-nlse inputs/nlse/soliton.toml"
  std::function<config::Schema()> schema;  // the workload's keys (run.* and checkpoint.* are added)
  std::function<int(Context&)> run;        // returns the exit code (0, or checkpoint::exit_requeue)
};

// Collective: throws a (collective) InputError when `bytes_per_rank` on every rank of a node would not fit in the
// node's available memory (MemAvailable). `what` names the keys that set the size, e.g. "demo.walkers = 1e12".
void require_memory(const Context& ctx, double bytes_per_rank, const std::string& what);
// Human-readable bytes ("1.5 GiB").
std::string format_bytes(double bytes);

// The run's output file: created as <run.output_dir>/<run.output>.part with the provenance attributes (a file
// that cannot be created is a collective InputError); finish() sets `complete = 1`, closes and renames it.
class Output {
 public:
  Output(const Context& ctx, int schema_version);  // collective
  [[nodiscard]] const io::Group& root() const noexcept { return file_.root(); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }  // the final name
  void finish();                                                             // collective

 private:
  const mpi::Communicator& comm_;
  io::File file_;
  std::string path_, part_;
};

// The `run.*` keys every driver has.
config::Schema run_schema(const std::string& driver);

// Process-wide allocator policy, applied by main() before anything is allocated (and by the benchmarks): freed
// blocks below 256 MiB stay in the heap and are reused, instead of being unmapped or trimmed and page-faulted in
// again by the next step. Step-sized arrays (particles, weights, offspring counts: 8 MiB each at 10^6 particles)
// otherwise cost a page fault per 4 KiB every step — measured: 134 000 faults and 2× the CPU time of a
// bootstrap filter at N = 10^6, n = 30. Larger blocks (nlse's grids at 2^24 points and up) are still mapped.
void keep_freed_memory() noexcept;

// The whole main(): call as `return sampo::app::main(argc, argv, spec);`.
int main(int argc, char** argv, const DriverSpec& spec);

}  // namespace sampo::app
