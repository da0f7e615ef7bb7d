// SPDX-License-Identifier: MIT
#include "embzip/file_util.hpp"

#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "embzip/errors.hpp"

namespace embzip {

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open: " + std::strerror(errno));
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0) throw IoError(path + ": cannot determine size");
    in.seekg(0, std::ios::beg);
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
        throw IoError(path + ": read failed");
    return bytes;
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw IoError(path + ": cannot create: " + std::strerror(errno));
        out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw IoError(path + ": write failed");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        throw IoError(path + ": cannot rename into place: " + why);
    }
}

void write_file_atomic(const std::string& path, const std::string& text) {
    write_file_atomic(path, text.data(), text.size());
}

// CRC-32 (IEEE 802.3) by zlib, so a file can be checked with standard tools; zlib's is
// table-sliced and several times faster than a byte-at-a-time loop over a whole file.
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
    return uint32_t(::crc32_z(crc, data, size));
}

}  // namespace embzip
