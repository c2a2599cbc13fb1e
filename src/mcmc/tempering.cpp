#include "mcmc/tempering.hpp"

#include <algorithm>
#include <cmath>

#include "core/error/error.hpp"

#include "mcmc/ensemble.hpp"

namespace sampo::mcmc {

std::vector<double> TemperingParams::ladder() const {
  std::vector<double> b(static_cast<std::size_t>(replicas), 1.0);
  for (int k = 1; k < replicas; ++k) b[k] = std::pow(beta_min, static_cast<double>(k) / (replicas - 1));
  return b;
}

std::vector<double> equalise_ladder(std::span<const double> betas, std::span<const double> rejection) {
  const std::size_t K = betas.size();
  SAMPO_VERIFY(K >= 2 && rejection.size() == K - 1, "equalise_ladder: K betas need K-1 rejection rates");
  // Ascending: b_i = β_{K−1−i}; the pair (b_i, b_{i+1}) is pair k = K−2−i. Λ_i = Σ_{j<i} r (floored at 1e-6 so
  // that Λ is strictly increasing and invertible).
  std::vector<double> b(K), lam(K, 0.0);
  for (std::size_t i = 0; i < K; ++i) b[i] = betas[K - 1 - i];
  for (std::size_t i = 0; i + 1 < K; ++i) lam[i + 1] = lam[i] + std::max(rejection[K - 2 - i], 1e-6);
  std::vector<double> out(K);
  out[0] = 1.0, out[K - 1] = betas[K - 1];
  std::size_t i = 0;
  for (std::size_t j = 1; j + 1 < K; ++j) {
    const double target = lam[K - 1] * static_cast<double>(j) / static_cast<double>(K - 1);
    while (i + 2 < K && lam[i + 1] < target) ++i;
    const double f = (target - lam[i]) / (lam[i + 1] - lam[i]);
    out[K - 1 - j] = b[i] + f * (b[i + 1] - b[i]);
  }
  return out;
}

Tempering::Tempering(mpi::Communicator comm, const Target& base, TemperingParams p, std::uint64_t seed)
    : comm_(std::move(comm)), base_(base), p_(p), seed_(seed), betas_(p.ladder()) {
  build();
}

void Tempering::build() {
  samplers_.clear();
  targets_.clear();
  targets_.reserve(betas_.size());  // the samplers keep references to these
  for (double b : betas_) targets_.emplace_back(base_, b);
  SamplerParams sp;
  sp.algorithm = Algorithm::nuts;
  sp.warmup = 0;
  sp.max_depth = p_.max_depth;
  for (const auto& t : targets_) samplers_.emplace_back(t, sp, seed_);
}

void Tempering::set_ladder(TemperingState& s, std::vector<double> betas) {
  SAMPO_VERIFY(betas.size() == betas_.size() && betas.front() == 1.0, "set_ladder: K betas starting at 1");
  for (auto& c : s.chains) {
    const auto k = static_cast<std::size_t>(s.temp_of_replica[c.id]);
    const double ratio = betas[k] / betas_[k];
    c.lp *= ratio;
    c.grad *= ratio;
    c.eps = p_.step / std::sqrt(betas[k]);
  }
  betas_ = std::move(betas);
  build();
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

void Tempering::round(TemperingState& s, std::vector<double>& cold, int& cold_owner, DrawStats* transition,
                      int* transition_owner) const {
  const int K = p_.replicas;
  const auto n = static_cast<std::int64_t>(s.chains.size());
  std::vector<double> log_pi_local(static_cast<std::size_t>(n));
  std::vector<int> k_before(static_cast<std::size_t>(n));
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t i = 0; i < n; ++i) {
    auto& c = s.chains[static_cast<std::size_t>(i)];
    const int k = s.temp_of_replica[c.id];
    k_before[static_cast<std::size_t>(i)] = k;
    const auto st = samplers_[static_cast<std::size_t>(k)].iterate(c);
    if (k == 0 && transition) *transition = st;
    log_pi_local[static_cast<std::size_t>(i)] = c.lp / betas_[static_cast<std::size_t>(k)];
  }
  // Every replica's untempered log π, in replica order (replicas are contiguous per rank).
  const auto log_pi = comm_.allgatherv<double>(log_pi_local);
  std::vector<int> replica_of_temp(static_cast<std::size_t>(K));
  for (int r = 0; r < K; ++r) replica_of_temp[s.temp_of_replica[r]] = r;
  if (transition_owner)
    *transition_owner = chain_owner(static_cast<std::uint64_t>(replica_of_temp[0]), comm_.size(),
                                    static_cast<std::uint64_t>(K));
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
      cold.push_back(c.lp);  // β_0 = 1: the tempered density is the untempered one
    }
  }
  ++s.round;
}

}  // namespace sampo::mcmc
