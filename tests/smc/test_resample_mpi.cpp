// Distributed resampling gives exactly the serial offspring at any rank count; rebalancing preserves the multiset;
// exact sums do not depend on grouping. Run at np = 1, 2, 3, 4.
#include <gtest/gtest.h>
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/rng/stream.hpp"
#include "core/numeric/exact_sum.hpp"
#include "smc/resample.hpp"

namespace sampo::smc {
namespace {

mpi::Communicator world() { return mpi::Communicator(MPI_COMM_WORLD); }

// Log-weights of global particle i: a spread of magnitudes (and some exact zeros of weight) keyed by id.
double logw_of(std::uint64_t i, std::uint32_t t, double spread) {
  rng::Stream s(99, rng::purpose_test, i, t);
  const double u = s.uniform();
  if (u < 0.05) return -std::numeric_limits<double>::infinity();
  return spread * s.normal();
}

TEST(Resample, OffspringIdenticalToSerialForEveryScheme) {
  const auto comm = world();
  for (std::uint64_t N : {37ULL, 256ULL, 1001ULL}) {
    const Layout lay{N, comm.size()};
    const auto first = lay.first(comm.rank()), count = lay.count(comm.rank());
    for (double spread : {0.1, 3.0, 30.0}) {
      for (std::uint32_t t : {0u, 5u}) {
        std::vector<double> lw(count);
        for (std::uint64_t i = 0; i < count; ++i) lw[i] = logw_of(first + i, t, spread);
        const auto fw = fixed_weights(comm, lw, N);
        const auto all_w = comm.allgatherv<unsigned long long>(std::vector<unsigned long long>(fw.w.begin(), fw.w.end()));
        const std::vector<std::uint64_t> w(all_w.begin(), all_w.end());
        for (auto scheme : {Scheme::multinomial, Scheme::systematic, Scheme::stratified, Scheme::residual}) {
          for (std::uint64_t n_out : {N, N - 1}) {
            const auto c = offspring(comm, fw, scheme, n_out, N, 1234, t);
            const auto all_c = comm.allgatherv<unsigned long long>(std::vector<unsigned long long>(c.begin(), c.end()));
            const auto ref = offspring_serial(w, scheme, n_out, 1234, t);
            ASSERT_EQ(all_c.size(), ref.size());
            EXPECT_TRUE(std::equal(ref.begin(), ref.end(), all_c.begin()))
                << to_string(scheme) << " N=" << N << " n_out=" << n_out << " spread=" << spread;
            EXPECT_EQ(std::accumulate(ref.begin(), ref.end(), std::uint64_t{0}), n_out);
            for (std::size_t i = 0; i < w.size(); ++i)
              if (w[i] == 0) {
                EXPECT_EQ(ref[i], 0u) << "a zero-weight particle was resampled";
              }
          }
        }
      }
    }
  }
}

TEST(Resample, FusedSystematicAncestorsAreTheExpandedSerialOffspring) {
  // The one-rank fused path (systematic_ancestors) must give, slot for slot, the ancestors that expanding the serial
  // systematic offspring counts gives — for any thread count (each thread starts its sweep from a division).
  for (std::uint64_t N : {1ULL, 37ULL, 1000ULL, 70001ULL}) {
    for (double spread : {0.1, 3.0, 30.0}) {
      std::vector<double> lw(N);
      for (std::uint64_t i = 0; i < N; ++i) lw[i] = logw_of(i, 3, spread);
      if (N == 1) lw[0] = 0.0;
      const auto fw = fixed_weights(mpi::Communicator(MPI_COMM_SELF), lw, N);
      const auto counts = offspring_serial(fw.w, Scheme::systematic, N, 4321, 3);
      std::vector<std::uint64_t> ref;
      for (std::uint64_t i = 0; i < N; ++i) ref.insert(ref.end(), counts[i], 10 + i);
      for (int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        std::vector<std::uint64_t> anc;
        systematic_ancestors(fw, N, 4321, 3, 10, anc);
        EXPECT_EQ(anc, ref) << "N=" << N << " spread=" << spread << " threads=" << threads;
      }
    }
  }
  omp_set_num_threads(1);
}

TEST(Resample, FusedSystematicRebalancingGivesTheSerialAncestorsAndTheirRecords) {
  // Any rank count: each rank's slots get the ancestors of the expanded serial systematic offspring, and each
  // slot's parent row holds that ancestor's record (records of width 2 keyed by the global id).
  const auto comm = world();
  for (std::uint64_t N : {5ULL, 37ULL, 1000ULL, 20001ULL}) {
    const Layout lay{N, comm.size()};
    const auto first = lay.first(comm.rank()), count = lay.count(comm.rank());
    for (double spread : {0.1, 3.0, 30.0}) {
      std::vector<double> lw(count);
      for (std::uint64_t i = 0; i < count; ++i) lw[i] = logw_of(first + i, 7, spread);
      const auto fw = fixed_weights(comm, lw, N);
      const auto all_w = comm.allgatherv<unsigned long long>(std::vector<unsigned long long>(fw.w.begin(), fw.w.end()));
      if (std::all_of(all_w.begin(), all_w.end(), [](auto v) { return v == 0; })) continue;
      const auto counts = offspring_serial(std::vector<std::uint64_t>(all_w.begin(), all_w.end()), Scheme::systematic, N, 55, 7);
      std::vector<std::uint64_t> ref;
      for (std::uint64_t i = 0; i < N; ++i) ref.insert(ref.end(), counts[i], i);
      std::vector<double> rec(2 * count);
      for (std::uint64_t i = 0; i < count; ++i) rec[2 * i] = 0.5 * static_cast<double>(first + i), rec[2 * i + 1] = -1.0 * static_cast<double>(first + i);
      std::vector<std::uint64_t> anc, parent;
      systematic_rebalance(comm, fw, N, 55, 7, lay, first, rec, 2, anc, parent);
      ASSERT_EQ(anc.size(), count);
      for (std::uint64_t j = 0; j < count; ++j) {
        ASSERT_EQ(anc[j], ref[first + j]) << "N=" << N << " spread=" << spread << " slot " << first + j;
        ASSERT_EQ(rec[2 * parent[j]], 0.5 * static_cast<double>(anc[j]));
        ASSERT_EQ(rec[2 * parent[j] + 1], -1.0 * static_cast<double>(anc[j]));
      }
    }
  }
}

TEST(Resample, LowVarianceSchemesKeepCountsNearExpectation) {
  // Systematic and residual: every count is within 1 of N W_i (the defining property), exactly.
  const std::uint64_t N = 500;
  std::vector<double> lw(N);
  for (std::uint64_t i = 0; i < N; ++i) lw[i] = logw_of(i, 1, 2.0);
  const auto fw = fixed_weights(mpi::Communicator(MPI_COMM_SELF), lw, N);
  for (auto scheme : {Scheme::systematic, Scheme::residual}) {
    const auto c = offspring_serial(fw.w, scheme, N, 77, 3);
    for (std::size_t i = 0; i < N; ++i) {
      const double e = static_cast<double>(N) * static_cast<double>(fw.w[i]) / static_cast<double>(fw.total);
      EXPECT_GE(static_cast<double>(c[i]), std::floor(e) - (scheme == Scheme::systematic ? 1e-9 : 0.0));
      if (scheme == Scheme::systematic) {
        EXPECT_LE(static_cast<double>(c[i]), std::ceil(e) + 1e-9);
      }
    }
  }
}

TEST(Resample, RebalancePreservesTheMultisetAndBlocks) {
  const auto comm = world();
  const std::uint64_t N = 97;
  const Layout lay{N, comm.size()};
  const auto first = lay.first(comm.rank()), count = lay.count(comm.rank());
  std::vector<double> lw(count), rec(count * 2);
  for (std::uint64_t i = 0; i < count; ++i) {
    lw[i] = logw_of(first + i, 2, 4.0);  // very uneven: most offspring come from a few ranks
    rec[2 * i] = static_cast<double>(first + i);
    rec[2 * i + 1] = std::sqrt(static_cast<double>(first + i));
  }
  const auto fw = fixed_weights(comm, lw, N);
  for (std::uint64_t n_out : {N, N - 1}) {
    const auto c = offspring(comm, fw, Scheme::multinomial, n_out, N, 5, 2);
    const auto moved = rebalance(comm, c, rec, 2, first, lay, n_out);
    const std::uint64_t expect = std::min(lay.first(comm.rank() + 1), n_out) - std::min(first, n_out);
    ASSERT_EQ(moved.ancestors.size(), expect);
    for (std::size_t j = 0; j < moved.ancestors.size(); ++j) {
      EXPECT_EQ(moved.records[2 * j], static_cast<double>(moved.ancestors[j]));  // payload travelled with its id
      EXPECT_EQ(moved.records[2 * j + 1], std::sqrt(static_cast<double>(moved.ancestors[j])));
    }
    const auto all_anc = comm.allgatherv<unsigned long long>(
        std::vector<unsigned long long>(moved.ancestors.begin(), moved.ancestors.end()));
    const auto all_c = comm.allgatherv<unsigned long long>(std::vector<unsigned long long>(c.begin(), c.end()));
    std::vector<unsigned long long> expected;
    for (std::uint64_t i = 0; i < N; ++i)
      for (unsigned long long k = 0; k < all_c[i]; ++k) expected.push_back(i);
    EXPECT_EQ(all_anc, expected);  // same multiset, in ancestor order
  }
}

TEST(ExactSum, IndependentOfGroupingAndRanks) {
  // The core accumulator as smc uses it (PaRIS estimates): any split over ranks gives the serial sum.
  using numeric::ExactSum;
  const auto comm = world();
  const std::uint64_t N = 1000;
  auto term = [](std::uint64_t i) {
    rng::Stream s(5, rng::purpose_test, i, 0);
    return s.normal() * std::pow(10.0, s.uniform(-30, 30));
  };
  ExactSum serial, reversed;
  for (std::uint64_t i = 0; i < N; ++i) serial.add(term(i));
  for (std::uint64_t i = N; i-- > 0;) reversed.add(term(i));
  const Layout lay{N, comm.size()};
  ExactSum mine;
  for (auto i = lay.first(comm.rank()); i < lay.first(comm.rank() + 1); ++i) mine.add(term(i));
  std::vector<ExactSum> v{mine};
  ExactSum::allreduce(comm, v);
  EXPECT_EQ(serial.round(), reversed.round());
  EXPECT_EQ(serial.round(), v[0].round());
  // And it is the correctly accumulated value (to double precision of a long-double reference with sorted terms).
  std::vector<double> terms(N);
  for (std::uint64_t i = 0; i < N; ++i) terms[i] = term(i);
  std::sort(terms.begin(), terms.end(), [](double a, double b) { return std::abs(a) < std::abs(b); });
  long double ref = 0;
  for (double x : terms) ref += x;
  EXPECT_NEAR(serial.round(), static_cast<double>(ref), 1e-12 * std::abs(static_cast<double>(ref)));
  ExactSum cancel;
  cancel.add(1e20);
  cancel.add(1.0);
  cancel.add(-1e20);
  EXPECT_EQ(cancel.round(), 1.0);
}

}  // namespace
}  // namespace sampo::smc
