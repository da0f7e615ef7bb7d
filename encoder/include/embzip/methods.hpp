// SPDX-License-Identifier: MIT
#pragma once
#include <climits>
#include <cstdint>
#include <memory>
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

enum class SaStart { Balanced, Huffman };
struct MethodOptions;
struct CodeResult;

// Options a method reads, beyond --max-code-len and --overflow which every encoding honours
// (listed in the CLI's help; --books is rejected by a method that does not honour it).
enum MethodOption : unsigned {
    kOptSeed = 1u << 0,        // --seed
    kOptTimeLimit = 1u << 1,   // --time-limit
    kOptIterations = 1u << 2,  // --iterations
    kOptStart = 1u << 3,       // --start
    kOptMwu = 1u << 4,         // --mwu-iterations, --eta
    kOptBooks = 1u << 5,       // --books
};

// The method registry: one row per method. Parsing, "all", "best" (every encoding), the CLI's
// help and the README's method list (checked by a test) all come from this table.
struct MethodInfo {
    Method method;
    const char* name;
    // References, not encodings: limit8/limit4 (per-row Huffman, the paper's limits), entropy0
    // (order-0 entropy of the whole table) and zstd19 (the whole table through zstd -19, no
    // random access). For entropy0 and zstd19, row_bits is the average per row (rounded up).
    bool reference;
    // Fits its code to the rows left in place itself; other encodings get the best overflow
    // threshold for their own code.
    bool plans_overflow;
    unsigned options;  // MethodOption bits
    const char* help;  // one line
    CodeResult (*run)(const Table& table, const MethodOptions& options);
};
const std::vector<MethodInfo>& method_registry();
const MethodInfo& method_info(Method method);

const char* method_name(Method method);
// @throws InputError naming the valid methods.
Method parse_method(const std::string& text);
std::vector<Method> parse_method_list(const std::string& comma_list);  // "all" = every method
std::vector<Method> all_methods();
std::vector<Method> encodable_methods();  // every method that is not a reference ("best")
bool is_reference(Method method);
// "name  help" lines of every method (encodable_only: encodings only), for the CLI's help.
std::string method_help(bool encodable_only);
// "a, b, c" of every method's name (encodable_only: encodings only).
std::string method_names(bool encodable_only);

// Caps on the searches that have no CLI option, for a caller that needs a bounded cost per table
// (the round_trip fuzz target runs every method on thousands of tiny tables). Any cap still
// yields a valid code, so every encode round-trips; the defaults are the full searches, which is
// what the CLI always runs (these are not CLI options).
struct SearchBudget {
    // nibble4/nibble4x2: symbol orders tried per tree search (frequency, max-count, then, with at
    // most 8 symbols, every permutation: up to 2 + 8! orders), and passes of pairwise symbol swaps
    // (nibble4; a pass tries all 120 pairs, passes repeat while one helps).
    uint64_t nibble_orders = UINT64_MAX;
    unsigned nibble_swap_passes = UINT_MAX;
    // minimax --books: k-means rounds and minimax-refit rounds for each added book.
    unsigned book_kmeans_rounds = 6;
    unsigned book_refit_rounds = 4;
    // minimax --overflow: refits of the code to the rows that stay in place.
    unsigned overflow_refits = 4;
};

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
    unsigned books = 1;     // minimax: code books (1..16)
    double overflow = 0.0;  // largest fraction of rows allowed to overflow (0: none)
    // Threads for the code searches' row loops (0: every core). Every split of the work is
    // fixed by the data, not by the thread count, so results are identical for any value.
    unsigned threads = 0;
    static constexpr unsigned kMaxThreads = 1024;
    // Histograms shared by the methods run on one table (run_report sets it); a method whose
    // table is not the cache's builds its own.
    std::shared_ptr<HistogramCache> histograms;
    ProgressFn progress;
    SearchBudget budget;  // full searches unless a caller caps them
};

// The histograms of `table` for `spec`: from options.histograms when it is this table's cache,
// else built now.
std::shared_ptr<const RowHistograms> table_histograms(const Table& table, SymbolSpec spec,
                                                      const MethodOptions& options);

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
Evaluation evaluate(const RowHistograms& hist, const std::vector<CodeLengths>& books,
                    unsigned threads = 0);
// Worst per-row Huffman length (the paper's limit).
uint64_t limit_bits(const RowHistograms& hist);
// Best 16-leaf nibble code over a subset of unique rows (all when empty): every shape with
// the frequency and max-count orders (every order when at most 8 symbols are used), then,
// with `swaps`, pairwise symbol swaps while they narrow the worst row.
CodeLengths best_nibble_code(const RowHistograms& hist, const std::vector<uint32_t>& rows,
                             uint64_t* worst_bits, std::string* order_name = nullptr,
                             bool swaps = true, unsigned max_len = CodeGeometry::kMaxCodeLen,
                             const SearchBudget& budget = {});
// @throws InputError unless 1 <= max_len <= kMaxCodeLen and 2^max_len >= used symbols.
void check_max_code_len(unsigned max_len, unsigned used_symbols);

double saving(uint64_t row_bits, uint32_t dim);  // 1 - W / (8 D)

}  // namespace embzip
