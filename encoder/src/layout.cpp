// SPDX-License-Identifier: MIT
// Fixed-width row coding: encoder and the random-access row decoder.
#include "embzip/layout.hpp"

#include <array>
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


inline uint64_t load_be64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

}  // namespace

uint64_t stored_bytes(uint64_t rows, uint32_t dim, SymbolSpec spec, size_t books,
                      uint32_t pitch_bits, QuantKind quant, bool overflow, uint64_t overflow_rows,
                      uint64_t raw_plane_bytes) {
    // Mirrors write_ezt: 64-byte header, then sections of 16-byte header + body.
    uint64_t bytes = 64 + (16 + books * spec.alphabet()) + (16 + (rows * pitch_bits + 7) / 8);
    if (quant == QuantKind::Symmetric) bytes += 16 + 8;
    if (quant == QuantKind::Rowwise) bytes += 16 + 8 * rows;
    if (overflow) bytes += 16 + 8 + overflow_rows * dim;
    if (raw_plane_bytes) bytes += 16 + raw_plane_bytes;
    return bytes;
}

uint64_t CodedTable::stored_bytes() const {
    return embzip::stored_bytes(rows, dim, spec, books.size(), pitch_bits, quant.kind, overflow,
                                overflow_rows, raw_plane.size());
}

CodedTable encode_table(const Table& table, const CodeResult& result, unsigned align_bits) {
    if (result.books.empty())
        throw InputError(std::string(method_name(result.method)) + " is a bound, not an encoding");
    if (result.books.size() > CodeGeometry::kMaxBooks) throw InputError("too many code books");
    if (align_bits == 0 || align_bits > 4096)
        throw InputError("--align must be between 1 and 4096 bits");
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
    // Room for one row that overruns its slot (each byte's code is at most 64 bits): the fast
    // path below writes a row first and checks its length after, then throws.
    out.payload.assign(out.payload_bytes() + CodedTable::kPayloadSlack + 8ull * table.dim + 8, 0);

    std::vector<std::vector<ByteCode>> codes;
    for (const CodeLengths& book : out.books)
        codes.push_back(byte_codes(make_canonical(book), out.spec));
    out.overflow = result.overflow.enabled;
    out.index_bits = result.overflow.index_bits;
    const unsigned flag_bits = out.overflow ? 1 : 0;
    if (out.overflow &&
        (out.index_bits < 1 || out.index_bits > 40 || out.row_bits < 1 + out.index_bits))
        throw InputError("overflow index width does not fit the row width");
    const uint64_t code_budget = out.row_bits - flag_bits - out.selector_bits;
    // In-place rows need selector + codes <= threshold; longer ones overflow.
    const uint64_t threshold = out.overflow ? std::min<uint64_t>(result.overflow.threshold_bits,
                                                                 code_budget + out.selector_bits)
                                            : code_budget + out.selector_bits;
    // Per book, the coded length of each byte value (0: not codable), for choosing the book.
    std::vector<std::array<uint16_t, 256>> byte_len(codes.size());
    for (size_t b = 0; b < codes.size(); ++b)
        for (unsigned v = 0; v < 256; ++v) byte_len[b][v] = codes[b][v].len;
    BitWriter writer(out.payload.data());
    for (uint64_t r = 0; r < table.rows; ++r) {
        const uint8_t* row = table.row(r);
        // The book that codes this row shortest (ties: the lower index), as evaluate() chose.
        // Lengths are checked before anything is written, so a code that does not fit this
        // table can never write past the row.
        if (codes.size() == 1 && !out.overflow) {
            // One book, no overflow: no choice to make, so write and count in one pass.
            const ByteCode* bc = codes[0].data();
            uint64_t bits = 0;
            bool ok = true;
            for (uint32_t c = 0; c < table.dim; ++c) {
                const ByteCode& code = bc[row[c]];
                bits += code.len;
                ok &= code.len != 0;
                if (code.len <= 32) {
                    writer.put(code.bits, code.len);
                } else {
                    writer.put(code.bits >> 32, code.len - 32u);
                    writer.put(code.bits & 0xFFFFFFFFu, 32);
                }
            }
            if (!ok)
                throw InputError("row " + std::to_string(r) +
                                 " has a symbol the code book does not code");
            if (bits > code_budget)
                throw InputError("row " + std::to_string(r) + " needs " + std::to_string(bits) +
                                 " bits, more than the row width allows");
            writer.zeros(out.pitch_bits - bits);
            continue;
        }
        size_t book = 0;
        uint64_t bits = UINT64_MAX;
        for (size_t b = 0; b < codes.size(); ++b) {
            const uint16_t* len = byte_len[b].data();
            uint64_t sum = 0;
            bool ok = true;
            for (uint32_t c = 0; c < table.dim; ++c) {
                sum += len[row[c]];
                ok &= len[row[c]] != 0;
            }
            if (ok && sum < bits) {
                bits = sum;
                book = b;
            }
        }
        if (out.overflow && (bits == UINT64_MAX || out.selector_bits + bits > threshold)) {
            if (out.overflow_rows >> out.index_bits)
                throw InputError("more overflow rows than " + std::to_string(out.index_bits) +
                                 " index bits can address");
            writer.put(1, 1);
            writer.put(out.overflow_rows >> 32, out.index_bits > 32 ? out.index_bits - 32 : 0);
            writer.put(out.overflow_rows & 0xFFFFFFFFu, std::min(out.index_bits, 32u));
            out.overflow_region.insert(out.overflow_region.end(), row, row + table.dim);
            ++out.overflow_rows;
            writer.zeros(out.pitch_bits - 1 - out.index_bits);
            continue;
        }
        if (bits == UINT64_MAX)
            throw InputError("row " + std::to_string(r) + " has a symbol no code book codes");
        if (bits > code_budget)
            throw InputError("row " + std::to_string(r) + " needs " + std::to_string(bits) +
                             " bits, more than the row width allows");
        if (out.overflow) writer.put(0, 1);
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
        writer.zeros(out.pitch_bits - flag_bits - out.selector_bits - bits);
    }
    writer.flush();
    out.payload.resize(out.payload_bytes() + CodedTable::kPayloadSlack);
    std::fill(out.payload.begin() + long(out.payload_bytes()), out.payload.end(), 0);
    return out;
}

const char* status_message(Status status) {
    switch (status) {
        case Status::Ok:
            return "ok";
        case Status::OutOfRange:
            return "row index out of range";
        case Status::BadSelector:
            return "code book selector names a book that does not exist";
        case Status::BadCode:
            return "bit pattern is not a code of the row's book";
        case Status::RowOverrun:
            return "row's codes run past the row width";
        case Status::BadOverflowIndex:
            return "overflow index points past the overflow region";
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
        if (table.spec.bits == 4) {
            constexpr unsigned P = kPairLutBits;
            b.pair_lut.assign(size_t(1) << P, 0);
            for (unsigned hi = 0; hi < 16; ++hi)
                for (unsigned lo = 0; lo < 16; ++lo) {
                    const unsigned lh = lengths.len[hi], ll = lengths.len[lo];
                    if (lh == 0 || ll == 0 || lh + ll > P) continue;
                    const uint32_t code = b.code.code[hi] << ll | b.code.code[lo];
                    const uint32_t first = code << (P - lh - ll), span = 1u << (P - lh - ll);
                    const uint32_t byte = split_inverse(table.spec.split, uint8_t(hi << 4 | lo));
                    for (uint32_t i = 0; i < span; ++i)
                        b.pair_lut[first + i] = byte << 16 | (lh + ll) << 8 | 1;
                }
        }
        m_books.push_back(std::move(b));
    }
}

namespace detail {

// MSB-first reader over the payload. `bits` holds the next `valid` (>= 32 after refill())
// bits left-aligned. Callers refill only at positions <= the row's end, so the 8-byte load
// stays inside the payload plus its slack.
struct BitReader {
    const uint8_t* base;
    uint64_t pos;
    uint64_t bits = 0;
    unsigned valid = 0;
    void refill() {
        bits = load_be64(base + (pos >> 3)) << (pos & 7);
        valid = 64 - unsigned(pos & 7);
    }
    void consume(unsigned n) {
        bits <<= n;
        valid -= n;
        pos += n;
    }
};

}  // namespace detail

// Decoding state of one row, advanced one output byte at a time so that several rows can be
// interleaved (independent dependency chains keep the core busy).
struct RowDecoder::Cursor {
    detail::BitReader r;
    const Book* book = nullptr;
    uint64_t end = 0;
    uint8_t* out = nullptr;
    Status status = Status::Ok;
};

RowDecoder::Start RowDecoder::start(uint64_t index, uint8_t* out, Cursor& c) const {
    const CodedTable& t = m_table;
    c.out = out;
    c.status = Status::Ok;
    if (index >= t.rows) {
        c.status = Status::OutOfRange;
        return Start::Failed;
    }
    c.r = detail::BitReader{t.payload.data(), index * t.pitch_bits};
    c.end = c.r.pos + t.row_bits;
    c.r.refill();
    if (t.overflow) {
        const bool flagged = c.r.bits >> 63;
        c.r.consume(1);
        if (flagged) {
            // index_bits <= 40 < the 56 bits still valid after the flag.
            const uint64_t k = c.r.bits >> (64 - t.index_bits);
            if (k >= t.overflow_rows) {
                c.status = Status::BadOverflowIndex;
                return Start::Failed;
            }
            std::memcpy(out, t.overflow_region.data() + k * t.dim, t.dim);
            return Start::Done;
        }
    }
    size_t book = 0;
    if (t.selector_bits) {
        book = size_t(c.r.bits >> (64 - t.selector_bits));
        c.r.consume(t.selector_bits);
        if (book >= m_books.size()) {
            c.status = Status::BadSelector;
            return Start::Failed;
        }
    }
    c.book = &m_books[book];
    return Start::Decode;
}

// Codes longer than the lookup table: canonical search, one comparison per length.
// Returns the symbol or -1 for a bad code. @pre c.r.valid >= 32.
int RowDecoder::slow_symbol(Cursor& c) const {
    constexpr unsigned B = CodeGeometry::kLutBits;
    const Book& b = *c.book;
    const uint16_t e = b.lut[c.r.bits >> (64 - B)];
    if (e & 0xFF) {
        c.r.consume(e & 0xFF);
        return e >> 8;
    }
    const uint32_t w = uint32_t(c.r.bits >> 32);
    for (unsigned len = B + 1; len <= b.max_len; ++len) {
        const uint32_t offset = (w >> (32 - len)) - b.code.first_code[len];
        if (offset < b.code.count[len]) {
            c.r.consume(len);
            return b.code.sorted[b.code.first_index[len] + offset];
        }
    }
    return -1;
}

bool RowDecoder::slow_step(Cursor& c, uint32_t j) const {
    if (m_table.spec.bits == 8) {
        const int s = slow_symbol(c);
        if (s < 0) return fail(c, Status::BadCode);
        c.out[j] = uint8_t(s);
        return true;
    }
    const int hi = slow_symbol(c);
    if (hi < 0) return fail(c, Status::BadCode);
    if (c.r.valid < 32) {
        if (c.r.pos > c.end) return fail(c, Status::RowOverrun);
        c.r.refill();
    }
    const int lo = slow_symbol(c);
    if (lo < 0) return fail(c, Status::BadCode);
    c.out[j] = split_inverse(m_table.spec.split, uint8_t(hi << 4 | lo));
    return true;
}

bool RowDecoder::fail(Cursor& c, Status s) {
    c.status = s;
    return false;
}

// One output byte. The fast path is one table lookup; a row that has run past its end is
// caught before the reader refills (so it never reads beyond the payload's slack) and at
// the end of the row (finish()).
template <unsigned Bits>
inline bool RowDecoder::step(Cursor& c, uint32_t j) const {
    if (c.r.valid < 32) {
        if (c.r.pos > c.end) return fail(c, Status::RowOverrun);
        c.r.refill();
    }
    const Book& b = *c.book;
    if constexpr (Bits == 8) {
        const uint16_t e = b.lut[c.r.bits >> (64 - CodeGeometry::kLutBits)];
        if (__builtin_expect((e & 0xFF) != 0, 1)) {
            c.r.consume(e & 0xFF);
            c.out[j] = uint8_t(e >> 8);
            return true;
        }
    } else {
        const uint32_t e = b.pair_lut[c.r.bits >> (64 - kPairLutBits)];
        if (__builtin_expect(e != 0, 1)) {
            c.r.consume((e >> 8) & 0xFF);
            c.out[j] = uint8_t(e >> 16);
            return true;
        }
    }
    return slow_step(c, j);
}

Status RowDecoder::finish(Cursor& c) {
    if (c.status == Status::Ok && c.r.pos > c.end) c.status = Status::RowOverrun;
    return c.status;
}

Status RowDecoder::decode_row(uint64_t index, uint8_t* out) const {
    Cursor c;
    const Start how = start(index, out, c);
    if (how != Start::Decode) return c.status;
    const uint32_t dim = m_table.dim;
    if (m_table.spec.bits == 8) {
        for (uint32_t j = 0; j < dim; ++j)
            if (!step<8>(c, j)) return c.status;
    } else {
        for (uint32_t j = 0; j < dim; ++j)
            if (!step<4>(c, j)) return c.status;
    }
    return finish(c);
}

template <unsigned Bits>
Status RowDecoder::decode_group(const uint64_t* indices, size_t count, uint8_t* out) const {
    constexpr size_t kWays = 2;
    const uint32_t dim = m_table.dim;
    size_t i = 0;
    for (; i + kWays <= count; i += kWays) {
        Cursor c[kWays];
        size_t decode = 0;
        for (size_t w = 0; w < kWays; ++w) {
            const Start how = start(indices[i + w], out + (i + w) * dim, c[w]);
            if (how == Start::Failed) return c[w].status;
            decode += how == Start::Decode;
        }
        if (decode != kWays) {
            // An overflowed row is already copied; decode the others one at a time.
            for (size_t w = 0; w < kWays; ++w) {
                if (c[w].book == nullptr) continue;
                const Status s = decode_row(indices[i + w], out + (i + w) * dim);
                if (s != Status::Ok) return s;
            }
            continue;
        }
        bool ok = true;
        for (uint32_t j = 0; ok && j < dim; ++j) {
            bool all = true;
            for (size_t w = 0; w < kWays; ++w) all &= step<Bits>(c[w], j);
            ok = all;
        }
        for (size_t w = 0; w < kWays; ++w)
            if (finish(c[w]) != Status::Ok) return c[w].status;
    }
    for (; i < count; ++i) {
        const Status s = decode_row(indices[i], out + i * dim);
        if (s != Status::Ok) return s;
    }
    return Status::Ok;
}

Status RowDecoder::decode_rows(const uint64_t* indices, size_t count, uint8_t* out) const {
    return m_table.spec.bits == 8 ? decode_group<8>(indices, count, out)
                                  : decode_group<4>(indices, count, out);
}

SlotHeader slot_header(const CodedTable& t, uint64_t row) {
    uint64_t p = row * t.pitch_bits;
    auto bit = [&t](uint64_t q) { return unsigned(t.payload[q >> 3] >> (7 - (q & 7))) & 1u; };
    SlotHeader h;
    if (t.overflow && bit(p++)) {
        h.overflowed = true;
        for (unsigned b = 0; b < t.index_bits; ++b) h.overflow_index = h.overflow_index << 1 | bit(p++);
        return h;
    }
    for (unsigned b = 0; b < t.selector_bits; ++b) h.book = h.book << 1 | bit(p++);
    return h;
}

CodedTable encode_float_planes(const FloatPlanes& planes, FloatKind kind, const CodeResult& result,
                               unsigned align_bits) {
    CodedTable out = encode_table(planes.exponents, result, align_bits);
    out.float_kind = uint8_t(kind);
    out.raw_bits = planes.raw_bits;
    out.raw_plane = planes.raw;
    return out;
}

CodedTable encode_float_table(const FloatTable& table, const CodeResult& result, unsigned align_bits) {
    return encode_float_planes(split_planes(table), table.kind, result, align_bits);
}

Status RowDecoder::decode_values(uint64_t index, uint8_t* out) const {
    const CodedTable& t = m_table;
    if (!t.is_float()) return decode_row(index, out);
    thread_local std::vector<uint8_t> exponents;
    exponents.resize(t.dim);
    const Status s = decode_row(index, exponents.data());
    if (s != Status::Ok) return s;
    merge_row(exponents.data(), t.raw_plane.data() + index * t.raw_row_bytes(), t.dim,
              FloatKind(t.float_kind), out);
    return Status::Ok;
}

FloatTable decode_float_table(const CodedTable& table) {
    if (!table.is_float()) throw FormatError("not a float table");
    const Table exponents = decode_table(table);
    return merge_planes(exponents, table.raw_plane.data(), FloatKind(table.float_kind));
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
        if (s != Status::Ok)
            throw FormatError("row " + std::to_string(r) + ": " + status_message(s));
    }
    return out;
}

}  // namespace embzip
