#include "walks/graph.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>

#include <zlib.h>
#include <numeric>

#include "core/error/error.hpp"
#include "core/rng/stream.hpp"

namespace sampo::walks {

namespace {
// Substreams of purpose_graph, so the generators never share random numbers.
enum GraphStream : std::uint32_t { ws_rewire = 1, ba_attach = 2, kron_edge = 3 };

// Asks the kernel to back the whole 2 MiB pages inside [p, p + bytes) with transparent huge pages, now
// (MADV_COLLAPSE, Linux ≥ 6.1; MADV_HUGEPAGE for later faults): walks read rows at random, and with 4 KiB pages
// nearly every row read of a large graph is also a TLB miss. A hint only: ignored where unsupported (contents and
// results never depend on it). Arrays below 4 MiB are left alone.
void advise_huge_pages(const void* p, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  if (bytes < 2 * huge) return;
  const auto b = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t lo = (b + huge - 1) & ~(huge - 1), hi = (b + bytes) & ~(huge - 1);
  if (hi <= lo) return;
  void* a = reinterpret_cast<void*>(lo);
  (void)madvise(a, hi - lo, MADV_HUGEPAGE);
#ifndef MADV_COLLAPSE
  constexpr int MADV_COLLAPSE = 25;  // Linux 6.1 (older glibc headers lack it; older kernels answer EINVAL)
#endif
  (void)madvise(a, hi - lo, MADV_COLLAPSE);
#else
  (void)p;
  (void)bytes;
#endif
}
}  // namespace

Graph::Graph(std::vector<std::int64_t> offsets, std::vector<Vertex> adj)
    : offsets_(std::move(offsets)), adj_(std::move(adj)) {
  SAMPO_VERIFY(!offsets_.empty() && offsets_.back() == static_cast<std::int64_t>(adj_.size()),
               "CSR offsets do not match the adjacency array");
  for (Vertex v = 0; v < vertices(); ++v) max_degree_ = std::max(max_degree_, degree(v));
  advise_huge_pages(offsets_.data(), offsets_.size() * sizeof(std::int64_t));
  advise_huge_pages(adj_.data(), adj_.size() * sizeof(Vertex));
}

Graph Graph::degrees_only(std::vector<std::int64_t> offsets) {
  Graph g;
  g.offsets_ = std::move(offsets);
  SAMPO_VERIFY(!g.offsets_.empty(), "CSR offsets need n+1 entries");
  for (Vertex v = 0; v < g.vertices(); ++v) g.max_degree_ = std::max(g.max_degree_, g.degree(v));
  g.rows_ = false;
  return g;
}

bool Graph::has_edge(Vertex u, Vertex v) const {
  const auto nb = neighbours(u);
  return std::binary_search(nb.begin(), nb.end(), v);
}

EdgeList cycle(Vertex n) {
  SAMPO_VERIFY(n >= 3, "a cycle needs at least 3 vertices");
  EdgeList el{n, {}};
  el.edges.reserve(static_cast<std::size_t>(n));
  for (Vertex i = 0; i < n; ++i) el.edges.emplace_back(i, (i + 1) % n);
  return el;
}

EdgeList complete(Vertex n) {
  SAMPO_VERIFY(n >= 2, "a complete graph needs at least 2 vertices");
  EdgeList el{n, {}};
  for (Vertex i = 0; i < n; ++i)
    for (Vertex j = i + 1; j < n; ++j) el.edges.emplace_back(i, j);
  return el;
}

EdgeList torus(Vertex L) {
  SAMPO_VERIFY(L >= 3, "a torus needs L >= 3");
  EdgeList el{L * L, {}};
  for (Vertex r = 0; r < L; ++r)
    for (Vertex c = 0; c < L; ++c) {
      const Vertex v = r * L + c;
      el.edges.emplace_back(v, r * L + (c + 1) % L);
      el.edges.emplace_back(v, ((r + 1) % L) * L + c);
    }
  return el;
}

EdgeList watts_strogatz(Vertex n, int k, double beta, std::uint64_t seed) {
  return watts_strogatz_rows(n, k, beta, seed, 0, n);
}

EdgeList watts_strogatz_rows(Vertex n, int k, double beta, std::uint64_t seed, Vertex first, Vertex last) {
  SAMPO_VERIFY(k >= 2 && k % 2 == 0 && k < n, "Watts-Strogatz needs an even k with 2 <= k < n");
  EdgeList el{n, {}};
  el.edges.reserve(static_cast<std::size_t>(last - first) * static_cast<std::size_t>(k / 2));
  for (Vertex i = first; i < last; ++i) {
    rng::Stream s(seed, rng::purpose_graph, static_cast<std::uint64_t>(i), ws_rewire);
    for (int j = 1; j <= k / 2; ++j) {
      Vertex t = (i + j) % n;
      if (s.uniform() < beta) {
        // Uniform new endpoint other than i; duplicates are dropped by preprocessing.
        t = static_cast<Vertex>(s.below(static_cast<std::uint64_t>(n - 1)));
        if (t >= i) ++t;
      }
      el.edges.emplace_back(i, t);
    }
  }
  return el;
}

EdgeList barabasi_albert(Vertex n, int m, std::uint64_t seed) {
  SAMPO_VERIFY(m >= 1 && m + 1 < n, "Barabasi-Albert needs 1 <= m < n - 1");
  EdgeList el{n, {}};
  std::vector<Vertex> ends;  // every edge endpoint once: uniform draws from it are degree-proportional
  ends.reserve(static_cast<std::size_t>(2 * n * m));
  for (Vertex i = 0; i <= m; ++i)
    for (Vertex j = i + 1; j <= m; ++j) {
      el.edges.emplace_back(i, j);
      ends.push_back(i);
      ends.push_back(j);
    }
  rng::Stream s(seed, rng::purpose_graph, 0, ba_attach);
  std::vector<Vertex> chosen;
  for (Vertex v = m + 1; v < n; ++v) {
    chosen.clear();
    while (static_cast<int>(chosen.size()) < m) {
      const Vertex t = ends[s.below(ends.size())];
      if (std::find(chosen.begin(), chosen.end(), t) == chosen.end()) chosen.push_back(t);
    }
    for (Vertex t : chosen) {
      el.edges.emplace_back(v, t);
      ends.push_back(v);
      ends.push_back(t);
    }
  }
  return el;
}

EdgeList kronecker(int scale, int edge_factor, std::uint64_t seed, double a, double b, double c) {
  SAMPO_VERIFY(scale >= 1 && scale <= 40, "Kronecker scale must be in [1, 40]");
  return kronecker_edges(scale, edge_factor, seed, 0, static_cast<std::int64_t>(edge_factor) << scale, a, b, c);
}

EdgeList kronecker_edges(int scale, int edge_factor, std::uint64_t seed, std::int64_t first, std::int64_t last,
                         double a, double b, double c) {
  SAMPO_VERIFY(scale >= 1 && scale <= 40, "Kronecker scale must be in [1, 40]");
  const Vertex n = Vertex{1} << scale;
  SAMPO_VERIFY(0 <= first && first <= last && last <= static_cast<std::int64_t>(edge_factor) * n,
               "Kronecker edge range out of bounds");
  EdgeList el{n, std::vector<std::pair<Vertex, Vertex>>(static_cast<std::size_t>(last - first))};
  const double ab = a + b, abc = a + b + c;
#pragma omp parallel for schedule(static)
  for (std::int64_t e = first; e < last; ++e) {
    rng::Stream s(seed, rng::purpose_graph, static_cast<std::uint64_t>(e), kron_edge);
    Vertex u = 0, v = 0;
    for (int bit = 0; bit < scale; ++bit) {
      const double r = s.uniform();
      const Vertex ubit = r >= ab ? 1 : 0;                       // quadrants c, d: lower half
      const Vertex vbit = (r >= a && r < ab) || r >= abc ? 1 : 0;  // quadrants b, d: right half
      u = (u << 1) | ubit;
      v = (v << 1) | vbit;
    }
    el.edges[static_cast<std::size_t>(e - first)] = {u, v};
  }
  return el;
}

EdgeList read_edge_list(const std::string& path, int share, int shares) {
  SAMPO_VERIFY(shares >= 1 && share >= 0 && share < shares, "read_edge_list: share out of range");
  // zlib reads gzip-compressed and plain files alike.
  gzFile in = gzopen(path.c_str(), "rb");
  if (!in) throw InputError("cannot open edge-list file '" + path + "' (check graph.file)");
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{in};
  gzbuffer(in, 1 << 20);
  EdgeList el;
  std::string line;
  std::vector<char> buf(1 << 16);
  std::int64_t lineno = 0, edges = 0;
  auto bad = [&](const std::string& why) {
    return InputError(path + ":" + std::to_string(lineno) + ": " + why + " in edge list line '" + line +
                      "' (expected '# comment' or two non-negative integer vertex ids 'u v')");
  };
  while (gzgets(in, buf.data(), static_cast<int>(buf.size())) != nullptr) {
    ++lineno;
    line.assign(buf.data());
    if (line.size() + 1 >= buf.size() && line.back() != '\n') throw bad("line longer than 64 KiB");
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    const char* p = line.data();
    const char* end = p + line.size();
    auto skip_ws = [&] {
      while (p < end && (*p == ' ' || *p == '\t')) ++p;
    };
    skip_ws();
    if (p == end || *p == '#' || *p == '%') continue;
    Vertex ids[2];
    for (auto& id : ids) {
      skip_ws();
      if (p == end) throw bad("missing vertex id");
      auto [q, ec] = std::from_chars(p, end, id);
      if (ec != std::errc{} || (q < end && *q != ' ' && *q != '\t')) throw bad("not an integer vertex id");
      if (id < 0) throw bad("negative vertex id");
      p = q;
    }
    if (edges++ % shares == share) el.edges.emplace_back(ids[0], ids[1]);
    el.n = std::max({el.n, ids[0] + 1, ids[1] + 1});
  }
  int zerr = 0;
  const char* zmsg = gzerror(in, &zerr);
  if (zerr != Z_OK && zerr != Z_STREAM_END)
    throw InputError("error reading edge-list file '" + path + "': " + (zmsg ? zmsg : "zlib error"));
  if (edges == 0) throw InputError("edge-list file '" + path + "' has no edges");
  return el;
}

EdgeList edges_from_array(std::span<const std::int64_t> flat, const std::string& where) {
  if (flat.size() % 2 != 0) throw InputError(where + ": edge array must have two columns (u, v)");
  EdgeList el;
  el.edges.reserve(flat.size() / 2);
  for (std::size_t e = 0; e < flat.size(); e += 2) {
    if (flat[e] < 0 || flat[e + 1] < 0)
      throw InputError(where + ": row " + std::to_string(e / 2) + " has a negative vertex id");
    el.edges.emplace_back(flat[e], flat[e + 1]);
    el.n = std::max({el.n, flat[e] + 1, flat[e + 1] + 1});
  }
  if (el.edges.empty()) throw InputError(where + ": no edges");
  return el;
}

namespace {

// CSR of the symmetrised simple graph (rows sorted, no loops, no duplicates).
Graph simple_csr(const EdgeList& el, PreprocessStats* st) {
  const auto n = static_cast<std::size_t>(el.n);
  std::vector<std::int64_t> off(n + 1, 0);
  std::int64_t loops = 0;
  for (auto [u, v] : el.edges) {
    SAMPO_VERIFY(u >= 0 && u < el.n && v >= 0 && v < el.n, "edge endpoint out of range");
    if (u == v) {
      ++loops;
      continue;
    }
    ++off[static_cast<std::size_t>(u) + 1];
    ++off[static_cast<std::size_t>(v) + 1];
  }
  std::partial_sum(off.begin(), off.end(), off.begin());
  std::vector<Vertex> adj(static_cast<std::size_t>(off.back()));
  std::vector<std::int64_t> fill(off.begin(), off.end() - 1);
  for (auto [u, v] : el.edges) {
    if (u == v) continue;
    adj[static_cast<std::size_t>(fill[static_cast<std::size_t>(u)]++)] = v;
    adj[static_cast<std::size_t>(fill[static_cast<std::size_t>(v)]++)] = u;
  }
  // Sort and deduplicate each row, compacting in place.
  std::vector<std::int64_t> newoff(n + 1, 0);
  std::vector<std::int64_t> rowlen(n);
#pragma omp parallel for schedule(dynamic, 1024)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) {
    auto b = adj.begin() + off[static_cast<std::size_t>(i)], e = adj.begin() + off[static_cast<std::size_t>(i) + 1];
    std::sort(b, e);
    rowlen[static_cast<std::size_t>(i)] = std::unique(b, e) - b;
  }
  for (std::size_t i = 0; i < n; ++i) newoff[i + 1] = newoff[i] + rowlen[i];
  for (std::size_t i = 0; i < n; ++i)
    std::copy_n(adj.begin() + off[i], rowlen[i], adj.begin() + newoff[i]);  // newoff[i] <= off[i]: safe
  adj.resize(static_cast<std::size_t>(newoff.back()));
  adj.shrink_to_fit();
  if (st) {
    st->self_loops = loops;
    st->duplicates = off.back() - newoff.back();
  }
  return Graph(std::move(newoff), std::move(adj));
}

}  // namespace

std::vector<Vertex> components(const Graph& g) {
  const Vertex n = g.vertices();
  std::vector<Vertex> label(static_cast<std::size_t>(n), -1);
  std::vector<Vertex> stack;
  for (Vertex s = 0; s < n; ++s) {
    if (label[static_cast<std::size_t>(s)] >= 0) continue;
    label[static_cast<std::size_t>(s)] = s;
    stack.push_back(s);
    while (!stack.empty()) {
      const Vertex u = stack.back();
      stack.pop_back();
      for (Vertex v : g.neighbours(u))
        if (label[static_cast<std::size_t>(v)] < 0) {
          label[static_cast<std::size_t>(v)] = s;
          stack.push_back(v);
        }
    }
  }
  return label;
}

VertexOrder vertex_order_from(const std::string& s) {
  if (s == "input") return VertexOrder::input;
  if (s == "degree") return VertexOrder::degree;
  throw InputError("graph.order: unknown order '" + s + "' (use input or degree)");
}

std::vector<Vertex> degree_order(std::span<const std::int64_t> deg) {
  std::vector<Vertex> by(deg.size());
  std::iota(by.begin(), by.end(), Vertex{0});
  std::stable_sort(by.begin(), by.end(), [&](Vertex a, Vertex b) {
    return deg[static_cast<std::size_t>(a)] > deg[static_cast<std::size_t>(b)];
  });
  std::vector<Vertex> new_id(deg.size());
  for (std::size_t i = 0; i < by.size(); ++i) new_id[static_cast<std::size_t>(by[i])] = static_cast<Vertex>(i);
  return new_id;
}

Graph preprocess(const EdgeList& el, bool keep_lcc, bool relabel, std::uint64_t seed, PreprocessStats* stats,
                 VertexOrder order) {
  PreprocessStats st;
  st.input_vertices = el.n;
  st.input_edges = static_cast<std::int64_t>(el.edges.size());
  Graph g = simple_csr(el, &st);
  const Vertex n = g.vertices();

  // new_id[v] = new label, or -1 when v is dropped.
  std::vector<Vertex> new_id(static_cast<std::size_t>(n));
  std::iota(new_id.begin(), new_id.end(), Vertex{0});
  Vertex kept = n;
  if (keep_lcc) {
    const auto label = components(g);
    std::vector<std::int64_t> size(static_cast<std::size_t>(n), 0);
    for (Vertex l : label) ++size[static_cast<std::size_t>(l)];
    const Vertex best = static_cast<Vertex>(std::max_element(size.begin(), size.end()) - size.begin());
    kept = 0;
    for (Vertex v = 0; v < n; ++v) new_id[static_cast<std::size_t>(v)] = label[static_cast<std::size_t>(v)] == best ? kept++ : -1;
  }
  if (relabel) {
    std::vector<Vertex> perm(static_cast<std::size_t>(kept));
    std::iota(perm.begin(), perm.end(), Vertex{0});
    rng::Stream s(seed, rng::purpose_graph, 0, relabel_stream);
    for (Vertex i = kept - 1; i > 0; --i)
      std::swap(perm[static_cast<std::size_t>(i)], perm[s.below(static_cast<std::uint64_t>(i + 1))]);
    for (auto& id : new_id)
      if (id >= 0) id = perm[static_cast<std::size_t>(id)];
  }
  if (order == VertexOrder::degree) {
    std::vector<std::int64_t> deg(static_cast<std::size_t>(kept));
    for (Vertex v = 0; v < n; ++v) {
      const Vertex id = new_id[static_cast<std::size_t>(v)];
      if (id >= 0) deg[static_cast<std::size_t>(id)] = g.degree(v);
    }
    const auto by_degree = degree_order(deg);
    for (auto& id : new_id)
      if (id >= 0) id = by_degree[static_cast<std::size_t>(id)];
  }
  const bool identity = kept == n && !relabel && order == VertexOrder::input;
  if (!identity) {
    std::vector<Vertex> old_of(static_cast<std::size_t>(kept));
    for (Vertex v = 0; v < n; ++v)
      if (new_id[static_cast<std::size_t>(v)] >= 0) old_of[static_cast<std::size_t>(new_id[static_cast<std::size_t>(v)])] = v;
    std::vector<std::int64_t> off(static_cast<std::size_t>(kept) + 1, 0);
    for (Vertex i = 0; i < kept; ++i) off[static_cast<std::size_t>(i) + 1] = off[static_cast<std::size_t>(i)] + g.degree(old_of[static_cast<std::size_t>(i)]);
    std::vector<Vertex> adj(static_cast<std::size_t>(off.back()));
#pragma omp parallel for schedule(dynamic, 1024)
    for (Vertex i = 0; i < kept; ++i) {
      auto out = adj.begin() + off[static_cast<std::size_t>(i)];
      for (Vertex w : g.neighbours(old_of[static_cast<std::size_t>(i)])) *out++ = new_id[static_cast<std::size_t>(w)];
      std::sort(adj.begin() + off[static_cast<std::size_t>(i)], out);
    }
    g = Graph(std::move(off), std::move(adj));
  }
  st.lcc_vertices = g.vertices();
  st.lcc_edges = g.edges();
  if (stats) *stats = st;
  return g;
}

}  // namespace sampo::walks
