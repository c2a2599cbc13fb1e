#include "walks/walkers.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/error/error.hpp"
#include "walks/kernels.hpp"

namespace sampo::walks {

Chain chain_from(const std::string& s) {
  if (s == "srw") return Chain::srw;
  if (s == "mhrw") return Chain::mhrw;
  if (s == "nbrw") return Chain::nbrw;
  throw ConfigError("unknown chain '" + s + "' (allowed: srw, mhrw, nbrw)");
}
Method method_from(const std::string& s) {
  if (s == "base") return Method::base;
  if (s == "srrw") return Method::srrw;
  if (s == "hdt") return Method::hdt;
  throw ConfigError("unknown method '" + s + "' (allowed: base, srrw, hdt)");
}
std::string to_string(Chain c) { return c == Chain::srw ? "srw" : c == Chain::mhrw ? "mhrw" : "nbrw"; }
std::string to_string(Method m) { return m == Method::base ? "base" : m == Method::srrw ? "srrw" : "hdt"; }

BaseChain::BaseChain(const Graph& g, Chain chain, double laziness)
    : g_(&g), chain_(chain), eps_(laziness), log1m_eps_(std::log1p(-laziness)),
      log_eps_(laziness > 0.0 ? std::log(laziness) : kernel::neg_inf) {
  SAMPO_VERIFY(laziness >= 0.0 && laziness < 1.0, "laziness must be in [0, 1)");
  const auto n = static_cast<std::size_t>(g.vertices());
  log_d_.resize(n);
  p_self_.resize(n);
  log_p_self_.resize(n);
  mu_.resize(n);
  log_mu_.resize(n);
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto d = g.degree(static_cast<Vertex>(i));
    SAMPO_VERIFY(d > 0, "random walks need a graph without isolated vertices (keep the largest component)");
    log_d_[i] = std::log(static_cast<double>(d));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<Vertex>(i);
    double ps = laziness;
    if (chain == Chain::mhrw && !g.has_rows()) {
      ps = std::numeric_limits<double>::quiet_NaN();  // needs the rows: only estimators use a degrees-only chain
    } else if (chain == Chain::mhrw) {
      ps += (1.0 - laziness) * mh_rejection_mass(g, v);
    }
    p_self_[i] = ps;
    log_p_self_[i] = ps > 0.0 ? std::log(ps) : kernel::neg_inf;
    mu_[i] = chain == Chain::mhrw ? 1.0 : static_cast<double>(g.degree(v));
    log_mu_[i] = std::log(mu_[i]);
    total += mu_[i];
  }
  mu_norm_.resize(n);
  for (std::size_t i = 0; i < n; ++i) mu_norm_[i] = mu_[i] / total;
}

double BaseChain::p(Vertex i, Vertex j) const noexcept {
  const double di = static_cast<double>(g_->degree(i));
  if (chain_ == Chain::mhrw) return (1.0 - eps_) * std::min(1.0 / di, 1.0 / static_cast<double>(g_->degree(j)));
  return (1.0 - eps_) / di;
}

Vertex srrw_draw(const BaseChain& c, Vertex i, const double* logr, double alpha, rng::Stream& s,
                 double* a) noexcept {
  return kernel::srrw_log(c, i, [logr](Vertex j) { return logr[j]; }, alpha, s, a);
}

Vertex srrw_draw_cached(const BaseChain& c, Vertex i, const double* r, rng::Stream& s, double* a) noexcept {
  return kernel::srrw_pow(c, i, [r](Vertex j) { return r[j]; }, s, a);
}

using kernel::r_max;
using kernel::r_min;

std::vector<std::int32_t> rejection_slots(const Graph& g, const WalkParams& p, std::int64_t* count) {
  std::vector<std::int32_t> slot;
  std::int64_t h = 0;
  if (p.method == Method::srrw && p.rejection_degree > 0) {
    slot.assign(static_cast<std::size_t>(g.vertices()), -1);
    for (Vertex v = 0; v < g.vertices(); ++v)
      if (g.degree(v) >= p.rejection_degree) slot[static_cast<std::size_t>(v)] = static_cast<std::int32_t>(h++);
    if (h == 0) slot.clear();
  }
  if (count) *count = h;
  return slot;
}

Walkers::Walkers(const BaseChain& chain, WalkParams p, std::uint64_t first, std::uint64_t count, const TokenTask* task)
    : c_(&chain), p_(p), power_(p.alpha), first_(first), task_(task) {
  slot_ = rejection_slots(chain.graph(), p, &hubs_);
  SAMPO_VERIFY(p.method == Method::base || chain.reversible(),
               "SRRW and HDT need a reversible base chain (srw or mhrw)");
  const auto& g = chain.graph();
  const auto n = static_cast<std::size_t>(g.vertices());
  defer_ = p.method != Method::base || n * sizeof(double) >= (std::size_t{4} << 20);
  // Batched steps where a group's token arrays and the graph leave the cache: in cache the phases' bookkeeping cost
  // SRRW ~16 % (WS N = 4096 and 16384, session 18); from N = 65536 (≈ 14 MB) they gained 23-63 %.
  const std::size_t arrays = p.method == Method::base ? 1 : 2;
  const std::size_t group_bytes = group_max * arrays * n * sizeof(double) +
                                  g.offsets().size() * sizeof(std::int64_t) + g.adjacency().size() * sizeof(Vertex);
  batch_ = group_bytes >= p.batch_min_bytes;
  tokens_.resize(count);
  for (std::uint64_t k = 0; k < count; ++k) {
    Token& t = tokens_[k];
    t.id = first + k;
    t.stream = rng::Stream(p.seed, rng::purpose_walk, t.id);
    rng::Stream init(p.seed, rng::purpose_init, t.id);
    t.vertex = static_cast<Vertex>(init.below(n));
    t.previous = -1;
    t.w.assign(n, 1.0);
    t.cached = cache_allowed();
    t.scale = 1.0 / static_cast<double>(n);
    if (task) t.theta = task->initial();
    t.env.assign(static_cast<std::size_t>(hubs_), std::numeric_limits<double>::quiet_NaN());
  }
  restore(0);
}

void Walkers::rebuild(Token& t) const noexcept {
  // A token keeps either the powers r (cached mode: the kernels read nothing else, and log(w/μ) is formed on the fly
  // in visit) or log(w/μ) (log domain), never both: one array fewer to touch per step. Both are functions of w.
  const auto lmu = c_->log_mu();
  t.cached = t.cached && cache_allowed();
  if (t.cached) {
    const auto& power = power_;
    t.r.resize(t.w.size());
    for (std::size_t j = 0; j < t.w.size() && t.cached; ++j) {
      t.r[j] = power(t.w[j], [&] { return c_->mu_at(static_cast<Vertex>(j)); }, [&] { return lmu[j]; });
      if (!(t.r[j] >= r_min && t.r[j] <= r_max)) t.cached = false;
    }
  }
  if (t.cached) {
    TokenArray().swap(t.logr);
    return;
  }
  TokenArray().swap(t.r);
  t.logr.resize(t.w.size());
  for (std::size_t j = 0; j < t.w.size(); ++j) t.logr[j] = std::log(t.w[j]) - lmu[j];
}

void Walkers::restore(std::int64_t step) {
  step_ = step;
  if (p_.method == Method::base) return;
  for (auto& t : tokens_) rebuild(t);
}

double Walkers::alpha_at(std::int64_t n) const noexcept {
  if (p_.alpha_ramp <= 0) return p_.alpha;
  return p_.alpha * std::min(1.0, static_cast<double>(n + 1) / static_cast<double>(p_.alpha_ramp));
}

// Counts mode (γ_n = 1/(n+1)), the usual case, is inlined into the step; the step-size update is not.
[[gnu::always_inline]] inline void Walkers::visit(Token& t, Vertex v, std::int64_t n) const noexcept {
  if (!counts_mode()) {
    visit_step_size(t, v, n);
    return;
  }
  t.w[static_cast<std::size_t>(v)] += 1.0;  // the scale 1 / Σw depends on n only: advance sets it once at the end
  if (p_.method != Method::base) set_ratio(t, v);
}

[[gnu::always_inline]] inline void Walkers::set_ratio(Token& t, Vertex v) const noexcept {
  const auto vi = static_cast<std::size_t>(v);
  if (!t.cached) {
    t.logr[vi] = std::log(t.w[vi]) - c_->log_mu()[vi];
    return;
  }
  const double rv = power_(t.w[vi], [&] { return c_->mu_at(v); }, [&] { return c_->log_mu()[vi]; });
  if (rv >= r_min && rv <= r_max) {
    t.r[vi] = rv;
  } else {
    t.cached = false;  // from now on the log-domain kernel: log(w/μ) rebuilt from w (the same bits)
    rebuild(t);
  }
}

void Walkers::visit_step_size(Token& t, Vertex v, std::int64_t n) const noexcept {
  const auto vi = static_cast<std::size_t>(v);
  const double gamma = std::pow(static_cast<double>(n + 2), -p_.gamma_exponent);
  t.scale *= 1.0 - gamma;
  t.w[vi] += gamma / t.scale;
  if (t.scale < p_.renormalise_below) {  // keeps w finite for γ_n = (n+1)^(−a)
    for (auto& wj : t.w) wj *= t.scale;
    t.scale = 1.0;
    // Every ratio x_j/μ_j just shrank: the rejection envelopes are no longer upper bounds.
    std::fill(t.env.begin(), t.env.end(), std::numeric_limits<double>::quiet_NaN());
    // And the token leaves the cached-power mode for good: a rule local to the visited vertex, so the vertex
    // engine (whose counts live on many ranks) renormalises lazily with the same bits.
    t.cached = false;
    if (p_.method != Method::base) rebuild(t);
    return;
  }
  if (p_.method != Method::base) set_ratio(t, v);
}

void Walkers::prefetch_row(const Token& t) const noexcept {
  const auto& g = c_->graph();
  const auto v = static_cast<std::size_t>(t.vertex);
  const auto b = g.offsets()[v], e = g.offsets()[v + 1];
  const Vertex* a = g.adjacency().data();
  for (auto q = b; q < e; q += 8) __builtin_prefetch(a + q);  // 8 ids per 64-byte line
}

void Walkers::prefetch_values(const Token& t) const noexcept {
  if (p_.method == Method::base) return;
  const double* x = t.cached ? t.r.data() : t.logr.data();
  for (Vertex j : c_->graph().neighbours(t.vertex)) __builtin_prefetch(x + j);
}

void Walkers::advance_group(Token* group, std::size_t size, std::int64_t n0, std::int64_t steps,
                            double* scratch) const noexcept {
  // Step interleaving across tokens (ThunderRW-style): a token's next step needs its row (offsets, then adjacency)
  // and the powers of its neighbours, three dependent cache misses on a large graph. Tokens of the group take one
  // step each in turn; before token g steps, the row of token g + dr and the neighbour values of token g + dv are
  // prefetched (their addresses are then in cache), and after it steps, the offsets of its new vertex. Each token's
  // arithmetic and random stream are untouched: paths are bitwise those of stepping each token alone.
  // The visit of a step (w[next] and its power or log ratio: two cache lines, cold when the walk moves on to
  // unvisited vertices) is deferred to the start of the token's next step, its lines prefetched for write now: no
  // other token touches them, and this token reads nothing of the step's visit before that (the next draw starts
  // with it), so each token's operations keep their order and paths their bits.
  // Prefetch distances (in token turns): values half a cycle ahead, rows two turns before the values (a group of 8:
  // offsets 2 turns, row 2 turns, values 4 turns before the step). This VM's DRAM latency is ~250 ns, about one
  // SRRW step; the distances 2 and 1 used before left the scan waiting (SRRW +6-7 % measured, SRW unchanged).
  // Base walks have no value stage: their rows keep the distance 2 (in cache a longer one cost SRW ~30 %).
  const bool values = p_.method != Method::base;
  const std::size_t dv = values ? size / 2 : 0, dr = size <= 2 ? 0 : values ? std::min(size - 1, dv + 2) : 2;
  const auto ahead = [size](std::size_t g, std::size_t d) { return g + d < size ? g + d : g + d - size; };
  const auto& off = c_->graph().offsets();
  std::array<Pending, group_max> pending{};
  for (std::int64_t n = n0; n < n0 + steps; ++n)
    for (std::size_t g = 0; g < size; ++g) {
      if (dr > 0) prefetch_row(group[ahead(g, dr)]);
      if (dv > 0) prefetch_values(group[ahead(g, dv)]);
      step_token(group[g], n, scratch, pending[g]);
      __builtin_prefetch(off.data() + group[g].vertex);
    }
  for (std::size_t g = 0; g < size; ++g)
    if (pending[g].v >= 0) visit(group[g], pending[g].v, pending[g].n);
}

namespace {
// A token's values (r or log ratio) for the kernels: by vertex from its array, and by row position k from the
// values the batched loop gathered (kernel::row_value prefers the second).
struct Gathered {
  const double* x;
  const double* row;
  double operator()(Vertex j) const noexcept { return x[j]; }
  double operator()(Vertex, std::size_t k) const noexcept { return row[k]; }
};
}  // namespace

void Walkers::step_token(Token& t, std::int64_t n, double* scratch, Pending& pending,
                         const double* gathered) const noexcept {
  const int dim = task_ ? task_->dim() : 0;
  double* drift = scratch + c_->graph().max_degree() + 1;
  if (pending.v >= 0) {  // the previous step's visit, before anything reads x
    visit(t, pending.v, pending.n);
    pending.v = -1;
  }
  {
    const double* lr = t.logr.data();
    const double* rr = t.r.data();
    const auto draw = [&](auto&& logr, auto&& r) {
      const std::int32_t hub = slot_.empty() ? -1 : slot_[static_cast<std::size_t>(t.vertex)];
      return hub >= 0 ? kernel::srrw_reject(*c_, t.vertex, logr, r, t.cached, alpha_at(n), t.stream, scratch,
                                            t.env[static_cast<std::size_t>(hub)])
                      : kernel::next_vertex(*c_, p_.method, t.vertex, t.previous, t.cached, logr, r, alpha_at(n),
                                            t.stream, scratch);
    };
    auto logr = [lr](Vertex j) { return lr[j]; };
    auto r = [rr](Vertex j) { return rr[j]; };
    const Vertex next = gathered == nullptr ? draw(logr, r)
                        : t.cached          ? draw(logr, Gathered{rr, gathered})
                                            : draw(Gathered{lr, gathered}, r);
    t.previous = next == t.vertex ? t.previous : t.vertex;
    t.vertex = next;
    if (defer_) {
      const auto vi = static_cast<std::size_t>(next);
      __builtin_prefetch(t.w.data() + vi, 1);
      if (!t.r.empty()) __builtin_prefetch(t.r.data() + vi, 1);
      if (!t.logr.empty()) __builtin_prefetch(t.logr.data() + vi, 1);
      pending = {next, n};
    } else {
      visit(t, next, n);
    }
    if (task_) {
      const double beta = p_.beta_scale * std::pow(static_cast<double>(n + 2), -p_.beta_exponent);
      task_->drift(next, t.theta.data(), drift);
      for (int q = 0; q < dim; ++q) t.theta[static_cast<std::size_t>(q)] += beta * drift[q];
    }
  }
}

void Walkers::advance_batched(Token* group, std::size_t size, std::int64_t n0, std::int64_t steps,
                              double* scratch) const noexcept {
  // Steps a group of tokens in phases, each phase over every token of the group: (1) the deferred visits and each
  // token's row bounds; (2) the rows' lines, read; (3) SRRW: the neighbours' values, gathered in row order; (4) the
  // steps themselves, whose loads then hit the cache. The loads of a phase are independent
  // across tokens and close together in the instruction stream, so the core keeps many misses in flight; in
  // advance_group each token's misses sit between steps' arithmetic, and the software prefetches it issues gained
  // ~10 % on this VM (session 18). A token's operations keep their order (its visit, then its draw from the same
  // values), so paths are bitwise those of advance_group. Rows above gather_max are left to the step (a hub's row
  // is read at one random entry, or scanned in a long loop with its own memory parallelism).
  const auto& off = c_->graph().offsets();
  const Vertex* adj = c_->graph().adjacency().data();
  const bool values = p_.method == Method::srrw;
  const bool mh_degrees = values && c_->chain() == Chain::mhrw;
  std::array<Pending, group_max> pending{};
  std::array<std::int64_t, group_max> first{}, degree{};
  std::array<double, group_max * gather_max> row{};
  for (std::int64_t n = n0; n < n0 + steps; ++n) {
    for (std::size_t g = 0; g < size; ++g) {
      Token& t = group[g];
      if (pending[g].v >= 0) {
        visit(t, pending[g].v, pending[g].n);
        pending[g].v = -1;
      }
      const auto v = static_cast<std::size_t>(t.vertex);
      first[g] = off[v];
      degree[g] = off[v + 1] - off[v];
    }
    {
      std::uint64_t sink = 0;
      for (std::size_t g = 0; g < size; ++g) {
        if (degree[g] > gather_max || degree[g] == 0) continue;
        for (std::int64_t k = 0; k < degree[g]; k += 8) sink ^= static_cast<std::uint64_t>(adj[first[g] + k]);
        sink ^= static_cast<std::uint64_t>(adj[first[g] + degree[g] - 1]);
      }
      asm volatile("" ::"r"(sink));  // the loads are the point
    }
    if (values) {
      std::uint64_t sink = 0;
      for (std::size_t g = 0; g < size; ++g) {
        if (degree[g] > gather_max) continue;
        const double* x = group[g].cached ? group[g].r.data() : group[g].logr.data();
        const Vertex* nb = adj + first[g];
        double* out = row.data() + g * gather_max;
        if (mh_degrees) {  // MH-SRRW's scan also reads each neighbour's degree: its offsets line
          for (std::int64_t k = 0; k < degree[g]; ++k) {
            out[k] = x[nb[k]];
            sink ^= static_cast<std::uint64_t>(off[static_cast<std::size_t>(nb[k])]);
          }
        } else {
          for (std::int64_t k = 0; k < degree[g]; ++k) out[k] = x[nb[k]];
        }
      }
      asm volatile("" ::"r"(sink));
    }
    for (std::size_t g = 0; g < size; ++g) {
      step_token(group[g], n, scratch, pending[g],
                 values && degree[g] <= gather_max ? row.data() + g * gather_max : nullptr);
      __builtin_prefetch(off.data() + group[g].vertex);  // for the next phase (1): +9 % measured
    }
  }
  for (std::size_t g = 0; g < size; ++g)
    if (pending[g].v >= 0) visit(group[g], pending[g].v, pending[g].n);
}

void Walkers::advance(std::int64_t steps) {
  if (steps <= 0) return;
  const int threads = omp_get_max_threads();
  const std::size_t per = static_cast<std::size_t>(c_->graph().max_degree()) + 2 +
                          static_cast<std::size_t>(task_ ? task_->dim() : 0);
  std::vector<double> scratch(per * static_cast<std::size_t>(threads));
  const auto count = static_cast<std::int64_t>(tokens_.size());
  const std::int64_t n0 = step_;
  // Groups of up to 8 consecutive tokens stepped together, at least one group per thread: in batched phases
  // (advance_batched) where the working set leaves the cache, else interleaved (advance_group); but SRRW on a graph
  // with hubs steps each token alone: its scans at hubs have their own memory parallelism, and taking turns evicts
  // each token's values around the hub core from L2. Measured (session 14, 8 tokens, 1 thread): alone, SRRW runs
  // 1.8-2.5x faster on Graph500 scale 18 (alpha 1 and 5), 1.2x (alpha 1) and 1.9x (alpha 5) at scale 20, MH-SRRW
  // 2x; on WS (max degree ~20) the groups stay.
  const bool alone = p_.method == Method::srrw && c_->graph().max_degree() >= alone_max_degree;
  const std::int64_t size = alone ? 1
                                  : std::clamp<std::int64_t>((count + threads - 1) / std::max(threads, 1), 1,
                                                             static_cast<std::int64_t>(group_max));
  const std::int64_t groups = (count + size - 1) / size;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t q = 0; q < groups; ++q) {
    const std::int64_t first = q * size, n = std::min(size, count - first);
    double* s = scratch.data() + per * static_cast<std::size_t>(omp_get_thread_num());
    if (batch_ && n > 1) {
      advance_batched(tokens_.data() + first, static_cast<std::size_t>(n), n0, steps, s);
    } else {
      advance_group(tokens_.data() + first, static_cast<std::size_t>(n), n0, steps, s);
    }
  }
  step_ += steps;
  if (counts_mode()) {  // 1 / Σw after the last visit (step n = step_ − 1): Σw = N + n + 1
    const auto sum = static_cast<double>(static_cast<std::int64_t>(c_->graph().vertices()) + step_);
    for (auto& t : tokens_) t.scale = 1.0 / sum;
  }
}

void write_token_state(const io::Group& g, std::span<const Token> toks, const io::DatasetOptions& o) {
  std::vector<std::int64_t> vertex, previous, cached;
  std::vector<std::uint64_t> block, used;
  std::vector<double> scale;
  for (const auto& t : toks) {
    vertex.push_back(t.vertex);
    previous.push_back(t.previous);
    cached.push_back(t.cached ? 1 : 0);
    block.push_back(t.stream.position().block);
    used.push_back(t.stream.position().used);
    scale.push_back(t.scale);
  }
  g.write_distributed<std::int64_t>("vertex", vertex, o);
  g.write_distributed<std::int64_t>("previous", previous, o);
  g.write_distributed<std::int64_t>("cached", cached, o);
  g.write_distributed<std::uint64_t>("rng_block", block, o);
  g.write_distributed<std::uint64_t>("rng_used", used, o);
  g.write_distributed<double>("scale", scale, o);
}

}  // namespace sampo::walks
