// SPDX-License-Identifier: MIT
// minimax codes: the proven lower bound, against the paper's methods, and the options at their
// edges (issue 8): no multiplicative-weights rounds, step sizes that break the weights' arithmetic.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "helpers.hpp"

using namespace embzip;

TEST_CASE("minimax with no multiplicative-weights rounds codes the table, proves nothing",
          "[encoder]") {
    const Table t = test::random_table(600, 24, 9.0, 11);
    for (const Method m : {Method::Minimax8, Method::Minimax4}) {
        for (const unsigned books : {1u, 3u}) {
            MethodOptions o;
            o.mwu_iterations = 0;
            o.iterations = 3000;
            o.books = books;
            const CodeResult r = run_method(m, t, o);
            INFO(method_name(m) << " books " << books);
            CHECK(r.bound_bits == 0);
            REQUIRE_FALSE(r.books.empty());
            const CodedTable c = encode_table(t, r);
            CHECK(decode_table(c).bytes == t.bytes);
        }
    }
}

TEST_CASE("minimax rejects a step size that is not in 0 < eta <= kMaxEta", "[encoder]") {
    const Table t = test::random_table(50, 8, 5.0, 2);
    for (const double eta : {0.0, -1.0, 10.5, 1e308, std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()}) {
        MethodOptions o;
        o.eta = eta;
        INFO("eta " << eta);
        CHECK_THROWS_AS(run_method(Method::Minimax8, t, o), InputError);
    }
}

TEST_CASE("minimax's bound never exceeds the width it achieves, even at the largest step",
          "[encoder]") {
    // Skewed rows: a few rows far longer than the rest, so a large step drives the weight of
    // every other row to zero within a few rounds (the case that used to give 0/0 weights).
    Table t = test::random_table(400, 32, 3.0, 5);
    for (uint64_t r = 0; r < 4; ++r)
        for (uint32_t c = 0; c < t.dim; ++c) t.bytes[r * t.dim + c] = uint8_t(c * 37 + r * 101);
    for (const double eta : {0.05, 1.0, MethodOptions::kMaxEta}) {
        for (const Method m : {Method::Minimax8, Method::Minimax4}) {
            MethodOptions o;
            o.eta = eta;
            o.iterations = 2000;
            const CodeResult r = run_method(m, t, o);
            INFO(method_name(m) << " eta " << eta);
            CHECK(r.bound_bits > 0);
            CHECK(r.bound_bits <= r.row_bits);
        }
    }
}

TEST_CASE("the proven bound never exceeds the code's width", "[encoder]") {
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        const Table t =
            test::random_table(200 + 50 * seed, 32 + 8 * seed, 2.0 + 4.0 * double(seed), seed);
        for (Method m : {Method::Minimax8, Method::Minimax4}) {
            const CodeResult r = run_method(m, t, test::quick_options());
            INFO("seed " << seed << " " << method_name(m));
            REQUIRE(r.bound_bits > 0);
            CHECK(r.bound_bits <= r.row_bits);
            // Every other single shared code of the same symbol width respects the bound too.
            const Method other = m == Method::Minimax8 ? Method::Sa8 : Method::Nibble4;
            CHECK(run_method(other, t, test::quick_options()).row_bits >= r.bound_bits);
            CHECK(r.books[0].kraft_ok());
        }
    }
}

TEST_CASE("minimax is at least as good as the paper's methods on the same symbols", "[encoder]") {
    const Table t = test::random_table(500, 64, 10.0, 3);
    MethodOptions o = test::quick_options();
    o.mwu_iterations = 200;
    const uint64_t w = run_method(Method::Minimax8, t, o).row_bits;
    CHECK(w <= run_method(Method::Balanced8, t).row_bits);
    CHECK(w <= run_method(Method::Huffman8, t).row_bits);
}
