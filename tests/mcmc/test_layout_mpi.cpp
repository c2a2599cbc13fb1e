// 8 chains give identical draws (bitwise) for any number of ranks and OpenMP threads: the gathered draws equal
// each rank's serial recomputation of all 8 chains.
#include <gtest/gtest.h>
#include <omp.h>

#include "core/mpi/communicator.hpp"
#include "mcmc/ensemble.hpp"

using namespace sampo::mcmc;

TEST(McmcLayout, DrawsIndependentOfRanksAndThreads) {
  const auto comm = sampo::mpi::Communicator::world();
  const std::uint64_t C = 8;
  CorrelatedGaussian t(4, 0.9);
  SamplerParams p;
  p.warmup = 60;
  p.draws = 40;
  Sampler sampler(t, p, 99);
  auto run_local = [&](const std::vector<std::uint64_t>& ids) {
    std::vector<ChainState> st;
    for (auto c : ids) st.push_back(sampler.init(c));
    std::vector<Record> recs(ids.size());
    advance(sampler, t, st, p.warmup + p.draws, recs);
    return recs;
  };
  std::vector<std::uint64_t> all(C);
  for (std::uint64_t c = 0; c < C; ++c) all[c] = c;
  omp_set_num_threads(1);
  const auto ref = run_local(all);
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    const auto mine = local_chains(comm.rank(), comm.size(), C);
    const auto recs = run_local(mine);
    std::vector<std::vector<double>> local;
    for (const auto& r : recs) local.push_back(r.draws);
    const auto gathered = gather_chains(comm, C, local);
    for (std::uint64_t c = 0; c < C; ++c) {
      ASSERT_EQ(gathered[c].size(), ref[c].draws.size());
      for (std::size_t i = 0; i < ref[c].draws.size(); ++i)
        ASSERT_EQ(gathered[c][i], ref[c].draws[i]) << "chain " << c << " entry " << i << " threads " << threads;
    }
  }
}
