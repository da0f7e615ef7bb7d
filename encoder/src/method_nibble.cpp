// SPDX-License-Identifier: MIT
// The paper's Method 1: bytes split into two 4-bit symbols, one 16-leaf tree found by
// enumerating every tree shape, and the two-tree variant with a per-row selector bit.
#include <algorithm>
#include <functional>
#include <numeric>

#include "embzip/errors.hpp"
#include "method_internal.hpp"

namespace embzip {

namespace {

// Every complete tree shape with `leaves` leaves (a single leaf: one 1-bit code).
// Depth d has `slots` nodes; k of them become leaves, the rest split into two children each.
// A split node needs at least two leaves below it, which bounds the recursion.
void enumerate_shapes(unsigned leaves, unsigned max_len,
                      const std::function<void(const Shape&)>& emit) {
    Shape shape;
    if (leaves <= 2) {
        shape.n[1] = uint16_t(leaves);
        emit(shape);
        return;
    }
    std::function<void(unsigned, unsigned, unsigned)> rec = [&](unsigned depth, unsigned slots,
                                                                unsigned remaining) {
        for (unsigned k = std::min(slots, remaining) + 1; k-- > 0;) {
            const unsigned internal = slots - k, rest = remaining - k;
            if (internal == 0) {
                if (rest == 0) {
                    shape.n[depth] = uint16_t(k);
                    emit(shape);
                    shape.n[depth] = 0;
                }
                continue;
            }
            if (rest < 2 * internal || depth + 1 > max_len) continue;
            shape.n[depth] = uint16_t(k);
            rec(depth + 1, 2 * internal, rest);
            shape.n[depth] = 0;
        }
    };
    rec(1, 2, leaves);
}

// Rank-ordered dense counts of a set of unique rows for one symbol order.
struct RankedRows {
    unsigned n = 0;
    std::vector<uint32_t> counts;  // [row][n]
    size_t rows() const { return n ? counts.size() / n : 0; }
};

RankedRows rank_rows(const RowHistograms& hist, const std::vector<uint32_t>& rows,
                     const std::vector<uint8_t>& order) {
    RankedRows r;
    r.n = unsigned(order.size());
    std::array<int, 256> rank;
    rank.fill(-1);
    for (size_t k = 0; k < order.size(); ++k) rank[order[k]] = int(k);
    r.counts.assign(rows.size() * r.n, 0);
    for (size_t i = 0; i < rows.size(); ++i)
        for (uint64_t e = hist.offset[rows[i]]; e < hist.offset[rows[i] + 1]; ++e)
            r.counts[i * r.n + size_t(rank[hist.symbol[e]])] = hist.count[e];
    return r;
}

// Minimises the worst row over all shapes for one order. Rows that beat the current best are
// checked first ("killers"), so most shapes are rejected after a handful of rows.
// `rl` is rank_lengths(shape), computed once per shape rather than once per shape and order.
struct ShapeSearch {
    const RankedRows& rows;
    std::vector<uint32_t> killers;
    uint64_t best = UINT64_MAX;
    Shape best_shape;

    void consider(const Shape& shape, const std::vector<uint8_t>& rl) {
        const unsigned n = rows.n;
        auto row_len = [&](size_t i) {
            const uint32_t* c = rows.counts.data() + i * n;
            uint64_t bits = 0;
            for (unsigned k = 0; k < n; ++k) bits += uint64_t(c[k]) * rl[k];
            return bits;
        };
        for (uint32_t i : killers)
            if (row_len(i) >= best) return;
        uint64_t worst = 0;
        for (size_t i = 0; i < rows.rows(); ++i) {
            const uint64_t bits = row_len(i);
            if (bits >= best) {
                if (killers.size() < 16)
                    killers.push_back(uint32_t(i));
                else
                    killers[i % 16] = uint32_t(i);
                return;
            }
            worst = std::max(worst, bits);
        }
        best = worst;
        best_shape = shape;
    }
};

// Orders of the used symbols, judged on the subset: by frequency, by largest count in a row.
// Symbols the subset does not use still get a leaf (last), so the book codes every symbol.
// At most `limit` orders (at least one): the first ones of the full list.
std::vector<std::pair<std::vector<uint8_t>, std::string>> candidate_orders(
    const RowHistograms& hist, const std::vector<uint32_t>& rows, uint64_t limit) {
    std::array<uint64_t, 16> freq{};
    std::array<uint32_t, 16> maxc{};
    for (uint32_t u : rows)
        for (uint64_t e = hist.offset[u]; e < hist.offset[u + 1]; ++e) {
            freq[hist.symbol[e]] += uint64_t(hist.count[e]) * hist.multiplicity[u];
            maxc[hist.symbol[e]] = std::max(maxc[hist.symbol[e]], hist.count[e]);
        }
    std::vector<uint8_t> used;
    for (unsigned s = 0; s < 16; ++s)
        if (hist.frequency[s]) used.push_back(uint8_t(s));
    auto by = [&](bool max_first) {
        std::vector<uint8_t> o = used;
        std::stable_sort(o.begin(), o.end(), [&](uint8_t a, uint8_t b) {
            if (max_first && maxc[a] != maxc[b]) return maxc[a] > maxc[b];
            if (freq[a] != freq[b]) return freq[a] > freq[b];
            return hist.frequency[a] > hist.frequency[b];
        });
        return o;
    };
    std::vector<std::pair<std::vector<uint8_t>, std::string>> orders = {{by(false), "frequency"}};
    if (limit >= 2) orders.push_back({by(true), "max_count"});
    // Few symbols: every assignment of symbols to ranks, which makes the search exhaustive.
    if (used.size() <= 8 && orders.size() < limit) {
        std::vector<uint8_t> perm = used;
        do orders.push_back({perm, "exhaustive"});
        while (orders.size() < limit && std::next_permutation(perm.begin(), perm.end()));
    }
    return orders;
}

CodeResult nibble_result(const RowHistograms& hist, std::vector<CodeLengths> books,
                         const std::string& order, unsigned threads) {
    CodeResult r;
    r.spec = hist.spec;
    r.books = std::move(books);
    r.selector_bits = r.books.size() > 1 ? 1 : 0;
    const Evaluation e = evaluate(hist, r.books, threads);
    r.row_bits = e.row_bits;
    r.second_book_rows = e.second_book_rows;
    r.order = order;
    return r;
}

std::vector<uint32_t> all_rows(const RowHistograms& hist) {
    std::vector<uint32_t> rows(hist.unique_rows());
    std::iota(rows.begin(), rows.end(), 0u);
    return rows;
}

}  // namespace

CodeLengths best_nibble_code(const RowHistograms& hist, const std::vector<uint32_t>& subset,
                             uint64_t* worst_bits, std::string* order_name, bool swaps,
                             unsigned max_len, const SearchBudget& budget) {
    if (hist.spec.bits != 4) throw InputError("best_nibble_code needs 4-bit histograms");
    const std::vector<uint32_t> rows = subset.empty() ? all_rows(hist) : subset;
    std::vector<Shape> shapes;
    check_max_code_len(max_len, hist.used_symbols());
    enumerate_shapes(hist.used_symbols(), max_len, [&](const Shape& s) { shapes.push_back(s); });
    std::vector<std::vector<uint8_t>> shape_ranks;
    for (const Shape& s : shapes) shape_ranks.push_back(rank_lengths(s));
    // The best shape for one order, against the best width so far.
    auto search_order = [&](const std::vector<uint8_t>& order, uint64_t bound) {
        const RankedRows ranked = rank_rows(hist, rows, order);
        ShapeSearch search{ranked, {}, bound, {}};
        for (size_t k = 0; k < shapes.size(); ++k) search.consider(shapes[k], shape_ranks[k]);
        return std::make_pair(search.best, search.best_shape);
    };
    uint64_t best = UINT64_MAX;
    CodeLengths best_code;
    best_code.alphabet = 16;
    std::vector<uint8_t> best_order;
    Shape best_shape;
    for (const auto& [order, name] : candidate_orders(hist, rows, budget.nibble_orders)) {
        const auto [worst, shape] = search_order(order, best);
        if (worst < best) {
            best = worst;
            best_order = order;
            best_shape = shape;
            if (order_name) *order_name = name;
        }
    }
    // Beyond the paper's frequency assignment: swap pairs of symbols in the order while any
    // swap (with every shape re-tried) narrows the worst row. 16 symbols: 120 swaps a pass.
    unsigned passes = 0;
    for (bool improved = swaps; improved && passes < budget.nibble_swap_passes; ++passes) {
        improved = false;
        for (size_t i = 0; i < best_order.size(); ++i)
            for (size_t j = i + 1; j < best_order.size(); ++j) {
                std::vector<uint8_t> order = best_order;
                std::swap(order[i], order[j]);
                const auto [worst, shape] = search_order(order, best);
                if (worst < best) {
                    best = worst;
                    best_order = order;
                    best_shape = shape;
                    improved = true;
                    if (order_name && order_name->find("+swaps") == std::string::npos)
                        *order_name += "+swaps";
                }
            }
    }
    if (!best_order.empty()) best_code = assign(best_shape, best_order, 16);
    if (worst_bits) *worst_bits = best;
    return best_code;
}

namespace detail {

CodeResult run_nibble4(const Table& table, const MethodOptions& options) {
    CodeResult best;
    for (const Split split : {Split::Twos, Split::SignMagnitude}) {
        const auto held = table_histograms(table, {4, split}, options);
        const RowHistograms& hist = *held;
        std::string order;
        const CodeLengths code =
            best_nibble_code(hist, {}, nullptr, &order, true, options.max_code_len, options.budget);
        CodeResult r = nibble_result(hist, {code}, order, options.threads);
        if (best.books.empty() || r.row_bits < best.row_bits) best = r;
    }
    return best;
}

// Two trees. The paper's greedy moves the rows that are longest under the best single tree A
// to a second tree B. Here the moved set S2 is the k longest rows for k = 1, 2, 4, ... (the
// paper's sequence, sampled), or the k rows whose own Huffman code is longest (the flattest
// rows), and each start is polished Lloyd-style: B is refit to S2, A to
// the rest, every row takes the shorter tree, and the trees are refit to the rows that chose
// them while the width shrinks. The best width over all starts wins; one tree wins if two
// cannot pay for the selector bit.
CodeResult run_nibble4x2(const Table& table, const MethodOptions& options) {
    // The best single tree of each split first (nibble4's search): it is each split's
    // fallback, and with the per-row Huffman limit it decides which two-tree searches can
    // matter at all (see "nibble4x2 stops early" in encoder/README.md).
    const Split splits[2] = {Split::Twos, Split::SignMagnitude};
    std::shared_ptr<const RowHistograms> hists[2];
    CodeResult singles[2];
    std::string orders[2];
    uint64_t limits[2];
    for (int x = 0; x < 2; ++x) {
        hists[x] = table_histograms(table, {4, splits[x]}, options);
        const CodeLengths a = best_nibble_code(*hists[x], {}, nullptr, &orders[x], true,
                                               options.max_code_len, options.budget);
        singles[x] = nibble_result(*hists[x], {a}, orders[x], options.threads);
        limits[x] = limit_bits(*hists[x]);
    }
    // Two trees cost the selector bit on every row, and no code codes a row shorter than the
    // row's own Huffman code: every two-tree result of split x is >= 1 + limits[x]. Such a
    // result replaces x's single tree only if narrower, and wins over split y only if narrower
    // (or equal with x first). Whenever neither can happen, the search is skipped: the result
    // is the one the full search returns.
    bool search[2];
    for (int x = 0; x < 2; ++x) {
        const int y = 1 - x;
        const uint64_t floor2 = 1 + limits[x];
        search[x] = floor2 < singles[x].row_bits &&
                    (x < y ? floor2 <= singles[y].row_bits : floor2 < singles[y].row_bits);
    }

    CodeResult best;
    size_t starts_done = 0, starts_total = 0;
    // Starts move at most an eighth of the rows: a second tree for more rows than that is a
    // re-split of the table, which the Lloyd rounds of smaller starts already explore.
    for (int x = 0; x < 2; ++x)
        if (search[x])
            for (uint64_t k = 1; k <= table.rows / 8; k *= 2) starts_total += 2;  // 2 families
    for (int x = 0; x < 2; ++x) {
        const RowHistograms& hist = *hists[x];
        const std::string& order = orders[x];
        const CodeLengths& a = singles[x].books[0];
        CodeResult split_best = singles[x];
        if (!search[x]) {
            if (best.books.empty() || split_best.row_bits < best.row_bits) best = split_best;
            continue;
        }
        std::vector<uint64_t> len_a(hist.unique_rows());
        for (size_t u = 0; u < len_a.size(); ++u) len_a[u] = hist.row_bits(u, a.len.data());
        std::vector<uint32_t> by_len = all_rows(hist);
        std::stable_sort(by_len.begin(), by_len.end(),
                         [&](uint32_t x, uint32_t y) { return len_a[x] > len_a[y]; });

        // Second family of starts: rows whose own Huffman code is longest (the flattest rows).
        std::vector<uint64_t> own(hist.unique_rows());
        for (size_t u = 0; u < own.size(); ++u) own[u] = huffman_cost(hist.dense(u).data(), 16);
        std::vector<uint32_t> by_own = all_rows(hist);
        std::stable_sort(by_own.begin(), by_own.end(),
                         [&](uint32_t x, uint32_t y) { return own[x] > own[y]; });

        for (const std::vector<uint32_t>* sorted_ptr : {&by_len, &by_own})
            for (size_t k = 1; k <= std::max<size_t>(1, by_len.size() / 8) && k < by_len.size();
                 k *= 2) {
                const std::vector<uint32_t>& sorted = *sorted_ptr;
                std::vector<uint32_t> s2(sorted.begin(), sorted.begin() + long(k));
                std::vector<uint32_t> s1(sorted.begin() + long(k), sorted.end());
                CodeLengths books[2] = {best_nibble_code(hist, s1, nullptr, nullptr, false,
                                                         options.max_code_len, options.budget),
                                        best_nibble_code(hist, s2, nullptr, nullptr, false,
                                                         options.max_code_len, options.budget)};
                uint64_t width = UINT64_MAX;
                for (int round = 0; round < 4; ++round) {
                    CodeResult r = nibble_result(hist, {books[0], books[1]}, order + "+two_trees",
                                                 options.threads);
                    if (r.row_bits < split_best.row_bits) split_best = r;
                    if (r.row_bits >= width) break;
                    width = r.row_bits;
                    s1.clear();
                    s2.clear();
                    for (size_t u = 0; u < hist.unique_rows(); ++u)
                        (hist.row_bits(u, books[1].len.data()) <
                                 hist.row_bits(u, books[0].len.data())
                             ? s2
                             : s1)
                            .push_back(uint32_t(u));
                    if (s1.empty() || s2.empty()) break;
                    books[0] = best_nibble_code(hist, s1, nullptr, nullptr, false,
                                                options.max_code_len, options.budget);
                    books[1] = best_nibble_code(hist, s2, nullptr, nullptr, false,
                                                options.max_code_len, options.budget);
                }
                if (options.progress)
                    options.progress("nibble4x2",
                                     std::min(1.0, double(++starts_done) / double(starts_total)));
            }
        if (best.books.empty() || split_best.row_bits < best.row_bits) best = split_best;
    }
    return best;
}

}  // namespace detail
}  // namespace embzip
