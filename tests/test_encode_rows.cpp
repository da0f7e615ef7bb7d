// SPDX-License-Identifier: MIT
// encode_table's fast path writes runs of rows interleaved. With one book and no overflow it
// stops at the first bad row it meets: it must name the first bad row in row order, as the
// row-by-row loop does; with one book and overflow it undoes the rows that overflow; with
// several books it plans every row first. Either way it must write the same bits for any row
// count and any pitch.
#include <algorithm>
#include <catch2/catch.hpp>

#include "embzip/errors.hpp"
#include "embzip/histogram.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "helpers.hpp"

using namespace embzip;

namespace {

Table first_rows(const Table& base, uint64_t rows) {
    Table t = base;
    t.rows = rows;
    t.bytes.resize(rows * t.dim);
    return t;
}

}  // namespace

TEST_CASE("fast row writer: first bad row named, rows decode for any count and pitch",
          "[encoder]") {
    const Table base = test::random_table(64, 33, 6.0, 51);  // odd dim: a single-byte step
    const CodeResult code = run_method(Method::Huffman8, base);
    for (const uint64_t rows : {1u, 3u, 4u, 5u, 63u}) {
        const Table t = first_rows(base, rows);
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
        const Table t = first_rows(base, rows);
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

namespace {

// The slots of a table with several books and/or overflow rows, written a bit at a time from
// the definition: each row on the book that codes it shortest (ties: the lower index), or
// overflowed (flag 1, then its index in row order) when no book codes it or it is longer than
// the plan's threshold; otherwise flag 0 (with overflow), selector, codes, zeros.
struct Slots {
    std::vector<uint8_t> payload;
    std::vector<uint8_t> overflow_region;
    uint64_t overflow_rows = 0;
};

Slots reference_slots(const Table& t, const CodeResult& r, const CodedTable& geometry) {
    Slots out;
    out.payload.assign(geometry.payload.size(), 0);
    std::vector<CanonicalCode> canon;
    for (const CodeLengths& b : r.books) canon.push_back(make_canonical(b));
    uint64_t bit = 0;
    auto put = [&](uint64_t value, unsigned len) {
        for (unsigned i = len; i-- > 0; ++bit)
            if ((value >> i) & 1) out.payload[bit >> 3] |= uint8_t(0x80 >> (bit & 7));
    };
    const unsigned flag = r.overflow.enabled ? 1 : 0;
    const uint64_t budget = r.row_bits - flag - r.selector_bits;
    for (uint64_t q = 0; q < t.rows; ++q) {
        bit = q * geometry.pitch_bits;
        std::vector<uint8_t> syms(t.dim * r.spec.per_byte());
        row_symbols(t.row(q), t.dim, r.spec, syms.data());
        size_t book = 0;
        uint64_t best = UINT64_MAX;
        for (size_t b = 0; b < canon.size(); ++b) {
            uint64_t bits = 0;
            bool ok = true;
            for (const uint8_t s : syms) {
                bits += canon[b].lengths.len[s];
                ok = ok && canon[b].lengths.len[s] != 0;
            }
            if (ok && bits < best) {
                best = bits;
                book = b;
            }
        }
        const uint64_t threshold =
            std::min<uint64_t>(r.overflow.threshold_bits, budget + r.selector_bits);
        if (r.overflow.enabled && (best == UINT64_MAX || r.selector_bits + best > threshold)) {
            put(1, 1);
            put(out.overflow_rows++, r.overflow.index_bits);
            out.overflow_region.insert(out.overflow_region.end(), t.row(q), t.row(q) + t.dim);
            continue;
        }
        REQUIRE(best <= budget);
        if (flag) put(0, 1);
        put(book, r.selector_bits);
        for (const uint8_t s : syms) put(canon[book].code[s], canon[book].lengths.len[s]);
    }
    return out;
}

// The coded table's slots and overflow rows are the definition's.
void check_against_reference(const Table& t, const CodeResult& r, const CodedTable& coded) {
    const Slots want = reference_slots(t, r, coded);
    CHECK(coded.payload == want.payload);
    CHECK(coded.overflow_rows == want.overflow_rows);
    CHECK(coded.overflow_region == want.overflow_region);
}

// A random table with a few rows much wider than the rest (overflow candidates).
Table with_wide_rows(uint64_t rows, uint32_t dim, uint64_t seed) {
    Table t = test::random_table(rows, dim, 5.0, seed);
    const Table wide = test::random_table(4, dim, 40.0, seed + 1);
    const uint64_t at[4] = {3, rows / 2, rows - 200, rows - 2};
    for (unsigned k = 0; k < 4; ++k)
        std::copy(wide.row(k), wide.row(k) + dim, t.bytes.begin() + long(at[k] * dim));
    return t;
}

}  // namespace

// Several books or overflow rows: the writer plans each row's book and slot header first, in
// row order, then writes two runs interleaved; an overflowed row in either run makes both
// runs' rows of that step go one at a time. Byte-exact against the definition.
TEST_CASE("fast row writer: several books and overflow rows byte-exact against a reference",
          "[encoder]") {
    const Table base = with_wide_rows(1000, 37, 54);
    struct Case {
        Method method;
        unsigned books;
        double overflow;
    };
    for (const Case c : {Case{Method::Minimax8, 3, 0.0}, Case{Method::Minimax8, 2, 0.01},
                         Case{Method::Minimax8, 1, 0.01}, Case{Method::Minimax4, 2, 0.01},
                         Case{Method::Nibble4x2, 1, 0.0}}) {
        MethodOptions o = test::quick_options();
        o.books = c.books;
        o.overflow = c.overflow;
        const CodeResult code = run_method(c.method, base, o);
        INFO(method_name(c.method) << " books " << code.books.size() << " overflow " << c.overflow);
        REQUIRE((code.books.size() > 1 || code.overflow.enabled));
        if (c.overflow > 0) REQUIRE(code.overflow.rows >= 1);
        for (const uint64_t rows : {129u, 300u, 1000u}) {
            const Table t = first_rows(base, rows);
            for (const unsigned align : {1u, 8u}) {
                INFO("rows " << rows << " align " << align);
                const CodedTable coded = encode_table(t, code, align);
                check_against_reference(t, code, coded);
                RowDecoder dec(coded);
                std::vector<uint8_t> row(t.dim);
                for (uint64_t r = 0; r < rows; ++r) {
                    REQUIRE(dec.decode_row(r, row.data()) == Status::Ok);
                    REQUIRE(std::equal(row.begin(), row.end(), t.row(r)));
                }
            }
        }
    }
    // Rows longer than 2047 bytes: the book is chosen book by book (16-bit sums could wrap).
    {
        // Half the rows centred on +60, half on -60: two books pay for their selector bit.
        Table wide = test::random_table(300, 2100, 3.0, 55);
        for (uint64_t i = 0; i < wide.bytes.size(); ++i)
            wide.bytes[i] = uint8_t(wide.bytes[i] + (i < wide.bytes.size() / 2 ? 60 : -60));
        MethodOptions o = test::quick_options();
        o.books = 2;
        const CodeResult code = run_method(Method::Minimax8, wide, o);
        REQUIRE(code.books.size() == 2);
        const CodedTable coded = encode_table(wide, code, 1);
        check_against_reference(wide, code, coded);
    }
    // Tables of a MiB or more (BookChooser::kPairTableMin) with at most eight books: the books
    // are chosen two bytes a lookup (an odd dim: 16-byte steps, then pairs, then one byte).
    {
        Table big = with_wide_rows(30000, 37, 58);
        for (uint64_t i = big.bytes.size() / 2; i < big.bytes.size(); ++i)  // two populations
            big.bytes[i] = uint8_t(big.bytes[i] + 40);
        REQUIRE(big.bytes.size() >= (1u << 20));
        for (const Case c : {Case{Method::Minimax8, 3, 0.0}, Case{Method::Minimax8, 8, 0.01},
                             Case{Method::Nibble4x2, 1, 0.0}}) {
            MethodOptions o = test::quick_options();
            o.books = c.books;
            o.overflow = c.overflow;
            const CodeResult code = run_method(c.method, big, o);
            INFO(method_name(c.method) << " books " << code.books.size());
            REQUIRE(code.books.size() > 1);
            if (c.overflow > 0) REQUIRE(code.overflow.rows >= 1);
            check_against_reference(big, code, encode_table(big, code, 1));
        }
        MethodOptions o = test::quick_options();
        o.books = 3;
        const CodeResult code = run_method(Method::Minimax8, big, o);
        for (const CodeLengths& b : code.books) REQUIRE(b.len[127] == 0);
        Table bad = big;
        bad.bytes[20000 * bad.dim + 36] = 127;  // the last byte: the one looked up alone
        bad.bytes[9000 * bad.dim + 5] = 127;
        CHECK_THROWS_WITH(encode_table(bad, code),
                          Catch::Contains("row 9000 has a symbol no code book codes"));
        bad.bytes[9000 * bad.dim + 5] = 0;
        CHECK_THROWS_WITH(encode_table(bad, code),
                          Catch::Contains("row 20000 has a symbol no code book codes"));
    }
    // Without overflow, the first row (in row order) that no book codes is the one named.
    MethodOptions o = test::quick_options();
    o.books = 3;
    const CodeResult code = run_method(Method::Minimax8, base, o);
    REQUIRE(code.books.size() > 1);
    for (const CodeLengths& b : code.books) REQUIRE(b.len[127] == 0);
    Table bad = base;
    bad.bytes[700 * bad.dim + 3] = 127;
    bad.bytes[200 * bad.dim + 9] = 127;
    CHECK_THROWS_AS(encode_table(bad, code), InputError);
    CHECK_THROWS_WITH(encode_table(bad, code),
                      Catch::Contains("row 200 has a symbol no code book codes"));
}

// One book with overflow: the writer writes every row in place and undoes one that turns out
// too long or uncodable (its slot zeroed, its flag and index ORed in after, in row order).
// Uncodable rows at every 64-row block edge, at the run and range edges of 1, 2 and 3 threads,
// and in both interleaved runs at the same step: byte-exact against the definition.
TEST_CASE("fast row writer: one book with overflow undoes the rows that overflow, at every edge",
          "[encoder]") {
    Table t = with_wide_rows(30000, 22, 57);
    MethodOptions o = test::quick_options();
    o.overflow = 0.01;
    CodeResult code = run_method(Method::Minimax8, t, o);
    REQUIRE(code.books.size() == 1);
    REQUIRE(code.overflow.enabled);
    REQUIRE(code.books[0].len[127] == 0);
    code.overflow.index_bits = 16;  // room for the rows made uncodable below
    // Run and range starts: 1 thread 15040; 2 threads 7488, 14976 (range), 22528; 3 threads
    // 4992, 9984 (range), 14976, 19968 (range), 25024.
    const uint64_t uncodable_edges[] = {4992, 9984, 14976, 19968, 25024};
    const uint64_t long_edges[] = {7488, 15040, 22528};
    const auto near_long = [&](uint64_t r) {
        for (const uint64_t e : long_edges)
            if (r + 8 >= e && r < e + 8) return true;
        return false;
    };
    // Uncodable rows: the first and last two, every 64-row block's first and last (but near
    // the long edges), 6 rows each side of the other edges, and rows 100 and 100 + run (one
    // step of two runs).
    std::vector<uint64_t> bad{0, 1, 29998, 29999};
    for (uint64_t r = 63; r < t.rows; r += 64)
        for (const uint64_t q : {r - 63, r})
            if (!near_long(q)) bad.push_back(q);
    for (const uint64_t edge : uncodable_edges)
        for (uint64_t r = edge - 6; r < edge + 6; ++r) bad.push_back(r);
    bad.insert(bad.end(), {100, 100 + 15040, 100 + 7488, 14976 + 100, 14976 + 100 + 7552});
    std::sort(bad.begin(), bad.end());
    bad.erase(std::unique(bad.begin(), bad.end()), bad.end());
    for (const uint64_t r : bad) t.bytes[r * t.dim + r % t.dim] = 127;
    // Rows as long as can be (every byte the value of the longest code) just before the long
    // edges, the rows after them in place: an undone row's stores reached well past its slot,
    // and must not have reached the next run's first rows.
    const auto& len = code.books[0].len;
    const uint8_t longest = uint8_t(std::max_element(len.begin(), len.end()) - len.begin());
    for (const uint64_t edge : long_edges)
        for (uint64_t r = edge - 8; r < edge - 1; ++r)
            std::fill(t.bytes.begin() + long(r * t.dim), t.bytes.begin() + long((r + 1) * t.dim),
                      longest);
    for (const unsigned align : {1u, 8u, 13u}) {
        for (const unsigned threads : {1u, 2u, 3u}) {
            INFO("align " << align << " threads " << threads);
            const CodedTable coded = encode_table(t, code, align, threads);
            if (align == 13) REQUIRE(coded.pitch_bits % 8 != 0);  // rows start mid-byte
            const Slots want = reference_slots(t, code, coded);
            CHECK(coded.overflow_rows == want.overflow_rows);
            CHECK(coded.overflow_rows > bad.size());  // the wide rows and the 1 % too
            CHECK(coded.overflow_region == want.overflow_region);
            REQUIRE(coded.payload == want.payload);
            CHECK(decode_table(coded, 1).bytes == t.bytes);
        }
    }
    code.overflow.index_bits = 9;  // 512 indices, fewer than the rows that overflow
    CHECK_THROWS_WITH(encode_table(t, code, 8, 2),
                      Catch::Contains("more overflow rows than 9 index bits can address"));

    // Slots of 4 and of 3 bits: an undone row shares its first or last byte with its
    // neighbours. Value 0 codes as 0, 1 as 10; 2 is too long (3 bits > 2), 9 uncodable.
    struct Tiny {
        uint32_t row_bits, index_bits;
        std::vector<uint64_t> rows;  // the rows that overflow
    };
    // 4 bits: odd rows start mid-byte, after a row of value 1 when r % 3 == 1. 3 bits: rows
    // r = 6 (mod 8) share their last byte with row r - 1 (value 1), whose 1 bit must stay.
    for (const Tiny& g : {Tiny{4, 3, {0, 103, 4993, 9984, 9985, 10003, 15043, 19999}},
                          Tiny{3, 2, {6, 1006, 5006, 10006}}}) {
        Table tiny;
        tiny.rows = 20000;
        tiny.dim = 1;
        tiny.bytes.resize(tiny.rows);
        for (uint64_t r = 0; r < tiny.rows; ++r) tiny.bytes[r] = uint8_t(r % 3 == 0);
        for (const uint64_t r : g.rows) {
            if (g.row_bits == 3) tiny.bytes[r - 1] = 1;
            tiny.bytes[r] = r % 2 ? 2 : 9;
        }
        CodeResult small;
        small.method = Method::Minimax8;
        small.books.resize(1);
        small.books[0].len[0] = 1;
        small.books[0].len[1] = 2;
        small.books[0].len[2] = small.books[0].len[3] = 3;
        small.overflow = OverflowPlan{true, 2, g.index_bits, g.rows.size()};
        small.row_bits = g.row_bits;
        for (const unsigned threads : {1u, 2u}) {
            INFO(g.row_bits << "-bit slots, threads " << threads);
            const CodedTable coded = encode_table(tiny, small, 1, threads);
            REQUIRE(coded.pitch_bits == g.row_bits);
            const Slots want = reference_slots(tiny, small, coded);
            CHECK(coded.overflow_rows == g.rows.size());
            CHECK(coded.overflow_region == want.overflow_region);
            REQUIRE(coded.payload == want.payload);
            CHECK(decode_table(coded, 1).bytes == tiny.bytes);
        }
    }
}

namespace {

// Each row's coded bits under its shortest book (UINT64_MAX: no book codes it).
uint64_t shortest_bits(const Table& t, const CodeResult& r, uint64_t row) {
    std::vector<uint8_t> syms(t.dim * r.spec.per_byte());
    row_symbols(t.row(row), t.dim, r.spec, syms.data());
    uint64_t best = UINT64_MAX;
    for (const CodeLengths& b : r.books) {
        uint64_t bits = 0;
        bool ok = true;
        for (const uint8_t s : syms) {
            bits += b.len[s];
            ok = ok && b.len[s] != 0;
        }
        if (ok) best = std::min(best, bits);
    }
    return best;
}

}  // namespace

// 4-bit codes with 20-bit symbols: a byte of two of them needs 40 bits, more than the fast
// writer takes, so the table goes a bit at a time, from the same plan (book per row, overflow
// indices in row order) as the fast writer. Byte-exact against the definition.
TEST_CASE("bit-at-a-time writer: several books and overflow rows byte-exact against a reference",
          "[encoder]") {
    const Table t = with_wide_rows(700, 19, 56);
    CodeResult code;
    code.method = Method::Nibble4x2;
    code.spec = SymbolSpec{4, Split::SignMagnitude};
    CodeLengths a, b;
    a.alphabet = b.alphabet = 16;
    for (unsigned s = 0; s < 14; ++s) a.len[s] = uint8_t(s + 1);  // 1 .. 14 bits: a prefix code
    a.len[14] = a.len[15] = 20;
    for (unsigned s = 0; s < 16; ++s) b.len[s] = a.len[(s + 8) % 16];  // the other sign first
    code.books = {a, b};
    code.selector_bits = 1;
    std::vector<uint64_t> bits(t.rows);
    for (uint64_t r = 0; r < t.rows; ++r) bits[r] = shortest_bits(t, code, r);
    std::vector<uint64_t> sorted = bits;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(sorted.back() != UINT64_MAX);
    for (const bool overflow : {false, true}) {
        INFO("overflow " << overflow);
        if (overflow) {
            // The rows above the 99th percentile overflow.
            code.overflow.enabled = true;
            code.overflow.index_bits = 4;
            code.overflow.threshold_bits = uint32_t(1 + sorted[t.rows * 99 / 100]);
            code.row_bits = 1 + code.overflow.threshold_bits;
        } else {
            code.row_bits = 1 + sorted.back();
        }
        for (const unsigned align : {1u, 8u}) {
            const CodedTable coded = encode_table(t, code, align);
            check_against_reference(t, code, coded);
            if (overflow) CHECK(coded.overflow_rows >= 4);
            CHECK(decode_table(coded, 1).bytes == t.bytes);
        }
    }
    // Without overflow, a row width below the longest row names the first row that needs more.
    code.overflow = OverflowPlan{};
    code.row_bits = sorted.back();  // one bit short for the longest rows
    const uint64_t first_long = uint64_t(
        std::find_if(bits.begin(), bits.end(), [&](uint64_t x) { return x + 1 > code.row_bits; }) -
        bits.begin());
    CHECK_THROWS_WITH(encode_table(t, code),
                      Catch::Contains("row " + std::to_string(first_long) + " needs"));
}
