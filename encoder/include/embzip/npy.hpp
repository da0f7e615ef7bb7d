// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace embzip {

// A numpy array as stored in a .npy file (format versions 1.0, 2.0 and 3.0), C order only.
struct NpyArray {
    std::string descr;  // e.g. "|i1", "<f4"
    std::vector<uint64_t> shape;
    std::vector<uint8_t> data;  // raw little-endian element bytes

    uint64_t element_count() const;
    unsigned element_size() const;  // from descr
};

// @throws FormatError on anything malformed (bad magic, header, shape/size mismatch,
//         Fortran order, big-endian descr), IoError when the file cannot be read.
NpyArray read_npy(const std::string& path);
NpyArray parse_npy(const std::vector<uint8_t>& file_bytes, const std::string& name);

// Writes a version 1.0 file atomically (temporary file + rename).
void write_npy(const std::string& path, const NpyArray& array);
void write_npy(const std::string& path, const std::string& descr,
               const std::vector<uint64_t>& shape, const uint8_t* data, size_t size);
// A version 1.0 header (magic to the padding's '\n', the data 64-byte aligned after it): what a
// writer that streams the data writes first. @throws InputError (path names the file)
std::vector<uint8_t> npy_header(const std::string& descr, const std::vector<uint64_t>& shape,
                                const std::string& path);

}  // namespace embzip
