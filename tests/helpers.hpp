// SPDX-License-Identifier: MIT
// Shared by the encoder tests: seeded tables and a full round trip through the file format.
#pragma once
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
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

// Short searches: enough for the properties the tests check, fast enough for the suite.
inline MethodOptions quick_options() {
    MethodOptions o;
    o.iterations = 5000;
    o.mwu_iterations = 60;
    return o;
}

// Encode, write, read back, decode every row (bulk, and random access to every 7th row).
inline CodedTable file_round_trip(const Table& t, const CodeResult& r) {
    const CodedTable coded = encode_table(t, r);
    const std::string path = temp_path("round_trip.ezt");
    write_ezt(path, coded);
    CodedTable back = read_ezt(path);
    std::remove(path.c_str());
    REQUIRE(decode_table(back).bytes == t.bytes);
    const RowDecoder d(back);
    std::vector<uint8_t> row(t.dim);
    for (uint64_t i = 0; i < t.rows; i += 7) {
        REQUIRE(d.decode_row(i, row.data()) == Status::Ok);
        REQUIRE(std::memcmp(row.data(), t.row(i), t.dim) == 0);
    }
    return back;
}

// 400 narrow rows of 64 bytes plus one outlier row of uniform random bytes at `at`.
inline Table with_outlier(uint64_t at) {
    Table t = random_table(400, 64, 3.0, 21);
    const Table noise = random_table(1, 64, 0.0, 22);
    std::copy(noise.bytes.begin(), noise.bytes.end(), t.bytes.begin() + long(at * 64));
    return t;
}

}  // namespace embzip::test
