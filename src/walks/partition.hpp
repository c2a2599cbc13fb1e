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
// LocalChain; counts mode only (walk.gamma_exponent = 1).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/mpi/communicator.hpp"
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

  // Collective: writes the dense token-sharded state into `w` (a Walkers holding tokens [T r/P, T(r+1)/P) on this
  // rank, as built by the driver) for estimators and checkpoints.
  void export_to(Walkers& w) const;
  // Collective: loads the state from a token-sharded Walkers (after a restart).
  void import_from(const Walkers& w);

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
  };
  void init();
  void visit(Local& t, std::vector<std::vector<std::uint64_t>>& ghost_out);
  [[nodiscard]] const Entry& lookup(std::uint64_t id, Vertex j) const noexcept {
    if (j >= lo_ && j < hi_) return owned_[id * block_ + static_cast<std::size_t>(j - lo_)];
    const auto slot = static_cast<std::size_t>(std::lower_bound(ghosts_.begin(), ghosts_.end(), j) - ghosts_.begin());
    return ghost_[id * ghosts_.size() + slot];
  }
  [[nodiscard]] Entry& owned(std::uint64_t id, Vertex v) noexcept {
    return owned_[id * block_ + static_cast<std::size_t>(v - lo_)];
  }
  [[nodiscard]] Entry& ghost(std::uint64_t id, Vertex j) noexcept {
    const auto slot = static_cast<std::size_t>(std::lower_bound(ghosts_.begin(), ghosts_.end(), j) - ghosts_.begin());
    return ghost_[id * ghosts_.size() + slot];
  }
  void reset_counts();
  void pack(const Local& t, std::vector<std::uint64_t>& out) const;
  Local unpack(const std::uint64_t* in) const;
  [[nodiscard]] std::size_t record_words() const noexcept { return 8 + static_cast<std::size_t>(dim_); }

  mpi::Communicator comm_;
  std::unique_ptr<DistributedGraph> own_graph_;  // when built from a replicated graph
  const DistributedGraph* g_;
  std::unique_ptr<LocalChain> c_;
  WalkParams p_;
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
  std::vector<Local> tokens_;
  // Rejection envelopes (kernels.hpp) of owned high-degree vertices: slot per owned vertex (−1: scan), tokens ×
  // owned hubs; the global slot of local hub h is hub0_ + h (the numbering of rejection_slots).
  std::vector<std::int32_t> hub_slot_;
  std::size_t hubs_ = 0;
  std::int64_t hub0_ = 0, hubs_total_ = 0;
  std::vector<double> env_;
  std::vector<std::vector<std::uint64_t>> pending_ghosts_;   // per destination rank, for the next exchange
  std::int64_t target_ = 0;
  Stats stats_;
};

}  // namespace sampo::walks
