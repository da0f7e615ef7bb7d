// SPDX-License-Identifier: MIT
// The code searches' packed rows (encoder/src/packed_rows.*, internal): their mixture must be
// bit-identical to a plain row-by-row loop over the sparse histograms (minimax8's codes and
// bounds depend on it), including when it skips rows whose products cannot change a sum, and
// their lengths must equal the histograms' dot products.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "embzip/histogram.hpp"
#include "helpers.hpp"
#include "packed_rows.hpp"

using namespace embzip;

namespace {

// 8-bit rows of spread values (sigma 20: counts stay small, so the dense counts are 4-bit) or,
// with `spike`, each row's first 20 values 0 (a count of at least 20: byte counts), over
// several dense blocks either way.
Table spread_table(uint64_t rows, bool spike, uint64_t seed) {
    Table t = test::random_table(rows, 100, 20.0, seed);
    if (spike)
        for (uint64_t r = 0; r < rows; ++r)
            std::fill(t.bytes.begin() + long(r * 100), t.bytes.begin() + long(r * 100 + 20), 0);
    return t;
}

// Row order: every unique row, shuffled (the packed rows accept any order).
std::vector<uint32_t> shuffled_rows(const RowHistograms& h, uint64_t seed) {
    std::vector<uint32_t> rows(h.unique_rows());
    std::iota(rows.begin(), rows.end(), 0u);
    std::shuffle(rows.begin(), rows.end(), std::mt19937_64(seed));
    return rows;
}

// Weights as minimax makes them late in its rounds: a few rows near weight 1, the rest spread
// over hundreds of e-folds below, normalised to sum 1.
std::vector<double> concentrated_weights(size_t n, double spread, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> depth(0.0, spread);
    std::vector<double> w(n);
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
        w[i] = rng() % 50 == 0 ? std::exp(-depth(rng) * 1e-3) : std::exp(-depth(rng));
        total += w[i];
    }
    for (double& x : w) x /= total;
    return w;
}

void check_mixture(const RowHistograms& h, const std::vector<uint32_t>& rows,
                   const std::vector<double>& lambda) {
    std::array<double, 256> expect{};
    for (size_t i = 0; i < rows.size(); ++i)
        for (uint64_t e = h.offset[rows[i]]; e < h.offset[rows[i] + 1]; ++e)
            expect[h.symbol[e]] += lambda[i] * h.count[e];
    const detail::PackedRows packed(h, rows);
    for (const unsigned threads : {1u, 3u}) {
        std::array<double, 256> got{};
        packed.mixture(lambda.data(), got.data(), threads);
        for (unsigned s = 0; s < 256; ++s) {
            INFO("symbol " << s << " threads " << threads);
            CHECK(std::memcmp(&got[s], &expect[s], sizeof(double)) == 0);
        }
    }
}

}  // namespace

TEST_CASE("packed-row mixture is bit-identical to the row-by-row sum", "[encoder]") {
    for (const bool spike : {false, true}) {
        const RowHistograms h = build_histograms(spread_table(6000, spike, 31), {8, Split::Twos});
        const std::vector<uint32_t> rows = shuffled_rows(h, 32);
        INFO("spike " << spike);
        check_mixture(h, rows, std::vector<double>(rows.size(), 1.0 / double(rows.size())));
        for (const double spread : {5.0, 60.0, 400.0})
            check_mixture(h, rows, concentrated_weights(rows.size(), spread, 33));
    }
}

TEST_CASE("packed-row lengths equal the histograms' dot products", "[encoder]") {
    for (const bool spike : {false, true}) {
        // 3001 rows: the last group of rows is short.
        const RowHistograms h = build_histograms(spread_table(3001, spike, 41), {8, Split::Twos});
        const std::vector<uint32_t> rows = shuffled_rows(h, 42);
        const detail::PackedRows packed(h, rows);
        std::mt19937_64 rng(43);
        for (int trial = 0; trial < 4; ++trial) {
            std::array<uint8_t, 256> len{};
            for (uint8_t& l : len) l = uint8_t(1 + rng() % 32);
            std::vector<uint64_t> got(rows.size());
            const uint64_t worst = packed.lengths(len.data(), got.data(), 2);
            uint64_t expect_worst = 0;
            for (size_t i = 0; i < rows.size(); ++i) {
                const uint64_t bits = h.row_bits(rows[i], len.data());
                CHECK(got[i] == bits);
                expect_worst = std::max(expect_worst, bits);
            }
            CHECK(worst == expect_worst);
        }
    }
}
