// SPDX-License-Identifier: MIT
// The paper's Method 2: simulated annealing over 8-bit tree shapes. A shape (codes per length)
// plus a symbol order defines the code; neighbour moves keep the Kraft sum and the leaf count.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "method_internal.hpp"
#include "row_tracker.hpp"

namespace embzip::detail {

namespace {

std::vector<uint64_t> all_lengths(const RowHistograms& hist, const CodeLengths& code) {
    std::vector<uint64_t> len(hist.unique_rows());
    for (size_t u = 0; u < len.size(); ++u) len[u] = hist.row_bits(u, code.len.data());
    return len;
}

// Kraft-preserving neighbour: split a leaf at depth a into two at a+1, and merge two leaves at
// depth b into one at b-1. The leaf count and the Kraft sum are unchanged.
bool propose(const Shape& from, unsigned max_len, std::mt19937_64& rng, Shape* to) {
    const unsigned kMax = max_len;
    unsigned splits[CodeGeometry::kMaxCodeLen + 1], nsplit = 0;
    for (unsigned d = 1; d < kMax; ++d)
        if (from.n[d] >= 1) splits[nsplit++] = d;
    if (nsplit == 0) return false;
    const unsigned a = splits[rng() % nsplit];
    Shape s = from;
    --s.n[a];
    s.n[a + 1] = uint16_t(s.n[a + 1] + 2);
    unsigned merges[CodeGeometry::kMaxCodeLen + 1], nmerge = 0;
    for (unsigned d = 2; d <= kMax; ++d)
        if (s.n[d] >= 2 && d != a + 1) merges[nmerge++] = d;
    if (nmerge == 0) return false;
    const unsigned b = merges[rng() % nmerge];
    s.n[b] = uint16_t(s.n[b] - 2);
    ++s.n[b - 1];
    *to = s;
    return true;
}

struct SaRun {
    Shape best_shape;
    uint64_t best_bits = 0;
};

SaRun anneal(const RowHistograms& hist, const std::vector<uint8_t>& order, const Shape& start,
             unsigned max_len, uint64_t iterations, double seconds, uint64_t seed,
             const ProgressFn& progress, double progress_base, double progress_span) {
    constexpr size_t kActive = 1024;
    constexpr double kT0 = 2.0, kT1 = 0.02;
    std::array<int, 256> rank_of;
    rank_of.fill(0);
    for (size_t k = 0; k < order.size(); ++k) rank_of[order[k]] = int(k);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);

    Shape shape = start;
    std::vector<uint8_t> rl = rank_lengths(shape);
    std::vector<uint64_t> full = all_lengths(hist, assign(shape, order, 256));
    SaRun run{shape, *std::max_element(full.begin(), full.end())};

    ActiveRows active(hist, rank_of, unsigned(order.size()));
    for (uint32_t u : longest(full, kActive)) active.add(u);
    active.reset(rl);
    int64_t worst = 0;
    double energy = active.energy(&worst);

    const auto t_start = std::chrono::steady_clock::now();
    for (uint64_t it = 0; it < iterations; ++it) {
        if ((it & 1023) == 0) {
            const double elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
            if (seconds > 0 && elapsed > seconds) break;
            if (progress && (it & 65535) == 0)
                progress("sa8", progress_base + progress_span * double(it) / double(iterations));
        }
        const double temperature = kT0 * std::pow(kT1 / kT0, double(it) / double(iterations));
        Shape next;
        if (!propose(shape, max_len, rng, &next)) continue;
        const std::vector<uint8_t> rl_next = rank_lengths(next);
        for (size_t k = 0; k < rl.size(); ++k)
            if (rl_next[k] != rl[k]) active.change(k, int(rl_next[k]) - int(rl[k]));
        int64_t next_worst = 0;
        const double next_energy = active.energy(&next_worst);
        const bool accept =
            next_energy <= energy || uniform(rng) < std::exp((energy - next_energy) / temperature);
        if (!accept) {
            for (size_t k = 0; k < rl.size(); ++k)
                if (rl_next[k] != rl[k]) active.change(k, int(rl[k]) - int(rl_next[k]));
            continue;
        }
        shape = next;
        rl = rl_next;
        energy = next_energy;
        worst = next_worst;
        if (uint64_t(worst) < run.best_bits) {
            // Candidate best on the working set: check it on every row.
            full = all_lengths(hist, assign(shape, order, 256));
            const uint64_t true_worst = *std::max_element(full.begin(), full.end());
            if (true_worst > uint64_t(worst)) {
                for (uint32_t u : longest(full, 64))
                    if (full[u] > uint64_t(worst) && !active.contains(u)) active.add(u);
                active.reset(rl);
                energy = active.energy(&worst);
            }
            if (true_worst < run.best_bits) {
                run.best_bits = true_worst;
                run.best_shape = shape;
            }
        }
    }
    return run;
}

}  // namespace

CodeResult run_sa8(const Table& table, const MethodOptions& options) {
    const auto held = table_histograms(table, {8, Split::Twos}, options);
    const RowHistograms& hist = *held;
    check_max_code_len(options.max_code_len, hist.used_symbols());
    const uint64_t iterations = options.iterations ? options.iterations : 400000;
    CodeResult best;
    best.method = Method::Sa8;
    best.spec = hist.spec;
    const OrderKey keys[] = {OrderKey::Frequency, OrderKey::MaxCount};
    for (int i = 0; i < 2; ++i) {
        const std::vector<uint8_t> order = symbol_order(hist, keys[i]);
        const Shape start =
            options.start == SaStart::Huffman
                ? shape_of(huffman_lengths(hist.frequency.data(), 256, options.max_code_len))
                : balanced_shape(unsigned(order.size()));
        const SaRun run = anneal(hist, order, start, options.max_code_len, iterations / 2,
                                 options.time_limit_s / 2, options.seed * 2 + uint64_t(i),
                                 options.progress, 0.5 * i, 0.5);
        if (best.books.empty() || run.best_bits < best.row_bits) {
            best.books = {assign(run.best_shape, order, 256)};
            best.row_bits = run.best_bits;
            best.order = order_name(keys[i]);
        }
    }
    return best;
}

}  // namespace embzip::detail
