// SPDX-License-Identifier: MIT
// encode_table's fast path (one book, no overflow) writes four rows at a time and checks them
// after their group: it must name the first bad row, as the row-by-row loop did, and write the
// same bits for any row count (groups of four plus a remainder) and any pitch.
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
