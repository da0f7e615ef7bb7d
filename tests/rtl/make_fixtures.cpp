// SPDX-License-Identifier: MIT
// Hand-built coded tables for the RTL tests, written as OUT/<name>/{table.ezt,code.json}:
//   onesym   one symbol in the whole table (a 1-bit code, Kraft sum 1/2)
//   long256  all 256 symbols, lengths 1..24 then 232 codes of 32 bits (the longest allowed)
//   books4   four code books (2 selector bits), each the Huffman code of a quarter of the rows
// and, given the default table, OUT/ovf_input.npy for the overflow layouts (encoded by the CLI):
//   the table's first 300 rows, then 6 rows of uniform random bytes, which no shared code fits
#include <filesystem>
#include <iostream>
#include <random>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/histogram.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip/table_io.hpp"

using namespace embzip;
namespace fs = std::filesystem;

namespace {

Table make_table(uint64_t rows, uint32_t dim) {
    Table t;
    t.rows = rows;
    t.dim = dim;
    t.bytes.assign(rows * dim, 0);
    return t;
}

void write(const fs::path& dir, const Table& table, std::vector<CodeLengths> books) {
    CodeResult r;
    r.method = Method::Huffman8;
    r.spec = SymbolSpec{};
    r.books = std::move(books);
    while ((size_t(1) << r.selector_bits) < r.books.size()) ++r.selector_bits;
    r.row_bits = evaluate(build_histograms(table, r.spec), r.books).row_bits;
    const CodedTable coded = encode_table(table, r);
    fs::create_directories(dir);
    write_ezt((dir / "table.ezt").string(), coded);
    write_file_atomic((dir / "code.json").string(), code_json(coded));
    std::cout << dir.string() << ": " << coded.rows << " rows, " << coded.books.size()
              << " book(s), W = " << coded.row_bits << " bits\n";
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc != 2 && argc != 3)
            throw InputError("usage: embzip_rtl_fixtures OUT_DIR [DEFAULT_TABLE.npy]");
        const fs::path out = argv[1];
        std::mt19937_64 rng(7);

        Table one = make_table(300, 16);
        std::fill(one.bytes.begin(), one.bytes.end(), uint8_t(0xF6));
        CodeLengths one_code;
        one_code.len[0xF6] = 1;
        write(out / "onesym", one, {one_code});

        // Uniform bytes: most codes are 32 bits, the long path of the lut design is exercised.
        Table wide = make_table(300, 24);
        for (uint8_t& b : wide.bytes) b = uint8_t(rng());
        CodeLengths long_code;
        for (unsigned s = 0; s < 256; ++s) long_code.len[s] = uint8_t(s < 24 ? s + 1 : 32);
        write(out / "long256", wide, {long_code});

        // Four populations of rows (sigma 1, 3, 9 and uniform), one Huffman book each.
        Table mixed = make_table(400, 32);
        std::vector<std::array<uint64_t, 256>> freq(4);
        for (uint64_t r = 0; r < mixed.rows; ++r) {
            const unsigned k = unsigned(r % 4);
            std::normal_distribution<double> normal(0.0, k == 0 ? 1.0 : k == 1 ? 3.0 : 9.0);
            for (uint32_t c = 0; c < mixed.dim; ++c) {
                const uint8_t b =
                    k == 3 ? uint8_t(rng())
                           : uint8_t(int8_t(std::clamp(std::lround(normal(rng)), -127L, 127L)));
                mixed.bytes[r * mixed.dim + c] = b;
                ++freq[k][b];
            }
        }
        std::vector<CodeLengths> books;
        for (unsigned k = 0; k < 4; ++k) books.push_back(huffman_lengths(freq[k].data(), 256, 20));
        write(out / "books4", mixed, books);

        if (argc == 3) {
            LoadOptions lo;
            lo.path = argv[2];
            const Table full = load_table(lo);
            constexpr uint64_t kRows = 300, kOutliers = 6;
            if (full.rows < kRows) throw InputError(lo.path + ": fewer than 300 rows");
            Table t = make_table(kRows + kOutliers, full.dim);
            t.dtype = full.dtype;
            std::copy(full.bytes.begin(), full.bytes.begin() + kRows * full.dim, t.bytes.begin());
            for (uint64_t i = kRows * t.dim; i < t.bytes.size(); ++i) t.bytes[i] = uint8_t(rng());
            // Spread the outliers: rows 7, 60, 150 ... so overflow rows sit between coded ones.
            for (uint64_t k = 0; k < kOutliers; ++k)
                std::swap_ranges(t.bytes.begin() + (kRows + k) * t.dim,
                                 t.bytes.begin() + (kRows + k + 1) * t.dim,
                                 t.bytes.begin() + (7 + 53 * k) * t.dim);
            save_table_npy((out / "ovf_input.npy").string(), t);
            std::cout << (out / "ovf_input.npy").string() << ": " << t.rows << " rows, "
                      << kOutliers << " outliers\n";
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "embzip_rtl_fixtures: " << e.what() << "\n";
        return 1;
    }
}
