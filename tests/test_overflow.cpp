// SPDX-License-Identifier: MIT
// Overflow rows: slots that hold an index into the raw overflow region instead of codes.
#include <catch2/catch.hpp>
#include <cstring>

#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "helpers.hpp"

using namespace embzip;
using embzip::test::file_round_trip;
using embzip::test::quick_options;
using embzip::test::random_table;
using embzip::test::with_outlier;

TEST_CASE("overflow rows: the outlier overflows, random access stays exact", "[encoder]") {
    const Table t = with_outlier(77);
    MethodOptions o = quick_options();
    o.overflow = 0.01;
    const CodeResult r = run_method(Method::Minimax8, t, o);
    REQUIRE(r.overflow.enabled);
    CHECK(r.overflow.rows >= 1);
    CHECK(r.overflow.rows <= 4);
    const CodedTable back = file_round_trip(t, r);
    CHECK(back.overflow_rows == r.overflow.rows);
    CHECK(back.stored_bytes() == r.total_bytes);
    const uint64_t plain = run_method(Method::Minimax8, t, quick_options()).total_bytes;
    CHECK(r.total_bytes < plain);
    // Overflow works with any method's code, and with several books.
    o.books = 2;
    file_round_trip(t, run_method(Method::Minimax4, t, o));
    o.books = 1;
    file_round_trip(t, run_method(Method::Sa8, t, o));
}

TEST_CASE("a corrupt overflow index is an error status, not a crash", "[encoder]") {
    const Table t = with_outlier(5);
    MethodOptions o = quick_options();
    o.overflow = 0.01;
    CodedTable coded = encode_table(t, run_method(Method::Minimax8, t, o));
    REQUIRE(coded.overflow);
    // Row 5 is the overflowed one (its slot's flag is set). Every index below overflow_rows
    // reads that raw row; overflow_rows itself, the first index past the region, is an error.
    // The index field can hold it: the encoder checks overflow_rows >> index_bits == 0.
    REQUIRE(slot_header(coded, 5).overflowed);
    REQUIRE(coded.overflow_rows >= 1);
    REQUIRE(coded.overflow_rows < (uint64_t(1) << coded.index_bits));
    auto set_index = [&](uint64_t k) {
        for (unsigned b = 0; b < coded.index_bits; ++b) {
            const uint64_t p = 5 * coded.pitch_bits + 1 + b;  // after the flag, MSB first
            const uint8_t mask = uint8_t(0x80 >> (p & 7));
            const bool one = (k >> (coded.index_bits - 1 - b)) & 1;
            coded.payload[p >> 3] =
                uint8_t(one ? coded.payload[p >> 3] | mask : coded.payload[p >> 3] & ~mask);
        }
    };
    const RowDecoder d(borrow(coded));  // not a copy: it sees the index edits below
    std::vector<uint8_t> row(t.dim);
    for (uint64_t k = 0; k < coded.overflow_rows; ++k) {
        set_index(k);
        REQUIRE(d.decode_row(5, row.data()) == Status::Ok);
        CHECK(std::memcmp(row.data(), coded.overflow_region.data() + k * t.dim, t.dim) == 0);
    }
    set_index(coded.overflow_rows);
    CHECK(d.decode_row(5, row.data()) == Status::BadOverflowIndex);
    uint64_t index = 5;
    CHECK(d.decode_rows(&index, 1, row.data()) == Status::BadOverflowIndex);
}
