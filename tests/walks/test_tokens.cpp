// Tokens at any rank count: paths bitwise identical at NP 1..4 and with 1 or 2 OpenMP threads; no token lost or
// duplicated; SA-SRRW reduces the MSE to θ* and α = 10 beats α = 0.
#include <gtest/gtest.h>
#include <omp.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "walks/estimators.hpp"
#include "walks/graph.hpp"
#include "walks/optimise.hpp"
#include "walks/walkers.hpp"
#include "support.hpp"

using namespace sampo;
using namespace sampo::walks;
using test::fingerprint;
using test::params;

namespace {

struct Case {
  Chain chain;
  Method method;
  double alpha, laziness, gamma_exponent;
  bool sa;
  std::int64_t rejection_degree = 0;
};

}  // namespace

TEST(WalksTokens, BitwiseAcrossRanksAndThreads) {
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  auto g = preprocess(watts_strogatz(300, 6, 0.2, 9), true, true, 9);
  const std::int64_t T = 7;
  Objective obj(g.vertices(), Loss::logistic, 3, 4, 0.01, 9);
  for (const Case& cs : {Case{Chain::srw, Method::base, 0, 0, 1, false}, Case{Chain::nbrw, Method::base, 0, 0, 1, false},
                         Case{Chain::mhrw, Method::base, 0, 0.2, 1, false}, Case{Chain::mhrw, Method::srrw, 3, 0.1, 1, false},
                         Case{Chain::srw, Method::hdt, 2, 0, 1, false}, Case{Chain::mhrw, Method::srrw, 10, 0, 0.8, true},
                         Case{Chain::mhrw, Method::srrw, 600, 0.1, 1, false},  // switches to the log domain mid-run
                         Case{Chain::srw, Method::srrw, 5, 0, 1, false, 7}}) {  // rejection at degree >= 7
    BaseChain c(g, cs.chain, cs.laziness);
    WalkParams p = params(cs.chain, cs.method, cs.alpha, cs.laziness, T, 31, cs.gamma_exponent);
    p.rejection_degree = cs.rejection_degree;
    const TokenTask* task = cs.sa ? &obj : nullptr;
    const auto P = static_cast<std::uint64_t>(world.size()), r = static_cast<std::uint64_t>(world.rank());
    const std::uint64_t first = T * r / P, last = T * (r + 1) / P;
    Walkers dist(c, p, first, last - first, task);
    dist.advance(150);
    dist.advance(350);
    const auto got = world.allgatherv<std::uint64_t>(fingerprint(dist));
    // No token lost or duplicated: ids 0..T-1 once each, in order.
    ASSERT_EQ(got.size(), static_cast<std::size_t>(T) * 8);
    for (std::int64_t k = 0; k < T; ++k) EXPECT_EQ(got[static_cast<std::size_t>(k) * 8], static_cast<std::uint64_t>(k));
    // The batched loop (advance_batched, the default on large graphs) and the interleaved one draw the same paths.
    for (const std::size_t batch : {std::size_t{0}, std::numeric_limits<std::size_t>::max()})
      for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        WalkParams q = p;
        q.batch_min_bytes = batch;
        Walkers all(c, q, 0, T, task);
        all.advance(500);  // one chunk instead of two: chunking must not matter either
        EXPECT_EQ(fingerprint(all), got) << to_string(cs.chain) << "/" << to_string(cs.method) << " threads "
                                         << threads << (batch == 0 ? " batched" : " interleaved");
      }
    omp_set_num_threads(1);
  }
}

TEST(WalksSa, MseDecreasesAndRepellenceHelps) {
  // BA graph of agents with logistic losses, MHRW base (μ uniform), β_n = (n+1)^(−0.8), γ_n = (n+1)^(−0.6):
  // the regime β = o(γ) where SA-SRRW's covariance is O(1/α²).
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  auto g = preprocess(barabasi_albert(200, 3, 12), true, false, 12);
  BaseChain c(g, Chain::mhrw, 0.0);
  for (Loss loss : {Loss::logistic, Loss::quadratic}) {
    Objective obj(g.vertices(), loss, 4, 8, 0.05, 12);
    int its = 0;
    const auto star = obj.solve(c.mu_norm(), &its);
    // θ* is a stationary point of F: its gradient vanishes.
    std::vector<double> grad(4, 0.0), dr(4);
    for (Vertex i = 0; i < g.vertices(); ++i) {
      obj.drift(i, star.data(), dr.data());
      for (int q = 0; q < 4; ++q) grad[q] += c.mu_norm()[i] * dr[q];
    }
    for (double v : grad) EXPECT_LT(std::abs(v), 1e-10);
    const std::int64_t R = 40;
    const auto P = static_cast<std::uint64_t>(world.size()), r = static_cast<std::uint64_t>(world.rank());
    std::vector<double> final_mse;
    for (double alpha : {0.0, 10.0}) {
      WalkParams p;
      p.chain = Chain::mhrw;
      p.method = Method::srrw;
      p.alpha = alpha;
      p.gamma_exponent = 0.6;
      p.beta_exponent = 0.8;
      p.tokens = R;
      p.seed = 5;
      Walkers w(c, p, R * r / P, R * (r + 1) / P - R * r / P, &obj);
      std::vector<double> mse;
      for (int stage = 0; stage < 3; ++stage) {
        w.advance(std::array<std::int64_t, 3>{1000, 4000, 25000}[static_cast<std::size_t>(stage)]);
        mse.push_back(summarise(world, w, {}, star).mse);
      }
      if (world.is_root())
        std::printf("  %s alpha %4.1f: MSE at %lld steps %.3e, %.3e, %.3e\n",
                    loss == Loss::logistic ? "logistic " : "quadratic", alpha, static_cast<long long>(w.step()),
                    mse[0], mse[1], mse[2]);
      EXPECT_LT(mse[1], mse[0]);
      EXPECT_LT(mse[2], mse[1]);
      final_mse.push_back(mse[2]);
    }
    EXPECT_LT(final_mse[1], final_mse[0]) << "alpha = 10 should beat alpha = 0";
  }
}
