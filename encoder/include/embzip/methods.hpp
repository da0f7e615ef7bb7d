// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "embzip/code.hpp"
#include "embzip/histogram.hpp"
#include "embzip/table.hpp"

namespace embzip {

enum class Method {
    Huffman8,
    Balanced8,
    Sa8,
    Nibble4,
    Nibble4x2,
    Limit8,
    Limit4,
    Minimax8,
    Minimax4,
    Entropy0,
    Zstd19
};

const char* method_name(Method method);
// @throws InputError naming the valid methods.
Method parse_method(const std::string& text);
std::vector<Method> parse_method_list(const std::string& comma_list);  // "all" = every method
std::vector<Method> all_methods();
// References, not encodings: limit8/limit4 (per-row Huffman, the paper's limits), entropy0
// (order-0 entropy of the whole table) and zstd19 (the whole table through zstd -19, no random
// access). For entropy0 and zstd19, row_bits is the average per row (rounded up).
bool is_reference(Method method);

enum class SaStart { Balanced, Huffman };

struct MethodOptions {
    uint64_t seed = 1;
    double time_limit_s = 0.0;  // 0: no limit
    uint64_t iterations = 0;    // 0: the method's default
    SaStart start = SaStart::Balanced;
    unsigned max_code_len = CodeGeometry::kMaxCodeLen;  // longest code the decoder supports
    unsigned mwu_iterations = 300;                      // minimax: multiplicative-weights rounds
    double eta = 0.05;                                  // minimax: weight step, (0, kMaxEta]
    // Row lengths differ by bits, so a step of 10 already moves all the weight to the worst
    // rows in one round; larger steps only lose the averaging that makes the bound good.
    static constexpr double kMaxEta = 10.0;
    unsigned books = 1;                                 // minimax: code books (1..16)
    double overflow = 0.0;  // largest fraction of rows allowed to overflow (0: none)
    ProgressFn progress;
};

// Overflow rows: rows whose coded length exceeds `threshold_bits` (selector + codes) are
// stored raw in an overflow region; their slot holds a flag and an index instead.
struct OverflowPlan {
    bool enabled = false;
    uint32_t threshold_bits = 0;
    uint32_t index_bits = 0;
    uint64_t rows = 0;  // how many rows overflow
};

// What a method found. Several books: every row is coded with the book that codes it
// shortest, after selector_bits that name the book.
struct CodeResult {
    Method method = Method::Huffman8;
    SymbolSpec spec;
    std::vector<CodeLengths> books;  // empty for limits
    uint32_t selector_bits = 0;
    uint64_t row_bits = 0;          // W: selector + longest coded row
    uint64_t second_book_rows = 0;  // rows whose shortest book is not book 0
    uint64_t bound_bits = 0;        // minimax: proven lower bound on W of any shared code (0: none)
    uint64_t code_row_bits = 0;     // W of the method's own code, before the raw fallback
    bool raw_fallback = false;      // the code was wider than the raw row: rows are stored raw
    OverflowPlan overflow;
    uint64_t total_bytes = 0;  // everything stored (set by run_method for encodings)
    std::string order;         // symbol order used ("frequency", "max_count", ...)
    double seconds = 0.0;
};

CodeResult run_method(Method method, const Table& table, const MethodOptions& options = {});

// Building blocks, exposed for tests and later methods.
// W of a code set over histograms (selector bits included), and rows not on book 0.
struct Evaluation {
    uint64_t row_bits = 0;
    uint64_t second_book_rows = 0;
};
Evaluation evaluate(const RowHistograms& hist, const std::vector<CodeLengths>& books);
// Worst per-row Huffman length (the paper's limit).
uint64_t limit_bits(const RowHistograms& hist);
// Best 16-leaf nibble code over a subset of unique rows (all when empty): every shape with
// the frequency and max-count orders (every order when at most 8 symbols are used), then,
// with `swaps`, pairwise symbol swaps while they narrow the worst row.
CodeLengths best_nibble_code(const RowHistograms& hist, const std::vector<uint32_t>& rows,
                             uint64_t* worst_bits, std::string* order_name = nullptr,
                             bool swaps = true, unsigned max_len = CodeGeometry::kMaxCodeLen);
// @throws InputError unless 1 <= max_len <= kMaxCodeLen and 2^max_len >= used symbols.
void check_max_code_len(unsigned max_len, unsigned used_symbols);

double saving(uint64_t row_bits, uint32_t dim);  // 1 - W / (8 D)

}  // namespace embzip
