// SPDX-License-Identifier: MIT
// The decode kernel's paths (multi-byte lookups, the slow path for long codes, interleaved
// rows, row tails, threads) against the original bytes: 8-bit and 4-bit codes, several books,
// overflow rows, float planes; and corrupt payloads, which must give the same status however
// the rows are decoded.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <numeric>
#include <random>

#include "embzip/decode_kernel.hpp"
#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "helpers.hpp"

using namespace embzip;

namespace {

// Values with a geometric distribution: a Huffman code of them has codes far longer than
// the lookup table (the slow path) as well as codes short enough for two bytes a lookup.
Table geometric_table(uint64_t rows, uint32_t dim, double p, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::geometric_distribution<int> geo(p);
    Table t;
    t.rows = rows;
    t.dim = dim;
    t.bytes.resize(rows * dim);
    for (uint8_t& b : t.bytes) {
        const int v = std::min(geo(rng), 127);
        b = uint8_t(int8_t(rng() & 1 ? v : -v));
    }
    return t;
}

// A Huffman code of the table's symbols (lengths up to 32) as a CodeResult that fits it.
CodeResult huffman_result(const Table& t, SymbolSpec spec) {
    std::vector<uint64_t> freq(spec.alphabet(), 0);
    uint8_t syms[2];
    for (uint8_t b : t.bytes) {
        row_symbols(&b, 1, spec, syms);
        for (unsigned k = 0; k < spec.per_byte(); ++k) ++freq[syms[k]];
    }
    CodeResult r;
    r.method = Method::Huffman8;
    r.spec = spec;
    r.books = {huffman_lengths(freq.data(), spec.alphabet())};
    for (uint64_t row = 0; row < t.rows; ++row) {
        uint64_t bits = 0;
        for (uint32_t c = 0; c < t.dim; ++c) {
            row_symbols(t.row(row) + c, 1, spec, syms);
            for (unsigned k = 0; k < spec.per_byte(); ++k) bits += r.books[0].len[syms[k]];
        }
        r.row_bits = std::max(r.row_bits, bits);
    }
    return r;
}

// Every way of decoding agrees with the original: row by row, gathered in a shuffled order
// with repeats, by ranges, and whole with 1..3 threads.
void check_all_paths(const CodedTable& coded, const Table& original) {
    const RowDecoder decoder(coded);
    const uint32_t dim = coded.dim;
    std::vector<uint8_t> row(dim);
    for (uint64_t r = 0; r < coded.rows; ++r) {
        REQUIRE(decoder.decode_row(r, row.data()) == Status::Ok);
        REQUIRE(std::equal(row.begin(), row.end(), original.row(r)));
    }
    std::mt19937_64 rng(7);
    std::vector<uint64_t> order(coded.rows * 2 + 5);
    for (uint64_t& i : order) i = rng() % coded.rows;
    std::vector<uint8_t> gathered(order.size() * dim);
    REQUIRE(decoder.decode_rows(order.data(), order.size(), gathered.data()) == Status::Ok);
    for (size_t i = 0; i < order.size(); ++i)
        REQUIRE(std::equal(gathered.begin() + long(i * dim), gathered.begin() + long((i + 1) * dim),
                           original.row(order[i])));
    for (const uint64_t first : {uint64_t(0), coded.rows / 3}) {
        const uint64_t count = coded.rows - first;
        std::vector<uint8_t> range(count * dim);
        REQUIRE(decoder.decode_range(first, count, range.data()) == Status::Ok);
        REQUIRE(std::equal(range.begin(), range.end(), original.row(first)));
    }
    for (const unsigned threads : {1u, 2u, 3u}) {
        INFO("threads " << threads);
        REQUIRE(decode_table(coded, threads).bytes == original.bytes);
    }
    if (coded.is_float()) return;  // decode_blocks gives the merged values: see the float test
    for (const size_t block : {size_t(1), size_t(3) * dim + 1, kDecodeBlockBytes}) {
        INFO("block bytes " << block);
        std::vector<uint8_t> streamed;
        uint64_t next_row = 0;
        decode_blocks(
            coded, 2,
            [&](const uint8_t* bytes, uint64_t first, uint64_t rows) {
                REQUIRE(first == next_row);
                REQUIRE(rows >= 1);
                REQUIRE(rows * dim <= std::max<size_t>(block, dim));
                streamed.insert(streamed.end(), bytes, bytes + rows * dim);
                next_row += rows;
            },
            block);
        REQUIRE(streamed == original.bytes);
    }
}

}  // namespace

TEST_CASE("decode kernel: every path round-trips long and short codes, 8 and 4 bits", "[encoder]") {
    for (const uint32_t dim : {1u, 2u, 3u, 7u, 8u, 9u, 16u, 17u, 100u, 301u}) {
        for (const double p : {0.05, 0.3, 0.7}) {
            const Table t = geometric_table(67, dim, p, dim * 31 + uint64_t(p * 100));
            for (const SymbolSpec spec : {SymbolSpec{8, Split::Twos}, SymbolSpec{4, Split::Twos},
                                          SymbolSpec{4, Split::SignMagnitude}}) {
                INFO("dim " << dim << " p " << p << " bits " << int(spec.bits) << " split "
                            << split_name(spec.split));
                const CodeResult r = huffman_result(t, spec);
                for (const unsigned align : {1u, 8u, 64u})
                    check_all_paths(encode_table(t, r, align), t);
            }
        }
    }
}

// A code with lengths 1, 2, 3, ... (symbol k: k + 1 bits, the last two equal): both
// two-byte lookups and codes far longer than the lookup table. Bytes are mapped onto the used
// symbols so that every byte is codable.
CodeResult staircase_result(Table& t, SymbolSpec spec) {
    const unsigned used = spec.bits == 8 ? 31 : 16;
    CodeLengths lengths;
    lengths.alphabet = spec.alphabet();
    for (unsigned k = 0; k < used; ++k) lengths.len[k] = uint8_t(std::min(k + 1, used - 1));
    if (spec.bits == 8)
        for (uint8_t& b : t.bytes) b = uint8_t(__builtin_ctz(b | 0x40000000u) % used);
    CodeResult r;
    r.method = Method::Huffman8;
    r.spec = spec;
    r.books = {lengths};
    uint8_t syms[2];
    for (uint64_t row = 0; row < t.rows; ++row) {
        uint64_t bits = 0;
        for (uint32_t c = 0; c < t.dim; ++c) {
            row_symbols(t.row(row) + c, 1, spec, syms);
            for (unsigned k = 0; k < spec.per_byte(); ++k) bits += lengths.len[syms[k]];
        }
        r.row_bits = std::max(r.row_bits, bits);
    }
    return r;
}

TEST_CASE("decode kernel: two-byte lookups and the slow path for long codes round-trip",
          "[encoder]") {
    for (const SymbolSpec spec : {SymbolSpec{8, Split::Twos}, SymbolSpec{4, Split::Twos},
                                  SymbolSpec{4, Split::SignMagnitude}}) {
        for (const uint32_t dim : {1u, 5u, 8u, 9u, 64u, 131u}) {
            Table t = test::random_table(150, dim, 0.0, dim + spec.bits);
            const CodeResult r = staircase_result(t, spec);
            REQUIRE(r.books[0].max_len() * spec.per_byte() > kernel::lut_bits(spec));  // slow bytes
            const kernel::BookTables b = kernel::build_book(r.books[0], r.spec);
            size_t pairs = 0, slow = 0;
            for (uint32_t w = 0; w < b.step.size(); ++w) {
                pairs += kernel::table_entry(b, w).count == 2;
                slow += kernel::table_entry(b, w).count == 0;
            }
            INFO("bits " << int(spec.bits) << " dim " << dim);
            CHECK(pairs > 0);
            CHECK(slow > 0);
            for (const unsigned align : {1u, 8u}) check_all_paths(encode_table(t, r, align), t);
        }
    }
}

namespace {

// What a table entry must hold for window w, by a canonical search per code: the whole bytes
// (at most kMaxBytesPerLookup) whose codes fit the kLutBits-bit window, in order.
kernel::LutEntry reference_entry(const CanonicalCode& c, SymbolSpec spec, uint32_t w) {
    const unsigned B = kernel::lut_bits(spec);
    kernel::LutEntry want{0, 0, 0, 0};
    unsigned used = 0;
    while (want.count < kernel::kMaxBytesPerLookup) {
        unsigned at = used, value = 0;
        bool ok = true;
        for (unsigned k = 0; k < spec.per_byte() && ok; ++k) {
            ok = false;
            for (unsigned s = 0; s < spec.alphabet() && !ok; ++s) {
                const unsigned l = c.lengths.len[s];
                if (l == 0 || at + l > B || ((w >> (B - at - l)) & ((1u << l) - 1)) != c.code[s])
                    continue;
                ok = true;
                value = value << spec.bits | s;
                at += l;
            }
        }
        if (!ok) break;
        const uint8_t byte =
            spec.bits == 8 ? uint8_t(value) : split_inverse(spec.split, uint8_t(value));
        want.bytes |= uint32_t(byte) << (8 * want.count);
        if (want.count == 0) want.first_len = at;
        used = at;
        ++want.count;
    }
    want.bits = want.count ? used : 0;
    return want;
}

}  // namespace

TEST_CASE("decode kernel: every lookup entry equals a decode of its window", "[encoder]") {
    // Random codes: complete and incomplete (a symbol dropped), short and long, both widths.
    std::mt19937_64 rng(5);
    for (int trial = 0; trial < 24; ++trial) {
        const SymbolSpec spec = trial % 3 == 0   ? SymbolSpec{8, Split::Twos}
                                : trial % 3 == 1 ? SymbolSpec{4, Split::Twos}
                                                 : SymbolSpec{4, Split::SignMagnitude};
        std::vector<uint64_t> freq(spec.alphabet());
        const unsigned used = 1 + unsigned(rng() % spec.alphabet());
        for (unsigned s = 0; s < used; ++s)
            freq[rng() % spec.alphabet()] = 1 + (rng() >> (rng() % 60));
        CodeLengths lengths =
            huffman_lengths(freq.data(), spec.alphabet(), 8 + unsigned(rng() % 25));
        if (trial % 2 && lengths.used() > 1)
            for (unsigned s = 0; s < spec.alphabet(); ++s)
                if (lengths.len[s]) {
                    lengths.len[s] = 0;
                    break;
                }
        INFO("trial " << trial << " bits " << int(spec.bits) << " max_len " << lengths.max_len());
        const kernel::BookTables b = kernel::build_book(lengths, spec);
        REQUIRE(b.step.size() == size_t(1) << kernel::lut_bits(spec));
        REQUIRE(b.pair.size() == b.step.size());
        size_t mismatches = 0, pairs = 0;
        for (uint32_t w = 0; w < b.step.size(); ++w) {
            const kernel::LutEntry got = kernel::table_entry(b, w);
            const kernel::LutEntry want = reference_entry(b.code, spec, w);
            pairs += want.count == 2;
            mismatches +=
                got.count != want.count || got.bits != want.bits ||
                (want.count && (got.first_len != want.first_len ||
                                (got.bytes & ((1u << (8 * want.count)) - 1)) != want.bytes));
        }
        CHECK(mismatches == 0);
        if (lengths.max_len() <= 7) CHECK(pairs > 0);
    }
}

TEST_CASE("decode kernel: methods with books, overflow rows and float planes round-trip",
          "[encoder]") {
    // Narrow rows with a few rows of uniform random bytes: books and overflow pay off.
    Table t = test::random_table(900, 37, 3.0, 21);
    const Table noise = test::random_table(5, 37, 0.0, 22);
    for (uint64_t k = 0; k < 5; ++k)
        std::copy(noise.row(k), noise.row(k) + 37, t.bytes.begin() + long((100 + 150 * k) * 37));
    SECTION("minimax8 with three books") {
        MethodOptions o;
        o.books = 3;
        o.iterations = 3000;
        o.mwu_iterations = 30;
        const CodeResult r = run_method(Method::Minimax8, t, o);
        REQUIRE(r.books.size() > 1);
        check_all_paths(encode_table(t, r), t);
    }
    SECTION("minimax8 with overflow rows") {
        MethodOptions o;
        o.overflow = 0.01;
        o.iterations = 3000;
        o.mwu_iterations = 30;
        const CodeResult r = run_method(Method::Minimax8, t, o);
        REQUIRE(r.overflow.enabled);
        const CodedTable c = encode_table(t, r, 1);
        REQUIRE(c.overflow_rows > 0);
        check_all_paths(c, t);
    }
    SECTION("4-bit codes with overflow rows: the longest quarter of the rows overflows") {
        const Table g = geometric_table(300, 23, 0.3, 4);
        CodeResult r = huffman_result(g, {4, Split::SignMagnitude});
        std::vector<uint64_t> lens;
        for (uint64_t row = 0; row < g.rows; ++row) {
            uint8_t syms[2];
            uint64_t bits = 0;
            for (uint32_t c = 0; c < g.dim; ++c) {
                row_symbols(g.row(row) + c, 1, r.spec, syms);
                bits += r.books[0].len[syms[0]] + r.books[0].len[syms[1]];
            }
            lens.push_back(bits);
        }
        std::vector<uint64_t> sorted = lens;
        std::sort(sorted.begin(), sorted.end());
        r.overflow.enabled = true;
        r.overflow.threshold_bits = uint32_t(sorted[g.rows * 3 / 4]);
        r.overflow.rows = uint64_t(std::count_if(
            lens.begin(), lens.end(), [&](uint64_t l) { return l > r.overflow.threshold_bits; }));
        r.overflow.index_bits = selector_bits_for(r.overflow.rows + 1);
        r.row_bits = 1 + std::max(r.overflow.threshold_bits, r.overflow.index_bits);
        const CodedTable c = encode_table(g, r, 1);
        REQUIRE(c.overflow_rows == r.overflow.rows);
        REQUIRE(c.overflow_rows > 0);
        check_all_paths(c, g);
    }
    SECTION("nibble4x2 (two 4-bit books)") {
        const CodeResult r = run_method(Method::Nibble4x2, t);
        check_all_paths(encode_table(t, r), t);
    }
    SECTION("bf16 and fp16 planes") {
        for (const FloatKind kind : {FloatKind::BF16, FloatKind::FP16}) {
            FloatTable f;
            f.kind = kind;
            f.rows = 300;
            f.dim = 19;
            f.bytes.resize(f.rows * f.dim * 2);
            std::mt19937_64 rng(unsigned(kind) + 5);
            std::normal_distribution<float> normal(0.0f, 0.3f);
            for (size_t i = 0; i < f.rows * f.dim; ++i) {
                const float v = normal(rng);
                uint32_t b;
                std::memcpy(&b, &v, 4);
                // bf16: the top half; fp16: a plausible half pattern with a 5-bit exponent.
                const uint16_t h =
                    kind == FloatKind::BF16
                        ? uint16_t(b >> 16)
                        : uint16_t((b >> 16 & 0x8000) | (rng() % 31) << 10 | (rng() & 0x3FF));
                std::memcpy(&f.bytes[i * 2], &h, 2);
            }
            const FloatPlanes planes = split_planes(f);
            const CodeResult r = run_method(Method::Minimax8, planes.exponents);
            const CodedTable c = encode_float_planes(planes, kind, r);
            check_all_paths(c, planes.exponents);
            CHECK(decode_float_table(c, 2).bytes == f.bytes);
            std::vector<uint8_t> streamed;
            decode_blocks(
                c, 2,
                [&](const uint8_t* bytes, uint64_t, uint64_t rows) {
                    streamed.insert(streamed.end(), bytes, bytes + rows * f.dim * 2);
                },
                1000);
            CHECK(streamed == f.bytes);
        }
    }
}

TEST_CASE("decode kernel: corrupt payloads give the same status however rows are decoded",
          "[encoder]") {
    const Table t = geometric_table(64, 50, 0.3, 9);
    for (const SymbolSpec spec :
         {SymbolSpec{8, Split::Twos}, SymbolSpec{4, Split::SignMagnitude}}) {
        const CodedTable clean = encode_table(t, huffman_result(t, spec), 1);
        std::mt19937_64 rng(spec.bits);
        for (int trial = 0; trial < 200; ++trial) {
            CodedTable c = clean;
            for (int f = 0; f < 1 + trial % 5; ++f)
                c.payload[rng() % c.payload_bytes()] ^= uint8_t(1u << (rng() % 8));
            const RowDecoder decoder(c);
            std::vector<uint8_t> one(t.dim), all(t.rows * t.dim);
            Status first_bad = Status::Ok;
            uint64_t bad_row = t.rows;
            for (uint64_t r = 0; r < t.rows && first_bad == Status::Ok; ++r)
                if ((first_bad = decoder.decode_row(r, one.data())) != Status::Ok) bad_row = r;
            // Streamed in blocks of 7 rows: the sink never sees the bad row's block, and the
            // error names the row.
            uint64_t streamed = 0;
            const auto stream = [&] {
                decode_blocks(
                    c, 2, [&](const uint8_t*, uint64_t, uint64_t rows) { streamed += rows; },
                    7 * t.dim);
            };
            if (first_bad == Status::Ok) {
                CHECK_NOTHROW(stream());
                CHECK(streamed == t.rows);
            } else {
                CHECK_THROWS_WITH(stream(),
                                  Catch::StartsWith("row " + std::to_string(bad_row) + ":"));
                CHECK(streamed == bad_row / 7 * 7);
            }
            std::vector<uint64_t> rows(t.rows);
            std::iota(rows.begin(), rows.end(), 0);
            CHECK(decoder.decode_rows(rows.data(), rows.size(), all.data()) == first_bad);
            CHECK(decoder.decode_range(0, t.rows, all.data()) == first_bad);
            if (first_bad == Status::Ok)
                CHECK_NOTHROW(decode_table(c, 2));
            else
                CHECK_THROWS_AS(decode_table(c, 2), FormatError);
        }
    }
}

namespace {

// A row decoded one bit at a time by canonical search, reading the payload's real bits (the
// buffer extends past every row): Ok when all dim bytes decode and end by `end`, else the
// first failure (a window that is no code, or codes running past the row's end).
kernel::RowStatus reference_row(const uint8_t* payload, uint64_t pos, uint64_t end,
                                const CanonicalCode& c, SymbolSpec spec, uint32_t dim,
                                uint8_t* out) {
    for (uint32_t j = 0; j < dim; ++j) {
        unsigned value = 0;
        for (unsigned k = 0; k < spec.per_byte(); ++k) {
            uint32_t code = 0;
            int symbol = -1;
            for (unsigned len = 1; len <= CodeGeometry::kMaxCodeLen && symbol < 0; ++len) {
                if (pos >= end) return kernel::RowStatus::Overrun;
                code = code << 1 | ((payload[pos >> 3] >> (7 - (pos & 7))) & 1u);
                ++pos;
                const uint32_t offset = code - c.first_code[len];
                if (c.count[len] && code >= c.first_code[len] && offset < c.count[len])
                    symbol = c.sorted[c.first_index[len] + offset];
            }
            if (symbol < 0) return kernel::RowStatus::BadCode;
            value = value << spec.bits | unsigned(symbol);
        }
        out[j] = spec.bits == 8 ? uint8_t(value) : split_inverse(spec.split, uint8_t(value));
    }
    return kernel::RowStatus::Ok;
}

void put_bits(std::vector<uint8_t>& buf, uint64_t& pos, uint32_t code, unsigned len) {
    for (unsigned i = len; i-- > 0; ++pos)
        if (code >> i & 1) buf[pos >> 3] |= uint8_t(0x80u >> (pos & 7));
}

}  // namespace

// The kernel's refill schedules (the single row's chain, the interleaved groups, the clamped
// tails) against the bit-at-a-time decoder on rows written here, clean and corrupted: a row
// is Ok exactly when the reference decodes it, and then with the same bytes.
TEST_CASE("decode kernel: single and interleaved rows agree with a bit-at-a-time decoder",
          "[encoder]") {
    std::mt19937_64 rng(11);
    size_t bad_rows = 0, bad_codes = 0, overruns = 0, clean_rows = 0;
    for (int trial = 0; trial < 60; ++trial) {
        const SymbolSpec spec = trial % 3 == 0   ? SymbolSpec{8, Split::Twos}
                                : trial % 3 == 1 ? SymbolSpec{4, Split::Twos}
                                                 : SymbolSpec{4, Split::SignMagnitude};
        const uint32_t dim = std::array<uint32_t, 8>{1, 7, 8, 9, 33, 64, 100, 257}[trial % 8];
        // A random code; odd trials drop one coded symbol, so some windows are not codes.
        std::vector<uint64_t> freq(spec.alphabet(), 0);
        const unsigned used = 2 + unsigned(rng() % (spec.alphabet() - 1));
        for (unsigned s = 0; s < used; ++s)
            freq[rng() % spec.alphabet()] = 1 + (rng() >> (rng() % 62));
        CodeLengths lengths = huffman_lengths(freq.data(), spec.alphabet(), 9 + rng() % 24);
        if (trial % 2 && lengths.used() > 2)
            for (unsigned s = 0; s < spec.alphabet(); ++s)
                if (lengths.len[s]) {
                    lengths.len[s] = 0;
                    break;
                }
        const kernel::BookTables book = kernel::build_book(lengths, spec);
        std::vector<uint8_t> coded;  // symbols with a code
        for (unsigned s = 0; s < spec.alphabet(); ++s)
            if (lengths.len[s]) coded.push_back(uint8_t(s));
        // Rows of random codable bytes, each in a slot of `pitch` bits (some slack at random).
        const uint64_t rows = 40;
        std::vector<uint8_t> original(rows * dim);
        uint64_t longest = 0;
        std::vector<std::vector<uint8_t>> syms(rows);
        for (uint64_t r = 0; r < rows; ++r) {
            uint64_t bits = 0;
            for (uint32_t j = 0; j < dim; ++j) {
                unsigned value = 0;
                for (unsigned k = 0; k < spec.per_byte(); ++k) {
                    const uint8_t s = coded[rng() % coded.size()];
                    syms[r].push_back(s);
                    bits += lengths.len[s];
                    value = value << spec.bits | s;
                }
                original[r * dim + j] =
                    spec.bits == 8 ? uint8_t(value) : split_inverse(spec.split, uint8_t(value));
            }
            longest = std::max(longest, bits);
        }
        const uint64_t pitch = longest + (trial % 4 < 2 ? 0 : rng() % 20);
        std::vector<uint8_t> payload((rows * pitch + 7) / 8 + 16, 0);
        for (uint64_t r = 0; r < rows; ++r) {
            uint64_t pos = r * pitch;
            for (const uint8_t s : syms[r])
                put_bits(payload, pos, book.code.code[s], lengths.len[s]);
        }
        for (int corrupt = 0; corrupt < 4; ++corrupt) {
            std::vector<uint8_t> p = payload;
            if (corrupt > 0) {  // bit flips, and a run of ones (long codes, overruns)
                for (int f = 0; f < corrupt * 3; ++f)
                    p[rng() % (rows * pitch / 8)] ^= uint8_t(1u << (rng() % 8));
                const size_t at = rng() % (rows * pitch / 8);
                std::fill(p.begin() + long(at),
                          p.begin() + long(std::min(at + 1 + rng() % 12, rows * pitch / 8)), 0xFF);
            }
            std::vector<kernel::RowJob> jobs;
            std::vector<uint8_t> want(rows * dim), single(rows * dim), batch(rows * dim);
            std::vector<kernel::RowStatus> status(rows);
            size_t first_bad = rows;
            for (uint64_t r = 0; r < rows; ++r) {
                status[r] = reference_row(p.data(), r * pitch, (r + 1) * pitch, book.code, spec,
                                          dim, &want[r * dim]);
                if (status[r] != kernel::RowStatus::Ok) {
                    first_bad = std::min<size_t>(first_bad, r);
                    ++bad_rows;
                    bad_codes += status[r] == kernel::RowStatus::BadCode;
                    overruns += status[r] == kernel::RowStatus::Overrun;
                } else {
                    ++clean_rows;
                }
                jobs.push_back({r * pitch, (r + 1) * pitch, &book, &batch[r * dim]});
            }
            INFO("trial " << trial << " bits " << int(spec.bits) << " dim " << dim << " corrupt "
                          << corrupt << " max_len " << lengths.max_len());
            for (uint64_t r = 0; r < rows; ++r) {
                kernel::RowJob one = jobs[r];
                one.out = &single[r * dim];
                const bool ok =
                    kernel::decode_row(p.data(), one, {dim, spec}) == kernel::RowStatus::Ok;
                INFO("row " << r);
                REQUIRE(ok == (status[r] == kernel::RowStatus::Ok));
                if (ok)
                    REQUIRE(std::equal(want.begin() + long(r * dim),
                                       want.begin() + long((r + 1) * dim),
                                       single.begin() + long(r * dim)));
            }
            kernel::RowStatus st;
            const size_t got =
                kernel::decode_rows(p.data(), jobs.data(), jobs.size(), {dim, spec}, &st);
            REQUIRE(got == first_bad);
            REQUIRE((st == kernel::RowStatus::Ok) == (first_bad == rows));
            REQUIRE(std::equal(want.begin(), want.begin() + long(first_bad * dim), batch.begin()));
        }
    }
    INFO("clean " << clean_rows << " bad " << bad_rows << " bad codes " << bad_codes << " overruns "
                  << overruns);
    CHECK(bad_rows > 100);
    CHECK(bad_codes > 20);
    CHECK(overruns > 20);
    CHECK(clean_rows > 5000);
}
