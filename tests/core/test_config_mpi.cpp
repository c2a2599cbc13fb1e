// Collective deck loading: identical config on every rank; a bad deck fails on every rank with one message.
#include <gtest/gtest.h>

#include <cstdio>
#include <unistd.h>

#include <fstream>

#include "core/config/config.hpp"
#include "core/error/error.hpp"

using namespace sampo;

namespace {
config::Schema schema() {
  config::Schema s;
  s.integer("a.n", 1, "n", 0, 100);
  s.real("a.x", 0.5, "x");
  return s;
}
std::string write_deck(const mpi::Communicator& comm, const std::string& text) {
  const std::string path = "/tmp/sampo_test_deck_" + std::to_string(comm.broadcast_value<long>(getpid())) + ".toml";
  if (comm.is_root()) std::ofstream(path) << text;
  comm.barrier();
  return path;
}
}  // namespace

TEST(ConfigMpi, IdenticalOnAllRanks) {
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  const auto path = write_deck(comm, "[a]\nn = 7\n");
  auto c = config::Config::load(comm, schema(), path, {"a.x=0.25"});
  const auto text = c.to_toml();
  const auto root_text = comm.broadcast_string(text);
  EXPECT_EQ(text, root_text);
  EXPECT_EQ(c.get_int("a.n"), 7);
  EXPECT_DOUBLE_EQ(c.get_real("a.x"), 0.25);
  comm.barrier();
  if (comm.is_root()) std::remove(path.c_str());
}

TEST(ConfigMpi, BadDeckFailsCollectively) {
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  const auto path = write_deck(comm, "[a]\nn = 700\n");
  bool collective = false;
  std::string msg;
  try {
    (void)config::Config::load(comm, schema(), path, {});
  } catch (const ConfigError& e) {
    collective = e.collective();
    msg = e.what();
  }
  EXPECT_TRUE(collective);
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
  EXPECT_EQ(comm.broadcast_string(msg), msg);
  comm.barrier();
  if (comm.is_root()) std::remove(path.c_str());
}

TEST(ConfigMpi, MissingDeckIsInputError) {
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  try {
    (void)config::Config::load(comm, schema(), "/nonexistent/deck.toml", {});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_TRUE(e.collective());
    EXPECT_NE(std::string(e.what()).find("cannot read deck '/nonexistent/deck.toml'"), std::string::npos);
  }
}

TEST(ConfigMpi, AllOrThrowSpreadsOneRanksError) {
  auto comm = mpi::Communicator(MPI_COMM_WORLD);
  const int bad = comm.size() - 1;
  try {
    mpi::all_or_throw(comm, [&] {
      if (comm.rank() == bad) throw InputError("rank " + std::to_string(bad) + " cannot open its file");
    });
    FAIL();
  } catch (const InputError& e) {
    EXPECT_TRUE(e.collective());
    EXPECT_EQ(std::string(e.what()), "rank " + std::to_string(bad) + " cannot open its file");
  }
}
