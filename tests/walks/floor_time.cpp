// walks_floor_time: the memory floor of a walk step on a Watts–Strogatz graph. Not a test (ctest does not run it);
// docs/walks.md quotes it.
//   walks_floor_time [N=1048576] [STEPS=1000000] [ROUNDS=3] [WORK=0]
//
// For SRW and SRRW (α = 1, 5) on WS(N, k = 10, rewiring 0.1), 8 tokens, one thread:
//  1. the real walk (Walkers::advance, the driver's code) is timed;
//  2. the same paths are recorded (the row position of each step's choice);
//  3. the recorded paths are replayed with only the walk's memory accesses, in the same order, with the same
//     interleaving of 8 tokens and the same prefetches as Walkers::advance_group: per step the offsets of the vertex,
//     its row, for SRRW the cached value r_j of every neighbour (summed, so the choice depends on every load, as the
//     real draw does), then the visit: w[next] += 1 and, for SRRW, a store to r[next], deferred to the token's next
//     step. No random numbers, no powers, no cumulative sums, no draw.
// The replay is what any implementation of the same step with the same data layout must at least spend on memory.
// WORK > 0 adds a dependent chain of WORK multiply-adds (≈ 2 ns each) to each replayed SRRW step between the values
// and the choice: what compute on the step's critical path costs when the memory accesses stay the same.
// Printed: steps/s per core of the real walk and of the replay, and the ratios to SRW. SRRW's replay over SRW's real
// walk is the floor of the SRRW/SRW cost ratio with this layout: a value near 2 means the ≤ 2× target is at the floor.
#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "walks/graph.hpp"
#include "walks/walkers.hpp"

namespace {

using namespace sampo::walks;
using Clock = std::chrono::steady_clock;
constexpr std::size_t tokens = 8;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Walk {
  std::string name;
  Method method;
  double alpha;
};

WalkParams params(const Walk& w) {
  WalkParams p;
  p.method = w.method;
  p.alpha = w.alpha;
  p.tokens = tokens;
  p.seed = 1;
  return p;
}

// Row positions chosen at each step, token-major: pos[t * steps + n]; and each token's start vertex.
struct Paths {
  std::vector<std::uint8_t> pos;
  std::array<Vertex, tokens> start{};
};

Paths record(const BaseChain& chain, const Walk& w, std::int64_t steps) {
  const Graph& g = chain.graph();
  Walkers walkers(chain, params(w), 0, tokens);
  Paths p;
  p.pos.resize(tokens * static_cast<std::size_t>(steps));
  for (std::size_t t = 0; t < tokens; ++t) p.start[t] = walkers.tokens()[t].vertex;
  for (std::int64_t n = 0; n < steps; ++n) {
    std::array<Vertex, tokens> from{};
    for (std::size_t t = 0; t < tokens; ++t) from[t] = walkers.tokens()[t].vertex;
    walkers.advance(1);
    for (std::size_t t = 0; t < tokens; ++t) {
      const auto nb = g.neighbours(from[t]);
      const auto k = std::lower_bound(nb.begin(), nb.end(), walkers.tokens()[t].vertex) - nb.begin();
      p.pos[t * static_cast<std::size_t>(steps) + static_cast<std::size_t>(n)] = static_cast<std::uint8_t>(k);
    }
  }
  return p;
}

// The replay of advance_group's memory accesses (see the header). Returns seconds.
double replay(const Graph& g, const Paths& paths, std::int64_t steps, bool values, int work) {
  const auto n = static_cast<std::size_t>(g.vertices());
  const auto& off = g.offsets();
  const Vertex* adj = g.adjacency().data();
  std::array<TokenArray, tokens> w, r;
  for (std::size_t t = 0; t < tokens; ++t) {
    w[t].assign(n, 1.0);
    if (values) r[t].assign(n, 1.0);
  }
  std::array<Vertex, tokens> v{}, pending{};
  for (std::size_t t = 0; t < tokens; ++t) v[t] = paths.start[t], pending[t] = -1;
  const std::size_t dv = values ? tokens / 2 : 0, dr = values ? std::min(tokens - 1, dv + 2) : 2;
  const auto ahead = [](std::size_t t, std::size_t d) { return t + d < tokens ? t + d : t + d - tokens; };
  const auto prefetch_row = [&](std::size_t t) {
    const auto b = off[static_cast<std::size_t>(v[t])], e = off[static_cast<std::size_t>(v[t]) + 1];
    for (auto q = b; q < e; q += 8) __builtin_prefetch(adj + q);
  };
  const auto prefetch_values = [&](std::size_t t) {
    const auto b = off[static_cast<std::size_t>(v[t])], e = off[static_cast<std::size_t>(v[t]) + 1];
    for (auto q = b; q < e; q += 1) __builtin_prefetch(r[t].data() + adj[q]);
  };
  double sink = 0.0;
  const auto t0 = Clock::now();
  for (std::int64_t s = 0; s < steps; ++s)
    for (std::size_t t = 0; t < tokens; ++t) {
      prefetch_row(ahead(t, dr));
      if (values) prefetch_values(ahead(t, dv));
      if (pending[t] >= 0) {  // the deferred visit
        const auto pv = static_cast<std::size_t>(pending[t]);
        w[t][pv] += 1.0;
        if (values) r[t][pv] = w[t][pv];
      }
      const auto vi = static_cast<std::size_t>(v[t]);
      const auto b = off[vi], e = off[vi + 1];
      auto k = static_cast<std::int64_t>(paths.pos[t * static_cast<std::size_t>(steps) + static_cast<std::size_t>(s)]);
      if (values) {
        double sum = 0.0;
        for (auto q = b; q < e; ++q) sum += r[t][static_cast<std::size_t>(adj[q])];
        for (int q = 0; q < work; ++q) sum = sum * 1.0000001 + 1e-300;  // WORK: compute on the step's chain
        k += sum < 0.0 ? 1 : 0;  // never: the choice waits for every value, as the real draw does
        sink += sum;
      }
      const Vertex next = adj[b + k];
      __builtin_prefetch(w[t].data() + next, 1);
      if (values) __builtin_prefetch(r[t].data() + next, 1);
      pending[t] = next;
      v[t] = next;
      __builtin_prefetch(off.data() + next);
    }
  const double sec = seconds_since(t0);
  if (sink == 42.0) std::printf(" ");
  return sec;
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const long N = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1L << 20;
  const long steps = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 1000000;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  const int work = argc > 4 ? std::atoi(argv[4]) : 0;
  if (N < 64 || steps < 1 || rounds < 1 || work < 0) {
    std::fprintf(stderr, "usage: walks_floor_time [N >= 64] [STEPS >= 1] [ROUNDS >= 1] [WORK >= 0]\n");
    return 2;
  }
  omp_set_num_threads(1);
  const Graph g = preprocess(watts_strogatz(N, 10, 0.1, 1), true, false, 1);
  if (g.max_degree() > 255) {
    std::fprintf(stderr, "walks_floor_time: max degree %lld above 255\n", static_cast<long long>(g.max_degree()));
    return 1;
  }
  const BaseChain chain(g, Chain::srw, 0.0);
  const std::vector<Walk> walks = {
      {"SRW", Method::base, 0.0}, {"SRRW a=1", Method::srrw, 1.0}, {"SRRW a=5", Method::srrw, 5.0}};
  std::printf("WS N=%ld k=10 rewiring 0.1, %zu tokens x %ld steps, 1 thread; steps/s per core (median of %d rounds)\n",
              N, tokens, steps, rounds);
  std::vector<Paths> paths;
  for (const auto& w : walks) paths.push_back(record(chain, w, steps));
  std::vector<std::vector<double>> real(walks.size()), floor(walks.size());
  for (int round = 0; round < rounds; ++round)
    for (std::size_t i = 0; i < walks.size(); ++i) {
      Walkers walkers(chain, params(walks[i]), 0, tokens);
      const auto t0 = Clock::now();
      walkers.advance(steps);
      real[i].push_back(static_cast<double>(tokens) * static_cast<double>(steps) / seconds_since(t0));
      floor[i].push_back(static_cast<double>(tokens) * static_cast<double>(steps) /
                         replay(g, paths[i], steps, walks[i].method != Method::base, work));
    }
  const double srw_real = median(real[0]), srw_floor = median(floor[0]);
  std::printf("%-10s %12s %12s %14s %16s %16s\n", "walk", "real", "replay", "real/replay", "SRW real / real",
              "SRW real/replay");
  for (std::size_t i = 0; i < walks.size(); ++i) {
    const double a = median(real[i]), b = median(floor[i]);
    std::printf("%-10s %12.3g %12.3g %14.2f %16.2f %16.2f\n", walks[i].name.c_str(), a, b, b / a, srw_real / a,
                srw_real / b);
  }
  std::printf("SRW replay %.3g steps/s: SRRW replay / SRW replay cost ratios", srw_floor);
  for (std::size_t i = 1; i < walks.size(); ++i) std::printf(" %.2f", srw_floor / median(floor[i]));
  std::printf("\n");
  return 0;
}
