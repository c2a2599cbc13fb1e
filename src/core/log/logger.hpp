#pragma once
// Rank-0 logging with levels and timestamps; warnings are collected and printed once each.
#include <chrono>
#include <cstdio>
#include <set>
#include <string>

namespace sampo::log {

enum class Level { quiet = 0, info = 1, verbose = 2 };

class Logger {
 public:
  // Only the rank given as io_rank prints (pass comm.rank() == 0). Output goes to `out` (stdout by default).
  Logger(bool io_rank, Level level, std::FILE* out = stdout);

  void info(const std::string& msg) const;
  void verbose(const std::string& msg) const;
  // Collected: a given text is printed once, the first time; all are repeated in summary().
  void warn(const std::string& msg);
  // Printed whatever the level (errors go to stderr).
  void error(const std::string& msg) const;
  void summary() const;

  [[nodiscard]] bool io_rank() const noexcept { return io_rank_; }
  [[nodiscard]] Level level() const noexcept { return level_; }
  [[nodiscard]] double elapsed() const;
  [[nodiscard]] std::size_t warning_count() const noexcept { return warnings_.size(); }

 private:
  void print(std::FILE* f, const char* tag, const std::string& msg) const;
  bool io_rank_;
  Level level_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_;
  std::set<std::string> warnings_;
};

// Progress with rate and ETA: one updating line on a terminal, a plain line every `interval` seconds otherwise.
class Progress {
 public:
  Progress(const Logger& log, std::string label, double total, std::string unit, double interval_s = 5.0);
  // Cheap to call every step; prints only when due. `done` is in the same unit as `total`.
  void update(double done);
  void finish();

 private:
  const Logger& log_;
  std::string label_, unit_;
  double total_;
  double interval_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
  double first_done_ = -1.0;
  bool printed_ = false;
};

}  // namespace sampo::log
