// SPDX-License-Identifier: MIT
// Internal to the encoder library: the method implementations behind run_method.
#pragma once
#include <string>
#include <vector>

#include "embzip/methods.hpp"

namespace embzip::detail {

class PackedRows;

enum class OrderKey { Frequency, MaxCount };
const char* order_name(OrderKey key);
// Used symbols, most "important" first (ties by symbol value), so that shorter codes go first.
std::vector<uint8_t> symbol_order(const RowHistograms& hist, OrderKey key);

struct MinimaxOptions {
    unsigned max_len = CodeGeometry::kMaxCodeLen;
    uint64_t seed = 1;
    double seconds = 0;
    unsigned mwu_iterations = 300;
    double eta = 0.05;
    uint64_t search_iterations = 200000;
    unsigned threads = 0;  // 0: every core; the result does not depend on it
    ProgressFn progress;
    const char* stage = "minimax";
    SearchBudget budget;  // train_books reads the book rounds
};
struct MinimaxOutcome {
    CodeLengths code;
    uint64_t worst = 0;
    double bound = 0;  // proven: no code with lengths <= max_len has a narrower worst row
};
// Minimax code over a subset of unique rows (all when empty); every symbol the table uses
// gets a code, so the result can code any row.
MinimaxOutcome minimax_code(const RowHistograms& hist, const std::vector<uint32_t>& rows,
                            const MinimaxOptions& options);
CodeResult run_minimax(const Table& table, unsigned bits, const MethodOptions& options);

// Per unique row: selector bits + the length under its shortest covering book (UINT64_MAX when
// no book codes all its symbols), and which book that is (ties: the lower index, as the
// encoder chooses). Either output may be null. `all`: optional packed rows of every unique
// row in order (PackedRows(hist, 0..n-1)), so that callers asking many times (the overflow
// refits) pack the rows once; without it each call packs them.
void shortest_books(const RowHistograms& hist, const std::vector<CodeLengths>& books,
                    std::vector<uint64_t>* lens, std::vector<uint32_t>* book, unsigned threads = 0,
                    const PackedRows* all = nullptr);
std::vector<uint64_t> unique_lengths(const RowHistograms& hist,
                                     const std::vector<CodeLengths>& books, unsigned threads = 0,
                                     const PackedRows* all = nullptr);
OverflowPlan plan_overflow(const RowHistograms& hist, const std::vector<CodeLengths>& books,
                           const Table& table, double fraction, uint64_t* total_bytes,
                           unsigned threads = 0, const PackedRows* all = nullptr);
uint64_t plan_row_bits(const OverflowPlan& plan, const RowHistograms& hist,
                       const std::vector<CodeLengths>& books, unsigned threads = 0,
                       const PackedRows* all = nullptr);
std::vector<CodeLengths> train_books(const RowHistograms& hist, const std::vector<uint32_t>& rows,
                                     unsigned count, const MinimaxOptions& options);

CodeResult run_entropy0(const Table& table);
CodeResult run_zstd19(const Table& table);

CodeResult run_sa8(const Table& table, const MethodOptions& options);
CodeResult run_nibble4(const Table& table, const MethodOptions& options);
CodeResult run_nibble4x2(const Table& table, const MethodOptions& options);

}  // namespace embzip::detail
