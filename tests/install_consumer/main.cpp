// SPDX-License-Identifier: MIT
// Encodes a small table, writes it as a coded directory, opens it and checks every row.
#include <cstdio>
#include <embzip/coded_store.hpp>
#include <embzip/methods.hpp>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    embzip::Table t;
    t.rows = 300;
    t.dim = 16;
    for (uint64_t i = 0; i < t.rows * t.dim; ++i) t.bytes.push_back(uint8_t((i * 7919) % 23));
    const embzip::CodeResult code = embzip::run_method(embzip::Method::Huffman8, t);
    embzip::CodedStore::write(argv[1], embzip::encode_table(t, code));
    const auto store = embzip::CodedStore::open(argv[1]);
    std::vector<uint8_t> row(t.dim);
    for (uint64_t r = 0; r < t.rows; ++r)
        if (store->decoder().decode_row(r, row.data()) != embzip::Status::Ok ||
            !std::equal(row.begin(), row.end(), t.row(r)))
            return 1;
    std::printf("consumer: %llu rows round-trip through %s\n", (unsigned long long)t.rows, argv[1]);
    return 0;
}
