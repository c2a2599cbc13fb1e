#include "mcmc/ensemble.hpp"

#include <exception>

namespace sampo::mcmc {

int chain_owner(std::uint64_t chain, int ranks, std::uint64_t chains) {
  return static_cast<int>(chain * static_cast<std::uint64_t>(ranks) / chains);
}

std::vector<std::uint64_t> local_chains(int rank, int ranks, std::uint64_t chains) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t c = 0; c < chains; ++c)
    if (chain_owner(c, ranks, chains) == rank) out.push_back(c);
  return out;
}

void advance(const Sampler& sampler, const Target& target, std::vector<ChainState>& states, std::int64_t n,
             std::vector<Record>& recs) {
  const auto m = static_cast<std::int64_t>(states.size());
  const auto cd = static_cast<std::size_t>(target.constrained_dim());
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t i = 0; i < m; ++i) {
    try {
      auto& s = states[static_cast<std::size_t>(i)];
      auto& rec = recs[static_cast<std::size_t>(i)];
      for (std::int64_t t = 0; t < n; ++t) {
        const auto st = sampler.iterate(s);
        const Vec x = target.constrain(s.q);
        rec.draws.insert(rec.draws.end(), x.data(), x.data() + cd);
        rec.stats.push_back(st);
      }
    } catch (...) {
#pragma omp critical(sampo_mcmc_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

std::vector<std::vector<double>> gather_chains(const mpi::Communicator& comm, std::uint64_t chains,
                                               const std::vector<std::vector<double>>& local) {
  std::vector<double> flat;
  std::size_t len = local.empty() ? 0 : local[0].size();
  len = static_cast<std::size_t>(comm.allreduce(static_cast<std::int64_t>(len), mpi::Op::max));
  for (const auto& v : local) flat.insert(flat.end(), v.begin(), v.end());
  // Chains are contiguous per rank in increasing order, so rank order = chain order.
  const auto all = comm.allgatherv<double>(flat);
  std::vector<std::vector<double>> out(chains);
  for (std::uint64_t c = 0; c < chains; ++c)
    out[c].assign(all.begin() + static_cast<std::ptrdiff_t>(c * len),
                  all.begin() + static_cast<std::ptrdiff_t>((c + 1) * len));
  return out;
}

}  // namespace sampo::mcmc
