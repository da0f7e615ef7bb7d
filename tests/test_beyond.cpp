// SPDX-License-Identifier: MIT
// Beyond the paper: minimax codes and their bounds, several books, overflow rows, length
// limits, the raw fallback.
#include <catch2/catch.hpp>
#include <cstring>

#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "helpers.hpp"

using namespace embzip;
using embzip::test::random_table;
using embzip::test::temp_path;

namespace {

MethodOptions quick() {
    MethodOptions o;
    o.iterations = 5000;
    o.mwu_iterations = 60;
    return o;
}

// Encode, write, read back, decode every row (bulk and random access).
CodedTable round_trip(const Table& t, const CodeResult& r) {
    const CodedTable coded = encode_table(t, r);
    const std::string path = temp_path("beyond.ezt");
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

// Narrow rows plus one outlier row of uniform random bytes at `at`.
Table with_outlier(uint64_t at) {
    Table t = random_table(400, 64, 3.0, 21);
    const Table noise = random_table(1, 64, 0.0, 22);
    std::copy(noise.bytes.begin(), noise.bytes.end(), t.bytes.begin() + long(at * 64));
    return t;
}

}  // namespace

TEST_CASE("the proven bound never exceeds the code's width", "[encoder]") {
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        const Table t =
            random_table(200 + 50 * seed, 32 + 8 * seed, 2.0 + 4.0 * double(seed), seed);
        for (Method m : {Method::Minimax8, Method::Minimax4}) {
            const CodeResult r = run_method(m, t, quick());
            INFO("seed " << seed << " " << method_name(m));
            REQUIRE(r.bound_bits > 0);
            CHECK(r.bound_bits <= r.row_bits);
            // Every other single shared code of the same symbol width respects the bound too.
            const Method other = m == Method::Minimax8 ? Method::Sa8 : Method::Nibble4;
            CHECK(run_method(other, t, quick()).row_bits >= r.bound_bits);
            CHECK(r.books[0].kraft_ok());
        }
    }
}

TEST_CASE("minimax is at least as good as the paper's methods on the same symbols", "[encoder]") {
    const Table t = random_table(500, 64, 10.0, 3);
    MethodOptions o = quick();
    o.mwu_iterations = 200;
    const uint64_t w = run_method(Method::Minimax8, t, o).row_bits;
    CHECK(w <= run_method(Method::Balanced8, t).row_bits);
    CHECK(w <= run_method(Method::Huffman8, t).row_bits);
}

TEST_CASE("several books round-trip and an outlier row gets a book of its own", "[encoder]") {
    const Table t = with_outlier(123);
    MethodOptions o = quick();
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
    const CodedTable coded = round_trip(t, r);
    auto book_of = [&](uint64_t row) {
        unsigned b = 0;
        for (unsigned k = 0; k < coded.selector_bits; ++k) {
            const uint64_t p = row * coded.pitch_bits + k;
            b = b << 1 | ((coded.payload[p >> 3] >> (7 - (p & 7))) & 1);
        }
        return b;
    };
    uint64_t sharing = 0;
    for (uint64_t row = 0; row < t.rows; ++row) sharing += book_of(row) == book_of(123);
    CHECK(sharing <= t.rows / 10);
    o.books = 3;  // selector 2 bits, 4-bit symbols
    round_trip(t, run_method(Method::Minimax4, t, o));
    o.books = 17;
    CHECK_THROWS_WITH(run_method(Method::Minimax8, t, o), Catch::Contains("--books must be 1..16"));
    o.books = 2;
    CHECK_THROWS_WITH(run_method(Method::Sa8, t, o), Catch::Contains("--books applies to minimax"));
}

TEST_CASE("overflow rows: the outlier overflows, random access stays exact", "[encoder]") {
    const Table t = with_outlier(77);
    MethodOptions o = quick();
    o.overflow = 0.01;
    const CodeResult r = run_method(Method::Minimax8, t, o);
    REQUIRE(r.overflow.enabled);
    CHECK(r.overflow.rows >= 1);
    CHECK(r.overflow.rows <= 4);
    const CodedTable back = round_trip(t, r);
    CHECK(back.overflow_rows == r.overflow.rows);
    CHECK(back.stored_bytes() == r.total_bytes);
    const uint64_t plain = run_method(Method::Minimax8, t, quick()).total_bytes;
    CHECK(r.total_bytes < plain);
    // Overflow works with any method's code, and with several books.
    o.books = 2;
    round_trip(t, run_method(Method::Minimax4, t, o));
    o.books = 1;
    round_trip(t, run_method(Method::Sa8, t, o));
}

TEST_CASE("a corrupt overflow index is an error status, not a crash", "[encoder]") {
    const Table t = with_outlier(5);
    MethodOptions o = quick();
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
            coded.payload[p >> 3] = uint8_t(one ? coded.payload[p >> 3] | mask
                                                : coded.payload[p >> 3] & ~mask);
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

TEST_CASE("length-limited codes satisfy Kraft and the limit", "[encoder]") {
    const Table t = random_table(300, 128, 25.0, 8);  // ~150 symbols: needs 8 bits
    for (unsigned limit : {8u, 9u, 11u, 14u}) {
        MethodOptions o = quick();
        o.max_code_len = limit;
        for (Method m : {Method::Huffman8, Method::Balanced8, Method::Sa8, Method::Minimax8,
                         Method::Nibble4, Method::Nibble4x2, Method::Minimax4}) {
            const CodeResult r = run_method(m, t, o);
            INFO(method_name(m) << " limit " << limit);
            for (const CodeLengths& b : r.books) {
                CHECK(b.max_len() <= limit);
                CHECK(b.kraft_ok());
            }
            round_trip(t, r);
        }
    }
    MethodOptions o;
    o.max_code_len = 6;
    CHECK_THROWS_WITH(run_method(Method::Sa8, t, o), Catch::Contains("cannot code the table's"));
    o.max_code_len = 33;
    CHECK_THROWS_WITH(run_method(Method::Minimax8, t, o),
                      Catch::Contains("--max-code-len must be 1..32"));
}

TEST_CASE("no method stores a row longer than the raw row", "[encoder]") {
    // Uniform random bytes: every shared code is at least as wide as raw; Huffman is wider.
    const Table t = random_table(300, 100, 0.0, 9);
    for (Method m : all_methods()) {
        if (is_reference(m)) continue;
        const CodeResult r = run_method(m, t, quick());
        INFO(method_name(m));
        CHECK(r.row_bits <= 8u * t.dim);
        round_trip(t, r);
    }
    // A skewed table where Huffman's worst row is wider than raw: the fallback kicks in.
    Table skew = random_table(200, 50, 1.0, 10);
    for (uint32_t c = 0; c < 50; ++c) skew.bytes[c] = uint8_t(100 + c);  // row 0: 50 rare bytes
    const CodeResult h = run_method(Method::Huffman8, skew);
    CHECK(h.row_bits <= 400);
    REQUIRE(h.raw_fallback);
    CHECK(h.code_row_bits > 400);
    round_trip(skew, h);
}
