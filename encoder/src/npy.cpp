// SPDX-License-Identifier: MIT
#include "embzip/npy.hpp"

#include <cstring>
#include <limits>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"

namespace embzip {

namespace {

constexpr uint64_t kMaxElements = uint64_t(1) << 40;

// Value of `key` in the header dict literal, e.g. "'descr': '|i1'". Minimal but strict: the
// header is a Python dict literal with three keys written by numpy.
std::string dict_value(const std::string& header, const std::string& key, const std::string& name) {
    const std::string needle = "'" + key + "'";
    const size_t at = header.find(needle);
    if (at == std::string::npos) throw FormatError(name + ": .npy header has no '" + key + "'");
    size_t p = header.find(':', at + needle.size());
    if (p == std::string::npos)
        throw FormatError(name + ": .npy header malformed near '" + key + "'");
    ++p;
    while (p < header.size() && header[p] == ' ') ++p;
    if (p >= header.size()) throw FormatError(name + ": .npy header truncated");
    const char open = header[p];
    char close = 0;
    if (open == '\'')
        close = '\'';
    else if (open == '(')
        close = ')';
    if (close) {
        const size_t end = header.find(close, p + 1);
        if (end == std::string::npos)
            throw FormatError(name + ": .npy header malformed value of '" + key + "'");
        return header.substr(p, end - p + 1);
    }
    size_t end = p;
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
    std::string v = header.substr(p, end - p);
    while (!v.empty() && v.back() == ' ') v.pop_back();
    return v;
}

std::vector<uint64_t> parse_shape(const std::string& text, const std::string& name) {
    // text is "(a, b, )"
    std::vector<uint64_t> shape;
    size_t p = 1;
    while (p < text.size() - 1) {
        while (p < text.size() - 1 && (text[p] == ' ' || text[p] == ',')) ++p;
        if (p >= text.size() - 1) break;
        uint64_t v = 0;
        size_t digits = 0;
        while (p < text.size() - 1 && text[p] >= '0' && text[p] <= '9') {
            if (v > (std::numeric_limits<uint64_t>::max() - 9) / 10)
                throw FormatError(name + ": .npy shape value too large");
            v = v * 10 + uint64_t(text[p] - '0');
            ++p;
            ++digits;
        }
        if (digits == 0)
            throw FormatError(name + ": .npy shape is not a tuple of integers: " + text);
        shape.push_back(v);
    }
    return shape;
}

}  // namespace

uint64_t NpyArray::element_count() const {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    return n;
}

unsigned NpyArray::element_size() const {
    // "<f4": byte order, kind, size. Sizes above 99 exist in no numeric dtype; stopping at two
    // digits keeps an unbounded digit run from overflowing (atoi's undefined behaviour).
    if (descr.size() < 3 || descr.size() > 4) return 0;
    unsigned n = 0;
    for (size_t i = 2; i < descr.size(); ++i) {
        if (descr[i] < '0' || descr[i] > '9') return 0;
        n = n * 10 + unsigned(descr[i] - '0');
    }
    return n;
}

NpyArray parse_npy(const std::vector<uint8_t>& bytes, const std::string& name) {
    static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
        throw FormatError(name + ": not a .npy file (bad magic)");
    const unsigned major = bytes[6];
    size_t header_len = 0, header_start = 0;
    if (major == 1) {
        header_len = bytes[8] | (size_t(bytes[9]) << 8);
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw FormatError(name + ": .npy header truncated");
        header_len = bytes[8] | (size_t(bytes[9]) << 8) | (size_t(bytes[10]) << 16) |
                     (size_t(bytes[11]) << 24);
        header_start = 12;
    } else {
        throw FormatError(name + ": unsupported .npy version " + std::to_string(major) + "." +
                          std::to_string(bytes[7]));
    }
    if (header_len > bytes.size() - header_start)
        throw FormatError(name + ": .npy header truncated");
    const std::string header(reinterpret_cast<const char*>(bytes.data() + header_start),
                             header_len);

    NpyArray array;
    std::string descr = dict_value(header, "descr", name);
    if (descr.size() < 3 || descr.front() != '\'' || descr.back() != '\'')
        throw FormatError(name + ": .npy descr is not a simple dtype string: " + descr);
    array.descr = descr.substr(1, descr.size() - 2);
    if (array.descr.size() < 3 ||
        (array.descr[0] != '<' && array.descr[0] != '|' && array.descr[0] != '>'))
        throw FormatError(name + ": unsupported .npy dtype '" + array.descr + "'");
    // Numbers only (int, unsigned, float, bool): "<U1" is a 4-byte unicode character and "|S1"
    // a byte string, not numbers, whatever their size digit says.
    if (array.descr[1] == 0 || std::strchr("iufb", array.descr[1]) == nullptr)
        throw FormatError(name + ": unsupported .npy dtype '" + array.descr +
                          "' (not a numeric type)");
    if (array.descr[0] == '>' && array.element_size() > 1)
        throw FormatError(name + ": big-endian .npy dtype '" + array.descr + "' is not supported");
    const std::string fortran = dict_value(header, "fortran_order", name);
    if (fortran != "False")
        throw FormatError(name + ": Fortran-order .npy arrays are not supported");
    const std::string shape = dict_value(header, "shape", name);
    if (shape.size() < 2 || shape.front() != '(')
        throw FormatError(name + ": .npy shape malformed");
    array.shape = parse_shape(shape, name);

    const unsigned esize = array.element_size();
    if (esize == 0 || esize > 8)
        throw FormatError(name + ": unsupported .npy dtype '" + array.descr + "'");
    uint64_t count = 1;
    for (uint64_t d : array.shape) {
        if (d != 0 && count > kMaxElements / d) throw FormatError(name + ": .npy shape too large");
        count *= d;
    }
    const size_t data_start = header_start + header_len;
    const uint64_t need = count * esize;
    if (bytes.size() - data_start != need)
        throw FormatError(name + ": .npy data size " + std::to_string(bytes.size() - data_start) +
                          " bytes does not match shape (" + std::to_string(need) + " bytes)" +
                          (bytes.size() - data_start < need ? ", file truncated" : ""));
    array.data.assign(bytes.begin() + long(data_start), bytes.end());
    return array;
}

NpyArray read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::vector<uint8_t> npy_header(const std::string& descr, const std::vector<uint64_t>& shape,
                                const std::string& path) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i) {
        header += std::to_string(shape[i]);
        header += (shape.size() == 1 || i + 1 < shape.size()) ? ", " : "";
    }
    if (!shape.empty() && header.back() == ' ') header.pop_back();
    header += "), }";
    // Pad so that the data starts at a multiple of 64 bytes, ending the header with '\n'.
    const size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    if (header.size() > 65535) throw InputError(path + ": .npy header too long");
    static constexpr uint8_t kMagic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    std::vector<uint8_t> out(10 + header.size());
    std::memcpy(out.data(), kMagic, 8);
    out[8] = uint8_t(header.size() & 0xFF);
    out[9] = uint8_t(header.size() >> 8);
    std::memcpy(out.data() + 10, header.data(), header.size());
    return out;
}

void write_npy(const std::string& path, const std::string& descr,
               const std::vector<uint64_t>& shape, const uint8_t* data, size_t size) {
    const std::vector<uint8_t> header = npy_header(descr, shape, path);
    AtomicFile f(path);
    f.write(header.data(), header.size());
    f.write(data, size);
    f.commit();
}

void write_npy(const std::string& path, const NpyArray& array) {
    write_npy(path, array.descr, array.shape, array.data.data(), array.data.size());
}

}  // namespace embzip
