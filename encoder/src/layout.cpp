// SPDX-License-Identifier: MIT
// Fixed-width row coding: encoder and the random-access row decoder.
#include "embzip/layout.hpp"

#include <cstring>

#include "embzip/errors.hpp"
#include "embzip/histogram.hpp"

namespace embzip {

namespace {

// MSB-first bit writer into a pre-sized buffer. Holds fewer than 32 pending bits between
// calls, so a put of up to 32 bits never overflows the 64-bit accumulator.
class BitWriter {
public:
    explicit BitWriter(uint8_t* out) : m_out(out) {}
    void put(uint64_t value, unsigned len) {
        m_acc = (m_acc << len) | value;
        m_bits += len;
        if (m_bits >= 32) {
            m_bits -= 32;
            const uint32_t word = uint32_t(m_acc >> m_bits);
            m_out[m_pos] = uint8_t(word >> 24);
            m_out[m_pos + 1] = uint8_t(word >> 16);
            m_out[m_pos + 2] = uint8_t(word >> 8);
            m_out[m_pos + 3] = uint8_t(word);
            m_pos += 4;
        }
    }
    void zeros(uint64_t count) {
        for (; count >= 32; count -= 32) put(0, 32);
        if (count) put(0, unsigned(count));
    }
    void flush() {
        while (m_bits >= 8) {
            m_bits -= 8;
            m_out[m_pos++] = uint8_t(m_acc >> m_bits);
        }
        if (m_bits) m_out[m_pos++] = uint8_t(m_acc << (8 - m_bits));
        m_bits = 0;
    }

private:
    uint8_t* m_out;
    size_t m_pos = 0;
    uint64_t m_acc = 0;
    unsigned m_bits = 0;
};

// Per input byte and book: the concatenated code of the byte's symbols.
struct ByteCode {
    uint64_t bits;
    uint8_t len;  // 0: the book cannot code this byte
};

std::vector<ByteCode> byte_codes(const CanonicalCode& code, SymbolSpec spec) {
    std::vector<ByteCode> table(256);
    for (unsigned b = 0; b < 256; ++b) {
        uint8_t syms[2];
        const uint8_t byte = uint8_t(b);
        row_symbols(&byte, 1, spec, syms);
        uint64_t bits = 0;
        unsigned len = 0;
        bool ok = true;
        for (unsigned k = 0; k < spec.per_byte(); ++k) {
            const unsigned l = code.lengths.len[syms[k]];
            ok &= l != 0;
            bits = (bits << l) | code.code[syms[k]];
            len += l;
        }
        table[b] = ok ? ByteCode{bits, uint8_t(len)} : ByteCode{0, 0};
    }
    return table;
}

unsigned selector_bits_for(size_t books) {
    unsigned s = 0;
    while ((size_t(1) << s) < books) ++s;
    return s;
}

inline uint64_t load_be64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

}  // namespace

uint64_t CodedTable::stored_bytes() const {
    // Mirrors write_ezt: 64-byte header, then sections of 16-byte header + body.
    const uint64_t alphabet = spec.alphabet();
    uint64_t bytes = 64 + (16 + books.size() * alphabet) + (16 + payload_bytes());
    if (quant.kind == QuantKind::Symmetric) bytes += 16 + 8;
    if (quant.kind == QuantKind::Rowwise) bytes += 16 + 8 * rows;
    return bytes;
}

CodedTable encode_table(const Table& table, const CodeResult& result, unsigned align_bits) {
    if (result.books.empty()) throw InputError(std::string(method_name(result.method)) + " is a bound, not an encoding");
    if (result.books.size() > CodeGeometry::kMaxBooks) throw InputError("too many code books");
    if (align_bits == 0 || align_bits > 4096) throw InputError("--align must be between 1 and 4096 bits");
    CodedTable out;
    out.rows = table.rows;
    out.dim = table.dim;
    out.dtype = table.dtype;
    out.spec = result.spec;
    out.books = result.books;
    out.selector_bits = selector_bits_for(result.books.size());
    out.method = method_name(result.method);
    out.quant = table.quant;
    if (result.row_bits > UINT32_MAX - align_bits) throw InputError("row width too large");
    out.row_bits = uint32_t(result.row_bits);
    out.pitch_bits = (out.row_bits + align_bits - 1) / align_bits * align_bits;
    if (out.pitch_bits == 0) out.pitch_bits = align_bits;
    out.payload.assign(out.payload_bytes() + CodedTable::kPayloadSlack, 0);

    std::vector<std::vector<ByteCode>> codes;
    for (const CodeLengths& book : out.books) codes.push_back(byte_codes(make_canonical(book), out.spec));
    const uint64_t code_budget = out.row_bits - out.selector_bits;
    BitWriter writer(out.payload.data());
    for (uint64_t r = 0; r < table.rows; ++r) {
        const uint8_t* row = table.row(r);
        // The book that codes this row shortest (ties: the lower index), as evaluate() chose.
        size_t book = 0;
        uint64_t best = UINT64_MAX;
        for (size_t b = 0; b < codes.size(); ++b) {
            const ByteCode* bc = codes[b].data();
            uint64_t bits = 0;
            bool ok = true;
            for (uint32_t c = 0; c < table.dim; ++c) {
                bits += bc[row[c]].len;
                ok &= bc[row[c]].len != 0;
            }
            if (ok && bits < best) {
                best = bits;
                book = b;
            }
        }
        if (best > code_budget)
            throw InputError("row " + std::to_string(r) + " needs " +
                             (best == UINT64_MAX ? std::string("a symbol no book codes")
                                                 : std::to_string(best) + " bits, more than the row width allows"));
        if (out.selector_bits) writer.put(book, out.selector_bits);
        const ByteCode* bc = codes[book].data();
        for (uint32_t c = 0; c < table.dim; ++c) {
            const ByteCode& code = bc[row[c]];
            if (code.len <= 32) {
                writer.put(code.bits, code.len);
            } else {
                writer.put(code.bits >> 32, code.len - 32u);
                writer.put(code.bits & 0xFFFFFFFFu, 32);
            }
        }
        writer.zeros(out.pitch_bits - out.selector_bits - best);
    }
    writer.flush();
    return out;
}

const char* status_message(Status status) {
    switch (status) {
        case Status::Ok: return "ok";
        case Status::OutOfRange: return "row index out of range";
        case Status::BadSelector: return "code book selector names a book that does not exist";
        case Status::BadCode: return "bit pattern is not a code of the row's book";
        case Status::RowOverrun: return "row's codes run past the row width";
    }
    return "unknown status";
}

RowDecoder::RowDecoder(const CodedTable& table) : m_table(table) {
    if (table.payload.size() < table.payload_bytes() + CodedTable::kPayloadSlack)
        throw FormatError("coded table payload is shorter than its geometry");
    for (const CodeLengths& lengths : table.books) {
        Book b;
        b.code = make_canonical(lengths);
        b.max_len = lengths.max_len();
        constexpr unsigned B = CodeGeometry::kLutBits;
        b.lut.assign(size_t(1) << B, 0);
        for (unsigned s = 0; s < lengths.alphabet; ++s) {
            const unsigned l = lengths.len[s];
            if (l == 0 || l > B) continue;
            const uint32_t first = b.code.code[s] << (B - l), span = 1u << (B - l);
            for (uint32_t i = 0; i < span; ++i) b.lut[first + i] = uint16_t(s << 8 | l);
        }
        m_books.push_back(std::move(b));
    }
}

Status RowDecoder::decode_row(uint64_t index, uint8_t* out) const {
    const CodedTable& t = m_table;
    if (index >= t.rows) return Status::OutOfRange;
    const uint8_t* payload = t.payload.data();
    uint64_t pos = index * t.pitch_bits;
    const uint64_t end = pos + t.row_bits;
    // 32-bit window at bit `pos`; the payload's slack bytes make the 8-byte load safe.
    auto window = [&](uint64_t p) { return uint32_t(load_be64(payload + (p >> 3)) << (p & 7) >> 32); };
    size_t book = 0;
    if (t.selector_bits) {
        book = window(pos) >> (32 - t.selector_bits);
        pos += t.selector_bits;
        if (book >= m_books.size()) return Status::BadSelector;
    }
    const Book& b = m_books[book];
    constexpr unsigned B = CodeGeometry::kLutBits;
    const unsigned nsym = t.dim * t.spec.per_byte();
    uint8_t nibble_hi = 0;
    for (unsigned j = 0; j < nsym; ++j) {
        const uint32_t w = window(pos);
        const uint16_t e = b.lut[w >> (32 - B)];
        unsigned sym, len = e & 0xFF;
        if (len) {
            sym = e >> 8;
        } else {
            // Longer than the table: canonical search, one comparison per length.
            for (len = B + 1; len <= b.max_len; ++len) {
                const uint32_t code = w >> (32 - len);
                if (code - b.code.first_code[len] < b.code.count[len]) break;
            }
            if (len > b.max_len) return Status::BadCode;
            sym = b.code.sorted[b.code.first_index[len] + ((w >> (32 - len)) - b.code.first_code[len])];
        }
        pos += len;
        if (pos > end) return Status::RowOverrun;
        if (t.spec.bits == 8) {
            out[j] = uint8_t(sym);
        } else if (j & 1) {
            out[j >> 1] = split_inverse(t.spec.split, uint8_t(nibble_hi << 4 | sym));
        } else {
            nibble_hi = uint8_t(sym);
        }
    }
    return Status::Ok;
}

Table decode_table(const CodedTable& table) {
    const RowDecoder decoder(table);
    Table out;
    out.rows = table.rows;
    out.dim = table.dim;
    out.dtype = table.dtype;
    out.quant = table.quant;
    out.bytes.resize(out.size_bytes());
    for (uint64_t r = 0; r < table.rows; ++r) {
        const Status s = decoder.decode_row(r, out.bytes.data() + r * table.dim);
        if (s != Status::Ok) throw FormatError("row " + std::to_string(r) + ": " + status_message(s));
    }
    return out;
}

}  // namespace embzip
