#pragma once
// The draws in the output file as they are sampled (ArviZ/xarray layout): groups `posterior` and `sample_stats`
// (and, optionally, `warmup_posterior` and `warmup_sample_stats`) whose datasets [chain, draw, <var>_dim_k ...] are
// chunked and unlimited along `draw`, each with its own dimension scales `chain`, `draw` (also unlimited) and
// `<var>_dim_k`. append() extends every dataset of a pair of groups collectively and writes each rank's chains as
// one hyperslab, so a reader (h5py, xarray) can open the `.part` file during a run and see the draws flushed so far.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/io/hdf5.hpp"
#include "mcmc/sampler.hpp"
#include "mcmc/target.hpp"

namespace sampo::mcmc {

// Per-draw statistics packed as doubles: lp, accept, step_size, energy, tree_depth, n_steps, divergent, warmup.
inline constexpr int n_stats = 8;
std::vector<double> pack_stats(std::span<const DrawStats> st);

class DrawGroups {
 public:
  DrawGroups() = default;
  // Collective: creates posterior + sample_stats (and warmup_posterior + warmup_sample_stats when `warmup_groups`)
  // under `root` with `chains` chains and no draws yet.
  DrawGroups(const io::Group& root, const Target& target, std::uint64_t chains, bool warmup_groups);
  DrawGroups(DrawGroups&&) = default;
  DrawGroups& operator=(DrawGroups&&) = default;

  // Collective: appends `n` draws (the same n on every rank) to every chain of the warm-up (`warmup`) or the
  // posterior groups. This rank gives chains [first, first + draws.size()): draws[i] points at n rows of
  // constrained_dim() values, stats[i] at n rows of n_stats packed statistics. Ignored for warm-up when the warm-up
  // groups were not requested.
  void append(bool warmup, std::uint64_t first, std::span<const double* const> draws,
              std::span<const double* const> stats, std::uint64_t n);
  [[nodiscard]] std::uint64_t size(bool warmup) const { return sets_[warmup ? 1 : 0].n; }
  [[nodiscard]] bool has_warmup() const { return sets_.size() > 1 && sets_[1].post.id() >= 0; }
  // Collective: closes every dataset and group (before the file is closed).
  void close();

 private:
  struct Set {
    io::Group post, stats;
    std::vector<io::Handle> vars;   // posterior variables, in target.variables() order
    std::vector<io::Handle> stat;   // lp, acceptance_rate, step_size, energy, tree_depth, n_steps, diverging
    io::Handle post_draw, stats_draw;  // the `draw` scales
    std::uint64_t n = 0;
  };
  void create(Set& s, const io::Group& root, const std::string& prefix);
  std::vector<Variable> vars_;
  std::vector<int> offset_;  // of each variable in the constrained vector
  int cd_ = 0;
  std::uint64_t chains_ = 0;
  std::vector<Set> sets_;  // [0] posterior, [1] warm-up (when requested)
};

}  // namespace sampo::mcmc
