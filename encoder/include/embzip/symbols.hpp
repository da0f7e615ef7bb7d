// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <string>

namespace embzip {

// How a byte becomes 4-bit symbols. Both are bijections on bytes, so decoding is exact.
//  - Twos: the byte's own bit pattern, high nibble then low nibble.
//  - SignMagnitude: the byte read as int8 v becomes (v < 0) << 7 | |v|, with -128 taking the
//    otherwise unused pattern 0x80 ("negative zero"). Symmetric int8 data is centred on 0, so
//    this puts small magnitudes of both signs into a few high nibbles.
enum class Split : uint8_t { Twos = 0, SignMagnitude = 1 };

const char* split_name(Split split);
Split parse_split(const std::string& text);

inline uint8_t split_forward(Split split, uint8_t byte) {
    if (split == Split::Twos) return byte;
    const int v = static_cast<int8_t>(byte);
    if (v == -128) return 0x80;
    return v < 0 ? static_cast<uint8_t>(0x80 | -v) : static_cast<uint8_t>(v);
}

inline uint8_t split_inverse(Split split, uint8_t coded) {
    if (split == Split::Twos) return coded;
    const int mag = coded & 0x7F;
    if (coded & 0x80) return static_cast<uint8_t>(static_cast<int8_t>(mag == 0 ? -128 : -mag));
    return static_cast<uint8_t>(mag);
}

// Symbol alphabet of a code: 8-bit symbols (256) or 4-bit symbols (16, two per byte).
struct SymbolSpec {
    uint8_t bits = 8;
    Split split = Split::Twos;

    unsigned alphabet() const { return 1u << bits; }
    unsigned per_byte() const { return bits == 8 ? 1u : 2u; }
};

}  // namespace embzip
