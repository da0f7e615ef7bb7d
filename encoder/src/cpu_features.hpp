// SPDX-License-Identifier: MIT
// Which instruction-set clones the CPU can run, asked once per process. Kernels compiled with
// __attribute__((target(...))) call these to choose their clone; x86 with GCC or Clang only.
#pragma once

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
namespace embzip::detail {

inline bool cpu_has_avx2() {
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
}

inline bool cpu_has_bmi2() {
    static const bool yes = __builtin_cpu_supports("bmi2");
    return yes;
}

}  // namespace embzip::detail
#endif
