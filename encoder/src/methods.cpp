// SPDX-License-Identifier: MIT
#include "embzip/methods.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "method_internal.hpp"

namespace embzip {

namespace {

CodeResult single_book(Method method, const RowHistograms& hist, CodeLengths code,
                       const char* order, unsigned threads) {
    CodeResult r;
    r.method = method;
    r.spec = hist.spec;
    r.books = {code};
    r.order = order;
    const Evaluation e = evaluate(hist, r.books, threads);
    r.row_bits = e.row_bits;
    return r;
}

CodeResult run_limit(Method method, const Table& table, const MethodOptions& options) {
    CodeResult best;
    best.method = method;
    const std::vector<SymbolSpec> specs =
        method == Method::Limit8
            ? std::vector<SymbolSpec>{{8, Split::Twos}}
            : std::vector<SymbolSpec>{{4, Split::Twos}, {4, Split::SignMagnitude}};
    for (const SymbolSpec spec : specs) {
        const uint64_t bits = limit_bits(*table_histograms(table, spec, options));
        if (best.row_bits == 0 || bits < best.row_bits) {
            best.row_bits = bits;
            best.spec = spec;
        }
    }
    return best;
}

CodeResult run_huffman8(const Table& table, const MethodOptions& options) {
    const auto held = table_histograms(table, {8, Split::Twos}, options);
    const RowHistograms& hist = *held;
    check_max_code_len(options.max_code_len, hist.used_symbols());
    return single_book(Method::Huffman8, hist,
                       huffman_lengths(hist.frequency.data(), 256, options.max_code_len),
                       "frequency", options.threads);
}

CodeResult run_balanced8(const Table& table, const MethodOptions& options) {
    const auto held = table_histograms(table, {8, Split::Twos}, options);
    const RowHistograms& hist = *held;
    check_max_code_len(options.max_code_len, hist.used_symbols());
    const std::vector<uint8_t> order = detail::symbol_order(hist, detail::OrderKey::Frequency);
    return single_book(Method::Balanced8, hist,
                       assign(balanced_shape(unsigned(order.size())), order, 256), "frequency",
                       options.threads);
}

CodeResult run_minimax8(const Table& table, const MethodOptions& options) {
    return detail::run_minimax(table, 8, options);
}
CodeResult run_minimax4(const Table& table, const MethodOptions& options) {
    return detail::run_minimax(table, 4, options);
}
CodeResult run_limit8(const Table& table, const MethodOptions& options) {
    return run_limit(Method::Limit8, table, options);
}
CodeResult run_limit4(const Table& table, const MethodOptions& options) {
    return run_limit(Method::Limit4, table, options);
}
CodeResult run_entropy0(const Table& table, const MethodOptions&) {
    return detail::run_entropy0(table);
}
CodeResult run_zstd19(const Table& table, const MethodOptions&) {
    return detail::run_zstd19(table);
}

constexpr unsigned kSaOptions = kOptSeed | kOptTimeLimit | kOptIterations | kOptStart;
constexpr unsigned kMinimaxOptions =
    kOptSeed | kOptTimeLimit | kOptIterations | kOptMwu | kOptBooks;

}  // namespace

const std::vector<MethodInfo>& method_registry() {
    static const std::vector<MethodInfo> kRegistry = {
        {Method::Huffman8, "huffman8", false, false, 0, "one Huffman code over all rows' bytes",
         run_huffman8},
        {Method::Balanced8, "balanced8", false, false, 0,
         "pruned balanced tree, shorter codes for frequent bytes (the paper's first method)",
         run_balanced8},
        {Method::Sa8, "sa8", false, false, kSaOptions,
         "simulated annealing over 8-bit tree shapes (the paper's)", detail::run_sa8},
        {Method::Nibble4, "nibble4", false, false, 0,
         "best 16-leaf tree for 4-bit symbols, both splits (the paper's)", detail::run_nibble4},
        {Method::Nibble4x2, "nibble4x2", false, false, 0,
         "two 4-bit trees and a per-row selector bit (the paper's)", detail::run_nibble4x2},
        {Method::Minimax8, "minimax8", false, true, kMinimaxOptions,
         "8-bit code minimising the worst row, with a proven lower bound", run_minimax8},
        {Method::Minimax4, "minimax4", false, true, kMinimaxOptions,
         "4-bit code minimising the worst row, with a proven lower bound", run_minimax4},
        {Method::Limit8, "limit8", true, false, 0,
         "reference: every row its own 8-bit Huffman code (the paper's limit)", run_limit8},
        {Method::Limit4, "limit4", true, false, 0,
         "reference: every row its own 4-bit Huffman code", run_limit4},
        {Method::Entropy0, "entropy0", true, false, 0,
         "reference: order-0 entropy of the whole table (no random access)", run_entropy0},
        {Method::Zstd19, "zstd19", true, false, 0,
         "reference: the whole table through zstd -19 (no random access)", run_zstd19},
    };
    return kRegistry;
}

const MethodInfo& method_info(Method method) {
    for (const MethodInfo& m : method_registry())
        if (m.method == method) return m;
    throw std::logic_error("method missing from the registry");
}

const char* method_name(Method method) { return method_info(method).name; }

Method parse_method(const std::string& text) {
    for (const MethodInfo& m : method_registry())
        if (text == m.name) return m.method;
    throw InputError("unknown method '" + text + "' (valid: " + method_names(false) + ")");
}

std::vector<Method> all_methods() {
    std::vector<Method> v;
    for (const MethodInfo& m : method_registry()) v.push_back(m.method);
    return v;
}

std::vector<Method> encodable_methods() {
    std::vector<Method> v;
    for (const MethodInfo& m : method_registry())
        if (!m.reference) v.push_back(m.method);
    return v;
}

std::string method_names(bool encodable_only) {
    std::string out;
    for (const MethodInfo& m : method_registry())
        if (!encodable_only || !m.reference) out += (out.empty() ? "" : ", ") + std::string(m.name);
    return out;
}

std::string method_help(bool encodable_only) {
    std::string out;
    for (const MethodInfo& m : method_registry()) {
        if (encodable_only && m.reference) continue;
        std::string name = m.name;
        name.resize(std::max<size_t>(name.size() + 2, 12), ' ');
        std::string opts;
        const std::pair<unsigned, const char*> kOptionNames[] = {
            {kOptSeed, "--seed"},
            {kOptTimeLimit, "--time-limit"},
            {kOptIterations, "--iterations"},
            {kOptStart, "--start"},
            {kOptMwu, "--mwu-iterations --eta"},
            {kOptBooks, "--books"}};
        for (const auto& [bit, text] : kOptionNames)
            if (m.options & bit) opts += " " + std::string(text);
        out += "  " + name + m.help + "\n";
        if (!opts.empty()) out += std::string(name.size() + 2, ' ') + "options:" + opts + "\n";
    }
    return out;
}

std::vector<Method> parse_method_list(const std::string& comma_list) {
    if (comma_list == "all") return all_methods();
    std::vector<Method> v;
    std::stringstream ss(comma_list);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) v.push_back(parse_method(item));
    if (v.empty()) throw InputError("--methods: empty method list");
    return v;
}

bool is_reference(Method method) { return method_info(method).reference; }

void check_max_code_len(unsigned max_len, unsigned used_symbols) {
    if (max_len < 1 || max_len > CodeGeometry::kMaxCodeLen)
        throw InputError("--max-code-len must be 1.." + std::to_string(CodeGeometry::kMaxCodeLen) +
                         ", got " + std::to_string(max_len));
    if ((uint64_t(1) << max_len) < used_symbols)
        throw InputError("--max-code-len " + std::to_string(max_len) + " cannot code the table's " +
                         std::to_string(used_symbols) + " distinct symbols (needs at least " +
                         std::to_string(unsigned(std::ceil(std::log2(double(used_symbols))))) +
                         ")");
}

double saving(uint64_t row_bits, uint32_t dim) { return 1.0 - double(row_bits) / (8.0 * dim); }

Evaluation evaluate(const RowHistograms& hist, const std::vector<CodeLengths>& books,
                    unsigned threads) {
    std::vector<uint64_t> lens;
    std::vector<uint32_t> book;
    detail::shortest_books(hist, books, &lens, &book, threads);
    Evaluation e;
    for (size_t u = 0; u < lens.size(); ++u) {
        if (lens[u] == UINT64_MAX) throw InputError("no code book covers every symbol of a row");
        e.row_bits = std::max(e.row_bits, lens[u]);
        if (book[u] != 0) e.second_book_rows += hist.multiplicity[u];
    }
    return e;
}

uint64_t limit_bits(const RowHistograms& hist) {
    uint64_t worst = 0;
    for (size_t u = 0; u < hist.unique_rows(); ++u) {
        const std::array<uint32_t, 256> d = hist.dense(u);
        worst = std::max(worst, huffman_cost(d.data(), hist.spec.alphabet()));
    }
    return worst;
}

namespace detail {

const char* order_name(OrderKey key) {
    return key == OrderKey::Frequency ? "frequency" : "max_count";
}

std::vector<uint8_t> symbol_order(const RowHistograms& hist, OrderKey key) {
    std::vector<uint8_t> order;
    for (unsigned s = 0; s < hist.spec.alphabet(); ++s)
        if (hist.frequency[s]) order.push_back(uint8_t(s));
    std::stable_sort(order.begin(), order.end(), [&](uint8_t a, uint8_t b) {
        if (key == OrderKey::MaxCount && hist.max_count[a] != hist.max_count[b])
            return hist.max_count[a] > hist.max_count[b];
        return hist.frequency[a] > hist.frequency[b];
    });
    return order;
}

}  // namespace detail

namespace {

// Storing bytes as they are is always a candidate: a code wider than the raw row is replaced
// by the all-8-bit code, which is the identity on bytes.
void apply_raw_fallback(const Table& table, CodeResult& r) {
    r.code_row_bits = r.row_bits;
    const uint64_t raw = 8ull * table.dim;
    const uint64_t coded_bytes = stored_bytes(table.rows, table.dim, r.spec, r.books.size(),
                                              uint32_t((r.row_bits + 7) / 8 * 8), table.quant.kind,
                                              r.overflow.enabled, r.overflow.rows);
    const uint64_t raw_bytes = stored_bytes(table.rows, table.dim, {8, Split::Twos}, 1,
                                            uint32_t(raw), table.quant.kind, false, 0);
    if (r.row_bits <= raw && coded_bytes <= raw_bytes) {
        r.total_bytes = coded_bytes;
        return;
    }
    CodeLengths identity;
    identity.len.fill(8);
    r.spec = {8, Split::Twos};
    r.books = {identity};
    r.selector_bits = 0;
    r.second_book_rows = 0;
    r.overflow = {};
    r.row_bits = raw;
    r.raw_fallback = true;
    r.total_bytes = raw_bytes;
}

}  // namespace

std::shared_ptr<const RowHistograms> table_histograms(const Table& table, SymbolSpec spec,
                                                      const MethodOptions& options) {
    if (options.histograms && options.histograms->is_for(table))
        return options.histograms->get(spec, options.progress);
    return std::make_shared<const RowHistograms>(build_histograms(table, spec, options.progress));
}

CodeResult run_method(Method method, const Table& table, const MethodOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    const MethodInfo& info = method_info(method);
    if (options.threads > MethodOptions::kMaxThreads)
        throw InputError("--threads must be 0 (every core) .. " +
                         std::to_string(MethodOptions::kMaxThreads) + ", got " +
                         std::to_string(options.threads));
    if (options.books != 1 && !(info.options & kOptBooks))
        throw InputError(std::string("--books applies to minimax8 and minimax4, not ") + info.name);
    CodeResult r = info.run(table, options);
    r.method = method;
    if (!info.reference) {
        if (options.overflow > 0 && !info.plans_overflow) {
            // The method's own books, with the best overflow threshold for them.
            const auto hist = table_histograms(table, r.spec, options);
            uint64_t bytes = 0;
            r.overflow = detail::plan_overflow(*hist, r.books, table, options.overflow, &bytes,
                                               options.threads);
            r.row_bits = detail::plan_row_bits(r.overflow, *hist, r.books, options.threads);
        }
        apply_raw_fallback(table, r);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

}  // namespace embzip
