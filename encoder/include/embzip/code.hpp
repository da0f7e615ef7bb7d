// SPDX-License-Identifier: MIT
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "embzip/symbols.hpp"

namespace embzip {

// Table geometry shared by the encoder, the file format and the decoders.
struct CodeGeometry {
    static constexpr unsigned kMaxCodeLen = 32;  // longest code any method may produce
    static constexpr unsigned kLutBits = 11;     // software decoder's first-level table
    static constexpr unsigned kMaxBooks = 16;
    static constexpr unsigned kMaxDim = 65535;
    // Longest overflow index, and so log2 of the most rows a table may have (an index can name
    // any row). The decoder reads flag + index from one 64-bit window with 56 valid bits.
    static constexpr unsigned kMaxOverflowIndexBits = 40;
};
static_assert(CodeGeometry::kMaxCodeLen <= 57, "bit reader refills 57 bits at a time");
static_assert(CodeGeometry::kLutBits <= CodeGeometry::kMaxCodeLen);
static_assert(1 + CodeGeometry::kMaxOverflowIndexBits <= 57, "flag + index in one refill");

// Selector bits that name one of `books` code books: ceil(log2 books), 0 for one book.
inline unsigned selector_bits_for(size_t books) {
    unsigned s = 0;
    while ((size_t(1) << s) < books) ++s;
    return s;
}

// A prefix code given by its lengths alone (0 = symbol not coded). Codes are canonical, so
// the lengths define the code bits.
struct CodeLengths {
    std::array<uint8_t, 256> len{};
    unsigned alphabet = 256;

    unsigned used() const;
    unsigned max_len() const;
    // Kraft sum times 2^kMaxCodeLen, exact in 64 bits.
    uint64_t kraft_scaled() const;
    bool kraft_ok() const { return kraft_scaled() <= (uint64_t(1) << CodeGeometry::kMaxCodeLen); }
};

// Canonical code: symbols sorted by (length, symbol) get consecutive codes; the code of the
// first symbol of length l is first_code[l] and it is symbol sorted[first_index[l]].
struct CanonicalCode {
    CodeLengths lengths;
    std::array<uint32_t, 256> code{};  // right-aligned code bits per symbol
    std::array<uint32_t, CodeGeometry::kMaxCodeLen + 2> first_code{};
    std::array<uint32_t, CodeGeometry::kMaxCodeLen + 2> first_index{};
    std::array<uint32_t, CodeGeometry::kMaxCodeLen + 2> count{};
    std::vector<uint8_t> sorted;  // symbols in canonical order
};

// @pre lengths.kraft_ok(), every length <= kMaxCodeLen. @throws InputError otherwise.
CanonicalCode make_canonical(const CodeLengths& lengths);

// Code string of a symbol, MSB first ("0101").
std::string code_string(const CanonicalCode& code, unsigned symbol);

// Optimal prefix code lengths for the frequencies with every length <= max_len
// (package-merge; equals plain Huffman when the limit does not bind). Symbols with zero
// frequency get length 0; a single used symbol gets length 1.
// @pre max_len >= ceil(log2(used symbols)).
CodeLengths huffman_lengths(const uint64_t* freq, unsigned alphabet,
                            unsigned max_len = CodeGeometry::kMaxCodeLen);

// Plain (unlimited) Huffman code length total: sum freq*len, used for per-row limits.
uint64_t huffman_cost(const uint32_t* freq, unsigned alphabet);

// A tree shape: how many codes of each length (index 0 unused). The code of a shape is
// obtained by giving the k-th symbol of an order the k-th shortest length.
struct Shape {
    std::array<uint16_t, CodeGeometry::kMaxCodeLen + 1> n{};
    unsigned leaves() const;
    uint64_t kraft_scaled() const;
};

Shape shape_of(const CodeLengths& lengths);
// Complete tree over `leaves` symbols: 2^k - leaves of them one bit shorter, k = ceil(log2).
Shape balanced_shape(unsigned leaves);
// rank_len[k] = length of the k-th shortest leaf.
std::vector<uint8_t> rank_lengths(const Shape& shape);
CodeLengths assign(const Shape& shape, const std::vector<uint8_t>& order, unsigned alphabet);

}  // namespace embzip
