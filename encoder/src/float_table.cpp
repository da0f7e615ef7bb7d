// SPDX-License-Identifier: MIT
#include "embzip/float_table.hpp"

#include <cmath>
#include <cstring>

#include "embzip/errors.hpp"

namespace embzip {

FloatFormat float_format(FloatKind kind) {
    switch (kind) {
        case FloatKind::BF16:
            return {16, 8, 7};
        case FloatKind::FP16:
            return {16, 5, 10};
        case FloatKind::FP32:
            return {32, 8, 23};
    }
    throw InputError("unknown float kind");
}

const char* float_kind_name(FloatKind kind) {
    switch (kind) {
        case FloatKind::BF16:
            return "bf16";
        case FloatKind::FP16:
            return "fp16";
        case FloatKind::FP32:
            return "fp32";
    }
    return "?";
}

namespace {

uint32_t load_element(const uint8_t* p, unsigned bytes) {
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; ++i) v |= uint32_t(p[i]) << (8 * i);
    return v;
}

// MSB-first bit packing of fixed-width fields into a byte row.
void put_bits(uint8_t* row, uint64_t pos, uint32_t value, unsigned len) {
    for (unsigned i = 0; i < len; ++i, ++pos)
        if ((value >> (len - 1 - i)) & 1) row[pos >> 3] |= uint8_t(0x80 >> (pos & 7));
}

uint32_t get_bits(const uint8_t* row, uint64_t pos, unsigned len) {
    uint32_t v = 0;
    for (unsigned i = 0; i < len; ++i, ++pos) v = v << 1 | ((row[pos >> 3] >> (7 - (pos & 7))) & 1);
    return v;
}

}  // namespace

FloatPlanes split_planes(const FloatTable& t) {
    const FloatFormat f = float_format(t.kind);
    const unsigned eb = f.bits / 8;
    FloatPlanes p;
    p.raw_bits = f.raw_bits();
    p.exponents.rows = t.rows;
    p.exponents.dim = t.dim;
    p.exponents.dtype = Dtype::Uint8;
    p.exponents.bytes.resize(t.rows * t.dim);
    const uint64_t rrb = p.raw_row_bytes();
    p.raw.assign(t.rows * rrb, 0);
    const uint32_t mant_mask = (1u << f.mant_bits) - 1, exp_mask = (1u << f.exp_bits) - 1;
    for (uint64_t r = 0; r < t.rows; ++r) {
        uint8_t* raw_row = p.raw.data() + r * rrb;
        for (uint32_t c = 0; c < t.dim; ++c) {
            const uint32_t v = load_element(t.bytes.data() + (r * t.dim + c) * eb, eb);
            const uint32_t sign = v >> (f.bits - 1);
            p.exponents.bytes[r * t.dim + c] = uint8_t((v >> f.mant_bits) & exp_mask);
            put_bits(raw_row, uint64_t(c) * p.raw_bits, sign << f.mant_bits | (v & mant_mask),
                     p.raw_bits);
        }
    }
    return p;
}

void merge_row(const uint8_t* exponents, const uint8_t* raw_row, uint32_t dim, FloatKind kind,
               uint8_t* out) {
    const FloatFormat f = float_format(kind);
    const unsigned eb = f.bits / 8;
    const unsigned raw_bits = f.raw_bits();
    for (uint32_t c = 0; c < dim; ++c) {
        const uint32_t raw = get_bits(raw_row, uint64_t(c) * raw_bits, raw_bits);
        const uint32_t sign = raw >> f.mant_bits, mant = raw & ((1u << f.mant_bits) - 1);
        const uint32_t v = sign << (f.bits - 1) | uint32_t(exponents[c]) << f.mant_bits | mant;
        for (unsigned i = 0; i < eb; ++i) out[c * eb + i] = uint8_t(v >> (8 * i));
    }
}

FloatTable merge_planes(const Table& exponents, const uint8_t* raw, FloatKind kind) {
    FloatTable t;
    t.rows = exponents.rows;
    t.dim = exponents.dim;
    t.kind = kind;
    const unsigned eb = float_format(kind).bits / 8;
    const uint64_t rrb = (uint64_t(t.dim) * float_format(kind).raw_bits() + 7) / 8;
    t.bytes.resize(t.rows * t.dim * eb);
    for (uint64_t r = 0; r < t.rows; ++r)
        merge_row(exponents.row(r), raw + r * rrb, t.dim, kind, t.bytes.data() + r * t.dim * eb);
    return t;
}

double float_value(const uint8_t* p, FloatKind kind) {
    if (kind == FloatKind::FP16) {
        const uint16_t h = uint16_t(p[0] | p[1] << 8);
        const int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
        const double v = exp == 0    ? std::ldexp(double(mant), -24)
                         : exp == 31 ? (mant ? NAN : INFINITY)
                                     : std::ldexp(double(mant | 0x400), exp - 25);
        return sign ? -v : v;
    }
    // bf16 is the top half of a float32.
    const uint32_t bits = kind == FloatKind::FP32 ? load_element(p, 4) : load_element(p, 2) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_bf16(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu))
        return uint16_t((bits >> 16) | 0x0040);
    const uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1);
    return uint16_t((bits + rounding) >> 16);
}

}  // namespace embzip
