// SPDX-License-Identifier: MIT
#include "embzip/code.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>

#include "embzip/errors.hpp"

namespace embzip {

unsigned CodeLengths::used() const {
    unsigned n = 0;
    for (unsigned s = 0; s < alphabet; ++s) n += len[s] != 0;
    return n;
}

unsigned CodeLengths::max_len() const {
    unsigned m = 0;
    for (unsigned s = 0; s < alphabet; ++s) m = std::max<unsigned>(m, len[s]);
    return m;
}

uint64_t CodeLengths::kraft_scaled() const {
    uint64_t sum = 0;
    for (unsigned s = 0; s < alphabet; ++s)
        if (len[s])
            sum += len[s] <= CodeGeometry::kMaxCodeLen
                       ? uint64_t(1) << (CodeGeometry::kMaxCodeLen - len[s])
                       : 0;
    return sum;
}

// Canonical assignment: within a length, codes increase with the symbol value; the first code
// of length l+1 is (last code of length l + 1) << 1. Kraft <= 1 guarantees every code fits.
CanonicalCode make_canonical(const CodeLengths& lengths) {
    if (lengths.alphabet != 16 && lengths.alphabet != 256)
        throw InputError("code alphabet must be 16 or 256 symbols");
    for (unsigned s = 0; s < lengths.alphabet; ++s)
        if (lengths.len[s] > CodeGeometry::kMaxCodeLen)
            throw InputError("code length " + std::to_string(lengths.len[s]) + " exceeds " +
                             std::to_string(CodeGeometry::kMaxCodeLen));
    if (!lengths.kraft_ok()) throw InputError("code lengths violate the Kraft inequality");
    if (lengths.used() == 0) throw InputError("code has no symbols");
    CanonicalCode c;
    c.lengths = lengths;
    for (unsigned l = 1; l <= CodeGeometry::kMaxCodeLen; ++l)
        for (unsigned s = 0; s < lengths.alphabet; ++s)
            if (lengths.len[s] == l) {
                c.sorted.push_back(uint8_t(s));
                ++c.count[l];
            }
    uint64_t code = 0;
    uint32_t index = 0;
    for (unsigned l = 1; l <= CodeGeometry::kMaxCodeLen; ++l) {
        c.first_code[l] = uint32_t(code);
        c.first_index[l] = index;
        for (uint32_t j = 0; j < c.count[l]; ++j) c.code[c.sorted[index + j]] = uint32_t(code + j);
        index += c.count[l];
        code = (code + c.count[l]) << 1;
    }
    return c;
}

std::string code_string(const CanonicalCode& code, unsigned symbol) {
    const unsigned l = code.lengths.len[symbol];
    std::string s(l, '0');
    for (unsigned i = 0; i < l; ++i)
        if ((code.code[symbol] >> (l - 1 - i)) & 1) s[i] = '1';
    return s;
}

// Package-merge (Larmore & Hirschberg): the cheapest 2n-2 items of the final merged list give
// each symbol's length as the number of items it appears in. Items form a DAG of packages;
// counting walks it, visiting each leaf once per appearance (total = sum of lengths).
CodeLengths huffman_lengths(const uint64_t* freq, unsigned alphabet, unsigned max_len) {
    CodeLengths out;
    out.alphabet = alphabet;
    std::vector<unsigned> syms;
    for (unsigned s = 0; s < alphabet; ++s)
        if (freq[s]) syms.push_back(s);
    const size_t n = syms.size();
    if (n == 0) return out;
    if (n <= 2) {
        for (unsigned s : syms) out.len[s] = 1;
        return out;
    }
    if ((uint64_t(1) << std::min(max_len, 63u)) < n)
        throw InputError("cannot code " + std::to_string(n) + " symbols with codes of at most " +
                         std::to_string(max_len) + " bits");
    std::stable_sort(syms.begin(), syms.end(),
                     [&](unsigned a, unsigned b) { return freq[a] < freq[b]; });

    struct Node {
        uint64_t weight;
        int left, right;  // right < 0: leaf, left = symbol
    };
    std::vector<Node> nodes;
    std::vector<int> leaves;
    for (unsigned s : syms) {
        leaves.push_back(int(nodes.size()));
        nodes.push_back({freq[s], int(s), -1});
    }
    std::vector<int> current = leaves;
    for (unsigned level = 1; level < max_len; ++level) {
        std::vector<int> packages;
        for (size_t i = 0; i + 1 < current.size(); i += 2) {
            packages.push_back(int(nodes.size()));
            nodes.push_back({nodes[current[i]].weight + nodes[current[i + 1]].weight, current[i],
                             current[i + 1]});
        }
        std::vector<int> merged;
        merged.reserve(leaves.size() + packages.size());
        std::merge(leaves.begin(), leaves.end(), packages.begin(), packages.end(),
                   std::back_inserter(merged),
                   [&](int a, int b) { return nodes[a].weight < nodes[b].weight; });
        current.swap(merged);
    }
    std::array<unsigned, 256> depth{};
    std::function<void(int)> count = [&](int id) {
        if (nodes[id].right < 0) {
            ++depth[unsigned(nodes[id].left)];
            return;
        }
        count(nodes[id].left);
        count(nodes[id].right);
    };
    for (size_t i = 0; i < 2 * n - 2 && i < current.size(); ++i) count(current[i]);
    for (unsigned s : syms) out.len[s] = uint8_t(depth[s]);
    return out;
}

uint64_t huffman_cost(const uint32_t* freq, unsigned alphabet) {
    std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<>> heap;
    for (unsigned s = 0; s < alphabet; ++s)
        if (freq[s]) heap.push(freq[s]);
    if (heap.empty()) return 0;
    if (heap.size() == 1) return heap.top();  // one symbol still needs one bit
    uint64_t cost = 0;
    while (heap.size() > 1) {
        const uint64_t a = heap.top();
        heap.pop();
        const uint64_t b = heap.top();
        heap.pop();
        cost += a + b;
        heap.push(a + b);
    }
    return cost;
}

unsigned Shape::leaves() const { return std::accumulate(n.begin(), n.end(), 0u); }

uint64_t Shape::kraft_scaled() const {
    uint64_t sum = 0;
    for (unsigned l = 1; l <= CodeGeometry::kMaxCodeLen; ++l)
        sum += uint64_t(n[l]) << (CodeGeometry::kMaxCodeLen - l);
    return sum;
}

Shape shape_of(const CodeLengths& lengths) {
    Shape s;
    for (unsigned sym = 0; sym < lengths.alphabet; ++sym)
        if (lengths.len[sym]) ++s.n[lengths.len[sym]];
    return s;
}

Shape balanced_shape(unsigned leaves) {
    Shape s;
    if (leaves <= 2) {
        s.n[1] = uint16_t(leaves);
        return s;
    }
    unsigned k = 0;
    while ((1u << k) < leaves) ++k;
    s.n[k - 1] = uint16_t((1u << k) - leaves);
    s.n[k] = uint16_t(2 * leaves - (1u << k));
    return s;
}

std::vector<uint8_t> rank_lengths(const Shape& shape) {
    std::vector<uint8_t> r;
    for (unsigned l = 1; l <= CodeGeometry::kMaxCodeLen; ++l)
        r.insert(r.end(), shape.n[l], uint8_t(l));
    return r;
}

CodeLengths assign(const Shape& shape, const std::vector<uint8_t>& order, unsigned alphabet) {
    CodeLengths c;
    c.alphabet = alphabet;
    const std::vector<uint8_t> r = rank_lengths(shape);
    for (size_t k = 0; k < order.size() && k < r.size(); ++k) c.len[order[k]] = r[k];
    return c;
}

}  // namespace embzip
