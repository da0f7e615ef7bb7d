// SPDX-License-Identifier: MIT
// encode_table's fast path (one book, no overflow) writes runs of rows interleaved and stops at
// the first bad row it meets: it must name the first bad row in row order, as the row-by-row
// loop does, and write the same bits for any row count and any pitch.
#include <catch2/catch.hpp>

#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "helpers.hpp"

using namespace embzip;

TEST_CASE("fast row writer: first bad row named, rows decode for any count and pitch",
          "[encoder]") {
    const Table base = test::random_table(64, 33, 6.0, 51);  // odd dim: a single-byte step
    const CodeResult code = run_method(Method::Huffman8, base);
    for (const uint64_t rows : {1u, 3u, 4u, 5u, 63u}) {
        Table t = base;
        t.rows = rows;
        t.bytes.resize(rows * t.dim);
        for (const unsigned align : {1u, 8u, 13u}) {
            INFO("rows " << rows << " align " << align);
            const CodedTable coded = encode_table(t, code, align);
            RowDecoder dec(coded);
            std::vector<uint8_t> row(t.dim);
            for (uint64_t r = 0; r < rows; ++r) {
                REQUIRE(dec.decode_row(r, row.data()) == Status::Ok);
                CHECK(std::equal(row.begin(), row.end(), t.row(r)));
            }
        }
    }
    // Rows 5 and 6 get a byte the code does not code (value 127 is absent from the table);
    // row 5 is in the second group of four and must be the one reported.
    Table bad = base;
    REQUIRE(code.books[0].len[127] == 0);
    bad.bytes[5 * bad.dim + 7] = 127;
    bad.bytes[6 * bad.dim + 1] = 127;
    try {
        encode_table(bad, code);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK(std::string(e.what()).find("row 5 ") != std::string::npos);
    }
    // A row width one bit short of the longest row: that row (and no earlier one) is named.
    CodeResult narrow = code;
    narrow.row_bits = code.row_bits - 1;
    uint64_t first_long = UINT64_MAX;
    for (uint64_t r = 0; r < base.rows && first_long == UINT64_MAX; ++r) {
        uint64_t bits = 0;
        for (uint32_t c = 0; c < base.dim; ++c) bits += code.books[0].len[base.row(r)[c]];
        if (bits > narrow.row_bits) first_long = r;
    }
    REQUIRE(first_long != UINT64_MAX);
    try {
        encode_table(base, narrow);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK(std::string(e.what()).find("row " + std::to_string(first_long) + " needs") !=
              std::string::npos);
    }
}

// Several 64-row blocks: the fast path writes two runs interleaved and merges the rows at the
// run boundary. The payload must be the bits of a plain bit-at-a-time writer, and a bad row in
// the second run must not be named before an earlier bad row in the first.
TEST_CASE("fast row writer: runs byte-exact against a bit-at-a-time writer", "[encoder]") {
    const Table base = test::random_table(1000, 37, 6.0, 52);
    const CodeResult code = run_method(Method::Huffman8, base);
    const CanonicalCode canon = make_canonical(code.books[0]);
    for (const uint64_t rows : {129u, 300u, 1000u}) {
        Table t = base;
        t.rows = rows;
        t.bytes.resize(rows * t.dim);
        for (const unsigned align : {1u, 8u}) {
            INFO("rows " << rows << " align " << align);
            const CodedTable coded = encode_table(t, code, align);
            std::vector<uint8_t> want(coded.payload.size(), 0);
            for (uint64_t r = 0; r < rows; ++r) {
                uint64_t bit = r * coded.pitch_bits;
                for (uint32_t c = 0; c < t.dim; ++c) {
                    const uint8_t v = t.row(r)[c];
                    const unsigned len = canon.lengths.len[v];
                    for (unsigned i = len; i-- > 0; ++bit)
                        if ((canon.code[v] >> i) & 1) want[bit >> 3] |= uint8_t(0x80 >> (bit & 7));
                }
            }
            CHECK(coded.payload == want);
        }
    }
    Table bad = base;
    REQUIRE(code.books[0].len[127] == 0);
    bad.bytes[700 * bad.dim + 3] = 127;  // the second run (rows 512-999), written first
    bad.bytes[200 * bad.dim + 9] = 127;  // the first run, reached later
    try {
        encode_table(bad, code);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK(std::string(e.what()).find("row 200 ") != std::string::npos);
    }
}
