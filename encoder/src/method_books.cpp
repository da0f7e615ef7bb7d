// SPDX-License-Identifier: MIT
// Beyond one shared code: several code books (each row takes the one that codes it shortest)
// and overflow rows (rows longer than a threshold are stored raw elsewhere).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "embzip/layout.hpp"
#include "method_internal.hpp"
#include "packed_rows.hpp"

namespace embzip::detail {

void shortest_books(const RowHistograms& hist, const std::vector<CodeLengths>& books,
                    std::vector<uint64_t>* lens, std::vector<uint32_t>* book, unsigned threads,
                    const PackedRows* all) {
    const unsigned selector = selector_bits_for(books.size());
    if (lens) lens->assign(hist.unique_rows(), UINT64_MAX);
    if (book) book->assign(hist.unique_rows(), 0);
    // Books that code every symbol of the table cover every row: then lengths come from the
    // packed rows, book by book (the same sums, the same ties: the lower index wins).
    bool all_cover = true;
    for (const CodeLengths& b : books)
        for (unsigned s = 0; s < hist.spec.alphabet(); ++s)
            all_cover &= hist.frequency[s] == 0 || b.len[s] != 0;
    if (all_cover && !books.empty()) {
        std::vector<uint32_t> rows(hist.unique_rows());
        std::iota(rows.begin(), rows.end(), 0u);
        std::optional<PackedRows> own;
        if (!all) all = &own.emplace(hist, rows);
        const PackedRows& packed = *all;
        std::vector<uint64_t> best(rows.size(), UINT64_MAX), l(rows.size());
        for (size_t b = 0; b < books.size(); ++b) {
            packed.lengths(books[b].len.data(), l.data(), threads);
            for (size_t u = 0; u < rows.size(); ++u)
                if (l[u] + selector < best[u]) {
                    best[u] = l[u] + selector;
                    if (book) (*book)[u] = uint32_t(b);
                }
        }
        if (lens) *lens = std::move(best);
        return;
    }
    for (size_t u = 0; u < hist.unique_rows(); ++u) {
        uint64_t best = UINT64_MAX;
        for (size_t b = 0; b < books.size(); ++b) {
            bool covers = true;  // a book that lacks one of the row's symbols cannot code it
            for (uint64_t e = hist.offset[u]; e < hist.offset[u + 1]; ++e)
                covers &= books[b].len[hist.symbol[e]] != 0;
            if (!covers) continue;
            const uint64_t bits = hist.row_bits(u, books[b].len.data()) + selector;
            if (bits < best) {
                best = bits;
                if (book) (*book)[u] = uint32_t(b);
            }
        }
        if (lens) (*lens)[u] = best;
    }
}

std::vector<uint64_t> unique_lengths(const RowHistograms& hist,
                                     const std::vector<CodeLengths>& books, unsigned threads,
                                     const PackedRows* all) {
    std::vector<uint64_t> lens;
    shortest_books(hist, books, &lens, nullptr, threads, all);
    return lens;
}

// Scans every threshold (a row length that occurs) and keeps the one with the fewest stored
// bytes among those that overflow at most `fraction` of the rows. Slots are byte-aligned here,
// as `embzip encode` lays them out by default.
OverflowPlan plan_overflow(const RowHistograms& hist, const std::vector<CodeLengths>& books,
                           const Table& table, double fraction, uint64_t* total_bytes,
                           unsigned threads, const PackedRows* all) {
    const std::vector<uint64_t> lens = unique_lengths(hist, books, threads, all);
    std::vector<uint32_t> order(lens.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return lens[a] > lens[b]; });
    const uint64_t allowed = uint64_t(std::floor(fraction * double(table.rows)));
    auto bytes = [&](uint64_t row_bits, bool overflow, uint64_t over_rows) {
        return stored_bytes(table.rows, table.dim, hist.spec, books.size(), (row_bits + 7) / 8 * 8,
                            table.quant.kind, overflow, over_rows);
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

uint64_t plan_row_bits(const OverflowPlan& plan, const RowHistograms& hist,
                       const std::vector<CodeLengths>& books, unsigned threads,
                       const PackedRows* all) {
    if (plan.enabled) return 1 + std::max<uint64_t>(plan.threshold_bits, plan.index_bits);
    const std::vector<uint64_t> lens = unique_lengths(hist, books, threads, all);
    return *std::max_element(lens.begin(), lens.end());
}

// Joint training, in two phases.
//  1. Clustering on total length (k-means with codes as centres): seeds are the rows that are
//     longest under the books so far (each gets a book from its own histogram, so an outlier
//     can own a book); then rows take their shortest book and each book becomes the Huffman
//     code of its members' summed histogram, for a few rounds (SearchBudget::book_kmeans_rounds).
//  2. Minimax refit: each book is re-fitted to minimise the worst of its members, rows move to
//     their shortest book, while the width shrinks (at most SearchBudget::book_refit_rounds).
// Returns the best book set found with at most `count` books (fewer when the selector bits
// cost more than extra books save).
std::vector<CodeLengths> train_books(const RowHistograms& hist, const std::vector<uint32_t>& subset,
                                     unsigned count, const MinimaxOptions& options) {
    std::vector<uint32_t> rows = subset;
    if (rows.empty()) {
        rows.resize(hist.unique_rows());
        std::iota(rows.begin(), rows.end(), 0u);
    }
    MinimaxOptions cheap = options;
    cheap.mwu_iterations = std::min(options.mwu_iterations, 80u);
    cheap.search_iterations = std::min<uint64_t>(options.search_iterations, 20000);
    cheap.progress = nullptr;
    const unsigned alphabet = hist.spec.alphabet();
    std::vector<uint8_t> symbols;
    for (unsigned s = 0; s < alphabet; ++s)
        if (hist.frequency[s]) symbols.push_back(uint8_t(s));

    // Huffman code of summed histograms; every table symbol gets a code (count + 1).
    auto centre = [&](const std::vector<uint32_t>& members) {
        std::array<uint64_t, 256> f{};
        for (uint32_t u : members)
            for (uint64_t e = hist.offset[u]; e < hist.offset[u + 1]; ++e)
                f[hist.symbol[e]] += uint64_t(hist.count[e]) * 64;
        for (uint8_t s : symbols) f[s] += 1;
        return huffman_lengths(f.data(), alphabet, options.max_len);
    };
    // Every row's length under each book, on the packed rows; best[i] is row i's length
    // under its chosen (shortest, lower index on ties) book.
    const PackedRows packed(hist, rows);
    std::vector<uint64_t> best(rows.size()), lens(rows.size());
    auto assign_rows = [&](const std::vector<CodeLengths>& b, std::vector<uint32_t>* choice) {
        const unsigned selector = selector_bits_for(b.size());
        choice->assign(rows.size(), 0);
        std::fill(best.begin(), best.end(), UINT64_MAX);
        for (size_t k = 0; k < b.size(); ++k) {
            packed.lengths(b[k].len.data(), lens.data(), options.threads);
            for (size_t i = 0; i < rows.size(); ++i)
                if (lens[i] < best[i]) {
                    best[i] = lens[i];
                    (*choice)[i] = uint32_t(k);
                }
        }
        uint64_t worst = 0;
        for (size_t i = 0; i < rows.size(); ++i) worst = std::max(worst, best[i] + selector);
        return worst;
    };
    auto members_of = [&](const std::vector<uint32_t>& choice, size_t books) {
        std::vector<std::vector<uint32_t>> m(books);
        for (size_t i = 0; i < rows.size(); ++i) m[choice[i]].push_back(rows[i]);
        return m;
    };

    std::vector<CodeLengths> overall = {minimax_code(hist, rows, options).code};
    std::vector<uint32_t> choice;
    uint64_t overall_w = assign_rows(overall, &choice);
    std::vector<CodeLengths> books = {centre(rows)};
    for (unsigned k = 1; k < count; ++k) {
        // Phase 1: farthest row seeds a book of its own, then k-means rounds.
        assign_rows(books, &choice);
        size_t far = 0;
        uint64_t far_len = 0;
        for (size_t i = 0; i < rows.size(); ++i) {
            const uint64_t l = best[i];  // the row's length under books[choice[i]]
            if (l > far_len) {
                far_len = l;
                far = i;
            }
        }
        books.push_back(centre({rows[far]}));
        for (unsigned round = 0; round < options.budget.book_kmeans_rounds; ++round) {
            assign_rows(books, &choice);
            const auto members = members_of(choice, books.size());
            for (size_t b = 0; b < books.size(); ++b)
                if (!members[b].empty()) books[b] = centre(members[b]);
        }
        // Phase 2: minimax refit on a copy; the k-means centres stay for the next seed.
        std::vector<CodeLengths> trial = books;
        uint64_t trial_w = assign_rows(trial, &choice);
        for (unsigned round = 0; round < options.budget.book_refit_rounds; ++round) {
            const auto members = members_of(choice, trial.size());
            std::vector<CodeLengths> next = trial;
            for (size_t b = 0; b < next.size(); ++b)
                if (!members[b].empty()) next[b] = minimax_code(hist, members[b], cheap).code;
            std::vector<uint32_t> next_choice;
            const uint64_t w = assign_rows(next, &next_choice);
            if (w >= trial_w) break;
            trial = next;
            trial_w = w;
            choice = next_choice;
        }
        if (trial_w < overall_w) {
            overall = trial;
            overall_w = trial_w;
        }
        if (options.progress) options.progress(options.stage, double(k + 1) / double(count));
    }
    return overall;
}

}  // namespace embzip::detail
