#include "smc/ppg.hpp"

#include <cmath>

#include "core/error/error.hpp"
#include "core/rng/stream.hpp"

namespace sampo::smc {

std::uint64_t iteration_seed(std::uint64_t seed, std::uint64_t chain, std::uint64_t k) {
  return rng::splitmix64(rng::splitmix64(seed ^ rng::splitmix64(0x7070ULL + chain)) + k);
}

PpgChain::PpgChain(mpi::Communicator comm, Model& model, const Observations& obs, const Functional& h,
                   FilterOptions base, std::uint64_t seed, std::uint64_t chain_id)
    : comm_(std::move(comm)), model_(model), obs_(obs), h_(h), base_(base), seed_(seed), chain_(chain_id) {
  base_.keep_history = true;
}

std::vector<double> PpgChain::initialise() {
  k_ = 0;
  auto opt = base_;
  opt.seed = iteration_seed(seed_, chain_, 0);
  ParticleFilter f(comm_, model_, obs_, &h_, opt);
  f.run();
  ref_ = f.select_path(opt.seed);
  return f.estimate();
}

std::vector<double> PpgChain::iterate(bool conditional) {
  SAMPO_VERIFY(k_ >= 0, "initialise() the PPG chain first");
  ++k_;
  auto opt = base_;
  opt.seed = iteration_seed(seed_, chain_, static_cast<std::uint64_t>(k_));
  ParticleFilter f(comm_, model_, obs_, &h_, opt, conditional ? ref_ : std::vector<double>{});
  f.run();
  ref_ = f.select_path(opt.seed);
  return f.estimate();
}

std::vector<double> sa_update(const Model& m, std::vector<double> theta, std::span<const double> score,
                              const LearnOptions& o, int k, int n) {
  const double gamma = o.step0 * std::pow(static_cast<double>(k), -o.decay) / static_cast<double>(n + 1);
  for (int i : o.index) theta[static_cast<std::size_t>(i)] += gamma * score[static_cast<std::size_t>(i)];
  m.project_params(theta);
  return theta;
}

}  // namespace sampo::smc
