// Identical results across rank and thread counts: a filter (every scheme, both proposals, every backward
// sampler) and PPG chains run on all ranks equal, bit for bit, the same run on one rank with 1 and 3 threads.
#include <gtest/gtest.h>
#include <mpi.h>
#include <omp.h>

#include <limits>

#include "smc/filter.hpp"
#include "smc/ppg.hpp"

namespace sampo::smc {
namespace {

struct Outcome {
  double loglik = 0;
  std::vector<double> x, est, ess, mean;
};

Outcome run(const mpi::Communicator& comm, const FilterOptions& o, const Model& m, const Observations& y,
            const Functional& h) {
  ParticleFilter f(comm, m, y, &h, o);
  f.run();
  Outcome r;
  r.loglik = f.loglik();
  r.x = comm.allgatherv<double>(f.states());
  r.est = f.estimate();
  for (const auto& rec : f.records()) r.ess.push_back(rec.ess), r.mean.push_back(rec.mean.at(0));
  return r;
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& what) {
  EXPECT_EQ(a.loglik, b.loglik) << what;
  EXPECT_EQ(a.x, b.x) << what;
  EXPECT_EQ(a.est, b.est) << what;
  EXPECT_EQ(a.ess, b.ess) << what;
  EXPECT_EQ(a.mean, b.mean) << what;
}

TEST(Filter, BitwiseIdenticalAcrossRanksAndThreads) {
  const mpi::Communicator world(MPI_COMM_WORLD), self(MPI_COMM_SELF);
  ScalarLinearGaussian m(0.9, 1.0, 1.0, 0.0, 2.0);
  const auto y = simulate(m, 25, 3);
  Composite h;
  h.add(std::make_unique<SumCross>(1));
  h.add(std::make_unique<Score>(m, y));
  struct Case {
    Scheme s;
    bool guided;
    Backward b;
    double ess;
    bool mh_fallback = false;
    bool requests = false;  // PaRIS by batched requests instead of the Allgather
  };
  for (const auto& c : {Case{Scheme::systematic, false, Backward::rejection, 0.5},
                        Case{Scheme::multinomial, false, Backward::mh, 1.0},
                        Case{Scheme::stratified, true, Backward::rejection, 0.7},
                        Case{Scheme::residual, false, Backward::exact, 1.0},
                        Case{Scheme::systematic, false, Backward::rejection, 1.0, true},
                        Case{Scheme::stratified, false, Backward::rejection, 0.6, false, true}}) {
    FilterOptions o;
    o.particles = 61;
    o.scheme = c.s;
    o.guided = c.guided;
    o.backward = c.b;
    o.ess_threshold = c.ess;
    o.max_tries = 3;  // exercise the fallback too
    o.mh_fallback = c.mh_fallback;
    o.remote_requests = c.requests;
    if (c.requests) o.max_tries = 8;  // (a multiple of the request batch: exercises the exact fallback too)
    o.seed = 17;
    const auto dist = run(world, o, m, y, h);
    omp_set_num_threads(1);
    const auto one = run(self, o, m, y, h);
    omp_set_num_threads(3);
    const auto three = run(self, o, m, y, h);
    omp_set_num_threads(1);
    const std::string what =
        to_string(c.s) + (c.guided ? " guided " : " bootstrap ") + to_string(c.b) + (c.requests ? " requests" : "");
    expect_same(dist, one, what + " (ranks)");
    expect_same(three, one, what + " (threads)");
  }
}

TEST(Filter, IslandModeBitwiseIdenticalAcrossRanksAndThreads) {
  // 12 islands of 7 (a multiple of every tested rank count); thresholds high enough that both islands and
  // particles inside islands are resampled (checked: the test must exercise both paths).
  const mpi::Communicator world(MPI_COMM_WORLD), self(MPI_COMM_SELF);
  ScalarLinearGaussian m(0.9, 1.0, 0.5, 0.0, 2.0);
  const auto y = simulate(m, 30, 4);
  auto go = [&](const mpi::Communicator& comm, const FilterOptions& o, int* flags) {
    ParticleFilter f(comm, m, y, nullptr, o);
    f.run();
    Outcome r;
    r.loglik = f.loglik();
    r.x = comm.allgatherv<double>(f.states());
    for (const auto& rec : f.records()) r.ess.push_back(rec.ess), r.mean.push_back(rec.mean.at(0)), *flags |= rec.resampled;
    const auto lw = comm.allgatherv<double>(f.log_weights());
    r.est.assign(lw.begin(), lw.end());
    return r;
  };
  for (auto scheme : {Scheme::systematic, Scheme::multinomial, Scheme::residual}) {
    FilterOptions o;
    o.particles = 84;
    o.islands = 12;
    o.scheme = scheme;
    o.ess_threshold = 0.8;
    o.island_ess_threshold = 0.9;
    o.seed = 23;
    int flags = 0, unused = 0;
    const auto dist = go(world, o, &flags);
    omp_set_num_threads(1);
    const auto one = go(self, o, &unused);
    omp_set_num_threads(3);
    const auto three = go(self, o, &unused);
    omp_set_num_threads(1);
    expect_same(dist, one, "islands " + to_string(scheme) + " (ranks)");
    expect_same(three, one, "islands " + to_string(scheme) + " (threads)");
    EXPECT_EQ(flags, 3) << "both island-level (2) and within-island (1) resampling must occur";
  }
}

// The linear Gaussian model whose observation log-density is NaN where x > 1.5 (a user model undefined somewhere):
// with or without the fast path (transition_from_noise), every rank must stop with one NumericalError naming the
// time step, not resample from garbage weights.
class NanObservation final : public Model {
 public:
  explicit NanObservation(bool fast) : fast_(fast) {}
  [[nodiscard]] std::string name() const override { return "nan_observation"; }
  [[nodiscard]] int dim() const override { return 1; }
  [[nodiscard]] int obs_dim() const override { return 1; }
  [[nodiscard]] std::unique_ptr<Model> clone() const override { return std::make_unique<NanObservation>(*this); }
  void sample_initial(rng::Stream& s, double* x) const override { m_.sample_initial(s, x); }
  [[nodiscard]] double log_initial(const double* x) const override { return m_.log_initial(x); }
  void sample_transition(int t, const double* xp, rng::Stream& s, double* x) const override {
    m_.sample_transition(t, xp, s, x);
  }
  [[nodiscard]] double log_transition(int t, const double* xp, const double* x) const override {
    return m_.log_transition(t, xp, x);
  }
  [[nodiscard]] double log_observation(int t, const double* x, const double* y) const override {
    return x[0] > 1.5 ? std::numeric_limits<double>::quiet_NaN() : m_.log_observation(t, x, y);
  }
  void sample_observation(int t, const double* x, rng::Stream& s, double* y) const override {
    m_.sample_observation(t, x, s, y);
  }
  [[nodiscard]] int transition_noise_dim() const override { return fast_ ? 1 : 0; }
  void transition_from_noise(int t, std::size_t n, const double* xp, const double* eps, double* x) const override {
    m_.transition_from_noise(t, n, xp, eps, x);
  }

 private:
  ScalarLinearGaussian m_{0.9, 1.0, 1.0, 0.0, 0.1};  // x_0 near 0: the first steps are finite, later ones are not
  bool fast_;
};

TEST(Filter, NanLogWeightStopsEveryRankWithANumericalError) {
  const mpi::Communicator world(MPI_COMM_WORLD);
  ScalarLinearGaussian sim(0.9, 1.0, 1.0, 0.0, 0.1);
  const auto y = simulate(sim, 30, 2);
  FilterOptions o;
  o.particles = 4096;
  for (bool fast : {true, false}) {
    const NanObservation m(fast);
    ParticleFilter f(world, m, y, nullptr, o);
    try {
      f.run();
      ADD_FAILURE() << "no error (fast path " << fast << ")";
    } catch (const NumericalError& e) {
      EXPECT_NE(std::string(e.what()).find("NaN or +inf at time"), std::string::npos) << e.what();
    }
  }
}

TEST(Ppg, ChainsBitwiseIdenticalAcrossRanks) {
  const mpi::Communicator world(MPI_COMM_WORLD), self(MPI_COMM_SELF);
  ScalarLinearGaussian m1(0.9, 1.0, 1.0, 0.0, 2.0), m2 = m1;
  const auto y = simulate(m1, 20, 4);
  FilterOptions o;
  o.particles = 16;
  auto go = [&](const mpi::Communicator& comm, ScalarLinearGaussian& m) {
    Composite h;
    h.add(std::make_unique<SumCross>(1));
    h.add(std::make_unique<Score>(m, y));
    PpgChain chain(comm, m, y, h, o, 9, 0);
    std::vector<double> all = chain.initialise();
    LearnOptions lo;
    lo.index = {0};
    for (int k = 1; k <= 3; ++k) {
      const auto e = chain.iterate();
      all.insert(all.end(), e.begin(), e.end());
      m.set_params(sa_update(m, m.params(), std::span<const double>(e).subspan(1), lo, k, 20));
    }
    all.insert(all.end(), chain.reference().begin(), chain.reference().end());
    all.push_back(m.params()[0]);
    return all;
  };
  EXPECT_EQ(go(world, m1), go(self, m2));
}

}  // namespace
}  // namespace sampo::smc
