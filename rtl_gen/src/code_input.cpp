// SPDX-License-Identifier: MIT
// The generator's input: a code from code.json (checked field by field) or from a coded table.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/rtl/generator.hpp"

namespace embzip::rtl {

namespace {

using Json = nlohmann::json;

[[noreturn]] void bad(const std::string& name, const std::string& what) {
    throw FormatError(name + ": " + what);
}

const Json& field(const Json& j, const char* key, const std::string& name,
                  const std::string& path) {
    if (!j.is_object() || !j.contains(key)) bad(name, "missing field " + path + key);
    return j.at(key);
}

uint64_t number(const Json& j, const char* key, const std::string& name, const std::string& path,
                uint64_t max) {
    const Json& v = field(j, key, name, path);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
        bad(name, path + key + ": expected a non-negative integer");
    const uint64_t x = v.get<uint64_t>();
    if (x > max)
        bad(name, path + key + ": " + std::to_string(x) + " exceeds " + std::to_string(max));
    return x;
}

unsigned ceil_log2(size_t n) {
    unsigned s = 0;
    while ((size_t(1) << s) < n) ++s;
    return s;
}

}  // namespace

unsigned RtlCode::max_code_len() const {
    unsigned m = 0;
    for (const CodeLengths& b : books) m = std::max(m, b.max_len());
    return m;
}

RtlCode parse_code_json(const std::string& text, const std::string& name) {
    Json j;
    try {
        j = Json::parse(text);
    } catch (const Json::exception& e) {
        bad(name, std::string("not JSON: ") + e.what());
    }
    // A non-string "format" must not reach json::value (its type error names no file).
    if (!j.is_object() || !j.contains("format") || !j["format"].is_string() ||
        j["format"] != "embzip-code")
        bad(name, "not an embzip code.json (format)");
    if (number(j, "version", name, "", 1000) != 1) bad(name, "unsupported code.json version");
    RtlCode c;
    const Json& method = field(j, "method", name, "");
    if (!method.is_string()) bad(name, "method: expected a string");
    c.method = method.get<std::string>();
    const uint64_t bits = number(j, "symbol_bits", name, "", 8);
    if (bits != 4 && bits != 8)
        bad(name, "symbol_bits: must be 4 or 8, got " + std::to_string(bits));
    c.spec.bits = uint8_t(bits);
    const Json& split = field(j, "split", name, "");
    if (!split.is_string()) bad(name, "split: expected a string");
    if (bits == 4) {
        try {
            c.spec.split = parse_split(split.get<std::string>());
        } catch (const Error& e) {
            bad(name, std::string("split: ") + e.what());
        }
    }
    c.dim = uint32_t(number(j, "dim", name, "", CodeGeometry::kMaxDim));
    if (c.dim == 0) bad(name, "dim: must be >= 1");
    c.symbols_per_row = uint32_t(number(j, "symbols_per_row", name, "", 2 * CodeGeometry::kMaxDim));
    if (c.symbols_per_row != c.dim * c.spec.per_byte())
        bad(name, "symbols_per_row: must be dim * " + std::to_string(c.spec.per_byte()));
    c.selector_bits = uint32_t(number(j, "selector_bits", name, "", 8));
    c.row_bits = uint32_t(number(j, "row_bits", name, "", UINT32_MAX));
    c.pitch_bits = uint32_t(number(j, "pitch_bits", name, "", UINT32_MAX));
    if (c.pitch_bits < c.row_bits || c.pitch_bits == 0)
        bad(name, "pitch_bits: must be >= row_bits and >= 1");
    const Json& order = field(j, "bit_order", name, "");
    if (!order.is_string() || order.get<std::string>() != "msb_first")
        bad(name, "bit_order: only msb_first is supported");

    const Json& books = field(j, "books", name, "");
    if (!books.is_array() || books.empty()) bad(name, "books: expected a non-empty array");
    if (books.size() > CodeGeometry::kMaxBooks)
        bad(name, "books: at most " + std::to_string(CodeGeometry::kMaxBooks) + " code books");
    if (c.selector_bits != ceil_log2(books.size()))
        bad(name, "selector_bits: must be ceil(log2(" + std::to_string(books.size()) + "))");
    for (size_t b = 0; b < books.size(); ++b) {
        const std::string path = "books[" + std::to_string(b) + "].";
        const Json& symbols = field(books[b], "symbols", name, path);
        if (!symbols.is_array() || symbols.empty())
            bad(name, path + "symbols: expected a non-empty array");
        CodeLengths len;
        len.alphabet = c.spec.alphabet();
        std::vector<std::string> codes(len.alphabet);
        for (size_t k = 0; k < symbols.size(); ++k) {
            const std::string p = path + "symbols[" + std::to_string(k) + "].";
            const uint64_t s = number(symbols[k], "symbol", name, p, len.alphabet - 1);
            const uint64_t l = number(symbols[k], "length", name, p, 255);
            if (l == 0) bad(name, p + "length: must be >= 1");
            // The one refusal a well-formed file can meet: say what to encode with.
            if (l > RtlGeometry::kMaxCodeLen)
                throw InputError(name + ": " + p + "length " + std::to_string(l) + " exceeds the " +
                                 std::to_string(RtlGeometry::kMaxCodeLen) +
                                 " code bits the generated decoder supports; re-encode with "
                                 "embzip encode --max-code-len " +
                                 std::to_string(RtlGeometry::kMaxCodeLen) +
                                 " (or smaller: it bounds the decoder's comparator width)");
            if (len.len[s]) bad(name, p + "symbol: " + std::to_string(s) + " appears twice");
            len.len[s] = uint8_t(l);
            const Json& code = field(symbols[k], "code", name, p);
            if (!code.is_string()) bad(name, p + "code: expected a string of 0/1");
            codes[s] = code.get<std::string>();
        }
        if (!len.kraft_ok()) bad(name, path + "symbols: lengths violate the Kraft inequality");
        // The code strings must be the canonical code of the lengths: the hardware is built
        // from the lengths, so a file whose codes differ would be decoded wrongly.
        const CanonicalCode canon = make_canonical(len);
        for (unsigned s = 0; s < len.alphabet; ++s)
            if (len.len[s] && codes[s] != code_string(canon, s))
                bad(name, path + "symbol " + std::to_string(s) + ": code '" + codes[s] +
                              "' is not the canonical code '" + code_string(canon, s) + "'");
        c.books.push_back(len);
    }
    // Overflow fields: absent in code.json files written before the overflow layout (no overflow).
    if (j.contains("overflow")) {
        const Json& ovf = j.at("overflow");
        if (!ovf.is_boolean()) bad(name, "overflow: expected true or false");
        c.overflow = ovf.get<bool>();
    }
    if (c.overflow) {
        c.index_bits = uint32_t(number(j, "index_bits", name, "", RtlGeometry::kMaxIndexBits));
        if (c.index_bits == 0) bad(name, "index_bits: must be >= 1 with overflow");
        c.overflow_rows = number(j, "overflow_rows", name, "", uint64_t(1) << c.index_bits);
        // A table may overflow rows of any length, but a slot holds at least flag + index.
        if (c.row_bits < 1 + c.index_bits)
            bad(name, "row_bits: too small for the overflow flag and index");
    } else {
        if (c.row_bits < c.selector_bits + c.symbols_per_row)
            bad(name, "row_bits: too small for the row's symbols");
    }
    return c;
}

RtlCode read_code_json(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file(path);
    return parse_code_json(std::string(bytes.begin(), bytes.end()), path);
}

RtlCode rtl_code_of(const CodedTable& t) {
    RtlCode c;
    c.method = t.method;
    c.spec = t.spec;
    c.dim = t.dim;
    c.symbols_per_row = t.dim * t.spec.per_byte();
    c.selector_bits = t.selector_bits;
    c.row_bits = t.row_bits;
    c.pitch_bits = t.pitch_bits;
    c.books = t.books;
    for (CodeLengths& b : c.books) b.alphabet = t.spec.alphabet();
    c.overflow = t.overflow;
    c.index_bits = t.overflow ? t.index_bits : 0;
    c.overflow_rows = t.overflow ? t.overflow_rows : 0;
    return c;
}

uint64_t code_hash(const RtlCode& c) {
    // FNV-1a over the fields the hardware depends on; the method name is only a label.
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](uint64_t v, unsigned bytes) {
        for (unsigned i = 0; i < bytes; ++i) {
            h ^= (v >> (8 * i)) & 0xFF;
            h *= 1099511628211ull;
        }
    };
    mix(c.spec.bits, 1);
    mix(uint8_t(c.spec.split), 1);
    mix(c.dim, 4);
    mix(c.selector_bits, 4);
    mix(c.row_bits, 4);
    mix(c.pitch_bits, 4);
    mix(c.books.size(), 4);
    for (const CodeLengths& b : c.books)
        for (unsigned s = 0; s < c.spec.alphabet(); ++s) mix(b.len[s], 1);
    // Mixed in only with overflow, so the hashes (and cached models) of other codes stay.
    if (c.overflow) {
        mix(0x0F, 1);
        mix(c.index_bits, 4);
        mix(c.overflow_rows, 8);
    }
    return h;
}

std::string hex64(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

void check_supported(const RtlCode& code, const DecoderConfig& config) {
    validate(config);
    if (config.arch == DecoderArch::Lut && config.lut_bits > RtlGeometry::kMaxLutBits)
        throw InputError("--lut-bits: the generator supports up to " +
                         std::to_string(RtlGeometry::kMaxLutBits) +
                         " (a 2^B-entry ROM per book), got " + std::to_string(config.lut_bits));
    if (code.books.empty() || code.books.size() > RtlGeometry::kMaxBooks)
        throw InputError("code: 1.." + std::to_string(RtlGeometry::kMaxBooks) +
                         " code books, got " + std::to_string(code.books.size()));
    if (code.max_code_len() > RtlGeometry::kMaxCodeLen)
        throw InputError(
            "code length " + std::to_string(code.max_code_len()) + " exceeds the " +
            std::to_string(RtlGeometry::kMaxCodeLen) +
            " bits the generated decoder supports; re-encode with embzip encode --max-code-len " +
            std::to_string(RtlGeometry::kMaxCodeLen));
    if (code.pitch_bits > RtlGeometry::kMaxPitchBits)
        throw InputError("row pitch " + std::to_string(code.pitch_bits) +
                         " bits: the decoder buffers a row in "
                         "flip-flops and supports up to " +
                         std::to_string(RtlGeometry::kMaxPitchBits));
    // A one-symbol book is an incomplete code (Kraft sum 1/2): half of the 1-bit words decode to
    // nothing, and a book with one value needs no decoder at all.
    for (size_t b = 0; b < code.books.size(); ++b) {
        unsigned used = 0;
        for (unsigned s = 0; s < code.books[b].alphabet; ++s) used += code.books[b].len[s] != 0;
        if (used < 2)
            throw InputError("code: book " + std::to_string(b) + " has " + std::to_string(used) +
                             " symbol(s); the generated decoder needs at least 2 per book (a "
                             "one-symbol book is an incomplete code, and a column of one value "
                             "needs no decoder)");
    }
    if (code.selector_bits != ceil_log2(code.books.size()))
        throw InputError("code: selector bits do not match the number of books");
    if (code.overflow &&
        (code.index_bits < 1 || code.index_bits > RtlGeometry::kMaxIndexBits ||
         code.pitch_bits < 1 + code.index_bits ||
         (code.index_bits < 64 && code.overflow_rows > (uint64_t(1) << code.index_bits))))
        throw InputError("code: overflow index of " + std::to_string(code.index_bits) +
                         " bits must be 1.." + std::to_string(RtlGeometry::kMaxIndexBits) +
                         ", fit the slot and address every overflow row");
}

}  // namespace embzip::rtl
