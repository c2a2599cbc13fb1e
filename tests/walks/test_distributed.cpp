// The distributed graph: built collectively from each rank's share of the edges (generators produce only their
// share; the SNAP reader keeps every P-th line), it equals — row for row, ghost for ghost, bit for bit — the block
// cut out of the replicated preprocess() graph, with the same preprocessing statistics, for every generator and
// with/without largest-component extraction and relabelling, at NP 1..4. The engine on it draws the replicated
// engine's paths bitwise. Graph memory per rank is its block plus ghosts.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "walks/distributed.hpp"
#include "walks/graph.hpp"
#include "core/io/hdf5.hpp"
#include "walks/partition.hpp"
#include "walks/simulation.hpp"
#include "walks/walkers.hpp"

using namespace sampo;
using namespace sampo::walks;

namespace {

void expect_same(const DistributedGraph& a, const DistributedGraph& b, const std::string& what) {
  ASSERT_EQ(a.vertices(), b.vertices()) << what;
  ASSERT_EQ(a.edges(), b.edges()) << what;
  ASSERT_EQ(a.partition().begin, b.partition().begin) << what;
  ASSERT_EQ(a.lo(), b.lo()) << what;
  ASSERT_EQ(a.hi(), b.hi()) << what;
  EXPECT_EQ(a.global_max_degree(), b.global_max_degree()) << what;
  for (Vertex v = a.lo(); v < a.hi(); ++v) {
    const auto x = a.neighbours(v), y = b.neighbours(v);
    ASSERT_EQ(std::vector<Vertex>(x.begin(), x.end()), std::vector<Vertex>(y.begin(), y.end())) << what << " row " << v;
  }
  ASSERT_EQ(a.ghosts(), b.ghosts()) << what;
  for (Vertex g : a.ghosts()) EXPECT_EQ(a.degree(g), b.degree(g)) << what << " ghost " << g;
  EXPECT_EQ(a.bytes(), b.bytes()) << what;
}

void expect_stats(const PreprocessStats& a, const PreprocessStats& b, const std::string& what) {
  EXPECT_EQ(a.input_vertices, b.input_vertices) << what;
  EXPECT_EQ(a.input_edges, b.input_edges) << what;
  EXPECT_EQ(a.self_loops, b.self_loops) << what;
  EXPECT_EQ(a.duplicates, b.duplicates) << what;
  EXPECT_EQ(a.lcc_vertices, b.lcc_vertices) << what;
  EXPECT_EQ(a.lcc_edges, b.lcc_edges) << what;
}

EdgeList full(const GeneratorSpec& s, std::uint64_t seed) {
  if (s.kind == "cycle") return cycle(s.vertices);
  if (s.kind == "complete") return complete(s.vertices);
  if (s.kind == "torus") return torus(s.side);
  if (s.kind == "ws") return watts_strogatz(s.vertices, s.degree, s.rewire, seed);
  if (s.kind == "ba") return barabasi_albert(s.vertices, s.attach, seed);
  return kronecker(s.scale, s.edge_factor, seed);
}

}  // namespace

TEST(WalksDistributed, GeneratorsMatchReplicated) {
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  const int P = world.size(), r = world.rank();
  std::vector<GeneratorSpec> specs;
  specs.push_back({"cycle", 50});
  specs.push_back({"complete", 9});
  specs.push_back({"torus", 0, 7});
  specs.push_back({"ws", 300, 0, 6, 0, 0, 0, 0.3});
  specs.push_back({"ba", 200, 0, 0, 3});
  specs.push_back({"kronecker", 0, 0, 0, 0, 10, 8});  // many isolated vertices and duplicates: a real LCC
  for (const auto& s : specs)
    for (bool lcc : {true, false})
      for (bool relabel : {false, true})
        for (auto order : {VertexOrder::input, VertexOrder::degree}) {
          const std::string what = s.kind + (lcc ? " lcc" : "") + (relabel ? " relabel" : "") +
                                   (order == VertexOrder::degree ? " by degree" : "");
          PreprocessStats sd, sg;
          const auto d = distribute(world, generate_share(s, 7, r, P), lcc, relabel, 7, &sd, order);
          const auto g = preprocess(full(s, 7), lcc, relabel, 7, &sg, order);
          expect_same(d, DistributedGraph::from_global(g, P, r), what);
          expect_stats(sd, sg, what);
        }
}

TEST(WalksDistributed, SnapReaderShares) {
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  const std::string path = "walks_distributed_test_" + std::to_string(world.allreduce(static_cast<long long>(::getpid()), mpi::Op::max)) + ".txt";
  if (world.is_root()) {
    std::ofstream out(path);
    out << "# a graph with two components, a loop and a duplicate\n";
    const auto el = kronecker(8, 4, 3);
    for (auto [u, v] : el.edges) out << u << " " << v << "\n";
    out << "5 5\n1000 1001\n";
  }
  world.barrier();
  PreprocessStats sd, sg;
  const auto d = distribute(world, read_edge_list(path, world.rank(), world.size()), true, true, 3, &sd);
  const auto g = preprocess(read_edge_list(path), true, true, 3, &sg);
  expect_same(d, DistributedGraph::from_global(g, world.size(), world.rank()), "snap");
  expect_stats(sd, sg, "snap");
  EXPECT_EQ(sd.input_vertices, 1002);
  world.barrier();
  if (world.is_root()) std::remove(path.c_str());
}

TEST(WalksDistributed, EngineOnDistributedGraphBitwise) {
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  const GeneratorSpec spec{"kronecker", 0, 0, 0, 0, 9, 8};
  const auto d = distribute(world, generate_share(spec, 5, world.rank(), world.size()), true, true, 5);
  const auto g = preprocess(full(spec, 5), true, true, 5);
  for (Chain chain : {Chain::srw, Chain::mhrw})
    for (Method method : {Method::base, Method::srrw, Method::hdt})
    for (std::int64_t reject : {0, 12}) {
      if (reject > 0 && method != Method::srrw) continue;
      BaseChain c(g, chain, chain == Chain::mhrw ? 0.1 : 0.0);
      WalkParams p;
      p.chain = chain;
      p.method = method;
      p.alpha = 2.0;
      p.laziness = c.laziness();
      p.tokens = 6;
      p.seed = 21;
      p.rejection_degree = reject;  // rejection sampling at hubs (degree >= 12): envelopes at the owners
      PartitionedWalkers pw(world, d, p);
      pw.advance(400);
      const auto T = static_cast<std::uint64_t>(p.tokens), P = static_cast<std::uint64_t>(world.size()),
                 r = static_cast<std::uint64_t>(world.rank());
      Walkers view(c, p, T * r / P, T * (r + 1) / P - T * r / P);
      pw.export_to(view);
      Walkers ref(c, p, 0, T);
      ref.advance(400);
      std::vector<std::uint64_t> mine, all;
      auto print = [](const Walkers& w) {
        std::vector<std::uint64_t> out;
        for (const auto& t : w.tokens()) {
          out.insert(out.end(), {static_cast<std::uint64_t>(t.vertex), t.stream.position().used, t.stream.position().block});
          for (double x : t.w) out.push_back(std::bit_cast<std::uint64_t>(x));
          for (double x : t.env) out.push_back(std::bit_cast<std::uint64_t>(x));
        }
        return out;
      };
      const std::string what = to_string(chain) + "/" + to_string(method) + " rejection " + std::to_string(reject);
      if (reject > 0) {
        ASSERT_GT(ref.rejection_vertices(), 0);
        EXPECT_EQ(ref.tokens()[0].env.size(), static_cast<std::size_t>(ref.rejection_vertices()));
        std::size_t trusted = 0;  // envelopes in use (the proposals path really ran)
        for (const auto& t : ref.tokens())
          for (double e : t.env) trusted += std::isnan(e) ? 0 : 1;
        EXPECT_GT(trusted, 0u) << to_string(chain);
        if (world.is_root()) std::printf("  %s: %zu of %zu envelopes trusted\n", to_string(chain).c_str(), trusted, ref.tokens().size() * ref.tokens()[0].env.size());
      }
      EXPECT_EQ(world.allgatherv<std::uint64_t>(print(view)), print(ref)) << what;
      // Restart through the token-sharded view (envelopes included), then continue: still the replicated paths.
      PartitionedWalkers again(world, d, p);
      again.import_from(view);
      again.advance(300);
      ref.advance(300);
      Walkers v2(c, p, T * r / P, T * (r + 1) / P - T * r / P);
      again.export_to(v2);
      EXPECT_EQ(world.allgatherv<std::uint64_t>(print(v2)), print(ref)) << what << " after import";
    }
  // Memory: the block's rows plus ghosts (id, degree and the lookup table's 16-byte cells, the least power of two
  // above 2·ghosts), never more than the whole graph.
  const std::size_t global = 8 * (g.offsets().size() + g.adjacency().size());
  std::size_t cells = d.ghosts().empty() ? 0 : 1;
  while (cells > 0 && cells < 2 * d.ghosts().size() + 1) cells *= 2;
  const std::size_t bound = 8 * (static_cast<std::size_t>(d.hi() - d.lo()) + 1 +
                                 static_cast<std::size_t>(g.offsets()[d.hi()] - g.offsets()[d.lo()]) +
                                 2 * d.ghosts().size() + static_cast<std::size_t>(world.size()) + 1) +
                            16 * cells;
  EXPECT_EQ(d.bytes(), bound);
  for (std::size_t q = 0; q < d.ghosts().size(); ++q) EXPECT_EQ(d.ghost_slot(d.ghosts()[q]), q);
  for (Vertex v = d.lo(); v < d.hi(); ++v) EXPECT_EQ(d.ghost_slot(v), d.ghosts().size()) << "owned " << v;
  EXPECT_LE(d.bytes(), global + 8 * (static_cast<std::size_t>(world.size()) + 1));
}

// The driver's paths: build_distributed_graph reads its share of an HDF5 edge array (rows [M r/P, M(r+1)/P)) and of
// a SNAP file, and generates its share of a Kronecker graph; each equals the cut of build_graph's replicated graph.
TEST(WalksDistributed, DriverReadersAndGenerators) {
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  const auto tag = std::to_string(world.allreduce(static_cast<long long>(::getpid()), mpi::Op::max));
  const std::string h5 = "walks_distributed_" + tag + ".h5", txt = "walks_distributed_" + tag + ".txt";
  const auto el = kronecker(8, 4, 6);
  std::vector<std::int64_t> flat;
  for (auto [u, v] : el.edges) flat.insert(flat.end(), {u, v});
  {
    auto f = io::File::create(world, h5);
    f.root().write_replicated<std::int64_t>("edges", flat, {el.edges.size(), 2});
  }
  if (world.is_root()) {
    std::ofstream out(txt);
    for (auto [u, v] : el.edges) out << u << "\t" << v << "\n";
  }
  world.barrier();
  for (const char* kind : {"hdf5", "file", "kronecker"}) {
    GraphParams gp;
    gp.kind = kind;
    gp.file = std::string(kind) == "hdf5" ? h5 : txt;
    gp.scale = 8;
    gp.edge_factor = 4;
    gp.relabel = true;
    const auto d = build_distributed_graph(world, gp, 6, nullptr);
    const auto g = build_graph(world, gp, 6, nullptr);
    expect_same(d, DistributedGraph::from_global(g, world.size(), world.rank()), kind);
    const auto view = degrees_view(world, d);
    ASSERT_EQ(view.vertices(), g.vertices());
    EXPECT_EQ(view.edges(), g.edges());
    EXPECT_FALSE(view.has_rows());
    for (Vertex v = 0; v < g.vertices(); ++v) EXPECT_EQ(view.degree(v), g.degree(v));
  }
  // A wrong shape and an empty array are one input error on every rank, on both paths.
  {
    auto f = io::File::open(world, h5, true);
    f.root().write_replicated<std::int64_t>("three", std::vector<std::int64_t>(9, 1), {3, 3});
    f.root().write_replicated<std::int64_t>("empty", std::vector<std::int64_t>{}, {0, 2});
  }
  for (const char* dataset : {"three", "empty"}) {
    GraphParams gp;
    gp.kind = "hdf5";
    gp.file = h5;
    gp.dataset = dataset;
    const std::string want = std::string(dataset) == "empty" ? ": no edges" : "must be an M x 2 array";
    for (int distributed = 0; distributed <= 1; ++distributed) {
      try {
        if (distributed) {
          (void)build_distributed_graph(world, gp, 6, nullptr);
        } else {
          (void)build_graph(world, gp, 6, nullptr);
        }
        ADD_FAILURE() << dataset << ": no error";
      } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      }
    }
  }
  world.barrier();
  if (world.is_root()) {
    std::remove(h5.c_str());
    std::remove(txt.c_str());
  }
}
