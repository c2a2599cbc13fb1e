#include "core/log/logger.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

namespace sampo::log {

Logger::Logger(bool io_rank, Level level, std::FILE* out)
    : io_rank_(io_rank), level_(level), out_(out), start_(std::chrono::steady_clock::now()) {}

double Logger::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Logger::print(std::FILE* f, const char* tag, const std::string& msg) const {
  std::fprintf(f, "[%9.2fs] %s%s\n", elapsed(), tag, msg.c_str());
  std::fflush(f);
}

void Logger::info(const std::string& msg) const {
  if (io_rank_ && level_ >= Level::info) print(out_, "", msg);
}

void Logger::verbose(const std::string& msg) const {
  if (io_rank_ && level_ >= Level::verbose) print(out_, "", msg);
}

void Logger::warn(const std::string& msg) {
  if (!warnings_.insert(msg).second) return;
  if (io_rank_) print(stderr, "warning: ", msg);
}

void Logger::error(const std::string& msg) const {
  if (io_rank_) print(stderr, "error: ", msg);
}

void Logger::summary() const {
  if (!io_rank_ || warnings_.empty()) return;
  std::fprintf(stderr, "%zu warning(s) during the run:\n", warnings_.size());
  for (const auto& w : warnings_) std::fprintf(stderr, "  - %s\n", w.c_str());
}

Progress::Progress(const Logger& log, std::string label, double total, std::string unit, double interval_s)
    : log_(log),
      label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      interval_(interval_s),
      // Under mpirun the rank sees a pty even when the user redirected to a file: plain lines there.
      tty_(isatty(fileno(stdout)) != 0 && !std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("SLURM_JOB_ID")),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

static std::string format_seconds(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = static_cast<long long>(s + 0.5);
  char buf[64];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t % 3600) / 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%llds", t);
  return buf;
}

void Progress::update(double done) {
  if (!log_.io_rank() || log_.level() < Level::info) return;
  const auto now = std::chrono::steady_clock::now();
  if (first_done_ < 0) first_done_ = done;  // a restarted run starts part-way
  const double since_last = std::chrono::duration<double>(now - last_).count();
  if (since_last < (tty_ ? 0.25 : interval_) && done < total_) return;
  last_ = now;
  const double el = std::chrono::duration<double>(now - start_).count();
  const double rate = el > 0 ? (done - first_done_) / el : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : NAN;
  const double pct = total_ > 0 ? 100.0 * done / total_ : 100.0;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s: %.4g/%.4g %s (%5.1f%%), %.4g %s/s, ETA %s", label_.c_str(), done, total_,
                unit_.c_str(), pct, rate, unit_.c_str(), format_seconds(eta).c_str());
  const std::string line = buf;
  if (tty_) {
    std::printf("\r%s\033[K", line.c_str());
    std::fflush(stdout);
    printed_ = true;
  } else {
    log_.info(line);
  }
}

void Progress::finish() {
  if (tty_ && printed_ && log_.io_rank()) {
    std::printf("\n");
    std::fflush(stdout);
  }
}

}  // namespace sampo::log
