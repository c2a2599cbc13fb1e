#pragma once
// Many chains: chain c lives on rank ⌊c·P/C⌋; inside a rank, OpenMP runs the local chains in parallel. Each chain's
// draws depend only on (seed, c), so every layout gives the same draws bitwise.
#include <cstdint>
#include <vector>

#include "core/mpi/communicator.hpp"
#include "mcmc/sampler.hpp"

namespace sampo::mcmc {

int chain_owner(std::uint64_t chain, int ranks, std::uint64_t chains);
std::vector<std::uint64_t> local_chains(int rank, int ranks, std::uint64_t chains);

// Per-chain records of one block of iterations.
struct Record {
  std::vector<double> draws;  // iterations × constrained_dim, row-major
  std::vector<DrawStats> stats;
};

// Runs `n` iterations of every local chain (OpenMP over chains, no exceptions escape the parallel region: the
// first error is rethrown after it). Appends to recs[i] for chain states[i].
void advance(const Sampler& sampler, const Target& target, std::vector<ChainState>& states, std::int64_t n,
             std::vector<Record>& recs);

// Collective: gathers one scalar series per chain into [chain][draw] on every rank; `local[i]` belongs to
// local chain i (same length on every chain).
std::vector<std::vector<double>> gather_chains(const mpi::Communicator& comm, std::uint64_t chains,
                                               const std::vector<std::vector<double>>& local);

}  // namespace sampo::mcmc
