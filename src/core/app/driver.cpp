#include "core/app/driver.hpp"

#include <malloc.h>

#include <omp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/checkpoint/checkpoint.hpp"
#include "core/error/error.hpp"
#include "core/io/hdf5.hpp"
#include "core/mpi/environment.hpp"

namespace sampo::app {

config::Schema run_schema(const std::string& driver) {
  config::Schema s;
  s.integer("run.seed", 1, "seed of every random stream (results do not depend on ranks or threads)", 0, 9.2e18);
  s.string("run.output_dir", "runs/" + driver, "directory for output and checkpoints (created if missing)");
  s.string("run.output", driver + ".h5", "output file name inside run.output_dir");
  return s.merge(checkpoint::Params::schema());
}

std::string format_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (b >= 1024.0 && u < 6) b /= 1024.0, ++u;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
  return buf;
}

void require_memory(const Context& ctx, double bytes_per_rank, const std::string& what) {
  const auto node = ctx.comm.split_node();
  double available = 0.0;
  {
    std::ifstream in("/proc/meminfo");
    std::string key;
    double kib = 0;
    std::string unit;
    while (in >> key >> kib >> unit)
      if (key == "MemAvailable:") available = kib * 1024.0;
  }
  const double need = node.allreduce(bytes_per_rank, mpi::Op::sum);
  // The node with the least headroom decides; everyone learns it.
  const double headroom = ctx.comm.allreduce(available > 0 ? 0.9 * available - need : 1.0, mpi::Op::min);
  if (headroom >= 0) return;
  mpi::all_or_throw(ctx.comm, [&] {
    if (available > 0 && need > 0.9 * available)
      throw InputError(what + " needs about " + format_bytes(bytes_per_rank) + " per rank (" + format_bytes(need) +
                       " for the " + std::to_string(node.size()) + " ranks on this node), but the node has " +
                       format_bytes(available) + " available; reduce the size or run on more nodes");
  });
}

Output::Output(const Context& ctx, int schema_version)
    : comm_(ctx.comm),
      path_(ctx.output_dir + "/" + ctx.config.get_string("run.output")),
      part_(path_ + ".part") {
  mpi::all_or_throw(comm_, [&] {
    try {
      file_ = io::File::create(comm_, part_);
    } catch (const IoError& e) {
      throw InputError(std::string(e.what()) + " (set run.output_dir to a writable place)");
    }
  });
  io::write_provenance(file_, {ctx.driver, ctx.config.to_toml(), ctx.command_line,
                               static_cast<std::uint64_t>(ctx.config.get_int("run.seed")), schema_version});
}

void Output::finish() {
  file_.root().set_attr("complete", static_cast<std::int64_t>(1));
  file_.close();
  if (comm_.is_root()) std::filesystem::rename(part_, path_);
  comm_.barrier();
}

namespace {

std::string join_args(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    s += argv[i];
  }
  return s;
}

void prepare_output_dir(const mpi::Communicator& comm, const std::string& dir) {
  mpi::all_or_throw(comm, [&] {
    if (!comm.is_root()) return;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw InputError("cannot create output directory '" + dir + "': " + ec.message() +
                       " (set run.output_dir to a writable place)");
    const std::string probe = dir + "/.sampo-write-test";
    {
      std::ofstream out(probe);
      if (!out || !(out << "ok") || !out.flush())
        throw InputError("output directory '" + dir + "' is not writable (set run.output_dir to a writable place)");
    }
    std::filesystem::remove(probe, ec);
  });
}

}  // namespace

void keep_freed_memory() noexcept {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

int main(int argc, char** argv, const DriverSpec& spec) {
  // First thing: a Slurm signal may come within the first second.
  checkpoint::install_signal_handlers();
  keep_freed_memory();
  const std::string command_line = join_args(argc, argv);
  mpi::Environment env(argc, argv);
  auto world = mpi::Communicator(MPI_COMM_WORLD, true);
  const std::string prog = "sampo-" + spec.name;

  // Split off PETSc (or other) arguments after "--".
  std::vector<std::string> args, extra;
  bool after = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!after && a == "--") {
      after = true;
      continue;
    }
    (after ? extra : args).push_back(a);
  }

  config::Schema schema = run_schema(spec.name);
  int code = 0;
  try {
    schema.merge(spec.schema());

    CLI::App cli(spec.summary, prog);
    std::string deck;
    std::vector<std::string> overrides;
    std::string restart;
    bool dry_run = false, quiet = false, verbose = false;
    cli.add_option("deck", deck, "input deck (TOML)")->required();
    cli.add_option("overrides", overrides, "section.key=value overrides, applied after the deck");
    cli.add_option("--restart", restart, "restart from a checkpoint: a path, or 'latest' in checkpoint.dir");
    cli.add_flag("--dry-run", dry_run, "validate the deck and print the resolved deck, then exit");
    auto* q = cli.add_flag("-q,--quiet", quiet, "print only warnings and errors");
    cli.add_flag("-v,--verbose", verbose, "print more detail")->excludes(q);
    cli.footer("Example:\n  " + spec.example +
               "\n\nPETSc options, where the workload uses PETSc, follow `--`.\n"
               "Exit codes: 0 done, 2 bad input (one message), 85 checkpointed after a signal (requeue), "
               "1 internal failure.\n\nDeck keys (section.key = default  (type; range)  meaning):\n" +
               schema.help());
    try {
      std::reverse(args.begin(), args.end());
      cli.parse(args);
    } catch (const CLI::CallForHelp& e) {
      if (world.is_root()) std::printf("%s", cli.help().c_str());
      return 0;
    } catch (const CLI::ParseError& e) {
      throw ConfigError(std::string(e.what()) + " (run " + prog + " --help for usage)", true);
    }

    log::Logger logger(world.is_root(), quiet ? log::Level::quiet : verbose ? log::Level::verbose : log::Level::info);
    auto cfg = config::Config::load(world, schema, deck, overrides);
    if (dry_run) {
      if (world.is_root()) std::printf("# %s: resolved deck (%s)\n%s", prog.c_str(), deck.c_str(), cfg.to_toml().c_str());
      return 0;
    }
    const std::string out_dir = cfg.get_string("run.output_dir");
    prepare_output_dir(world, out_dir);
    logger.info(prog + " " + io::sampo_version() + " (" + io::git_sha() + "): " + std::to_string(world.size()) +
                " MPI ranks x " + std::to_string(omp_get_max_threads()) + " OpenMP threads");
    logger.info("deck " + deck + " resolved to:\n" + cfg.to_toml());
    Context ctx{world, std::move(cfg), logger, spec.name, deck, restart, out_dir, command_line, extra};
    code = spec.run(ctx);
    logger.summary();
  } catch (const UsageError& e) {
    if (e.collective()) {
      if (world.is_root()) std::fprintf(stderr, "%s: error: %s\n", prog.c_str(), e.what());
      return 2;
    }
    std::fprintf(stderr, "[rank %d] %s: error: %s\n", world.rank(), prog.c_str(), e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 2);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[rank %d] %s: fatal: %s\n", world.rank(), prog.c_str(), e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return code;
}

}  // namespace sampo::app
