#pragma once
// Batched standard normals for many entities at once (SIMD Philox4x32-10 + Box–Muller).
//
// A particle filter draws one or two normals per particle per step from a stream keyed by the particle's global id;
// drawn one stream at a time that costs ~50 ns per particle (a scalar Philox block, libm log, cos and sqrt). Here the
// same Philox blocks are computed for 16 entities side by side and Box–Muller uses Sampo's own branch-free log and
// sincos, written in plain double arithmetic so that the compiler vectorises them; the file is compiled without
// floating-point contraction, so the scalar, AVX2 and AVX-512 code give the same bits (no FMA is ever fused), and
// an entity's normals never depend on which batch, rank or thread computed them.
//
// Definition. For entity e, block b = 0, 1, ... of the stream (seed, purpose, e, substream) (the words a
// rng::Stream with that name would draw), u1 = uniform of words 0–1, u2 = uniform of words 2–3 (as
// Stream::uniform), r = sqrt(−2 log u1), φ = 2π u2; the block gives z = r cos φ and then r sin φ. Entity e's k
// normals are z_0 … z_{k−1} from blocks 0 … ⌈k/2⌉ − 1. These are the values Stream::normal_pair() would return up
// to the last bits of log, cos and sin (|difference| ≤ 1e-14 (1 + |z|), tested), but they are not bitwise equal to
// them: use either this or the Stream methods for one quantity, never a mix.
#include <cstddef>
#include <cstdint>

namespace sampo::rng {

// out[i·k + r] = normal r of entity first + i, for i < count and r < k (k ≥ 1). Thread-safe; no allocation.
void normals(std::uint64_t seed, std::uint32_t purpose, std::uint64_t first, std::uint32_t substream,
             std::size_t count, int k, double* out) noexcept;

// One normal per entity at half the cost: entities 2m and 2m + 1 share one Box–Muller pair. Entity e's normal is
// r cos φ (e even) or r sin φ (e odd) of block 0 of the stream (seed, purpose, 2^63 | ⌊e/2⌋, substream), with u1, u2,
// r, φ as above (the high bit keeps these pair streams apart from the per-entity streams of `normals`). The two
// normals of a pair are independent N(0, 1) (Box–Muller), so the population's noise has the same law as with
// `normals(..., k = 1, ...)`; an entity's value still depends only on its global id, never on the call's range.
// out[i] = the normal of entity first + i, i < count. Thread-safe; no allocation.
void normals_paired(std::uint64_t seed, std::uint32_t purpose, std::uint64_t first, std::uint32_t substream,
                    std::size_t count, double* out) noexcept;

// The Philox4x32-10 blocks themselves: words[4·i + w] = word w of block `block` of entity first + i (what
// rng::Stream(seed, purpose, first + i, substream) draws as its block `block`). Exposed for tests and for
// consumers that need uniforms rather than normals.
void philox_blocks(std::uint64_t seed, std::uint32_t purpose, std::uint64_t first, std::uint32_t substream,
                   std::uint32_t block, std::size_t count, std::uint32_t* words) noexcept;

}  // namespace sampo::rng
