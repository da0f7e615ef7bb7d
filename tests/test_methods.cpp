// SPDX-License-Identifier: MIT
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <set>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip/npy.hpp"
#include "embzip/table_io.hpp"
#include "helpers.hpp"

using namespace embzip;
using embzip::test::file_round_trip;
using embzip::test::quick_options;
using embzip::test::random_table;
using embzip::test::temp_path;

namespace {

const Method kEncodings[] = {Method::Huffman8,  Method::Balanced8, Method::Sa8,     Method::Nibble4,
                             Method::Nibble4x2, Method::Minimax8,  Method::Minimax4};

// Method -> code -> .ezt file -> decode: every row must come back bit-exact, in bulk and one
// at a time, and no row may be wider than the W the method reported.
void check_round_trip(const Table& table, Method method, unsigned align = 8,
                      MethodOptions options = {}) {
    options.iterations = 4000;
    options.mwu_iterations = 40;
    const CodeResult result = run_method(method, table, options);
    INFO("method " << method_name(method) << " rows " << table.rows << " dim " << table.dim);
    REQUIRE(!result.books.empty());
    const CodedTable coded = encode_table(table, result, align);
    REQUIRE(coded.row_bits == result.row_bits);
    const std::string path = temp_path(std::string(method_name(method)) + ".ezt");
    write_ezt(path, coded);
    const CodedTable back = read_ezt(path);
    std::remove(path.c_str());
    const Table decoded = decode_table(back);
    REQUIRE(decoded.bytes == table.bytes);
    const RowDecoder decoder(back);
    std::vector<uint8_t> row(table.dim);
    for (uint64_t r = table.rows; r-- > 0;) {
        REQUIRE(decoder.decode_row(r, row.data()) == Status::Ok);
        REQUIRE(std::memcmp(row.data(), table.row(r), table.dim) == 0);
    }
    CHECK(decoder.decode_row(table.rows, row.data()) == Status::OutOfRange);
    // The batched gather: shuffled indices with repeats, odd count.
    std::vector<uint64_t> idx;
    std::mt19937_64 rng(table.rows);
    for (uint64_t k = 0; k < 2 * table.rows + 1; ++k) idx.push_back(rng() % table.rows);
    std::vector<uint8_t> rows(idx.size() * table.dim);
    REQUIRE(decoder.decode_rows(idx.data(), idx.size(), rows.data()) == Status::Ok);
    for (size_t k = 0; k < idx.size(); ++k)
        REQUIRE(std::memcmp(rows.data() + k * table.dim, table.row(idx[k]), table.dim) == 0);
    idx.back() = table.rows;
    CHECK(decoder.decode_rows(idx.data(), idx.size(), rows.data()) == Status::OutOfRange);
}

}  // namespace

TEST_CASE("every method round-trips seeded random tables", "[encoder]") {
    const double sigma = GENERATE(0.0, 3.0, 20.0);
    const Table table = random_table(300, 48, sigma, 42 + uint64_t(sigma));
    for (Method m : kEncodings) check_round_trip(table, m);
}

TEST_CASE("round trip on the corner cases", "[encoder]") {
    SECTION("one row") {
        for (Method m : kEncodings) check_round_trip(random_table(1, 64, 10.0, 1), m);
    }
    SECTION("one column") {
        for (Method m : kEncodings) check_round_trip(random_table(500, 1, 10.0, 2), m);
    }
    SECTION("one distinct symbol") {
        Table t = random_table(40, 16, 1.0, 3);
        std::fill(t.bytes.begin(), t.bytes.end(), uint8_t(0x85));
        for (Method m : kEncodings) check_round_trip(t, m);
    }
    SECTION("all 256 symbols") {
        Table t = random_table(64, 256, 0.0, 4);
        for (size_t i = 0; i < 256; ++i) t.bytes[i] = uint8_t(i);  // row 0 holds every byte once
        for (Method m : kEncodings) check_round_trip(t, m);
    }
    SECTION("uniform random bytes") {
        for (Method m : kEncodings) check_round_trip(random_table(200, 100, 0.0, 5), m);
    }
    SECTION("D = 4096") {
        for (Method m : kEncodings) check_round_trip(random_table(6, 4096, 12.0, 6), m);
    }
    SECTION("packed pitch and wide alignment") {
        const Table t = random_table(77, 33, 9.0, 7);
        check_round_trip(t, Method::Sa8, 1);
        check_round_trip(t, Method::Nibble4x2, 1);
        check_round_trip(t, Method::Balanced8, 512);
    }
}

TEST_CASE("limit8 equals a hand-computed value", "[encoder]") {
    // Row 0: bytes a a a a b b c d -> Huffman lengths 1,2,3,3 -> 4 + 4 + 3 + 3 = 14 bits.
    // Row 1: eight distinct bytes -> 3 bits each = 24 bits. Row 2: one symbol -> 8 bits.
    Table t;
    t.rows = 3;
    t.dim = 8;
    t.bytes = {1, 1, 1, 1, 2, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 17, 9, 9, 9, 9, 9, 9, 9, 9};
    const CodeResult r = run_method(Method::Limit8, t);
    CHECK(r.row_bits == 24);
    CHECK(r.books.empty());
    t.rows = 1;
    t.bytes.resize(8);
    CHECK(run_method(Method::Limit8, t).row_bits == 14);
    // limit4 of row 0 (two's complement): nibbles 0x01 x4, 0x02 x2, 0x03, 0x04 -> 0:8, 1:4, 2:2,
    // 3:1, 4:1 Huffman: 8 x1 + 4 x2 + 2 x3 + 1 x4 + 1 x4 = 30 bits.
    CHECK(run_method(Method::Limit4, t).row_bits == 30);
}

TEST_CASE("nibble4 equals brute force over every code on small alphabets", "[encoder]") {
    // Tables whose bytes use few distinct nibbles; brute force tries every length vector with
    // Kraft <= 1 (lengths 1..5) on the symbols used, minimising the worst row.
    for (uint64_t seed = 0; seed < 12; ++seed) {
        std::mt19937_64 rng(seed);
        const unsigned distinct = 2 + seed % 4;  // nibble values 0..distinct-1
        Table t;
        t.rows = 20;
        t.dim = 6;
        t.bytes.resize(t.rows * t.dim);
        for (auto& b : t.bytes) {
            unsigned hi = rng() % distinct, lo = rng() % distinct;
            if (rng() % 3 == 0) hi = lo = 0;  // skew
            b = uint8_t(hi << 4 | lo);
        }
        const RowHistograms hist = build_histograms(t, {4, Split::Twos});
        std::vector<unsigned> used;
        for (unsigned s = 0; s < 16; ++s)
            if (hist.frequency[s]) used.push_back(s);
        uint64_t brute = UINT64_MAX;
        std::vector<unsigned> len(used.size(), 1);
        while (true) {
            CodeLengths c;
            c.alphabet = 16;
            for (size_t i = 0; i < used.size(); ++i) c.len[used[i]] = uint8_t(len[i]);
            if (c.kraft_ok()) brute = std::min(brute, evaluate(hist, {c}).row_bits);
            size_t i = 0;
            while (i < len.size() && len[i] == 5) len[i++] = 1;
            if (i == len.size()) break;
            ++len[i];
        }
        const CodeResult r = run_method(Method::Nibble4, t);
        INFO("seed " << seed);
        // nibble4 also tries the sign-magnitude split, which can only be better.
        CHECK(r.row_bits <= brute);
        if (r.spec.split == Split::Twos) CHECK(r.row_bits == brute);
        uint64_t twos_bits = 0;
        best_nibble_code(hist, {}, &twos_bits);
        CHECK(twos_bits == brute);
    }
}

TEST_CASE("sa8 never returns worse than its start tree", "[encoder]") {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
        const Table t = random_table(400, 64, 6.0 * double(seed), seed);
        MethodOptions o;
        o.seed = seed;
        o.iterations = 3000;
        o.start = SaStart::Balanced;
        CHECK(run_method(Method::Sa8, t, o).row_bits <= run_method(Method::Balanced8, t).row_bits);
        o.start = SaStart::Huffman;
        CHECK(run_method(Method::Sa8, t, o).row_bits <= run_method(Method::Huffman8, t).row_bits);
    }
}

TEST_CASE("sa8 is deterministic for a seed", "[encoder]") {
    const Table t = random_table(300, 64, 8.0, 9);
    MethodOptions o;
    o.seed = 7;
    o.iterations = 5000;
    const CodeResult a = run_method(Method::Sa8, t, o), b = run_method(Method::Sa8, t, o);
    CHECK(a.row_bits == b.row_bits);
    CHECK(a.books[0].len == b.books[0].len);
}

TEST_CASE("nibble4x2 is never wider than nibble4 and counts its second-tree rows", "[encoder]") {
    // Two populations, rows around 0 and rows around 0x30, which want different trees (rows of
    // uniform bytes would not: no tree beats 4 bits a nibble on them, so one tree is kept).
    Table t = random_table(300, 40, 2.0, 10);
    const Table shifted = random_table(30, 40, 2.0, 11);
    std::transform(shifted.bytes.begin(), shifted.bytes.end(), t.bytes.begin(),
                   [](uint8_t b) { return uint8_t(b + 0x30); });
    const CodeResult one = run_method(Method::Nibble4, t), two = run_method(Method::Nibble4x2, t);
    CHECK(two.row_bits < one.row_bits);
    REQUIRE(two.books.size() == 2);
    CHECK(two.selector_bits == 1);
    CHECK(two.second_book_rows > 0);
    CHECK(two.second_book_rows < t.rows);
}

TEST_CASE("length-limited codes satisfy Kraft and the limit", "[encoder]") {
    const Table t = random_table(300, 128, 25.0, 8);  // ~150 symbols: needs 8 bits
    for (unsigned limit : {8u, 9u, 11u, 14u}) {
        MethodOptions o = quick_options();
        o.max_code_len = limit;
        for (Method m : {Method::Huffman8, Method::Balanced8, Method::Sa8, Method::Minimax8,
                         Method::Nibble4, Method::Nibble4x2, Method::Minimax4}) {
            const CodeResult r = run_method(m, t, o);
            INFO(method_name(m) << " limit " << limit);
            for (const CodeLengths& b : r.books) {
                CHECK(b.max_len() <= limit);
                CHECK(b.kraft_ok());
            }
            file_round_trip(t, r);
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
        const CodeResult r = run_method(m, t, quick_options());
        INFO(method_name(m));
        CHECK(r.row_bits <= 8u * t.dim);
        file_round_trip(t, r);
    }
    // A skewed table where Huffman's worst row is wider than raw: the fallback kicks in.
    Table skew = random_table(200, 50, 1.0, 10);
    for (uint32_t c = 0; c < 50; ++c) skew.bytes[c] = uint8_t(100 + c);  // row 0: 50 rare bytes
    const CodeResult h = run_method(Method::Huffman8, skew);
    CHECK(h.row_bits <= 400);
    REQUIRE(h.raw_fallback);
    CHECK(h.code_row_bits > 400);
    file_round_trip(skew, h);
}

TEST_CASE("capped searches (SearchBudget) still round-trip", "[encoder]") {
    // The caps the round_trip fuzz target sets, at their smallest (no rounds, one order, no swap
    // pass) and one above: each capped path must still give a code that codes every row.
    const unsigned cap = GENERATE(0u, 1u);
    MethodOptions o;
    o.budget.nibble_orders = cap + 1;
    o.budget.nibble_swap_passes = cap;
    o.budget.book_kmeans_rounds = cap;
    o.budget.book_refit_rounds = cap;
    o.budget.overflow_refits = cap;
    // Two populations, so that nibble4x2's two-tree search and several books have work to do.
    Table t = random_table(160, 24, 2.0, 12);
    const Table shifted = random_table(20, 24, 2.0, 13);
    std::transform(shifted.bytes.begin(), shifted.bytes.end(), t.bytes.begin(),
                   [](uint8_t b) { return uint8_t(b + 0x30); });
    Table few = t;  // at most 4 distinct nibbles: the exhaustive orders, capped
    for (uint8_t& b : few.bytes) b &= 0x33;
    for (const Table* table : {&t, &few}) {
        check_round_trip(*table, Method::Nibble4, 8, o);
        check_round_trip(*table, Method::Nibble4x2, 1, o);
        for (unsigned books : {1u, 2u, 4u})
            for (double overflow : {0.0, 0.05}) {
                o.books = books;
                o.overflow = overflow;
                check_round_trip(*table, Method::Minimax8, 8, o);
                check_round_trip(*table, Method::Minimax4, 32, o);
            }
        o.books = 1;
        o.overflow = 0;
    }
}

TEST_CASE("nibble4's order and swap caps bound its search", "[encoder]") {
    // On a table where the full search ends on another order than plain frequency (an
    // exhaustive permutation or swaps), one order and no swap pass must stop at frequency.
    MethodOptions capped;
    capped.budget.nibble_orders = 1;
    capped.budget.nibble_swap_passes = 0;
    bool found = false;
    for (uint64_t seed = 20; seed < 60 && !found; ++seed) {
        Table t = random_table(40, 12, 3.0, seed);
        for (uint8_t& b : t.bytes) b &= 0x37;
        const CodeResult full = run_method(Method::Nibble4, t);
        if (full.order == "frequency") continue;
        found = true;
        const CodeResult r = run_method(Method::Nibble4, t, capped);
        CHECK(r.order == "frequency");
        CHECK(r.row_bits >= full.row_bits);
    }
    REQUIRE(found);
}

TEST_CASE("method names parse and reject unknown names", "[encoder]") {
    for (Method m : all_methods()) CHECK(parse_method(method_name(m)) == m);
    CHECK_THROWS_WITH(parse_method("zip"), Catch::Contains("unknown method 'zip'"));
    CHECK(parse_method_list("all").size() == all_methods().size());
    CHECK(parse_method_list("sa8,limit8").size() == 2);
}

TEST_CASE("limits are bounds, not encodings", "[encoder]") {
    const Table t = random_table(10, 10, 5.0, 1);
    const CodeResult r = run_method(Method::Limit8, t);
    CHECK_THROWS_AS(encode_table(t, r), InputError);
    // No shared code beats every row's own Huffman code.
    CHECK(run_method(Method::Sa8, t).row_bits >= r.row_bits);
}

TEST_CASE("the method registry is the one list of methods", "[encoder]") {
    std::set<std::string> names;
    for (const MethodInfo& m : method_registry()) {
        INFO(m.name);
        CHECK(names.insert(m.name).second);
        CHECK(parse_method(m.name) == m.method);
        CHECK(std::string(method_name(m.method)) == m.name);
        CHECK(is_reference(m.method) == m.reference);
        CHECK(m.run != nullptr);
        CHECK(method_help(false).find(m.name) != std::string::npos);
        CHECK((method_help(true).find(std::string("  ") + m.name + " ") != std::string::npos) ==
              !m.reference);
    }
    CHECK(all_methods().size() == method_registry().size());
    for (Method m : encodable_methods()) CHECK_FALSE(is_reference(m));
    // Both READMEs list every method: the results table as `name`, the pipeline by name.
    for (const char* readme : {"/README.md", "/encoder/README.md"}) {
        const std::vector<uint8_t> bytes = read_file(std::string(EMBZIP_SOURCE_DIR) + readme);
        const std::string text(bytes.begin(), bytes.end());
        for (const MethodInfo& m : method_registry()) {
            INFO(readme << " lists " << m.name);
            CHECK(text.find(std::string("`") + m.name) != std::string::npos);
        }
    }
}
