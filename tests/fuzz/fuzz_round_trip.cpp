// SPDX-License-Identifier: MIT
// Losslessness on arbitrary tables: bytes -> a table -> a method's code -> a layout -> .ezt bytes
// -> decode, which must give the table back bit-exact, in bulk and row by row.
// Input: byte 0 picks the method, byte 1 the row width (1..64 values), byte 2 the value type
// (int8, uint8, bf16, fp16, fp32), the alignment (1, 8, 32 or 512 bits), the books (1..4,
// minimax) and overflow rows; byte 3 the longest code (8..32 bits); the rest are the values.
#include <cstring>

#include "embzip/errors.hpp"
#include "embzip/float_table.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "fuzz_target.hpp"

using namespace embzip;

namespace {

// Not nibble4x2: its tree-pair search takes seconds even on a one-row table (libFuzzer would
// see a timeout, not a finding); tests/test_methods.cpp round-trips it on the corner cases.
constexpr Method kMethods[] = {Method::Huffman8, Method::Balanced8, Method::Sa8,
                               Method::Nibble4,  Method::Minimax8,  Method::Minimax4};
constexpr unsigned kAligns[] = {1, 8, 32, 512};
constexpr uint64_t kMaxRows = 16;  // keeps one run short under the sanitizers

CodedTable through_file(const CodedTable& coded) {
    const std::string path = fuzz::scratch_file(".ezt");
    write_ezt(path, coded);
    CodedTable back = read_ezt(path);
    std::remove(path.c_str());
    return back;
}

// The one refusal a valid table may meet: more symbols than codes of max_code_len bits hold.
int refused(const InputError& e) {
    EMBZIP_FUZZ_EXPECT(std::strstr(e.what(), "cannot code") != nullptr);
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 5) return 0;
    const Method method = kMethods[data[0] % std::size(kMethods)];
    const uint32_t dim = 1 + data[1] % 64;
    const unsigned kind = data[2] % 5;  // 0 int8, 1 uint8, 2 bf16, 3 fp16, 4 fp32
    const unsigned align = kAligns[(data[2] / 5) % 4];
    const bool minimax = method == Method::Minimax8 || method == Method::Minimax4;
    const unsigned books = minimax ? 1 + (data[2] / 20) % 4 : 1;
    const bool overflow = (data[2] / 80) % 2;
    const unsigned max_code_len = 8 + data[3] % 25;
    const unsigned value_bytes = kind <= 1 ? 1 : kind == 4 ? 4 : 2;
    const uint64_t rows = std::min<uint64_t>(kMaxRows, (size - 4) / (uint64_t(dim) * value_bytes));
    if (rows == 0) return 0;
    const uint8_t* values = data + 4;

    MethodOptions o;
    o.iterations = 100;
    o.mwu_iterations = 4;
    o.books = books;
    o.overflow = overflow ? 0.25 : 0.0;
    o.max_code_len = max_code_len;

    if (kind <= 1) {
        Table t;
        t.rows = rows;
        t.dim = dim;
        t.dtype = kind == 0 ? Dtype::Int8 : Dtype::Uint8;
        t.bytes.assign(values, values + rows * dim);
        CodeResult r;
        try {
            r = run_method(method, t, o);
        } catch (const InputError& e) {
            return refused(e);
        }
        const CodedTable back = through_file(encode_table(t, r, align));
        EMBZIP_FUZZ_EXPECT(back.row_bits == r.row_bits);
        EMBZIP_FUZZ_EXPECT(decode_table(back).bytes == t.bytes);
        const RowDecoder d(back);
        std::vector<uint8_t> row(dim);
        for (uint64_t i = 0; i < rows; ++i) {
            EMBZIP_FUZZ_EXPECT(d.decode_row(i, row.data()) == Status::Ok);
            EMBZIP_FUZZ_EXPECT(std::memcmp(row.data(), t.row(i), dim) == 0);
        }
        return 0;
    }
    FloatTable t;
    t.rows = rows;
    t.dim = dim;
    t.kind = kind == 2 ? FloatKind::BF16 : kind == 3 ? FloatKind::FP16 : FloatKind::FP32;
    t.bytes.assign(values, values + rows * dim * value_bytes);
    const FloatPlanes planes = split_planes(t);
    CodeResult r;
    try {
        r = run_method(method, planes.exponents, o);
    } catch (const InputError& e) {
        return refused(e);
    }
    const CodedTable back = through_file(encode_float_table(t, r, align));
    EMBZIP_FUZZ_EXPECT(decode_float_table(back).bytes == t.bytes);
    const RowDecoder d(back);
    const size_t row_bytes = size_t(dim) * value_bytes;
    std::vector<uint8_t> row(row_bytes);
    for (uint64_t i = 0; i < rows; ++i) {
        EMBZIP_FUZZ_EXPECT(d.decode_values(i, row.data()) == Status::Ok);
        EMBZIP_FUZZ_EXPECT(std::memcmp(row.data(), t.bytes.data() + i * row_bytes, row_bytes) == 0);
    }
    return 0;
}
