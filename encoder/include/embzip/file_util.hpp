// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace embzip {

// @throws IoError
std::vector<uint8_t> read_file(const std::string& path);

// Writes to "<path>.tmp.<pid>" and renames over path, so a failure never leaves a
// half-written result behind. @throws IoError
void write_file_atomic(const std::string& path, const void* data, size_t size);
void write_file_atomic(const std::string& path, const std::string& text);

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace embzip
