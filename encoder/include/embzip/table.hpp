// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <vector>

namespace embzip {

// Element type of a quantized table: the bytes are coded as they are, the dtype only says how
// to write them back (numpy descr) and how the sign-magnitude nibble split reads them.
enum class Dtype : uint8_t { Int8 = 0, Uint8 = 1 };

enum class QuantKind : uint8_t { None = 0, Symmetric = 1, Rowwise = 2 };

// How a float table became bytes. Stored next to the coded rows and counted in the size.
struct Quantization {
    QuantKind kind = QuantKind::None;
    double scale = 0.0;            // Symmetric: x ~= q * scale
    std::vector<float> row_scale;  // Rowwise: x ~= q * row_scale[i] + row_bias[i]
    std::vector<float> row_bias;
};

// A rows x dim table of bytes, row-major.
struct Table {
    uint64_t rows = 0;
    uint32_t dim = 0;
    Dtype dtype = Dtype::Int8;
    std::vector<uint8_t> bytes;
    Quantization quant;

    const uint8_t* row(uint64_t i) const { return bytes.data() + i * dim; }
    uint64_t size_bytes() const { return rows * static_cast<uint64_t>(dim); }
};

}  // namespace embzip
