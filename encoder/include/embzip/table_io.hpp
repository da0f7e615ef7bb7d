// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "embzip/float_table.hpp"
#include "embzip/layout.hpp"
#include "embzip/table.hpp"

namespace embzip {

// Lossless: float tables coded exactly (exponent plane coded, sign+mantissa raw).
enum class QuantizeMode { None, Symmetric, Rowwise, Lossless };

// How to read an input table. Float inputs need an explicit mode: quantizing loses
// information, so it must be a visible choice, and so must keeping the floats exact.
struct LoadOptions {
    std::string path;
    QuantizeMode quantize = QuantizeMode::None;
    std::optional<uint64_t> raw_rows;  // raw bytes: both rows and dim must be given
    std::optional<uint32_t> raw_dim;
    std::string tensor;  // safetensors: which tensor (empty: the only one)
    std::string dtype;   // "bf16": read a uint16 .npy as bf16 bit patterns
};

// A loaded input: a byte table (int8/uint8, or quantized floats) or an exact float table.
struct Input {
    bool is_float = false;
    Table table;
    FloatTable floats;
};

// Everything load_table reads, plus .safetensors (BF16, F16, F32, I8, U8 tensors) and
// lossless float tables. @throws InputError, FormatError, IoError naming the file.
Input load_input(const LoadOptions& options);

QuantizeMode parse_quantize_mode(const std::string& text);

// .npy (int8, uint8; float32/float16/bf16 with quantize), the seed tool's .bin (int32
// columns, int32 rows, int8 data, little endian) and raw bytes (with raw_rows/raw_dim).
// @throws InputError, FormatError, IoError with a message naming the file; InputError for a
//         lossless float table (use load_input).
Table load_table(const LoadOptions& options);

// Symmetric int8: s = max|x| / 127 in double, q = clip(round_half_even(x / s), -127, 127).
Table quantize_symmetric(const std::vector<double>& values, uint64_t rows, uint32_t dim);
// FBGEMM-style rowwise uint8: per row scale = (max - min) / 255, bias = min,
// q = clip(round_half_even((x - bias) / scale), 0, 255).
Table quantize_rowwise(const std::vector<double>& values, uint64_t rows, uint32_t dim);

// Writes the table bytes as .npy ("|i1" or "|u1"), shape (rows, dim).
void save_table_npy(const std::string& path, const Table& table);
// Float tables: "<f4", "<f2", and bf16 as "<u2" bit patterns (numpy has no bf16).
void save_float_npy(const std::string& path, const FloatTable& table);
// A coded table decoded into an .npy (the format the two above write): streamed block by
// block (decode_blocks) into a temporary renamed into place, so memory beyond the coded table
// is one block and a bad row leaves no output. @throws FormatError naming the first bad row,
// IoError.
void save_decoded_npy(const std::string& path, const CodedTable& table, unsigned threads = 0);
// The same from an open .ezt file without its bulk in memory: `meta` and `bulk` from
// read_ezt_meta(fd, name, ...); the rows (and raw plane) are read block by block (~block_bytes
// of output each), checksummed as they go, so memory is one block beyond the code books and
// overflow rows. Nothing is committed before both checksums match; a bad row in a file whose
// checksums fail is reported as the checksum mismatch, as read_ezt would. @throws FormatError,
// IoError
void decode_ezt_to_npy(const std::string& path, int fd, const std::string& name,
                       const CodedTable& meta, const EztBulk& bulk, unsigned threads = 0,
                       size_t block_bytes = kDecodeBlockBytes);
// The .npy descr the two above write.
const char* npy_descr(Dtype dtype);
const char* npy_descr(FloatKind kind);

}  // namespace embzip
