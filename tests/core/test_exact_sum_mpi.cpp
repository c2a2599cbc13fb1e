// numeric::ExactSum::allreduce: the exact sum over ranks equals the serial sum bitwise (rounded value and
// normalised limbs), whatever the rank count; the nonfinite flag of any rank reaches every rank.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/mpi/communicator.hpp"
#include "core/numeric/exact_sum.hpp"

using namespace sampo;
using numeric::ExactSum;

TEST(ExactSumMpi, AllreduceEqualsSerialSum) {
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  // Global terms: sum q gets terms k = 0..n-1 of wildly different magnitudes; rank r adds those with k % P == r.
  constexpr int sums = 5, n = 4001;
  std::vector<std::vector<double>> terms(sums);
  std::mt19937_64 g(2026);
  std::uniform_int_distribution<int> ex(-1074, 1000);
  std::uniform_real_distribution<double> u(0.5, 1.0);
  for (auto& t : terms)
    for (int k = 0; k < n; ++k) t.push_back(std::ldexp(u(g), ex(g)) * (g() & 1 ? -1.0 : 1.0));
  terms[3].assign(n, 0.0);  // an empty sum
  terms[4][17] = std::numeric_limits<double>::infinity();  // on rank 17 % P only
  std::vector<ExactSum> serial(sums), dist(sums);
  for (int q = 0; q < sums; ++q)
    for (int k = 0; k < n; ++k) {
      serial[static_cast<std::size_t>(q)].add(terms[static_cast<std::size_t>(q)][static_cast<std::size_t>(k)]);
      if (k % comm.size() == comm.rank())
        dist[static_cast<std::size_t>(q)].add(terms[static_cast<std::size_t>(q)][static_cast<std::size_t>(k)]);
    }
  ExactSum::allreduce(comm, dist);
  for (int q = 0; q < sums; ++q) {
    auto& a = dist[static_cast<std::size_t>(q)];
    auto& b = serial[static_cast<std::size_t>(q)];
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.round()), std::bit_cast<std::uint64_t>(b.round())) << "sum " << q;
    a.normalise();
    b.normalise();
    EXPECT_TRUE(std::equal(a.raw().begin(), a.raw().end(), b.raw().begin())) << "sum " << q;
    EXPECT_EQ(a.nonfinite(), q == 4);
  }
  EXPECT_EQ(dist[3].round(), 0.0);
  // The reduced accumulators keep accumulating exactly.
  dist[0].add(1.0);
  serial[0].add(1.0);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(dist[0].round()), std::bit_cast<std::uint64_t>(serial[0].round()));
}
