#pragma once
// The `walks` workload: many random-walk tokens on a replicated graph (tokens sharded over ranks, OpenMP over
// tokens inside a rank) or on a distributed graph (walk.partition = vertex: tokens migrate to the owners of their
// vertices), estimators against the exact μ, the PETSc variance oracle, optional SA-SRRW with θ* by PETSc TAO, HDF5
// output and bitwise checkpoint/restart. Deck keys: Params::schema(); output schema: docs/walks.md.
#include <cstdint>
#include <string>
#include <vector>

#include "core/app/driver.hpp"
#include "core/config/config.hpp"
#include "walks/distributed.hpp"
#include "walks/graph.hpp"
#include "walks/walkers.hpp"

namespace sampo::walks {

inline constexpr int schema_version = 1;

struct GraphParams {
  std::string kind = "ws";
  std::int64_t vertices = 1000;
  std::int64_t side = 11;
  std::int64_t degree = 10;
  double rewire = 0.1;
  std::int64_t attach = 3;
  std::int64_t scale = 14;
  std::int64_t edge_factor = 16;
  std::string file;
  std::string dataset = "edges";
  bool largest_component = true;
  bool relabel = false;
  VertexOrder order = VertexOrder::input;
};

struct Params {
  GraphParams graph;
  WalkParams walk;
  std::int64_t steps = 100000;
  std::int64_t output_every = 1000;
  std::int64_t snapshot_every = 0;
  std::int64_t chunk_steps = 10000;
  std::int64_t trajectory_tokens = 0;
  std::int64_t stop_at = -1;
  bool partitioned = false;  // walk.partition = vertex  // testing: checkpoint and exit 85 at this step
  double indicator_fraction = 0.1;
  std::string function_file;
  bool oracle = true;
  std::int64_t oracle_max_vertices = 20000;
  double oracle_rtol = 1e-13;
  std::int64_t oracle_max_iterations = 100000;
  bool sa = false;
  std::string loss = "logistic";
  std::int64_t sa_dim = 5;
  std::int64_t sa_samples = 10;
  double sa_l2 = 0.01;
  std::string theta_solver = "nls";
  double theta_gatol = 1e-12;
  std::int64_t theta_max_iterations = 500;

  static config::Schema schema();
  // Reads and cross-checks the deck (throws ConfigError naming key, value, allowed values and the fix).
  static Params from(const config::Config& c);
};

// Collective: builds the (replicated) graph the deck describes; every rank gets the same graph.
Graph build_graph(const mpi::Communicator& comm, const GraphParams& p, std::uint64_t seed, log::Logger* log);

// Collective: the same graph distributed over comm's ranks (walk.partition = vertex): each rank generates or reads
// only its share of the edges (Barabasi-Albert: the whole list, transiently), then distribute().
DistributedGraph build_distributed_graph(const mpi::Communicator& comm, const GraphParams& p, std::uint64_t seed,
                                         log::Logger* log);
// Collective: the degrees of every vertex (O(|V|) on every rank) as a Graph without rows.
Graph degrees_view(const mpi::Communicator& comm, const DistributedGraph& g);

// Runs the workload (collective). Returns the exit code.
int run(app::Context& ctx);

}  // namespace sampo::walks
