#include "walks/distributed.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error/error.hpp"
#include "core/rng/stream.hpp"
#include "walks/kernels.hpp"

namespace sampo::walks {

int Partition::owner(Vertex v) const noexcept {
  return static_cast<int>(std::upper_bound(begin.begin(), begin.end(), v) - begin.begin()) - 1;
}

Partition Partition::balanced(const Graph& g, int parts) {
  return balanced(g.vertices(), g.edges(), [&g](Vertex v) { return g.degree(v); }, parts);
}

std::size_t DistributedGraph::bytes() const noexcept {
  return sizeof(std::int64_t) * (offsets_.size() + ghost_degree_.size()) +
         sizeof(Vertex) * (adj_.size() + ghosts_.size() + part_.begin.size()) + sizeof(GhostCell) * ghost_index_.size();
}

void DistributedGraph::finish() {
  ghosts_.clear();
  max_degree_ = 0;
  for (Vertex v = lo_; v < hi_; ++v) {
    max_degree_ = std::max(max_degree_, degree(v));
    for (Vertex u : neighbours(v))
      if (!owns(u)) ghosts_.push_back(u);
  }
  std::sort(ghosts_.begin(), ghosts_.end());
  ghosts_.erase(std::unique(ghosts_.begin(), ghosts_.end()), ghosts_.end());
  ghosts_.shrink_to_fit();
  std::size_t cells = ghosts_.empty() ? 0 : 1;
  while (cells > 0 && cells < 2 * ghosts_.size() + 1) cells *= 2;
  std::vector<GhostCell>(cells).swap(ghost_index_);
  for (std::size_t q = 0; q < ghosts_.size(); ++q) {
    std::size_t h = ghost_hash(ghosts_[q]) & (cells - 1);
    while (ghost_index_[h].key >= 0) h = (h + 1) & (cells - 1);
    ghost_index_[h] = {ghosts_[q], static_cast<std::int64_t>(q)};
  }
}

DistributedGraph DistributedGraph::from_global(const Graph& g, int parts, int rank) {
  DistributedGraph d;
  d.n_ = g.vertices();
  d.edges_ = g.edges();
  d.part_ = Partition::balanced(g, parts);
  d.lo_ = d.part_.begin[static_cast<std::size_t>(rank)];
  d.hi_ = d.part_.begin[static_cast<std::size_t>(rank) + 1];
  const auto& off = g.offsets();
  const auto base = off[static_cast<std::size_t>(d.lo_)];
  d.offsets_.assign(off.begin() + d.lo_, off.begin() + d.hi_ + 1);
  for (auto& o : d.offsets_) o -= base;
  d.adj_.assign(g.adjacency().begin() + base, g.adjacency().begin() + off[static_cast<std::size_t>(d.hi_)]);
  d.finish();
  d.ghost_degree_.resize(d.ghosts_.size());
  for (std::size_t q = 0; q < d.ghosts_.size(); ++q) d.ghost_degree_[q] = g.degree(d.ghosts_[q]);
  d.global_max_degree_ = g.max_degree();
  return d;
}

namespace {

// Contiguous blocks [n r/P, n (r+1)/P) of input vertex ids: who symmetrises, deduplicates and labels vertex v.
struct Blocks {
  Vertex n;
  int P;
  [[nodiscard]] Vertex begin(int r) const noexcept { return n * r / P; }
  [[nodiscard]] int owner(Vertex v) const noexcept {
    int r = static_cast<int>(std::min<Vertex>(v * P / std::max<Vertex>(n, 1), P - 1));
    while (r + 1 < P && begin(r + 1) <= v) ++r;
    while (r > 0 && begin(r) > v) --r;
    return r;
  }
};

// Ghost values: each rank asks the owners for the values of its (sorted) ghosts once; `fetch` then returns, in
// ghost order, the owners' values (owners are increasing in the id, so replies concatenated in rank order are
// in ghost order).
class GhostPlan {
 public:
  // Collective.
  GhostPlan(const mpi::Communicator& comm, const Blocks& b, const std::vector<Vertex>& ghosts) : comm_(&comm) {
    std::vector<std::vector<Vertex>> ask(static_cast<std::size_t>(b.P));
    for (Vertex g : ghosts) ask[static_cast<std::size_t>(b.owner(g))].push_back(g);
    std::vector<int> counts;
    const auto in = comm.alltoallv(ask, &counts);
    wanted_.resize(static_cast<std::size_t>(b.P));
    std::size_t pos = 0;
    const Vertex lo = b.begin(comm.rank());
    for (int r = 0; r < b.P; ++r)
      for (int k = 0; k < counts[static_cast<std::size_t>(r)]; ++k)
        wanted_[static_cast<std::size_t>(r)].push_back(static_cast<std::size_t>(in[pos++] - lo));
  }
  // Collective: values[b] for owned b (block index) → values of the ghosts.
  [[nodiscard]] std::vector<Vertex> fetch(const std::vector<Vertex>& values) const {
    std::vector<std::vector<Vertex>> send(wanted_.size());
    for (std::size_t r = 0; r < wanted_.size(); ++r)
      for (std::size_t b : wanted_[r]) send[r].push_back(values[b]);
    return comm_->alltoallv(send);
  }

 private:
  const mpi::Communicator* comm_;
  std::vector<std::vector<std::size_t>> wanted_;
};

}  // namespace

DistributedGraph distribute(const mpi::Communicator& comm, EdgeList share, bool keep_lcc, bool relabel,
                            std::uint64_t seed, PreprocessStats* stats, VertexOrder order) {
  const int P = comm.size(), me = comm.rank();
  PreprocessStats st;
  const Vertex n = comm.allreduce(share.n, mpi::Op::max);
  st.input_vertices = n;
  const Blocks raw{n, P};
  const Vertex rlo = raw.begin(me), rhi = raw.begin(me + 1);
  const auto rb = static_cast<std::size_t>(rhi - rlo);

  // 1. Symmetrise: each directed copy (u, v), u ≠ v, to the owner of u; sort and deduplicate the rows there.
  std::int64_t local[3] = {static_cast<std::int64_t>(share.edges.size()), 0, 0};  // edges, loops, duplicates
  std::vector<std::int64_t> roff(rb + 1, 0);
  std::vector<Vertex> radj;
  {
    std::vector<std::vector<Vertex>> send(static_cast<std::size_t>(P));
    for (auto [u, v] : share.edges) {
      SAMPO_VERIFY(u >= 0 && u < n && v >= 0 && v < n, "edge endpoint out of range");
      if (u == v) {
        ++local[1];
        continue;
      }
      auto& a = send[static_cast<std::size_t>(raw.owner(u))];
      a.insert(a.end(), {u, v});
      auto& b = send[static_cast<std::size_t>(raw.owner(v))];
      b.insert(b.end(), {v, u});
    }
    std::vector<std::pair<Vertex, Vertex>>().swap(share.edges);
    const auto in = comm.alltoallv(send);
    send.clear();
    for (std::size_t q = 0; q < in.size(); q += 2) ++roff[static_cast<std::size_t>(in[q] - rlo) + 1];
    std::partial_sum(roff.begin(), roff.end(), roff.begin());
    radj.resize(static_cast<std::size_t>(roff.back()));
    std::vector<std::int64_t> fill(roff.begin(), roff.end() - 1);
    for (std::size_t q = 0; q < in.size(); q += 2)
      radj[static_cast<std::size_t>(fill[static_cast<std::size_t>(in[q] - rlo)]++)] = in[q + 1];
  }
  {
    std::vector<std::int64_t> newoff(rb + 1, 0);
    for (std::size_t b = 0; b < rb; ++b) {
      auto first = radj.begin() + roff[b], last = radj.begin() + roff[b + 1];
      std::sort(first, last);
      const auto len = std::unique(first, last) - first;
      std::copy_n(first, len, radj.begin() + newoff[b]);  // newoff[b] <= roff[b]
      newoff[b + 1] = newoff[b] + len;
    }
    local[2] = roff.back() - newoff.back();
    roff = std::move(newoff);
    radj.resize(static_cast<std::size_t>(roff.back()));
    radj.shrink_to_fit();
  }
  comm.allreduce_inplace<std::int64_t>(local, mpi::Op::sum);
  st.input_edges = local[0];
  st.self_loops = local[1];
  st.duplicates = local[2];

  std::vector<Vertex> ghosts;
  for (Vertex a : radj)
    if (a < rlo || a >= rhi) ghosts.push_back(a);
  std::sort(ghosts.begin(), ghosts.end());
  ghosts.erase(std::unique(ghosts.begin(), ghosts.end()), ghosts.end());
  const GhostPlan plan(comm, raw, ghosts);
  auto ghost_index = [&](Vertex a) {
    return static_cast<std::size_t>(std::lower_bound(ghosts.begin(), ghosts.end(), a) - ghosts.begin());
  };

  // 2. Components by min-label propagation (label = smallest vertex id of the component, as components()):
  // local sweeps to a fixed point, then a ghost exchange, until no label changes anywhere.
  std::vector<Vertex> keep(rb, 1);
  if (keep_lcc) {
    std::vector<Vertex> label(rb);
    std::iota(label.begin(), label.end(), rlo);
    for (;;) {
      const auto glabel = plan.fetch(label);
      std::int64_t changed = 0;
      for (bool again = true; again;) {
        again = false;
        for (std::size_t b = 0; b < rb; ++b) {
          Vertex m = label[b];
          for (auto k = roff[b]; k < roff[b + 1]; ++k) {
            const Vertex a = radj[static_cast<std::size_t>(k)];
            m = std::min(m, a >= rlo && a < rhi ? label[static_cast<std::size_t>(a - rlo)] : glabel[ghost_index(a)]);
          }
          if (m < label[b]) {
            label[b] = m;
            again = true;
            ++changed;
          }
        }
      }
      if (comm.allreduce(changed, mpi::Op::sum) == 0) break;
    }
    // Component sizes at the owner of the label; the largest (ties: smallest label) wins.
    std::vector<std::vector<Vertex>> send(static_cast<std::size_t>(P));
    {
      std::vector<Vertex> sorted(label);
      std::sort(sorted.begin(), sorted.end());
      for (std::size_t q = 0; q < sorted.size();) {
        std::size_t e = q;
        while (e < sorted.size() && sorted[e] == sorted[q]) ++e;
        auto& out = send[static_cast<std::size_t>(raw.owner(sorted[q]))];
        out.insert(out.end(), {sorted[q], static_cast<Vertex>(e - q)});
        q = e;
      }
    }
    const auto in = comm.alltoallv(send);
    std::vector<std::int64_t> size(rb, 0);
    for (std::size_t q = 0; q < in.size(); q += 2) size[static_cast<std::size_t>(in[q] - rlo)] += in[q + 1];
    std::int64_t best[2] = {-1, -1};  // size, label
    for (std::size_t b = 0; b < rb; ++b)
      if (size[b] > best[0]) best[0] = size[b], best[1] = rlo + static_cast<Vertex>(b);
    const auto all = comm.allgatherv<std::int64_t>(std::span<const std::int64_t>(best, 2));
    std::int64_t bsize = -1;
    Vertex blabel = -1;
    for (std::size_t r = 0; r < all.size(); r += 2)  // ranks in id order: the first maximum has the smallest label
      if (all[r] > bsize) bsize = all[r], blabel = all[r + 1];
    for (std::size_t b = 0; b < rb; ++b) keep[b] = label[b] == blabel ? 1 : 0;
  }

  // 3. New ids: kept vertices in increasing input id (prefix sums over the blocks), then the seeded permutation.
  const auto kept_here = static_cast<std::int64_t>(std::count(keep.begin(), keep.end(), Vertex{1}));
  const Vertex offset = comm.exscan_sum(kept_here);
  const Vertex kept = comm.allreduce(kept_here, mpi::Op::sum);
  std::vector<Vertex> perm;
  if (relabel) {  // the same permutation as preprocess: O(|V|) on every rank
    perm.resize(static_cast<std::size_t>(kept));
    std::iota(perm.begin(), perm.end(), Vertex{0});
    rng::Stream s(seed, rng::purpose_graph, 0, relabel_stream);
    for (Vertex i = kept - 1; i > 0; --i)
      std::swap(perm[static_cast<std::size_t>(i)], perm[s.below(static_cast<std::uint64_t>(i + 1))]);
  }
  std::vector<Vertex> final_id(rb, -1);
  {
    Vertex next = offset;
    for (std::size_t b = 0; b < rb; ++b)
      if (keep[b]) {
        final_id[b] = relabel ? perm[static_cast<std::size_t>(next)] : next;
        ++next;
      }
  }
  std::vector<Vertex>().swap(perm);

  // 4. Degrees in final ids on every rank (O(|V|)): the partition, row sizes and ghost degrees.
  std::vector<std::int64_t> deg(static_cast<std::size_t>(kept), 0);
  {
    std::vector<std::int64_t> pairs;
    for (std::size_t b = 0; b < rb; ++b)
      if (keep[b]) pairs.insert(pairs.end(), {final_id[b], roff[b + 1] - roff[b]});
    const auto all = comm.allgatherv<std::int64_t>(pairs);
    for (std::size_t q = 0; q < all.size(); q += 2) deg[static_cast<std::size_t>(all[q])] = all[q + 1];
  }
  if (order == VertexOrder::degree) {  // preprocess's stable sort by decreasing degree, on every rank (O(|V|))
    const auto by_degree = degree_order(deg);
    for (auto& id : final_id)
      if (id >= 0) id = by_degree[static_cast<std::size_t>(id)];
    std::vector<std::int64_t> sorted(deg.size());
    for (std::size_t v = 0; v < deg.size(); ++v) sorted[static_cast<std::size_t>(by_degree[v])] = deg[v];
    deg.swap(sorted);
  }
  const std::int64_t edges2 = std::accumulate(deg.begin(), deg.end(), std::int64_t{0});
  DistributedGraph d;
  d.n_ = kept;
  d.edges_ = edges2 / 2;
  d.part_ = Partition::balanced(kept, d.edges_, [&deg](Vertex v) { return deg[static_cast<std::size_t>(v)]; }, P);
  d.lo_ = d.part_.begin[static_cast<std::size_t>(me)];
  d.hi_ = d.part_.begin[static_cast<std::size_t>(me) + 1];
  d.global_max_degree_ = deg.empty() ? 0 : *std::max_element(deg.begin(), deg.end());

  // 5. Rows in final ids to their final owners: [id, degree, neighbours...].
  {
    const auto gfinal = plan.fetch(final_id);
    std::vector<std::vector<Vertex>> send(static_cast<std::size_t>(P));
    for (std::size_t b = 0; b < rb; ++b) {
      if (!keep[b]) continue;
      auto& out = send[static_cast<std::size_t>(d.part_.owner(final_id[b]))];
      out.push_back(final_id[b]);
      out.push_back(roff[b + 1] - roff[b]);
      for (auto k = roff[b]; k < roff[b + 1]; ++k) {
        const Vertex a = radj[static_cast<std::size_t>(k)];
        out.push_back(a >= rlo && a < rhi ? final_id[static_cast<std::size_t>(a - rlo)] : gfinal[ghost_index(a)]);
      }
    }
    std::vector<Vertex>().swap(radj);
    const auto in = comm.alltoallv(send);
    const auto block = static_cast<std::size_t>(d.hi_ - d.lo_);
    d.offsets_.assign(block + 1, 0);
    for (std::size_t b = 0; b < block; ++b) d.offsets_[b + 1] = d.offsets_[b] + deg[static_cast<std::size_t>(d.lo_) + b];
    d.adj_.assign(static_cast<std::size_t>(d.offsets_.back()), -1);
    std::size_t rows = 0;
    for (std::size_t q = 0; q < in.size();) {
      const Vertex v = in[q];
      const auto len = static_cast<std::size_t>(in[q + 1]);
      SAMPO_VERIFY(d.owns(v) && static_cast<std::int64_t>(len) == d.degree(v), "distribute: misrouted row");
      auto first = d.adj_.begin() + d.offsets_[static_cast<std::size_t>(v - d.lo_)];
      std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(q + 2), len, first);
      std::sort(first, first + static_cast<std::ptrdiff_t>(len));
      q += 2 + len;
      ++rows;
    }
    SAMPO_VERIFY(rows == block, "distribute: a row of the block is missing");
  }
  d.finish();
  d.ghost_degree_.resize(d.ghosts_.size());
  for (std::size_t q = 0; q < d.ghosts_.size(); ++q) d.ghost_degree_[q] = deg[static_cast<std::size_t>(d.ghosts_[q])];
  st.lcc_vertices = kept;
  st.lcc_edges = d.edges_;
  if (stats) *stats = st;
  return d;
}

EdgeList generate_share(const GeneratorSpec& s, std::uint64_t seed, int rank, int parts) {
  auto range = [&](std::int64_t total) {
    return std::pair<std::int64_t, std::int64_t>{total * rank / parts, total * (rank + 1) / parts};
  };
  if (s.kind == "cycle") {
    SAMPO_VERIFY(s.vertices >= 3, "a cycle needs at least 3 vertices");
    EdgeList el{s.vertices, {}};
    const auto [a, b] = range(s.vertices);
    for (Vertex i = a; i < b; ++i) el.edges.emplace_back(i, (i + 1) % s.vertices);
    return el;
  }
  if (s.kind == "complete") {
    SAMPO_VERIFY(s.vertices >= 2, "a complete graph needs at least 2 vertices");
    EdgeList el{s.vertices, {}};
    const auto [a, b] = range(s.vertices);
    for (Vertex i = a; i < b; ++i)
      for (Vertex j = 0; j < s.vertices; ++j)
        if (j != i && (i + j) % 2 == (i < j ? 0 : 1)) el.edges.emplace_back(i, j);  // each pair once, balanced
    return el;
  }
  if (s.kind == "torus") {
    const Vertex L = s.side;
    SAMPO_VERIFY(L >= 3, "a torus needs L >= 3");
    EdgeList el{L * L, {}};
    const auto [a, b] = range(L * L);
    for (Vertex v = a; v < b; ++v) {
      const Vertex r = v / L, c = v % L;
      el.edges.emplace_back(v, r * L + (c + 1) % L);
      el.edges.emplace_back(v, ((r + 1) % L) * L + c);
    }
    return el;
  }
  if (s.kind == "ws") {
    const auto [a, b] = range(s.vertices);
    return watts_strogatz_rows(s.vertices, s.degree, s.rewire, seed, a, b);
  }
  if (s.kind == "kronecker") {
    SAMPO_VERIFY(s.scale >= 1 && s.scale <= 40, "Kronecker scale must be in [1, 40]");
    const auto [a, b] = range(static_cast<std::int64_t>(s.edge_factor) << s.scale);
    return kronecker_edges(s.scale, s.edge_factor, seed, a, b);
  }
  if (s.kind == "ba") {
    EdgeList all = barabasi_albert(s.vertices, s.attach, seed);
    EdgeList el{all.n, {}};
    const auto [a, b] = range(static_cast<std::int64_t>(all.edges.size()));
    el.edges.assign(all.edges.begin() + a, all.edges.begin() + b);
    return el;
  }
  throw ConfigError("generate_share: unknown generator '" + s.kind + "'");
}

LocalChain::LocalChain(const DistributedGraph& g, Chain chain, double laziness)
    : g_(&g), chain_(chain), eps_(laziness), log1m_eps_(std::log1p(-laziness)) {
  SAMPO_VERIFY(laziness >= 0.0 && laziness < 1.0, "laziness must be in [0, 1)");
  const auto block = static_cast<std::size_t>(g.hi() - g.lo());
  log_d_.resize(block + g.ghosts().size());
  for (Vertex v = g.lo(); v < g.hi(); ++v) {
    const auto d = g.degree(v);
    SAMPO_VERIFY(d > 0, "random walks need a graph without isolated vertices (keep the largest component)");
    log_d_[static_cast<std::size_t>(v - g.lo())] = std::log(static_cast<double>(d));
  }
  for (std::size_t q = 0; q < g.ghosts().size(); ++q)
    log_d_[block + q] = std::log(static_cast<double>(g.degree(g.ghosts()[q])));
  p_self_.resize(block);
  log_p_self_.resize(block);
  for (Vertex v = g.lo(); v < g.hi(); ++v) {  // the expressions of BaseChain's constructor
    double ps = laziness;
    if (chain == Chain::mhrw) ps += (1.0 - laziness) * mh_rejection_mass(g, v);
    p_self_[static_cast<std::size_t>(v - g.lo())] = ps;
    log_p_self_[static_cast<std::size_t>(v - g.lo())] = ps > 0.0 ? std::log(ps) : kernel::neg_inf;
  }
}

}  // namespace sampo::walks
