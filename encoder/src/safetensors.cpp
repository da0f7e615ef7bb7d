// SPDX-License-Identifier: MIT
#include "embzip/safetensors.hpp"

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"

namespace embzip {

namespace {

constexpr uint64_t kMaxHeader = 100u << 20;

const std::map<std::string, unsigned> kElementSize = {
    {"BF16", 2}, {"F16", 2}, {"F32", 4}, {"F64", 8}, {"I8", 1},
    {"U8", 1},   {"I16", 2}, {"U16", 2}, {"I32", 4}, {"I64", 8}};

struct Parsed {
    nlohmann::json header;
    size_t data_start = 0;
};

Parsed parse(const std::vector<uint8_t>& bytes, const std::string& path) {
    if (bytes.size() < 8)
        throw FormatError(path + ": not a safetensors file (shorter than 8 bytes)");
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    if (n > kMaxHeader || n > bytes.size() - 8)
        throw FormatError(path + ": safetensors header length out of range");
    Parsed p;
    try {
        p.header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + long(n));
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path + ": safetensors header is not valid JSON");
    }
    if (!p.header.is_object())
        throw FormatError(path + ": safetensors header is not a JSON object");
    p.data_start = 8 + n;
    return p;
}

}  // namespace

std::vector<std::string> safetensor_names(const std::string& path) {
    const Parsed p = parse(read_file(path), path);
    std::vector<std::string> names;
    for (auto it = p.header.begin(); it != p.header.end(); ++it)
        if (it.key() != "__metadata__") names.push_back(it.key());
    return names;
}

SafeTensor read_safetensor(const std::string& path, const std::string& wanted) {
    const std::vector<uint8_t> bytes = read_file(path);
    const Parsed p = parse(bytes, path);
    std::string name = wanted;
    if (name.empty()) {
        std::vector<std::string> names;
        for (auto it = p.header.begin(); it != p.header.end(); ++it)
            if (it.key() != "__metadata__") names.push_back(it.key());
        if (names.size() != 1) {
            std::string list;
            for (const auto& s : names) list += (list.empty() ? "" : ", ") + s;
            throw InputError(path + ": holds " + std::to_string(names.size()) +
                             " tensors; choose one with --tensor (" + list + ")");
        }
        name = names[0];
    }
    if (!p.header.contains(name) || name == "__metadata__")
        throw InputError(path + ": no tensor named '" + name + "'");
    const nlohmann::json& t = p.header[name];
    SafeTensor out;
    out.name = name;
    try {
        out.dtype = t.at("dtype").get<std::string>();
        // Each dimension must be a non-negative integer: get<uint64_t> would wrap -1 to 2^64-1.
        const nlohmann::json& shape = t.at("shape");
        if (!shape.is_array())
            throw FormatError(path + ": tensor '" + name + "' shape is not an array");
        for (const nlohmann::json& d : shape) {
            if (!d.is_number_unsigned())
                throw FormatError(path + ": tensor '" + name + "' shape has " +
                                  (d.is_number_integer() ? "a negative dimension " + d.dump()
                                                         : "a non-integer dimension " + d.dump()));
            out.shape.push_back(d.get<uint64_t>());
        }
        const auto offsets = t.at("data_offsets").get<std::vector<uint64_t>>();
        if (offsets.size() != 2 || offsets[0] > offsets[1] ||
            offsets[1] > bytes.size() - p.data_start)
            throw FormatError(path + ": tensor '" + name + "' data offsets lie outside the file");
        const auto size = kElementSize.find(out.dtype);
        if (size == kElementSize.end())
            throw InputError(path + ": tensor '" + name + "' has unsupported dtype " + out.dtype);
        uint64_t count = 1;
        for (uint64_t d : out.shape) {
            if (d != 0 && count > (uint64_t(1) << 40) / d)
                throw FormatError(path + ": tensor shape too large");
            count *= d;
        }
        if (count * size->second != offsets[1] - offsets[0])
            throw FormatError(path + ": tensor '" + name +
                              "' data size does not match its shape and dtype");
        out.data.assign(bytes.begin() + long(p.data_start + offsets[0]),
                        bytes.begin() + long(p.data_start + offsets[1]));
    } catch (const nlohmann::json::exception&) {
        throw FormatError(path + ": tensor '" + name + "' entry is malformed");
    }
    return out;
}

void write_safetensor(const std::string& path, const SafeTensor& t) {
    nlohmann::json h;
    h[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {0, t.data.size()}}};
    std::string header = h.dump();
    header.append((8 - header.size() % 8) % 8, ' ');
    std::vector<uint8_t> out(8);
    const uint64_t n = header.size();
    std::memcpy(out.data(), &n, 8);
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), t.data.begin(), t.data.end());
    write_file_atomic(path, out.data(), out.size());
}

}  // namespace embzip
