// SPDX-License-Identifier: MIT
// Small helpers for writing Verilog text, shared by the baked and the programmable designs.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace embzip::rtl::vtext {

// Bits needed to hold the values 0..n.
inline unsigned bits_for(uint64_t n) {
    unsigned b = 1;
    while (b < 64 && (uint64_t(1) << b) <= n) ++b;
    return b;
}

inline std::string str(uint64_t v) { return std::to_string(v); }

inline std::string lit(unsigned width, uint64_t value) { return str(width) + "'d" + str(value); }

// "[w-1:0]", the range of a w-bit vector.
inline std::string range(unsigned w) { return "[" + str(w - 1) + ":0]"; }

// name[hi:lo]
inline std::string slice(const std::string& name, unsigned hi, unsigned lo) {
    return name + "[" + str(hi) + ":" + str(lo) + "]";
}

// Zero-extends (or keeps) an expression of width `from` to width `to`.
inline std::string zext(const std::string& expr, unsigned from, unsigned to) {
    if (to == from) return expr;
    if (to < from) throw std::logic_error("zext narrows");
    return "{" + str(to - from) + "'d0, " + expr + "}";
}

// A plain identifier resized to `to` bits (truncation keeps the low bits).
inline std::string resize(const std::string& name, unsigned from, unsigned to) {
    if (to == from) return name;
    if (to > from) return zext(name, from, to);
    return slice(name, to - 1, 0);
}

// Wide constant as a Verilog hex literal; bits[i] is bit i (LSB first).
inline std::string wide_hex(const std::vector<bool>& bits) {
    std::string digits;
    const size_t n = bits.size();
    for (size_t top = (n + 3) / 4; top-- > 0;) {
        unsigned d = 0;
        for (unsigned k = 0; k < 4; ++k) {
            const size_t i = top * 4 + k;
            if (i < n && bits[i]) d |= 1u << k;
        }
        digits += "0123456789abcdef"[d];
    }
    return str(n) + "'h" + digits;
}

inline void put_bits(std::vector<bool>& v, size_t offset, unsigned width, uint64_t value) {
    for (unsigned i = 0; i < width; ++i) v[offset + i] = (value >> i) & 1;
}

// Every generated file starts and ends the same way: the time unit for simulators that mix
// files, and no implicit nets (a typo is an error, not a new 1-bit wire) -- restored at the end
// so files of other projects compiled after ours keep their default.
inline constexpr const char* kFileHead = "`timescale 1ns / 1ps\n`default_nettype none\n\n";
inline constexpr const char* kFileTail = "\n`default_nettype wire\n";

}  // namespace embzip::rtl::vtext
