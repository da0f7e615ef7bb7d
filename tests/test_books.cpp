// SPDX-License-Identifier: MIT
// Several code books: rows choose a book by their selector bits.
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

TEST_CASE("several books round-trip and an outlier row gets a book of its own", "[encoder]") {
    const Table t = with_outlier(123);
    MethodOptions o = quick_options();
    const uint64_t one = run_method(Method::Minimax8, t, o).row_bits;
    o.books = 4;
    const CodeResult r = run_method(Method::Minimax8, t, o);
    CHECK(r.books.size() >= 2);
    CHECK(r.books.size() <= 4);
    CHECK(r.row_bits < one);
    CHECK(r.second_book_rows >= 1);
    for (const CodeLengths& b : r.books) {
        CHECK(b.kraft_ok());
        for (unsigned s = 0; s < 256; ++s) {
            const bool used =
                std::find(t.bytes.begin(), t.bytes.end(), uint8_t(s)) != t.bytes.end();
            if (used) CHECK(b.len[s] > 0);  // every book codes every symbol of the table
        }
    }
    // The outlier's book (its slot's selector bits) serves few other rows.
    const CodedTable coded = file_round_trip(t, r);
    auto book_of = [&](uint64_t row) { return slot_header(coded, row).book; };
    uint64_t sharing = 0;
    for (uint64_t row = 0; row < t.rows; ++row) sharing += book_of(row) == book_of(123);
    CHECK(sharing <= t.rows / 10);
    o.books = 3;  // selector 2 bits, 4-bit symbols
    file_round_trip(t, run_method(Method::Minimax4, t, o));
    o.books = 17;
    CHECK_THROWS_WITH(run_method(Method::Minimax8, t, o), Catch::Contains("--books must be 1..16"));
    o.books = 2;
    CHECK_THROWS_WITH(run_method(Method::Sa8, t, o), Catch::Contains("--books applies to minimax"));
}
