# rstan side of tests/perf/mcmc_bench.sh: NUTS (diag_e, Stan's defaults) with 4 chains x (1000 warm-up + 1000
# draws), one core, on the same two targets as sampo-mcmc's decks: the 100-d Gaussian with Sigma_ij = 0.9^|i-j|
# written, like Sampo's, as its tridiagonal precision (O(d) per gradient) and, as in the reference's figure, through
# the dense Cholesky factor; and eight schools (non-centred).
# Prints one row per target in mcmc_bench.sh's columns: seconds (CPU: warm-up + sampling, rstan's own timers,
# compilation excluded), min bulk-ESS over parameters (rstan::ess_bulk, the posterior package's rank-normalised
# bulk-ESS), ESS per CPU-second, per 1000 sampling gradients and per 1000 gradients with warm-up (leapfrog steps
# from get_sampler_params), divergences.
#   Rscript tests/perf/mcmc_rstan.R
suppressMessages(library(rstan))
rstan_options(auto_write = FALSE)
gauss <- "
data { int<lower=2> D; real<lower=-1, upper=1> rho; }
transformed data { real c = 1 / (1 - rho * rho); }
parameters { vector[D] x; }
model {
  real quad = x[1]^2 + x[D]^2 + (1 + rho * rho) * dot_self(x[2:(D - 1)]) - 2 * rho * dot_product(x[1:(D - 1)], x[2:D]);
  target += -0.5 * c * quad;
}"
# The same law as the reference's rstan figure was measured on (35-37 ESS per CPU-second): the dense covariance
# through multi_normal_cholesky, O(d^2) per gradient.
gauss_dense <- "
data { int<lower=2> D; real<lower=-1, upper=1> rho; }
transformed data {
  matrix[D, D] S;
  matrix[D, D] L;
  for (i in 1:D) for (j in 1:D) S[i, j] = rho^abs(i - j);
  L = cholesky_decompose(S);
}
parameters { vector[D] x; }
model { x ~ multi_normal_cholesky(rep_vector(0, D), L); }"
schools <- "
data { int<lower=0> J; vector[J] y; vector<lower=0>[J] sigma; }
parameters { real mu; real<lower=0> tau; vector[J] theta_tilde; }
transformed parameters { vector[J] theta = mu + tau * theta_tilde; }
model { mu ~ normal(0, 5); tau ~ cauchy(0, 5); theta_tilde ~ normal(0, 1); y ~ normal(theta, sigma); }"
row <- function(name, code, data, pars) {
  m <- stan_model(model_code = code, model_name = name)
  f <- sampling(m, data = data, chains = 4, iter = 2000, warmup = 1000, seed = 20261129, cores = 1, refresh = 0)
  a <- as.array(f, pars = pars)
  ess <- min(apply(a, 3, rstan::ess_bulk))
  t <- get_elapsed_time(f)
  cpu <- sum(t)
  sp <- get_sampler_params(f, inc_warmup = TRUE)
  grads_all <- sum(sapply(sp, function(s) sum(s[, "n_leapfrog__"])))
  grads_sampling <- sum(sapply(sp, function(s) sum(s[1001:2000, "n_leapfrog__"])))
  div <- sum(sapply(sp, function(s) sum(s[1001:2000, "divergent__"])))
  cat(sprintf("%-16s %5d %8.2f %12.1f %13.1f %14.2f %18.2f %9d\n", paste0("rstan ", name), 1L, cpu, ess, ess / cpu,
              1000 * ess / grads_sampling, 1000 * ess / grads_all, as.integer(div)))
}
row("gauss100", gauss, list(D = 100, rho = 0.9), "x")
row("gauss100_dense", gauss_dense, list(D = 100, rho = 0.9), "x")
row("8schools_nc", schools, list(J = 8, y = c(28, 8, -3, 7, -1, 1, 18, 12), sigma = c(15, 10, 16, 11, 9, 11, 10, 18)),
    c("mu", "tau", "theta_tilde"))
