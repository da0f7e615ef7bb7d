// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace embzip {

// One tensor of a .safetensors file (8-byte little-endian header length, JSON header, data).
struct SafeTensor {
    std::string name;
    std::string dtype;  // "BF16", "F16", "F32", "I8", "U8", ...
    std::vector<uint64_t> shape;
    std::vector<uint8_t> data;
};

// Names of the tensors in the file. @throws FormatError / IoError.
std::vector<std::string> safetensor_names(const std::string& path);
// Reads tensor `name`; with an empty name, the file must hold exactly one tensor.
// @throws FormatError (malformed file, offsets outside the data, size mismatch), InputError
//         (no such tensor, ambiguous).
SafeTensor read_safetensor(const std::string& path, const std::string& name);
// Writes a single-tensor file atomically (used by tests and tools).
void write_safetensor(const std::string& path, const SafeTensor& tensor);

}  // namespace embzip
