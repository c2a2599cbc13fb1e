// The vertex-partitioned engine (tokens migrate to the owner of their vertex, counts at owners, ghost counts
// refreshed in the superstep exchange) draws bitwise the paths of the replicated engine, at NP 1..4; no token is
// lost or duplicated (checked every superstep inside advance); export/import round-trips (restart).
#include <gtest/gtest.h>

#include <bit>

#include "walks/graph.hpp"
#include "walks/optimise.hpp"
#include "walks/partition.hpp"
#include "walks/walkers.hpp"

using namespace sampo;
using namespace sampo::walks;

namespace {

std::uint64_t hash_doubles(const std::vector<double>& v) {
  std::uint64_t h = 1469598103934665603ull;
  for (double x : v) h = (h ^ std::bit_cast<std::uint64_t>(x)) * 1099511628211ull;
  return h;
}

std::vector<std::uint64_t> fingerprint(const Walkers& w) {
  std::vector<std::uint64_t> out;
  for (const auto& t : w.tokens()) {
    const auto pos = t.stream.position();
    out.insert(out.end(), {t.id, static_cast<std::uint64_t>(t.vertex), static_cast<std::uint64_t>(t.previous),
                           pos.block, pos.used, hash_doubles(t.w), hash_doubles(t.theta),
                           std::bit_cast<std::uint64_t>(t.scale) ^ (t.cached ? 1u : 0u)});
  }
  return out;
}

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
    WalkParams p;
    p.chain = cs.chain;
    p.method = cs.method;
    p.alpha = cs.alpha;
    p.laziness = cs.laziness;
    p.tokens = T;
    p.seed = 13;
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
