// SPDX-License-Identifier: MIT
// Lossless float tables (bf16, fp16, fp32): byte planes, .ezt round trips with the special
// values, safetensors and .npy inputs.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/layout.hpp"
#include "embzip/npy.hpp"
#include "embzip/safetensors.hpp"
#include "embzip/table_io.hpp"
#include "helpers.hpp"

using namespace embzip;
using embzip::test::temp_path;

namespace {

// rows x dim values: normal-ish data with NaN, +-Inf, +-0 and subnormals sprinkled in.
std::vector<float> special_values(uint64_t rows, uint32_t dim, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.5f);
    std::vector<float> v(rows * dim);
    for (float& x : v) x = normal(rng);
    const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                              -std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(),
                              0.0f,
                              -0.0f,
                              std::numeric_limits<float>::denorm_min(),
                              -1e-40f,
                              std::numeric_limits<float>::max(),
                              std::numeric_limits<float>::min()};
    for (size_t i = 0; i < std::size(specials); ++i) v[(i * 37) % v.size()] = specials[i];
    return v;
}

uint16_t to_half(float f) {
    // Exact for the test values we need: via the bit layout of a float (truncating mantissa,
    // keeping NaN/Inf/0 and producing subnormals from small values).
    uint32_t b;
    std::memcpy(&b, &f, 4);
    const uint32_t sign = (b >> 16) & 0x8000;
    const int exp = int((b >> 23) & 0xFF) - 127 + 15;
    const uint32_t mant = b & 0x7FFFFF;
    if (((b >> 23) & 0xFF) == 0xFF) return uint16_t(sign | 0x7C00 | (mant ? 0x200 : 0));
    if (exp >= 31) return uint16_t(sign | 0x7C00);
    if (exp <= 0) {
        if (exp < -10) return uint16_t(sign);
        return uint16_t(sign | ((mant | 0x800000) >> (14 - exp)));
    }
    return uint16_t(sign | uint32_t(exp) << 10 | mant >> 13);
}

FloatTable make_table(FloatKind kind, uint64_t rows, uint32_t dim, uint64_t seed) {
    const std::vector<float> v = special_values(rows, dim, seed);
    FloatTable t;
    t.rows = rows;
    t.dim = dim;
    t.kind = kind;
    for (float x : v) {
        uint32_t bits = 0;
        unsigned n = 4;
        if (kind == FloatKind::FP32) std::memcpy(&bits, &x, 4);
        if (kind == FloatKind::BF16) bits = float_to_bf16(x), n = 2;
        if (kind == FloatKind::FP16) bits = to_half(x), n = 2;
        for (unsigned i = 0; i < n; ++i) t.bytes.push_back(uint8_t(bits >> (8 * i)));
    }
    return t;
}

void check_float_round_trip(const FloatTable& t, Method method, MethodOptions o = {}) {
    o.iterations = 3000;
    o.mwu_iterations = 40;
    const FloatPlanes planes = split_planes(t);
    REQUIRE(merge_planes(planes.exponents, planes.raw.data(), t.kind).bytes == t.bytes);
    const CodeResult r = run_method(method, planes.exponents, o);
    const CodedTable coded = encode_float_table(t, r);
    const std::string path = temp_path("float.ezt");
    write_ezt(path, coded);
    const CodedTable back = read_ezt(path);
    std::remove(path.c_str());
    REQUIRE(back.is_float());
    REQUIRE(decode_float_table(back).bytes == t.bytes);  // bit-exact: NaN payloads, -0, subnormals
    const RowDecoder d(back);
    const size_t row_bytes = t.dim * back.value_bytes();
    std::vector<uint8_t> row(row_bytes);
    for (uint64_t i = 0; i < t.rows; ++i) {
        REQUIRE(d.decode_values(i, row.data()) == Status::Ok);
        REQUIRE(std::memcmp(row.data(), t.bytes.data() + i * row_bytes, row_bytes) == 0);
    }
}

}  // namespace

TEST_CASE("bf16, fp16 and fp32 tables round-trip bit-exact, special values included", "[encoder]") {
    for (FloatKind kind : {FloatKind::BF16, FloatKind::FP16, FloatKind::FP32}) {
        INFO(float_kind_name(kind));
        const FloatTable t = make_table(kind, 60, 24, uint64_t(kind));
        for (Method m : {Method::Minimax8, Method::Sa8, Method::Balanced8, Method::Nibble4x2})
            check_float_round_trip(t, m);
        MethodOptions o;
        o.overflow = 0.05;
        check_float_round_trip(t, Method::Minimax8, o);
        o.overflow = 0;
        o.books = 3;
        check_float_round_trip(t, Method::Minimax8, o);
    }
}

TEST_CASE("float planes: the exponent is what is coded", "[encoder]") {
    FloatTable t;
    t.rows = 1;
    t.dim = 2;
    t.kind = FloatKind::BF16;
    t.bytes = {0x80, 0x3F, 0x01, 0xC0};  // 1.0 (0x3F80) and -2.0078125 (0xC001)
    const FloatPlanes p = split_planes(t);
    CHECK(p.exponents.bytes[0] == 127);
    CHECK(p.exponents.bytes[1] == 128);
    CHECK(p.raw_bits == 8);
    CHECK(p.raw[0] == 0x00);  // sign 0, mantissa 0
    CHECK(p.raw[1] == 0x81);  // sign 1, mantissa 1
    CHECK(float_to_bf16(1.0f) == 0x3F80);
    CHECK(float_to_bf16(1.00390625f) == 0x3F80);  // halfway, rounds to even
    CHECK(float_to_bf16(1.01171875f) == 0x3F82);  // halfway, rounds up to even
}

TEST_CASE("safetensors and bf16 .npy inputs load as lossless float tables", "[encoder]") {
    const FloatTable t = make_table(FloatKind::BF16, 8, 4, 3);
    const std::string st = temp_path("t.safetensors");
    write_safetensor(st, {"emb.weight", "BF16", {8, 4}, t.bytes});
    LoadOptions o;
    o.path = st;
    o.quantize = QuantizeMode::Lossless;
    Input in = load_input(o);
    REQUIRE(in.is_float);
    CHECK(in.floats.kind == FloatKind::BF16);
    CHECK(in.floats.bytes == t.bytes);
    o.tensor = "other";
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("no tensor named 'other'"));
    o.tensor.clear();
    o.quantize = QuantizeMode::None;
    CHECK_THROWS_WITH(
        load_input(o),
        Catch::Contains("choose --quantize symmetric, --quantize rowwise, or --quantize lossless"));
    o.quantize =
        QuantizeMode::Symmetric;  // quantized bf16 -> int8 (NaN/Inf in this table: refused)
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("NaN or Inf"));
    // A uint16 .npy is bf16 only when told so.
    NpyArray a;
    a.descr = "<u2";
    a.shape = {8, 4};
    a.data = t.bytes;
    const std::string npy = temp_path("bf16.npy");
    write_npy(npy, a);
    o.path = npy;
    o.quantize = QuantizeMode::Lossless;
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("pass --dtype bf16"));
    o.dtype = "bf16";
    CHECK(load_input(o).floats.bytes == t.bytes);
    std::remove(npy.c_str());
    std::remove(st.c_str());
}

TEST_CASE("malformed safetensors files give clear errors", "[encoder]") {
    const std::string st = temp_path("bad.safetensors");
    write_safetensor(st, {"w", "F32", {2, 2}, std::vector<uint8_t>(16, 0)});
    const std::vector<uint8_t> good = read_file(st);
    LoadOptions o;
    o.path = st;
    o.quantize = QuantizeMode::Lossless;
    auto with = [&](std::vector<uint8_t> b) {
        write_file_atomic(st, b.data(), b.size());
        return b;
    };
    with({1, 2, 3});
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("shorter than 8 bytes"));
    std::vector<uint8_t> b = good;
    b[0] = 0xFF;
    b[5] = 0x7F;
    with(b);
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("header length out of range"));
    b = good;
    b[8] = '!';
    with(b);
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("not valid JSON"));
    b = good;
    b.resize(b.size() - 4);  // data shorter than the offsets say
    with(b);
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("outside the file"));
    write_safetensor(st, {"w", "F32", {2, 3}, std::vector<uint8_t>(16, 0)});
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("does not match its shape"));
    write_safetensor(st, {"w", "F64", {2, 1}, std::vector<uint8_t>(16, 0)});
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("dtype F64 is not supported"));
    write_safetensor(st, {"w", "F32", {4}, std::vector<uint8_t>(16, 0)});
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("expected a 2-D tensor"));
    std::remove(st.c_str());
}

TEST_CASE("a corrupt fp16 exponent symbol is an error, never a flipped sign", "[encoder]") {
    // tests/data/corrupt_fp16_exponent: valid checksums, row 1 codes exponent symbol 40 (> 31).
    const CodedTable t =
        read_ezt(std::string(EMBZIP_TEST_DATA) + "/corrupt_fp16_exponent/table.ezt");
    REQUIRE(t.is_float());
    CHECK(std::string(t.element_name()) == "fp16");
    const RowDecoder d(t);
    std::vector<uint8_t> row(t.dim * t.value_bytes());
    CHECK(d.decode_values(0, row.data()) == Status::Ok);
    CHECK(d.decode_values(1, row.data()) == Status::BadExponent);
    CHECK_THROWS_WITH(decode_float_table(t), Catch::Contains("row 1: exponent symbol"));

    // A later row whose codes are bad too: row 1 is still the one named, by every bulk path
    // and whatever the block (a block used to name its first bad code before any exponent).
    CodedTable later = t;
    const uint64_t last = later.rows - 1;
    bool bad_codes = false;  // the first fill of the last row's bytes that does not decode
    for (unsigned fill = 0; fill < 256 && !bad_codes; ++fill) {
        for (uint64_t b = (last * later.pitch_bits + 7) / 8; b < later.payload_bytes(); ++b)
            later.payload[b] = uint8_t(fill);
        bad_codes = RowDecoder(borrow(later)).decode_row(last, row.data()) != Status::Ok;
    }
    REQUIRE(bad_codes);
    const RowDecoder dl(borrow(later));
    REQUIRE(dl.decode_values(1, row.data()) == Status::BadExponent);
    CHECK_THROWS_WITH(decode_float_table(later), Catch::Contains("row 1: exponent symbol"));
    const std::string npy = test::temp_path("later_bad_row.npy");
    CHECK_THROWS_WITH(save_decoded_npy(npy, later), Catch::Contains("row 1: exponent symbol"));
    for (const size_t block : {size_t(1), later.rows * later.dim * later.value_bytes()})
        CHECK_THROWS_WITH(decode_blocks(
                              later, 1, [](const uint8_t*, uint64_t, uint64_t) {}, block),
                          Catch::Contains("row 1: exponent symbol"));
}

TEST_CASE("a tensor name with an .npy, and a negative safetensors dimension are rejected",
          "[encoder]") {
    LoadOptions o;
    o.path = std::string(EMBZIP_TEST_DATA) + "/small_f32.npy";
    o.quantize = QuantizeMode::Symmetric;
    o.tensor = "x";
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("--tensor applies to .safetensors"));
    o.path = std::string(EMBZIP_TEST_DATA) + "/negative_shape.safetensors";
    o.tensor.clear();
    o.quantize = QuantizeMode::None;
    CHECK_THROWS_WITH(load_input(o), Catch::Contains("negative dimension -1"));
}
