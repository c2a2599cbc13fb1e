// Parallel HDF5: distributed arrays, series, attributes, complex numbers, checksums, provenance.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "core/io/hdf5.hpp"

using namespace sampo;

namespace {
mpi::Communicator world() { return mpi::Communicator(MPI_COMM_WORLD); }
std::string tmp_path(const mpi::Communicator& comm, const std::string& tag) {
  return "/tmp/sampo_io_" + tag + "_" + std::to_string(comm.broadcast_value<long>(getpid())) + ".h5";
}
// Uneven partition: rank r holds r + 2 elements.
std::uint64_t local_count(int r) { return static_cast<std::uint64_t>(r) + 2; }
}  // namespace

TEST(IoMpi, DistributedArrayReadsBackUnderAnotherLayout) {
  auto comm = world();
  const auto path = tmp_path(comm, "dist");
  const int P = comm.size(), r = comm.rank();
  std::uint64_t first = 0;
  for (int q = 0; q < r; ++q) first += local_count(q);
  std::vector<double> local(local_count(r));
  for (std::size_t i = 0; i < local.size(); ++i) local[i] = 0.5 * static_cast<double>(first + i) - 3.0;
  {
    auto f = io::File::create(comm, path);
    const auto off = f.root().write_distributed<double>("x", local, {"m", "positions", true, 0});
    EXPECT_EQ(off, first);
    f.close();
  }
  std::uint64_t total = 0;
  for (int q = 0; q < P; ++q) total += local_count(q);
  auto f = io::File::open(comm, path);
  EXPECT_EQ(f.root().shape("x"), std::vector<std::uint64_t>{total});
  EXPECT_EQ(f.root().attr_string("units", "x"), "m");
  // Read back with an even block layout (different from the writing layout).
  const auto P64 = static_cast<std::uint64_t>(P), r64 = static_cast<std::uint64_t>(r);
  const std::uint64_t a = total * r64 / P64, b = total * (r64 + 1) / P64;
  const auto part = f.root().read_part<double>("x", a, b - a);
  for (std::uint64_t i = a; i < b; ++i) EXPECT_EQ(part[i - a], 0.5 * static_cast<double>(i) - 3.0);
  const auto all = f.root().read_all<double>("x");
  ASSERT_EQ(all.size(), total);
  for (std::uint64_t i = 0; i < total; ++i) EXPECT_EQ(all[i], 0.5 * static_cast<double>(i) - 3.0);
  f.root().verify_dataset("x");
  f.close();
  comm.barrier();
  if (comm.is_root()) std::remove(path.c_str());
}

TEST(IoMpi, RowsComplexAndAttributes) {
  auto comm = world();
  const auto path = tmp_path(comm, "rows");
  const int r = comm.rank();
  {
    auto f = io::File::create(comm, path);
    const auto& g = f.root().create_group("state");
    std::vector<std::int64_t> rows(3 * (static_cast<std::size_t>(r) + 1));
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = r * 1000 + static_cast<std::int64_t>(i);
    g.write_rows<std::int64_t>("m", rows, 3);
    std::vector<std::complex<double>> z(static_cast<std::size_t>(r) + 1, {1.0 * r, -2.0 * r});
    g.write_distributed<std::complex<double>>("psi", z);
    g.set_attr("name", "sampo");
    g.set_attr("pi", 3.25);
    g.set_attr("n", static_cast<std::int64_t>(-7));
    const std::vector<double> v = {1.5, 2.5};
    g.set_attr("v", std::span<const double>(v));
    g.set_attr("pi", 3.5);  // replacing an attribute works
    f.close();
  }
  auto f = io::File::open(comm, path);
  const auto g = f.root().open_group("state");
  EXPECT_EQ(g.attr_string("name"), "sampo");
  EXPECT_EQ(g.attr_double("pi"), 3.5);
  EXPECT_EQ(g.attr_int("n"), -7);
  EXPECT_EQ(g.attr_doubles("v"), (std::vector<double>{1.5, 2.5}));
  const int P = comm.size();
  EXPECT_EQ(g.shape("m"), (std::vector<std::uint64_t>{static_cast<std::uint64_t>(3 * P * (P + 1) / 2 / 3), 3}));
  const auto z = g.read_all<std::complex<double>>("psi");
  std::size_t k = 0;
  for (int q = 0; q < P; ++q)
    for (int i = 0; i <= q; ++i, ++k) EXPECT_EQ(z[k], std::complex<double>(1.0 * q, -2.0 * q));
  f.close();
  comm.barrier();
  if (comm.is_root()) std::remove(path.c_str());
}

TEST(IoMpi, SeriesAppendReopenAndTruncate) {
  auto comm = world();
  const auto path = tmp_path(comm, "series");
  const int P = comm.size(), r = comm.rank();
  {
    auto f = io::File::create(comm, path);
    io::Series<double> dist(f.root(), "field", static_cast<std::uint64_t>(2 * P));
    io::Series<double> scalar(f.root(), "energy", 0, {"J", "energy", false, 0});
    for (int t = 0; t < 5; ++t) {
      const std::vector<double> mine = {10.0 * t + 2 * r, 10.0 * t + 2 * r + 1};
      dist.append(mine, static_cast<std::uint64_t>(2 * r));
      const std::vector<double> e = {0.5 * t};
      scalar.append(comm.is_root() ? std::span<const double>(e) : std::span<const double>());
    }
    EXPECT_EQ(dist.rows(), 5u);
    f.close();
  }
  {
    auto f = io::File::open(comm, path, true);
    auto s = io::Series<double>::open(f.root(), "energy");
    EXPECT_EQ(s.rows(), 5u);
    s.resize(3);  // as after a restart from step 3
    const std::vector<double> e = {99.0};
    s.append(comm.is_root() ? std::span<const double>(e) : std::span<const double>());
    f.close();
  }
  auto f = io::File::open(comm, path);
  EXPECT_EQ(f.root().read_all<double>("energy"), (std::vector<double>{0.0, 0.5, 1.0, 99.0}));
  const auto field = f.root().read_all<double>("field");
  ASSERT_EQ(field.size(), static_cast<std::size_t>(5 * 2 * P));
  for (int t = 0; t < 5; ++t)
    for (int j = 0; j < 2 * P; ++j) EXPECT_EQ(field[static_cast<std::size_t>(t * 2 * P + j)], 10.0 * t + j);
  f.close();
  comm.barrier();
  if (comm.is_root()) std::remove(path.c_str());
}

TEST(IoMpi, ProvenanceAndDimensionScales) {
  auto comm = world();
  const auto path = tmp_path(comm, "prov");
  {
    auto f = io::File::create(comm, path);
    io::write_provenance(f, {"test", "[a]\nb = 1\n", "sampo-test x.toml", 42, 3});
    const std::vector<double> t = {0, 1, 2};
    f.root().write_replicated<double>("time", t);
    f.root().write_replicated<double>("y", t);
    io::make_dimension_scale(f.root(), "time", "time");
    io::attach_dimension_scale(f.root(), "y", "time", 0);
    f.close();
  }
  auto f = io::File::open(comm, path);
  const auto& r = f.root();
  for (const char* a : {"schema_version", "sampo_version", "git_sha", "driver", "deck", "command_line", "mpi_ranks",
                        "omp_threads", "created_utc", "seed"})
    EXPECT_TRUE(r.has_attr(a)) << a;
  EXPECT_EQ(r.attr_int("mpi_ranks"), comm.size());
  EXPECT_EQ(r.attr_int("seed"), 42);
  EXPECT_EQ(r.attr_string("deck"), "[a]\nb = 1\n");
  EXPECT_TRUE(r.has_attr("DIMENSION_LIST", "y"));
  f.close();
  comm.barrier();
  if (comm.is_root()) std::remove(path.c_str());
}

TEST(IoMpi, EmptyDatasetsWriteAndReadBack) {
  // Zero-size datasets (an empty history) must work collectively, with and without checksums.
  auto comm = world();
  const auto path = tmp_path(comm, "empty");
  {
    auto f = io::File::create(comm, path);
    const std::vector<double> none;
    f.root().write_distributed<double>("d", none, {"", "", true, 0});
    f.root().write_replicated<double>("r", none, {}, {"", "", true, 0});
    f.root().write_rows<double>("m", none, 3);
    f.close();
  }
  auto f = io::File::open(comm, path);
  EXPECT_TRUE(f.root().read_part<double>("d", 0, 0).empty());
  EXPECT_TRUE(f.root().read_all<double>("r").empty());
  EXPECT_EQ(f.root().shape("m"), (std::vector<std::uint64_t>{0, 3}));
  f.close();
  comm.barrier();
  if (comm.is_root()) std::remove(path.c_str());
}

TEST(IoMpi, UnwritablePathNamesTheFile) {
  auto comm = world();
  try {
    auto f = io::File::create(comm, "/nonexistent-dir/x.h5");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create HDF5 file '/nonexistent-dir/x.h5'"), std::string::npos);
  }
}
