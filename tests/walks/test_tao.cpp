// θ* by PETSc TAO. Its own test program: PETSc 3.18 cannot create TAO objects after a PetscFinalize and a second
// PetscInitialize in one process (TaoRegisterAll is not re-armed), and the oracle tests start and stop PETSc per test.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "walks/graph.hpp"
#include "walks/optimise.hpp"
#include "walks/walkers.hpp"

using namespace sampo;
using namespace sampo::walks;

// θ* of SA-SRRW by PETSc TAO (NLS and LMVM) against the independent damped Newton in Eigen (1e-9 absolute: both
// stop at ‖∇F‖ ≤ 1e-12 and the Hessians here have eigenvalues above 0.05, so each is within 2e-11 of the true
// minimiser; 1e-9 leaves room for the different summation orders) and, for the quadratic, the closed form
// θ*_q = Σ μ_i a_iq c_iq / Σ μ_i a_iq. θ* must be bitwise the same on every rank and for any rank count (TAO on a
// one-rank sub-communicator gives the same bits), since restarts on other rank counts compare it bit for bit.
TEST(WalksTao, ThetaStarMatchesNewtonAndClosedForm) {
  auto world = mpi::Communicator(MPI_COMM_WORLD);
  petsc::Session petsc(world);
  auto g = preprocess(barabasi_albert(300, 3, 12), true, false, 12);
  for (Chain chain : {Chain::srw, Chain::mhrw}) {
    BaseChain c(g, chain, 0.0);
    const auto mu = c.mu_norm();
    for (Loss loss : {Loss::logistic, Loss::quadratic}) {
      const int d = 4;
      Objective obj(g.vertices(), loss, d, 8, 0.05, 12);
      const auto newton = obj.solve(mu);
      for (const char* type : {"nls", "lmvm"}) {
        TaoOptions opt;
        opt.type = type;
        const auto star = solve_tao(petsc, obj, mu, opt);
        const std::string what = std::string(type) + (loss == Loss::logistic ? " logistic " : " quadratic ") +
                                 to_string(chain);
        EXPECT_LE(star.gradient_norm, 1e-12) << what;
        EXPECT_EQ(star.type, type);
        for (int q = 0; q < d; ++q) EXPECT_NEAR(star.theta[q], newton[q], 1e-9) << what << " component " << q;
        if (loss == Loss::quadratic) {
          // a_iq and c_iq from the drift −a(θ − c): at θ = 0 it is a c, at θ = 1 it is a c − a.
          std::vector<double> num(d, 0.0), den(d, 0.0), d0(d), d1(d);
          const std::vector<double> zero(d, 0.0), one(d, 1.0);
          for (Vertex i = 0; i < g.vertices(); ++i) {
            obj.drift(i, zero.data(), d0.data());
            obj.drift(i, one.data(), d1.data());
            for (int q = 0; q < d; ++q) {
              num[q] += mu[i] * d0[q];
              den[q] += mu[i] * (d0[q] - d1[q]);
            }
          }
          for (int q = 0; q < d; ++q) EXPECT_NEAR(star.theta[q], num[q] / den[q], 1e-10) << what;
        }
        // Bitwise the same on every rank.
        auto all = world.allgatherv<double>(star.theta);
        for (int r = 1; r < world.size(); ++r)
          for (int q = 0; q < d; ++q)
            EXPECT_EQ(std::bit_cast<std::uint64_t>(all[r * d + q]), std::bit_cast<std::uint64_t>(all[q]));
        // And on a one-rank communicator.
        auto self = world.split(world.rank(), 0);
        petsc::Session sub(self);  // borrows the running PETSc
        const auto alone = solve_tao(sub, obj, mu, opt);
        for (int q = 0; q < d; ++q)
          EXPECT_EQ(std::bit_cast<std::uint64_t>(alone.theta[q]), std::bit_cast<std::uint64_t>(star.theta[q])) << what;
      }
    }
  }
}
