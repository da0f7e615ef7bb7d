// SPDX-License-Identifier: MIT
// Floating-point tables, coded losslessly: every value is split into its exponent field,
// coded with the fixed-width machinery (the exponent is where the redundancy is), and its
// sign + mantissa bits, stored raw (they are close to uniform). Rows stay fixed width:
// W = coded exponent row + dim x raw bits.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "embzip/table.hpp"

namespace embzip {

enum class FloatKind : uint8_t {
    BF16 = 2,
    FP16 = 3,
    FP32 = 4
};  // values shared with the .ezt dtype field

struct FloatFormat {
    unsigned bits;       // element width
    unsigned exp_bits;   // exponent field
    unsigned mant_bits;  // mantissa field (sign is the top bit)
    unsigned raw_bits() const { return 1 + mant_bits; }
};
FloatFormat float_format(FloatKind kind);
const char* float_kind_name(FloatKind kind);

struct FloatTable {
    uint64_t rows = 0;
    uint32_t dim = 0;  // elements per row
    FloatKind kind = FloatKind::BF16;
    std::vector<uint8_t> bytes;  // rows x dim little-endian elements

    uint64_t size_bytes() const { return rows * dim * (float_format(kind).bits / 8); }
};

// The exponent plane as a byte table (one symbol per element) and the raw sign+mantissa
// plane, each row packed MSB first into raw_row_bytes() bytes.
struct FloatPlanes {
    Table exponents;
    std::vector<uint8_t> raw;
    uint32_t raw_bits = 0;
    uint64_t raw_row_bytes() const { return (uint64_t(exponents.dim) * raw_bits + 7) / 8; }
};

FloatPlanes split_planes(const FloatTable& table);
// @pre planes came from split_planes (or a decoder) for a table of this kind.
FloatTable merge_planes(const Table& exponents, const uint8_t* raw, FloatKind kind);
// One row: exponents (dim bytes) + its raw row -> dim little-endian elements.
void merge_row(const uint8_t* exponents, const uint8_t* raw_row, uint32_t dim, FloatKind kind,
               uint8_t* out);

// The value of one stored element (little endian, float_format(kind).bits / 8 bytes).
double float_value(const uint8_t* element, FloatKind kind);

// Round-to-nearest-even float32 -> bf16 (NaN stays NaN, quiet).
uint16_t float_to_bf16(float value);

}  // namespace embzip
