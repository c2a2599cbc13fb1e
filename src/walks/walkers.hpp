#pragma once
// Random-walk tokens: base chains (SRW, MHRW to uniform, non-backtracking), the self-repellent random walk (SRRW)
// and its O(1)-per-step relative HDT, with optional SA-SRRW parameter updates carried by each token.
//
// SRRW (Doshi, Hu, Eun 2023): K_ij[x] = P_ij (x_j/μ_j)^(−α) / Σ_{k∈N̄(i)} P_ik (x_k/μ_k)^(−α), j ∈ N̄(i) (the self-loop
// P_ii is part of the normaliser). Weights are formed in the log domain, exp(log P_ij − α log(x_j/μ_j) − rowmax),
// so α ≥ 5 never underflows. x is kept as x = w·G: w are visit weights (counts mode: 1 per vertex to start, +1 per
// visit) and G a scale; the kernel is scale invariant, so only log(w_j/μ_j) is cached per vertex and token.
// HDT: propose j ~ P(i,·), accept with min(1, ((x_j/μ_j)/(x_i/μ_i))^(−α)): MH towards π_i[x] ∝ μ_i (x_i/μ_i)^(−α).
//
// Tokens: token k draws from Stream(seed, purpose_walk, k) only, and its start from Stream(seed, purpose_init, k):
// paths are bitwise identical whatever the rank or thread that advances them.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/io/hdf5.hpp"
#include "core/memory/huge_pages.hpp"
#include "core/rng/stream.hpp"
#include "walks/graph.hpp"
#include "walks/power.hpp"

namespace sampo::walks {

enum class Chain { srw, mhrw, nbrw };
enum class Method { base, srrw, hdt };
Chain chain_from(const std::string& s);
Method method_from(const std::string& s);
std::string to_string(Chain c);
std::string to_string(Method m);

// The Metropolis–Hastings rejection mass of v before laziness, 1 − Σ_j min(1/d_v, 1/d_j), accumulated as
// Σ_j (1/d_v − 1/d_j) over the neighbours of larger degree to stay exact for regular neighbourhoods. G: Graph, or
// DistributedGraph for an owned v (the same expression on both, so both chains hold the same bits).
template <class G>
double mh_rejection_mass(const G& g, Vertex v) noexcept {
  double rej = 0.0;
  const double di = static_cast<double>(g.degree(v));
  for (Vertex j : g.neighbours(v)) {
    const double dj = static_cast<double>(g.degree(j));
    if (dj > di) rej += 1.0 / di - 1.0 / dj;
  }
  return rej;
}

// The base kernel P (with optional laziness ε: P ← (1−ε)P + εI) and its stationary law μ (unnormalised:
// SRW and NBRW μ_i = d_i, MHRW μ_i = 1). SRW and MHRW are reversible w.r.t. μ; NBRW is a second-order chain whose
// vertex marginal is μ_i ∝ d_i.
class BaseChain {
 public:
  BaseChain(const Graph& g, Chain chain, double laziness);
  [[nodiscard]] const Graph& graph() const noexcept { return *g_; }
  [[nodiscard]] Chain chain() const noexcept { return chain_; }
  [[nodiscard]] double laziness() const noexcept { return eps_; }
  [[nodiscard]] bool reversible() const noexcept { return chain_ != Chain::nbrw; }
  // P_ij for a neighbour j of i, and P_ii.
  [[nodiscard]] double p(Vertex i, Vertex j) const noexcept;
  // P_ii: ε for SRW and NBRW (no array read: one cache line fewer per SRRW step), the MH rejection mass for MHRW.
  [[nodiscard]] double p_self(Vertex i) const noexcept {
    return chain_ == Chain::mhrw ? p_self_[static_cast<std::size_t>(i)] : eps_;
  }
  [[nodiscard]] double log_p(Vertex i, Vertex j) const noexcept {
    return chain_ == Chain::mhrw ? log1m_eps_ - std::max(log_d_[static_cast<std::size_t>(i)], log_d_[static_cast<std::size_t>(j)])
                                 : log1m_eps_ - log_d_[static_cast<std::size_t>(i)];
  }
  [[nodiscard]] double log_p_self(Vertex i) const noexcept {
    return chain_ == Chain::mhrw ? log_p_self_[static_cast<std::size_t>(i)] : log_eps_;
  }
  [[nodiscard]] std::span<const double> mu() const noexcept { return mu_; }          // unnormalised
  [[nodiscard]] std::span<const double> mu_norm() const noexcept { return mu_norm_; }  // sums to 1
  [[nodiscard]] std::span<const double> log_mu() const noexcept { return log_mu_; }
  // μ_i from the degree (the value of mu()[i], without reading the μ array).
  [[nodiscard]] double mu_at(Vertex i) const noexcept {
    return chain_ == Chain::mhrw ? 1.0 : static_cast<double>(g_->degree(i));
  }
  [[nodiscard]] std::span<const double> log_degree() const noexcept { return log_d_; }

 private:
  const Graph* g_;
  Chain chain_;
  double eps_, log1m_eps_, log_eps_;  // log ε (−∞ for ε = 0): log_p_self of SRW and NBRW
  std::vector<double> log_d_, p_self_, log_p_self_, mu_, mu_norm_, log_mu_;
};

struct WalkParams {
  Chain chain = Chain::srw;
  Method method = Method::srrw;
  double alpha = 1.0;
  std::int64_t alpha_ramp = 0;  // α_n = α·min(1, (n+1)/alpha_ramp); 0: constant α
  double laziness = 0.0;
  double gamma_exponent = 1.0;  // 1: counts mode (x_n ∝ 1 + visits); a < 1: γ_n = (n+1)^(−a)
  double beta_exponent = 0.7;   // SA-SRRW: β_n = beta_scale (n+1)^(−b)
  double beta_scale = 1.0;
  std::int64_t tokens = 1;
  std::uint64_t seed = 1;
  // SRRW at vertices of degree >= rejection_degree: rejection sampling from P(i,·) with per-(token, vertex)
  // envelopes (kernels.hpp); 0: the exact O(d_i) scan everywhere. The same law; other paths than the scan.
  std::int64_t rejection_degree = 0;
  // Step-size mode: w is folded back into x (w ← w·G, G ← 1) when the scale G falls below this (tests raise it to
  // renormalise often).
  double renormalise_below = 1e-200;
  // Replicated engine: groups of tokens are stepped in batched phases (Walkers::advance_batched) when a group's token
  // arrays and the graph take at least this many bytes (0: always; tests compare both loops). Not a deck key: the
  // paths do not depend on it.
  std::size_t batch_min_bytes = std::size_t{4} << 20;
};

// Vertices that use the rejection sampler (degree >= p.rejection_degree, SRRW only), numbered in vertex order:
// slot[v] (−1 for others) and their count. Empty when rejection is off.
std::vector<std::int32_t> rejection_slots(const Graph& g, const WalkParams& p, std::int64_t* count);

// What a token does at each visit besides walking (SA-SRRW): θ ← θ + β H(θ, X).
class TokenTask {
 public:
  virtual ~TokenTask() = default;
  [[nodiscard]] virtual int dim() const = 0;
  [[nodiscard]] virtual std::vector<double> initial() const = 0;
  // H(θ, i) = −∇f_i(θ) into out (size dim); must not throw (it runs inside OpenMP regions).
  virtual void drift(Vertex i, const double* theta, double* out) const noexcept = 0;
};

// The per-token arrays (N doubles each) on transparent huge pages from 2 MiB (core/memory/huge_pages.hpp): the walk
// reads and writes them at random, and with 4 KiB pages nearly every access would also be a TLB miss. A performance
// hint only: results never depend on it.
using TokenArray = std::vector<double, memory::HugePageAllocator<double>>;

struct Token {
  std::uint64_t id = 0;
  Vertex vertex = 0;
  Vertex previous = -1;       // NBRW memory
  rng::Stream stream{0, 0, 0};
  TokenArray w;               // visit weights: x = w · scale
  double scale = 1.0;
  TokenArray logr;            // log(w_j / μ_j) (SRRW/HDT in the log domain; empty while `cached`)
  // SRRW with constant α: r_j = (w_j/μ_j)^(−α) (kernel::Power) cached while every r_j stays inside
  // [1e-280, 1e280] (the kernel then needs no exp per neighbour); a token leaves this mode for the log-domain kernel
  // for good as soon as one value would leave the range, so it never underflows. `cached` is part of the restart
  // state.
  bool cached = false;
  TokenArray r;
  std::vector<double> theta;  // SA-SRRW parameter (empty without a task)
  // Rejection envelopes lm per high-degree vertex (rejection_slots; NaN: scan next time). Restart state.
  std::vector<double> env;

  [[nodiscard]] double x(Vertex i) const noexcept { return w[static_cast<std::size_t>(i)] * scale; }
};

// Collective: the scalar restart state of the tokens this rank holds (datasets vertex, previous, cached, rng_block,
// rng_used, scale; distributed, in token order). Both engines' checkpoints write it; the weights, θ and envelopes
// they write themselves (their layouts differ).
void write_token_state(const io::Group& g, std::span<const Token> toks, const io::DatasetOptions& o);

// Log-domain SRRW draw from vertex i for the cached log(w/μ) vector (exposed for the kernel tests).
// `scratch` needs max_degree + 1 entries.
Vertex srrw_draw(const BaseChain& c, Vertex i, const double* logr, double alpha, rng::Stream& s,
                 double* scratch) noexcept;

// The same law from the cached r = (w/μ)^(−α) (valid while every r_j is a normal double).
Vertex srrw_draw_cached(const BaseChain& c, Vertex i, const double* r, rng::Stream& s, double* scratch) noexcept;

// The tokens [first, first+count) of WalkParams::tokens, advanced in lock step.
class Walkers {
 public:
  Walkers(const BaseChain& chain, WalkParams p, std::uint64_t first, std::uint64_t count,
          const TokenTask* task = nullptr);

  // Advances every local token by `steps` steps (OpenMP over tokens; no communication).
  void advance(std::int64_t steps);
  [[nodiscard]] std::int64_t step() const noexcept { return step_; }
  [[nodiscard]] const std::vector<Token>& tokens() const noexcept { return tokens_; }
  [[nodiscard]] std::vector<Token>& tokens() noexcept { return tokens_; }
  [[nodiscard]] std::uint64_t first() const noexcept { return first_; }
  [[nodiscard]] const WalkParams& params() const noexcept { return p_; }
  [[nodiscard]] const BaseChain& chain() const noexcept { return *c_; }
  [[nodiscard]] double alpha_at(std::int64_t n) const noexcept;
  [[nodiscard]] bool counts_mode() const noexcept { return p_.gamma_exponent == 1.0; }
  [[nodiscard]] std::int64_t rejection_vertices() const noexcept { return hubs_; }

  // Restart: sets the step and rebuilds caches (r for tokens with `cached` set, logr for the others) from each w.
  void restore(std::int64_t step);

 private:
  static constexpr std::size_t group_max = 8;  // tokens stepped together (advance_group, advance_batched)
  static constexpr std::int64_t alone_max_degree = 256;  // SRRW steps tokens alone from this max degree (advance)
  static constexpr std::int64_t gather_max = 32;  // rows the batched loop reads ahead (larger: read in the step)
  // The visit (x update) of step n → n+1 onto v, deferred to the token's next step (both group loops); v < 0: none.
  struct Pending {
    Vertex v = -1;
    std::int64_t n = 0;
  };
  void advance_group(Token* group, std::size_t size, std::int64_t n0, std::int64_t steps, double* scratch) const noexcept;
  void advance_batched(Token* group, std::size_t size, std::int64_t n0, std::int64_t steps,
                       double* scratch) const noexcept;
  // Step n → n + 1. gathered: the values (r or log ratio) of the token's neighbours in row order, read by the
  // batched loop; nullptr: the step reads them itself.
  void step_token(Token& t, std::int64_t n, double* scratch, Pending& pending,
                  const double* gathered = nullptr) const noexcept;
  void prefetch_row(const Token& t) const noexcept;
  void prefetch_values(const Token& t) const noexcept;
  void visit(Token& t, Vertex v, std::int64_t n) const noexcept;  // x update after step n → n+1
  void visit_step_size(Token& t, Vertex v, std::int64_t n) const noexcept;  // its γ_n < 1 part (not inlined)
  void set_ratio(Token& t, Vertex v) const noexcept;  // r[v] or log(w/μ)[v] after w[v] changed
  void rebuild(Token& t) const noexcept;                           // r (cached) or logr from w
  [[nodiscard]] bool cache_allowed() const noexcept {
    return p_.method == Method::srrw && p_.alpha_ramp == 0;
  }

  const BaseChain* c_;
  WalkParams p_;
  kernel::Power power_;  // of p_.alpha (cached mode)
  std::uint64_t first_;
  const TokenTask* task_;
  std::vector<Token> tokens_;
  std::int64_t step_ = 0;
  std::vector<std::int32_t> slot_;  // rejection_slots
  std::int64_t hubs_ = 0;
  // Defer visits to the token's next step (both group loops): always with SRRW/HDT; base walks only on graphs whose
  // token array leaves the cache (≥ 4 MiB), as in cache the bookkeeping costs a simple walk more than it saves.
  bool defer_ = true;
  bool batch_ = false;  // advance_batched (see there), for graphs and tokens that leave the cache (batch_min_bytes)
};

}  // namespace sampo::walks
