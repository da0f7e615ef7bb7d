// SPDX-License-Identifier: MIT
// Issue 14: the code searches split their row loops over threads, and report shares one
// table's histograms between its methods; neither may change a result.
#include <catch2/catch.hpp>

#include "default_table.hpp"
#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "embzip/report.hpp"
#include "helpers.hpp"

using namespace embzip;

namespace {

// Everything a method decides: the books, W, the bound, the overflow plan.
void check_same(const CodeResult& a, const CodeResult& b) {
    REQUIRE(a.books.size() == b.books.size());
    for (size_t k = 0; k < a.books.size(); ++k) CHECK(a.books[k].len == b.books[k].len);
    CHECK(a.spec.bits == b.spec.bits);
    CHECK(a.spec.split == b.spec.split);
    CHECK(a.row_bits == b.row_bits);
    CHECK(a.bound_bits == b.bound_bits);
    CHECK(a.second_book_rows == b.second_book_rows);
    CHECK(a.overflow.enabled == b.overflow.enabled);
    CHECK(a.overflow.threshold_bits == b.overflow.threshold_bits);
    CHECK(a.overflow.rows == b.overflow.rows);
    CHECK(a.total_bytes == b.total_bytes);
}

// A method and the options that change what it writes.
struct Case {
    Method method;
    unsigned books;
    double overflow;
};

}  // namespace

TEST_CASE("code searches give identical results for 1, 2 and 3 threads", "[encoder]") {
    // 50,000 rows: more than one row task (16,384 rows each, the last one short), several
    // dense symbol blocks and a sparse tail, so every split is exercised, unevenly for 3.
    const Table& t = test::default_table();
    for (const Case c : {Case{Method::Minimax8, 1, 0.0}, Case{Method::Minimax8, 2, 0.0},
                         Case{Method::Minimax8, 1, 0.005}, Case{Method::Minimax4, 1, 0.0}}) {
        MethodOptions o;
        o.mwu_iterations = 12;
        o.iterations = 4000;
        o.books = c.books;
        o.overflow = c.overflow;
        o.threads = 1;
        const CodeResult one = run_method(c.method, t, o);
        for (const unsigned threads : {2u, 3u}) {
            INFO(method_name(c.method)
                 << " books " << c.books << " overflow " << c.overflow << " threads " << threads);
            o.threads = threads;
            check_same(one, run_method(c.method, t, o));
        }
    }
}

TEST_CASE("wide rows (counts above 255) give identical results for 1 and 3 threads", "[encoder]") {
    // 600 bytes a row of few distinct values: byte counts do not fit the packed rows' bytes.
    Table t = test::random_table(300, 600, 1.5, 3);
    MethodOptions o;
    o.mwu_iterations = 20;
    o.iterations = 3000;
    o.threads = 1;
    const CodeResult one = run_method(Method::Minimax8, t, o);
    o.threads = 3;
    check_same(one, run_method(Method::Minimax8, t, o));
    const CodedTable coded = encode_table(t, one);
    CHECK(decode_table(coded, 3).bytes == t.bytes);
}

TEST_CASE("report shares histograms without changing any method's result", "[encoder]") {
    const Table t = test::random_table(2000, 32, 6.0, 17);
    MethodOptions o;
    o.mwu_iterations = 10;
    o.iterations = 2000;
    const std::vector<Method> methods = {Method::Huffman8, Method::Minimax8, Method::Nibble4,
                                         Method::Limit8, Method::Minimax4};
    const std::vector<ReportEntry> report = run_report("t", t, methods, o);
    REQUIRE(report.size() == methods.size());
    for (size_t i = 0; i < methods.size(); ++i) {
        INFO(method_name(methods[i]));
        check_same(report[i].result, run_method(methods[i], t, o));
    }
}

TEST_CASE("a thread count above the limit is an input error", "[encoder]") {
    MethodOptions o;
    o.threads = MethodOptions::kMaxThreads + 1;
    CHECK_THROWS_AS(run_method(Method::Huffman8, test::random_table(10, 4, 3.0, 1), o), InputError);
}

// encode_table splits the rows into one range per thread (8192 rows or more each); the rows at
// a range's end merge into the next range's first bytes after both are written. The same bytes
// for any thread count, and the first bad row in row order named whichever range it is in.
TEST_CASE("encode_table writes the same bytes for 1, 2 and 3 threads", "[encoder]") {
    const Table t = test::random_table(30000, 21, 5.0, 61);
    for (const Case c : {Case{Method::Minimax8, 1, 0.0}, Case{Method::Minimax8, 3, 0.0},
                         Case{Method::Minimax8, 2, 0.01}, Case{Method::Nibble4x2, 1, 0.0}}) {
        MethodOptions o = test::quick_options();
        o.books = c.books;
        o.overflow = c.overflow;
        const CodeResult code = run_method(c.method, t, o);
        for (const unsigned align : {1u, 8u}) {
            INFO(method_name(c.method)
                 << " books " << c.books << " overflow " << c.overflow << " align " << align);
            const CodedTable one = encode_table(t, code, align, 1);
            CHECK(decode_table(one, 1).bytes == t.bytes);
            for (const unsigned threads : {2u, 3u}) {
                const CodedTable many = encode_table(t, code, align, threads);
                CHECK(many.payload == one.payload);
                CHECK(many.overflow_region == one.overflow_region);
                CHECK(many.overflow_rows == one.overflow_rows);
            }
        }
    }
    // Value 127 is absent from the table, so no book codes it: rows 25,000 (the last range)
    // and 12,000 (the second) get one; 12,000 is the row named, for any thread count.
    for (const unsigned books : {1u, 2u}) {
        MethodOptions o = test::quick_options();
        o.books = books;
        const CodeResult code = run_method(Method::Minimax8, t, o);
        for (const CodeLengths& b : code.books) REQUIRE(b.len[127] == 0);
        Table bad = t;
        bad.bytes[25000 * bad.dim + 4] = 127;
        bad.bytes[12000 * bad.dim + 2] = 127;
        for (const unsigned threads : {1u, 3u}) {
            INFO("books " << books << " threads " << threads);
            CHECK_THROWS_WITH(encode_table(bad, code, 8, threads), Catch::Contains("row 12000 "));
        }
    }
}

// More threads than 64-row blocks of slack: ranges must still be contiguous and in the table
// (200 ranges of about 8,197 rows; rounding each range's size up to whole blocks put the
// last ranges past the end).
TEST_CASE("encode_table on 200 threads keeps its 200 ranges inside 1.6 million rows", "[encoder]") {
    const Table t = test::random_table(200 * 8192 + 1000, 2, 4.0, 62);
    MethodOptions o = test::quick_options();
    const CodeResult code = run_method(Method::Huffman8, t, o);
    const CodedTable one = encode_table(t, code, 1, 1);
    const CodedTable many = encode_table(t, code, 1, 200);
    CHECK(many.payload == one.payload);
    CHECK(decode_table(many, 2).bytes == t.bytes);
}
