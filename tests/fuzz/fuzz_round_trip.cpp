// SPDX-License-Identifier: MIT
// Losslessness on arbitrary tables: bytes -> a table -> a method's code -> a layout -> .ezt bytes
// -> decode, which must give the table back bit-exact, in bulk and row by row.
// Input: byte 0 picks the method and the search budget, byte 1 the row width (1..64 values),
// byte 2 the value type (int8, uint8, bf16, fp16, fp32), the alignment (1, 8, 32 or 512 bits),
// the books (1..4, minimax) and overflow rows; byte 3 the longest code (8..32 bits; nibble4: 4 or
// 5) and whether the .ezt goes through a file; the rest are the values.
// Cost per input (tests/fuzz/README.md): search budgets are small and chosen by the input (any
// budget gives a valid code, and a different one tests the layout with other lengths): the
// CLI's --iterations and --mwu-iterations, and MethodOptions::budget for the searches without
// an option. The .ezt goes through ezt_bytes/parse_ezt in memory, through write_ezt/read_ezt
// for ~1 input in 8 (the file adds only the write and read around the same bytes); those
// inputs also search on two threads and decode with decode_table, the others decode in bulk
// with the decoder of the per-row checks (one decoder an input: its lookup tables cost time).
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
// nibble4 enumerates every 16-leaf tree shape within the longest code: 406 shapes at 8 bits
// (1.3 s an input under the sanitizers), 12 at 5 bits, 1 at 4, hence its 4- or 5-bit limit.
constexpr Method kMethods[] = {Method::Huffman8, Method::Balanced8, Method::Sa8,
                               Method::Nibble4,  Method::Minimax8,  Method::Minimax4};
constexpr unsigned kAligns[] = {1, 8, 32, 512};
constexpr uint64_t kMaxRows = 16;  // keeps one run short under the sanitizers

CodedTable through_ezt(const CodedTable& coded, bool file) {
    if (!file) return parse_ezt(ezt_bytes(coded), "fuzz.ezt");
    const std::string path = fuzz::scratch_file(".ezt");
    write_ezt(path, coded);
    CodedTable back = read_ezt(path);
    std::remove(path.c_str());
    return back;
}

// Bulk decoding with the decoder the per-row checks use: decode_table builds a second decoder
// (its lookup tables were a third of an input's time before they were filled by walking the
// code tree; about 5 % now), so decode_table itself runs only for the inputs that go through a
// file. For a float table the
// decoder's rows are the exponent plane.
bool bulk_matches(const RowDecoder& d, const Table& t) {
    std::vector<uint8_t> out(t.bytes.size());
    if (d.decode_range(0, t.rows, out.data()) != Status::Ok || out != t.bytes) return false;
    // The gather path as well, rows in reverse order.
    std::vector<uint64_t> indices(t.rows);
    for (uint64_t i = 0; i < t.rows; ++i) indices[i] = t.rows - 1 - i;
    if (d.decode_rows(indices.data(), indices.size(), out.data()) != Status::Ok) return false;
    for (uint64_t i = 0; i < t.rows; ++i)
        if (std::memcmp(out.data() + i * t.dim, t.row(t.rows - 1 - i), t.dim) != 0) return false;
    return true;
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
    const unsigned max_code_len =
        method == Method::Nibble4 ? 4 + (data[3] % 8 == 0) : 8 + data[3] % 25;
    const bool file = data[3] / 25 % 10 == 0;
    const unsigned budget = data[0] / std::size(kMethods);  // 0..42
    const unsigned value_bytes = kind <= 1 ? 1 : kind == 4 ? 4 : 2;
    const uint64_t rows = std::min<uint64_t>(kMaxRows, (size - 4) / (uint64_t(dim) * value_bytes));
    if (rows == 0) return 0;
    const uint8_t* values = data + 4;

    MethodOptions o;
    o.iterations = 1 + budget / 4 * 3;  // 1..31 sa8 anneal / minimax local-search steps
    o.mwu_iterations = budget % 4;      // 0..3; 0 starts the local search from Huffman
    o.books = books;
    o.overflow = overflow ? 0.25 : 0.0;
    o.max_code_len = max_code_len;
    // Results do not depend on the thread count, and under ASan starting a thread costs more
    // than a search on 16 rows: threads for the ~1 input in 8 that goes through a file.
    o.threads = file ? 2 : 1;
    // The searches without a CLI option, capped (any cap gives a valid code, 0 included):
    // 0-1 k-means rounds and 0-1 minimax refits per added book, 0-1 overflow refits, nibble4's
    // first 1-8 symbol orders and 0-1 swap passes.
    o.budget.book_kmeans_rounds = budget / 2 % 2;
    o.budget.book_refit_rounds = budget / 8 % 2;
    o.budget.overflow_refits = budget / 4 % 2;
    o.budget.nibble_orders = 1 + budget / 2 % 8;
    o.budget.nibble_swap_passes = budget / 16 % 2;

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
        const CodedTable back = through_ezt(encode_table(t, r, align), file);
        EMBZIP_FUZZ_EXPECT(back.row_bits == r.row_bits);
        const RowDecoder d(back);
        if (file)
            EMBZIP_FUZZ_EXPECT(decode_table(back).bytes == t.bytes);
        else
            EMBZIP_FUZZ_EXPECT(bulk_matches(d, t));
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
    const CodedTable back = through_ezt(encode_float_table(t, r, align), file);
    const RowDecoder d(back);
    if (file)
        EMBZIP_FUZZ_EXPECT(decode_float_table(back).bytes == t.bytes);
    else
        EMBZIP_FUZZ_EXPECT(bulk_matches(d, planes.exponents));
    const size_t row_bytes = size_t(dim) * value_bytes;
    std::vector<uint8_t> row(row_bytes);
    for (uint64_t i = 0; i < rows; ++i) {
        EMBZIP_FUZZ_EXPECT(d.decode_values(i, row.data()) == Status::Ok);
        EMBZIP_FUZZ_EXPECT(std::memcmp(row.data(), t.bytes.data() + i * row_bytes, row_bytes) == 0);
    }
    return 0;
}
