// SPDX-License-Identifier: MIT
// Fixed-width row coding: encoder and the random-access row decoder.
#include "embzip/layout.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#include <immintrin.h>  // SSE4.1's minpos, used in a target("avx2") function only
#endif

#include "cpu_features.hpp"
#include "embzip/errors.hpp"
#include "embzip/histogram.hpp"
#include "parallel.hpp"

namespace embzip {

namespace {

// MSB-first bit writer into a pre-sized buffer with >= 8 bytes of room past the last bit.
// Branch-free: every flush stores 8 bytes at the current byte (the bits not yet final are
// rewritten by the next flush) and keeps fewer than 8 pending bits, so puts of up to 56 bits
// between flushes never overflow the 64-bit accumulator.
class BitWriter {
  public:
    static constexpr unsigned kMaxPut = 56;
    explicit BitWriter(uint8_t* out) : m_out(out) {}
    // @pre the bits pending since the last flush plus len <= kMaxPut; value < 2^len.
    void add(uint64_t value, unsigned len) {
        m_acc = (m_acc << (len & 63)) | value;
        m_bits += len;
    }
    void flush() {
        const uint64_t word = __builtin_bswap64(m_acc << (63 - m_bits) << 1);
        std::memcpy(m_out + m_pos, &word, 8);
        m_pos += m_bits >> 3;
        m_bits &= 7;
    }
    void put(uint64_t value, unsigned len) {  // @pre len <= 56
        add(value, len);
        flush();
    }
    void put_wide(uint64_t value, unsigned len) {  // any len <= 64
        if (len > 32) put(value >> 32, len - 32);
        put(value & 0xFFFFFFFFu, std::min(len, 32u));
    }
    void zeros(uint64_t count) {
        for (; count >= 32; count -= 32) put(0, 32);
        put(0, unsigned(count));
    }
    void finish() { flush(); }  // the last partial byte is already stored, zero padded

  private:
    uint8_t* m_out;
    size_t m_pos = 0;
    uint64_t m_acc = 0;
    unsigned m_bits = 0;
};

// The fast path's writer (one book, no overflow): like BitWriter, it stores 8 bytes at the
// current byte on every flush, so the bytes after its last bit hold zeros until it writes them.
// `Or` flushes merge into the bytes there instead (for a stream's last rows, whose stores reach
// into the next stream's first bytes). The state is two counters and the pending bits.
class RowStream {
  public:
    RowStream() = default;
    RowStream(uint8_t* out, uint64_t bit) : m_out(out), m_bit(bit), m_flushed(bit) {}
    uint64_t bit() const { return m_bit; }
    // @pre the bits added since the last flush plus those pending in its byte <= 56.
    void add(uint64_t value, unsigned len) {
        m_acc = (m_acc << (len & 63)) | value;
        m_bit += len;
    }
    template <bool Or>
    void flush() {
        const uint64_t byte = m_flushed >> 3;
        const unsigned pending = unsigned(m_bit - (byte << 3));
        const uint64_t word = __builtin_bswap64(m_acc << (63 - pending) << 1);
        uint8_t* at = m_out + byte;
        if constexpr (Or) {
            uint64_t old;
            std::memcpy(&old, at, 8);
            const uint64_t merged = old | word;
            std::memcpy(at, &merged, 8);
        } else {
            std::memcpy(at, &word, 8);
        }
        m_flushed = m_bit;
    }
    // Zero bits (a row's padding): stored already, as every flush writes zeros after its bits.
    // @pre flushed
    void skip(uint64_t count) {
        m_acc = count >= 64 ? 0 : m_acc << count;
        m_bit += count;
        m_flushed = m_bit;
    }
    // Undoes a row begun at bit `from` (flushed then): zeros from there to the end of the last
    // store, then goes on at `to`. @pre flushed; no other stream wrote after `from` since.
    void rewind(uint64_t from, uint64_t to) {
        const uint64_t first = from >> 3, end = (m_bit >> 3) + 8;
        const unsigned keep = unsigned(from & 7);  // the previous row's bits in the first byte
        m_out[first] = keep ? uint8_t(m_out[first] & (0xFF00u >> keep)) : 0;
        std::memset(m_out + first + 1, 0, end - first - 1);
        m_bit = m_flushed = to;
        const unsigned pending = unsigned(to & 7);
        m_acc = pending ? m_out[to >> 3] >> (8 - pending) : 0;
    }

  private:
    uint8_t* m_out = nullptr;
    uint64_t m_bit = 0;      // the next bit to write
    uint64_t m_flushed = 0;  // m_bit at the last flush; its byte is where the next store goes
    uint64_t m_acc = 0;      // the bits added, the last one lowest (older ones shift out)
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

namespace {

constexpr uint64_t kLongPair = 0x40, kUncodable = 0x80;

// A little-endian load's value in the byte order of the row: the first byte lowest.
inline uint16_t le16(uint16_t v) {
    if constexpr (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__) return __builtin_bswap16(v);
    return v;
}

// Per row, the book that codes it shortest (ties: the lower index), as evaluate() chose. With
// SSE2 and rows whose codable sums stay below 65535 bits (dim x the longest byte code), all
// books at once: per byte value one vector of every book's length (16-bit lanes, 65535 where
// the book cannot code the value), summed with saturation, so a lane that met an uncodable
// byte ends at 65535, above any codable sum. One load and one add per byte instead of one per
// byte and book. With AVX2, at most eight books, byte codes of at most 63 bits and a table of
// a MiB or more: two bytes a lookup, from a table of every value pair's lengths in 8-bit lanes
// (512 KiB; on the default table 90 % of the lookups hit 31 KiB of it, so it stays in L1;
// 16-bit lanes were no faster, missing L1) sign-extended, so that an uncodable pair's 0xFF is
// 65535. The sums are the same (saturating adds of non-negative lengths do not depend on the
// order). Building it costs ~0.1 ms, so small tables keep one byte a lookup.
class BookChooser {
  public:
    static constexpr uint64_t kPairTableMin = 1 << 20;  // table bytes

    BookChooser(const std::vector<std::array<uint16_t, 256>>& byte_len, uint32_t dim, uint64_t rows)
        : m_len(byte_len), m_dim(dim) {
#if defined(__SSE2__)
        uint64_t longest = 0;
        for (const auto& len : byte_len)
            for (uint16_t l : len) longest = std::max<uint64_t>(longest, l);
        m_lanes = byte_len.size() <= 16 && uint64_t(dim) * longest < 0xFFFF;
        for (unsigned v = 0; v < 256; ++v)
            for (unsigned b = 0; b < 16; ++b) {
                const uint16_t len = b < byte_len.size() ? byte_len[b][v] : 0;
                m_table[v][b] = len ? len : 0xFFFF;
            }
        if (m_lanes && byte_len.size() <= 8 && longest <= 63 && rows * dim >= kPairTableMin &&
            detail::cpu_has_avx2()) {
            // Each lane: 65535 (one value uncodable) or at most 126, then narrowed with signed
            // saturation: 65535 (-1) to 0xFF.
            m_pairs.resize(65536);
            for (unsigned second = 0; second < 256; ++second) {
                const __m128i b = lane(uint8_t(second), 0);
                for (unsigned first = 0; first < 256; ++first) {
                    const __m128i sum = _mm_adds_epu16(lane(uint8_t(first), 0), b);
                    _mm_storel_epi64(reinterpret_cast<__m128i*>(&m_pairs[second << 8 | first]),
                                     _mm_packs_epi16(sum, sum));
                }
            }
        }
#endif
    }
    // Sets book and bits (UINT64_MAX: no book codes the row).
    void choose(const uint8_t* row, size_t& book, uint64_t& bits) const {
#if defined(__SSE2__)
        if (m_lanes) {
            if (detail::cpu_has_avx2())
                choose_avx2(row, book, bits);
            else
                choose_sse2(row, book, bits);
            return;
        }
#endif
        book = 0;
        bits = UINT64_MAX;
        for (size_t b = 0; b < m_len.size(); ++b) {
            const uint16_t* len = m_len[b].data();
            uint64_t sum = 0;
            bool ok = true;
            for (uint32_t c = 0; c < m_dim; ++c) {
                sum += len[row[c]];
                ok &= len[row[c]] != 0;
            }
            if (ok && sum < bits) {
                bits = sum;
                book = b;
            }
        }
    }

  private:
#if defined(__SSE2__)
    __attribute__((always_inline)) __m128i lane(uint8_t v, unsigned half) const {
        return _mm_load_si128(reinterpret_cast<const __m128i*>(m_table[v]) + half);
    }
    // The eight books' lengths of the two bytes at p (the first in the low 8 bits of the index).
    __attribute__((target("avx2"), always_inline)) __m128i pair(const uint8_t* p) const {
        uint16_t two;
        std::memcpy(&two, p, 2);
        return _mm_cvtepi8_epi16(
            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(m_pairs.data() + le16(two))));
    }
    // Books 0..7 of a row two bytes a lookup, four sums. (One 2-byte load per pair: extracting
    // the pairs from one 64-bit load was more instructions and no faster.)
    __attribute__((target("avx2"), always_inline)) __m128i pair_sums(const uint8_t* row) const {
        __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
        const uint8_t* p = row;
        const uint8_t* const end = row + m_dim;
        for (const uint8_t* const end16 = row + (m_dim & ~15u); p != end16; p += 16) {
            a0 = _mm_adds_epu16(a0, pair(p));
            a1 = _mm_adds_epu16(a1, pair(p + 2));
            a2 = _mm_adds_epu16(a2, pair(p + 4));
            a3 = _mm_adds_epu16(a3, pair(p + 6));
            a0 = _mm_adds_epu16(a0, pair(p + 8));
            a1 = _mm_adds_epu16(a1, pair(p + 10));
            a2 = _mm_adds_epu16(a2, pair(p + 12));
            a3 = _mm_adds_epu16(a3, pair(p + 14));
        }
        for (; end - p >= 2; p += 2) a0 = _mm_adds_epu16(a0, pair(p));
        if (p != end) a1 = _mm_adds_epu16(a1, lane(*p, 0));
        return _mm_adds_epu16(_mm_adds_epu16(a0, a1), _mm_adds_epu16(a2, a3));
    }
    // Four sums per half, so that the adds are not one chain; the second half (books 8..15)
    // only when there are more than eight.
    template <bool Two>
    __attribute__((always_inline)) void sums(const uint8_t* row, __m128i& a, __m128i& b) const {
        __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
        __m128i b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        const uint8_t* p = row;
        const uint8_t* const end4 = row + (m_dim & ~3u);
        for (; p != end4; p += 4) {
            a0 = _mm_adds_epu16(a0, lane(p[0], 0));
            a1 = _mm_adds_epu16(a1, lane(p[1], 0));
            a2 = _mm_adds_epu16(a2, lane(p[2], 0));
            a3 = _mm_adds_epu16(a3, lane(p[3], 0));
            if constexpr (Two) {
                b0 = _mm_adds_epu16(b0, lane(p[0], 1));
                b1 = _mm_adds_epu16(b1, lane(p[1], 1));
                b2 = _mm_adds_epu16(b2, lane(p[2], 1));
                b3 = _mm_adds_epu16(b3, lane(p[3], 1));
            }
        }
        for (; p != row + m_dim; ++p) {
            a0 = _mm_adds_epu16(a0, lane(*p, 0));
            if constexpr (Two) b0 = _mm_adds_epu16(b0, lane(*p, 1));
        }
        a = _mm_adds_epu16(_mm_adds_epu16(a0, a1), _mm_adds_epu16(a2, a3));
        b = _mm_adds_epu16(_mm_adds_epu16(b0, b1), _mm_adds_epu16(b2, b3));
    }
    void choose_sse2(const uint8_t* row, size_t& book, uint64_t& bits) const {
        alignas(16) uint16_t sum[16];
        __m128i a, b;
        if (m_len.size() > 8)
            sums<true>(row, a, b);
        else
            sums<false>(row, a, b);
        _mm_store_si128(reinterpret_cast<__m128i*>(sum), a);
        _mm_store_si128(reinterpret_cast<__m128i*>(sum + 8), b);
        book = 0;
        bits = UINT64_MAX;
        for (size_t k = 0; k < m_len.size(); ++k)
            if (sum[k] != 0xFFFF && sum[k] < bits) {
                bits = sum[k];
                book = k;
            }
    }
    // The same code with AVX2 where the CPU has it: VEX's three-operand adds keep the sums in
    // place (SSE2's two-operand form made GCC copy them every step; 15 % of the time), and
    // SSE4.1's minpos finds the shortest book (the lowest index of equal sums) in one step.
    __attribute__((target("avx2"))) void choose_avx2(const uint8_t* row, size_t& book,
                                                     uint64_t& bits) const {
        __m128i a, b = _mm_set1_epi16(-1);
        if (!m_pairs.empty())  // eight books or fewer: b is not read
            a = pair_sums(row);
        else if (m_len.size() > 8)
            sums<true>(row, a, b);
        else
            sums<false>(row, a, b);
        uint32_t lo = uint32_t(_mm_cvtsi128_si32(_mm_minpos_epu16(a)));
        if (m_len.size() > 8) {
            const uint32_t hi = uint32_t(_mm_cvtsi128_si32(_mm_minpos_epu16(b))) + (8u << 16);
            if ((hi & 0xFFFF) < (lo & 0xFFFF)) lo = hi;
        }
        // Unused lanes hold 65535, above any codable sum.
        book = lo >> 16;
        bits = (lo & 0xFFFF) == 0xFFFF ? UINT64_MAX : lo & 0xFFFF;
        if (bits == UINT64_MAX) book = 0;
    }
#endif

    const std::vector<std::array<uint16_t, 256>>& m_len;
    uint32_t m_dim;
#if defined(__SSE2__)
    bool m_lanes = false;
    alignas(16) uint16_t m_table[256][16];
    std::vector<uint64_t> m_pairs;  // per value pair, books 0..7 (empty: one byte a lookup)
#endif
};

// How the fast path knows each row's slot header and book: one book and no overflow (One: no
// header); one book with overflow (Spec: each row is written in place, its flag 0 first, and
// a row found too long or uncodable at its end is undone and marked in `spilled`; the flags
// and indices of those are written after, in row order); else Plan: each row's header and book
// were chosen first, in row order. Choosing each row's book inside the writer instead was
// 3-5 % slower: the writer's chains did not hide the choice. With one book the writer computes
// the length anyway, so Spec drops the plan (its pass over the table and two arrays).
enum class Rows { One, Plan, Spec };

// The fast path's input: rows of `dim` bytes, per book each byte's packed code and each pair's
// (see encode_table), and the zeroed payload with room for one overrunning row.
struct FastRows {
    const uint8_t* bytes;
    uint64_t rows;
    uint32_t dim;
    const uint64_t* const* packed;  // per book, per byte value
    const uint32_t* const* pairs;   // per book, per two bytes (the first in the low 8 bits)
    uint8_t* payload;
    uint64_t pitch;
    uint64_t code_budget;
    const uint64_t* head;  // Plan: per row, its slot header's bits above bit 8, their count below
    const uint8_t* book;   // Plan: per row, its book, or kOverflowed
    uint8_t* spilled;      // Spec: per row, set to 1 when the row overflows (zeroed before)
    uint64_t reach;        // Spec: the most bits a row can write past its start (else 0)
};

constexpr uint8_t kOverflowed = 0xFF;

// Writes row r of each of L runs (the same r in each), first[k] the run's first row. Returns
// false if one of them has a byte the book cannot code or more bits than the budget (then the
// streams stop where they are).
template <unsigned L, bool Or, Rows M>
__attribute__((always_inline)) inline bool write_rows(const FastRows& j, RowStream* s,
                                                      const uint64_t* first, uint64_t r) {
    if constexpr (M == Rows::Plan && L > 1) {
        bool overflowed = false;
        for (unsigned k = 0; k < L; ++k) overflowed |= j.book[first[k] + r] == kOverflowed;
        if (__builtin_expect(overflowed, 0)) {  // rare: each run's row on its own
            bool ok = true;
            for (unsigned k = 0; k < L; ++k)
                ok = ok && write_rows<1, Or, M>(j, &s[k], &first[k], r);
            return ok;
        }
    }
    if constexpr (M == Rows::Spec && L == 1) {
        // A row alone may be one whose stores reach another stream's bytes (merged, not
        // undoable): its length first.
        const uint64_t q = first[0] + r;
        const uint8_t* row = j.bytes + q * j.dim;
        const uint64_t* packed = j.packed[0];
        uint64_t bits = 0, flags = 0;
        for (uint32_t c = 0; c < j.dim; ++c) {
            bits += packed[row[c]] & 63;
            flags |= packed[row[c]];
        }
        if ((flags & kUncodable) || bits > j.code_budget) {
            s->skip(j.pitch);
            j.spilled[q] = 1;
            return true;
        }
    }
    const uint8_t* row[L];
    const uint64_t* packed[L];
    const uint32_t* pairs[L];
    uint64_t start[L];     // where the row's codes start: after its header
    unsigned header[L]{};  // the header's bits
    uint64_t flags = 0;
    for (unsigned k = 0; k < L; ++k) {
        const uint64_t q = first[k] + r;
        row[k] = j.bytes + q * j.dim;
        if constexpr (M == Rows::One || M == Rows::Spec) {
            packed[k] = j.packed[0];
            pairs[k] = j.pairs[0];
            if constexpr (M == Rows::Spec) {  // the overflow flag, 0
                header[k] = 1;
                s[k].add(0, 1);
            }
        } else {
            const uint8_t b = j.book[q];
            const uint64_t head = j.head[q];
            const unsigned len = unsigned(head & 63);
            header[k] = len;
            s[k].add(head >> 8, len);
            if (b == kOverflowed) {  // L == 1 here: the flag and the index, then zeros
                s[k].template flush<Or>();
                s[k].skip(j.pitch - len);
                return true;
            }
            packed[k] = j.packed[b];
            pairs[k] = j.pairs[b];
        }
        start[k] = s[k].bit();
    }
    uint32_t c = 0;
    // Two bytes a lookup; their codes (at most 24 bits) one add and one flush. Longer pairs
    // (rare) go a byte at a time.
    for (; c + 2 <= j.dim; c += 2)
        for (unsigned k = 0; k < L; ++k) {
            uint16_t two;
            std::memcpy(&two, row[k] + c, 2);
            const uint32_t e = pairs[k][le16(two)];
            flags |= e;
            if (__builtin_expect(e & kLongPair, 0)) {
                for (unsigned i = 0; i < 2; ++i) {
                    const uint64_t a = packed[k][row[k][c + i]];
                    s[k].add(a >> 8, unsigned(a & 63));
                    s[k].template flush<Or>();
                }
            } else {
                s[k].add(e >> 8, unsigned(e & 63));
                s[k].template flush<Or>();
            }
        }
    for (; c < j.dim; ++c)
        for (unsigned k = 0; k < L; ++k) {
            const uint64_t a = packed[k][row[k][c]];
            flags |= a;
            s[k].add(a >> 8, unsigned(a & 63));
            s[k].template flush<Or>();
        }
    bool ok = !(flags & kUncodable);
    if constexpr (M == Rows::Spec) {
        for (unsigned k = 0; k < L; ++k) {
            const uint64_t bits = s[k].bit() - start[k];
            bool fits = bits <= j.code_budget;
            if (!ok)  // some row has an uncodable byte: which
                for (uint32_t c = 0; c < j.dim; ++c) fits &= !(packed[k][row[k][c]] & kUncodable);
            if (__builtin_expect(fits, 1)) {
                s[k].skip(j.pitch - header[k] - bits);
            } else {
                const uint64_t from = start[k] - header[k];
                s[k].rewind(from, from + j.pitch);
                j.spilled[first[k] + r] = 1;
            }
        }
        return true;
    }
    for (unsigned k = 0; k < L; ++k) {
        const uint64_t bits = s[k].bit() - start[k];
        ok &= bits <= j.code_budget;
        if (ok) s[k].skip(j.pitch - header[k] - bits);
    }
    return ok;
}

// A range's last rows, left for after every thread is done: their stores could reach into the
// next range's first bytes, which another thread writes.
struct Later {
    RowStream stream;
    uint64_t first = 0;         // the run's first row
    uint64_t from = 0, to = 0;  // the rows left, counted from `first`
};

// Rows [begin, end) (begin a multiple of 64) are cut into two runs of whole 64-row blocks (each
// starts on a 64-bit boundary), each written by its own stream, interleaved: independent
// dependency chains (four were no faster: their state spills from the registers), stores
// only (no load of bytes a store just wrote: a partly overlapping load waits for the store),
// no writes for padding (the payload is zeroed). A stream's stores reach up to 8 bytes past its
// bit, so the rows whose stores could reach the next run (written already) merge instead; with
// `later`, the last rows of the range, whose stores could reach the next range, are left there.
// Returns false at the first group with a bad row.
template <Rows M>
__attribute__((always_inline)) inline bool write_fast(const FastRows& job, uint64_t begin,
                                                      uint64_t end, Later* later) {
    // A local copy: the payload stores (uint8_t) may alias anything reached by reference, so the
    // fields of `job` would be reloaded after every store.
    const FastRows j = job;
    constexpr unsigned kLanes = 2;
    const uint64_t rows = end - begin;
    const uint64_t run = (rows + kLanes * 64 - 1) / (kLanes * 64) * 64;
    // Rows of a run that may store into the next run: those ending less than 64 bits before it
    // (Spec: starting less than reach + 64 bits before it, as a row too long is undone after).
    const uint64_t tail = std::min<uint64_t>(run, (64 + j.reach) / j.pitch + 2);
    RowStream s[kLanes];
    uint64_t first[kLanes], count[kLanes];
    for (unsigned k = 0; k < kLanes; ++k) {
        first[k] = begin + std::min<uint64_t>(k * run, rows);
        count[k] = std::min<uint64_t>(first[k] + run, end) - first[k];
        s[k] = RowStream(j.payload, first[k] * j.pitch);  // a multiple of 64
    }
    // All runs together while none is near its end (the last run is the shortest), then
    // each run's rest alone.
    constexpr unsigned last = kLanes - 1;
    const uint64_t together = count[last] > tail ? count[last] - tail : 0;
    uint64_t r = 0;
    for (; r < together; ++r)
        if (!write_rows<kLanes, false, M>(j, s, first, r)) return false;
    for (unsigned k = 0; k < kLanes; ++k) {
        const uint64_t stop = k == last && later ? count[k] - std::min(count[k], tail) : count[k];
        for (uint64_t q = r; q < stop; ++q) {
            const bool ok = k < last && count[k] - q <= tail
                                ? write_rows<1, true, M>(j, &s[k], &first[k], q)
                                : write_rows<1, false, M>(j, &s[k], &first[k], q);
            if (!ok) return false;
        }
        if (k == last && later) *later = Later{s[k], first[k], std::max(r, stop), count[k]};
    }
    return true;
}

// The rows a range left (a few): merged into the bytes the next range wrote.
template <Rows M>
bool write_later(const FastRows& j, Later& later) {
    for (uint64_t q = later.from; q < later.to; ++q)
        if (!write_rows<1, true, M>(j, &later.stream, &later.first, q)) return false;
    return true;
}

// The same code twice: with BMI2 (shifts by a register count without the CL register, which
// frees registers for the four streams; 10-20 % faster) where the CPU has it.
template <Rows M>
__attribute__((target("bmi2"))) bool write_fast_bmi2(const FastRows& j, uint64_t begin,
                                                     uint64_t end, Later* later) {
    return write_fast<M>(j, begin, end, later);
}
template <Rows M>
bool write_fast_plain(const FastRows& j, uint64_t begin, uint64_t end, Later* later) {
    return write_fast<M>(j, begin, end, later);
}
template <Rows M>
bool write_fast_any(const FastRows& j, uint64_t begin, uint64_t end, Later* later) {
    return detail::cpu_has_bmi2() ? write_fast_bmi2<M>(j, begin, end, later)
                                  : write_fast_plain<M>(j, begin, end, later);
}

// Rows at least this many per thread when writing (starting a thread costs about as much as
// writing a few hundred rows), and whole 64-row blocks.
constexpr uint64_t kRowsPerWriter = 8192;

// Writes all rows, the ranges split over threads; the bytes do not depend on how many.
template <Rows M>
bool write_all(const FastRows& j, unsigned threads) {
    const uint64_t ranges = std::max<uint64_t>(
        1, std::min<uint64_t>(detail::resolve_threads(threads), j.rows / kRowsPerWriter));
    // Range k starts at k/ranges of the rows, rounded down to a whole 64-row block: every range
    // holds at least kRowsPerWriter - 63 rows.
    const auto start = [&](uint64_t k) {
        return k == ranges ? j.rows : k * j.rows / ranges / 64 * 64;
    };
    std::vector<Later> later(ranges);
    std::vector<char> good(ranges, 0);
    detail::parallel_tasks(ranges, threads, [&](size_t k) {
        const uint64_t begin = start(k), end = start(k + 1);
        good[k] = write_fast_any<M>(j, begin, end, k + 1 < ranges ? &later[k] : nullptr);
    });
    for (size_t k = 0; k + 1 < ranges; ++k)
        if (good[k] && !write_later<M>(j, later[k])) good[k] = 0;
    return std::all_of(good.begin(), good.end(), [](char g) { return g != 0; });
}

// Each row's book (the one that codes it shortest, ties: the lower index, as evaluate() chose)
// and slot header, for tables with several books or overflow rows. Fills the table's overflow
// region. @throws InputError naming the first row (in row order) that does not fit.
struct RowPlan {
    std::vector<uint64_t> head;  // per row: its slot header's bits above bit 8, their count below
    std::vector<uint8_t> book;   // per row: its book, or kOverflowed
    uint32_t used = 0;           // bit b: some row is on book b
};

RowPlan plan_rows(const Table& table, const std::vector<std::array<uint16_t, 256>>& byte_len,
                  uint64_t code_budget, uint64_t threshold, unsigned threads, CodedTable& out) {
    RowPlan plan;
    plan.head.resize(table.rows);
    plan.book.resize(table.rows);
    const unsigned flag_bits = out.overflow ? 1 : 0;
    const auto chooser = std::make_unique<BookChooser>(byte_len, table.dim, table.rows);
    // Chunks in parallel; the overflow indices (given in row order) after, in one pass.
    constexpr uint64_t kChunk = 2048;
    const uint64_t chunks = (table.rows + kChunk - 1) / kChunk;
    std::vector<uint64_t> bad(chunks, UINT64_MAX);  // per chunk: its first row that does not fit
    std::vector<uint32_t> used(chunks, 0);
    // Locals, not fields: the byte stores into book[] may alias anything reached by reference
    // (they would be reloaded after every row), and each chunk's `used` is written once (the
    // chunks' words share cache lines between the threads).
    const bool overflow = out.overflow;
    const uint64_t selector_bits = out.selector_bits;
    const uint64_t in_place = flag_bits + out.selector_bits;
    uint64_t* const head = plan.head.data();
    uint8_t* const book_of = plan.book.data();
    const uint8_t* const bytes = table.bytes.data();
    const uint64_t rows = table.rows, dim = table.dim;
    const BookChooser& choose = *chooser;
    detail::parallel_tasks(chunks, threads, [&, head, book_of](size_t c) {
        const uint64_t end = std::min(rows, (c + 1) * kChunk);
        uint32_t used_here = 0;
        for (uint64_t r = c * kChunk; r < end; ++r) {
            size_t book;
            uint64_t bits;
            choose.choose(bytes + r * dim, book, bits);
            if (overflow && (bits == UINT64_MAX || selector_bits + bits > threshold)) {
                book_of[r] = kOverflowed;
                continue;
            }
            if (bits == UINT64_MAX || bits > code_budget) {
                bad[c] = r;
                break;
            }
            // The overflow flag (0) and the selector: the book's index in the low bits.
            head[r] = uint64_t(book) << 8 | in_place;
            book_of[r] = uint8_t(book);
            used_here |= 1u << book;
        }
        used[c] = used_here;
    });
    for (uint64_t c = 0; c < chunks; ++c) {
        if (bad[c] != UINT64_MAX) {
            const uint64_t r = bad[c];
            size_t book;
            uint64_t bits;
            chooser->choose(table.row(r), book, bits);
            if (bits == UINT64_MAX)
                throw InputError("row " + std::to_string(r) + " has a symbol no code book codes");
            throw InputError("row " + std::to_string(r) + " needs " + std::to_string(bits) +
                             " bits, more than the row width allows");
        }
        plan.used |= used[c];
    }
    if (!out.overflow) return plan;
    const unsigned len = 1 + out.index_bits;
    const uint8_t* books = plan.book.data();
    for (const uint8_t* p = books; (p = static_cast<const uint8_t*>(std::memchr(
                                        p, kOverflowed, table.rows - uint64_t(p - books))));
         ++p) {
        const uint64_t r = uint64_t(p - books);
        if (out.overflow_rows >> out.index_bits)
            throw InputError("more overflow rows than " + std::to_string(out.index_bits) +
                             " index bits can address");
        plan.head[r] = (uint64_t(1) << out.index_bits | out.overflow_rows) << 8 | len;
        out.overflow_region.insert(out.overflow_region.end(), table.row(r),
                                   table.row(r) + table.dim);
        ++out.overflow_rows;
    }
    return plan;
}

// After a Spec write: in row order, each overflowed row's index and its slot's flag and index
// (ORed into the zeros the writer left), and its bytes into the overflow region.
void spill_rows(const Table& table, const std::vector<uint8_t>& spilled, CodedTable& out) {
    const unsigned len = 1 + out.index_bits;
    const uint8_t* marks = spilled.data();
    for (const uint8_t* p = marks;
         (p = static_cast<const uint8_t*>(std::memchr(p, 1, table.rows - uint64_t(p - marks))));
         ++p) {
        const uint64_t r = uint64_t(p - marks);
        if (out.overflow_rows >> out.index_bits)
            throw InputError("more overflow rows than " + std::to_string(out.index_bits) +
                             " index bits can address");
        const uint64_t head = uint64_t(1) << out.index_bits | out.overflow_rows;
        const uint64_t bit = r * out.pitch_bits;
        uint8_t* at = out.payload.data() + (bit >> 3);
        const uint64_t word = __builtin_bswap64(load_be64(at) | head << (64 - (bit & 7) - len));
        std::memcpy(at, &word, 8);
        out.overflow_region.insert(out.overflow_region.end(), table.row(r),
                                   table.row(r) + table.dim);
        ++out.overflow_rows;
    }
}

// Per value pair (the first in the low 8 bits): the two codes of the book's byte codes `packed`
// (see encode_table) in one 32-bit word, or kLongPair when they exceed 24 bits. Written so that
// the compiler vectorises the inner loop (one shift count per second value).
std::vector<uint32_t> pair_codes(const uint64_t* packed) {
    uint32_t code[256], len[256], bad[256];
    for (unsigned v = 0; v < 256; ++v) {
        code[v] = uint32_t(packed[v] >> 8);
        len[v] = uint32_t(packed[v] & 63);
        bad[v] = uint32_t(packed[v] & kUncodable);
    }
    std::vector<uint32_t> pairs(65536);
    for (unsigned second = 0; second < 256; ++second) {
        const uint32_t lb = len[second], cb = code[second], bb = bad[second];
        uint32_t* out = pairs.data() + (second << 8);
        for (unsigned first = 0; first < 256; ++first) {
            const uint32_t l = len[first] + lb, flags = bad[first] | bb;
            // (Codes of pairs over 24 bits are not kept: the shift may drop their bits.)
            const uint32_t joined = ((code[first] << (lb & 31)) | cb) << 8 | l | flags;
            out[first] = l > 24 ? uint32_t(kLongPair) | flags : joined;
        }
    }
    return pairs;
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
                                overflow_rows, floats ? floats->bytes.size() : 0);
}

CodedTable encode_table(const Table& table, const CodeResult& result, unsigned align_bits,
                        unsigned threads) {
    if (result.books.empty())
        throw InputError(std::string(method_name(result.method)) + " is a bound, not an encoding");
    if (result.books.size() > CodeGeometry::kMaxBooks) throw InputError("too many code books");
    if (align_bits == 0 || align_bits > kMaxAlignBits)
        throw InputError("--align must be between 1 and " + std::to_string(kMaxAlignBits) +
                         " bits");
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
        (out.index_bits < 1 || out.index_bits > CodeGeometry::kMaxOverflowIndexBits ||
         out.row_bits < 1 + out.index_bits))
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
    bool fits_32 = true;
    for (size_t b = 0; b < codes.size(); ++b)
        for (unsigned v = 0; v < 256; ++v) fits_32 = fits_32 && byte_len[b][v] <= 32;
    // With one book and no overflow, there is nothing to choose: a bad row stops the writing,
    // and a scan in row order then names the first one. With one book and overflow, the fast
    // path undoes the rows that overflow (Rows::Spec; no row can fail). Otherwise each row's
    // book and slot header are planned first (Rows::Plan), which is also where bad rows throw.
    const Rows mode = codes.size() > 1 ? Rows::Plan
                      : !out.overflow  ? Rows::One
                      : fits_32        ? Rows::Spec
                                       : Rows::Plan;
    const RowPlan plan = mode == Rows::Plan
                             ? plan_rows(table, byte_len, code_budget, threshold, threads, out)
                             : RowPlan{{}, {}, 1};
    // The first row (in row order) of a one-book table that does not fit. @throws InputError
    const auto name_bad_row = [&] {
        const ByteCode* bc = codes[0].data();
        for (uint64_t q = 0; q < table.rows; ++q) {
            const uint8_t* row = table.row(q);
            uint64_t bits = 0;
            bool ok = true;
            for (uint32_t c = 0; c < table.dim; ++c) {
                bits += bc[row[c]].len;
                ok &= bc[row[c]].len != 0;
            }
            if (!ok)
                throw InputError("row " + std::to_string(q) +
                                 " has a symbol the code book does not code");
            if (bits > code_budget)
                throw InputError("row " + std::to_string(q) + " needs " + std::to_string(bits) +
                                 " bits, more than the row width allows");
        }
        throw std::logic_error("encode_table: a row failed its check but none fails the scan");
    };
    const auto finish = [&] {
        out.payload.resize(out.payload_bytes() + CodedTable::kPayloadSlack);
        std::fill(out.payload.begin() + long(out.payload_bytes()), out.payload.end(), 0);
    };
    if (fits_32) {
        // Byte codes of at most 32 bits (every 8-bit code; 4-bit ones unless two codes of a
        // byte are long): two streams per thread (write_all).
        // Per book and byte value, one word: the code above bit 8, its length in bits 0-5,
        // and kUncodable set when the book cannot code the value (ORed over a row, tested
        // once at its end). Per pair of values, the same in 32 bits for their two codes, or
        // kLongPair when those exceed 24 bits (a 256 KiB table: 64-bit entries for up to 56
        // bits were 10 % slower, more of the table out of L1/L2). Only for books in use.
        std::vector<std::array<uint64_t, 256>> packed(codes.size());
        std::vector<std::vector<uint32_t>> pairs(codes.size());
        std::vector<const uint64_t*> packed_of(codes.size());
        std::vector<const uint32_t*> pairs_of(codes.size());
        for (size_t k = 0; k < codes.size(); ++k) {
            const ByteCode* bc = codes[k].data();
            for (unsigned v = 0; v < 256; ++v)
                packed[k][v] = bc[v].len ? bc[v].bits << 8 | bc[v].len : kUncodable;
            packed_of[k] = packed[k].data();
        }
        detail::parallel_tasks(codes.size(), threads, [&](size_t k) {
            if (plan.used >> k & 1) pairs[k] = pair_codes(packed[k].data());
        });
        for (size_t k = 0; k < codes.size(); ++k) pairs_of[k] = pairs[k].data();
        std::vector<uint8_t> spilled(mode == Rows::Spec ? table.rows : 0, 0);
        uint64_t longest = 0;
        for (unsigned v = 0; v < 256; ++v) longest = std::max<uint64_t>(longest, byte_len[0][v]);
        FastRows job{table.bytes.data(), table.rows,         table.dim,      packed_of.data(),
                     pairs_of.data(),    out.payload.data(), out.pitch_bits, code_budget,
                     plan.head.data(),   plan.book.data(),   spilled.data(), 0};
        bool good;
        if (mode == Rows::Spec) {
            job.code_budget = threshold;  // the selector has no bits with one book
            job.reach = 1 + longest * table.dim;
            good = write_all<Rows::Spec>(job, threads);
            spill_rows(table, spilled, out);
        } else {
            good = mode == Rows::One ? write_all<Rows::One>(job, threads)
                                     : write_all<Rows::Plan>(job, threads);
        }
        if (!good && mode == Rows::One) name_bad_row();
        if (!good)  // the plan checked every row's length; Spec rows cannot fail
            throw std::logic_error("encode_table: a planned row does not fit its slot");
        finish();
        return out;
    }
    // Byte codes over 32 bits (4-bit codes, a byte's two of 17 bits or more): a bit at a time,
    // from the plan when there is one. Lengths are checked before anything is written, so a code
    // that does not fit this table can never write past the row.
    BitWriter writer(out.payload.data());
    for (uint64_t r = 0; r < table.rows; ++r) {
        const uint8_t* row = table.row(r);
        const ByteCode* bc = codes[mode == Rows::Plan ? plan.book[r] % codes.size() : 0].data();
        uint64_t bits = 0;
        bool ok = true;
        for (uint32_t c = 0; c < table.dim; ++c) {
            bits += bc[row[c]].len;
            ok &= bc[row[c]].len != 0;
        }
        unsigned header = 0;
        if (mode == Rows::Plan) {
            header = unsigned(plan.head[r] & 63);
            writer.put_wide(plan.head[r] >> 8, header);
            if (plan.book[r] == kOverflowed) {
                writer.zeros(out.pitch_bits - header);
                continue;
            }
        } else if (!ok || bits > code_budget) {
            name_bad_row();
        }
        for (uint32_t c = 0; c < table.dim; ++c) writer.put_wide(bc[row[c]].bits, bc[row[c]].len);
        writer.zeros(out.pitch_bits - header - bits);
    }
    writer.finish();
    finish();
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
        case Status::BadExponent:
            return "exponent symbol does not fit the float format's exponent field";
    }
    return "unknown status";
}

std::shared_ptr<const CodedTable> borrow(const CodedTable& table) {
    // Aliasing constructor with an empty owner: points at table, owns nothing.
    return std::shared_ptr<const CodedTable>(std::shared_ptr<const CodedTable>(), &table);
}

const char* CodedTable::element_name() const {
    if (floats) return float_kind_name(floats->kind);
    return dtype == Dtype::Int8 ? "int8" : "uint8";
}

RowDecoder::RowDecoder(CodedTable table)
    : RowDecoder(std::make_shared<const CodedTable>(std::move(table))) {}

RowDecoder::RowDecoder(std::shared_ptr<const CodedTable> owner)
    : m_owner(std::move(owner)), m_table(*m_owner) {
    const CodedTable& table = m_table;
    if (table.payload.size() < table.payload_bytes() + CodedTable::kPayloadSlack)
        throw FormatError("coded table payload is shorter than its geometry");
    for (const CodeLengths& lengths : table.books)
        m_books.push_back(kernel::build_book(lengths, table.spec));
}

// The slot header (overflow flag and index, selector) in front of the kernel's codes.
RowDecoder::Start RowDecoder::start(uint64_t index, uint8_t* out, kernel::RowJob& job,
                                    Status* status) const {
    const CodedTable& t = m_table;
    if (index >= t.rows) {
        *status = Status::OutOfRange;
        return Start::Failed;
    }
    const uint64_t pos = index * t.pitch_bits;
    job.end = pos + t.row_bits;
    const SlotHeader h = slot_header(t, index);
    if (h.overflowed) {
        if (h.overflow_index >= t.overflow_rows) {
            *status = Status::BadOverflowIndex;
            return Start::Failed;
        }
        std::memcpy(out, t.overflow_region.data() + h.overflow_index * t.dim, t.dim);
        return Start::Done;
    }
    if (h.book >= m_books.size()) {
        *status = Status::BadSelector;
        return Start::Failed;
    }
    job.pos = pos + h.bits;
    job.book = &m_books[h.book];
    job.out = out;
    return Start::Decode;
}

namespace {
Status from_kernel(kernel::RowStatus s) {
    switch (s) {
        case kernel::RowStatus::Ok:
            return Status::Ok;
        case kernel::RowStatus::BadCode:
            return Status::BadCode;
        case kernel::RowStatus::Overrun:
            return Status::RowOverrun;
    }
    return Status::BadCode;
}
}  // namespace

Status RowDecoder::decode_row(uint64_t index, uint8_t* out) const {
    kernel::RowJob job;
    Status status = Status::Ok;
    if (start(index, out, job, &status) != Start::Decode) return status;
    return from_kernel(
        kernel::decode_row(m_table.payload.data(), job, {m_table.dim, m_table.spec}));
}

// Asks for the slots of rows index_of(first..first+count) (indices out of range skipped):
// the next batch's rows arrive while this one decodes.
template <typename IndexFn>
void RowDecoder::prefetch_slots(IndexFn index_of, size_t first, size_t count) const {
    const CodedTable& t = m_table;
    for (size_t k = first; k < first + count; ++k) {
        const uint64_t index = index_of(k);
        if (index >= t.rows) continue;
        const uint64_t pos = index * t.pitch_bits;
        kernel::prefetch_bits(t.payload.data(), pos, pos + t.row_bits);
    }
}

// Headers for up to kBatch rows at a time, then the kernel interleaves the coded ones.
template <typename IndexFn>
Status RowDecoder::decode_batched(IndexFn index_of, size_t count, uint8_t* out) const {
    constexpr size_t kBatch = 64;
    kernel::RowJob jobs[kBatch];
    for (size_t i = 0; i < count; i += kBatch) {
        const size_t n = std::min(kBatch, count - i);
        prefetch_slots(index_of, i + n, std::min(kBatch, count - i - n));
        size_t coded = 0;
        Status header = Status::Ok;
        for (size_t k = 0; k < n && header == Status::Ok; ++k) {
            const Start how =
                start(index_of(i + k), out + (i + k) * m_table.dim, jobs[coded], &header);
            coded += how == Start::Decode;
        }
        // The rows before a bad header come first: the first error in row order is returned.
        kernel::RowStatus status;
        if (kernel::decode_rows(m_table.payload.data(), jobs, coded, {m_table.dim, m_table.spec},
                                &status) != coded)
            return from_kernel(status);
        if (header != Status::Ok) return header;
    }
    return Status::Ok;
}

Status RowDecoder::decode_rows(const uint64_t* indices, size_t count, uint8_t* out) const {
    return decode_batched([indices](size_t i) { return indices[i]; }, count, out);
}

Status RowDecoder::decode_range(uint64_t first, uint64_t count, uint8_t* out) const {
    return decode_batched([first](size_t i) { return first + i; }, count, out);
}

SlotHeader slot_header(const CodedTable& t, uint64_t row) {
    // No fields (one book, no overflow): no load, so a row's first touch of memory is the
    // kernel's prefetch, not a header read that stalls before any of the batch is asked for.
    if (!t.overflow && t.selector_bits == 0) return SlotHeader{};
    const uint64_t pos = row * t.pitch_bits;
    // Header fields are at most 1 + 40 bits, within the 57 bits one load gives.
    const uint64_t bits = load_be64(t.payload.data() + (pos >> 3)) << (pos & 7);
    SlotHeader h;
    if (t.overflow) {
        h.bits = 1;
        if (bits >> 63) {
            h.overflowed = true;
            h.overflow_index = (bits << 1) >> (64 - t.index_bits);  // index_bits is 1..40
            h.bits += t.index_bits;
            return h;
        }
    }
    if (t.selector_bits) {
        h.book = unsigned((bits << h.bits) >> (64 - t.selector_bits));
        h.bits += t.selector_bits;
    }
    return h;
}

CodedTable encode_float_planes(const FloatPlanes& planes, FloatKind kind, const CodeResult& result,
                               unsigned align_bits, unsigned threads) {
    CodedTable out = encode_table(planes.exponents, result, align_bits, threads);
    out.floats = RawPlane{kind, planes.raw_bits, planes.raw};
    return out;
}

CodedTable encode_float_table(const FloatTable& table, const CodeResult& result,
                              unsigned align_bits, unsigned threads) {
    return encode_float_planes(split_planes(table), table.kind, result, align_bits, threads);
}

namespace {
// A corrupt file can code an exponent symbol wider than the format's field (fp16: 5 bits);
// merging it would spill into the sign bit, so it is an error, not a value.
bool exponents_fit(const uint8_t* exponents, uint32_t dim, FloatKind kind) {
    const unsigned exp_bits = float_format(kind).exp_bits;
    if (exp_bits >= 8) return true;
    uint8_t any = 0;
    for (uint32_t c = 0; c < dim; ++c) any |= uint8_t(exponents[c] >> exp_bits);
    return any == 0;
}
}  // namespace

Status RowDecoder::decode_values(uint64_t index, uint8_t* out) const {
    const CodedTable& t = m_table;
    if (!t.is_float()) return decode_row(index, out);
    thread_local std::vector<uint8_t> exponents;
    exponents.resize(t.dim);
    const Status s = decode_row(index, exponents.data());
    if (s != Status::Ok) return s;
    if (!exponents_fit(exponents.data(), t.dim, t.floats->kind)) return Status::BadExponent;
    merge_row(exponents.data(), t.floats->bytes.data() + index * t.raw_row_bytes(), t.dim,
              t.floats->kind, out);
    return Status::Ok;
}

namespace {

// The first of rows [first, first + count) that does not decode, counted from `first` (count
// when every row does), and its status.
struct BadRow {
    uint64_t row;
    Status status;
};

[[noreturn]] void throw_bad_row(uint64_t row, Status status) {
    throw FormatError("row " + std::to_string(row) + ": " + status_message(status));
}

// Rows [first, first + count) into out, split over threads, up to the first bad one (the rows
// before it are all decoded).
BadRow decode_span_until_bad(const RowDecoder& decoder, const CodedTable& table, uint64_t first,
                             uint64_t count, uint8_t* out, unsigned threads) {
    // Chunks of whole batches, a few per thread so that a slow thread does not hold the rest.
    constexpr uint64_t kChunk = 4096;
    const uint64_t chunks = (count + kChunk - 1) / kChunk;
    std::atomic<uint64_t> first_bad{UINT64_MAX};  // first chunk with a bad row
    detail::parallel_tasks(chunks, threads, [&](uint64_t c) {
        const uint64_t at = c * kChunk, n = std::min(kChunk, count - at);
        if (decoder.decode_range(first + at, n, out + at * table.dim) == Status::Ok) return;
        uint64_t seen = first_bad.load();
        while (c < seen && !first_bad.compare_exchange_weak(seen, c)) {
        }
    });
    if (first_bad.load() == UINT64_MAX) return {count, Status::Ok};
    // The first bad row of the first bad chunk.
    for (uint64_t r = first_bad.load() * kChunk; r < count; ++r) {
        const Status s = decoder.decode_row(first + r, out + r * table.dim);
        if (s != Status::Ok) return {r, s};
    }
    return {count, Status::Ok};  // not reached: the chunk had a bad row
}

// The same. @throws FormatError naming the first bad row (its index plus `named_from`).
void decode_span(const RowDecoder& decoder, const CodedTable& table, uint64_t first, uint64_t count,
                 uint8_t* out, unsigned threads, uint64_t named_from = 0) {
    const BadRow bad = decode_span_until_bad(decoder, table, first, count, out, threads);
    if (bad.row < count) throw_bad_row(named_from + first + bad.row, bad.status);
}

// A float table's rows [first, first + count) as exponent symbols into `coded`, checked up to
// the first bad row: a row whose symbols decode but do not fit the format's exponent field is
// bad too, and the first bad row in row order is named (its index plus `named_from`), whatever
// the blocks. @throws FormatError
void decode_float_span(const RowDecoder& decoder, const CodedTable& table, uint64_t first,
                       uint64_t count, uint8_t* coded, unsigned threads, uint64_t named_from) {
    const BadRow bad = decode_span_until_bad(decoder, table, first, count, coded, threads);
    for (uint64_t r = 0; r < bad.row; ++r)
        if (!exponents_fit(coded + r * table.dim, table.dim, table.floats->kind))
            throw_bad_row(named_from + first + r, Status::BadExponent);
    if (bad.row < count) throw_bad_row(named_from + first + bad.row, bad.status);
}

}  // namespace

FloatTable decode_float_table(const CodedTable& table, unsigned threads) {
    if (!table.is_float()) throw FormatError("not a float table");
    Table exponents;
    exponents.rows = table.rows;
    exponents.dim = table.dim;
    exponents.dtype = table.dtype;
    exponents.bytes.resize(exponents.size_bytes());
    const RowDecoder decoder(borrow(table));
    decode_float_span(decoder, table, 0, table.rows, exponents.bytes.data(),
                      detail::resolve_threads(threads), 0);
    return merge_planes(exponents, table.floats->bytes.data(), table.floats->kind);
}

void decode_rows_into(const CodedTable& table, uint8_t* out, unsigned threads) {
    const RowDecoder decoder(borrow(table));
    decode_span(decoder, table, 0, table.rows, out, detail::resolve_threads(threads));
}

void decode_blocks(const CodedTable& table, unsigned threads,
                   const std::function<void(const uint8_t*, uint64_t, uint64_t)>& sink,
                   size_t block_bytes, uint64_t first_row) {
    const RowDecoder decoder(borrow(table));
    threads = detail::resolve_threads(threads);
    const uint64_t row_bytes = uint64_t(table.dim) * table.value_bytes();
    const uint64_t block_rows =
        std::min<uint64_t>(table.rows, std::max<uint64_t>(1, block_bytes / row_bytes));
    std::vector<uint8_t> coded(block_rows * table.dim);
    std::vector<uint8_t> merged(table.is_float() ? block_rows * row_bytes : 0);
    for (uint64_t first = 0; first < table.rows; first += block_rows) {
        const uint64_t n = std::min(block_rows, table.rows - first);
        if (!table.is_float()) {
            decode_span(decoder, table, first, n, coded.data(), threads, first_row);
            sink(coded.data(), first_row + first, n);
            continue;
        }
        decode_float_span(decoder, table, first, n, coded.data(), threads, first_row);
        for (uint64_t r = 0; r < n; ++r)
            merge_row(coded.data() + r * table.dim,
                      table.floats->bytes.data() + (first + r) * table.raw_row_bytes(), table.dim,
                      table.floats->kind, merged.data() + r * row_bytes);
        sink(merged.data(), first_row + first, n);
    }
}

Table decode_table(const CodedTable& table, unsigned threads) {
    Table out;
    out.rows = table.rows;
    out.dim = table.dim;
    out.dtype = table.dtype;
    out.quant = table.quant;
    out.bytes.resize(out.size_bytes());
    decode_rows_into(table, out.bytes.data(), threads);
    return out;
}

}  // namespace embzip
