// An entity's numbers do not depend on how entities are distributed over ranks.
#include <gtest/gtest.h>

#include "core/mpi/communicator.hpp"
#include "core/rng/stream.hpp"

using namespace sampo;

TEST(RngMpi, EntityStreamsIndependentOfRankCount) {
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  const std::uint64_t n = 1001;  // not divisible by 2, 3 or 4
  const auto P = static_cast<std::uint64_t>(comm.size()), r = static_cast<std::uint64_t>(comm.rank());
  const std::uint64_t first = n * r / P, last = n * (r + 1) / P;
  std::vector<double> local;
  for (std::uint64_t e = first; e < last; ++e) {
    rng::Stream s(99, rng::purpose_test, e, 5);
    local.push_back(s.normal());
    local.push_back(s.uniform());
  }
  const auto all = comm.allgatherv<double>(local);
  ASSERT_EQ(all.size(), 2 * n);
  // The serial order: entity by entity on one process.
  for (std::uint64_t e = 0; e < n; ++e) {
    rng::Stream s(99, rng::purpose_test, e, 5);
    EXPECT_EQ(all[2 * e], s.normal());
    EXPECT_EQ(all[2 * e + 1], s.uniform());
  }
}

TEST(RngMpi, CommunicatorCollectives) {
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  const int P = comm.size(), r = comm.rank();
  EXPECT_EQ(comm.allreduce(r + 1, mpi::Op::sum), P * (P + 1) / 2);
  EXPECT_EQ(comm.allreduce(r, mpi::Op::max), P - 1);
  EXPECT_EQ(comm.exscan_sum<long long>(r + 1), static_cast<long long>(r * (r + 1) / 2));
  // alltoallv: rank r sends {r*100 + d} to each destination d.
  std::vector<std::vector<int>> send(static_cast<std::size_t>(P));
  for (int d = 0; d < P; ++d) send[static_cast<std::size_t>(d)] = {r * 100 + d};
  std::vector<int> counts;
  const auto got = comm.alltoallv(send, &counts);
  ASSERT_EQ(static_cast<int>(got.size()), P);
  for (int s = 0; s < P; ++s) EXPECT_EQ(got[static_cast<std::size_t>(s)], s * 100 + r);
  auto sub = comm.split(r % 2, r);
  EXPECT_EQ(sub.size(), (P + 1 - r % 2) / 2);
  EXPECT_EQ(comm.broadcast_string(r == 0 ? "hello" : ""), "hello");
}
