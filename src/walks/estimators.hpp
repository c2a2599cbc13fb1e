#pragma once
// Estimators over tokens: the empirical measure x_n, its total-variation distance to μ, estimates of ∫ f dμ and
// their normalised RMSE and variance across tokens. Per-token values are gathered in token order before they are
// summed, so every reported number is bitwise independent of the rank count.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/mpi/communicator.hpp"
#include "core/numeric/exact_sum.hpp"
#include "walks/distributed.hpp"
#include "walks/walkers.hpp"

namespace sampo::walks {

using numeric::ExactSum;

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

// The TVD term of one vertex, |w·scale − μ_i| (one expression for both engines).
inline double tvd_term(double w, double scale, double mu) noexcept {
  const double x = w * scale - mu;
  return x < 0.0 ? -x : x;
}

// ½ Σ_i |x_i − μ_i| for token t. Per-token sums are exact (ExactSum) and rounded once, so the vertex engine's
// partial sums at the owning ranks give the same bits for any rank count.
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

// The distinct values of v (sorted) with their multiplicities: sums of a term of each value then cost O(distinct)
// exact additions (ExactSum::add_times) with the bits of a sum over every element.
std::vector<std::pair<double, std::uint64_t>> distinct_counts(std::span<const double> v);

// The same, with what does not change during a run computed once (for the output times of a run): the exact sums
// of each f over all vertices and the distinct values of μ with their multiplicities. In counts mode an output time
// then costs O(distinct μ + visited vertices) exact additions per token instead of O(N) per token and function,
// with the same bits. Keeps references to the chain's μ and to `fs`.
class Summariser {
 public:
  Summariser(const BaseChain& c, const std::vector<VertexFunction>& fs);
  // Collective.
  Summary operator()(const mpi::Communicator& comm, const Walkers& w, std::span<const double> theta_star) const;

 private:
  std::span<const double> mu_;
  const std::vector<VertexFunction>* fs_;
  std::vector<std::pair<double, std::uint64_t>> mu_counts_;  // distinct μ values, multiplicities
  std::vector<ExactSum> f_sums_;                              // Σ_i f_i, exactly
};

// Collective: the same from per-token rows (width F + 2: TVD, ∫ f_q dx_n for each function, ‖θ − θ*‖²) of this
// rank's tokens, ranks in token order.
Summary summarise_rows(const mpi::Communicator& comm, std::span<const double> local,
                       const std::vector<VertexFunction>& fs);

// Collective: an exact sum over ranks, rounded once (bitwise independent of the rank count).
double allreduce_exact(const mpi::Communicator& comm, ExactSum& s);

// μ normalised, for the owned block of a distributed graph (the bits of BaseChain::mu_norm()).
std::vector<double> block_mu_norm(const DistributedGraph& g, Chain chain);
// Collective: standard_functions (and the file function when `file` is set) with values for the owned block only
// and exact ∫ f dμ over the whole graph (bitwise those of standard_functions / function_from_file).
std::vector<VertexFunction> block_functions(const mpi::Communicator& comm, const DistributedGraph& g,
                                            std::span<const double> mu_block, double indicator_fraction,
                                            const std::string& file);

// Collective: token-averaged empirical measure (length N, every rank).
std::vector<double> mean_measure(const mpi::Communicator& comm, const Walkers& w);

}  // namespace sampo::walks
