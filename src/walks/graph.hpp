#pragma once
// Undirected graphs in CSR form, deterministic generators and preprocessing.
//
// Vertex ids and offsets are 64-bit. Generators are keyed by the seed through counter-based streams
// (purpose_graph), so every rank that builds the same graph gets it bit for bit (the replicated mode: every rank
// holds the whole graph). Preprocessing turns any edge list into a simple connected undirected graph:
// symmetrise, drop self-loops and duplicate edges, keep the largest connected component, optionally relabel
// vertices by a seeded random permutation (Graph500 style).
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sampo::walks {

using Vertex = std::int64_t;

struct EdgeList {
  Vertex n = 0;                                  // vertex ids are in [0, n)
  std::vector<std::pair<Vertex, Vertex>> edges;  // any order; directions, duplicates and loops allowed
};

class Graph {
 public:
  Graph() = default;
  // Takes CSR arrays of a symmetric graph (offsets has n+1 entries; each row sorted).
  Graph(std::vector<std::int64_t> offsets, std::vector<Vertex> adj);
  // Degrees without rows (O(|V|)): what estimators and output need of a graph whose rows are distributed
  // (walk.partition = vertex). neighbours() must not be called on it; has_rows() is false.
  static Graph degrees_only(std::vector<std::int64_t> offsets);
  [[nodiscard]] bool has_rows() const noexcept { return rows_; }

  [[nodiscard]] Vertex vertices() const noexcept { return static_cast<Vertex>(offsets_.size()) - 1; }
  // Number of undirected edges (each stored twice).
  [[nodiscard]] std::int64_t edges() const noexcept { return offsets_.back() / 2; }
  [[nodiscard]] std::int64_t degree(Vertex v) const noexcept { return offsets_[v + 1] - offsets_[v]; }
  [[nodiscard]] std::span<const Vertex> neighbours(Vertex v) const noexcept {
    return {adj_.data() + offsets_[v], static_cast<std::size_t>(degree(v))};
  }
  [[nodiscard]] std::int64_t max_degree() const noexcept { return max_degree_; }
  [[nodiscard]] const std::vector<std::int64_t>& offsets() const noexcept { return offsets_; }
  [[nodiscard]] const std::vector<Vertex>& adjacency() const noexcept { return adj_; }
  [[nodiscard]] bool has_edge(Vertex u, Vertex v) const;  // binary search in u's sorted row

 private:
  std::vector<std::int64_t> offsets_{0};
  std::vector<Vertex> adj_;
  std::int64_t max_degree_ = 0;
  bool rows_ = true;
};

// ---- generators (edge lists; pass through `preprocess` to get a Graph) ----
EdgeList cycle(Vertex n);
EdgeList complete(Vertex n);
// L×L periodic lattice, 4 neighbours (use odd L: even tori are bipartite and make the SRW periodic).
EdgeList torus(Vertex L);
// Ring of n vertices each joined to its k/2 nearest neighbours on each side (k even), each edge rewired with
// probability beta to a uniform random endpoint.
EdgeList watts_strogatz(Vertex n, int k, double beta, std::uint64_t seed);
// Its edges from the rows i in [first, last) (each row has its own stream): a rank's share.
EdgeList watts_strogatz_rows(Vertex n, int k, double beta, std::uint64_t seed, Vertex first, Vertex last);
// Preferential attachment: a clique of m+1 vertices, then each new vertex joins m distinct existing vertices
// chosen with probability proportional to degree.
EdgeList barabasi_albert(Vertex n, int m, std::uint64_t seed);
// Graph500 Kronecker (R-MAT) generator: 2^scale vertices, edge_factor·2^scale edges, quadrant probabilities
// (a, b, c, 1-a-b-c). Edge e uses its own stream, so generation is parallel and deterministic.
EdgeList kronecker(int scale, int edge_factor, std::uint64_t seed, double a = 0.57, double b = 0.19,
                   double c = 0.19);
// Edges e in [first, last) of the same list.
EdgeList kronecker_edges(int scale, int edge_factor, std::uint64_t seed, std::int64_t first, std::int64_t last,
                         double a = 0.57, double b = 0.19, double c = 0.19);

// SNAP text edge list: '#' comment lines, blank lines, "u v" per line (further columns ignored). Vertex ids are
// non-negative integers, kept as given (n = max id + 1). Throws InputError naming file:line on a bad line.
// gzip-compressed files are read transparently. With shares > 1 only the edges whose index (order in the file)
// is share modulo shares are kept (n still covers every edge): a rank's share for the distributed graph.
EdgeList read_edge_list(const std::string& path, int share = 0, int shares = 1);
// Edges from a flat (M × 2) array of vertex ids, e.g. an HDF5 dataset; `where` names it in messages.
EdgeList edges_from_array(std::span<const std::int64_t> flat, const std::string& where);

// Substream of purpose_graph for the relabelling permutation (preprocess and distribute draw the same one).
inline constexpr std::uint32_t relabel_stream = 4;

struct PreprocessStats {
  Vertex input_vertices = 0;
  std::int64_t input_edges = 0;
  std::int64_t self_loops = 0;
  std::int64_t duplicates = 0;  // directed copies dropped after symmetrising
  Vertex lcc_vertices = 0;
  std::int64_t lcc_edges = 0;
};

// Vertex order after preprocessing: `input` keeps the (optionally relabelled) order; `degree` renumbers by
// decreasing degree, ties in that order (a stable sort): hubs get the smallest ids, so on power-law graphs the rows
// and per-vertex values the walk touches most share cache lines and pages.
enum class VertexOrder { input, degree };
VertexOrder vertex_order_from(const std::string& s);  // "input" | "degree"

// The new ids of `order` for degrees deg[v] (v = current id): new_id[v], a stable sort by decreasing degree.
std::vector<Vertex> degree_order(std::span<const std::int64_t> deg);

// Symmetrise, drop self-loops and duplicates, keep the largest connected component (ties: the one containing
// the smallest vertex id), renumber its vertices 0..n'-1 in increasing old id, then apply a seeded random
// permutation when `relabel`, then the `order`. Deterministic.
Graph preprocess(const EdgeList& el, bool keep_lcc, bool relabel, std::uint64_t seed,
                 PreprocessStats* stats = nullptr, VertexOrder order = VertexOrder::input);

// Connected components (label = smallest vertex id of the component) — used by preprocess and tests.
std::vector<Vertex> components(const Graph& g);

}  // namespace sampo::walks
