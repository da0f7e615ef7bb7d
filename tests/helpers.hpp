// SPDX-License-Identifier: MIT
// Shared by the encoder tests: seeded tables and a full round trip through the file format.
#pragma once
#include <filesystem>
#include <random>

#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip/table.hpp"

namespace embzip::test {

// rows x dim int8 table; values drawn from a rounded normal with the given sigma (0: uniform
// bytes).
inline Table random_table(uint64_t rows, uint32_t dim, double sigma, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, sigma > 0 ? sigma : 1.0);
    Table t;
    t.rows = rows;
    t.dim = dim;
    t.bytes.resize(rows * dim);
    for (uint8_t& b : t.bytes) {
        if (sigma <= 0)
            b = uint8_t(rng());
        else
            b = uint8_t(int8_t(std::clamp(std::lround(normal(rng)), -127L, 127L)));
    }
    return t;
}

inline std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("embzip_test_" + name)).string();
}

}  // namespace embzip::test
