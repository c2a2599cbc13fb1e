#include "mcmc/tempering.hpp"

#include <cmath>

#include "mcmc/ensemble.hpp"

namespace sampo::mcmc {

std::vector<double> TemperingParams::ladder() const {
  std::vector<double> b(static_cast<std::size_t>(replicas), 1.0);
  for (int k = 1; k < replicas; ++k) b[k] = std::pow(beta_min, static_cast<double>(k) / (replicas - 1));
  return b;
}

Tempering::Tempering(mpi::Communicator comm, const Target& base, TemperingParams p, std::uint64_t seed)
    : comm_(std::move(comm)), base_(base), p_(p), seed_(seed), betas_(p.ladder()) {
  targets_.reserve(betas_.size());
  for (double b : betas_) targets_.emplace_back(base_, b);
  SamplerParams sp;
  sp.algorithm = Algorithm::nuts;
  sp.warmup = 0;
  sp.max_depth = p_.max_depth;
  for (const auto& t : targets_) samplers_.emplace_back(t, sp, seed_);
}

TemperingState Tempering::init(const Vec* x0) const {
  const auto K = static_cast<std::uint64_t>(p_.replicas);
  TemperingState s;
  s.local = local_chains(comm_.rank(), comm_.size(), K);
  s.temp_of_replica.resize(K);
  for (std::uint64_t r = 0; r < K; ++r) s.temp_of_replica[r] = static_cast<int>(r);
  for (auto r : s.local) {
    const auto& t = targets_[r];
    ChainState c;
    c.id = r;
    rng::Stream init(seed_, rng::purpose_init, r);
    c.q = x0 ? *x0 : t.initial_point(init);
    c.lp = t.log_density_gradient(c.q, c.grad);
    c.eps = p_.step / std::sqrt(betas_[r]);
    c.inv_metric = Eigen::MatrixXd::Ones(t.dim(), 1);
    s.chains.push_back(std::move(c));
  }
  s.attempts.assign(K - 1, 0);
  s.accepts.assign(K - 1, 0);
  s.accept_prob_sum.assign(K - 1, 0.0);
  return s;
}

void Tempering::round(TemperingState& s, std::vector<double>& cold, int& cold_owner) const {
  const int K = p_.replicas;
  const auto n = static_cast<std::int64_t>(s.chains.size());
  std::vector<double> log_pi_local(static_cast<std::size_t>(n));
  std::vector<int> k_before(static_cast<std::size_t>(n));
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t i = 0; i < n; ++i) {
    auto& c = s.chains[static_cast<std::size_t>(i)];
    const int k = s.temp_of_replica[c.id];
    k_before[static_cast<std::size_t>(i)] = k;
    samplers_[static_cast<std::size_t>(k)].iterate(c);
    log_pi_local[static_cast<std::size_t>(i)] = c.lp / betas_[static_cast<std::size_t>(k)];
  }
  // Every replica's untempered log π, in replica order (replicas are contiguous per rank).
  const auto log_pi = comm_.allgatherv<double>(log_pi_local);
  std::vector<int> replica_of_temp(static_cast<std::size_t>(K));
  for (int r = 0; r < K; ++r) replica_of_temp[s.temp_of_replica[r]] = r;
  for (int k = static_cast<int>(s.round % 2); k + 1 < K; k += 2) {
    const int a = replica_of_temp[k], b = replica_of_temp[k + 1];
    const double log_ratio = (betas_[k] - betas_[k + 1]) * (log_pi[b] - log_pi[a]);
    const double prob = log_ratio >= 0 ? 1.0 : std::exp(log_ratio);
    rng::Stream u(seed_, rng::purpose_swap, static_cast<std::uint64_t>(k), static_cast<std::uint32_t>(s.round));
    ++s.attempts[k];
    s.accept_prob_sum[k] += prob;
    if (u.uniform() < prob) {
      ++s.accepts[k];
      s.temp_of_replica[a] = k + 1;
      s.temp_of_replica[b] = k;
    }
  }
  // Rescale cached tempered densities and gradients to each replica's new temperature; report the cold state.
  cold.clear();
  for (int r = 0; r < K; ++r)
    if (s.temp_of_replica[r] == 0) cold_owner = chain_owner(static_cast<std::uint64_t>(r), comm_.size(), K);
  for (std::size_t i = 0; i < s.chains.size(); ++i) {
    auto& c = s.chains[i];
    const int k = s.temp_of_replica[c.id];
    if (k != k_before[i]) {
      c.lp = betas_[static_cast<std::size_t>(k)] * log_pi_local[i];
      c.grad *= betas_[static_cast<std::size_t>(k)] / betas_[static_cast<std::size_t>(k_before[i])];
      c.eps = p_.step / std::sqrt(betas_[static_cast<std::size_t>(k)]);
    }
    if (k == 0) {
      const Vec x = base_.constrain(c.q);
      cold.assign(x.data(), x.data() + x.size());
    }
  }
  ++s.round;
}

}  // namespace sampo::mcmc
