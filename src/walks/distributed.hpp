#pragma once
// The distributed graph of the vertex-partitioned engine: each rank holds the CSR rows of its block of a 1-D vertex
// partition (balancing |V| + |E|) and, for its ghost vertices (non-owned neighbours of the block), their degrees —
// all the walk kernels need of a neighbour (MHRW acceptance, μ_j, log P_ij). Graph memory per rank is
// (|V| + |E|)/P + ghosts, plus the O(|V|) vertex arrays listed per path in docs/walks.md.
//
// Two ways to build one, with bitwise the same rows (tested):
//  * from_global: cut out of a replicated Graph (the global graph exists once, on every rank);
//  * distribute: collective, from each rank's share of the input edges (generators produce only their share
//    where they can: Kronecker edges by index, WS/torus/cycle/complete rows by vertex; readers keep every P-th
//    line or their rows of the HDF5 array). Symmetrising and deduplication are per owner of the raw vertex id; the
//    largest connected component by distributed min-label propagation; renumbering by prefix sums; the optional
//    random relabelling uses the same seeded permutation as preprocess (an O(|V|) array on every rank: the one
//    global step left); rows are then sent to their final owners.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/mpi/communicator.hpp"
#include "walks/graph.hpp"
#include "walks/walkers.hpp"

namespace sampo::walks {

struct Partition {
  std::vector<Vertex> begin;  // P + 1 block boundaries
  // Balances Σ_{i in block} (1 + d_i) across `parts` blocks.
  static Partition balanced(const Graph& g, int parts);
  // The same from any degree sequence (deg(v) for v in [0, n), 2·edges = Σ deg): identical blocks.
  template <class Deg>
  static Partition balanced(Vertex n, std::int64_t edges, Deg&& deg, int parts) {
    const double total = static_cast<double>(n) + 2.0 * static_cast<double>(edges);
    Partition p;
    p.begin.assign(static_cast<std::size_t>(parts) + 1, n);
    p.begin[0] = 0;
    double acc = 0.0;
    int r = 1;
    for (Vertex v = 0; v < n && r < parts; ++v) {
      acc += 1.0 + static_cast<double>(deg(v));
      while (r < parts && acc >= total * r / parts) p.begin[static_cast<std::size_t>(r++)] = v + 1;
    }
    return p;
  }
  [[nodiscard]] int owner(Vertex v) const noexcept;
  [[nodiscard]] int parts() const noexcept { return static_cast<int>(begin.size()) - 1; }
};

class DistributedGraph {
 public:
  DistributedGraph() = default;
  // This rank's part of a replicated graph (no communication).
  static DistributedGraph from_global(const Graph& g, int parts, int rank);

  [[nodiscard]] Vertex vertices() const noexcept { return n_; }          // global
  [[nodiscard]] std::int64_t edges() const noexcept { return edges_; }   // global, undirected
  [[nodiscard]] Vertex lo() const noexcept { return lo_; }
  [[nodiscard]] Vertex hi() const noexcept { return hi_; }
  [[nodiscard]] bool owns(Vertex v) const noexcept { return v >= lo_ && v < hi_; }
  [[nodiscard]] const Partition& partition() const noexcept { return part_; }
  // Owned rows only (sorted).
  [[nodiscard]] std::span<const Vertex> neighbours(Vertex v) const noexcept {
    const auto b = static_cast<std::size_t>(v - lo_);
    return {adj_.data() + offsets_[b], static_cast<std::size_t>(offsets_[b + 1] - offsets_[b])};
  }
  // Owned or ghost vertices.
  [[nodiscard]] std::int64_t degree(Vertex v) const noexcept {
    if (owns(v)) {
      const auto b = static_cast<std::size_t>(v - lo_);
      return offsets_[b + 1] - offsets_[b];
    }
    return ghost_degree_[ghost_slot(v)];
  }
  // Index of ghost v in ghosts() (ghosts().size() when v is not a ghost): an open-addressing table, one or two
  // cache lines per lookup. The SRRW scan at a vertex with remote neighbours looks up every one of them; the binary
  // search over ghosts() it replaces cost ~15 dependent misses each (70 µs per step on Graph500 scale 16, 2 ranks).
  [[nodiscard]] std::size_t ghost_slot(Vertex v) const noexcept {
    if (ghost_index_.empty()) return ghosts_.size();
    const std::size_t mask = ghost_index_.size() - 1;
    for (std::size_t h = ghost_hash(v) & mask;; h = (h + 1) & mask) {
      const GhostCell& c = ghost_index_[h];
      if (c.key == v) return static_cast<std::size_t>(c.slot);
      if (c.key < 0) return ghosts_.size();
    }
  }
  [[nodiscard]] const std::vector<Vertex>& ghosts() const noexcept { return ghosts_; }
  [[nodiscard]] std::int64_t max_degree() const noexcept { return max_degree_; }  // over owned rows
  [[nodiscard]] std::int64_t global_max_degree() const noexcept { return global_max_degree_; }
  // Bytes of graph data held by this rank (rows, ghost list, degrees and index, partition).
  [[nodiscard]] std::size_t bytes() const noexcept;

 private:
  friend DistributedGraph distribute(const mpi::Communicator&, EdgeList, bool, bool, std::uint64_t, PreprocessStats*,
                                     VertexOrder);
  void finish();  // ghosts from the rows, their index; max degree
  struct GhostCell {
    Vertex key = -1;  // −1: empty
    std::int64_t slot = 0;
  };
  [[nodiscard]] static std::size_t ghost_hash(Vertex v) noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(v) * 0x9E3779B97F4A7C15ull) >> 20);
  }
  Vertex n_ = 0;
  std::int64_t edges_ = 0;
  Partition part_;
  Vertex lo_ = 0, hi_ = 0;
  std::vector<std::int64_t> offsets_{0};
  std::vector<Vertex> adj_;
  std::vector<Vertex> ghosts_;               // sorted
  std::vector<std::int64_t> ghost_degree_;  // per ghost
  // ghost_slot's table, 16 bytes per cell: the least power of two > 2·ghosts (so at least one cell stays empty),
  // none without ghosts.
  std::vector<GhostCell> ghost_index_;
  std::int64_t max_degree_ = 0, global_max_degree_ = 0;
};

// Collective: the same graph as preprocess(union of every rank's share, keep_lcc, relabel, seed, order),
// distributed.
// `share.n` may differ between ranks (the maximum is used). Stats (optional) are global, as preprocess reports them.
DistributedGraph distribute(const mpi::Communicator& comm, EdgeList share, bool keep_lcc, bool relabel,
                            std::uint64_t seed, PreprocessStats* stats = nullptr,
                            VertexOrder order = VertexOrder::input);

// This rank's share of a generator's edges (the union over ranks is the generator's edge list, in any order).
// kind: cycle, complete, torus, ws, kronecker generate only their share; ba is sequential (each rank generates the
// whole list, O(|E|) transiently, and keeps its share).
struct GeneratorSpec {
  std::string kind;
  Vertex vertices = 0, side = 0;
  int degree = 0, attach = 0, scale = 0, edge_factor = 0;
  double rewire = 0.0;
};
EdgeList generate_share(const GeneratorSpec& spec, std::uint64_t seed, int rank, int parts);

// The base chain restricted to a rank's block: the same P_ij, P_ii, μ and logs as BaseChain (the same expressions,
// so the same bits) for owned vertices and, where a kernel needs them, ghosts. The walk kernels (kernels.hpp) take
// either.
class LocalChain {
 public:
  LocalChain(const DistributedGraph& g, Chain chain, double laziness);
  [[nodiscard]] const DistributedGraph& graph() const noexcept { return *g_; }
  [[nodiscard]] Chain chain() const noexcept { return chain_; }
  [[nodiscard]] double laziness() const noexcept { return eps_; }
  [[nodiscard]] bool reversible() const noexcept { return chain_ != Chain::nbrw; }
  // Owned i; j owned or ghost.
  [[nodiscard]] double p_self(Vertex i) const noexcept { return p_self_[static_cast<std::size_t>(i - g_->lo())]; }
  [[nodiscard]] double log_p_self(Vertex i) const noexcept {
    return log_p_self_[static_cast<std::size_t>(i - g_->lo())];
  }
  [[nodiscard]] double log_d(Vertex j) const noexcept { return log_d_[slot(j)]; }
  [[nodiscard]] double log_p(Vertex i, Vertex j) const noexcept {
    return chain_ == Chain::mhrw ? log1m_eps_ - std::max(log_d(i), log_d(j)) : log1m_eps_ - log_d(i);
  }
  [[nodiscard]] double log_mu(Vertex j) const noexcept { return chain_ == Chain::mhrw ? 0.0 : log_d(j); }
  [[nodiscard]] double mu(Vertex j) const noexcept {
    return chain_ == Chain::mhrw ? 1.0 : static_cast<double>(g_->degree(j));
  }

 private:
  [[nodiscard]] std::size_t slot(Vertex j) const noexcept {
    return g_->owns(j) ? static_cast<std::size_t>(j - g_->lo())
                       : static_cast<std::size_t>(g_->hi() - g_->lo()) + g_->ghost_slot(j);
  }
  const DistributedGraph* g_;
  Chain chain_;
  double eps_, log1m_eps_;
  std::vector<double> log_d_;  // owned then ghosts
  std::vector<double> p_self_, log_p_self_;
};

}  // namespace sampo::walks
