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
#include "embzip/safetensors.hpp"

namespace embzip {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_geometry(uint64_t rows, uint64_t dim, const std::string& name) {
    if (rows == 0) throw InputError(name + ": table has no rows");
    if (dim == 0) throw InputError(name + ": table rows are empty (dim = 0)");
    if (dim > CodeGeometry::kMaxDim)
        throw InputError(name + ": dim " + std::to_string(dim) + " exceeds the supported maximum " +
                         std::to_string(CodeGeometry::kMaxDim));
}

// A 2-D array from .npy or .safetensors, before it becomes a table.
enum class Elem { I8, U8, F16, F32, BF16 };
struct Array2D {
    Elem elem;
    uint64_t rows = 0;
    uint64_t dim = 0;
    std::vector<uint8_t> data;
};

Array2D npy_array(const LoadOptions& options) {
    NpyArray a = read_npy(options.path);
    const std::string& name = options.path;
    if (a.shape.size() != 2)
        throw InputError(name + ": expected a 2-D array (rows, dim), got " +
                         std::to_string(a.shape.size()) + "-D");
    Array2D out;
    if (a.descr == "|i1")
        out.elem = Elem::I8;
    else if (a.descr == "|u1")
        out.elem = Elem::U8;
    else if (a.descr == "<f2")
        out.elem = Elem::F16;
    else if (a.descr == "<f4")
        out.elem = Elem::F32;
    else if (a.descr == "<u2" && options.dtype == "bf16")
        out.elem = Elem::BF16;
    else if (a.descr == "<u2")
        throw InputError(name + ": uint16 table: pass --dtype bf16 if it holds bf16 bit patterns");
    else
        throw InputError(
            name + ": dtype '" + a.descr +
            "' is not supported (int8, uint8, float16, float32, or uint16 with --dtype bf16)");
    if (!options.dtype.empty() && options.dtype != "bf16")
        throw InputError("--dtype: only bf16 is supported");
    if (options.dtype == "bf16" && out.elem != Elem::BF16)
        throw InputError(name + ": --dtype bf16 needs a uint16 .npy");
    out.rows = a.shape[0];
    out.dim = a.shape[1];
    out.data = std::move(a.data);
    return out;
}

Array2D safetensors_array(const LoadOptions& options) {
    SafeTensor t = read_safetensor(options.path, options.tensor);
    const std::string where = options.path + ": tensor '" + t.name + "'";
    Array2D out;
    if (t.dtype == "I8")
        out.elem = Elem::I8;
    else if (t.dtype == "U8")
        out.elem = Elem::U8;
    else if (t.dtype == "F16")
        out.elem = Elem::F16;
    else if (t.dtype == "F32")
        out.elem = Elem::F32;
    else if (t.dtype == "BF16")
        out.elem = Elem::BF16;
    else
        throw InputError(where + ": dtype " + t.dtype +
                         " is not supported (BF16, F16, F32, I8, U8)");
    if (t.shape.size() != 2)
        throw InputError(where + ": expected a 2-D tensor (rows, dim), got " +
                         std::to_string(t.shape.size()) + "-D");
    out.rows = t.shape[0];
    out.dim = t.shape[1];
    out.data = std::move(t.data);
    return out;
}

double element_value(const Array2D& a, uint64_t i) {
    if (a.elem == Elem::F32) return float_value(a.data.data() + 4 * i, FloatKind::FP32);
    return float_value(a.data.data() + 2 * i,
                       a.elem == Elem::F16 ? FloatKind::FP16 : FloatKind::BF16);
}

Input from_array(Array2D a, const LoadOptions& options) {
    const std::string& name = options.path;
    check_geometry(a.rows, a.dim, name);
    Input in;
    if (a.elem == Elem::I8 || a.elem == Elem::U8) {
        if (options.quantize == QuantizeMode::Symmetric ||
            options.quantize == QuantizeMode::Rowwise)
            throw InputError(name + ": --quantize applies to float tables; this one is already " +
                             (a.elem == Elem::I8 ? "int8" : "uint8"));
        in.table.rows = a.rows;
        in.table.dim = uint32_t(a.dim);
        in.table.dtype = a.elem == Elem::I8 ? Dtype::Int8 : Dtype::Uint8;
        in.table.bytes = std::move(a.data);
        return in;
    }
    const char* kind = a.elem == Elem::F32 ? "float32" : a.elem == Elem::F16 ? "float16" : "bf16";
    if (options.quantize == QuantizeMode::None)
        throw InputError(
            name + ": " + kind +
            " table: choose --quantize symmetric, --quantize rowwise, or --quantize lossless");
    if (options.quantize == QuantizeMode::Lossless) {
        in.is_float = true;
        in.floats.rows = a.rows;
        in.floats.dim = uint32_t(a.dim);
        in.floats.kind = a.elem == Elem::F32   ? FloatKind::FP32
                         : a.elem == Elem::F16 ? FloatKind::FP16
                                               : FloatKind::BF16;
        in.floats.bytes = std::move(a.data);
        return in;
    }
    std::vector<double> values(a.rows * a.dim);
    for (uint64_t i = 0; i < values.size(); ++i) {
        values[i] = element_value(a, i);
        if (!std::isfinite(values[i]))
            throw InputError(name + ": table holds NaN or Inf; cannot quantize it");
    }
    in.table = options.quantize == QuantizeMode::Symmetric
                   ? quantize_symmetric(values, a.rows, uint32_t(a.dim))
                   : quantize_rowwise(values, a.rows, uint32_t(a.dim));
    return in;
}

int32_t le32(const uint8_t* p) {
    return int32_t(uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
                   uint32_t(p[3]) << 24);
}

}  // namespace

QuantizeMode parse_quantize_mode(const std::string& text) {
    if (text == "none") return QuantizeMode::None;
    if (text == "symmetric") return QuantizeMode::Symmetric;
    if (text == "rowwise") return QuantizeMode::Rowwise;
    if (text == "lossless") return QuantizeMode::Lossless;
    throw InputError("--quantize: expected symmetric, rowwise, lossless or none, got '" + text +
                     "'");
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
    Input in = load_input(options);
    if (in.is_float)
        throw InputError(options.path + ": a lossless float table is not a byte table");
    return std::move(in.table);
}

Input load_input(const LoadOptions& options) {
    const std::string& name = options.path;
    Input in;
    if (ends_with(name, ".npy") && !options.raw_rows && !options.raw_dim) {
        if (!options.tensor.empty())
            throw InputError(name + ": --tensor applies to .safetensors inputs, not .npy");
        return from_array(npy_array(options), options);
    }
    if (ends_with(name, ".safetensors") && !options.raw_rows && !options.raw_dim)
        return from_array(safetensors_array(options), options);
    if (options.raw_rows.has_value() != options.raw_dim.has_value())
        throw InputError(name + ": raw input needs both --rows and --dim");
    if (!options.tensor.empty()) throw InputError("--tensor applies to .safetensors inputs");
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
        in.table = std::move(t);
        return in;
    }
    if (ends_with(name, ".bin")) {
        if (options.quantize != QuantizeMode::None)
            throw InputError(name + ": .bin tables are int8; --quantize does not apply");
        const std::vector<uint8_t> bytes = read_file(name);
        if (bytes.size() < 8)
            throw FormatError(name + ": .bin file shorter than its 8-byte header");
        const int32_t cols = le32(bytes.data()), rows = le32(bytes.data() + 4);
        if (cols <= 0 || rows <= 0)
            throw FormatError(name + ": .bin header has columns " + std::to_string(cols) +
                              ", rows " + std::to_string(rows) + " (both must be positive)");
        check_geometry(uint64_t(rows), uint64_t(cols), name);
        Table t;
        t.rows = uint64_t(rows);
        t.dim = uint32_t(cols);
        if (bytes.size() - 8 != t.size_bytes())
            throw FormatError(name + ": .bin data has " + std::to_string(bytes.size() - 8) +
                              " bytes, header says " + std::to_string(t.size_bytes()));
        t.bytes.assign(bytes.begin() + 8, bytes.end());
        in.table = std::move(t);
        return in;
    }
    throw InputError(name +
                     ": unknown input format (expected .npy, .safetensors, .bin, or raw bytes with "
                     "--rows and --dim)");
}

const char* npy_descr(FloatKind kind) {
    return kind == FloatKind::FP32 ? "<f4" : kind == FloatKind::FP16 ? "<f2" : "<u2";
}

const char* npy_descr(Dtype dtype) { return dtype == Dtype::Int8 ? "|i1" : "|u1"; }

void save_float_npy(const std::string& path, const FloatTable& table) {
    write_npy(path, npy_descr(table.kind), {table.rows, table.dim}, table.bytes.data(),
              table.bytes.size());
}

void save_table_npy(const std::string& path, const Table& table) {
    write_npy(path, npy_descr(table.dtype), {table.rows, table.dim}, table.bytes.data(),
              table.bytes.size());
}

void save_decoded_npy(const std::string& path, const CodedTable& table, unsigned threads) {
    const std::vector<uint8_t> header =
        npy_header(table.is_float() ? npy_descr(table.floats->kind) : npy_descr(table.dtype),
                   {table.rows, table.dim}, path);
    AtomicFile out(path);
    out.write(header.data(), header.size());
    decode_blocks(table, threads, [&](const uint8_t* bytes, uint64_t, uint64_t rows) {
        out.write(bytes, rows * table.dim * table.value_bytes());
    });
    out.commit();
}

void decode_ezt_to_npy(const std::string& path, int fd, const std::string& name,
                       const CodedTable& meta, const EztBulk& bulk, unsigned threads,
                       size_t block_bytes) {
    const uint64_t row_bytes = uint64_t(meta.dim) * meta.value_bytes();
    // Whole 8-row groups a block (a group of slots ends on a byte), ~block_bytes of output.
    const uint64_t group_rows =
        std::max<uint64_t>(8, std::min<uint64_t>(meta.rows, block_bytes / row_bytes) / 8 * 8);
    const uint64_t raw_row = meta.is_float() ? meta.raw_row_bytes() : 0;
    CodedTable window = meta;  // books, overflow rows, geometry; a block of rows at a time
    uint32_t rows_crc = 0, raw_crc = 0;
    uint64_t rows_read = 0, raw_read = 0;  // bytes of each section read (and checksummed)
    const auto read = [&](const EztSection& at, uint64_t from, uint64_t n, uint8_t* dst,
                          uint32_t& crc, uint64_t& done) {
        if (read_at(fd, dst, n, at.offset + from, name) != n)
            throw FormatError(name + ": truncated .ezt file (shrank while read)");
        crc = crc32(dst, n, crc);
        done = from + n;
    };
    // The checksums of both sections, the rest of them read too. @throws FormatError
    const auto check_sums = [&] {
        std::vector<uint8_t> rest(std::min<uint64_t>(uint64_t(1) << 20, bulk.rows.length));
        for (const auto& [at, crc, done] :
             {std::tie(bulk.rows, rows_crc, rows_read), std::tie(bulk.raw, raw_crc, raw_read)}) {
            while (done < at.length) {
                const uint64_t n = std::min<uint64_t>(rest.size(), at.length - done);
                read(at, done, n, rest.data(), crc, done);
            }
            if (crc != at.crc)
                throw FormatError(name + ": corrupt .ezt: section checksum mismatch");
        }
    };
    const std::vector<uint8_t> header =
        npy_header(meta.is_float() ? npy_descr(meta.floats->kind) : npy_descr(meta.dtype),
                   {meta.rows, meta.dim}, path);
    AtomicFile out(path);
    out.write(header.data(), header.size());
    for (uint64_t first = 0; first < meta.rows; first += group_rows) {
        const uint64_t n = std::min(group_rows, meta.rows - first);
        window.rows = n;
        const uint64_t begin = first * meta.pitch_bits / 8;
        const uint64_t end =
            first + n == meta.rows ? meta.payload_bytes() : (first + n) * meta.pitch_bits / 8;
        window.payload.resize(end - begin);
        read(bulk.rows, begin, end - begin, window.payload.data(), rows_crc, rows_read);
        window.payload.resize(window.payload_bytes() + CodedTable::kPayloadSlack, 0);
        if (raw_row) {
            window.floats->bytes.resize(n * raw_row);
            read(bulk.raw, first * raw_row, n * raw_row, window.floats->bytes.data(), raw_crc,
                 raw_read);
        }
        try {
            decode_blocks(
                window, threads,
                [&](const uint8_t* bytes, uint64_t, uint64_t rows) {
                    out.write(bytes, rows * row_bytes);
                },
                SIZE_MAX, first);
        } catch (const FormatError&) {
            check_sums();  // a corrupt file is named so, as when it is read whole
            throw;
        }
    }
    check_sums();
    out.commit();
}

}  // namespace embzip
