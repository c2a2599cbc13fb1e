#include "walks/partition.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

#include "core/error/error.hpp"
#include "walks/columns.hpp"
#include "walks/estimators.hpp"
#include "core/numeric/exact_sum.hpp"
#include "walks/kernels.hpp"

namespace sampo::walks {

namespace {
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;
}  // namespace

PartitionedWalkers::PartitionedWalkers(const mpi::Communicator& comm, const BaseChain& chain, WalkParams p,
                                       const TokenTask* task)
    : comm_(comm),
      own_graph_(std::make_unique<DistributedGraph>(DistributedGraph::from_global(chain.graph(), comm.size(),
                                                                                  comm.rank()))),
      g_(own_graph_.get()),
      p_(p),
      task_(task),
      dim_(task ? task->dim() : 0) {
  init();
}

PartitionedWalkers::PartitionedWalkers(const mpi::Communicator& comm, const DistributedGraph& graph, WalkParams p,
                                       const TokenTask* task)
    : comm_(comm), g_(&graph), p_(p), task_(task), dim_(task ? task->dim() : 0) {
  SAMPO_VERIFY(graph.partition().parts() == comm.size(), "distributed graph built for another rank count");
  init();
}

void PartitionedWalkers::init() {
  steps_mode_ = p_.gamma_exponent != 1.0;
  SAMPO_VERIFY(p_.method == Method::base || p_.chain != Chain::nbrw, "SRRW and HDT need a reversible base chain");
  c_ = std::make_unique<LocalChain>(*g_, p_.chain, p_.laziness);
  const auto& g = *g_;
  const auto N = static_cast<std::size_t>(g.vertices());
  part_ = g.partition();
  lo_ = g.lo();
  hi_ = g.hi();
  ghosts_ = g.ghosts();
  block_ = static_cast<std::size_t>(hi_ - lo_);
  SAMPO_VERIFY(block_ + ghosts_.size() < 0xffffffffu,
               "vertex engine: more than 2^32 owned and ghost vertices on a rank (use more ranks)");
  row_off_.assign(1, 0);
  row_slot_.clear();
  for (Vertex v = lo_; v < hi_; ++v) {  // only rows that use them (an empty range: the lookups)
    if (static_cast<std::size_t>(g.degree(v)) >= slot_rows_min)
      for (Vertex j : g.neighbours(v)) row_slot_.push_back(slot_of(j));
    row_off_.push_back(row_slot_.size());
  }
  // Cached powers need every r_j of the pseudo-count in range, over the whole graph (as Walkers::rebuild).
  auto r0 = [&](Vertex j) { return power(1.0, j); };  // Walkers::rebuild for w = 1
  std::int64_t in_range = 1;
  r0_owned_.resize(block_);
  for (std::size_t b = 0; b < block_; ++b) {
    r0_owned_[b] = r0(lo_ + static_cast<Vertex>(b));
    if (!(r0_owned_[b] >= kernel::r_min && r0_owned_[b] <= kernel::r_max)) in_range = 0;
  }
  r0_ghost_.resize(ghosts_.size());
  for (std::size_t q = 0; q < ghosts_.size(); ++q) r0_ghost_[q] = r0(ghosts_[q]);
  const bool cached = p_.method == Method::srrw && p_.alpha_ramp == 0 && comm_.allreduce(in_range, mpi::Op::min) == 1;
  ghost_ranks_.assign(block_, {});
  for (Vertex v = lo_; v < hi_; ++v) {
    auto& gr = ghost_ranks_[static_cast<std::size_t>(v - lo_)];
    for (Vertex u : g.neighbours(v)) {
      const int o = part_.owner(u);
      if (o != comm_.rank() && std::find(gr.begin(), gr.end(), o) == gr.end()) gr.push_back(o);
    }
    std::sort(gr.begin(), gr.end());
  }
  if (p_.method == Method::srrw && p_.rejection_degree > 0) {
    hub_slot_.assign(block_, -1);
    for (std::size_t b = 0; b < block_; ++b)
      if (g.degree(lo_ + static_cast<Vertex>(b)) >= p_.rejection_degree) hub_slot_[b] = static_cast<std::int32_t>(hubs_++);
  }
  hub0_ = comm_.exscan_sum(static_cast<std::int64_t>(hubs_));
  hubs_total_ = comm_.allreduce(static_cast<std::int64_t>(hubs_), mpi::Op::sum);
  const auto T = static_cast<std::size_t>(p_.tokens);
  reset_counts();
  sched_n_ = 0;
  sched_scale_ = 1.0 / static_cast<double>(N);
  pending_ghosts_.resize(static_cast<std::size_t>(comm_.size()));
  for (std::uint64_t k = 0; k < T; ++k) {
    rng::Stream init(p_.seed, rng::purpose_init, k);
    const auto v = static_cast<Vertex>(init.below(N));
    if (part_.owner(v) != comm_.rank()) continue;
    Local t{k, v, -1, 0, rng::Stream(p_.seed, rng::purpose_walk, k), cached, false, {}};
    if (task_) t.theta = task_->initial();
    t.scale = 1.0 / static_cast<double>(N);  // Walkers' start
    tokens_.push_back(std::move(t));
  }
}

void PartitionedWalkers::reset_counts() {
  const auto T = static_cast<std::size_t>(p_.tokens);
  env_.assign(T * hubs_, std::numeric_limits<double>::quiet_NaN());
  touched_.assign(T, {});
  gfac_.clear();
  pristine_.assign(1, 1.0);
  if (steps_mode_) {
    owned_ep_.assign(T * block_, 0);
    ghost_ep_.assign(T * ghosts_.size(), 0);
    env_ep_.assign(T * hubs_, 0);
  }
  owned_.resize(T * block_);
  ghost_.resize(T * ghosts_.size());
  for (std::size_t k = 0; k < T; ++k) {
    for (std::size_t b = 0; b < block_; ++b) owned_[k * block_ + b] = {1.0, r0_owned_[b]};
    for (std::size_t q = 0; q < ghosts_.size(); ++q) ghost_[k * ghosts_.size() + q] = {1.0, r0_ghost_[q]};
  }
}

void PartitionedWalkers::extend_schedule(std::int64_t until) {
  // The scale recursion of Walkers::visit, shared by every token: the steps and factors of renormalisation.
  for (; sched_n_ < until; ++sched_n_) {
    const double gamma = std::pow(static_cast<double>(sched_n_ + 2), -p_.gamma_exponent);  // Walkers::visit, n = sched_n_
    sched_scale_ *= 1.0 - gamma;
    if (sched_scale_ < p_.renormalise_below) {
      gfac_.push_back(sched_scale_);
      pristine_.push_back(pristine_.back() * sched_scale_);
      sched_scale_ = 1.0;
    }
  }
}

double PartitionedWalkers::power(double w, Vertex j) const noexcept {
  return power_(w, [&] { return c_->mu(j); }, [&] { return c_->log_mu(j); });
}

void PartitionedWalkers::visit(Local& t, std::vector<std::vector<std::uint64_t>>& ghost_out) {
  const Vertex v = t.vertex;
  Entry& e = owned(t.id, v);
  if (steps_mode_) {
    // Walkers::visit for a < 1 at step n = t.n − 1: x ← x(1 − γ) + γ δ_v kept as w·scale.
    const double gamma = std::pow(static_cast<double>(t.n + 1), -p_.gamma_exponent);
    fix_owned(t.id, v, t.epoch);
    if (e.w == pristine_[t.epoch]) touched_[t.id].push_back(static_cast<std::uint32_t>(v - lo_));
    t.scale *= 1.0 - gamma;
    e.w += gamma / t.scale;
    if (t.scale < p_.renormalise_below) {
      // Renormalisation (every token at this step, by the same G = gfac_[epoch]): this entry now; the others when
      // next read. Envelopes are no longer bounds, and the token leaves the cached-power mode (as Walkers).
      assert(t.epoch < gfac_.size() && gfac_[t.epoch] == t.scale);  // the shared schedule (no throw: OpenMP region)
      ++t.epoch;
      t.scale = 1.0;
      t.cached = false;
      fix_owned(t.id, v, t.epoch);
    } else if (p_.method != Method::base && t.cached) {
      const double rv = power(e.w, v);
      if (rv >= kernel::r_min && rv <= kernel::r_max) e.r = rv;
      else t.cached = false;
    }
    for (int g : ghost_ranks_[static_cast<std::size_t>(v - lo_)]) {
      auto& out = ghost_out[static_cast<std::size_t>(g)];
      out.insert(out.end(), {t.id, static_cast<std::uint64_t>(v), std::bit_cast<std::uint64_t>(e.w),
                             std::bit_cast<std::uint64_t>(e.r), static_cast<std::uint64_t>(t.epoch)});
    }
    return;
  }
  if (e.w == 1.0) touched_[t.id].push_back(static_cast<std::uint32_t>(v - lo_));  // first visit (counts mode)
  e.w += 1.0;
  if (p_.method != Method::base && t.cached) {
    const double rv = power(e.w, v);
    if (rv >= kernel::r_min && rv <= kernel::r_max) e.r = rv;
    else t.cached = false;  // the log-domain kernel from now on, as in Walkers::visit
  }
  for (int g : ghost_ranks_[static_cast<std::size_t>(v - lo_)]) {
    auto& out = ghost_out[static_cast<std::size_t>(g)];
    out.insert(out.end(), {t.id, static_cast<std::uint64_t>(v), std::bit_cast<std::uint64_t>(e.w),
                           std::bit_cast<std::uint64_t>(e.r)});
  }
}

void PartitionedWalkers::pack(const Local& t, std::vector<std::uint64_t>& out) const {
  const auto pos = t.stream.position();
  out.insert(out.end(), {t.id, static_cast<std::uint64_t>(t.vertex), static_cast<std::uint64_t>(t.previous),
                         static_cast<std::uint64_t>(t.n), pos.block, pos.used, t.cached ? 1u : 0u,
                         t.pending ? 1u : 0u, std::bit_cast<std::uint64_t>(t.scale), t.epoch});
  for (double x : t.theta) out.push_back(std::bit_cast<std::uint64_t>(x));
}

PartitionedWalkers::Local PartitionedWalkers::unpack(const std::uint64_t* in) const {
  Local t{in[0], static_cast<Vertex>(in[1]), static_cast<Vertex>(in[2]), static_cast<std::int64_t>(in[3]),
          rng::Stream(p_.seed, rng::purpose_walk, in[0]), in[6] != 0, in[7] != 0, {}};
  t.stream.set_position({in[4], in[5]});
  t.scale = std::bit_cast<double>(in[8]);
  t.epoch = static_cast<std::uint32_t>(in[9]);
  for (int q = 0; q < dim_; ++q) t.theta.push_back(std::bit_cast<double>(in[10 + q]));
  return t;
}

void PartitionedWalkers::advance(std::int64_t steps) {
  target_ += steps;
  if (steps_mode_) extend_schedule(target_);
  const int P = comm_.size();
  const int threads = omp_get_max_threads();
  const std::size_t per = static_cast<std::size_t>(g_->max_degree()) + 2 + static_cast<std::size_t>(dim_);
  std::vector<double> scratch(per * static_cast<std::size_t>(threads));
  const LocalChain& lc = *c_;
  for (;;) {
    // Local walking: each token until it leaves the block or reaches the target.
    std::vector<std::vector<std::vector<std::uint64_t>>> tok_out(
        static_cast<std::size_t>(threads), std::vector<std::vector<std::uint64_t>>(static_cast<std::size_t>(P)));
    std::vector<std::vector<std::vector<std::uint64_t>>> gh_out(
        static_cast<std::size_t>(threads), std::vector<std::vector<std::uint64_t>>(static_cast<std::size_t>(P)));
    std::vector<char> gone(tokens_.size(), 0);
    const auto count = static_cast<std::int64_t>(tokens_.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::int64_t k = 0; k < count; ++k) {
      const auto th = static_cast<std::size_t>(omp_get_thread_num());
      Local& t = tokens_[static_cast<std::size_t>(k)];
      double* a = scratch.data() + per * th;
      double* drift = a + g_->max_degree() + 1;
      while (t.n < target_) {
        const std::uint64_t id = t.id;
        const std::uint32_t ep = t.epoch;
        // Values of any vertex j, and of the q-th neighbour of the current row: by its precomputed slot in long rows
        // (nullptr rs: short rows, where the slot row would be one more cold line than the lookups it saves).
        const auto b = static_cast<std::size_t>(t.vertex - lo_);
        const std::uint32_t* rs = row_off_[b + 1] > row_off_[b] ? row_slot_.data() + row_off_[b] : nullptr;
        auto in_row = [&](Vertex j, std::size_t q) { return rs ? rs[q] : slot_of(j); };
        auto w_at = [&](std::uint32_t s) { return steps_mode_ ? current_w_at(id, s, ep) : entry_at(id, s).w; };
        auto logr = Overloaded{[&](Vertex j) { return std::log(w_at(slot_of(j))) - lc.log_mu(j); },
                               [&](Vertex j, std::size_t q) { return std::log(w_at(in_row(j, q))) - lc.log_mu(j); }};
        auto r = Overloaded{[&](Vertex j) { return entry_at(id, slot_of(j)).r; },
                            [&](Vertex j, std::size_t q) { return entry_at(id, in_row(j, q)).r; }};
        const double alpha = p_.alpha_ramp <= 0 ? p_.alpha
                                                : p_.alpha * std::min(1.0, static_cast<double>(t.n + 1) /
                                                                               static_cast<double>(p_.alpha_ramp));
        const std::int32_t hub = hub_slot_.empty() ? -1 : hub_slot_[static_cast<std::size_t>(t.vertex - lo_)];
        if (hub >= 0 && steps_mode_ && env_ep_[id * hubs_ + static_cast<std::size_t>(hub)] != ep) {
          env_[id * hubs_ + static_cast<std::size_t>(hub)] = std::numeric_limits<double>::quiet_NaN();  // renormalised
          env_ep_[id * hubs_ + static_cast<std::size_t>(hub)] = ep;
        }
        const Vertex next =
            hub >= 0 ? kernel::srrw_reject(lc, t.vertex, logr, r, t.cached, alpha, t.stream, a,
                                           env_[id * hubs_ + static_cast<std::size_t>(hub)])
                     : kernel::next_vertex(lc, p_.method, t.vertex, t.previous, t.cached, logr, r, alpha, t.stream, a);
        t.previous = next == t.vertex ? t.previous : t.vertex;
        t.vertex = next;
        const std::int64_t n = t.n++;
        const bool local = next >= lo_ && next < hi_;
        if (local) visit(t, gh_out[th]);
        if (task_) {
          const double beta = p_.beta_scale * std::pow(static_cast<double>(n + 2), -p_.beta_exponent);
          task_->drift(next, t.theta.data(), drift);
          for (int q = 0; q < dim_; ++q) t.theta[static_cast<std::size_t>(q)] += beta * drift[q];
        }
        if (!local) {
          t.pending = true;
          pack(t, tok_out[th][static_cast<std::size_t>(part_.owner(next))]);
          gone[static_cast<std::size_t>(k)] = 1;
          break;
        }
      }
    }
    // Outgoing buffers in thread order (a token's records stay in order), then the exchange.
    std::vector<std::vector<std::uint64_t>> tsend(static_cast<std::size_t>(P)), gsend = std::move(pending_ghosts_);
    gsend.resize(static_cast<std::size_t>(P));
    for (int th = 0; th < threads; ++th)
      for (int d = 0; d < P; ++d) {
        auto& ts = tok_out[static_cast<std::size_t>(th)][static_cast<std::size_t>(d)];
        auto& gs = gh_out[static_cast<std::size_t>(th)][static_cast<std::size_t>(d)];
        tsend[static_cast<std::size_t>(d)].insert(tsend[static_cast<std::size_t>(d)].end(), ts.begin(), ts.end());
        gsend[static_cast<std::size_t>(d)].insert(gsend[static_cast<std::size_t>(d)].end(), gs.begin(), gs.end());
      }
    pending_ghosts_.assign(static_cast<std::size_t>(P), {});
    std::size_t kept = 0;
    for (std::size_t k = 0; k < tokens_.size(); ++k)
      if (!gone[k]) {
        if (kept != k) tokens_[kept] = std::move(tokens_[k]);  // no self-move: it would empty θ
        ++kept;
      }
    tokens_.resize(kept);
    for (int d = 0; d < P; ++d) {
      stats_.migrations += tsend[static_cast<std::size_t>(d)].size() / record_words();
      stats_.ghost_updates += gsend[static_cast<std::size_t>(d)].size() / ghost_words();
      stats_.bytes_sent += 8 * (tsend[static_cast<std::size_t>(d)].size() + gsend[static_cast<std::size_t>(d)].size());
    }
    const auto gin = comm_.alltoallv(gsend);
    const auto tin = comm_.alltoallv(tsend);
    ++stats_.supersteps;
    // Ghost counts first (they describe visits made before any arriving token moves on), then the arrivals.
    for (std::size_t q = 0; q + ghost_words() <= gin.size(); q += ghost_words()) {
      ghost(gin[q], static_cast<Vertex>(gin[q + 1])) = {std::bit_cast<double>(gin[q + 2]), std::bit_cast<double>(gin[q + 3])};
      if (steps_mode_) ghost_ep_[gin[q] * ghosts_.size() + g_->ghost_slot(static_cast<Vertex>(gin[q + 1]))] =
          static_cast<std::uint32_t>(gin[q + 4]);
    }
    for (std::size_t q = 0; q < tin.size(); q += record_words()) {
      Local t = unpack(tin.data() + q);
      SAMPO_VERIFY(t.vertex >= lo_ && t.vertex < hi_, "token migrated to a rank that does not own its vertex");
      if (t.pending) {
        visit(t, pending_ghosts_);
        t.pending = false;
      }
      tokens_.push_back(std::move(t));
    }
    // Token order is the id order, whatever the arrival order (deterministic scheduling).
    std::sort(tokens_.begin(), tokens_.end(), [](const Local& x, const Local& y) { return x.id < y.id; });
    std::int64_t state[2] = {static_cast<std::int64_t>(tokens_.size()), 0};
    for (const auto& t : tokens_)
      if (t.n < target_) ++state[1];
    for (const auto& b : pending_ghosts_) state[1] += b.empty() ? 0 : 1;
    comm_.allreduce_inplace<std::int64_t>(state, mpi::Op::sum);
    if (state[0] != p_.tokens)
      throw InternalError("partitioned walk: " + std::to_string(state[0]) + " tokens after superstep " +
                          std::to_string(stats_.supersteps) + ", expected " + std::to_string(p_.tokens));
    if (state[1] == 0) break;
  }
}

int PartitionedWalkers::shard(std::uint64_t k) const noexcept {  // rank holding token k in the token-sharded layout
  const int P = comm_.size();
  const auto T = static_cast<std::uint64_t>(p_.tokens);
  int r = static_cast<int>(k * static_cast<std::uint64_t>(P) / T);
  while (r + 1 < P && T * static_cast<std::uint64_t>(r + 1) / static_cast<std::uint64_t>(P) <= k) ++r;
  while (r > 0 && T * static_cast<std::uint64_t>(r) / static_cast<std::uint64_t>(P) > k) --r;
  return r;
}

std::uint64_t PartitionedWalkers::shard_first() const noexcept {
  return static_cast<std::uint64_t>(p_.tokens) * static_cast<std::uint64_t>(comm_.rank()) /
         static_cast<std::uint64_t>(comm_.size());
}
std::uint64_t PartitionedWalkers::shard_count() const noexcept {
  return static_cast<std::uint64_t>(p_.tokens) * static_cast<std::uint64_t>(comm_.rank() + 1) /
             static_cast<std::uint64_t>(comm_.size()) -
         shard_first();
}

void PartitionedWalkers::assign(Token& t, const Local& l) const {
  t.vertex = l.vertex;
  t.previous = l.previous;
  t.stream = l.stream;
  t.cached = l.cached;
  t.theta = l.theta;
  // Counts mode: the scale Walkers::visit sets after step n = l.n − 1, 1 / Σw = 1 / (N + n + 1).
  t.scale = steps_mode_ ? l.scale : 1.0 / static_cast<double>(g_->vertices() + (l.n - 1) + 1);
}

void PartitionedWalkers::export_to(Walkers& w) const {
  const int P = comm_.size();
  const auto T = static_cast<std::uint64_t>(p_.tokens);
  // Token scalars, and the owned block of every token's counts (sparse: vertex, count), to the shard ranks.
  std::vector<std::vector<std::uint64_t>> tsend(static_cast<std::size_t>(P)), csend(static_cast<std::size_t>(P));
  for (const auto& t : tokens_) pack(t, tsend[static_cast<std::size_t>(shard(t.id))]);
  const auto E = static_cast<std::uint32_t>(gfac_.size());  // every token's epoch at the end of advance
  const double u = pristine_.back();
  for (std::uint64_t k = 0; k < T; ++k) {
    auto& out = csend[static_cast<std::size_t>(shard(k))];
    for (std::size_t b = 0; b < block_; ++b) {
      const double wc = steps_mode_ ? at_epoch(owned_[k * block_ + b].w, owned_ep_[k * block_ + b], E)
                                    : owned_[k * block_ + b].w;
      if (wc != u) out.insert(out.end(), {k, static_cast<std::uint64_t>(lo_) + b, std::bit_cast<std::uint64_t>(wc)});
    }
  }
  std::vector<std::vector<std::uint64_t>> esend(static_cast<std::size_t>(P));
  for (std::uint64_t k = 0; k < T; ++k)
    for (std::size_t h = 0; h < hubs_; ++h) {
      const double e = env_[k * hubs_ + h];
      if (e == e && !(steps_mode_ && env_ep_[k * hubs_ + h] != E))
        esend[static_cast<std::size_t>(shard(k))].insert(esend[static_cast<std::size_t>(shard(k))].end(),
                                                         {k, static_cast<std::uint64_t>(hub0_) + h,
                                                          std::bit_cast<std::uint64_t>(e)});
    }
  const auto tin = comm_.alltoallv(tsend);
  const auto cin = comm_.alltoallv(csend);
  const auto ein = comm_.alltoallv(esend);
  const std::uint64_t first = w.first();
  auto& toks = w.tokens();
  for (auto& t : toks) std::fill(t.w.begin(), t.w.end(), u);
  for (std::size_t q = 0; q < tin.size(); q += record_words()) {
    const Local l = unpack(tin.data() + q);
    assign(toks[l.id - first], l);
  }
  for (std::size_t q = 0; q < cin.size(); q += 3)
    toks[cin[q] - first].w[cin[q + 1]] = std::bit_cast<double>(cin[q + 2]);
  for (auto& t : toks) t.env.assign(static_cast<std::size_t>(hubs_total_), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t q = 0; q < ein.size(); q += 3)
    toks[ein[q] - first].env[ein[q + 1]] = std::bit_cast<double>(ein[q + 2]);
  w.restore(target_);
}

void PartitionedWalkers::import_from(const Walkers& w) {
  const int me = comm_.rank();
  const auto N = static_cast<std::size_t>(g_->vertices());
  target_ = w.step();
  // Every rank gets every token's state (restart only): scalars and dense counts, in token order.
  std::vector<std::uint64_t> mine, dense, envs;
  for (const auto& t : w.tokens()) {
    Local l{t.id, t.vertex, t.previous, target_, t.stream, t.cached, false, t.theta};
    l.scale = t.scale;
    pack(l, mine);
    for (double x : t.w) dense.push_back(std::bit_cast<std::uint64_t>(x));
    SAMPO_VERIFY(static_cast<std::int64_t>(t.env.size()) == hubs_total_, "import: envelope count differs");
    for (double x : t.env) envs.push_back(std::bit_cast<std::uint64_t>(x));
  }
  const auto all = comm_.allgatherv<std::uint64_t>(mine);
  const auto counts = comm_.allgatherv<std::uint64_t>(dense);
  const auto all_env = comm_.allgatherv<std::uint64_t>(envs);
  tokens_.clear();
  reset_counts();
  const auto [E, u] = restart_schedule(std::bit_cast<double>(all.at(8)));
  for (std::size_t k = 0; k < static_cast<std::size_t>(p_.tokens); ++k) {
    Local l = unpack(all.data() + k * record_words());
    l.epoch = E;
    const std::uint64_t* wk = counts.data() + k * N;
    auto entry = [&](Vertex j) {
      const double wj = std::bit_cast<double>(wk[j]);
      return Entry{wj, power(wj, j)};
    };
    for (Vertex v = lo_; v < hi_; ++v)
      if (std::bit_cast<double>(wk[v]) != u) {
        owned(k, v) = entry(v);
        if (steps_mode_) owned_ep_[k * block_ + static_cast<std::size_t>(v - lo_)] = E;
        touched_[k].push_back(static_cast<std::uint32_t>(v - lo_));
      }
    for (Vertex j : ghosts_)
      if (std::bit_cast<double>(wk[j]) != u) {
        ghost(k, j) = entry(j);
        if (steps_mode_) ghost_ep_[k * ghosts_.size() + g_->ghost_slot(j)] = E;
      }
    for (std::size_t h = 0; h < hubs_; ++h)
      env_[k * hubs_ + h] = std::bit_cast<double>(all_env[k * static_cast<std::size_t>(hubs_total_) + static_cast<std::size_t>(hub0_) + h]);
    if (part_.owner(l.vertex) == me) tokens_.push_back(std::move(l));
  }
  std::fill(env_ep_.begin(), env_ep_.end(), E);
  for (auto& b : pending_ghosts_) b.clear();
}

std::pair<std::uint32_t, double> PartitionedWalkers::restart_schedule(double scale) {
  if (!steps_mode_) return {0u, 1.0};
  // The scale schedule from step 0 (O(steps) once): its renormalisations up to the restart step give the unvisited
  // weight u_E; restored entries start at epoch E.
  sched_n_ = 0;
  sched_scale_ = 1.0 / static_cast<double>(g_->vertices());
  gfac_.clear();
  pristine_.assign(1, 1.0);
  extend_schedule(target_);
  if (sched_scale_ != scale)
    throw CheckpointError("restart: the step-size scale " + std::to_string(scale) + " of the saved tokens is not the "
                          "one of walk.gamma_exponent at step " + std::to_string(target_) + " (restart with the same deck)");
  return {static_cast<std::uint32_t>(gfac_.size()), pristine_.back()};
}

std::vector<Token> PartitionedWalkers::shard_tokens() const {
  const int P = comm_.size();
  std::vector<std::vector<std::uint64_t>> send(static_cast<std::size_t>(P));
  for (const auto& t : tokens_) pack(t, send[static_cast<std::size_t>(shard(t.id))]);
  const auto in = comm_.alltoallv(send);
  std::vector<Token> out(shard_count());
  const std::uint64_t first = shard_first();
  for (std::size_t q = 0; q < in.size(); q += record_words()) {
    const Local l = unpack(in.data() + q);
    Token& t = out[l.id - first];
    t.id = l.id;
    assign(t, l);
  }
  return out;
}

PartitionedWalkers::EstimatorBase PartitionedWalkers::estimator_base(
    std::span<const double> mu_block, const std::vector<std::span<const double>>& f_block) const {
  EstimatorBase b;
  b.mu_counts = distinct_counts(mu_block);
  for (const auto& f : f_block) {
    ExactSum s;
    for (double v : f) s.add(1.0 * v);
    b.f_sums.push_back(s);
  }
  ExactSum::allreduce(comm_, b.f_sums);
  return b;
}

std::vector<double> PartitionedWalkers::estimator_rows(std::span<const double> mu_block,
                                                       const std::vector<std::span<const double>>& f_block,
                                                       std::span<const double> theta_star,
                                                       const EstimatorBase* cached) const {
  const int P = comm_.size();
  const auto T = static_cast<std::size_t>(p_.tokens);
  const std::size_t nf = f_block.size(), width = nf + 2;
  const auto N = static_cast<std::int64_t>(g_->vertices());
  // x = w·s (Walkers::visit); u: an unvisited vertex's weight. Every token is at step target_ and epoch E.
  const double s = steps_mode_ ? sched_scale_ : 1.0 / static_cast<double>(N + (target_ - 1) + 1);
  const double u = pristine_.back();
  const auto E = static_cast<std::uint32_t>(gfac_.size());
  // Unvisited vertices: the same terms for every token, summed once over the block and over the ranks. In counts
  // mode (u = 1) the function terms are run-constant and the TVD terms depend on μ's value only: with `cached`,
  // Σ f_q comes from it and the TVD sum from μ's distinct values (the same exact sums, so the same bits).
  std::vector<ExactSum> base(1 + nf);
  if (cached && !steps_mode_ && u == 1.0 && cached->f_sums.size() == nf) {
    for (const auto& [m, count] : cached->mu_counts) base[0].add_times(tvd_term(u, s, m), count);
    ExactSum::allreduce(comm_, std::span<ExactSum>(base.data(), 1));
    std::copy(cached->f_sums.begin(), cached->f_sums.end(), base.begin() + 1);
  } else {
    for (std::size_t b = 0; b < block_; ++b) {
      base[0].add(tvd_term(u, s, mu_block[b]));
      for (std::size_t q = 0; q < nf; ++q) base[1 + q].add(u * f_block[q][b]);
    }
    ExactSum::allreduce(comm_, base);  // exact sums added over ranks, not rounded
  }
  // Visited owned vertices of every token: the exact difference to the unvisited term, to the token's shard.
  std::vector<std::vector<std::uint64_t>> rec(T);
  const auto Ti = static_cast<std::int64_t>(T);
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t ki = 0; ki < Ti; ++ki) {
    const auto k = static_cast<std::size_t>(ki);
    if (touched_[k].empty()) continue;
    std::vector<ExactSum> acc(1 + nf);
    for (std::uint32_t b : touched_[k]) {
      const double w = steps_mode_ ? at_epoch(owned_[k * block_ + b].w, owned_ep_[k * block_ + b], E)
                                   : owned_[k * block_ + b].w;
      acc[0].add(tvd_term(w, s, mu_block[b]));
      acc[0].sub(tvd_term(u, s, mu_block[b]));
      for (std::size_t q = 0; q < nf; ++q) {
        acc[1 + q].add(w * f_block[q][b]);
        acc[1 + q].sub(u * f_block[q][b]);
      }
    }
    rec[k].push_back(k);
    for (auto& a : acc) a.append_to(rec[k]);
  }
  std::vector<std::vector<std::uint64_t>> send(static_cast<std::size_t>(P)), msend(static_cast<std::size_t>(P));
  for (std::size_t k = 0; k < T; ++k) {
    auto& out = send[static_cast<std::size_t>(shard(k))];
    out.insert(out.end(), rec[k].begin(), rec[k].end());
  }
  for (const auto& t : tokens_) {  // ‖θ − θ*‖² where the token is (the expression of summarise)
    double e = 0.0;
    if (!theta_star.empty() && t.theta.size() == theta_star.size())
      for (std::size_t q = 0; q < theta_star.size(); ++q) {
        const double d = t.theta[q] - theta_star[q];
        e += d * d;
      }
    msend[static_cast<std::size_t>(shard(t.id))].insert(msend[static_cast<std::size_t>(shard(t.id))].end(),
                                                         {t.id, std::bit_cast<std::uint64_t>(e)});
  }
  const auto in = comm_.alltoallv(send);
  const auto min = comm_.alltoallv(msend);
  const std::uint64_t first = shard_first();
  const std::size_t count = shard_count();
  std::vector<ExactSum> sums(count * (1 + nf));
  for (std::size_t k = 0; k < count; ++k)
    for (std::size_t q = 0; q <= nf; ++q) sums[k * (1 + nf) + q] = base[q];
  for (std::size_t pos = 0; pos < in.size();) {
    const std::size_t k = in[pos++] - first;
    for (std::size_t q = 0; q <= nf; ++q) pos += sums[k * (1 + nf) + q].add_from(in.data() + pos);
  }
  std::vector<double> rows(count * width, 0.0);
  for (std::size_t k = 0; k < count; ++k) {
    rows[k * width] = 0.5 * sums[k * (1 + nf)].round();
    for (std::size_t q = 0; q < nf; ++q) rows[k * width + 1 + q] = sums[k * (1 + nf) + 1 + q].round() * s;
  }
  for (std::size_t q = 0; q + 1 < min.size(); q += 2) rows[(min[q] - first) * width + width - 1] = std::bit_cast<double>(min[q + 1]);
  return rows;
}

std::vector<double> PartitionedWalkers::mean_block() const {
  const auto N = static_cast<std::int64_t>(g_->vertices());
  const double s = steps_mode_ ? sched_scale_ : 1.0 / static_cast<double>(N + (target_ - 1) + 1);
  const auto E = static_cast<std::uint32_t>(gfac_.size());
  std::vector<double> x(block_, 0.0);
  for (std::size_t k = 0; k < static_cast<std::size_t>(p_.tokens); ++k)
    for (std::size_t b = 0; b < block_; ++b) {
      const std::size_t q = k * block_ + b;
      x[b] += (steps_mode_ ? at_epoch(owned_[q].w, owned_ep_[q], E) : owned_[q].w) * s;
    }
  const double T = static_cast<double>(p_.tokens);
  for (auto& v : x) v /= T;
  return x;
}

void PartitionedWalkers::write_checkpoint(const io::Group& g, const io::DatasetOptions& o) const {
  const auto toks = shard_tokens();
  write_token_state(g, toks, o);
  std::vector<double> theta;
  for (const auto& t : toks) theta.insert(theta.end(), t.theta.begin(), t.theta.end());
  const auto T = static_cast<std::uint64_t>(p_.tokens);
  std::vector<double> w(owned_.size());
  const auto E = static_cast<std::uint32_t>(gfac_.size());
  for (std::size_t q = 0; q < owned_.size(); ++q) w[q] = steps_mode_ ? at_epoch(owned_[q].w, owned_ep_[q], E) : owned_[q].w;
  std::vector<double> env = env_;
  for (std::size_t q = 0; q < env.size() && steps_mode_; ++q)
    if (env_ep_[q] != E) env[q] = std::numeric_limits<double>::quiet_NaN();
  write_columns<double>(g, comm_, "w", w, T, block_, o);
  if (dim_ > 0) g.write_rows<double>("theta", theta, static_cast<std::uint64_t>(dim_), o);
  if (hubs_total_ > 0) write_columns<double>(g, comm_, "envelope", env, T, hubs_, o);
}

void PartitionedWalkers::read_checkpoint(const io::Group& g, std::int64_t step) {
  const int me = comm_.rank();
  const auto T = static_cast<std::size_t>(p_.tokens);
  target_ = step;
  tokens_.clear();
  reset_counts();
  for (auto& b : pending_ghosts_) b.clear();
  // Token scalars: every rank reads the (T) arrays and keeps the tokens on its vertices.
  const auto vertex = g.read_all<std::int64_t>("vertex");
  const auto previous = g.read_all<std::int64_t>("previous");
  const auto cached = g.read_all<std::int64_t>("cached");
  const auto rb = g.read_all<std::uint64_t>("rng_block");
  const auto ru = g.read_all<std::uint64_t>("rng_used");
  const auto scale = g.read_all<double>("scale");
  std::vector<double> theta;
  if (dim_ > 0) theta = g.read_all<double>("theta");
  const auto [E, u] = restart_schedule(scale.at(0));
  for (std::size_t k = 0; k < T; ++k) {
    if (part_.owner(vertex[k]) != me) continue;
    Local l{k, vertex[k], previous[k], step, rng::Stream(p_.seed, rng::purpose_walk, k), cached[k] != 0, false, {}};
    l.stream.set_position({rb[k], ru[k]});
    l.scale = scale[k];
    l.epoch = E;
    if (dim_ > 0)
      l.theta.assign(theta.begin() + static_cast<std::ptrdiff_t>(k * static_cast<std::size_t>(dim_)),
                     theta.begin() + static_cast<std::ptrdiff_t>((k + 1) * static_cast<std::size_t>(dim_)));
    tokens_.push_back(std::move(l));
  }
  // Counts of the owned block (powers rebuilt with the expressions of import_from), then ghosts from their owners.
  const auto w = read_columns<double>(g, "w", static_cast<std::uint64_t>(lo_), block_);
  for (std::size_t k = 0; k < T; ++k)
    for (std::size_t b = 0; b < block_; ++b) {
      const double wj = w[k * block_ + b];
      if (wj == u) continue;
      const Vertex j = lo_ + static_cast<Vertex>(b);
      owned_[k * block_ + b] = {wj, power(wj, j)};
      if (steps_mode_) owned_ep_[k * block_ + b] = E;
      touched_[k].push_back(static_cast<std::uint32_t>(b));
    }
  if (hubs_total_ > 0) {
    const auto shape = g.shape("envelope");
    if (shape.size() != 2 || shape[1] != static_cast<std::uint64_t>(hubs_total_))
      throw CheckpointError("checkpoint envelope dataset does not match walk.rejection_degree (restart with the same deck)");
    env_ = read_columns<double>(g, "envelope", static_cast<std::uint64_t>(hub0_), hubs_);
  }
  std::fill(env_ep_.begin(), env_ep_.end(), E);
  refresh_ghosts();
}

void PartitionedWalkers::refresh_ghosts() {
  const int P = comm_.size();
  const auto T = static_cast<std::size_t>(p_.tokens);
  std::vector<std::vector<std::uint64_t>> send(static_cast<std::size_t>(P));
  for (std::size_t k = 0; k < T; ++k)
    for (std::uint32_t b : touched_[k]) {
      const Entry& e = owned_[k * block_ + b];
      for (int r : ghost_ranks_[b]) {
        auto& out = send[static_cast<std::size_t>(r)];
        out.insert(out.end(), {k, static_cast<std::uint64_t>(lo_) + b, std::bit_cast<std::uint64_t>(e.w),
                               std::bit_cast<std::uint64_t>(e.r)});
        if (steps_mode_) out.push_back(owned_ep_[k * block_ + b]);
      }
    }
  const auto in = comm_.alltoallv(send);
  for (std::size_t q = 0; q + ghost_words() <= in.size(); q += ghost_words()) {
    ghost(in[q], static_cast<Vertex>(in[q + 1])) = {std::bit_cast<double>(in[q + 2]), std::bit_cast<double>(in[q + 3])};
    if (steps_mode_)
      ghost_ep_[in[q] * ghosts_.size() + g_->ghost_slot(static_cast<Vertex>(in[q + 1]))] = static_cast<std::uint32_t>(in[q + 4]);
  }
}

std::size_t PartitionedWalkers::state_bytes() const noexcept {
  std::size_t b = sizeof(Entry) * (owned_.size() + ghost_.size()) + sizeof(double) * env_.size() +
                  sizeof(Local) * tokens_.size() + sizeof(std::vector<std::uint32_t>) * touched_.size();
  for (const auto& t : touched_) b += sizeof(std::uint32_t) * t.size();
  b += sizeof(std::uint32_t) * row_slot_.size() + sizeof(std::size_t) * row_off_.size();
  return b;
}

}  // namespace sampo::walks
