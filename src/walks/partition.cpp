#include "walks/partition.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "core/error/error.hpp"
#include "walks/kernels.hpp"

namespace sampo::walks {

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
  SAMPO_VERIFY(p_.gamma_exponent == 1.0, "the partitioned engine supports counts mode only (gamma_exponent = 1)");
  SAMPO_VERIFY(p_.method == Method::base || p_.chain != Chain::nbrw, "SRRW and HDT need a reversible base chain");
  c_ = std::make_unique<LocalChain>(*g_, p_.chain, p_.laziness);
  const auto& g = *g_;
  const auto N = static_cast<std::size_t>(g.vertices());
  part_ = g.partition();
  lo_ = g.lo();
  hi_ = g.hi();
  ghosts_ = g.ghosts();
  block_ = static_cast<std::size_t>(hi_ - lo_);
  // Cached powers need every r_j of the pseudo-count in range, over the whole graph (as Walkers::rebuild).
  auto r0 = [&](Vertex j) {
    const double logr = std::log(1.0) - c_->log_mu(j);  // the expression of Walkers::rebuild for w = 1
    return std::exp(-p_.alpha * logr);
  };
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
  pending_ghosts_.resize(static_cast<std::size_t>(comm_.size()));
  for (std::uint64_t k = 0; k < T; ++k) {
    rng::Stream init(p_.seed, rng::purpose_init, k);
    const auto v = static_cast<Vertex>(init.below(N));
    if (part_.owner(v) != comm_.rank()) continue;
    Local t{k, v, -1, 0, rng::Stream(p_.seed, rng::purpose_walk, k), cached, false, {}};
    if (task_) t.theta = task_->initial();
    tokens_.push_back(std::move(t));
  }
}

void PartitionedWalkers::reset_counts() {
  const auto T = static_cast<std::size_t>(p_.tokens);
  env_.assign(T * hubs_, std::numeric_limits<double>::quiet_NaN());
  owned_.resize(T * block_);
  ghost_.resize(T * ghosts_.size());
  for (std::size_t k = 0; k < T; ++k) {
    for (std::size_t b = 0; b < block_; ++b) owned_[k * block_ + b] = {1.0, r0_owned_[b]};
    for (std::size_t q = 0; q < ghosts_.size(); ++q) ghost_[k * ghosts_.size() + q] = {1.0, r0_ghost_[q]};
  }
}

void PartitionedWalkers::visit(Local& t, std::vector<std::vector<std::uint64_t>>& ghost_out) {
  const Vertex v = t.vertex;
  Entry& e = owned(t.id, v);
  e.w += 1.0;
  if (p_.method != Method::base) {
    const double logr = std::log(e.w) - c_->log_mu(v);
    if (t.cached) {
      const double rv = std::exp(-p_.alpha * logr);
      if (rv >= kernel::r_min && rv <= kernel::r_max) e.r = rv;
      else t.cached = false;  // the log-domain kernel from now on, as in Walkers::visit
    }
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
                         t.pending ? 1u : 0u});
  for (double x : t.theta) out.push_back(std::bit_cast<std::uint64_t>(x));
}

PartitionedWalkers::Local PartitionedWalkers::unpack(const std::uint64_t* in) const {
  Local t{in[0], static_cast<Vertex>(in[1]), static_cast<Vertex>(in[2]), static_cast<std::int64_t>(in[3]),
          rng::Stream(p_.seed, rng::purpose_walk, in[0]), in[6] != 0, in[7] != 0, {}};
  t.stream.set_position({in[4], in[5]});
  for (int q = 0; q < dim_; ++q) t.theta.push_back(std::bit_cast<double>(in[8 + q]));
  return t;
}

void PartitionedWalkers::advance(std::int64_t steps) {
  target_ += steps;
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
        auto logr = [&](Vertex j) { return std::log(lookup(id, j).w) - lc.log_mu(j); };
        auto r = [&](Vertex j) { return lookup(id, j).r; };
        const double alpha = p_.alpha_ramp <= 0 ? p_.alpha
                                                : p_.alpha * std::min(1.0, static_cast<double>(t.n + 1) /
                                                                               static_cast<double>(p_.alpha_ramp));
        const std::int32_t hub = hub_slot_.empty() ? -1 : hub_slot_[static_cast<std::size_t>(t.vertex - lo_)];
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
      stats_.ghost_updates += gsend[static_cast<std::size_t>(d)].size() / 4;
      stats_.bytes_sent += 8 * (tsend[static_cast<std::size_t>(d)].size() + gsend[static_cast<std::size_t>(d)].size());
    }
    const auto gin = comm_.alltoallv(gsend);
    const auto tin = comm_.alltoallv(tsend);
    ++stats_.supersteps;
    // Ghost counts first (they describe visits made before any arriving token moves on), then the arrivals.
    for (std::size_t q = 0; q + 3 < gin.size(); q += 4)
      ghost(gin[q], static_cast<Vertex>(gin[q + 1])) = {std::bit_cast<double>(gin[q + 2]), std::bit_cast<double>(gin[q + 3])};
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

void PartitionedWalkers::export_to(Walkers& w) const {
  const int P = comm_.size();
  const auto T = static_cast<std::uint64_t>(p_.tokens);
  const auto N = static_cast<std::size_t>(g_->vertices());
  auto shard = [&](std::uint64_t k) {  // rank holding token k in the token-sharded layout
    int r = static_cast<int>(k * static_cast<std::uint64_t>(P) / T);
    while (r + 1 < P && T * static_cast<std::uint64_t>(r + 1) / static_cast<std::uint64_t>(P) <= k) ++r;
    while (r > 0 && T * static_cast<std::uint64_t>(r) / static_cast<std::uint64_t>(P) > k) --r;
    return r;
  };
  // Token scalars, and the owned block of every token's counts (sparse: vertex, count), to the shard ranks.
  std::vector<std::vector<std::uint64_t>> tsend(static_cast<std::size_t>(P)), csend(static_cast<std::size_t>(P));
  for (const auto& t : tokens_) pack(t, tsend[static_cast<std::size_t>(shard(t.id))]);
  for (std::uint64_t k = 0; k < T; ++k) {
    auto& out = csend[static_cast<std::size_t>(shard(k))];
    for (std::size_t b = 0; b < block_; ++b) {
      const Entry& e = owned_[k * block_ + b];
      if (e.w != 1.0)
        out.insert(out.end(), {k, static_cast<std::uint64_t>(lo_) + b, std::bit_cast<std::uint64_t>(e.w)});
    }
  }
  std::vector<std::vector<std::uint64_t>> esend(static_cast<std::size_t>(P));
  for (std::uint64_t k = 0; k < T; ++k)
    for (std::size_t h = 0; h < hubs_; ++h) {
      const double e = env_[k * hubs_ + h];
      if (e == e)
        esend[static_cast<std::size_t>(shard(k))].insert(esend[static_cast<std::size_t>(shard(k))].end(),
                                                         {k, static_cast<std::uint64_t>(hub0_) + h,
                                                          std::bit_cast<std::uint64_t>(e)});
    }
  const auto tin = comm_.alltoallv(tsend);
  const auto cin = comm_.alltoallv(csend);
  const auto ein = comm_.alltoallv(esend);
  const std::uint64_t first = w.first();
  auto& toks = w.tokens();
  for (auto& t : toks) std::fill(t.w.begin(), t.w.end(), 1.0);
  for (std::size_t q = 0; q < tin.size(); q += record_words()) {
    const Local l = unpack(tin.data() + q);
    Token& t = toks[l.id - first];
    t.vertex = l.vertex;
    t.previous = l.previous;
    t.stream = l.stream;
    t.cached = l.cached;
    t.theta = l.theta;
    t.scale = 1.0 / static_cast<double>(static_cast<std::int64_t>(N) + (l.n - 1) + 1);
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
  for (std::size_t k = 0; k < static_cast<std::size_t>(p_.tokens); ++k) {
    Local l = unpack(all.data() + k * record_words());
    const std::uint64_t* wk = counts.data() + k * N;
    auto entry = [&](Vertex j) {
      const double wj = std::bit_cast<double>(wk[j]);
      const double r = std::exp(-p_.alpha * (std::log(wj) - c_->log_mu(j)));
      return Entry{wj, r};
    };
    for (Vertex v = lo_; v < hi_; ++v)
      if (std::bit_cast<double>(wk[v]) != 1.0) owned(k, v) = entry(v);
    for (Vertex u : ghosts_)
      if (std::bit_cast<double>(wk[u]) != 1.0) ghost(k, u) = entry(u);
    for (std::size_t h = 0; h < hubs_; ++h)
      env_[k * hubs_ + h] = std::bit_cast<double>(all_env[k * static_cast<std::size_t>(hubs_total_) + static_cast<std::size_t>(hub0_) + h]);
    if (part_.owner(l.vertex) == me) tokens_.push_back(std::move(l));
  }
  for (auto& b : pending_ghosts_) b.clear();
}

}  // namespace sampo::walks
