// Graph generators, preprocessing and the SNAP reader: exact structural invariants.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>

#include <zlib.h>

#include "core/error/error.hpp"
#include "walks/graph.hpp"

using namespace sampo::walks;

namespace {

// Symmetric, sorted rows, no loops, no duplicates.
void expect_simple(const Graph& g) {
  for (Vertex u = 0; u < g.vertices(); ++u) {
    const auto nb = g.neighbours(u);
    for (std::size_t k = 0; k < nb.size(); ++k) {
      ASSERT_NE(nb[k], u) << "self-loop at " << u;
      if (k) {
        ASSERT_LT(nb[k - 1], nb[k]) << "row " << u << " not sorted/unique";
      }
      ASSERT_TRUE(g.has_edge(nb[k], u)) << "edge " << u << "-" << nb[k] << " not symmetric";
    }
  }
}

bool connected(const Graph& g) {
  for (Vertex l : components(g))
    if (l != 0) return false;
  return true;
}

}  // namespace

TEST(WalksGraph, SmallFamilies) {
  auto c = preprocess(cycle(11), true, false, 1);
  EXPECT_EQ(c.vertices(), 11);
  EXPECT_EQ(c.edges(), 11);
  for (Vertex v = 0; v < 11; ++v) EXPECT_EQ(c.degree(v), 2);
  auto k = preprocess(complete(9), true, false, 1);
  EXPECT_EQ(k.edges(), 36);
  EXPECT_EQ(k.max_degree(), 8);
  auto t = preprocess(torus(7), true, false, 1);
  EXPECT_EQ(t.vertices(), 49);
  EXPECT_EQ(t.edges(), 98);
  for (Vertex v = 0; v < 49; ++v) EXPECT_EQ(t.degree(v), 4);
  EXPECT_TRUE(t.has_edge(0, 6));   // wrap in a row
  EXPECT_TRUE(t.has_edge(0, 42));  // wrap in a column
  expect_simple(c);
  expect_simple(k);
  expect_simple(t);
}

TEST(WalksGraph, WattsStrogatzDeterministic) {
  auto a = preprocess(watts_strogatz(500, 6, 0.1, 7), true, false, 7);
  auto b = preprocess(watts_strogatz(500, 6, 0.1, 7), true, false, 7);
  auto c = preprocess(watts_strogatz(500, 6, 0.1, 8), true, false, 8);
  EXPECT_EQ(a.adjacency(), b.adjacency());
  EXPECT_NE(a.adjacency(), c.adjacency());
  expect_simple(a);
  EXPECT_TRUE(connected(a));
  // 1500 ring edges, a few lost to duplicate rewiring: mean degree close to 6.
  EXPECT_GT(a.edges(), 1480);
  EXPECT_LE(a.edges(), 1500);
  auto ring = preprocess(watts_strogatz(50, 4, 0.0, 1), true, false, 1);  // β = 0: the ring lattice
  EXPECT_EQ(ring.edges(), 100);
  EXPECT_TRUE(ring.has_edge(0, 48));
}

TEST(WalksGraph, BarabasiAlbert) {
  const int m = 3;
  const Vertex n = 400;
  auto g = preprocess(barabasi_albert(n, m, 3), true, false, 3);
  EXPECT_EQ(g.vertices(), n);
  EXPECT_EQ(g.edges(), m * (m + 1) / 2 + (n - m - 1) * m);  // no duplicates are ever drawn
  for (Vertex v = 0; v < n; ++v) EXPECT_GE(g.degree(v), m);
  EXPECT_GT(g.max_degree(), 30);  // heavy tail (hubs); a uniform attachment would give ~10
  expect_simple(g);
}

TEST(WalksGraph, KroneckerGraph500) {
  PreprocessStats st;
  auto g = preprocess(kronecker(10, 16, 5), true, true, 5, &st);
  EXPECT_EQ(st.input_vertices, 1024);
  EXPECT_EQ(st.input_edges, 16 * 1024);
  EXPECT_GT(st.self_loops, 0);
  EXPECT_GT(st.duplicates, 0);
  EXPECT_LT(g.vertices(), 1024);  // isolated vertices removed
  EXPECT_EQ(g.vertices(), st.lcc_vertices);
  expect_simple(g);
  EXPECT_TRUE(connected(g));
  EXPECT_GT(g.max_degree(), 10 * (2 * g.edges() / g.vertices()));  // skewed degrees
  auto h = preprocess(kronecker(10, 16, 5), true, true, 5);
  EXPECT_EQ(g.adjacency(), h.adjacency());
  EXPECT_EQ(g.offsets(), h.offsets());
}

TEST(WalksGraph, PreprocessLargestComponentAndRelabel) {
  EdgeList el{10, {{0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 0}, {5, 6}, {6, 7}, {7, 8}, {8, 5}, {5, 7}, {9, 9}}};
  PreprocessStats st;
  auto g = preprocess(el, true, false, 1, &st);
  EXPECT_EQ(st.self_loops, 2);
  EXPECT_EQ(st.duplicates, 2);  // 0-1 given twice: two directed copies dropped
  EXPECT_EQ(g.vertices(), 4);   // {5,6,7,8}
  EXPECT_EQ(g.edges(), 5);
  EXPECT_EQ(g.degree(0), 3);  // old 5: 6, 8, 7
  auto r = preprocess(el, true, true, 1);
  EXPECT_EQ(r.edges(), 5);
  std::multiset<std::int64_t> d1, d2;
  for (Vertex v = 0; v < 4; ++v) {
    d1.insert(g.degree(v));
    d2.insert(r.degree(v));
  }
  EXPECT_EQ(d1, d2);
  auto all = preprocess(el, false, false, 1);
  EXPECT_EQ(all.vertices(), 10);
}

// graph.order = degree: ids by decreasing degree, ties in the input (or relabelled) order, and the same graph:
// every edge of the input order maps to an edge under the permutation read off the degree-sorted ids.
TEST(WalksGraph, DegreeOrder) {
  for (bool relabel : {false, true}) {
    const EdgeList el = kronecker(10, 8, 5);
    const Graph g = preprocess(el, true, relabel, 5);
    const Graph d = preprocess(el, true, relabel, 5, nullptr, VertexOrder::degree);
    ASSERT_EQ(d.vertices(), g.vertices());
    ASSERT_EQ(d.edges(), g.edges());
    std::vector<std::int64_t> deg(static_cast<std::size_t>(g.vertices()));
    for (Vertex v = 0; v < g.vertices(); ++v) deg[static_cast<std::size_t>(v)] = g.degree(v);
    const auto to = degree_order(deg);  // id in g -> id in d
    for (Vertex v = 0; v + 1 < d.vertices(); ++v) EXPECT_GE(d.degree(v), d.degree(v + 1));
    for (Vertex v = 0; v < g.vertices(); ++v) {
      const Vertex a = to[static_cast<std::size_t>(v)];
      EXPECT_EQ(d.degree(a), g.degree(v));
      for (Vertex u : g.neighbours(v)) EXPECT_TRUE(d.has_edge(a, to[static_cast<std::size_t>(u)]));
      if (v + 1 < g.vertices() && g.degree(v) == g.degree(v + 1)) {  // ties keep the order of g
        EXPECT_LT(a, to[static_cast<std::size_t>(v) + 1]);
      }
    }
  }
  EXPECT_EQ(vertex_order_from("degree"), VertexOrder::degree);
  EXPECT_THROW(vertex_order_from("bfs"), sampo::InputError);
}

TEST(WalksGraph, SnapReader) {
  const std::string path = "walks_test_edges.txt";
  {
    std::ofstream out(path);
    out << "# Directed graph: test\n# FromNodeId\tToNodeId\n0\t1\n1 2\n\n  2   0  \n3\t2\n";
  }
  auto el = read_edge_list(path);
  EXPECT_EQ(el.n, 4);
  EXPECT_EQ(el.edges.size(), 4u);
  auto g = preprocess(el, true, false, 1);
  EXPECT_EQ(g.edges(), 4);
  {
    std::ofstream out(path);
    out << "# header\n0 1\n1 x\n";
  }
  try {
    read_edge_list(path);
    FAIL() << "bad line accepted";
  } catch (const sampo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":3:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_edge_list("no/such/file.txt"), sampo::InputError);
  // gzip-compressed edge lists are read transparently.
  {
    gzFile z = gzopen((path + ".gz").c_str(), "wb");
    const std::string text = "# gz\n0 1\n1 2\n2 0\n";
    gzwrite(z, text.data(), static_cast<unsigned>(text.size()));
    gzclose(z);
  }
  auto gz = read_edge_list(path + ".gz");
  EXPECT_EQ(gz.n, 3);
  EXPECT_EQ(gz.edges.size(), 3u);
  std::remove((path + ".gz").c_str());
  const std::vector<std::int64_t> flat{0, 1, 1, 2, 5, 0};
  EXPECT_EQ(edges_from_array(flat, "test").n, 6);
  EXPECT_THROW(edges_from_array(std::vector<std::int64_t>{0, -1}, "test"), sampo::InputError);
  std::remove(path.c_str());
}
