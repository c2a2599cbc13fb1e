#include "mcmc/sampler.hpp"

#include <cmath>
#include <limits>

#include "core/error/error.hpp"

namespace sampo::mcmc {

namespace {
constexpr double inf = std::numeric_limits<double>::infinity();
double log_sum_exp(double a, double b) {
  if (a == -inf) return b;
  if (b == -inf) return a;
  const double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}
bool criterion(const Vec& p_sharp_minus, const Vec& p_sharp_plus, const Vec& rho) {
  return p_sharp_plus.dot(rho) > 0 && p_sharp_minus.dot(rho) > 0;
}
}  // namespace

Algorithm parse_algorithm(const std::string& s, const std::string& key) {
  if (s == "nuts") return Algorithm::nuts;
  if (s == "hmc") return Algorithm::hmc;
  if (s == "mala") return Algorithm::mala;
  if (s == "rwm") return Algorithm::rwm;
  throw ConfigError(key + " = \"" + s + "\" is not a sampler; allowed: nuts, hmc, mala, rwm");
}

std::string to_string(Algorithm a) {
  switch (a) {
    case Algorithm::nuts:
      return "nuts";
    case Algorithm::hmc:
      return "hmc";
    case Algorithm::mala:
      return "mala";
    default:
      return "rwm";
  }
}

double SamplerParams::target_accept() const {
  if (delta > 0) return delta;
  switch (algorithm) {
    case Algorithm::mala:
      return 0.574;
    case Algorithm::rwm:
      return 0.234;
    default:
      return 0.8;
  }
}

void DualAveraging::learn(double& eps, double stat, const SamplerParams& p) {
  counter += 1.0;
  stat = std::min(stat, 1.0);
  const double eta = 1.0 / (counter + p.t0);
  s_bar = (1.0 - eta) * s_bar + eta * (p.target_accept() - stat);
  const double x = mu - s_bar * std::sqrt(counter) / p.gamma;
  const double x_eta = std::pow(counter, -p.kappa);
  x_bar = (1.0 - x_eta) * x_bar + x_eta * x;
  eps = std::exp(x);
}

void Windows::configure(const SamplerParams& p) {
  num_warmup = p.warmup;
  init_buffer = p.init_buffer;
  term_buffer = p.term_buffer;
  base_window = p.base_window;
  enabled = num_warmup >= 20;
  if (enabled && init_buffer + base_window + term_buffer > num_warmup) {
    init_buffer = static_cast<std::int64_t>(0.15 * static_cast<double>(num_warmup));
    term_buffer = static_cast<std::int64_t>(0.1 * static_cast<double>(num_warmup));
    base_window = num_warmup - (init_buffer + term_buffer);
  }
  counter = 0;
  window_size = base_window;
  next_window = init_buffer + window_size - 1;
}

bool Windows::in_window() const {
  return enabled && counter >= init_buffer && counter < num_warmup - term_buffer && counter != num_warmup;
}
bool Windows::end_window() const {
  return enabled && counter == next_window && counter != num_warmup;
}

void Windows::compute_next_window() {
  if (next_window == num_warmup - term_buffer - 1) return;
  window_size *= 2;
  next_window = counter + window_size;
  if (next_window != num_warmup - term_buffer - 1) {
    const std::int64_t boundary = next_window + 2 * window_size;
    if (boundary >= num_warmup - term_buffer) next_window = num_warmup - term_buffer - 1;
  }
}

Sampler::Sampler(const Target& target, SamplerParams p, std::uint64_t seed) : target_(target), p_(p), seed_(seed) {}

void Sampler::refresh(ChainState& s) const {
  if (dense()) s.chol = Eigen::LLT<Eigen::MatrixXd>(s.inv_metric).matrixL();
}

ChainState Sampler::init(std::uint64_t chain_id, const Vec* start) const {
  const int d = target_.dim();
  ChainState s;
  s.id = chain_id;
  rng::Stream r(seed_, rng::purpose_init, chain_id);
  if (start) {
    s.q = *start;
    s.lp = target_.log_density_gradient(s.q, s.grad);
    if (!std::isfinite(s.lp) || !s.grad.allFinite())
      throw NumericalError("the start point of chain " + std::to_string(chain_id) +
                           " (mcmc.init = \"map\") has no finite log density");
  }
  for (int attempt = 0; !start && attempt < 100; ++attempt) {
    s.q = target_.initial_point(r);
    s.lp = target_.log_density_gradient(s.q, s.grad);
    if (std::isfinite(s.lp) && s.grad.allFinite()) break;
    SAMPO_VERIFY(attempt < 99, "no finite initial log density after 100 tries for chain " + std::to_string(chain_id));
  }
  s.windows.configure(p_);
  s.welford_mean = Vec::Zero(d);
  if (dense()) {
    s.welford_m2 = Eigen::MatrixXd::Zero(d, d);
    s.inv_metric = Eigen::MatrixXd::Identity(d, d);
  } else {
    s.welford_m2 = Eigen::MatrixXd::Zero(d, 1);
    s.inv_metric = Eigen::MatrixXd::Ones(d, 1);
  }
  refresh(s);
  if (p_.algorithm == Algorithm::rwm) {
    s.eps = 2.38 / std::sqrt(static_cast<double>(d));
  } else {
    s.eps = 1.0;
    init_stepsize(s, r);
  }
  s.da.mu = std::log(10.0 * s.eps);
  return s;
}

Vec Sampler::velocity(const ChainState& s, const Vec& p) const {
  if (dense()) return s.inv_metric * p;
  return s.inv_metric.col(0).cwiseProduct(p);
}

void Sampler::sample_momentum(const ChainState& s, Vec& p, rng::Stream& r) const {
  const int d = target_.dim();
  Vec z(d);
  for (int i = 0; i < d; ++i) z[i] = r.normal();
  if (dense()) {
    // p ~ N(0, M) with M = Minv⁻¹ = (L Lᵀ)⁻¹: p = L⁻ᵀ z
    p = s.chol.transpose().triangularView<Eigen::Upper>().solve(z);
  } else {
    p = z.cwiseQuotient(s.inv_metric.col(0).cwiseSqrt());
  }
}

void Sampler::leapfrog(const ChainState& s, Point& z, double eps) const {
  z.p += 0.5 * eps * z.grad;
  z.q += eps * velocity(s, z.p);
  z.lp = target_.log_density_gradient(z.q, z.grad);
  z.p += 0.5 * eps * z.grad;
}

void Sampler::init_stepsize(ChainState& s, rng::Stream& r) const {
  if (s.eps == 0 || s.eps > 1e7 || std::isnan(s.eps)) return;
  auto trial = [&] {
    Point z{s.q, Vec(), s.grad, s.lp};
    sample_momentum(s, z.p, r);
    const double H0 = -z.lp + kinetic(s, z.p);
    if (p_.algorithm == Algorithm::mala) {
      // MALA's step is one leapfrog step of size eps (the same dynamics), so the heuristic applies unchanged.
    }
    leapfrog(s, z, s.eps);
    double h = -z.lp + kinetic(s, z.p);
    if (std::isnan(h)) h = inf;
    return H0 - h;
  };
  double dH = trial();
  const int direction = dH > std::log(0.8) ? 1 : -1;
  while (true) {
    dH = trial();
    if (direction == 1 && !(dH > std::log(0.8))) break;
    if (direction == -1 && !(dH < std::log(0.8))) break;
    s.eps = direction == 1 ? 2 * s.eps : 0.5 * s.eps;
    if (s.eps > 1e7 || s.eps == 0)
      throw InputError("step size heuristic diverged (eps = " + std::to_string(s.eps) +
                       "): the target's posterior is improper or its gradient is wrong");
  }
}

bool Sampler::build_tree(const ChainState& s, int depth, Point& z, Point& propose, Vec& p_sharp_beg, Vec& p_sharp_end,
                         Vec& rho, Vec& p_beg, Vec& p_end, double H0, double sign, int& n_leapfrog,
                         double& log_sum_weight, double& sum_metro, bool& divergent, rng::Stream& r) const {
  if (depth == 0) {
    leapfrog(s, z, sign * s.eps);
    ++n_leapfrog;
    double h = -z.lp + kinetic(s, z.p);
    if (std::isnan(h)) h = inf;
    if (h - H0 > p_.max_delta_h) divergent = true;
    log_sum_weight = log_sum_exp(log_sum_weight, H0 - h);
    sum_metro += H0 - h > 0 ? 1.0 : std::exp(H0 - h);
    propose = z;
    p_sharp_beg = velocity(s, z.p);
    p_sharp_end = p_sharp_beg;
    rho += z.p;
    p_beg = z.p;
    p_end = p_beg;
    return !divergent;
  }
  const auto d = z.q.size();
  double lsw_init = -inf;
  Vec p_init_end(d), p_sharp_init_end(d), rho_init = Vec::Zero(d);
  if (!build_tree(s, depth - 1, z, propose, p_sharp_beg, p_sharp_init_end, rho_init, p_beg, p_init_end, H0, sign,
                  n_leapfrog, lsw_init, sum_metro, divergent, r))
    return false;
  Point propose_final = z;
  double lsw_final = -inf;
  Vec p_final_beg(d), p_sharp_final_beg(d), rho_final = Vec::Zero(d);
  if (!build_tree(s, depth - 1, z, propose_final, p_sharp_final_beg, p_sharp_end, rho_final, p_final_beg, p_end, H0,
                  sign, n_leapfrog, lsw_final, sum_metro, divergent, r))
    return false;
  const double lsw_subtree = log_sum_exp(lsw_init, lsw_final);
  log_sum_weight = log_sum_exp(log_sum_weight, lsw_subtree);
  if (lsw_final > lsw_subtree) {
    propose = propose_final;
  } else if (r.uniform() < std::exp(lsw_final - lsw_subtree)) {
    propose = propose_final;
  }
  const Vec rho_subtree = rho_init + rho_final;
  rho += rho_subtree;
  bool persist = criterion(p_sharp_beg, p_sharp_end, rho_subtree);
  persist = persist && criterion(p_sharp_beg, p_sharp_final_beg, rho_init + p_final_beg);
  persist = persist && criterion(p_sharp_init_end, p_sharp_end, rho_final + p_init_end);
  return persist;
}

DrawStats Sampler::nuts(ChainState& s, rng::Stream& r) const {
  const auto d = s.q.size();
  Point z{s.q, Vec(), s.grad, s.lp};
  sample_momentum(s, z.p, r);
  Point z_fwd = z, z_bck = z, z_sample = z, z_propose = z;
  Vec p_sharp_fwd_bck = velocity(s, z.p), p_sharp_fwd_fwd = p_sharp_fwd_bck;
  Vec p_sharp_bck_fwd = p_sharp_fwd_bck, p_sharp_bck_bck = p_sharp_fwd_bck;
  Vec p_fwd_bck = z.p, p_fwd_fwd = z.p, p_bck_fwd = z.p, p_bck_bck = z.p;
  Vec rho = z.p;
  double log_sum_weight = 0.0;
  const double H0 = -z.lp + kinetic(s, z.p);
  int n_leapfrog = 0, depth = 0;
  double sum_metro = 0.0;
  bool divergent = false;
  while (depth < p_.max_depth) {
    Vec rho_fwd = Vec::Zero(d), rho_bck = Vec::Zero(d);
    bool valid = false;
    double lsw_subtree = -inf;
    if (r.uniform() > 0.5) {
      z = z_fwd;
      rho_bck = rho;
      p_bck_fwd = p_fwd_fwd;
      p_sharp_bck_fwd = p_sharp_fwd_fwd;
      valid = build_tree(s, depth, z, z_propose, p_sharp_fwd_bck, p_sharp_fwd_fwd, rho_fwd, p_fwd_bck, p_fwd_fwd, H0,
                         1.0, n_leapfrog, lsw_subtree, sum_metro, divergent, r);
      z_fwd = z;
    } else {
      z = z_bck;
      rho_fwd = rho;
      p_fwd_bck = p_bck_bck;
      p_sharp_fwd_bck = p_sharp_bck_bck;
      valid = build_tree(s, depth, z, z_propose, p_sharp_bck_fwd, p_sharp_bck_bck, rho_bck, p_bck_fwd, p_bck_bck, H0,
                         -1.0, n_leapfrog, lsw_subtree, sum_metro, divergent, r);
      z_bck = z;
    }
    if (!valid) break;
    ++depth;
    if (lsw_subtree > log_sum_weight) {
      z_sample = z_propose;
    } else if (r.uniform() < std::exp(lsw_subtree - log_sum_weight)) {
      z_sample = z_propose;
    }
    log_sum_weight = log_sum_exp(log_sum_weight, lsw_subtree);
    rho = rho_bck + rho_fwd;
    // Whole trajectory, then each old part extended by the adjacent end of the new one.
    bool persist = criterion(p_sharp_bck_bck, p_sharp_fwd_fwd, rho);
    persist = persist && criterion(p_sharp_bck_bck, p_sharp_fwd_bck, rho_bck + p_fwd_bck);
    persist = persist && criterion(p_sharp_bck_fwd, p_sharp_fwd_fwd, rho_fwd + p_bck_fwd);
    if (!persist) break;
  }
  s.q = z_sample.q;
  s.lp = z_sample.lp;
  s.grad = z_sample.grad;
  DrawStats st;
  st.accept = sum_metro / static_cast<double>(n_leapfrog);
  st.tree_depth = depth;
  st.n_steps = n_leapfrog;
  st.divergent = divergent;
  st.energy = -z_sample.lp + kinetic(s, z_sample.p);
  return st;
}

DrawStats Sampler::hmc(ChainState& s, rng::Stream& r) const {
  Point z{s.q, Vec(), s.grad, s.lp};
  sample_momentum(s, z.p, r);
  const double H0 = -z.lp + kinetic(s, z.p);
  // Jitter drawn after the momentum (no draw at 0: runs without jitter keep their streams).
  const double eps = p_.stepsize_jitter > 0.0 ? s.eps * (1.0 + p_.stepsize_jitter * (2.0 * r.uniform() - 1.0)) : s.eps;
  for (int i = 0; i < p_.hmc_steps; ++i) leapfrog(s, z, eps);
  double h = -z.lp + kinetic(s, z.p);
  if (std::isnan(h)) h = inf;
  DrawStats st;
  st.n_steps = p_.hmc_steps;
  st.divergent = h - H0 > p_.max_delta_h;
  st.accept = H0 - h > 0 ? 1.0 : std::exp(H0 - h);
  if (r.uniform() < st.accept) {
    s.q = z.q;
    s.lp = z.lp;
    s.grad = z.grad;
    st.energy = h;
  } else {
    st.energy = H0;
  }
  return st;
}

DrawStats Sampler::mala(ChainState& s, rng::Stream& r) const {
  // MALA = one leapfrog step with fresh momentum and a Metropolis correction (the same chain as HMC with L = 1).
  Point z{s.q, Vec(), s.grad, s.lp};
  sample_momentum(s, z.p, r);
  const double H0 = -z.lp + kinetic(s, z.p);
  leapfrog(s, z, s.eps);
  double h = -z.lp + kinetic(s, z.p);
  if (std::isnan(h)) h = inf;
  DrawStats st;
  st.n_steps = 1;
  st.divergent = h - H0 > p_.max_delta_h;
  st.accept = H0 - h > 0 ? 1.0 : std::exp(H0 - h);
  if (r.uniform() < st.accept) {
    s.q = z.q;
    s.lp = z.lp;
    s.grad = z.grad;
  }
  st.energy = -s.lp;
  return st;
}

DrawStats Sampler::rwm(ChainState& s, rng::Stream& r) const {
  const auto d = s.q.size();
  Vec z(d);
  for (Eigen::Index i = 0; i < d; ++i) z[i] = r.normal();
  const Vec q = s.q + s.eps * (s.chol * z);
  Vec g;
  const double lp = target_.log_density_gradient(q, g);
  DrawStats st;
  st.n_steps = 1;
  const double la = std::isnan(lp) ? -inf : lp - s.lp;
  st.accept = la > 0 ? 1.0 : std::exp(la);
  if (r.uniform() < st.accept) {
    s.q = q;
    s.lp = lp;
    s.grad = g;
  }
  st.energy = -s.lp;
  return st;
}

void Sampler::adapt(ChainState& s, double accept, rng::Stream& r) const {
  s.da.learn(s.eps, accept, p_);
  auto& w = s.windows;
  bool update = false;
  if (w.in_window()) {
    s.welford_n += 1.0;
    const Vec delta = s.q - s.welford_mean;
    s.welford_mean += delta / s.welford_n;
    if (dense())
      s.welford_m2 += (s.q - s.welford_mean) * delta.transpose();
    else
      s.welford_m2.col(0) += (s.q - s.welford_mean).cwiseProduct(delta);
  }
  if (w.end_window()) {
    w.compute_next_window();
    const double n = s.welford_n;
    const auto d = s.q.size();
    Eigen::MatrixXd var = s.welford_m2 / (n - 1.0);
    if (dense())
      var = (n / (n + 5.0)) * var + 1e-3 * (5.0 / (n + 5.0)) * Eigen::MatrixXd::Identity(d, d);
    else
      var = (n / (n + 5.0)) * var + 1e-3 * (5.0 / (n + 5.0)) * Eigen::MatrixXd::Ones(d, 1);
    s.inv_metric = var;
    s.welford_n = 0;
    s.welford_mean.setZero();
    s.welford_m2.setZero();
    update = true;
  }
  ++w.counter;
  if (update) {
    refresh(s);
    if (p_.algorithm == Algorithm::rwm)
      s.eps = 2.38 / std::sqrt(static_cast<double>(s.q.size()));
    else
      init_stepsize(s, r);
    s.da.mu = std::log(10.0 * s.eps);
    s.da.restart();
  }
}

DrawStats Sampler::iterate(ChainState& s) const {
  rng::Stream r(seed_, rng::purpose_sampler, s.id, static_cast<std::uint32_t>(s.iteration));
  const bool warm = s.iteration < p_.warmup;
  DrawStats st;
  switch (p_.algorithm) {
    case Algorithm::nuts:
      st = nuts(s, r);
      break;
    case Algorithm::hmc:
      st = hmc(s, r);
      break;
    case Algorithm::mala:
      st = mala(s, r);
      break;
    default:
      st = rwm(s, r);
      break;
  }
  st.step_size = s.eps;
  st.warmup = warm;
  if (warm) {
    adapt(s, st.accept, r);
    if (s.iteration + 1 == p_.warmup) s.eps = std::exp(s.da.x_bar);
  }
  st.lp = s.lp;
  ++s.iteration;
  return st;
}

}  // namespace sampo::mcmc
