// SPDX-License-Identifier: MIT
// The .ezt format under hostile input: corrupt and truncated files must give a clear error,
// never a crash, a hang or an out-of-bounds read (run under ASan/valgrind to see the latter).
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

// read_ezt reads a regular file section by section, each body straight into the table; it must
// accept and reject exactly what parse_ezt does on the same bytes, with the same message.
TEST_CASE("an .ezt read from its file fails exactly as its bytes parsed in memory", "[encoder]") {
    const std::string path = temp_path("format_file.ezt");
    const auto outcome = [](const auto& parse) -> std::string {
        try {
            const CodedTable t = parse();
            return "ok " + std::to_string(t.rows) + " " + std::to_string(t.payload.size());
        } catch (const Error& e) {
            return e.what();
        }
    };
    const auto same = [&](const std::vector<uint8_t>& bytes) {
        write_file(path, bytes.data(), bytes.size());
        const std::string in_memory = outcome([&] { return parse_ezt(bytes, path); });
        const std::string from_file = outcome([&] { return read_ezt(path); });
        REQUIRE(from_file == in_memory);
        return in_memory.rfind("ok ", 0) == 0;
    };
    MethodOptions o;
    o.iterations = 2000;
    o.overflow = 0.05;
    const Table t = test::with_outlier(7);
    std::vector<std::vector<uint8_t>> files = {
        coded_file(Method::Nibble4x2, random_table(40, 12, 7.0, 1))};
    write_ezt(path, encode_table(t, run_method(Method::Minimax8, t, o)));
    files.push_back(read_file(path));
    for (const std::vector<uint8_t>& good : files) {
        REQUIRE(same(good));
        size_t rejected = 0;
        for (size_t n = 0; n < good.size(); n += 7)
            rejected += !same(std::vector<uint8_t>(good.begin(), good.begin() + long(n)));
        for (size_t i = 0; i < good.size(); i += 3) {
            std::vector<uint8_t> bad = good;
            bad[i] ^= uint8_t(1 << (i % 8));
            rejected += !same(bad);
        }
        std::vector<uint8_t> longer = good;
        longer.push_back(0);
        rejected += !same(longer);
        CHECK(rejected == (good.size() + 6) / 7 + (good.size() + 2) / 3 + 1);
    }
    std::remove(path.c_str());
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
