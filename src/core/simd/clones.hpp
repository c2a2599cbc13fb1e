#pragma once
// SAMPO_CLONES: compile a hot loop three times (AVX-512, AVX2, baseline x86-64) and pick the version at load time
// (GCC's target_clones). Loops that must give the same bits on every path either have no multiply–add pattern GCC
// could fuse, or sit in a file compiled with -ffp-contract=off (src/core/CMakeLists.txt, src/smc/CMakeLists.txt,
// src/nlse/CMakeLists.txt). Even then, GCC 12's vectoriser turns a complex product written in scalar code
// (re·re − im·im, re·im + im·re on adjacent doubles) into vfmaddsub in the AVX clones: such products are written on
// explicit vectors instead (src/nlse/solver.cpp, cmul2), and `objdump -d | grep vfmadd` is the check. A lambda
// called from a clone must be always_inline, or it is compiled for the baseline target only.
// Off for other compilers, under AddressSanitizer (which does not support the resolver), and in a SAMPO_NATIVE build
// (SAMPO_NATIVE_BUILD): code compiled for -march=native already uses the machine's widest vectors, and a clone for
// another target cannot inline the native-target helpers it calls (std::abs, std::sqrt: a call per element).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(SAMPO_NATIVE_BUILD)
#define SAMPO_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SAMPO_CLONES
#endif
