#include "core/checkpoint/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>

#include "core/error/error.hpp"

namespace sampo::checkpoint {

namespace {
// The only global in Sampo: a signal handler can touch nothing else.
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }
}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int s : {SIGTERM, SIGUSR1, SIGUSR2}) sigaction(s, &sa, nullptr);
}
int pending_signal() noexcept { return g_signal; }
void clear_signal() noexcept { g_signal = 0; }

config::Schema Params::schema() {
  config::Schema s;
  s.string("checkpoint.dir", "", "checkpoint directory (empty: <run.output_dir>/checkpoints)");
  s.string("checkpoint.prefix", "ckpt", "checkpoint file name prefix");
  s.integer("checkpoint.every_steps", 0, "write a checkpoint every this many steps (0: never by count)", 0, 1e15);
  s.real("checkpoint.every_seconds", 0.0, "write a checkpoint when this much wall time has passed since the last "
                                          "(0: never by time)", 0.0, 1e9);
  s.integer("checkpoint.keep", 2, "number of newest checkpoints kept", 1, 1000);
  s.boolean("checkpoint.at_end", true, "write a checkpoint when the run completes (to extend it later)");
  return s;
}

Params Params::from(const config::Config& c, const std::string& output_dir) {
  Params p;
  p.dir = c.get_string("checkpoint.dir");
  if (p.dir.empty()) p.dir = output_dir + "/checkpoints";
  p.prefix = c.get_string("checkpoint.prefix");
  p.every_steps = c.get_int("checkpoint.every_steps");
  p.every_seconds = c.get_real("checkpoint.every_seconds");
  p.keep = static_cast<int>(c.get_int("checkpoint.keep"));
  p.at_end = c.get_bool("checkpoint.at_end");
  return p;
}

std::string to_string(Reason r) {
  switch (r) {
    case Reason::none: return "none";
    case Reason::steps: return "step cadence";
    case Reason::wall_time: return "wall-time cadence";
    case Reason::signal: return "signal";
  }
  return "?";
}

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw IoError("cannot open '" + path + "' to fsync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw IoError("fsync of '" + path + "' failed");
}

void make_directories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw IoError("cannot create directory '" + path + "': " + ec.message());
}

Manager::Manager(mpi::Communicator comm, Params params, std::string driver, int schema_version)
    : comm_(std::move(comm)),
      params_(std::move(params)),
      driver_(std::move(driver)),
      schema_version_(schema_version),
      last_time_(std::chrono::steady_clock::now()) {
  if (const char* f = std::getenv("SAMPO_FAULT_INJECT")) {
    long long r = -1, st = -1;
    if (std::sscanf(f, "%lld:%lld", &r, &st) == 2) fault_rank_ = static_cast<int>(r), fault_step_ = st;
  }
  if (const char* d = std::getenv("SAMPO_STEP_DELAY_MS")) step_delay_ms_ = std::atof(d);
}

Reason Manager::due(std::int64_t step) {
  if (step_delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(step_delay_ms_));
  if (fault_step_ >= 0 && step >= fault_step_ && comm_.rank() == fault_rank_)
    throw InternalError("fault injection (SAMPO_FAULT_INJECT): rank " + std::to_string(fault_rank_) +
                        " fails at step " + std::to_string(step));
  int code = 0;
  if (pending_signal() != 0) code = 3;
  if (comm_.is_root() && params_.every_seconds > 0 && code == 0) {
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_time_).count();
    if (el >= params_.every_seconds) code = 2;
  }
  if (code == 0 && params_.every_steps > 0 && step % params_.every_steps == 0 && step != last_step_written_) code = 1;
  code = comm_.allreduce(code, mpi::Op::max);
  return code == 3 ? Reason::signal : code == 2 ? Reason::wall_time : code == 1 ? Reason::steps : Reason::none;
}

io::DatasetOptions Manager::dataset_options(const std::string& description) {
  io::DatasetOptions o;
  o.checksum = true;
  o.description = description;
  return o;
}

bool Manager::after_step(std::int64_t step, const std::string& unit, log::Logger& log,
                         const std::function<std::string()>& write) {
  const Reason reason = due(step);
  if (reason == Reason::none) return false;
  const std::string path = write();
  log.info("checkpoint (" + to_string(reason) + ") at " + unit + " " + std::to_string(step) + ": " + path);
  if (reason != Reason::signal) return false;
  log.info("stopping after signal " + std::to_string(pending_signal()) +
           "; continue with --restart latest (exit code " + std::to_string(exit_requeue) + ")");
  return true;
}

std::string Manager::write(std::int64_t step, const std::function<void(const io::Group&)>& writer) {
  char name[64];
  std::snprintf(name, sizeof name, "-%012lld.h5", static_cast<long long>(step));
  const std::string final_path = params_.dir + "/" + params_.prefix + name;
  const std::string tmp = final_path + ".tmp";
  mpi::all_or_throw(comm_, [&] {
    if (!comm_.is_root()) return;
    try {
      make_directories(params_.dir);
    } catch (const IoError& e) {
      throw CheckpointError(std::string(e.what()) + " (set checkpoint.dir to a writable directory)");
    }
  });
  {
    io::File f;
    mpi::all_or_throw(comm_, [&] {
      try {
        f = io::File::create(comm_, tmp);
      } catch (const IoError& e) {
        throw CheckpointError(std::string(e.what()) + " (set checkpoint.dir to a writable directory)");
      }
    });
    const auto& r = f.root();
    r.set_attr("kind", "checkpoint");
    r.set_attr("driver", driver_);
    r.set_attr("schema_version", static_cast<std::int64_t>(schema_version_));
    r.set_attr("step", static_cast<std::int64_t>(step));
    r.set_attr("mpi_ranks", static_cast<std::int64_t>(comm_.size()));
    r.set_attr("sampo_version", io::sampo_version());
    r.set_attr("created_utc", comm_.broadcast_string(io::utc_now()));
    writer(r);
    f.flush();
    r.set_attr("complete", static_cast<std::int64_t>(1));  // last: a file without it is never used
    f.close();
  }
  if (comm_.is_root()) {
    fsync_path(tmp);
    if (std::rename(tmp.c_str(), final_path.c_str()) != 0)
      throw IoError("cannot rename '" + tmp + "' to '" + final_path + "'");
    fsync_path(params_.dir);
    // Keep the newest `keep`; remove stale temporaries left by killed runs.
    auto all = list();
    for (std::size_t i = static_cast<std::size_t>(params_.keep); i < all.size(); ++i)
      std::filesystem::remove(all[i].path);
    for (const auto& e : std::filesystem::directory_iterator(params_.dir)) {
      const auto fn = e.path().filename().string();
      if (fn.starts_with(params_.prefix + "-") && fn.ends_with(".h5.tmp")) std::filesystem::remove(e.path());
    }
  }
  comm_.barrier();
  last_step_written_ = step;
  last_time_ = std::chrono::steady_clock::now();
  return final_path;
}

std::vector<Found> Manager::list() const {
  std::vector<Found> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(params_.dir, ec)) return out;
  const std::regex re(params_.prefix + "-([0-9]+)\\.h5");
  for (const auto& e : std::filesystem::directory_iterator(params_.dir, ec)) {
    std::smatch m;
    const auto fn = e.path().filename().string();
    if (std::regex_match(fn, m, re)) out.push_back({e.path().string(), std::stoll(m[1].str())});
  }
  std::sort(out.begin(), out.end(), [](const Found& a, const Found& b) { return a.step > b.step; });
  return out;
}

std::string Manager::validate(const std::string& path) const {
  try {
    auto f = io::File::open_serial(path);
    const auto& r = f.root();
    if (!r.has_attr("kind") || r.attr_string("kind") != "checkpoint" || !r.has_attr("driver"))
      return "not a Sampo checkpoint (an output file? checkpoints are in checkpoint.dir)";
    if (!r.has_attr("complete") || r.attr_int("complete") != 1) return "incomplete (no 'complete' marker)";
    const auto drv = r.attr_string("driver");
    if (drv != driver_) return "written by driver '" + drv + "', not '" + driver_ + "'";
    const auto sv = r.attr_int("schema_version");
    if (sv != schema_version_)
      return "checkpoint schema version " + std::to_string(sv) + ", this build reads version " +
             std::to_string(schema_version_);
    // Read every dataset: Fletcher32 checksums verify the bytes.
    std::function<void(const io::Group&)> walk = [&](const io::Group& g) {
      for (const auto& c : g.children()) {
        if (g.is_group(c)) walk(g.open_group(c));
        else g.verify_dataset(c);
      }
    };
    walk(r);
  } catch (const std::exception& e) {
    return std::string("unreadable or corrupt: ") + e.what();
  }
  return "";
}

Found Manager::resolve(const std::string& request, log::Logger& log) const {
  Found found;
  std::vector<std::string> warnings;
  mpi::all_or_throw(comm_, [&] {
    if (!comm_.is_root()) return;
    if (request != "latest") {
      if (!std::filesystem::exists(request))
        throw CheckpointError("--restart " + request + ": no such file (give a checkpoint path or 'latest')");
      if (auto why = validate(request); !why.empty())
        throw CheckpointError("--restart " + request + ": cannot restart from this checkpoint: " + why);
      found.path = request;
      return;
    }
    const auto all = list();
    for (const auto& c : all) {
      if (auto why = validate(c.path); why.empty()) {
        found = c;
        return;
      } else {
        warnings.push_back("skipping checkpoint " + c.path + ": " + why);
      }
    }
    throw CheckpointError("--restart latest: no usable checkpoint in '" + params_.dir + "' (" +
                          std::to_string(all.size()) + " found" +
                          (all.empty() ? "" : ", none valid") + "); run without --restart to start afresh");
  });
  for (const auto& w : warnings) log.warn(w);
  found.path = comm_.broadcast_string(found.path);
  found.step = comm_.broadcast_value(found.step);
  return found;
}

io::File Manager::open(const Found& f) const {
  auto file = io::File::open(comm_, f.path);
  return file;
}

}  // namespace sampo::checkpoint
