// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "embzip/table.hpp"

namespace embzip {

enum class QuantizeMode { None, Symmetric, Rowwise };

// How to read an input table. Float inputs need an explicit quantize mode: coding is lossless
// on bytes, so turning floats into bytes must be a visible choice, not a silent default.
struct LoadOptions {
    std::string path;
    QuantizeMode quantize = QuantizeMode::None;
    std::optional<uint64_t> raw_rows;  // raw bytes: both rows and dim must be given
    std::optional<uint32_t> raw_dim;
};

QuantizeMode parse_quantize_mode(const std::string& text);

// .npy (int8, uint8; float32/float16 with quantize), the seed tool's .bin (int32 columns,
// int32 rows, int8 data, little endian) and raw bytes (with raw_rows/raw_dim).
// @throws InputError, FormatError, IoError with a message naming the file.
Table load_table(const LoadOptions& options);

// Symmetric int8: s = max|x| / 127 in double, q = clip(round_half_even(x / s), -127, 127).
Table quantize_symmetric(const std::vector<double>& values, uint64_t rows, uint32_t dim);
// FBGEMM-style rowwise uint8: per row scale = (max - min) / 255, bias = min,
// q = clip(round_half_even((x - bias) / scale), 0, 255).
Table quantize_rowwise(const std::vector<double>& values, uint64_t rows, uint32_t dim);

// Writes the table bytes as .npy ("|i1" or "|u1"), shape (rows, dim).
void save_table_npy(const std::string& path, const Table& table);

}  // namespace embzip
