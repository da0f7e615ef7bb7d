// SPDX-License-Identifier: MIT
// minimax8 / minimax4: the shared code that minimises the worst row, with a proven lower bound.
//
// Game view: for any weighting lambda of the rows (sum 1), every prefix code l satisfies
//   max_r len_r(l) >= sum_r lambda_r len_r(l) = sum_s f_s(lambda) l_s >= Huffman cost of f(lambda),
// where f(lambda) is the lambda-mixture of row histograms. So each lambda proves a lower bound
// on W, and the Huffman code of f(lambda) is itself a candidate. Multiplicative weights push
// lambda towards the rows that are longest under the current code, improving both. A local
// search on the code lengths (Kraft-preserving moves, exact worst-row objective) finishes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>

#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "method_internal.hpp"
#include "packed_rows.hpp"
#include "row_tracker.hpp"

namespace embzip::detail {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// Row lengths of the subset (in the order the packed rows hold it) under a code.
uint64_t worst_row(const PackedRows& packed, const CodeLengths& code, std::vector<uint64_t>* lens,
                   unsigned threads) {
    lens->resize(packed.rows());
    return packed.lengths(code.len.data(), lens->data(), threads);
}

// The lambda-mixture's optimal code (package-merge, lengths <= max_len) and the lower bound it
// proves. Frequencies are scaled to integers as floor(f * scale) + 1 for every symbol the code
// must cover; then for any code l: scale * cost_f(l) >= cost_int(l) - sum_s l_s >=
// cost_int(l_opt) - n * max_len, which makes the bound rigorous despite the rounding.
struct MixtureCode {
    CodeLengths code;
    double bound = 0;
};

MixtureCode mixture_code(const RowHistograms& hist, const PackedRows& packed,
                         const std::vector<double>& lambda, const std::vector<uint8_t>& symbols,
                         unsigned max_len, unsigned threads) {
    std::array<double, 256> f{};
    packed.mixture(lambda.data(), f.data(), threads);
    const double scale = std::ldexp(1.0, 44) / double(hist.symbols_per_row);
    std::array<uint64_t, 256> fi{};
    for (uint8_t s : symbols) {
        // f[s] <= symbols_per_row since lambda sums to 1, so f[s] * scale < 2^45.
        if (!(f[s] >= 0 && f[s] <= double(hist.symbols_per_row)))
            throw std::logic_error("minimax: row weights are not a distribution");
        fi[s] = uint64_t(std::floor(f[s] * scale)) + 1;
    }
    MixtureCode m;
    m.code = huffman_lengths(fi.data(), hist.spec.alphabet(), max_len);
    double cost = 0;
    for (uint8_t s : symbols) cost += double(fi[s]) * m.code.len[s];
    m.bound = (cost - double(symbols.size()) * max_len) / scale;
    return m;
}

// Kraft-preserving local search on code lengths, exact worst-row objective on a working set
// of long rows (verified on all rows before a result is accepted). Moves:
//  swap:  exchange the lengths of two symbols;
//  split: s: m -> m-1, t1,t2: m -> m+1 (sum of 2^-l unchanged);
//  merge: s: l -> l+1, t1,t2: l+2 -> l+1.
// Half of the moves are aimed: s (made shorter) is drawn from the symbols of a current worst row.
struct LengthSearch {
    const RowHistograms& hist;
    const std::vector<uint32_t>& rows;
    const PackedRows& packed;
    const std::vector<uint8_t>& symbols;
    unsigned max_len;
    unsigned threads;

    CodeLengths run(CodeLengths start, uint64_t iterations, double seconds, uint64_t seed,
                    uint64_t* worst_out) {
        constexpr size_t kActive = 512;
        std::array<int, 256> identity;
        std::iota(identity.begin(), identity.end(), 0);
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<double> uniform(0.0, 1.0);

        std::vector<uint64_t> lens;
        CodeLengths best = start, cur = start;
        uint64_t best_worst = worst_row(packed, start, &lens, threads);
        ActiveRows active(hist, identity, 256);
        auto add_longest = [&](size_t count, uint64_t above) {
            for (uint32_t i : longest(lens, count))
                if (lens[i] > above && !active.contains(rows[i])) active.add(rows[i]);
        };
        add_longest(kActive, 0);
        std::vector<uint8_t> as_vec(cur.len.begin(), cur.len.end());
        active.reset(as_vec);
        int64_t worst = 0;
        size_t worst_at = 0;
        double energy = active.energy(&worst, &worst_at);
        const double t0 = 1.5, t1 = 0.02;
        const auto start_time = Clock::now();

        std::vector<uint8_t> by_len[CodeGeometry::kMaxCodeLen + 2];
        auto pick_len = [&](unsigned l) -> int {
            if (l < 1 || l > max_len || by_len[l].empty()) return -1;
            return by_len[l][rng() % by_len[l].size()];
        };
        bool lengths_changed = true;  // by_len is rebuilt only after an accepted move
        for (uint64_t it = 0; it < iterations; ++it) {
            if ((it & 255) == 0 && seconds > 0 && seconds_since(start_time) > seconds) break;
            if (lengths_changed) {
                for (auto& v : by_len) v.clear();
                for (uint8_t s : symbols) by_len[cur.len[s]].push_back(s);
                lengths_changed = false;
            }
            // Aimed: a symbol of a current worst row, weighted by its count there.
            int s = -1;
            if (rng() & 1) {
                const uint32_t u = active.unique_row(worst_at);
                uint64_t total = 0;
                for (uint64_t e = hist.offset[u]; e < hist.offset[u + 1]; ++e)
                    total += hist.count[e];
                uint64_t pick = rng() % total;
                for (uint64_t e = hist.offset[u]; e < hist.offset[u + 1]; ++e) {
                    if (pick < hist.count[e]) {
                        s = hist.symbol[e];
                        break;
                    }
                    pick -= hist.count[e];
                }
            } else {
                s = symbols[rng() % symbols.size()];
            }
            const unsigned m = cur.len[s];
            std::array<std::pair<uint8_t, int>, 3> change{};
            int nchange = 0;
            const unsigned kind = rng() % 3;
            if (kind == 0) {  // swap with a longer symbol (s gets shorter)
                const int t = symbols[rng() % symbols.size()];
                if (cur.len[t] <= m) continue;
                change[0] = {uint8_t(s), int(cur.len[t]) - int(m)};
                change[1] = {uint8_t(t), int(m) - int(cur.len[t])};
                nchange = 2;
            } else if (kind == 1) {  // split: s shorter, two symbols of length m longer
                if (m < 2 || m + 1 > max_len || by_len[m].size() < 3) continue;
                int t1 = pick_len(m), t2 = pick_len(m);
                if (t1 == s || t2 == s || t1 == t2) continue;
                change[0] = {uint8_t(s), -1};
                change[1] = {uint8_t(t1), 1};
                change[2] = {uint8_t(t2), 1};
                nchange = 3;
            } else {  // merge: s one longer, two symbols two longer than s one shorter
                const int t1 = pick_len(m + 2), t2 = pick_len(m + 2);
                if (t1 < 0 || t1 == t2 || m + 1 > max_len) continue;
                change[0] = {uint8_t(s), 1};
                change[1] = {uint8_t(t1), -1};
                change[2] = {uint8_t(t2), -1};
                nchange = 3;
            }
            for (int k = 0; k < nchange; ++k) active.change(change[k].first, change[k].second);
            int64_t next_worst = 0;
            size_t next_worst_at = 0;
            const double next_energy = active.energy(&next_worst, &next_worst_at);
            const double temperature = t0 * std::pow(t1 / t0, double(it) / double(iterations));
            if (next_energy <= energy ||
                uniform(rng) < std::exp((energy - next_energy) / temperature)) {
                for (int k = 0; k < nchange; ++k)
                    cur.len[change[k].first] =
                        uint8_t(int(cur.len[change[k].first]) + change[k].second);
                energy = next_energy;
                worst = next_worst;
                worst_at = next_worst_at;
                lengths_changed = true;
                if (uint64_t(worst) < best_worst) {
                    const uint64_t true_worst = worst_row(packed, cur, &lens, threads);
                    if (true_worst > uint64_t(worst)) {
                        add_longest(64, uint64_t(worst));
                        as_vec.assign(cur.len.begin(), cur.len.end());
                        active.reset(as_vec);
                        energy = active.energy(&worst, &worst_at);
                    }
                    if (true_worst < best_worst) {
                        best_worst = true_worst;
                        best = cur;
                    }
                }
            } else {
                for (int k = 0; k < nchange; ++k) active.change(change[k].first, -change[k].second);
            }
        }
        if (!best.kraft_ok())
            throw std::logic_error("minimax local search broke the Kraft inequality");
        *worst_out = best_worst;
        return best;
    }
};

}  // namespace

MinimaxOutcome minimax_code(const RowHistograms& hist, const std::vector<uint32_t>& subset,
                            const MinimaxOptions& options) {
    std::vector<uint32_t> rows = subset;
    if (rows.empty()) {
        rows.resize(hist.unique_rows());
        std::iota(rows.begin(), rows.end(), 0u);
    }
    std::vector<uint8_t> symbols;  // every symbol the table uses gets a code
    for (unsigned s = 0; s < hist.spec.alphabet(); ++s)
        if (hist.frequency[s]) symbols.push_back(uint8_t(s));
    check_max_code_len(options.max_len, unsigned(symbols.size()));
    const auto start = Clock::now();
    const PackedRows packed(hist, rows);

    MinimaxOutcome out;
    out.worst = UINT64_MAX;
    std::vector<double> lambda(rows.size(), 1.0 / double(rows.size()));
    std::vector<uint64_t> lens;
    if (options.mwu_iterations == 0) {
        // No multiplicative weights: the local search starts from the Huffman code of the
        // rows' average histogram, and no bound is claimed (one round would prove one).
        out.code =
            mixture_code(hist, packed, lambda, symbols, options.max_len, options.threads).code;
        out.worst = worst_row(packed, out.code, &lens, options.threads);
    }
    // Weights are kept as logarithms and normalised against the largest, so that however
    // large eta is, the heaviest row keeps weight 1 before normalisation: lambda never
    // underflows to all zeros (0/0 would make the mixture, and so the bound, meaningless).
    std::vector<double> log_weight(rows.size(), 0.0);
    for (unsigned t = 0; t < options.mwu_iterations; ++t) {
        const MixtureCode m =
            mixture_code(hist, packed, lambda, symbols, options.max_len, options.threads);
        out.bound = std::max(out.bound, m.bound);
        const uint64_t w = worst_row(packed, m.code, &lens, options.threads);
        if (w < out.worst) {
            out.worst = w;
            out.code = m.code;
        }
        if (out.worst <= uint64_t(std::ceil(out.bound - 1e-9))) break;  // proven optimal
        // Exponentiated gradient: rows longer under this code gain weight.
        const double eta = options.eta / std::sqrt(double(t + 1));
        double top = -HUGE_VAL;
        for (size_t i = 0; i < rows.size(); ++i) {
            log_weight[i] += eta * (double(lens[i]) - double(w));
            top = std::max(top, log_weight[i]);
        }
        double total = 0;
        for (size_t i = 0; i < rows.size(); ++i) {
            lambda[i] = std::exp(log_weight[i] - top);
            total += lambda[i];
        }
        for (double& l : lambda) l /= total;
        if (options.progress)
            options.progress(options.stage, 0.5 * double(t + 1) / double(options.mwu_iterations));
        if (options.seconds > 0 && seconds_since(start) > 0.5 * options.seconds) break;
    }
    if (options.search_iterations > 0 && out.worst > uint64_t(std::ceil(out.bound - 1e-9))) {
        LengthSearch search{hist, rows, packed, symbols, options.max_len, options.threads};
        uint64_t w = 0;
        const double left =
            options.seconds > 0 ? std::max(0.1, options.seconds - seconds_since(start)) : 0.0;
        const CodeLengths c =
            search.run(out.code, options.search_iterations, left, options.seed, &w);
        if (w < out.worst) {
            out.worst = w;
            out.code = c;
        }
    }
    // A lower bound above a width some code achieves is impossible: it would mean the bound's
    // arithmetic is wrong, so no certificate is claimed rather than a false one.
    if (!std::isfinite(out.bound) || out.bound > double(out.worst) + 1e-6) out.bound = 0;
    return out;
}

// minimax8 / minimax4, with --books K and --overflow F. With overflow, the code is re-fitted
// to the rows that stay in place (the overflowed rows no longer constrain it) while the
// stored bytes shrink.
CodeResult run_minimax(const Table& table, unsigned bits, const MethodOptions& options) {
    if (options.books < 1 || options.books > CodeGeometry::kMaxBooks)
        throw InputError("--books must be 1.." + std::to_string(CodeGeometry::kMaxBooks) +
                         ", got " + std::to_string(options.books));
    if (!(options.overflow >= 0.0 && options.overflow < 1.0))
        throw InputError("--overflow must be a fraction in [0, 1), got " +
                         std::to_string(options.overflow));
    if (!(options.eta > 0 && options.eta <= MethodOptions::kMaxEta))
        throw InputError("--eta must be in (0, " + std::to_string(int(MethodOptions::kMaxEta)) +
                         "], got " + std::to_string(options.eta));
    CodeResult best;
    uint64_t best_bytes = UINT64_MAX;
    const std::vector<Split> splits = bits == 8
                                          ? std::vector<Split>{Split::Twos}
                                          : std::vector<Split>{Split::Twos, Split::SignMagnitude};
    for (const Split split : splits) {
        const auto held = table_histograms(table, {uint8_t(bits), split}, options);
        const RowHistograms& hist = *held;
        MinimaxOptions mo;
        mo.max_len = options.max_code_len;
        mo.seed = options.seed;
        mo.seconds = options.time_limit_s / double(splits.size());
        mo.mwu_iterations = options.mwu_iterations;
        mo.eta = options.eta;
        mo.search_iterations = options.iterations ? options.iterations : 1000000;
        mo.threads = options.threads;
        mo.progress = options.progress;
        mo.stage = bits == 8 ? "minimax8" : "minimax4";
        mo.budget = options.budget;
        auto fit = [&](const std::vector<uint32_t>& rows, double* bound) {
            if (options.books == 1) {
                const MinimaxOutcome m = minimax_code(hist, rows, mo);
                if (bound) *bound = m.bound;
                return std::vector<CodeLengths>{m.code};
            }
            return train_books(hist, rows, options.books, mo);
        };
        double bound = 0;
        std::vector<CodeLengths> books = fit({}, &bound);
        OverflowPlan plan;
        uint64_t bytes = 0;
        // Every unique row packed once for the overflow plans and refits (each asks for every
        // row's length under the current books).
        std::optional<PackedRows> all_rows;
        const PackedRows* all = nullptr;
        if (options.overflow > 0) {
            std::vector<uint32_t> every(hist.unique_rows());
            std::iota(every.begin(), every.end(), 0u);
            all = &all_rows.emplace(hist, every);
            plan =
                plan_overflow(hist, books, table, options.overflow, &bytes, options.threads, all);
            // First refit drops the longest rows the budget allows; later ones drop the rows
            // the current plan overflows.
            const uint64_t allowed = uint64_t(options.overflow * double(table.rows));
            for (unsigned round = 0; round < options.budget.overflow_refits; ++round) {
                const std::vector<uint64_t> lens =
                    unique_lengths(hist, books, options.threads, all);
                std::vector<uint32_t> kept;
                if (round == 0 || !plan.enabled) {
                    std::vector<uint32_t> order(lens.size());
                    std::iota(order.begin(), order.end(), 0u);
                    std::sort(order.begin(), order.end(),
                              [&](uint32_t a, uint32_t b) { return lens[a] > lens[b]; });
                    uint64_t dropped = 0;
                    size_t i = 0;
                    while (i < order.size() && dropped + hist.multiplicity[order[i]] <= allowed)
                        dropped += hist.multiplicity[order[i++]];
                    kept.assign(order.begin() + long(i), order.end());
                } else {
                    for (size_t u = 0; u < lens.size(); ++u)
                        if (lens[u] <= plan.threshold_bits) kept.push_back(uint32_t(u));
                }
                if (kept.empty() || kept.size() == lens.size()) break;
                const std::vector<CodeLengths> refit = fit(kept, nullptr);
                uint64_t refit_bytes = 0;
                const OverflowPlan refit_plan = plan_overflow(hist, refit, table, options.overflow,
                                                              &refit_bytes, options.threads, all);
                if (refit_bytes >= bytes) break;
                books = refit;
                plan = refit_plan;
                bytes = refit_bytes;
            }
        }
        const uint64_t row_bits = plan_row_bits(plan, hist, books, options.threads, all);
        if (!plan.enabled)
            bytes = stored_bytes(table.rows, table.dim, hist.spec, books.size(),
                                 uint32_t((row_bits + 7) / 8 * 8), table.quant.kind, false, 0);
        if (bytes < best_bytes) {
            best_bytes = bytes;
            best.spec = hist.spec;
            best.books = books;
            best.selector_bits = selector_bits_for(books.size());
            best.row_bits = row_bits;
            best.overflow = plan;
            best.order = options.books > 1 ? "minimax+books" : "minimax";
            best.second_book_rows =
                books.size() > 1 ? evaluate(hist, books, options.threads).second_book_rows : 0;
        }
        // The bound (one shared code, no overflow) is the least over the splits tried.
        // A split whose search proved nothing (bound 0) makes the least 0: no certificate.
        if (options.books == 1 && options.overflow == 0) {
            const uint64_t b = uint64_t(std::ceil(bound - 1e-9));
            best.bound_bits = split == splits.front() ? b : std::min(best.bound_bits, b);
        }
    }
    return best;
}

}  // namespace embzip::detail
