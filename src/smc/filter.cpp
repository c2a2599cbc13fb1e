#include "smc/filter.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/checkpoint/checkpoint.hpp"
#include "core/error/error.hpp"
#include "core/numeric/exact_sum.hpp"
#include "core/rng/batch.hpp"
#include "core/rng/stream.hpp"
#include "core/simd/clones.hpp"
#include "core/simd/vmath.hpp"

namespace sampo::smc {

using u128 = __uint128_t;

Backward parse_backward(const std::string& name) {
  if (name == "rejection") return Backward::rejection;
  if (name == "mh") return Backward::mh;
  if (name == "exact") return Backward::exact;
  throw ConfigError("unknown backward sampler '" + name + "' (rejection, mh, exact)");
}
std::string to_string(Backward b) {
  switch (b) {
    case Backward::rejection: return "rejection";
    case Backward::mh: return "mh";
    case Backward::exact: return "exact";
  }
  return "?";
}

namespace {

// Collective: exact global sum of 128-bit integers (one per slot).
void allreduce_u128(const mpi::Communicator& comm, std::span<u128> v) {
  if (comm.size() == 1) return;
  std::vector<unsigned long long> mine;
  for (auto x : v) {
    mine.push_back(static_cast<unsigned long long>(x >> 64));
    mine.push_back(static_cast<unsigned long long>(x));
  }
  const auto all = comm.allgatherv<unsigned long long>(mine);
  for (auto& x : v) x = 0;
  for (std::size_t r = 0; r < all.size(); r += mine.size())
    for (std::size_t k = 0; k < v.size(); ++k)
      v[k] += (static_cast<u128>(all[r + 2 * k]) << 64) | all[r + 2 * k + 1];
}

// The propagation's per-block loops, in AVX-512/AVX2/baseline clones (no multiplications: the same bits on every path).
// out[i] = x[idx[i]] (one-dimensional states).
SAMPO_CLONES void gather1(const double* x, const std::uint64_t* idx, std::size_t n, double* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = x[idx[i]];
}
// out[i] = (plw ? plw[i] − shift : c) + lo[i]; returns the maximum of bm and the out[i], a NaN counted as +∞ (so
// that normalise() reports it). Max is exact in any order; written as selects (std::max, or a separate NaN flag,
// keeps GCC's loop scalar).
SAMPO_CLONES double add_and_max(const double* plw, double shift, double c, const double* lo, std::size_t n,
                                double* out, double bm) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (plw) {
    for (std::size_t i = 0; i < n; ++i) out[i] = (plw[i] - shift) + lo[i];
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = c + lo[i];
  }
#pragma omp simd reduction(max : bm)
  for (std::size_t i = 0; i < n; ++i) {
    const double v = out[i] == out[i] ? out[i] : inf;
    bm = v > bm ? v : bm;
  }
  return bm;
}

// max |x[i·stride]| over i < n, +∞ if any is not finite (NaN or ±∞). Max is exact in any order.
SAMPO_CLONES double max_abs(const double* x, std::size_t n, std::size_t stride) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  double m = 0.0;
#pragma omp simd reduction(max : m)
  for (std::size_t i = 0; i < n; ++i) {
    const double v = std::abs(x[i * stride]);
    const double f = v < inf ? v : inf;  // NaN → +∞
    m = f > m ? f : m;
  }
  return m;
}
// The moments' terms a_i = e_i·x_i·s and b_i = a_i·x_i·s (s a power of two: exact scaling; products only, so no
// clone fuses anything).
SAMPO_CLONES void moment_terms(const double* e, const double* x, std::size_t stride, double s, std::size_t n,
                               double* a, double* b) {
  for (std::size_t i = 0; i < n; ++i) {
    const double xs = x[i * stride] * s;
    a[i] = e[i] * xs;
    b[i] = a[i] * xs;
  }
}

double u128_to_double(u128 v, int frac_bits) {
  const double hi = static_cast<double>(static_cast<std::uint64_t>(v >> 64));
  const double lo = static_cast<double>(static_cast<std::uint64_t>(v));
  return std::ldexp(std::ldexp(hi, 64) + lo, -frac_bits);
}

// Collective: `width` exact sums of term(i, out) over this rank's n items and all ranks; OpenMP inside.
template <class F>
std::vector<double> exact_sums(const mpi::Communicator& comm, std::uint64_t n, int width, F&& term) {
  using numeric::ExactSum;
  std::vector<ExactSum> total(static_cast<std::size_t>(width));
#pragma omp parallel
  {
    std::vector<ExactSum> part(static_cast<std::size_t>(width));
    std::vector<double> buf(static_cast<std::size_t>(width));
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) {
      term(static_cast<std::size_t>(i), buf.data());
      for (int k = 0; k < width; ++k) part[static_cast<std::size_t>(k)].add(buf[static_cast<std::size_t>(k)]);
    }
#pragma omp critical(sampo_smc_exact_sums)
    for (int k = 0; k < width; ++k) total[static_cast<std::size_t>(k)].merge(part[static_cast<std::size_t>(k)]);
  }
  ExactSum::allreduce(comm, total);
  std::vector<double> out(static_cast<std::size_t>(width));
  for (int k = 0; k < width; ++k) out[static_cast<std::size_t>(k)] = total[static_cast<std::size_t>(k)].round();
  return out;
}

template <class T>
std::vector<T> gather(const mpi::Communicator& comm, const std::vector<T>& local) {
  return comm.allgatherv<T>(std::span<const T>(local));
}

}  // namespace

ParticleFilter::ParticleFilter(mpi::Communicator comm, const Model& model, const Observations& obs,
                               const Functional* h, FilterOptions opt, std::vector<double> reference)
    : comm_(std::move(comm)), model_(model), obs_(obs), h_(h), opt_(opt), ref_(std::move(reference)) {
  SAMPO_VERIFY(opt_.particles >= 2, "a particle filter needs at least 2 particles");
  layout_ = Layout{opt_.particles, comm_.size()};
  first_ = layout_.first(comm_.rank());
  n_loc_ = layout_.count(comm_.rank());
  d_ = model_.dim();
  m_ = h_ ? h_->dim() : 0;
  SAMPO_VERIFY(obs_.dy == model_.obs_dim(), "observations do not match the model's observation dimension");
  SAMPO_VERIFY(ref_.empty() || ref_.size() == static_cast<std::size_t>((obs_.steps() + 1) * d_),
               "reference path has the wrong length");
  SAMPO_VERIFY(!opt_.guided || model_.has_proposal(), "the guided filter needs a model with a proposal");
  SAMPO_VERIFY(opt_.islands == 0 || (opt_.particles % opt_.islands == 0 &&
                                     opt_.islands % static_cast<std::uint64_t>(comm_.size()) == 0 &&
                                     h_ == nullptr && ref_.empty()),
               "island mode needs islands | particles, ranks | islands, no smoothing and no reference path");
  if (opt_.max_tries <= 0) opt_.max_tries = static_cast<std::int64_t>(opt_.particles);
}

void ParticleFilter::run() {
  if (t_ < 0) start();
  while (!finished()) step();
}

void ParticleFilter::normalise(std::vector<double>& lw, StepRecord& rec, double local_max) {
  const auto n = static_cast<std::int64_t>(lw.size());
  // local_max: the maximum of lw with NaN counted as +∞ (the propagation computes it), or NaN: not known yet.
  double mx = local_max;
  if (std::isnan(mx)) {
    mx = -std::numeric_limits<double>::infinity();
    for (double v : lw) mx = std::max(mx, std::isnan(v) ? std::numeric_limits<double>::infinity() : v);
  }
  mx = comm_.allreduce(mx, mpi::Op::max);
  if (mx == std::numeric_limits<double>::infinity())
    throw NumericalError("a particle's log-weight is NaN or +inf at time " + std::to_string(t_) +
                         " (the model's log observation density, or its transition/proposal densities in a guided "
                         "filter, returned a non-finite value: check the model for states or parameters where "
                         "it is undefined)");
  if (!std::isfinite(mx))
    throw NumericalError("all particle weights vanished at time " + std::to_string(t_) +
                         " (the observations are impossible under the model, or N is far too small)");
  // Σ e_i and Σ e_i², e_i = exp(lw_i − max) ∈ [0, 1], exactly in fixed point (80 fractional bits): the same sums,
  // hence the same likelihood increment and ESS, for any rank and thread count.
  // The e_i are kept (wexp_): the next resampling's fixed-point weights are ⌊e_i·2^s⌋.
  u128 s[2] = {0, 0};
  constexpr std::int64_t kBlock = 512;
  wexp_.resize(lw.size());
#pragma omp parallel
  {
    __int128_t a = 0, b = 0;
#pragma omp for schedule(static)
    for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const std::int64_t m = std::min(kBlock, n - i0);
      double* eb = wexp_.data() + i0;
      simd::exp_shifted(lw.data() + i0, mx, static_cast<std::size_t>(m), eb);
      simd::fixed80_sums(eb, static_cast<std::size_t>(m), a, b);
    }
#pragma omp critical(sampo_smc_normalise)
    {
      s[0] += static_cast<u128>(a);
      s[1] += static_cast<u128>(b);
    }
  }
  allreduce_u128(comm_, s);
  const double sum = u128_to_double(s[0], 80), sum2 = u128_to_double(s[1], 80);
  const double inc = mx + std::log(sum);
  lw_shift_ = inc;  // lw − inc: applied by normalised() or read through by the next propagation
  wexp_sum_ = sum;
  rec.loglik_increment = inc;
  rec.ess = sum * sum / sum2;
  loglik_ += inc;
  wexp_valid_ = true;
}

void ParticleFilter::normalised() const {
  if (lw_shift_ == 0.0) return;  // (subtracting 0 changes no value)
  const double inc = lw_shift_;
  const auto n = static_cast<std::int64_t>(logw_.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) logw_[static_cast<std::size_t>(i)] -= inc;
  lw_shift_ = 0.0;
}

void ParticleFilter::moments(StepRecord& rec) {
  if (!opt_.moments) return;
  SAMPO_VERIFY(wexp_valid_ && wexp_.size() == n_loc_ && wexp_sum_ > 0, "moments() without the normalisation's weights");
  const auto d = static_cast<std::size_t>(d_);
  const auto n = static_cast<std::int64_t>(n_loc_);
  // Per dimension k a power of two 2^E_k > max |x_k| over all particles (an exact max Allreduce), then the sums
  // Σ e_i x_ik 2^−E_k and Σ e_i (x_ik 2^−E_k)² of terms in [−1, 1] (e_i = exp(lw_i − max) ∈ [0, 1], normalise()'s
  // wexp_), exactly in 80-bit fixed point, divided by Σ e_i (exact, from normalise()): the moments do not depend on
  // the rank or thread count (each term is rounded to 2^−80 of 2^E_k, far below any Monte Carlo error).
  std::vector<double> top(d, 0.0);  // max |x_k| (+∞: a state that is not finite)
#pragma omp parallel
  {
    std::vector<double> mine(d, 0.0);
    const auto nt = static_cast<std::int64_t>(omp_get_num_threads()), id = static_cast<std::int64_t>(omp_get_thread_num());
    const std::int64_t i0 = n * id / nt, i1 = n * (id + 1) / nt;
    for (std::size_t k = 0; k < d; ++k)
      mine[k] = max_abs(x_.data() + static_cast<std::size_t>(i0) * d + k, static_cast<std::size_t>(i1 - i0), d);
#pragma omp critical(sampo_smc_moments_max)
    for (std::size_t k = 0; k < d; ++k) top[k] = std::max(top[k], mine[k]);
  }
  comm_.allreduce_inplace(std::span<double>(top), mpi::Op::max);
  std::vector<double> scale(d);
  for (std::size_t k = 0; k < d; ++k) {
    if (!std::isfinite(top[k]))
      throw NumericalError("particle states are not finite at time " + std::to_string(t_) +
                           " (the model's transition diverged; check its parameters)");
    scale[k] = top[k] > 0 ? std::ldexp(1.0, -std::ilogb(top[k]) - 1) : 1.0;  // top·scale ∈ [1/2, 1)
  }
  std::vector<u128> sums(2 * d, 0);  // two's complement: the signed sums wrap into u128 exactly
  constexpr std::int64_t kBlock = 512;
#pragma omp parallel
  {
    std::vector<__int128_t> part(2 * d, 0);
    std::vector<double> a(kBlock), b(kBlock);
#pragma omp for schedule(static)
    for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const auto m = static_cast<std::size_t>(std::min(kBlock, n - i0));
      for (std::size_t k = 0; k < d; ++k) {
        moment_terms(wexp_.data() + i0, x_.data() + static_cast<std::size_t>(i0) * d + k, d, scale[k], m, a.data(),
                     b.data());
        simd::fixed80_sum(a.data(), m, part[k]);
        simd::fixed80_sum(b.data(), m, part[d + k]);
      }
    }
#pragma omp critical(sampo_smc_moments)
    for (std::size_t k = 0; k < 2 * d; ++k) sums[k] += static_cast<u128>(part[k]);
  }
  allreduce_u128(comm_, sums);
  rec.mean.resize(d);
  rec.var.resize(d);
  for (std::size_t k = 0; k < d; ++k) {
    const auto to_double = [](u128 v) {
      const auto sv = static_cast<__int128_t>(v);
      return sv < 0 ? -u128_to_double(static_cast<u128>(-sv), 80) : u128_to_double(v, 80);
    };
    const double m1 = to_double(sums[k]) / wexp_sum_ / scale[k],
                 m2 = to_double(sums[d + k]) / wexp_sum_ / (scale[k] * scale[k]);
    rec.mean[k] = m1;
    rec.var[k] = m2 - m1 * m1;
  }
}

void ParticleFilter::remember(const std::vector<std::uint64_t>& backward) {
  if (!opt_.keep_history) return;
  hist_x_.push_back(comm_.size() == 1 ? x_ : gather(comm_, x_));
  if (t_ > 0) {
    std::vector<unsigned long long> b(backward.begin(), backward.end());
    const auto g = comm_.size() == 1 ? b : gather(comm_, b);
    hist_j_.emplace_back(g.begin(), g.end());
  }
  normalised();
  final_logw_ = comm_.size() == 1 ? logw_ : gather(comm_, logw_);
}

void ParticleFilter::island_resample(int t, std::vector<double>& px, std::vector<double>& plw,
                                     std::vector<std::uint64_t>& anc, StepRecord& rec) const {
  const std::uint64_t I = opt_.islands, S = opt_.particles / I;
  const auto d = static_cast<std::size_t>(d_);
  const std::uint64_t i0 = first_ / S, ni = n_loc_ / S;  // this rank's islands [i0, i0 + ni)
  const auto tt = static_cast<std::uint32_t>(t);
  // log Σ exp(lw[0..S)), serial: the same bits wherever the island lives.
  auto log_mass = [S](const double* lw, double* ess) {
    double mx = -std::numeric_limits<double>::infinity();
    for (std::uint64_t j = 0; j < S; ++j) mx = std::max(mx, lw[j]);
    if (!std::isfinite(mx)) {
      if (ess) *ess = 0.0;
      return mx;
    }
    double s1 = 0.0, s2 = 0.0;
    for (std::uint64_t j = 0; j < S; ++j) {
      const double e = std::exp(lw[j] - mx);
      s1 += e, s2 += e * e;
    }
    if (ess) *ess = s1 * s1 / s2;
    return mx + std::log(s1);
  };
  std::vector<double> lam(ni);
  for (std::uint64_t i = 0; i < ni; ++i) lam[i] = log_mass(logw_.data() + i * S, nullptr);
  const auto all = comm_.allgatherv<double>(std::span<const double>(lam));  // Λ_i of every island, in order
  px = x_, plw = logw_;
  anc.resize(n_loc_);
  for (std::uint64_t j = 0; j < n_loc_; ++j) anc[j] = first_ + j;
  int flags = 0;
  {
    double imx = -std::numeric_limits<double>::infinity(), s1 = 0.0, s2 = 0.0;
    for (double v : all) imx = std::max(imx, v);
    for (double v : all) {
      const double e = std::exp(v - imx);
      s1 += e, s2 += e * e;
    }
    const double island_ess = s1 * s1 / s2;
    if (island_ess < opt_.island_ess_threshold * static_cast<double>(I)) {
      flags |= 2;
      const int shift = fixed_shift(I);
      std::vector<std::uint64_t> w(I);
      for (std::uint64_t i = 0; i < I; ++i) w[i] = to_fixed(all[i], imx, shift);
      const auto counts = offspring_serial(w, opt_.scheme, I, rng::splitmix64(opt_.seed ^ 0x151a4d5ULL), tt);
      std::vector<std::uint64_t> parent;
      parent.reserve(I);
      for (std::uint64_t i = 0; i < I; ++i) parent.insert(parent.end(), counts[i], i);
      // Each new island k whose parent a_k lives here travels whole to the owner of k: [k, S × (x, log W, id)].
      std::vector<std::vector<double>> send(static_cast<std::size_t>(comm_.size()));
      const double log_i = std::log(static_cast<double>(I));
      for (std::uint64_t k = 0; k < I; ++k) {
        const std::uint64_t a = parent[k];
        if (a < i0 || a >= i0 + ni) continue;
        auto& b = send[static_cast<std::size_t>(layout_.owner(k * S))];
        b.push_back(static_cast<double>(k));
        for (std::uint64_t j = 0; j < S; ++j) {
          const std::size_t src = static_cast<std::size_t>((a - i0) * S + j);
          b.insert(b.end(), x_.begin() + static_cast<std::ptrdiff_t>(src * d),
                   x_.begin() + static_cast<std::ptrdiff_t>((src + 1) * d));
          b.push_back(logw_[src] - all[a] - log_i);
          b.push_back(static_cast<double>(a * S + j));  // exact: ids < 2^53
        }
      }
      const auto recv = comm_.alltoallv(send);
      std::uint64_t got = 0;
      for (std::size_t pos = 0; pos < recv.size();) {
        const auto k = static_cast<std::uint64_t>(recv[pos++]);
        const std::size_t base = static_cast<std::size_t>(k * S - first_);
        for (std::uint64_t j = 0; j < S; ++j, pos += d + 2) {
          std::copy_n(recv.data() + pos, d, px.data() + (base + j) * d);
          plw[base + j] = recv[pos + d];
          anc[base + j] = static_cast<std::uint64_t>(recv[pos + d + 1]);
        }
        ++got;
      }
      SAMPO_VERIFY(got == ni, "island resampling delivered the wrong number of islands to a rank");
    }
  }
  // Resampling inside each island whose ESS fell below ess_threshold · S (island mass kept).
  std::vector<double> nx(px.size()), nlw(plw.size());
  std::vector<std::uint64_t> nanc(anc.size());
  const int shift = fixed_shift(S);
  int inside = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : inside)
  for (std::int64_t ii = 0; ii < static_cast<std::int64_t>(ni); ++ii) {
    const auto i = static_cast<std::size_t>(ii);
    const std::size_t b = i * S;
    double ess = 0.0;
    const double lam_i = log_mass(plw.data() + b, &ess);
    if (ess >= opt_.ess_threshold * static_cast<double>(S) || !std::isfinite(lam_i)) {  // (a dead island waits
                                                                                         // for island resampling)
      std::copy_n(px.data() + b * d, S * d, nx.data() + b * d);
      std::copy_n(plw.data() + b, S, nlw.data() + b);
      std::copy_n(anc.data() + b, S, nanc.data() + b);
      continue;
    }
    inside = 1;
    double imx = -std::numeric_limits<double>::infinity();
    for (std::uint64_t j = 0; j < S; ++j) imx = std::max(imx, plw[b + j]);
    std::vector<std::uint64_t> w(S);
    for (std::uint64_t j = 0; j < S; ++j) w[j] = to_fixed(plw[b + j], imx, shift);
    const auto counts = offspring_serial(w, opt_.scheme, S, rng::splitmix64(opt_.seed ^ rng::splitmix64(i0 + i)), tt);
    std::size_t pos = b;
    const double lw_child = lam_i - std::log(static_cast<double>(S));
    for (std::uint64_t j = 0; j < S; ++j)
      for (std::uint64_t c = 0; c < counts[j]; ++c, ++pos) {
        std::copy_n(px.data() + (b + j) * d, d, nx.data() + pos * d);
        nlw[pos] = lw_child;
        nanc[pos] = anc[b + j];
      }
  }
  px = std::move(nx), plw = std::move(nlw), anc = std::move(nanc);
  rec.resampled = flags | comm_.allreduce(inside, mpi::Op::max);
}

void ParticleFilter::paris_by_requests(int t, const std::vector<double>& xn, std::vector<double>& taun,
                                       std::vector<std::uint64_t>& backward, StepRecord& rec) const {
  const int tn = t + 1, K = opt_.backward_draws, B = opt_.request_batch, P = comm_.size();
  const auto d = static_cast<std::size_t>(d_), m = static_cast<std::size_t>(m_);
  const std::uint64_t N = opt_.particles;
  const double lbound = model_.log_transition_bound(tn);
  if (!std::isfinite(lbound))
    throw ConfigError("smoothing.exchange = \"requests\" needs the rejection sampler and a model with a transition "
                      "bound; model '" + model_.name() + "' has none (use smoothing.exchange = \"allgather\")");
  // Exact fixed-point weights of time t: the global cumulative sum is the same on any layout.
  const auto fw = fixed_weights(comm_, logw_, N);
  std::vector<std::uint64_t> cum(n_loc_ + 1, 0);  // exclusive local prefix sums
  for (std::uint64_t l = 0; l < n_loc_; ++l) cum[l + 1] = cum[l] + fw.w[l];
  const std::int64_t cap = opt_.max_tries > 0 ? opt_.max_tries : static_cast<std::int64_t>(N);
  taun.assign(n_loc_ * m, 0.0);
  if (opt_.keep_history) backward.assign(n_loc_ * static_cast<std::size_t>(K), 0);
  std::vector<rng::Stream> streams;
  streams.reserve(n_loc_);
  for (std::uint64_t j = 0; j < n_loc_; ++j)
    streams.emplace_back(opt_.backward_seed ? opt_.backward_seed : opt_.seed, rng::purpose_backward, first_ + j,
                         static_cast<std::uint32_t>(tn));
  const std::size_t width = 1 + d + m;  // an answer: (J, ξ_t^J, τ_t^J)
  std::vector<int> done(n_loc_, 0), nb(n_loc_, B);
  std::vector<std::int64_t> tries(n_loc_, 0);
  std::vector<std::size_t> active;
  for (std::uint64_t j = 0; j < n_loc_; ++j)
    if (K > 0) active.push_back(j);
  std::vector<double> hbuf(m);
  std::vector<std::size_t> fallback;
  std::int64_t fallbacks = 0;
  while (comm_.allreduce(static_cast<long long>(active.size()), mpi::Op::sum) > 0) {
    // Requests: B tries per active particle, in particle order; each remembers where its answer will be.
    struct Try {
      int dest;
      std::size_t slot;
      double log_u;
    };
    std::vector<std::size_t> first_try(active.size() + 1, 0);
    for (std::size_t a = 0; a < active.size(); ++a) first_try[a + 1] = first_try[a] + static_cast<std::size_t>(nb[active[a]]);
    std::vector<Try> batch(first_try.back());
    std::vector<std::vector<std::uint64_t>> send(static_cast<std::size_t>(P));
    for (std::size_t a = 0; a < active.size(); ++a) {
      auto& s = streams[active[a]];
      for (int b = 0; b < nb[active[a]]; ++b) {
        const std::uint64_t p = s.below(fw.total);
        const double log_u = std::log(s.uniform());
        const auto r = static_cast<int>(
            std::upper_bound(fw.rank_offsets.begin(), fw.rank_offsets.end(), p) - fw.rank_offsets.begin() - 1);
        batch[first_try[a] + static_cast<std::size_t>(b)] = {r, send[static_cast<std::size_t>(r)].size(), log_u};
        send[static_cast<std::size_t>(r)].push_back(p);
      }
    }
    std::vector<int> rcounts;
    const auto points = comm_.alltoallv<std::uint64_t>(send, &rcounts);
    // Answers: (J, ξ_t^J, τ_t^J) per point, in the order received.
    std::vector<std::vector<double>> reply(static_cast<std::size_t>(P));
    std::size_t pos = 0;
    for (int r = 0; r < P; ++r)
      for (int c = 0; c < rcounts[static_cast<std::size_t>(r)]; ++c, ++pos) {
        const std::uint64_t local = points[pos] - fw.offset;
        const auto l = static_cast<std::size_t>(std::upper_bound(cum.begin(), cum.end(), local) - cum.begin() - 1);
        auto& out = reply[static_cast<std::size_t>(r)];
        out.push_back(static_cast<double>(first_ + l));  // exact: ids < 2^53
        out.insert(out.end(), x_.begin() + static_cast<std::ptrdiff_t>(l * d), x_.begin() + static_cast<std::ptrdiff_t>((l + 1) * d));
        out.insert(out.end(), tau_.begin() + static_cast<std::ptrdiff_t>(l * m), tau_.begin() + static_cast<std::ptrdiff_t>((l + 1) * m));
      }
    std::vector<int> acounts;
    const auto answers = comm_.alltoallv<double>(reply, &acounts);
    std::vector<std::size_t> base(static_cast<std::size_t>(P) + 1, 0);
    for (int r = 0; r < P; ++r) base[static_cast<std::size_t>(r) + 1] = base[static_cast<std::size_t>(r)] + static_cast<std::size_t>(acounts[static_cast<std::size_t>(r)]);
    // Accept–reject in particle order; the first accepted try of a batch is the draw.
    std::vector<std::size_t> still;
    for (std::size_t a = 0; a < active.size(); ++a) {
      const std::size_t j = active[a];
      const double* x = xn.data() + j * d;
      bool accepted = false;
      for (int b = 0; b < nb[j] && !accepted; ++b) {
        const auto& tr = batch[first_try[a] + static_cast<std::size_t>(b)];
        const double* ans = answers.data() + base[static_cast<std::size_t>(tr.dest)] + tr.slot * width;
        if (tr.log_u < model_.log_transition(tn, ans + 1, x) - lbound) {
          accepted = true;
          const auto J = static_cast<std::uint64_t>(ans[0]);
          if (!backward.empty()) backward[j * static_cast<std::size_t>(K) + static_cast<std::size_t>(done[j])] = J;
          h_->increment(t, ans + 1, x, hbuf.data());
          double* tau = taun.data() + j * m;
          for (std::size_t c = 0; c < m; ++c) tau[c] += ans[1 + d + c] + hbuf[c];
        }
      }
      tries[j] += nb[j];
      // A particle that keeps failing doubles its batch (its own history only, so the same on any layout): a
      // draw needs O(log(max_tries / batch)) rounds, not max_tries / batch.
      nb[j] = accepted ? B : static_cast<int>(std::min<std::int64_t>(2 * static_cast<std::int64_t>(nb[j]), std::max<std::int64_t>(1, cap - tries[j])));
      if (accepted) {
        tries[j] = 0;
        if (++done[j] == K) {
          for (std::size_t c = 0; c < m; ++c) taun[j * m + c] /= static_cast<double>(K);
          continue;
        }
      } else if (tries[j] >= cap) {
        fallback.push_back(j);
        continue;
      }
      still.push_back(j);
    }
    // Collective: exact draws for the particles that used up max_tries, J ∝ W_t^ℓ m(ξ_t^ℓ, x) over all ℓ — each
    // rank maps its terms to fixed point against the global maximum, so the cumulative sums (and J) are the same
    // on any layout; the point comes from the particle's own stream.
    {
      std::vector<double> mine;  // (global id, x) of this rank's fallback particles
      for (auto j : fallback) {
        mine.push_back(static_cast<double>(first_ + j));
        mine.insert(mine.end(), xn.begin() + static_cast<std::ptrdiff_t>(j * d), xn.begin() + static_cast<std::ptrdiff_t>((j + 1) * d));
      }
      const auto all = comm_.allgatherv<double>(mine);
      const std::size_t nf = all.size() / (1 + d);
      if (nf > 0) {
        std::vector<double> lv(nf * n_loc_), mx(nf, -std::numeric_limits<double>::infinity());
        for (std::size_t f = 0; f < nf; ++f)
          for (std::uint64_t l = 0; l < n_loc_; ++l) {
            const double v = logw_[l] + model_.log_transition(tn, x_.data() + l * d, all.data() + f * (1 + d) + 1);
            lv[f * n_loc_ + l] = v;
            mx[f] = std::max(mx[f], v);
          }
        for (auto& v : mx) v = comm_.allreduce(v, mpi::Op::max);
        const int shift = fixed_shift(N);
        std::vector<unsigned long long> sums(nf, 0);
        std::vector<std::uint64_t> fixed(nf * n_loc_);
        for (std::size_t f = 0; f < nf; ++f)
          for (std::uint64_t l = 0; l < n_loc_; ++l) sums[f] += fixed[f * n_loc_ + l] = to_fixed(lv[f * n_loc_ + l], mx[f], shift);
        const auto rank_sums = comm_.allgatherv<unsigned long long>(sums);  // [rank][f]
        // Requests: the owner of each fallback point; index of f in the global list is known from `all`.
        std::vector<std::vector<std::uint64_t>> fsend(static_cast<std::size_t>(P));
        std::vector<std::pair<std::size_t, int>> where;  // (fallback j, destination) in order
        std::size_t f0 = 0;  // this rank's first entry in the global list
        {
          std::vector<int> counts = comm_.allgather(static_cast<int>(fallback.size()));
          for (int r = 0; r < comm_.rank(); ++r) f0 += static_cast<std::size_t>(counts[static_cast<std::size_t>(r)]);
        }
        for (std::size_t a = 0; a < fallback.size(); ++a) {
          const std::size_t f = f0 + a;
          unsigned long long total = 0;
          for (int r = 0; r < P; ++r) total += rank_sums[static_cast<std::size_t>(r) * nf + f];
          const std::uint64_t p = streams[fallback[a]].below(total);
          unsigned long long acc = 0;
          int r = 0;
          while (r + 1 < P && acc + rank_sums[static_cast<std::size_t>(r) * nf + f] <= p) acc += rank_sums[static_cast<std::size_t>(r++) * nf + f];
          fsend[static_cast<std::size_t>(r)].push_back(f);
          fsend[static_cast<std::size_t>(r)].push_back(p - acc);
          where.emplace_back(fallback[a], r);
        }
        std::vector<int> fcounts;
        const auto freq = comm_.alltoallv<std::uint64_t>(fsend, &fcounts);
        std::vector<std::vector<double>> frep(static_cast<std::size_t>(P));
        std::size_t q = 0;
        for (int r = 0; r < P; ++r)
          for (int c = 0; c < fcounts[static_cast<std::size_t>(r)]; c += 2, q += 2) {
            const std::size_t f = freq[q];
            std::uint64_t left = freq[q + 1];
            std::uint64_t l = 0;
            while (l + 1 < n_loc_ && left >= fixed[f * n_loc_ + l]) left -= fixed[f * n_loc_ + l++];
            auto& out = frep[static_cast<std::size_t>(r)];
            out.push_back(static_cast<double>(first_ + l));
            out.insert(out.end(), x_.begin() + static_cast<std::ptrdiff_t>(l * d), x_.begin() + static_cast<std::ptrdiff_t>((l + 1) * d));
            out.insert(out.end(), tau_.begin() + static_cast<std::ptrdiff_t>(l * m), tau_.begin() + static_cast<std::ptrdiff_t>((l + 1) * m));
          }
        std::vector<int> rc;
        const auto fans = comm_.alltoallv<double>(frep, &rc);
        std::vector<std::size_t> next(static_cast<std::size_t>(P) + 1, 0);
        for (int r = 0; r < P; ++r) next[static_cast<std::size_t>(r) + 1] = next[static_cast<std::size_t>(r)] + static_cast<std::size_t>(rc[static_cast<std::size_t>(r)]);
        for (const auto& [j, r] : where) {  // answers from rank r arrive in the order they were asked
          const double* ans = fans.data() + next[static_cast<std::size_t>(r)];
          next[static_cast<std::size_t>(r)] += width;
          const double* x = xn.data() + j * d;
          if (!backward.empty()) backward[j * static_cast<std::size_t>(K) + static_cast<std::size_t>(done[j])] = static_cast<std::uint64_t>(ans[0]);
          h_->increment(t, ans + 1, x, hbuf.data());
          double* tau = taun.data() + j * m;
          for (std::size_t c = 0; c < m; ++c) tau[c] += ans[1 + d + c] + hbuf[c];
          tries[j] = 0;
          nb[j] = B;
          ++fallbacks;
          if (++done[j] == K) {
            for (std::size_t c = 0; c < m; ++c) tau[c] /= static_cast<double>(K);
          } else {
            still.push_back(j);
          }
        }
      }
    }
    fallback.clear();
    std::sort(still.begin(), still.end());
    active = std::move(still);
  }
  rec.fallbacks = comm_.allreduce(static_cast<long long>(fallbacks), mpi::Op::sum);
}

void ParticleFilter::start() {
  t_ = 0;
  loglik_ = 0.0;
  records_.clear();
  hist_x_.clear();
  hist_j_.clear();
  const bool conditional = !ref_.empty();
  const std::uint64_t N = opt_.particles;
  const double lw0 = -std::log(static_cast<double>(N));
  x_.assign(n_loc_ * static_cast<std::size_t>(d_), 0.0);
  std::vector<double> lw(n_loc_);
  const double* y = obs_.at(0);
#pragma omp parallel for schedule(static)
  for (std::int64_t j = 0; j < static_cast<std::int64_t>(n_loc_); ++j) {
    const std::uint64_t g = first_ + static_cast<std::uint64_t>(j);
    double* x = x_.data() + static_cast<std::size_t>(j) * static_cast<std::size_t>(d_);
    if (conditional && g == N - 1) {
      std::copy_n(ref_.data(), d_, x);
    } else {
      rng::Stream s(opt_.seed, rng::purpose_init, g, 0);
      if (opt_.guided)
        model_.sample_proposal(0, nullptr, y, s, x);
      else
        model_.sample_initial(s, x);
    }
    double l = lw0 + model_.log_observation(0, x, y);
    if (opt_.guided) l += model_.log_initial(x) - model_.log_proposal(0, nullptr, y, x);
    lw[static_cast<std::size_t>(j)] = l;
  }
  StepRecord rec;
  normalise(lw, rec);
  logw_ = std::move(lw);
  if (h_) {
    tau_.assign(n_loc_ * static_cast<std::size_t>(m_), 0.0);
#pragma omp parallel for schedule(static)
    for (std::int64_t j = 0; j < static_cast<std::int64_t>(n_loc_); ++j)
      h_->initial(x_.data() + static_cast<std::size_t>(j) * static_cast<std::size_t>(d_),
                  tau_.data() + static_cast<std::size_t>(j) * static_cast<std::size_t>(m_));
  }
  moments(rec);
  records_.push_back(std::move(rec));
  remember({});
}

void ParticleFilter::step() {
  SAMPO_VERIFY(t_ >= 0 && !finished(), "step() before start() or after the last observation");
  const int t = t_, tn = t_ + 1;
  const bool conditional = !ref_.empty();
  const std::uint64_t N = opt_.particles;
  const auto d = static_cast<std::size_t>(d_), m = static_cast<std::size_t>(m_);
  const int P = comm_.size();
  // Only the batched bootstrap propagation reads logw_ through lw_shift_, and resampling reads wexp_: every other
  // path reads the normalised log-weights.
  if (opt_.islands > 0 || h_ || opt_.guided || model_.transition_noise_dim() == 0 || !wexp_valid_) normalised();

  // Global view of time t for the backward draws (an Allgather; the local arrays when P = 1).
  std::vector<double> gx_buf, glw_buf, gtau_buf;
  const double *gx = x_.data(), *glw = logw_.data(), *gtau = tau_.data();
  if (h_ && P > 1 && !opt_.remote_requests) {
    gx_buf = gather(comm_, x_);
    glw_buf = gather(comm_, logw_);
    gtau_buf = gather(comm_, tau_);
    gx = gx_buf.data(), glw = glw_buf.data(), gtau = gtau_buf.data();
  }

  // Resampling and rebalancing.
  StepRecord rec;
  const bool islands = opt_.islands > 0;
  const bool resample =
      islands || conditional || records_.back().ess < opt_.ess_threshold * static_cast<double>(N);
  rec.resampled = resample ? 1 : 0;
  std::vector<double> px, plw;
  std::vector<std::uint64_t> anc = std::move(anc_);  // last step's buffer, reused
  anc_.clear();
  // Systematic: the ancestors come straight from the points, and propagation reads each parent where it is (no
  // offspring counts, no copied population; parents from other ranks are appended to x_).
  const bool fused = !islands && !conditional && opt_.scheme == Scheme::systematic;
  const std::uint64_t* parent_idx = nullptr;  // parent of local particle j: x_[parent_idx[j]] (fused) or j
  bool identity = false;
  if (islands) {
    island_resample(t, px, plw, anc, rec);  // parents always in px/plw
  } else if (resample && fused) {
    auto fw = wexp_valid_ ? fixed_from_exp(comm_, wexp_, N, std::move(spare_w_))
                          : fixed_weights(comm_, logw_, N, std::move(spare_w_));
    if (P == 1) {
      systematic_ancestors(fw, N, opt_.seed, static_cast<std::uint32_t>(t), 0, anc);
      parent_idx = anc.data();
    } else {
      systematic_rebalance(comm_, fw, N, opt_.seed, static_cast<std::uint32_t>(t), layout_, first_, x_, d, anc,
                           parent_);
      parent_idx = parent_.data();
    }
    spare_w_ = std::move(fw.w);
  } else if (resample) {
    const auto fw = wexp_valid_ ? fixed_from_exp(comm_, wexp_, N) : fixed_weights(comm_, logw_, N);
    const std::uint64_t n_out = conditional ? N - 1 : N;
    const auto counts = offspring(comm_, fw, conditional ? Scheme::multinomial : opt_.scheme, n_out, N, opt_.seed,
                                  static_cast<std::uint32_t>(t));
    if (P == 1) {  // ancestors only; propagation reads the parents in place
      anc = rebalance(comm_, counts, std::span<const double>{}, 0, first_, layout_, n_out).ancestors;
      if (conditional) anc.push_back(N - 1);  // the frozen slot's parent: x_'s slot N − 1 holds ζ_t
      parent_idx = anc.data();
    } else {
      auto moved = rebalance(comm_, counts, x_, d, first_, layout_, n_out);
      px = std::move(moved.records);
      anc = std::move(moved.ancestors);
      if (conditional && first_ + n_loc_ == N) {  // the frozen slot's parent is the reference itself
        px.insert(px.end(), ref_.begin() + static_cast<std::ptrdiff_t>(t * d_),
                  ref_.begin() + static_cast<std::ptrdiff_t>((t + 1) * d_));
        anc.push_back(N - 1);
      }
    }
  } else if (h_) {  // the MH backward sampler starts from the ancestor
    anc.resize(n_loc_);
    for (std::uint64_t j = 0; j < n_loc_; ++j) anc[j] = first_ + j;
  } else {
    identity = true;  // anc keeps its storage (stale values); ancestors() writes the identity if asked
  }
  SAMPO_VERIFY(identity || anc.size() == n_loc_, "resampling left the wrong number of particles on a rank");
  const double* parent_x = px.empty() ? x_.data() : px.data();  // (parent_idx set: parents read in place)
  // Parents' log-weights: islands keep theirs, resampled parents all have −log N, otherwise last step's.
  const double* parent_lw = islands ? plw.data() : resample ? nullptr : logw_.data();
  const double lw_uniform = -std::log(static_cast<double>(N));

  // Propagation and weighting (buffers reused from the previous step: no allocation, no page faults).
  std::vector<double> xn = std::move(spare_x_), lw = std::move(spare_lw_);
  xn.resize(n_loc_ * d);
  lw.resize(n_loc_);
  const double* y = obs_.at(tn);
  const int noise = opt_.guided ? 0 : model_.transition_noise_dim();
  double local_max = -std::numeric_limits<double>::infinity();
  if (noise > 0) {
    // Batched bootstrap step: ε for kBatch particles at once (core::rng batches: the ziggurat, four particles per
    // Philox block, when the noise is scalar), then the model's block transition and observation density. A particle's
    // values depend only on its global id, never on the block it falls in.
    constexpr std::size_t kBatch = 1024;
    const std::size_t blocks = (n_loc_ + kBatch - 1) / kBatch;
#pragma omp parallel reduction(max : local_max)
    {
      std::vector<double> eps(kBatch * static_cast<std::size_t>(noise)), lo(kBatch), pbuf(parent_idx ? kBatch * d : 0);
#pragma omp for schedule(static)
      for (std::int64_t bb = 0; bb < static_cast<std::int64_t>(blocks); ++bb) {
        const std::size_t j0 = static_cast<std::size_t>(bb) * kBatch, n = std::min(kBatch, n_loc_ - j0);
        if (noise == 1)
          rng::normals_ziggurat(opt_.seed, rng::purpose_transition, first_ + j0, static_cast<std::uint32_t>(tn), n,
                                eps.data());
        else
          rng::normals(opt_.seed, rng::purpose_transition, first_ + j0, static_cast<std::uint32_t>(tn), n, noise,
                       eps.data());
        const double* from = parent_x + j0 * d;
        if (parent_idx) {  // gather this block's parents (fused resampling)
          if (d == 1) {
            gather1(x_.data(), parent_idx + j0, n, pbuf.data());
          } else {
            for (std::size_t i = 0; i < n; ++i)
              for (std::size_t c = 0; c < d; ++c) pbuf[i * d + c] = x_[parent_idx[j0 + i] * d + c];
          }
          from = pbuf.data();
        }
        model_.transition_from_noise(tn, n, from, eps.data(), xn.data() + j0 * d);
        if (conditional && first_ + j0 + n == N)  // the frozen slot N − 1 is in this block
          std::copy_n(ref_.data() + static_cast<std::size_t>(tn) * d, d, xn.data() + (j0 + n - 1) * d);
        model_.log_observation_batch(tn, n, xn.data() + j0 * d, y, lo.data());
        local_max = add_and_max(parent_lw ? parent_lw + j0 : nullptr, lw_shift_, lw_uniform, lo.data(), n,
                                lw.data() + j0, local_max);
      }
    }
  } else {
#pragma omp parallel for schedule(static) reduction(max : local_max)
  for (std::int64_t jj = 0; jj < static_cast<std::int64_t>(n_loc_); ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    const std::uint64_t g = first_ + j;
    const double* xp = parent_idx ? x_.data() + parent_idx[j] * d : parent_x + j * d;
    double* x = xn.data() + j * d;
    if (conditional && g == N - 1) {
      std::copy_n(ref_.data() + static_cast<std::size_t>(tn) * d, d, x);
    } else {
      rng::Stream s(opt_.seed, rng::purpose_transition, g, static_cast<std::uint32_t>(tn));
      if (opt_.guided)
        model_.sample_proposal(tn, xp, y, s, x);
      else
        model_.sample_transition(tn, xp, s, x);
    }
    double l = (parent_lw ? parent_lw[j] : lw_uniform) + model_.log_observation(tn, x, y);
    if (opt_.guided) l += model_.log_transition(tn, xp, x) - model_.log_proposal(tn, xp, y, x);
    lw[j] = l;
    local_max = std::max(local_max, std::isnan(l) ? std::numeric_limits<double>::infinity() : l);
  }
  }
  normalise(lw, rec, local_max);

  // PaRIS backward draws.
  std::vector<double> taun;
  std::vector<std::uint64_t> backward;
  if (h_ && opt_.remote_requests) {
    paris_by_requests(t, xn, taun, backward, rec);
  } else if (h_) {
    const int K = opt_.backward_draws;
    taun.assign(n_loc_ * m, 0.0);
    if (opt_.keep_history) backward.assign(n_loc_ * static_cast<std::size_t>(K), 0);
    std::vector<double> wt(N);
    simd::exp_shifted(glw, 0.0, N, wt.data());  // W_t (the same SIMD exp as every particle weight)
    const rng::AliasTable alias(wt);
    const double lbound = model_.log_transition_bound(tn);
    const bool have_bound = std::isfinite(lbound);
    std::int64_t fallbacks = 0;
#pragma omp parallel reduction(+ : fallbacks)
    {
      std::vector<double> scratch(N), hbuf(m);
      auto exact_draw = [&](const double* x, rng::Stream& s) -> std::uint64_t {
        double mx = -std::numeric_limits<double>::infinity();
        for (std::uint64_t l = 0; l < N; ++l) {
          scratch[l] = glw[l] + model_.log_transition(tn, gx + l * d, x);
          mx = std::max(mx, scratch[l]);
        }
        double tot = 0.0;
        for (std::uint64_t l = 0; l < N; ++l) tot += (scratch[l] = std::exp(scratch[l] - mx));
        const double u = s.uniform() * tot;
        double c = 0.0;
        for (std::uint64_t l = 0; l < N; ++l) {
          c += scratch[l];
          if (u < c) return l;
        }
        std::uint64_t last = N - 1;  // round-off: the last particle with positive weight
        while (last > 0 && scratch[last] == 0.0) --last;
        return last;
      };
      // Independent MH from J = A^i with proposal Cat(W_t): exact for the multinomial bootstrap filter.
      auto mh_draw = [&](std::uint64_t start, const double* x, rng::Stream& s) -> std::uint64_t {
        std::uint64_t J = start;
        double lm = model_.log_transition(tn, gx + J * d, x);
        for (int st = 0; st < opt_.mh_steps; ++st) {
          const std::uint64_t Jp = alias.sample(s);
          const double lmp = model_.log_transition(tn, gx + Jp * d, x);
          if (std::log(s.uniform()) < lmp - lm) J = Jp, lm = lmp;
        }
        return J;
      };
#pragma omp for schedule(static)
      for (std::int64_t jj = 0; jj < static_cast<std::int64_t>(n_loc_); ++jj) {
        const auto j = static_cast<std::size_t>(jj);
        const std::uint64_t g = first_ + j;
        const double* x = xn.data() + j * d;
        double* tau = taun.data() + j * m;
        rng::Stream s(opt_.backward_seed ? opt_.backward_seed : opt_.seed, rng::purpose_backward, g, static_cast<std::uint32_t>(tn));
        const bool frozen = conditional && g == N - 1;
        for (int k = 0; k < K; ++k) {
          std::uint64_t J = 0;
          if (opt_.backward == Backward::exact || (opt_.backward == Backward::rejection && !have_bound) ||
              (opt_.backward == Backward::mh && frozen)) {
            J = exact_draw(x, s);
          } else if (opt_.backward == Backward::rejection) {
            bool accepted = false;
            for (std::int64_t tries = 0; tries < opt_.max_tries; ++tries) {
              J = alias.sample(s);
              if (std::log(s.uniform()) < model_.log_transition(tn, gx + J * d, x) - lbound) {
                accepted = true;
                break;
              }
            }
            if (!accepted) {
              J = opt_.mh_fallback && !frozen ? mh_draw(anc[j], x, s) : exact_draw(x, s);
              ++fallbacks;
            }
          } else {
            J = mh_draw(anc[j], x, s);
          }
          if (!backward.empty()) backward[j * static_cast<std::size_t>(K) + static_cast<std::size_t>(k)] = J;
          h_->increment(t, gx + J * d, x, hbuf.data());
          for (std::size_t c = 0; c < m; ++c) tau[c] += gtau[J * m + c] + hbuf[c];
        }
        for (std::size_t c = 0; c < m; ++c) tau[c] /= static_cast<double>(K);
      }
    }
    rec.fallbacks = comm_.allreduce(static_cast<long long>(fallbacks), mpi::Op::sum);
  }

  spare_x_ = std::move(x_);
  spare_lw_ = std::move(logw_);
  x_ = std::move(xn);
  logw_ = std::move(lw);
  anc_ = std::move(anc);
  anc_identity_ = identity;
  tau_ = std::move(taun);
  t_ = tn;
  moments(rec);
  records_.push_back(std::move(rec));
  remember(backward);
}

std::vector<double> ParticleFilter::estimate() const {
  SAMPO_VERIFY(h_ != nullptr, "estimate() needs a functional");
  normalised();
  const auto m = static_cast<std::size_t>(m_);
  return exact_sums(comm_, n_loc_, m_, [&](std::size_t i, double* out) {
    const double w = std::exp(logw_[i]);
    for (std::size_t c = 0; c < m; ++c) out[c] = w * tau_[i * m + c];
  });
}

std::vector<double> ParticleFilter::select_path(std::uint64_t seed) const {
  SAMPO_VERIFY(opt_.keep_history && h_ && finished(), "select_path() needs keep_history, a functional and a full run");
  const std::uint64_t N = opt_.particles;
  const int n = obs_.steps(), K = opt_.backward_draws;
  const auto d = static_cast<std::size_t>(d_);
  rng::Stream s(seed, purpose_path, 0, 0);
  // b_n ~ Cat(W_n) by inversion over fixed-point weights (exact, identical on every rank).
  double mx = -std::numeric_limits<double>::infinity();
  for (double v : final_logw_) mx = std::max(mx, v);
  const int shift = fixed_shift(N);
  std::uint64_t total = 0;
  for (double v : final_logw_) total += to_fixed(v, mx, shift);
  const std::uint64_t u = s.below(total);
  std::uint64_t b = 0, c = 0;
  for (; b < N; ++b) {
    c += to_fixed(final_logw_[b], mx, shift);
    if (u < c) break;
  }
  std::vector<double> path(static_cast<std::size_t>(n + 1) * d);
  for (int t = n; t >= 0; --t) {
    std::copy_n(hist_x_[static_cast<std::size_t>(t)].data() + b * d, d, path.data() + static_cast<std::size_t>(t) * d);
    if (t > 0) b = hist_j_[static_cast<std::size_t>(t - 1)][b * static_cast<std::uint64_t>(K) + s.below(static_cast<std::uint64_t>(K))];
  }
  return path;
}

void ParticleFilter::save(const io::Group& g) const {
  const auto o = checkpoint::Manager::dataset_options();
  g.set_attr("t", static_cast<std::int64_t>(t_));
  g.set_attr("loglik", loglik_);
  g.set_attr("particles", static_cast<std::int64_t>(opt_.particles));
  g.write_rows<double>("x", x_, static_cast<std::uint64_t>(d_), o);
  normalised();
  g.write_distributed<double>("logw", logw_, o);
  // The next step resamples from wexp_ (filter.cpp step()): it travels with the checkpoint so that the restarted run
  // draws the same offspring.
  const bool next_resamples = opt_.islands == 0 && !records_.empty() &&
                              records_.back().ess < opt_.ess_threshold * static_cast<double>(opt_.particles);
  if (wexp_valid_ && next_resamples) g.write_distributed<double>("wexp", wexp_, o);
  if (m_ > 0) g.write_rows<double>("tau", tau_, static_cast<std::uint64_t>(m_), o);
  std::vector<double> ll, ess, mean, var;
  std::vector<std::int64_t> res, fb;
  for (const auto& r : records_) {
    ll.push_back(r.loglik_increment);
    ess.push_back(r.ess);
    res.push_back(r.resampled);
    fb.push_back(r.fallbacks);
    mean.insert(mean.end(), r.mean.begin(), r.mean.end());
    var.insert(var.end(), r.var.begin(), r.var.end());
  }
  g.write_replicated<double>("rec_loglik", ll, {}, o);
  g.write_replicated<double>("rec_ess", ess, {}, o);
  g.write_replicated<std::int64_t>("rec_resampled", res, {}, o);
  g.write_replicated<std::int64_t>("rec_fallbacks", fb, {}, o);
  if (!mean.empty()) {  // (filter.moments)
    g.write_replicated<double>("rec_mean", mean, {}, o);
    g.write_replicated<double>("rec_var", var, {}, o);
  }
}

void ParticleFilter::load(const io::Group& g) {
  SAMPO_VERIFY(ref_.empty() && !opt_.keep_history, "conditional filters are restarted from their PPG state");
  const auto n = g.attr_int("particles");
  if (static_cast<std::uint64_t>(n) != opt_.particles)
    throw CheckpointError("checkpoint holds " + std::to_string(n) + " particles but filter.particles = " +
                          std::to_string(opt_.particles) + " (they must match to continue the run)", true);
  t_ = static_cast<int>(g.attr_int("t"));
  loglik_ = g.attr_double("loglik");
  x_ = g.read_part<double>("x", first_, n_loc_);
  logw_ = g.read_part<double>("logw", first_, n_loc_);
  lw_shift_ = 0.0;
  wexp_valid_ = g.exists("wexp");  // (absent: the next step does not resample, or an older checkpoint)
  if (wexp_valid_) wexp_ = g.read_part<double>("wexp", first_, n_loc_);
  if (m_ > 0) tau_ = g.read_part<double>("tau", first_, n_loc_);
  const auto ll = g.read_all<double>("rec_loglik"), ess = g.read_all<double>("rec_ess");
  const auto res = g.read_all<std::int64_t>("rec_resampled"), fb = g.read_all<std::int64_t>("rec_fallbacks");
  const bool have_moments = g.exists("rec_mean");
  const auto mean = have_moments ? g.read_all<double>("rec_mean") : std::vector<double>{};
  const auto var = have_moments ? g.read_all<double>("rec_var") : std::vector<double>{};
  records_.assign(ll.size(), {});
  const auto d = static_cast<std::size_t>(d_);
  for (std::size_t i = 0; i < ll.size(); ++i) {
    auto& r = records_[i];
    r.loglik_increment = ll[i], r.ess = ess[i], r.resampled = static_cast<int>(res[i]), r.fallbacks = fb[i];
    if (mean.size() >= (i + 1) * d) {
      r.mean.assign(mean.begin() + static_cast<std::ptrdiff_t>(i * d), mean.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
      r.var.assign(var.begin() + static_cast<std::ptrdiff_t>(i * d), var.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
    }
  }
}

}  // namespace sampo::smc
