// SPDX-License-Identifier: MIT
// Table inputs (table_io, npy): .npy versions and malformed headers, the seed .bin and raw
// formats, and the documented quantization of float inputs.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <random>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/float_table.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip/npy.hpp"
#include "embzip/table_io.hpp"
#include "helpers.hpp"

using namespace embzip;
using embzip::test::random_table;
using embzip::test::temp_path;

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

TEST_CASE(".npy dtypes that are not numbers, or whose size digits run on, are rejected",
          "[encoder]") {
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

namespace {
bool has_temporaries_of(const std::string& path) {
    namespace fs = std::filesystem;
    const std::string stem = fs::path(path).filename().string() + ".tmp.";
    for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
        if (e.path().filename().string().rfind(stem, 0) == 0) return true;
    return false;
}
}  // namespace

TEST_CASE("a decoded .npy is streamed whole or not at all", "[encoder]") {
    const std::string path = temp_path("decoded.npy");
    std::remove(path.c_str());
    // One block (3 MB < kDecodeBlockBytes): block boundaries are covered by decode_blocks'
    // tests (test_decode_kernel.cpp); here the file.
    const Table t = random_table(3000, 1000, 4.0, 31);
    const CodedTable coded =
        encode_table(t, run_method(Method::Minimax8, t, test::quick_options()));
    SECTION("a good table: the same file as saving the decoded table") {
        save_decoded_npy(path, coded, 2);
        LoadOptions o;
        o.path = path;
        CHECK(load_table(o).bytes == t.bytes);
        const std::string whole = temp_path("decoded_whole.npy");
        save_table_npy(whole, decode_table(coded));
        CHECK(read_file(whole) == read_file(path));
        std::remove(whole.c_str());
        CHECK_FALSE(has_temporaries_of(path));
    }
    SECTION("a bad row late in the table: an error naming it, no output, no temporary") {
        CodedTable bad = coded;
        // Flip bits in the last rows until one no longer decodes.
        std::mt19937_64 rng(3);
        const size_t tail = bad.payload_bytes() - bad.payload_bytes() / 50;
        bool broken = false;
        for (int i = 0; i < 2000 && !broken; ++i) {
            bad.payload[tail + rng() % (bad.payload_bytes() - tail)] ^= uint8_t(1u << (rng() % 8));
            broken =
                RowDecoder(bad).decode_range(
                    0, bad.rows, std::vector<uint8_t>(bad.rows * bad.dim).data()) != Status::Ok;
        }
        REQUIRE(broken);
        CHECK_THROWS_WITH(save_decoded_npy(path, bad, 2), Catch::StartsWith("row 29"));
        CHECK_FALSE(std::filesystem::exists(path));
        CHECK_FALSE(has_temporaries_of(path));
    }
    std::remove(path.c_str());
}

namespace {

// Decodes an .ezt file block by block (decode_ezt_to_npy, ~block_bytes of output a block).
void stream_decode(const std::string& ezt, const std::string& out, size_t block_bytes) {
    const int fd = ::open(ezt.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    const FdCloser closer{fd};
    CodedTable meta;
    EztBulk bulk;
    REQUIRE(read_ezt_meta(fd, ezt, meta, bulk));
    CHECK(meta.payload.empty());
    decode_ezt_to_npy(out, fd, ezt, meta, bulk, 2, block_bytes);
}

// The message of what f throws ("" if nothing).
template <typename F>
std::string error_of(F f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace

// embzip decode reads a coded directory's rows (and a float table's raw plane) a block at a
// time: the output must be the file save_decoded_npy writes from the table in memory, for any
// block size and pitch; a corrupt section is the checksum error before anything is committed,
// and a bad row in a later block is named by its row in the whole table.
TEST_CASE("an .ezt file decoded block by block: the same .npy, checksums before commit",
          "[encoder]") {
    const std::string ezt = temp_path("stream.ezt"), out = temp_path("stream.npy"),
                      want = temp_path("stream_want.npy");
    Table t = random_table(1003, 37, 5.0, 71);  // not a multiple of 8 rows
    const Table wide = random_table(12, 37, 40.0, 72);
    std::copy(wide.bytes.begin(), wide.bytes.end(), t.bytes.begin() + 500 * 37);
    MethodOptions o = test::quick_options();
    o.overflow = 0.01;
    const CodedTable ints = encode_table(t, run_method(Method::Minimax8, t, o), 1);
    REQUIRE(ints.overflow_rows > 0);
    REQUIRE(ints.pitch_bits % 8 != 0);
    FloatTable f;
    f.rows = 501;
    f.dim = 16;
    f.kind = FloatKind::BF16;
    std::mt19937_64 rng(73);
    for (uint64_t i = 0; i < f.rows * f.dim; ++i) {
        const uint16_t v = uint16_t(0x3C00 + rng() % 0x800);  // exponents near 1.0, any mantissa
        f.bytes.push_back(uint8_t(v));
        f.bytes.push_back(uint8_t(v >> 8));
    }
    const CodedTable floats =
        encode_float_table(f, run_method(Method::Minimax8, split_planes(f).exponents, o), 8);
    REQUIRE(floats.is_float());
    for (const CodedTable* coded : {&ints, &floats}) {
        INFO(coded->element_name());
        write_ezt(ezt, *coded);
        save_decoded_npy(want, *coded, 1);
        for (const size_t block : {size_t(1), size_t(3000), size_t(1) << 20}) {
            INFO("block bytes " << block);  // 8 rows; a few dozen; the whole table
            stream_decode(ezt, out, block);
            CHECK(read_file(out) == read_file(want));
            CHECK_FALSE(has_temporaries_of(out));
        }
        std::remove(out.c_str());
        // A flipped byte near the end of the rows (and of the raw plane): the checksum error,
        // after every earlier block decoded, and no output.
        std::vector<uint8_t> bytes = read_file(ezt);
        const int fd = ::open(ezt.c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        CodedTable meta;
        EztBulk bulk;
        REQUIRE(read_ezt_meta(fd, ezt, meta, bulk));
        ::close(fd);
        std::vector<EztSection> sections{bulk.rows};
        if (coded->is_float()) sections.push_back(bulk.raw);
        for (const EztSection& at : sections) {
            std::vector<uint8_t> flipped = bytes;
            flipped[at.offset + at.length - 3] ^= 0x10;
            write_file(ezt, flipped.data(), flipped.size());
            CHECK(error_of([&] { stream_decode(ezt, out, 3000); }) ==
                  ezt + ": corrupt .ezt: section checksum mismatch");
            CHECK(error_of([&] { read_ezt(ezt); }) ==
                  error_of([&] { stream_decode(ezt, out, 1); }));
            CHECK_FALSE(std::filesystem::exists(out));
            CHECK_FALSE(has_temporaries_of(out));
        }
    }
    // A bad row (the checksums right): with three books, row 950's selector names a fourth.
    // Named by its row in the whole table, as from memory.
    CodeResult three = run_method(Method::Minimax8, t, test::quick_options());
    three.books.assign(3, three.books[0]);  // every row on book 0, the selector 2 bits
    three.row_bits += 2;
    CodedTable bad = encode_table(t, three, 1);
    REQUIRE(bad.selector_bits == 2);
    for (uint64_t bit = 950 * bad.pitch_bits; bit < 950 * bad.pitch_bits + 2; ++bit)
        bad.payload[bit >> 3] |= uint8_t(0x80 >> (bit & 7));
    write_ezt(ezt, bad);
    const std::string message = error_of([&] { save_decoded_npy(want, bad, 1); });
    REQUIRE(message.rfind("row 950: ", 0) == 0);
    CHECK(error_of([&] { stream_decode(ezt, out, 3000); }) == message);
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK_FALSE(has_temporaries_of(out));
    for (const std::string& p : {ezt, want}) std::remove(p.c_str());
}

TEST_CASE("an atomic file appears on commit only", "[encoder]") {
    const std::string path = temp_path("atomic.bin");
    std::remove(path.c_str());
    {
        AtomicFile f(path);
        f.write("abc", 3);
        CHECK_FALSE(std::filesystem::exists(path));
        CHECK(has_temporaries_of(path));
    }
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK_FALSE(has_temporaries_of(path));
    {
        AtomicFile f(path);
        f.write("abc", 3);
        f.write("de", 2);
        f.commit();
        CHECK_THROWS_AS(f.write("x", 1), IoError);
    }
    CHECK(read_file(path) == std::vector<uint8_t>{'a', 'b', 'c', 'd', 'e'});
    std::remove(path.c_str());
}
