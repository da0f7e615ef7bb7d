// SPDX-License-Identifier: MIT
#include "embzip/table_io.hpp"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstring>

#include "embzip/code.hpp"
#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/npy.hpp"

namespace embzip {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_geometry(uint64_t rows, uint64_t dim, const std::string& name) {
    if (rows == 0) throw InputError(name + ": table has no rows");
    if (dim == 0) throw InputError(name + ": table rows are empty (dim = 0)");
    if (dim > CodeGeometry::kMaxDim)
        throw InputError(name + ": dim " + std::to_string(dim) + " exceeds the supported maximum " +
                         std::to_string(CodeGeometry::kMaxDim));
}

double half_to_double(uint16_t h) {
    const int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    double v;
    if (exp == 0) v = std::ldexp(double(mant), -24);
    else if (exp == 31) v = mant ? NAN : INFINITY;
    else v = std::ldexp(double(mant | 0x400), exp - 25);
    return sign ? -v : v;
}

std::vector<double> float_values(const NpyArray& a, const std::string& name) {
    std::vector<double> v(a.element_count());
    if (a.descr == "<f4") {
        for (size_t i = 0; i < v.size(); ++i) {
            float f;
            std::memcpy(&f, a.data.data() + 4 * i, 4);
            v[i] = f;
        }
    } else {
        for (size_t i = 0; i < v.size(); ++i) v[i] = half_to_double(uint16_t(a.data[2 * i] | (a.data[2 * i + 1] << 8)));
    }
    for (double x : v)
        if (!std::isfinite(x)) throw InputError(name + ": table holds NaN or Inf; cannot quantize it");
    return v;
}

Table from_npy(const LoadOptions& options) {
    const NpyArray a = read_npy(options.path);
    const std::string& name = options.path;
    if (a.shape.size() != 2)
        throw InputError(name + ": expected a 2-D array (rows, dim), got " + std::to_string(a.shape.size()) + "-D");
    check_geometry(a.shape[0], a.shape[1], name);
    const bool is_float = a.descr == "<f4" || a.descr == "<f2";
    const bool is_byte = a.descr == "|i1" || a.descr == "|u1";
    if (!is_float && !is_byte)
        throw InputError(name + ": dtype '" + a.descr +
                         "' is not supported (int8, uint8, or float32/float16 with --quantize)");
    if (is_byte) {
        if (options.quantize != QuantizeMode::None)
            throw InputError(name + ": --quantize applies to float tables; this one is already " +
                             (a.descr == "|i1" ? "int8" : "uint8"));
        Table t;
        t.rows = a.shape[0];
        t.dim = uint32_t(a.shape[1]);
        t.dtype = a.descr == "|i1" ? Dtype::Int8 : Dtype::Uint8;
        t.bytes = a.data;
        return t;
    }
    if (options.quantize == QuantizeMode::None)
        throw InputError(name + ": float table (" + a.descr +
                         "): choose --quantize symmetric or --quantize rowwise");
    const std::vector<double> values = float_values(a, name);
    return options.quantize == QuantizeMode::Symmetric
               ? quantize_symmetric(values, a.shape[0], uint32_t(a.shape[1]))
               : quantize_rowwise(values, a.shape[0], uint32_t(a.shape[1]));
}

int32_t le32(const uint8_t* p) { return int32_t(uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24); }

}  // namespace

QuantizeMode parse_quantize_mode(const std::string& text) {
    if (text == "none") return QuantizeMode::None;
    if (text == "symmetric") return QuantizeMode::Symmetric;
    if (text == "rowwise") return QuantizeMode::Rowwise;
    throw InputError("--quantize: expected symmetric, rowwise or none, got '" + text + "'");
}

Table quantize_symmetric(const std::vector<double>& values, uint64_t rows, uint32_t dim) {
    double max_abs = 0.0;
    for (double x : values) max_abs = std::max(max_abs, std::fabs(x));
    Table t;
    t.rows = rows;
    t.dim = dim;
    t.dtype = Dtype::Int8;
    t.quant.kind = QuantKind::Symmetric;
    t.quant.scale = max_abs / 127.0;
    t.bytes.resize(values.size());
    std::fesetround(FE_TONEAREST);  // nearbyint rounds half to even
    for (size_t i = 0; i < values.size(); ++i) {
        const double q = t.quant.scale > 0 ? std::nearbyint(values[i] / t.quant.scale) : 0.0;
        t.bytes[i] = uint8_t(int8_t(std::clamp(q, -127.0, 127.0)));
    }
    return t;
}

Table quantize_rowwise(const std::vector<double>& values, uint64_t rows, uint32_t dim) {
    Table t;
    t.rows = rows;
    t.dim = dim;
    t.dtype = Dtype::Uint8;
    t.quant.kind = QuantKind::Rowwise;
    t.quant.row_scale.resize(rows);
    t.quant.row_bias.resize(rows);
    t.bytes.resize(values.size());
    std::fesetround(FE_TONEAREST);
    for (uint64_t r = 0; r < rows; ++r) {
        const double* x = values.data() + r * dim;
        const auto [lo, hi] = std::minmax_element(x, x + dim);
        const float bias = float(*lo);
        const float scale = float((*hi - *lo) / 255.0);
        t.quant.row_scale[r] = scale;
        t.quant.row_bias[r] = bias;
        for (uint32_t c = 0; c < dim; ++c) {
            const double q = scale > 0 ? std::nearbyint((x[c] - bias) / scale) : 0.0;
            t.bytes[r * dim + c] = uint8_t(std::clamp(q, 0.0, 255.0));
        }
    }
    return t;
}

Table load_table(const LoadOptions& options) {
    const std::string& name = options.path;
    if (options.raw_rows.has_value() != options.raw_dim.has_value())
        throw InputError(name + ": raw input needs both --rows and --dim");
    if (options.raw_rows) {
        if (options.quantize != QuantizeMode::None)
            throw InputError(name + ": raw input is int8 bytes; --quantize does not apply");
        check_geometry(*options.raw_rows, *options.raw_dim, name);
        Table t;
        t.rows = *options.raw_rows;
        t.dim = *options.raw_dim;
        t.bytes = read_file(name);
        if (t.bytes.size() != t.size_bytes())
            throw FormatError(name + ": raw file has " + std::to_string(t.bytes.size()) +
                              " bytes, --rows x --dim needs " + std::to_string(t.size_bytes()));
        return t;
    }
    if (ends_with(name, ".npy")) return from_npy(options);
    if (ends_with(name, ".bin")) {
        if (options.quantize != QuantizeMode::None)
            throw InputError(name + ": .bin tables are int8; --quantize does not apply");
        const std::vector<uint8_t> bytes = read_file(name);
        if (bytes.size() < 8) throw FormatError(name + ": .bin file shorter than its 8-byte header");
        const int32_t cols = le32(bytes.data()), rows = le32(bytes.data() + 4);
        if (cols <= 0 || rows <= 0)
            throw FormatError(name + ": .bin header has columns " + std::to_string(cols) + ", rows " +
                              std::to_string(rows) + " (both must be positive)");
        check_geometry(uint64_t(rows), uint64_t(cols), name);
        Table t;
        t.rows = uint64_t(rows);
        t.dim = uint32_t(cols);
        if (bytes.size() - 8 != t.size_bytes())
            throw FormatError(name + ": .bin data has " + std::to_string(bytes.size() - 8) +
                              " bytes, header says " + std::to_string(t.size_bytes()));
        t.bytes.assign(bytes.begin() + 8, bytes.end());
        return t;
    }
    throw InputError(name + ": unknown input format (expected .npy, .bin, or raw bytes with --rows and --dim)");
}

void save_table_npy(const std::string& path, const Table& table) {
    NpyArray a;
    a.descr = table.dtype == Dtype::Int8 ? "|i1" : "|u1";
    a.shape = {table.rows, table.dim};
    a.data = table.bytes;
    write_npy(path, a);
}

}  // namespace embzip
