// SPDX-License-Identifier: MIT
// Hostile inputs: corrupt .ezt files and malformed .npy files must give a clear error, never a
// crash, a hang or an out-of-bounds read (run under ASan/valgrind to see the latter).
#include <catch2/catch.hpp>
#include <cstring>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/layout.hpp"
#include "embzip/npy.hpp"
#include "embzip/table_io.hpp"
#include "helpers.hpp"

using namespace embzip;
using embzip::test::random_table;
using embzip::test::temp_path;

namespace {

std::vector<uint8_t> coded_file(Method method, const Table& t) {
    MethodOptions o;
    o.iterations = 2000;
    const std::string path = temp_path("format.ezt");
    write_ezt(path, encode_table(t, run_method(method, t, o)));
    std::vector<uint8_t> bytes = read_file(path);
    std::remove(path.c_str());
    return bytes;
}

void put_header_crc(std::vector<uint8_t>& b) {
    const uint32_t crc = crc32(b.data(), 60);
    std::memcpy(b.data() + 60, &crc, 4);
}

}  // namespace

TEST_CASE("every single flipped bit of an .ezt is detected", "[encoder]") {
    const Table t = random_table(40, 12, 7.0, 1);
    const std::vector<uint8_t> good = coded_file(Method::Nibble4x2, t);
    REQUIRE_NOTHROW(parse_ezt(good, "good"));
    for (size_t i = 0; i < good.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            std::vector<uint8_t> bad = good;
            bad[i] ^= uint8_t(1 << bit);
            REQUIRE_THROWS_AS(parse_ezt(bad, "bad"), FormatError);
        }
}

TEST_CASE("truncated .ezt files are rejected at every length", "[encoder]") {
    const std::vector<uint8_t> good = coded_file(Method::Sa8, random_table(30, 20, 5.0, 2));
    for (size_t n = 0; n < good.size(); ++n) {
        const std::vector<uint8_t> cut(good.begin(), good.begin() + long(n));
        REQUIRE_THROWS_AS(parse_ezt(cut, "cut"), FormatError);
    }
    std::vector<uint8_t> longer = good;
    longer.push_back(0);
    CHECK_THROWS_WITH(parse_ezt(longer, "x"), Catch::Contains("trailing bytes"));
}

TEST_CASE("wrong magic and absurd header fields give clear errors", "[encoder]") {
    const std::vector<uint8_t> good = coded_file(Method::Balanced8, random_table(30, 20, 5.0, 3));
    std::vector<uint8_t> b = good;
    b[0] = 'X';
    CHECK_THROWS_WITH(parse_ezt(b, "x"), Catch::Contains("bad magic"));
    // Field offsets: 10 symbol bits, 11 split, 12 dtype, 13 books, 14 selector, 15 quant,
    // 16 rows (u64), 24 dim, 28 row bits, 32 pitch, 36 sections. CRC fixed so fields are judged.
    struct Case {
        size_t offset;
        std::vector<uint8_t> value;
        const char* message;
    };
    const Case cases[] = {
        {10, {5}, "symbol bits"},
        {11, {7}, "split"},
        {12, {9}, "dtype"},
        {13, {0}, "book count"},
        {13, {200}, "book count"},
        {14, {3}, "selector"},
        {15, {4}, "quantization"},
        {16, {0, 0, 0, 0, 0, 0, 0, 0}, "rows"},
        {16, {0, 0, 0, 0, 0, 0, 0, 1}, "rows"},
        {24, {0, 0, 0, 0}, "dim"},
        {24, {0, 0, 1, 0}, "dim"},
        {28, {0, 0, 0, 0}, "row bits"},
        {28, {0xFF, 0xFF, 0xFF, 0x7F}, "row bits"},
        {32, {0xFF, 0xFF, 0xFF, 0xFF}, "pitch"},
        {36, {9, 0, 0, 0}, "section count"},
        {8, {2, 0}, "version"},
    };
    for (const Case& c : cases) {
        b = good;
        std::memcpy(b.data() + c.offset, c.value.data(), c.value.size());
        put_header_crc(b);
        INFO("offset " << c.offset);
        CHECK_THROWS_WITH(parse_ezt(b, "x"), Catch::Contains(c.message));
    }
    // A larger row count than the payload holds: caught by the section size check.
    b = good;
    b[16] = uint8_t(b[16] + 1);
    put_header_crc(b);
    CHECK_THROWS_AS(parse_ezt(b, "x"), FormatError);
}

TEST_CASE("random payload bits never crash the decoder", "[encoder]") {
    // Valid header and checksums, garbage rows: decoding must end in a status, not a crash.
    for (Method m : {Method::Huffman8, Method::Nibble4x2, Method::Sa8}) {
        const Table table = random_table(50, 30, 6.0, 4);
        std::vector<uint8_t> b = coded_file(m, table);
        CodedTable t = parse_ezt(b, "x");
        std::mt19937 rng(1);
        for (size_t i = 0; i < t.payload_bytes(); ++i) t.payload[i] = uint8_t(rng());
        const Table original = decode_table(parse_ezt(b, "x"));
        REQUIRE(original.bytes == table.bytes);
        const RowDecoder d(t);
        std::vector<uint8_t> row(t.dim);
        size_t errors_or_changes = 0;
        for (uint64_t r = 0; r < t.rows; ++r) {
            const Status s = d.decode_row(r, row.data());
            CHECK((s == Status::Ok || s == Status::BadCode || s == Status::RowOverrun ||
                   s == Status::BadSelector));
            errors_or_changes +=
                s != Status::Ok || std::memcmp(row.data(), original.row(r), t.dim) != 0;
        }
        CHECK(errors_or_changes > 0);
    }
}

TEST_CASE("npy round trip and versions", "[encoder]") {
    const Table t = random_table(5, 3, 20.0, 5);
    const std::string path = temp_path("rt.npy");
    save_table_npy(path, t);
    LoadOptions o;
    o.path = path;
    const Table back = load_table(o);
    CHECK(back.bytes == t.bytes);
    CHECK(back.rows == 5);
    CHECK(back.dim == 3);
    // Version 2.0 header (4-byte length) with the same content.
    std::vector<uint8_t> v1 = read_file(path);
    const size_t hlen = v1[8] | (v1[9] << 8);
    std::vector<uint8_t> v2(v1.size() + 2, 0);
    std::copy(v1.begin(), v1.begin() + 8, v2.begin());
    v2[6] = 2;
    v2[8] = uint8_t(hlen);
    v2[9] = uint8_t(hlen >> 8);
    std::copy(v1.begin() + 10, v1.end(), v2.begin() + 12);
    CHECK(parse_npy(v2, "v2").data == parse_npy(v1, "v1").data);
    v2[6] = 3;
    CHECK(parse_npy(v2, "v3").shape == std::vector<uint64_t>{5, 3});
    std::remove(path.c_str());
}

TEST_CASE("malformed npy files give clear errors", "[encoder]") {
    const Table t = random_table(4, 4, 20.0, 6);
    const std::string path = temp_path("bad.npy");
    save_table_npy(path, t);
    const std::vector<uint8_t> good = read_file(path);
    std::remove(path.c_str());
    auto header_with = [&](const std::string& from, const std::string& to) {
        std::vector<uint8_t> b = good;
        std::string h(b.begin() + 10, b.begin() + 10 + (b[8] | (b[9] << 8)));
        const size_t at = h.find(from);
        REQUIRE(at != std::string::npos);
        h.replace(at, from.size(), to);
        h.resize(b[8] | (b[9] << 8), ' ');
        std::copy(h.begin(), h.end(), b.begin() + 10);
        return b;
    };
    std::vector<uint8_t> b = good;
    b[1] = 'X';
    CHECK_THROWS_WITH(parse_npy(b, "x"), Catch::Contains("bad magic"));
    b = good;
    b.resize(b.size() - 3);
    CHECK_THROWS_WITH(parse_npy(b, "x"), Catch::Contains("truncated"));
    CHECK_THROWS_AS(parse_npy(std::vector<uint8_t>(good.begin(), good.begin() + 12), "x"),
                    FormatError);
    CHECK_THROWS_WITH(parse_npy(header_with("False", "True "), "x"), Catch::Contains("Fortran"));
    CHECK_THROWS_WITH(parse_npy(header_with("|i1", ">f4"), "x"), Catch::Contains("big-endian"));
    CHECK_THROWS_WITH(parse_npy(header_with("(4, 4)", "(4, x)"), "x"), Catch::Contains("shape"));
    b = good;
    b[6] = 9;
    CHECK_THROWS_WITH(parse_npy(b, "x"), Catch::Contains("unsupported .npy version"));
    // Wrong dtype for a table: an int32 array is a clear InputError from load_table.
    NpyArray a;
    a.descr = "<i4";
    a.shape = {2, 2};
    a.data.assign(16, 0);
    write_npy(path, a);
    LoadOptions o;
    o.path = path;
    CHECK_THROWS_WITH(load_table(o), Catch::Contains("dtype '<i4' is not supported"));
    a.descr = "|i1";
    a.shape = {2, 2, 1};
    a.data.assign(4, 0);
    write_npy(path, a);
    CHECK_THROWS_WITH(load_table(o), Catch::Contains("expected a 2-D array"));
    std::remove(path.c_str());
}

TEST_CASE("seed .bin and raw inputs load, and their sizes are checked", "[encoder]") {
    const std::string path = temp_path("seed.bin");
    std::vector<uint8_t> bin = {3, 0, 0, 0, 2, 0, 0, 0, 1, 2, 3, 4, 5, 0xFF};
    write_file_atomic(path, bin.data(), bin.size());
    LoadOptions o;
    o.path = path;
    const Table t = load_table(o);
    CHECK(t.rows == 2);
    CHECK(t.dim == 3);
    CHECK(t.bytes.back() == 0xFF);
    bin.pop_back();
    write_file_atomic(path, bin.data(), bin.size());
    CHECK_THROWS_WITH(load_table(o), Catch::Contains("header says 6"));
    bin = {0, 0, 0, 0x80, 2, 0, 0, 0};
    write_file_atomic(path, bin.data(), bin.size());
    CHECK_THROWS_WITH(load_table(o), Catch::Contains("must be positive"));
    o.raw_rows = 2;
    o.raw_dim = 4;
    CHECK(load_table(o).rows == 2);
    o.raw_dim = 3;
    CHECK_THROWS_WITH(load_table(o), Catch::Contains("--rows x --dim needs 6"));
    std::remove(path.c_str());
}

TEST_CASE("float tables quantize by the documented rules", "[encoder]") {
    const std::vector<double> x = {-1.0, 0.5, 0.25, 1.0, -0.00393700787, 0.0};
    const Table s = quantize_symmetric(x, 2, 3);
    CHECK(s.quant.scale == Approx(1.0 / 127));
    CHECK(int8_t(s.bytes[0]) == -127);
    CHECK(int8_t(s.bytes[1]) == 64);  // 63.5 rounds half to even
    CHECK(int8_t(s.bytes[2]) == 32);  // 31.75
    CHECK(int8_t(s.bytes[3]) == 127);
    CHECK(int8_t(s.bytes[4]) == 0);  // -0.49999 -> 0
    const Table r = quantize_rowwise(x, 2, 3);
    CHECK(r.dtype == Dtype::Uint8);
    CHECK(r.bytes[0] == 0);
    CHECK(r.bytes[1] == 255);
    CHECK(r.quant.row_bias[0] == Approx(-1.0f));
    // Rowwise tables round-trip with their scales through the file.
    const Table big = quantize_rowwise(std::vector<double>(600, 0.1), 20, 30);
    MethodOptions o;
    o.iterations = 1000;
    const std::string path = temp_path("rowwise.ezt");
    write_ezt(path, encode_table(big, run_method(Method::Balanced8, big, o)));
    const CodedTable back = read_ezt(path);
    CHECK(back.quant.kind == QuantKind::Rowwise);
    CHECK(back.quant.row_scale == big.quant.row_scale);
    CHECK(decode_table(back).bytes == big.bytes);
    std::remove(path.c_str());
}

TEST_CASE(".npy dtypes that are not numbers, or whose size digits run on, are rejected", "[encoder]") {
    // <U1 is a 4-byte unicode character: "unsupported", not a size mismatch.
    CHECK_THROWS_WITH(read_npy(std::string(EMBZIP_TEST_DATA) + "/unicode_U1.npy"),
                      Catch::Contains("unsupported .npy dtype '<U1'"));
    // atoi would have wrapped 4294967297 to 1 and accepted the array.
    CHECK_THROWS_WITH(read_npy(std::string(EMBZIP_TEST_DATA) + "/npy_long_descr.npy"),
                      Catch::Contains("unsupported .npy dtype"));
    NpyArray a;
    a.descr = "<f99999999999999999999999999";
    CHECK(a.element_size() == 0);
}
