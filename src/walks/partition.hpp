#pragma once
// The vertex-partitioned token engine (KnightKing-style, walker-centric BSP).
//
// A 1-D partition gives each rank a contiguous block of vertices balancing |V| + |E| (prefix sums of 1 + d_i).
// A token lives on the rank that owns its current vertex; it walks locally until it steps onto a vertex owned by
// another rank, then migrates there in the superstep's batched all-to-all (its id, vertex, previous vertex, step,
// RNG position, repellence mode and θ). A token's visit counts are kept at the owning ranks only (a dense
// tokens × block array per rank); each rank keeps ghost counts for the vertices adjacent to its block (tokens × ghosts),
// refreshed from the owners in the same superstep exchange (an owner sends (token, vertex, count) to every rank
// ghosting the vertex). A token can only reach a rank after the exchange that carries those updates, so every
// kernel evaluation sees exact counts, and paths are bitwise those of the replicated engine (Walkers).
// The engine reads only its block of a DistributedGraph (rows of owned vertices, degrees of ghosts) through a
// LocalChain. Counts mode and step-size mode (walk.gamma_exponent < 1: renormalisations applied lazily per entry by
// epoch). Estimators, output and checkpoints work from the owners' blocks (estimator_rows, mean_block,
// write_checkpoint), so no rank holds an O(|V|) array.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/io/hdf5.hpp"
#include "core/mpi/communicator.hpp"
#include "core/numeric/exact_sum.hpp"
#include "walks/distributed.hpp"
#include "walks/walkers.hpp"

namespace sampo::walks {

class PartitionedWalkers {
 public:
  struct Stats {
    std::int64_t supersteps = 0;
    std::uint64_t migrations = 0;     // tokens sent by this rank
    std::uint64_t ghost_updates = 0;  // (token, vertex, count) records sent by this rank
    std::uint64_t bytes_sent = 0;
  };

  // Collective. Tokens start where Walkers puts them (same streams, same start vertices). This one cuts the
  // engine's DistributedGraph out of the chain's replicated graph (DistributedGraph::from_global).
  PartitionedWalkers(const mpi::Communicator& comm, const BaseChain& chain, WalkParams p,
                     const TokenTask* task = nullptr);
  // Collective. On a distributed graph (kept by the caller, built with the same rank count as comm).
  PartitionedWalkers(const mpi::Communicator& comm, const DistributedGraph& graph, WalkParams p,
                     const TokenTask* task = nullptr);

  // Collective: every token advances `steps` steps (supersteps until all are done and no update is in flight).
  // Throws InternalError if a token is lost or duplicated in any superstep.
  void advance(std::int64_t steps);
  [[nodiscard]] std::int64_t step() const noexcept { return target_; }
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }
  [[nodiscard]] const Partition& partition() const noexcept { return part_; }
  [[nodiscard]] std::size_t local_tokens() const noexcept { return tokens_.size(); }
  [[nodiscard]] const DistributedGraph& graph() const noexcept { return *g_; }
  [[nodiscard]] std::int64_t rejection_vertices() const noexcept { return hubs_total_; }

  // Collective: writes the dense token-sharded state into `w` (a Walkers holding tokens [T r/P, T(r+1)/P) on this
  // rank, as built by the driver) for estimators and checkpoints.
  void export_to(Walkers& w) const;
  // Collective: loads the state from a token-sharded Walkers (after a restart).
  void import_from(const Walkers& w);

  // ---- estimators and I/O from the counts where they live (no O(|V|) array on any rank) ----
  // The token-sharded layout: rank r holds tokens [T r/P, T(r+1)/P) for estimators, output and checkpoints.
  [[nodiscard]] std::uint64_t shard_first() const noexcept;
  [[nodiscard]] std::uint64_t shard_count() const noexcept;
  // Collective: the scalar state of this rank's shard of tokens, in id order (Token without visit arrays:
  // vertex, previous, stream, cached, scale, theta).
  [[nodiscard]] std::vector<Token> shard_tokens() const;
  // Collective: per-token estimator rows (width F + 2: TVD, ∫ f_q dx_n, ‖θ − θ*‖²; summarise_rows) for this rank's
  // shard, bitwise those of the replicated engine: each owner sums exactly over the vertices its tokens visited
  // (sparse per token) plus, once for all tokens, the terms of unvisited vertices; partial sums travel to the shard.
  // mu_block and f_block[q]: values on the owned block.
  // `base` (optional, from estimator_base for the same blocks) holds the run-constant part of those unvisited terms
  // in counts mode, so an output time then costs O(distinct μ + visited) exact additions instead of O(block · F).
  struct EstimatorBase {
    std::vector<std::pair<double, std::uint64_t>> mu_counts;  // this rank's block: distinct μ, multiplicities
    std::vector<numeric::ExactSum> f_sums;                     // Σ f_q over every rank's block, exact
  };
  [[nodiscard]] std::vector<double> estimator_rows(std::span<const double> mu_block,
                                                   const std::vector<std::span<const double>>& f_block,
                                                   std::span<const double> theta_star,
                                                   const EstimatorBase* base = nullptr) const;
  // Collective: the EstimatorBase of these blocks (once per run).
  [[nodiscard]] EstimatorBase estimator_base(std::span<const double> mu_block,
                                             const std::vector<std::span<const double>>& f_block) const;
  // Token-averaged x_n on the owned block (summed in token order at the owner: independent of the rank count).
  [[nodiscard]] std::vector<double> mean_block() const;
  // Collective: checkpoint datasets (the replicated engine's schema: vertex, previous, cached, rng_block, rng_used,
  // scale, theta (T, d), w (T, N) and envelope (T, H) written by column blocks from the owners).
  void write_checkpoint(const io::Group& g, const io::DatasetOptions& o) const;
  // Collective: the state at `step` from such datasets (owned columns read by the owner; ghosts by an exchange).
  void read_checkpoint(const io::Group& g, std::int64_t step);
  // Bytes of engine state on this rank (counts and powers, ghosts, visited lists, envelopes, tokens).
  [[nodiscard]] std::size_t state_bytes() const noexcept;

 private:
  struct Entry {
    double w;
    double r;
  };
  struct Local {
    std::uint64_t id;
    Vertex vertex, previous;
    std::int64_t n;
    rng::Stream stream{0, 0, 0};
    bool cached;
    bool pending;  // the visit of `vertex` is still to be counted (it arrived from another rank)
    std::vector<double> theta;
    double scale = 1.0;       // step-size mode: x = w·scale (a function of the step only)
    std::uint32_t epoch = 0;  // step-size mode: renormalisations since the engine's epoch 0
  };
  void init();
  void visit(Local& t, std::vector<std::vector<std::uint64_t>>& ghost_out);
  // A token's walk state (all but id and the counts) from an unpacked record.
  void assign(Token& t, const Local& l) const;
  // The cached power (w/μ_j)^(−α) of an owned or ghost j (kernel::Power, as in Walkers).
  [[nodiscard]] double power(double w, Vertex j) const noexcept;
  // A token's entries are addressed by slot: an owned vertex j at j − lo (below block_), a ghost at block_ + its
  // ghost slot (the hash index; long rows keep their neighbours' slots precomputed in row_slot_).
  [[nodiscard]] std::uint32_t slot_of(Vertex j) const noexcept {
    return static_cast<std::uint32_t>(j >= lo_ && j < hi_ ? static_cast<std::size_t>(j - lo_)
                                                          : block_ + g_->ghost_slot(j));
  }
  [[nodiscard]] const Entry& entry_at(std::uint64_t id, std::uint32_t s) const noexcept {
    return s < block_ ? owned_[id * block_ + s] : ghost_[id * ghosts_.size() + (s - block_)];
  }
  // The weight at slot s brought to `epoch` (step-size mode).
  [[nodiscard]] double current_w_at(std::uint64_t id, std::uint32_t s, std::uint32_t epoch) const noexcept {
    if (s < block_) return at_epoch(owned_[id * block_ + s].w, owned_ep_[id * block_ + s], epoch);
    const std::size_t q = id * ghosts_.size() + (s - block_);
    return at_epoch(ghost_[q].w, ghost_ep_[q], epoch);
  }
  [[nodiscard]] Entry& owned(std::uint64_t id, Vertex v) noexcept {
    return owned_[id * block_ + static_cast<std::size_t>(v - lo_)];
  }
  [[nodiscard]] Entry& ghost(std::uint64_t id, Vertex j) noexcept {
    const std::size_t slot = g_->ghost_slot(j);
    return ghost_[id * ghosts_.size() + slot];
  }
  void reset_counts();
  void refresh_ghosts();
  // Restart in step-size mode: the schedule from step 0 to target_; returns (epoch E, unvisited weight u_E) and
  // checks the saved scale. Counts mode: (0, 1).
  std::pair<std::uint32_t, double> restart_schedule(double scale);  // owners send every non-pristine owned entry to the ghosting ranks (restart)
  [[nodiscard]] int shard(std::uint64_t k) const noexcept;
  void pack(const Local& t, std::vector<std::uint64_t>& out) const;
  Local unpack(const std::uint64_t* in) const;
  [[nodiscard]] std::size_t record_words() const noexcept { return 10 + static_cast<std::size_t>(dim_); }
  [[nodiscard]] std::size_t ghost_words() const noexcept { return steps_mode_ ? 5 : 4; }
  // Step-size mode (gamma_exponent < 1): every token renormalises w ← w·G at the same steps with the same G (the
  // scale depends on the step only), so entries are brought to a token's epoch lazily, with the replicated engine's
  // arithmetic (w·G₁·G₂…), when they are read or written.
  void extend_schedule(std::int64_t until);
  [[nodiscard]] double at_epoch(double w, std::uint32_t from, std::uint32_t to) const noexcept {
    for (std::uint32_t e = from; e < to; ++e) w *= gfac_[e];
    return w;
  }
  void fix_owned(std::uint64_t id, Vertex v, std::uint32_t epoch) noexcept {
    const std::size_t q = id * block_ + static_cast<std::size_t>(v - lo_);
    if (owned_ep_[q] != epoch) owned_[q].w = at_epoch(owned_[q].w, owned_ep_[q], epoch), owned_ep_[q] = epoch;
  }

  mpi::Communicator comm_;
  std::unique_ptr<DistributedGraph> own_graph_;  // when built from a replicated graph
  const DistributedGraph* g_;
  std::unique_ptr<LocalChain> c_;
  WalkParams p_;
  kernel::Power power_{p_.alpha};  // of p_.alpha (cached mode; Walkers' arithmetic)
  const TokenTask* task_;
  int dim_ = 0;
  Partition part_;
  Vertex lo_ = 0, hi_ = 0;
  std::vector<double> r0_owned_, r0_ghost_;                  // (1/μ_j)^(−α): powers of the pseudo-count
  std::vector<std::vector<int>> ghost_ranks_;                // per owned vertex: ranks ghosting it
  std::size_t block_ = 0;                                    // hi − lo
  std::vector<Vertex> ghosts_;                               // sorted non-owned neighbours of the block
  std::vector<Entry> owned_;                                 // tokens × block: counts (and powers) at the owner
  std::vector<Entry> ghost_;                                 // tokens × ghosts: copies from the owners
  // Per owned row (row_off_, block_ + 1 offsets) the entry slot of each neighbour, in row order: the SRRW scans read
  // a neighbour's entry by row position (kernel::row_value) instead of looking ghosts up in the hash index, whose
  // dependent probe per neighbour stalled the scans at hubs (≈ 40 ns against ≈ 5 ns per neighbour).
  // Kept for rows of at least slot_rows_min neighbours only (an empty range otherwise: the lookups; on WS, k = 10, the
  // slot row cost 15 % at 1 rank).
  static constexpr std::size_t slot_rows_min = 32;
  std::vector<std::size_t> row_off_;
  std::vector<std::uint32_t> row_slot_;
  std::vector<std::vector<std::uint32_t>> touched_;          // per token: owned vertices visited (block offsets)
  std::vector<Local> tokens_;
  // Rejection envelopes (kernels.hpp) of owned high-degree vertices: slot per owned vertex (−1: scan), tokens ×
  // owned hubs; the global slot of local hub h is hub0_ + h (the numbering of rejection_slots).
  std::vector<std::int32_t> hub_slot_;
  std::size_t hubs_ = 0;
  std::int64_t hub0_ = 0, hubs_total_ = 0;
  std::vector<double> env_;
  std::vector<std::vector<std::uint64_t>> pending_ghosts_;   // per destination rank, for the next exchange
  bool steps_mode_ = false;
  std::vector<std::uint32_t> owned_ep_, ghost_ep_, env_ep_;  // step-size mode: epoch of each entry and envelope
  std::vector<double> gfac_, pristine_;  // per epoch e: renormalisation factor G_e; unvisited weight u_e (u_0 = 1)
  std::int64_t sched_n_ = 0;             // the scale schedule is known up to this step:
  double sched_scale_ = 1.0;             // the scale after sched_n_ steps
  std::int64_t target_ = 0;
  Stats stats_;
};

}  // namespace sampo::walks
