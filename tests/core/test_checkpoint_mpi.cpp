// Checkpoint manager: cadence, signals, keep-K, and restart falling back past incomplete or corrupt files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/checkpoint/checkpoint.hpp"

using namespace sampo;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  mpi::Communicator comm = mpi::Communicator(MPI_COMM_WORLD);
  std::string dir;
  log::Logger log{comm.is_root(), log::Level::quiet};
  explicit Fixture(const std::string& tag) {
    dir = "/tmp/sampo_ckpt_" + tag + "_" + std::to_string(comm.broadcast_value<long>(getpid()));
    if (comm.is_root()) fs::remove_all(dir);
    comm.barrier();
  }
  ~Fixture() {
    comm.barrier();
    if (comm.is_root()) fs::remove_all(dir);
  }
  checkpoint::Manager manager(int keep = 2, const std::string& driver = "test", int schema = 1) {
    checkpoint::Params p;
    p.dir = dir;
    p.keep = keep;
    return checkpoint::Manager(comm, p, driver, schema);
  }
  // Each rank writes 2000 doubles; the value pattern encodes the step so files can be told apart.
  void write(checkpoint::Manager& m, std::int64_t step) {
    std::vector<double> local(2000);
    for (std::size_t i = 0; i < local.size(); ++i) local[i] = 1000.0 * step + 0.25 * static_cast<double>(i);
    m.write(step, [&](const io::Group& g) {
      g.write_distributed<double>("state", local, checkpoint::Manager::dataset_options("test state"));
    });
  }
};

// Overwrites bytes in the middle of the first occurrence of the step's data pattern.
void corrupt_data(const std::string& path, std::int64_t step) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  double pattern[4];
  for (int i = 0; i < 4; ++i) pattern[i] = 1000.0 * step + 0.25 * (100 + i);
  const auto pos = bytes.find(std::string(reinterpret_cast<const char*>(pattern), sizeof pattern));
  ASSERT_NE(pos, std::string::npos) << "pattern not found in " << path;
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(static_cast<std::streamoff>(pos));
  const char junk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  out.write(junk, sizeof junk);
}

}  // namespace

TEST(CheckpointMpi, KeepsNewestAndResolvesLatest) {
  Fixture fx("keep");
  auto m = fx.manager(2);
  for (std::int64_t s : {10, 20, 30}) fx.write(m, s);
  const auto all = m.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].step, 30);
  EXPECT_EQ(all[1].step, 20);
  const auto found = m.resolve("latest", fx.log);
  EXPECT_EQ(found.path, all[0].path);
  auto f = m.open(found);
  EXPECT_EQ(f.root().attr_int("step"), 30);
  EXPECT_EQ(f.root().attr_int("mpi_ranks"), fx.comm.size());
  const auto x = f.root().read_part<double>("state", 5, 1);
  EXPECT_EQ(x[0], 30000.0 + 0.25 * 5);
}

TEST(CheckpointMpi, CorruptNewestFallsBackToPrevious) {
  Fixture fx("corrupt");
  auto m = fx.manager(3);
  for (std::int64_t s : {1, 2}) fx.write(m, s);
  fx.comm.barrier();
  if (fx.comm.is_root()) corrupt_data(m.list()[0].path, 2);
  fx.comm.barrier();
  EXPECT_NE(m.validate(m.list()[0].path), "");
  log::Logger log(fx.comm.is_root(), log::Level::quiet);
  const auto found = m.resolve("latest", log);
  EXPECT_EQ(found.step, 1);
  if (fx.comm.is_root()) {
    EXPECT_EQ(log.warning_count(), 1u);
  }
}

TEST(CheckpointMpi, IncompleteAndTemporaryFilesAreSkipped) {
  Fixture fx("incomplete");
  auto m = fx.manager(3);
  fx.write(m, 5);
  fx.comm.barrier();
  if (fx.comm.is_root()) {
    // A killed writer leaves a .tmp (never listed) or, hypothetically, a file without the complete marker.
    std::ofstream(fx.dir + "/ckpt-000000000009.h5.tmp") << "partial";
    std::ofstream(fx.dir + "/ckpt-000000000008.h5") << "not hdf5 at all";
  }
  fx.comm.barrier();
  const auto found = m.resolve("latest", fx.log);
  EXPECT_EQ(found.step, 5);
}

TEST(CheckpointMpi, OtherDriverOrSchemaRefused) {
  Fixture fx("driver");
  auto m = fx.manager();
  fx.write(m, 3);
  const auto path = m.list().at(0).path;
  auto other = fx.manager(2, "nlse", 1);
  try {
    (void)other.resolve(path, fx.log);
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_TRUE(e.collective());
    EXPECT_NE(std::string(e.what()).find("written by driver 'test', not 'nlse'"), std::string::npos) << e.what();
  }
  auto newer = fx.manager(2, "test", 2);
  try {
    (void)newer.resolve("latest", fx.log);
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("no usable checkpoint"), std::string::npos) << e.what();
  }
}

TEST(CheckpointMpi, NoCheckpointGivesClearError) {
  Fixture fx("none");
  auto m = fx.manager();
  try {
    (void)m.resolve("latest", fx.log);
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("no usable checkpoint in '" + fx.dir + "'"), std::string::npos);
  }
}

TEST(CheckpointMpi, CadenceAndSignalAgreeOnAllRanks) {
  Fixture fx("cadence");
  checkpoint::Params p;
  p.dir = fx.dir;
  p.every_steps = 3;
  checkpoint::Manager m(fx.comm, p, "test", 1);
  checkpoint::install_signal_handlers();
  checkpoint::clear_signal();
  EXPECT_EQ(m.due(1), checkpoint::Reason::none);
  EXPECT_EQ(m.due(3), checkpoint::Reason::steps);
  // Only the last rank receives the signal; every rank must see it at the same step.
  if (fx.comm.rank() == fx.comm.size() - 1) std::raise(SIGUSR1);
  EXPECT_EQ(m.due(4), checkpoint::Reason::signal);
  checkpoint::clear_signal();
  EXPECT_EQ(m.due(5), checkpoint::Reason::none);
}
