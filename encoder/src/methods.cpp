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

struct MethodName {
    Method method;
    const char* name;
};
constexpr MethodName kMethodNames[] = {
    {Method::Huffman8, "huffman8"},
    {Method::Balanced8, "balanced8"},
    {Method::Sa8, "sa8"},
    {Method::Nibble4, "nibble4"},
    {Method::Nibble4x2, "nibble4x2"},
    {Method::Limit8, "limit8"},
    {Method::Limit4, "limit4"},
    {Method::Minimax8, "minimax8"},
    {Method::Minimax4, "minimax4"},
    {Method::Entropy0, "entropy0"},
    {Method::Zstd19, "zstd19"},
};

CodeResult single_book(Method method, const RowHistograms& hist, CodeLengths code,
                       const char* order) {
    CodeResult r;
    r.method = method;
    r.spec = hist.spec;
    r.books = {code};
    r.order = order;
    const Evaluation e = evaluate(hist, r.books);
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
        const RowHistograms hist = build_histograms(table, spec, options.progress);
        const uint64_t bits = limit_bits(hist);
        if (best.row_bits == 0 || bits < best.row_bits) {
            best.row_bits = bits;
            best.spec = spec;
        }
    }
    return best;
}

}  // namespace

const char* method_name(Method method) {
    for (const auto& m : kMethodNames)
        if (m.method == method) return m.name;
    return "?";
}

Method parse_method(const std::string& text) {
    std::string valid;
    for (const auto& m : kMethodNames) {
        if (text == m.name) return m.method;
        valid += valid.empty() ? m.name : std::string(", ") + m.name;
    }
    throw InputError("unknown method '" + text + "' (valid: " + valid + ")");
}

std::vector<Method> all_methods() {
    std::vector<Method> v;
    for (const auto& m : kMethodNames) v.push_back(m.method);
    return v;
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

bool is_reference(Method method) {
    return method == Method::Limit8 || method == Method::Limit4 || method == Method::Entropy0 ||
           method == Method::Zstd19;
}

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

Evaluation evaluate(const RowHistograms& hist, const std::vector<CodeLengths>& books) {
    std::vector<uint64_t> lens;
    std::vector<uint32_t> book;
    detail::shortest_books(hist, books, &lens, &book);
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

bool is_minimax(Method m) { return m == Method::Minimax8 || m == Method::Minimax4; }

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

CodeResult run_method(Method method, const Table& table, const MethodOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    if (options.books != 1 && !is_minimax(method))
        throw InputError(std::string("--books applies to minimax8 and minimax4, not ") +
                         method_name(method));
    CodeResult r;
    switch (method) {
        case Method::Huffman8: {
            const RowHistograms hist = build_histograms(table, {8, Split::Twos}, options.progress);
            check_max_code_len(options.max_code_len, hist.used_symbols());
            r = single_book(method, hist,
                            huffman_lengths(hist.frequency.data(), 256, options.max_code_len),
                            "frequency");
            break;
        }
        case Method::Balanced8: {
            const RowHistograms hist = build_histograms(table, {8, Split::Twos}, options.progress);
            check_max_code_len(options.max_code_len, hist.used_symbols());
            const std::vector<uint8_t> order =
                detail::symbol_order(hist, detail::OrderKey::Frequency);
            r = single_book(method, hist,
                            assign(balanced_shape(unsigned(order.size())), order, 256),
                            "frequency");
            break;
        }
        case Method::Sa8:
            r = detail::run_sa8(table, options);
            break;
        case Method::Nibble4:
            r = detail::run_nibble4(table, options);
            break;
        case Method::Nibble4x2:
            r = detail::run_nibble4x2(table, options);
            break;
        case Method::Limit8:
        case Method::Limit4:
            r = run_limit(method, table, options);
            break;
        case Method::Minimax8:
            r = detail::run_minimax(table, 8, options);
            break;
        case Method::Minimax4:
            r = detail::run_minimax(table, 4, options);
            break;
        case Method::Entropy0:
            r = detail::run_entropy0(table);
            break;
        case Method::Zstd19:
            r = detail::run_zstd19(table);
            break;
    }
    r.method = method;
    if (!is_reference(method)) {
        if (options.overflow > 0 && !is_minimax(method)) {
            // The method's own books, with the best overflow threshold for them.
            const RowHistograms hist = build_histograms(table, r.spec);
            uint64_t bytes = 0;
            r.overflow = detail::plan_overflow(hist, r.books, table, options.overflow, &bytes);
            r.row_bits = detail::plan_row_bits(r.overflow, hist, r.books);
        }
        apply_raw_fallback(table, r);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

}  // namespace embzip
