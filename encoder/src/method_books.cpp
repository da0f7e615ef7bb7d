// SPDX-License-Identifier: MIT
// Beyond one shared code: several code books (each row takes the one that codes it shortest)
// and overflow rows (rows longer than a threshold are stored raw elsewhere).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "embzip/layout.hpp"
#include "method_internal.hpp"

namespace embzip::detail {

unsigned selector_bits_for(size_t books) {
    unsigned s = 0;
    while ((size_t(1) << s) < books) ++s;
    return s;
}

std::vector<uint64_t> unique_lengths(const RowHistograms& hist, const std::vector<CodeLengths>& books) {
    const unsigned selector = selector_bits_for(books.size());
    std::vector<uint64_t> lens(hist.unique_rows(), UINT64_MAX);
    for (size_t u = 0; u < lens.size(); ++u)
        for (const CodeLengths& b : books) {
            bool covers = true;
            for (uint64_t e = hist.offset[u]; e < hist.offset[u + 1]; ++e) covers &= b.len[hist.symbol[e]] != 0;
            if (covers) lens[u] = std::min(lens[u], hist.row_bits(u, b.len.data()) + selector);
        }
    return lens;
}

// Scans every threshold (a row length that occurs) and keeps the one with the fewest stored
// bytes among those that overflow at most `fraction` of the rows. Slots are byte-aligned here,
// as `embzip encode` lays them out by default.
OverflowPlan plan_overflow(const RowHistograms& hist, const std::vector<CodeLengths>& books, const Table& table,
                           double fraction, uint64_t* total_bytes) {
    const std::vector<uint64_t> lens = unique_lengths(hist, books);
    std::vector<uint32_t> order(lens.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return lens[a] > lens[b]; });
    const uint64_t allowed = uint64_t(std::floor(fraction * double(table.rows)));
    auto bytes = [&](uint64_t row_bits, bool overflow, uint64_t over_rows) {
        return stored_bytes(table.rows, table.dim, hist.spec, books.size(), (row_bits + 7) / 8 * 8, table.quant.kind,
                            overflow, over_rows);
    };
    OverflowPlan best;
    uint64_t best_bytes = bytes(lens[order[0]], false, 0);
    uint64_t over = 0;
    for (size_t i = 0; i < order.size();) {
        // Overflow every row of length lens[order[i]]; the threshold drops to the next length.
        const uint64_t level = lens[order[i]];
        while (i < order.size() && lens[order[i]] == level) over += hist.multiplicity[order[i++]];
        if (over > allowed || i == order.size()) break;
        const uint64_t threshold = lens[order[i]];
        const uint32_t index_bits = std::max(1u, selector_bits_for(over));
        const uint64_t row_bits = 1 + std::max<uint64_t>(threshold, index_bits);
        const uint64_t b = bytes(row_bits, true, over);
        if (b < best_bytes) {
            best_bytes = b;
            best = {true, uint32_t(threshold), index_bits, over};
        }
    }
    *total_bytes = best_bytes;
    return best;
}

uint64_t plan_row_bits(const OverflowPlan& plan, const RowHistograms& hist, const std::vector<CodeLengths>& books) {
    if (plan.enabled) return 1 + std::max<uint64_t>(plan.threshold_bits, plan.index_bits);
    const std::vector<uint64_t> lens = unique_lengths(hist, books);
    return *std::max_element(lens.begin(), lens.end());
}

// Joint training: a new book is seeded from the rows that are currently longest (so an
// outlier can get a book of its own), then Lloyd rounds: every row takes its shortest book,
// every book is re-fitted (minimax) to its rows, while the worst row shrinks.
std::vector<CodeLengths> train_books(const RowHistograms& hist, const std::vector<uint32_t>& rows, unsigned count,
                                     const MinimaxOptions& options) {
    MinimaxOptions cheap = options;
    cheap.mwu_iterations = std::min(options.mwu_iterations, 60u);
    cheap.search_iterations = std::min<uint64_t>(options.search_iterations, 20000);
    cheap.progress = nullptr;
    std::vector<CodeLengths> books = {minimax_code(hist, rows, options).code};
    auto width = [&](const std::vector<CodeLengths>& b, std::vector<uint32_t>* choice) {
        const unsigned selector = selector_bits_for(b.size());
        uint64_t worst = 0;
        if (choice) choice->assign(rows.size(), 0);
        for (size_t i = 0; i < rows.size(); ++i) {
            uint64_t best = UINT64_MAX;
            for (size_t k = 0; k < b.size(); ++k) {
                const uint64_t l = hist.row_bits(rows[i], b[k].len.data());
                if (l < best) {
                    best = l;
                    if (choice) (*choice)[i] = uint32_t(k);
                }
            }
            worst = std::max(worst, best + selector);
        }
        return worst;
    };
    for (unsigned k = 1; k < count; ++k) {
        std::vector<uint32_t> choice;
        const uint64_t w = width(books, &choice);
        std::vector<uint32_t> seed;
        for (size_t i = 0; i < rows.size(); ++i)
            if (hist.row_bits(rows[i], books[choice[i]].len.data()) + selector_bits_for(books.size()) + 2 >= w)
                seed.push_back(rows[i]);
        std::vector<CodeLengths> trial = books;
        trial.push_back(minimax_code(hist, seed, cheap).code);
        std::vector<CodeLengths> best = trial;
        uint64_t best_w = width(trial, &choice);
        for (int round = 0; round < 4; ++round) {
            std::vector<std::vector<uint32_t>> members(trial.size());
            for (size_t i = 0; i < rows.size(); ++i) members[choice[i]].push_back(rows[i]);
            for (size_t b = 0; b < trial.size(); ++b)
                if (!members[b].empty()) trial[b] = minimax_code(hist, members[b], cheap).code;
            const uint64_t tw = width(trial, &choice);
            if (tw >= best_w) break;
            best_w = tw;
            best = trial;
        }
        books = best;
        if (options.progress) options.progress(options.stage, double(k + 1) / double(count));
    }
    return books;
}

}  // namespace embzip::detail
