// Times ip-dop853's memory traffic outside FFTW, without its arithmetic, for the benchmark's traffic floor
// (tests/perf/nlse_bench.sh, table 3). Not a test.
//   nlse_traffic_time N [REPEATS]   →  prints "N ns_per_point_per_step median_ns"
// N is the rank's point count. One "step" makes the array passes of Stepper::ip_try on N complex modes, with the
// same arrays (y, the FSAL stage, K1..K11, FFTW's buffer, y_new, d: cvec, huge pages) and the same terms (the
// nonzero entries of DOP853's A, B, E5, E3), each pass one sweep:
//   - stage 1's input: read y and K0, write the buffer;
//   - stages 1..10: read the buffer, write K_st, read K_st (from L1) and the other terms of A[st + 1] and y, write
//     the buffer (the fused output/input pass of ip_try);
//   - stage 11: read the buffer, write K11;
//   - the final sums: read y and the K of every nonzero B/E5/E3 entry, write y_new, d and the buffer;
//   - the nonlinear term: 12 sweeps reading and writing the buffer (in x space it is the same array).
// The arithmetic is the stage sums' multiply-adds only (no phase factors, no complex products, no error norm), so
// the time is what streaming these bytes costs at this N: the FFT-only bound plus this time is a floor that no
// implementation of the same passes can beat (the FFTs and the passes cannot overlap: each needs the other's
// output). Each repeat times at least 0.25 s of steps; the first column is the minimum over the repeats.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/simd/clones.hpp"
#include "nlse/dop853_coefficients.hpp"
#include "nlse/grid.hpp"

namespace {
using sampo::nlse::cvec;
namespace dp = sampo::nlse::dop853;
double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double* as_doubles(cvec& v) {
  return reinterpret_cast<double*>(v.data());
}
struct Terms {
  std::vector<double> coef;
  std::vector<const double*> k;
};
// out[j] = y[j] + Σ coef_i k_i[j] for j in [o, o + n2) (the solver's register-blocked sum, 16 doubles at a time).
[[gnu::always_inline]] inline void sweep(const Terms& t, const double* y, double* out, std::int64_t o,
                                         std::int64_t n2) {
  const std::size_t m = t.k.size();
  for (std::int64_t j = o; j < o + n2; j += 16) {
    double s[16];
    for (int r = 0; r < 16; ++r) s[r] = y[j + r];
    for (std::size_t i = 0; i < m; ++i) {
      const double* ki = t.k[i] + j;
      const double c = t.coef[i];
      for (int r = 0; r < 16; ++r) s[r] += c * ki[r];
    }
    for (int r = 0; r < 16; ++r) out[j + r] = s[r];
  }
}
// One step's passes (see the top), in AVX-512/AVX2/baseline clones like the solver's kernels.
SAMPO_CLONES void one_step(const std::vector<Terms>& stage, const Terms& fb, const Terms& f5, const Terms& f3,
                           const double* yp, double* b, std::vector<cvec>& K, cvec& yn, cvec& d, std::int64_t n2) {
  sweep(stage[0], yp, b, 0, n2);
  for (int st = 1; st < dp::n_stages; ++st) {
    for (std::int64_t j = 0; j < n2; ++j) b[j] *= 0.999;  // the nonlinear term in x space: read and write the buffer
    double* k = as_doubles(K[static_cast<std::size_t>(st)]);
    if (st + 1 < dp::n_stages) {  // fused: K_st from the buffer, then stage st + 1's input into the buffer
      for (std::int64_t j0 = 0; j0 < n2; j0 += 512) {
        const std::int64_t j1 = std::min(n2, j0 + 512);
        for (std::int64_t j = j0; j < j1; ++j) k[j] = b[j];
        sweep(stage[static_cast<std::size_t>(st)], yp, b, j0, j1 - j0);
      }
    } else {
      for (std::int64_t j = 0; j < n2; ++j) k[j] = b[j];
    }
  }
  for (std::int64_t j = 0; j < n2; ++j) b[j] *= 0.999;  // the FSAL stage's nonlinear term
  double* pn = as_doubles(yn);
  double* pd = as_doubles(d);
  const std::size_t m = fb.k.size();
  for (std::int64_t j = 0; j < n2; j += 8) {  // the final sums: y_new, and e5/e3 folded into d and the buffer
    double s[8], e5[8], e3[8];
    for (int r = 0; r < 8; ++r) s[r] = yp[j + r], e5[r] = 0.0, e3[r] = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      const double* ki = fb.k[i] + j;
      for (int r = 0; r < 8; ++r) s[r] += fb.coef[i] * ki[r], e5[r] += f5.coef[i] * ki[r], e3[r] += f3.coef[i] * ki[r];
    }
    for (int r = 0; r < 8; ++r) pn[j + r] = s[r], pd[j + r] = e5[r], b[j + r] = e3[r] + s[r];
  }
}
}  // namespace

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 65536;
  if (n < 8) {
    std::fprintf(stderr, "usage: nlse_traffic_time N [REPEATS]\n  N: points on the rank, at least 8 (got '%s')\n",
                 argc > 1 ? argv[1] : "");
    return 2;
  }
  const int repeats = std::max(1, argc > 2 ? std::atoi(argv[2]) : 5);
  const std::int64_t n2 = 2 * ((n + 7) / 8 * 8);  // doubles, padded to whole blocks
  const auto len = static_cast<std::size_t>(n2 / 2);
  auto field = [&](double f) {
    cvec v(len);
    for (std::size_t j = 0; j < len; ++j) v[j] = {std::cos(f * static_cast<double>(j)), 0.1 * f};
    return v;
  };
  cvec y = field(1e-3), buf = field(2e-3), yn(len), d(len);
  std::vector<cvec> K;
  for (int i = 0; i < dp::n_stages; ++i) K.push_back(field(1e-4 * (i + 1)));
  auto row = [&](const double* a, int count) {
    Terms t;
    for (int i = 0; i < count; ++i)
      if (a[i] != 0.0) t.coef.push_back(a[i] * 1e-3), t.k.push_back(as_doubles(K[static_cast<std::size_t>(i)]));
    return t;
  };
  std::vector<Terms> stage;
  for (int st = 1; st < dp::n_stages; ++st) stage.push_back(row(dp::A[st], st));
  Terms fb, f5, f3;  // the final sums: three rows over the K with any nonzero weight (read once, as final_kernel)
  for (int i = 0; i < dp::n_stages; ++i)
    if (dp::B[i] != 0.0 || dp::E5[i] != 0.0 || dp::E3[i] != 0.0) {
      fb.coef.push_back(dp::B[i] * 1e-3), fb.k.push_back(as_doubles(K[static_cast<std::size_t>(i)]));
      f5.coef.push_back(dp::E5[i] * 1e-3), f3.coef.push_back(dp::E3[i] * 1e-3);
    }
  double* b = as_doubles(buf);
  const double* yp = as_doubles(y);
  auto step = [&]() { one_step(stage, fb, f5, f3, yp, b, K, yn, d, n2); };
  // Calibrate to ≥ 0.25 s per repeat, then the minimum and median over the repeats (ns per point per step).
  step();
  const double t0 = wall_now();
  int cal = 0;
  while (wall_now() - t0 < 0.05) step(), ++cal;
  const int reps = std::max(3, static_cast<int>(std::ceil(0.25 / ((wall_now() - t0) / cal))));
  std::vector<double> per;
  for (int r = 0; r < repeats; ++r) {
    const double w0 = wall_now();
    for (int i = 0; i < reps; ++i) step();
    per.push_back(1e9 * (wall_now() - w0) / reps / static_cast<double>(n));
  }
  std::sort(per.begin(), per.end());
  volatile double sink = 0.0;  // the results are read: the passes cannot be optimised away
  for (std::size_t j = 0; j < len; j += 97) sink = sink + std::abs(yn[j]) + std::abs(d[j]);
  std::printf("%lld %.1f %.1f\n", static_cast<long long>(n), per.front(), per[per.size() / 2]);
  return 0;
}
