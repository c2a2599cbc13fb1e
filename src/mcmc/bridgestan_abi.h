/* The C ABI of a BridgeStan (>= 2.0) model library, as documented by BridgeStan: the functions Sampo resolves
 * with dlsym (src/mcmc/bridgestan.cpp), and the ones a hand-written model must export (see
 * inputs/mcmc/models/eight_schools_bs.cpp). Unconstrained parameters are a flat double array; names are
 * comma-separated, multi-indices written "a.2.3" (1-based), arrays in column-major (last-index-major) order. */
#ifndef SAMPO_BRIDGESTAN_ABI_H
#define SAMPO_BRIDGESTAN_ABI_H

#ifdef __cplusplus
extern "C" {
#else
#include <stdbool.h>
#endif

typedef struct bs_model bs_model;
typedef struct bs_rng bs_rng;

/* Required. */
bs_model* bs_model_construct(const char* data, unsigned int seed, char** error_msg);
void bs_model_destruct(bs_model* m);
void bs_free_error_msg(char* error_msg);
int bs_param_unc_num(const bs_model* m);
int bs_param_num(const bs_model* m, bool include_tp, bool include_gq);
const char* bs_param_names(const bs_model* m, bool include_tp, bool include_gq);
int bs_param_constrain(const bs_model* m, bool include_tp, bool include_gq, const double* theta_unc, double* theta,
                       bs_rng* rng, char** error_msg);
int bs_log_density_gradient(const bs_model* m, bool propto, bool jacobian, const double* theta_unc, double* val,
                            double* grad, char** error_msg);
/* Optional. */
const char* bs_name(const bs_model* m);
const char* bs_model_info(const bs_model* m);
int bs_param_unconstrain(const bs_model* m, const double* theta, double* theta_unc, char** error_msg);

#ifdef __cplusplus
}
#endif
#endif
