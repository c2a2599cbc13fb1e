# Warnings and sanitizers applied to Sampo's own targets through one interface target.
add_library(sampo_options INTERFACE)
add_library(sampo::options ALIAS sampo_options)
target_compile_options(sampo_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                       -Wno-unused-parameter $<$<BOOL:${SAMPO_WERROR}>:-Werror>)
if(SAMPO_SANITIZE)
  target_compile_options(sampo_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(sampo_options INTERFACE -fsanitize=address,undefined)
endif()
# SAMPO_NATIVE: instructions of the build machine (AVX2/AVX-512) for the pointwise loops; FFTW picks its own
# kernels at run time either way. Off by default, so a binary built on a login node runs on any compute node. For
# every target in the tree, not through sampo::options: Eigen's alignment and vector types must agree between all
# translation units that share its objects (tests included). -ffp-contract=off: no fused multiply-adds that the
# source does not write, so results round as in the default build (with contraction, fixed-seed statistical tests
# of mcmc and walks' TAO line search crossed their thresholds: same law, other samples).
# SAMPO_NATIVE_BUILD turns off SAMPO_CLONES (src/core/simd/clones.hpp): no clones for other targets.
if(SAMPO_NATIVE)
  add_compile_options(-march=native -ffp-contract=off)
  add_compile_definitions(SAMPO_NATIVE_BUILD)
endif()
