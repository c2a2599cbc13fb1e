// The vertex-partitioned engine (tokens migrate to the owner of their vertex, counts at owners, ghost counts
// refreshed in the superstep exchange) draws bitwise the paths of the replicated engine, at NP 1..4; no token is
// lost or duplicated (checked every superstep inside advance); export/import round-trips (restart).
#include <gtest/gtest.h>

#include <bit>

#include "walks/estimators.hpp"
#include "walks/graph.hpp"
#include "walks/optimise.hpp"
#include "walks/partition.hpp"
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
  double alpha, laziness;
  bool sa;
};

}  // namespace

TEST(WalksPartition, BalancedPartition) {
  auto g = preprocess(barabasi_albert(500, 3, 2), true, false, 2);
  for (int P : {1, 2, 3, 7}) {
    const auto part = Partition::balanced(g, P);
    ASSERT_EQ(part.parts(), P);
    EXPECT_EQ(part.begin.front(), 0);
    EXPECT_EQ(part.begin.back(), g.vertices());
    const double total = static_cast<double>(g.vertices() + 2 * g.edges());
    for (int r = 0; r < P; ++r) {
      double cost = 0;
      for (Vertex v = part.begin[r]; v < part.begin[r + 1]; ++v) {
        cost += 1.0 + static_cast<double>(g.degree(v));
        EXPECT_EQ(part.owner(v), r);
      }
      // Within one vertex (1 + max degree) of the even share.
      EXPECT_LE(std::abs(cost - total / P), 1.0 + static_cast<double>(g.max_degree()));
    }
  }
}

TEST(WalksPartition, BitwiseEqualToReplicated) {
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  auto g = preprocess(watts_strogatz(200, 4, 0.3, 4), true, true, 4);
  Objective obj(g.vertices(), Loss::quadratic, 2, 1, 0.0, 4);
  const std::int64_t T = 9;
  for (const Case& cs : {Case{Chain::srw, Method::base, 0, 0, false}, Case{Chain::nbrw, Method::base, 0, 0, false},
                         Case{Chain::srw, Method::srrw, 2, 0, false}, Case{Chain::mhrw, Method::srrw, 5, 0.1, true},
                         Case{Chain::mhrw, Method::srrw, 600, 0, false}, Case{Chain::srw, Method::hdt, 3, 0.2, false}}) {
    BaseChain c(g, cs.chain, cs.laziness);
    const WalkParams p = params(cs.chain, cs.method, cs.alpha, cs.laziness, T, 13);
    const TokenTask* task = cs.sa ? &obj : nullptr;
    PartitionedWalkers pw(world, c, p, task);
    pw.advance(300);
    pw.advance(700);
    const auto P = static_cast<std::uint64_t>(world.size()), r = static_cast<std::uint64_t>(world.rank());
    const std::uint64_t first = T * r / P, last = T * (r + 1) / P;
    Walkers view(c, p, first, last - first, task);
    pw.export_to(view);
    const auto got = world.allgatherv<std::uint64_t>(fingerprint(view));
    Walkers ref(c, p, 0, T, task);
    ref.advance(1000);
    EXPECT_EQ(got, fingerprint(ref)) << to_string(cs.chain) << "/" << to_string(cs.method) << " alpha " << cs.alpha;
    if (world.size() > 1) {
      EXPECT_GT(pw.stats().supersteps, 10);  // tokens really migrated
    }
    // Restart: import the exported state into a fresh engine and continue; equal to continuing the original.
    PartitionedWalkers again(world, c, p, task);
    again.import_from(view);
    again.advance(500);
    pw.advance(500);
    Walkers v1(c, p, first, last - first, task), v2(c, p, first, last - first, task);
    again.export_to(v1);
    pw.export_to(v2);
    EXPECT_EQ(fingerprint(v1), fingerprint(v2));
    ref.advance(500);
    EXPECT_EQ(world.allgatherv<std::uint64_t>(fingerprint(v1)), fingerprint(ref));
  }
}

// Estimators of the vertex engine from the counts where they live (exact partial sums over each owner's visited
// vertices plus the unvisited terms once, sent to the token's shard): bitwise the replicated engine's summary of a
// single-rank run, for any rank count; the block functions' exact means equal standard_functions'; the token-averaged
// measure agrees to rounding (it is summed in another order).
TEST(WalksPartition, EstimatorsFromOwnersBitwise) {
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  auto self = mpi::Communicator(MPI_COMM_SELF);
  auto g = preprocess(watts_strogatz(300, 6, 0.3, 8), true, true, 8);
  Objective obj(g.vertices(), Loss::quadratic, 2, 1, 0.0, 8);
  const std::int64_t T = 11;
  for (const Case& cs : {Case{Chain::srw, Method::srrw, 2, 0, false}, Case{Chain::mhrw, Method::srrw, 5, 0.1, true},
                         Case{Chain::srw, Method::hdt, 3, 0.2, false}, Case{Chain::srw, Method::base, 0, 0, false}}) {
    BaseChain c(g, cs.chain, cs.laziness);
    const WalkParams p = params(cs.chain, cs.method, cs.alpha, cs.laziness, T, 5);
    const TokenTask* task = cs.sa ? &obj : nullptr;
    const std::vector<double> theta_star = cs.sa ? std::vector<double>{0.3, -0.2} : std::vector<double>{};
    PartitionedWalkers pw(world, c, p, task);
    const auto mu = block_mu_norm(pw.graph(), cs.chain);
    const auto fs = block_functions(world, pw.graph(), mu, 0.3, "");
    const auto gfs = standard_functions(c, 0.3);
    ASSERT_EQ(fs.size(), gfs.size());
    for (std::size_t q = 0; q < fs.size(); ++q) {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(fs[q].exact), std::bit_cast<std::uint64_t>(gfs[q].exact)) << fs[q].name;
      for (std::size_t b = 0; b < fs[q].values.size(); ++b)
        ASSERT_EQ(fs[q].values[b], gfs[q].values[static_cast<std::size_t>(pw.graph().lo()) + b]);
    }
    for (std::size_t b = 0; b < mu.size(); ++b)
      ASSERT_EQ(mu[b], c.mu_norm()[static_cast<std::size_t>(pw.graph().lo()) + b]);
    std::vector<std::span<const double>> fb;
    for (const auto& f : fs) fb.emplace_back(f.values);
    Walkers ref(c, p, 0, T, task);
    const auto base = pw.estimator_base(mu, fb);  // the run-constant sums the driver passes (same bits either way)
    for (std::int64_t steps : {0, 40, 400}) {  // before any step, few vertices visited, most visited
      pw.advance(steps);
      ref.advance(steps);
      const auto got = summarise_rows(world, pw.estimator_rows(mu, fb, theta_star), fs);
      const auto want = summarise(self, ref, gfs, theta_star);
      const std::string what = to_string(cs.chain) + "/" + to_string(cs.method) + " at " + std::to_string(pw.step());
      const auto with_base = summarise_rows(world, pw.estimator_rows(mu, fb, theta_star, &base), fs);
      EXPECT_EQ(std::bit_cast<std::uint64_t>(with_base.tvd_mean), std::bit_cast<std::uint64_t>(want.tvd_mean)) << what;
      for (std::size_t q = 0; q < fs.size(); ++q)
        EXPECT_EQ(std::bit_cast<std::uint64_t>(with_base.mean[q]), std::bit_cast<std::uint64_t>(want.mean[q])) << what;
      EXPECT_EQ(std::bit_cast<std::uint64_t>(got.tvd_mean), std::bit_cast<std::uint64_t>(want.tvd_mean)) << what;
      EXPECT_EQ(std::bit_cast<std::uint64_t>(got.mse), std::bit_cast<std::uint64_t>(want.mse)) << what;
      for (std::size_t q = 0; q < fs.size(); ++q) {
        EXPECT_EQ(std::bit_cast<std::uint64_t>(got.mean[q]), std::bit_cast<std::uint64_t>(want.mean[q])) << what;
        EXPECT_EQ(std::bit_cast<std::uint64_t>(got.nrmse[q]), std::bit_cast<std::uint64_t>(want.nrmse[q])) << what;
        EXPECT_EQ(std::bit_cast<std::uint64_t>(got.var[q]), std::bit_cast<std::uint64_t>(want.var[q])) << what;
      }
      if (cs.sa && pw.step() > 0) {
        EXPECT_GT(got.mse, 0.0);
      }
      // Token-averaged measure: T terms per vertex in another order than the replicated MPI sum (rounding only).
      const auto xb = pw.mean_block();
      const auto x = mean_measure(self, ref);
      for (std::size_t b = 0; b < xb.size(); ++b)
        ASSERT_NEAR(xb[b], x[static_cast<std::size_t>(pw.graph().lo()) + b], 1e-15) << what;
      // The shard's token scalars are the replicated tokens'.
      const auto toks = pw.shard_tokens();
      for (const auto& t : toks) {
        const auto& r = ref.tokens()[t.id];
        EXPECT_EQ(t.vertex, r.vertex);
        EXPECT_EQ(t.stream.position().used, r.stream.position().used);
        EXPECT_EQ(std::bit_cast<std::uint64_t>(t.scale), std::bit_cast<std::uint64_t>(r.scale));
      }
      EXPECT_EQ(world.allreduce(static_cast<long long>(toks.size()), mpi::Op::sum), T);
    }
  }
}

// Step-size mode (walk.gamma_exponent < 1: x ← x + γ_n(δ − x), kept as w·G) in the vertex engine: bitwise the
// replicated paths, visit weights, envelopes and estimators, with renormalisations (w ← w·G when G < threshold; the
// threshold raised to 1e-3 so that they happen every few dozen steps) done lazily at the owners; then a restart
// through the exported view continues bitwise. Cases: SRRW (cached powers until the first renormalisation, then
// log domain), SRRW with rejection envelopes at every vertex of degree ≥ 7, HDT, MH-SRRW with SA and an α ramp.
TEST(WalksPartition, StepSizeModeBitwise) {
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  auto self = mpi::Communicator(MPI_COMM_SELF);
  auto g = preprocess(watts_strogatz(200, 6, 0.3, 4), true, true, 4);
  Objective obj(g.vertices(), Loss::quadratic, 2, 1, 0.0, 4);
  const std::int64_t T = 7;
  struct StepCase {
    Chain chain;
    Method method;
    double alpha, gamma;
    std::int64_t reject, ramp;
    bool sa;
  };
  for (const StepCase& cs : {StepCase{Chain::srw, Method::srrw, 2, 0.7, 0, 0, false},
                             StepCase{Chain::srw, Method::srrw, 3, 0.6, 7, 0, false},
                             StepCase{Chain::srw, Method::hdt, 3, 0.8, 0, 0, false},
                             StepCase{Chain::mhrw, Method::srrw, 4, 0.9, 0, 300, true}}) {
    BaseChain c(g, cs.chain, 0.0);
    WalkParams p = params(cs.chain, cs.method, cs.alpha, 0.0, T, 29, cs.gamma);
    p.rejection_degree = cs.reject;
    p.alpha_ramp = cs.ramp;
    p.renormalise_below = 1e-3;
    const TokenTask* task = cs.sa ? &obj : nullptr;
    const std::string what = to_string(cs.chain) + "/" + to_string(cs.method) + " gamma " + std::to_string(cs.gamma);
    PartitionedWalkers pw(world, c, p, task);
    Walkers ref(c, p, 0, T, task);
    const auto P = static_cast<std::uint64_t>(world.size()), r = static_cast<std::uint64_t>(world.rank());
    const std::uint64_t first = T * r / P, last = T * (r + 1) / P;
    pw.advance(600);
    ref.advance(600);
    Walkers view(c, p, first, last - first, task);
    pw.export_to(view);
    auto envelopes = [](const Walkers& w) {
      std::vector<std::uint64_t> out;
      for (const auto& t : w.tokens())
        for (double e : t.env) out.push_back(std::bit_cast<std::uint64_t>(e));
      return out;
    };
    EXPECT_EQ(world.allgatherv<std::uint64_t>(fingerprint(view)), fingerprint(ref)) << what;
    EXPECT_EQ(world.allgatherv<std::uint64_t>(envelopes(view)), envelopes(ref)) << what;
    bool cached_left = false;  // the renormalisations really happened (they end the cached mode)
    for (const auto& t : ref.tokens()) cached_left = cached_left || t.cached;
    EXPECT_FALSE(cached_left) << what;
    if (cs.reject > 0) {
      EXPECT_GT(ref.rejection_vertices(), 0) << what;
    }
    const auto mu = block_mu_norm(pw.graph(), cs.chain);
    const auto fs = block_functions(world, pw.graph(), mu, 0.3, "");
    std::vector<std::span<const double>> fb;
    for (const auto& f : fs) fb.emplace_back(f.values);
    const std::vector<double> star = cs.sa ? std::vector<double>{0.1, 0.2} : std::vector<double>{};
    const auto a = summarise_rows(world, pw.estimator_rows(mu, fb, star), fs);
    const auto b = summarise(self, ref, standard_functions(c, 0.3), star);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.tvd_mean), std::bit_cast<std::uint64_t>(b.tvd_mean)) << what;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.mean[0]), std::bit_cast<std::uint64_t>(b.mean[0])) << what;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.var[1]), std::bit_cast<std::uint64_t>(b.var[1])) << what;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.mse), std::bit_cast<std::uint64_t>(b.mse)) << what;
    // Restart from the view (the schedule is rebuilt from step 0), then both continue.
    PartitionedWalkers again(world, c, p, task);
    again.import_from(view);
    again.advance(400);
    ref.advance(400);
    Walkers v2(c, p, first, last - first, task);
    again.export_to(v2);
    EXPECT_EQ(world.allgatherv<std::uint64_t>(fingerprint(v2)), fingerprint(ref)) << what << " after restart";
  }
}
