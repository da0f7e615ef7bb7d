// SPDX-License-Identifier: MIT
// Which instruction-set clones the CPU can run, asked once per process. Kernels compiled with
// __attribute__((target(...))) call these to choose their clone; x86 with GCC or Clang only.
//
// EMBZIP_CPU=baseline in the environment makes every kernel take its portable clone, as on a
// CPU without AVX2 or BMI2: the test suite runs the kernels' cases so too (ctest's
// baseline_isa entries), since the machines it runs on all have both.
#pragma once

#include <cstdlib>
#include <cstring>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
namespace embzip::detail {

inline bool cpu_baseline_forced() {
    static const bool yes = [] {
        const char* v = std::getenv("EMBZIP_CPU");
        return v != nullptr && std::strcmp(v, "baseline") == 0;
    }();
    return yes;
}

inline bool cpu_has_avx2() {
    static const bool yes = !cpu_baseline_forced() && __builtin_cpu_supports("avx2");
    return yes;
}

inline bool cpu_has_bmi2() {
    static const bool yes = !cpu_baseline_forced() && __builtin_cpu_supports("bmi2");
    return yes;
}

}  // namespace embzip::detail
#endif
