#pragma once
// Estimators over tokens: the empirical measure x_n, its total-variation distance to μ, estimates of ∫ f dμ and
// their normalised RMSE and variance across tokens. Per-token values are gathered in token order before they are
// summed, so every reported number is bitwise independent of the rank count.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/mpi/communicator.hpp"
#include "walks/walkers.hpp"

namespace sampo::walks {

// A vertex function f with its exact mean ∫ f dμ.
struct VertexFunction {
  std::string name;
  std::vector<double> values;
  double exact = 0.0;
};

// f = degree, and f = 1_A for A = {i : i < fraction·N} (a random set when the graph was relabelled).
std::vector<VertexFunction> standard_functions(const BaseChain& c, double indicator_fraction);
// Values from a text file: one number per vertex (N lines, '#' comments). Throws InputError with file:line.
VertexFunction function_from_file(const BaseChain& c, const std::string& path);

// ½ Σ_i |x_i − μ_i| for token t.
double tvd(const Token& t, std::span<const double> mu_norm);
// Σ_i x_i f_i for token t (the empirical measure includes the initial pseudo-counts).
double integral(const Token& t, std::span<const double> f);
// (1/n) Σ_{k=1..n} f(X_k): the visit average (counts mode only: w − 1 are the visits).
double visit_average(const Token& t, std::span<const double> f, std::int64_t n);

struct Summary {
  double tvd_mean = 0.0;                 // mean over tokens of TVD(x_n, μ)
  std::vector<double> mean;              // per function: mean over tokens of ∫ f dx_n
  std::vector<double> nrmse;             // sqrt(mean_k (∫ f dx_n^k − ∫ f dμ)²) / |∫ f dμ|
  std::vector<double> var;               // variance across tokens of ∫ f dx_n^k (unbiased)
  double mse = 0.0;                      // mean over tokens of ‖θ − θ*‖² (SA-SRRW; 0 otherwise)
};

// Collective: the summary over every token of every rank (values gathered in token order).
Summary summarise(const mpi::Communicator& comm, const Walkers& w, const std::vector<VertexFunction>& fs,
                  std::span<const double> theta_star);

// Collective: token-averaged empirical measure (length N, every rank).
std::vector<double> mean_measure(const mpi::Communicator& comm, const Walkers& w);

}  // namespace sampo::walks
