// MAP / penalised MLE by PETSc TAO (L-BFGS) against exact optima, the Jacobian flag of the targets, a case without
// a MAP reporting TAO's reason, and rank-count independence (the optimum on all ranks equals, bitwise, the one
// computed on each rank alone).
//
// Tolerances: TAO stops at |grad| <= gatol = 1e-10 (unconstrained); the error of x is then at most
// gatol / (smallest curvature): correlated Gaussian (rho = 0.9, d = 10) 1e-10 * lambda_max(Sigma) < 2e-9, banana
// 1e-10 * 100 = 1e-8 in x1; 1e-7 leaves room for rounding in the line search's last step.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/petsc/session.hpp"
#include "mcmc/models.hpp"
#include "mcmc/optimize.hpp"
#include "mcmc/target.hpp"

namespace sampo::mcmc {
namespace {

// One PETSc for the whole test binary (TAO's types are not registered again after PetscFinalize and a second
// PetscInitialize in one process); each test's Session borrows it.
class PetscEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { session_ = std::make_unique<petsc::Session>(mpi::Communicator(MPI_COMM_WORLD)); }
  void TearDown() override { session_.reset(); }

 private:
  std::unique_ptr<petsc::Session> session_;
};
const auto* const petsc_environment = ::testing::AddGlobalTestEnvironment(new PetscEnvironment);

MapOptions tight() {
  MapOptions o;
  o.gatol = 1e-10;
  o.grtol = 0.0;  // absolute only: the exact optima below have lp near 0
  return o;
}

TEST(Optimize, ExactOptima) {
  petsc::Session session(mpi::Communicator(MPI_COMM_WORLD));
  {  // correlated Gaussian: the mode is 0
    CorrelatedGaussian t(10, 0.9);
    Vec start(10);
    for (int i = 0; i < 10; ++i) start[i] = 1.5 - 0.3 * i;
    const auto r = find_map(session, t, start, tight());
    EXPECT_TRUE(r.converged) << r.reason;
    EXPECT_EQ(r.type, "lmvm");
    EXPECT_LT(r.q.cwiseAbs().maxCoeff(), 1e-7);
    EXPECT_NEAR(r.lp, 0.0, 1e-12);
  }
  {  // banana (b = 0.03): the mode is (0, 100 b)
    Banana t;
    Vec start(2);
    start << 1.7, -1.2;
    const auto r = find_map(session, t, start, tight());
    EXPECT_TRUE(r.converged) << r.reason;
    EXPECT_NEAR(r.q[0], 0.0, 1e-7);
    EXPECT_NEAR(r.q[1], 3.0, 1e-7);
  }
  {  // mixture 0.3 N(-5, 1) + 0.7 N(5, 0.5^2) in 3-d: from the right basin, the main mode 5 in every coordinate
     // (the other component's pull there is below 1e-20; the basins meet near x = 1.7)
    Mixture t(3);
    Vec start(3);
    start << 2.5, 3.5, 4.5;
    const auto r = find_map(session, t, start, tight());
    EXPECT_TRUE(r.converged) << r.reason;
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(r.q[i], 5.0, 1e-7);
  }
}

TEST(Optimize, JacobianFlag) {
  // Without the Jacobian = with it minus log |J| (eight schools: log tau; hierarchical regression: log tau +
  // log sigma_y); unconstrained targets are unchanged.
  EightSchools es(false);
  auto hr = HierarchicalRegression::simulate(4, 50, 3);
  CorrelatedGaussian cg(5, 0.5);
  for (const Target* t : {static_cast<const Target*>(&es), static_cast<const Target*>(&hr),
                          static_cast<const Target*>(&cg)}) {
    Vec q(t->dim());
    for (int i = 0; i < t->dim(); ++i) q[i] = 0.3 * std::sin(1.0 + i);
    Vec g1(t->dim()), g0(t->dim()), gj(t->dim());
    const double with = t->log_density_gradient(q, g1, true), without = t->log_density_gradient(q, g0, false);
    const double lj = t->log_jacobian(q, gj);
    EXPECT_NEAR(with - without, lj, 1e-12) << t->name();
    EXPECT_LT((g1 - g0 - gj).cwiseAbs().maxCoeff(), 1e-12) << t->name();
    // the gradient without the Jacobian against central differences (h = 1e-6: error ~ h^2 * f''' + eps / h)
    for (int i = 0; i < t->dim(); ++i) {
      Vec qp = q, qm = q, tmp(t->dim());
      qp[i] += 1e-6;
      qm[i] -= 1e-6;
      const double fd = (t->log_density_gradient(qp, tmp, false) - t->log_density_gradient(qm, tmp, false)) / 2e-6;
      EXPECT_NEAR(g0[i], fd, 1e-5 * std::max(1.0, std::abs(fd))) << t->name() << " coordinate " << i;
    }
  }
  Vec gj(10);
  EXPECT_EQ(es.log_jacobian(Vec::Constant(10, 0.25), gj), 0.25);
}

TEST(Optimize, NoMaximumReportsTheReason) {
  // Centred eight schools without the Jacobian is unbounded above (tau -> 0 with theta_j = mu): TAO cannot converge.
  petsc::Session session(mpi::Communicator(MPI_COMM_WORLD));
  EightSchools t(true);
  MapOptions o;
  o.max_it = 100;
  const auto r = find_map(session, t, Vec::Zero(10), o);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.reason.rfind("DIVERGED", 0), 0u) << r.reason;
  EXPECT_GT(r.lp, 50.0);  // far above any finite mode: the density grows without bound
}

TEST(Optimize, RankCountIndependent) {
  // Logistic regression (simulated, 3 blocks of rows): the optimum on all ranks equals the one on each rank alone.
  auto t = LogisticRegression::simulate(4, 9000, 11);
  const auto world = mpi::Communicator(MPI_COMM_WORLD);
  Vec start = Vec::Constant(5, 0.2);
  Vec on_all, alone;
  {
    petsc::Session session(world);
    on_all = find_map(session, t, start, tight()).q;
    petsc::Session self(mpi::Communicator(MPI_COMM_SELF));  // borrows the running PETSc
    alone = find_map(self, t, start, tight()).q;
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(on_all[i], alone[i]) << i;
}

}  // namespace
}  // namespace sampo::mcmc
