// SPDX-License-Identifier: MIT
// Reference values on the shipped default table (data/glove100_int8_50k.npy, 100 bytes a row),
// from the issue: the paper's limits and the seed implementation's balanced tree.
#include <catch2/catch.hpp>

#include "default_table.hpp"
#include "embzip/methods.hpp"
#include "embzip/table_io.hpp"

using namespace embzip;
using embzip::test::default_table;

TEST_CASE("default table: limit8 worst row is 616 bits", "[encoder]") {
    const Table& t = default_table();
    REQUIRE(t.rows == 50000);
    REQUIRE(t.dim == 100);
    CHECK(limit_bits(build_histograms(t, {8, Split::Twos})) == 616);
}

TEST_CASE("default table: limit4 is 766 bits sign-magnitude, 774 two's complement", "[encoder]") {
    const Table& t = default_table();
    CHECK(limit_bits(build_histograms(t, {4, Split::SignMagnitude})) == 766);
    CHECK(limit_bits(build_histograms(t, {4, Split::Twos})) == 774);
    const CodeResult r = run_method(Method::Limit4, t);
    CHECK(r.row_bits == 766);
    CHECK(r.spec.split == Split::SignMagnitude);
}

TEST_CASE("default table: balanced8 is 761 bits, as the seed implementation", "[encoder]") {
    CHECK(run_method(Method::Balanced8, default_table()).row_bits == 761);
}

TEST_CASE("default table: sa8 beats balanced8 within a short run", "[encoder]") {
    MethodOptions o;
    o.iterations = 20000;
    CHECK(run_method(Method::Sa8, default_table(), o).row_bits < 761);
}
