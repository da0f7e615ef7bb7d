// SPDX-License-Identifier: MIT
// The row decoder's hot loop. Why it is shaped this way:
//  - One lookup per lut_bits-bit window yields every whole output byte whose codes fit the
//    window (up to two): short codes cost half a lookup each, and the loop has no per-symbol
//    branch (an entry that yields nothing consumes nothing; the row is finished by the slow
//    path after its group).
//  - Refills are unconditional: after each group of lookups (4, or 3 for 4-bit codes) the
//    row reloads 8 bytes at its byte position. The load address is clamped to the row's end, so a
//    corrupt row can decode garbage but never read outside the payload; it is caught as an overrun
//    at the end.
//  - Rows are independent dependency chains (window -> lookup -> shift), each a few cycles of
//    load latency per step: decoding several rows group by group lets the core overlap them.
#include "embzip/decode_kernel.hpp"

#include <algorithm>
#include <cstring>

#include "cpu_features.hpp"
#include "embzip/histogram.hpp"

namespace embzip::kernel {

namespace {

// Step fields (see BookTables::step): the bits consumed in the low 6 bits, so the shift that
// is the next lookup's input uses the step as it is (x86 takes a shift count mod 64): the
// chain from one lookup to the next is index, load, shift. The count is in the top two bits.
constexpr uint8_t make_step(unsigned bits, unsigned count) { return uint8_t(bits | count << 6); }
inline unsigned step_bits(uint8_t st) { return st & 63; }
inline unsigned step_count(uint8_t st) { return st >> 6; }
// The count of a group's last step, which group() returns shifted to the top of a word.
inline unsigned last_count(uint32_t e) { return e >> 30; }
static_assert(kLutBits8 < 64 && kLutBits4 < 64, "lengths have 6 bits");

// The bits a lookup's first byte takes alone (when only it still fits the row).
inline unsigned first_bits(const BookTables& b, uint8_t st, uint16_t bytes) {
    return step_count(st) == 2 ? b.byte_len[uint8_t(bytes)] : step_bits(st);
}

inline uint64_t load_be64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

// The next >= 57 bits at pos, left-aligned (only the first 57 are meaningful). Positions past
// the row's end read at the end instead: the row is already bad, and the read stays in bounds.
inline uint64_t window_at(const uint8_t* payload, uint64_t pos, uint64_t end) {
    const uint64_t p = pos < end ? pos : end;
    return load_be64(payload + (p >> 3)) << (p & 7);
}

struct RowState {
    uint64_t pos;
    uint64_t end;
    uint8_t* out;
    uint32_t j;  // output bytes written
    const BookTables* book;
};

// Bytes a group may write past the row's current output position: two per lookup.
constexpr uint32_t group_span(unsigned b) { return lookups_per_refill(b) * kMaxBytesPerLookup; }

// The lookups of one refill. @pre op + group_span(B) <= the row's output end.
// Returns the last step shifted left by 24 (last_count): a count of 0 means the row stalled on a
// long (or bad) code. The bits consumed are not summed per lookup: a marker bit at the bottom of
// the window (below the 57 valid bits, never looked up) ends up shifted left by exactly their
// total.
template <unsigned B>
inline uint32_t group(const uint8_t* payload, uint64_t& pos, uint64_t end, const uint8_t* step,
                      const uint16_t* pair, uint8_t*& op) {
    uint64_t bits = window_at(payload, pos, end) | 1;
    uint32_t e = 0;
    for (unsigned k = 0; k < lookups_per_refill(B); ++k) {
        const size_t w = bits >> (64 - B);
        e = step[w];
        const uint16_t bytes = pair[w];
        std::memcpy(op, &bytes, 2);  // the second byte is overwritten when it is not output
        bits <<= (e & 63);
        op += e >> 6;
    }
    pos += unsigned(__builtin_ctzll(bits));
    return e << 24;
}

template <unsigned B>
inline uint32_t group(const uint8_t* payload, RowState& s) {
    uint8_t* op = s.out + s.j;
    const uint32_t e =
        group<B>(payload, s.pos, s.end, s.book->step.data(), s.book->pair.data(), op);
    s.j = uint32_t(op - s.out);
    return e;
}

inline void prefetch_row(const uint8_t* payload, const RowJob& job) {
    prefetch_bits(payload, job.pos, job.end);
}

// One code by canonical search (one comparison per length), for codes longer than the table.
// Returns the symbol or -1 when the bits are not a code of the book.
inline int slow_symbol(const uint8_t* payload, uint64_t& pos, uint64_t end, const BookTables& b) {
    const uint32_t w = uint32_t(window_at(payload, pos, end) >> 32);
    const CanonicalCode& c = b.code;
    for (unsigned len = 1; len <= b.max_len; ++len) {
        const uint32_t offset = (w >> (32 - len)) - c.first_code[len];
        if (offset < c.count[len]) {
            pos += len;
            return c.sorted[c.first_index[len] + offset];
        }
    }
    return -1;
}

// One output byte the slow way. Returns false on a bad code.
bool slow_byte(const uint8_t* payload, RowState& s, SymbolSpec spec) {
    const int first = slow_symbol(payload, s.pos, s.end, *s.book);
    if (first < 0) return false;
    if (spec.bits == 8) {
        s.out[s.j++] = uint8_t(first);
        return true;
    }
    const int second = slow_symbol(payload, s.pos, s.end, *s.book);
    if (second < 0) return false;
    s.out[s.j++] = split_inverse(spec.split, uint8_t(first << 4 | second));
    return true;
}

// Groups while a whole one fits in the row; false on a code that is not in the book.
template <unsigned B>
bool run_groups(const uint8_t* payload, RowState& s, KernelSpec k) {
    while (s.j + group_span(B) <= k.dim)
        if (last_count(group<B>(payload, s)) == 0 && !slow_byte(payload, s, k.spec)) return false;
    return true;
}

// One row alone is latency-bound: each lookup waits for the one before it. The chain below
// keeps the bit buffer across refills (Giesen's "variant 4": OR the next 8 bytes in below the
// valid bits, advance by whole bytes, 56..63 bits valid afterwards), so a refill is a load,
// a shift and an OR off the chain, not the marker bit's ctz and a reload at the new position
// on it. Loads are not clamped while the refill address stays within the row's last byte
// (the payload has 8 bytes beyond it); near the row's end or its output's end the clamped
// groups and the tail of finish_row take over. False on a code not in the book.
template <unsigned B>
bool run_chain(const uint8_t* payload, RowState& s, KernelSpec k) {
    if (k.dim < group_span(B)) return true;
    const uint8_t* step = s.book->step.data();
    const uint16_t* pair = s.book->pair.data();
    uint8_t* op = s.out + s.j;
    uint8_t* const op_last =
        s.out + (k.dim - group_span(B));  // a group writes < group_span(B) bytes
    const uint64_t last_load = s.end >> 3;
    for (;;) {
        // (Re)start at s.pos: the first 8 bytes are taken, `count` of their bits still valid;
        // the bit position is always next * 8 - count.
        uint64_t next = (s.pos >> 3) + 7;
        if (next > last_load || op > op_last) return true;
        unsigned count = 56 - unsigned(s.pos & 7);
        uint64_t bits = load_be64(payload + (s.pos >> 3)) << (s.pos & 7);
        uint32_t e = 1u << 6;
        while (next <= last_load && op <= op_last) {
            bits |= load_be64(payload + next) >> count;
            next += (63 - count) >> 3;
            count |= 56;
            for (unsigned n = 0; n < lookups_per_refill(B); ++n) {
                const size_t w = bits >> (64 - B);
                e = step[w];
                const uint16_t bytes = pair[w];
                std::memcpy(op, &bytes, 2);  // the second byte is overwritten when not output
                bits <<= (e & 63);
                count -= e & 63;
                op += e >> 6;
            }
            if (__builtin_expect((e >> 6) == 0, 0)) break;  // a long (or bad) code
        }
        s.pos = next * 8 - count;
        s.j = uint32_t(op - s.out);
        if ((e >> 6) != 0) return true;
        if (!slow_byte(payload, s, k.spec)) return false;
        op = s.out + s.j;
    }
}

// Finishes a row from any state: groups while they fit, then up to a group's lookups per refill,
// each yielding what still fits in the row.
template <unsigned B>
RowStatus finish_row(const uint8_t* payload, RowState& s, KernelSpec k) {
    if (!run_groups<B>(payload, s, k)) return RowStatus::BadCode;
    const BookTables& b = *s.book;
    while (s.j < k.dim) {
        uint64_t bits = window_at(payload, s.pos, s.end);
        unsigned used = 0, count = 1;
        for (unsigned n = 0; n < lookups_per_refill(B) && s.j < k.dim; ++n) {
            const size_t w = bits >> (64 - B);
            const uint8_t st = b.step[w];
            count = step_count(st);
            if (count == 0) break;
            const uint16_t bytes = b.pair[w];
            unsigned len;
            s.out[s.j++] = uint8_t(bytes);
            if (count == 2 && s.j < k.dim) {
                s.out[s.j++] = uint8_t(bytes >> 8);
                len = step_bits(st);
            } else {
                len = first_bits(b, st, bytes);
            }
            bits <<= len;
            used += len;
        }
        s.pos += used;
        if (count == 0 && !slow_byte(payload, s, k.spec)) return RowStatus::BadCode;
    }
    return s.pos <= s.end ? RowStatus::Ok : RowStatus::Overrun;
}

// One step of a row's tail with a refill per lookup (exact_row's schedule): the entry's bytes
// that still fit the row, or a slow byte. False on a code not in the book.
template <unsigned B>
inline bool tail_lookup(const uint8_t* payload, RowState& s, KernelSpec k) {
    const BookTables& b = *s.book;
    const size_t w = window_at(payload, s.pos, s.end) >> (64 - B);
    const uint8_t st = b.step[w];
    const unsigned n = step_count(st);
    if (n == 0) return slow_byte(payload, s, k.spec);
    const uint16_t bytes = b.pair[w];
    if (n == 2 && s.j + 2 <= k.dim) {
        s.out[s.j] = uint8_t(bytes);
        s.out[s.j + 1] = uint8_t(bytes >> 8);
        s.j += 2;
        s.pos += step_bits(st);
    } else {  // the last byte alone: its own code length
        s.out[s.j++] = uint8_t(bytes);
        s.pos += first_bits(b, st, bytes);
    }
    return true;
}

// A failing row's status (BadCode or Overrun) depends on where its refills read once its
// codes have run past its end (reads there are clamped to the end). finish_row refills where
// it is fastest; a row it fails is decoded again with the refill schedule the decoder always
// had (groups while 8 bytes fit, then a refill per lookup), so a corrupt row keeps its status.
// A row that decodes Ok never passes its end, so both schedules read the same bits for it.
template <unsigned B>
RowStatus exact_row(const uint8_t* payload, RowState& s, KernelSpec k) {
    if (!run_groups<B>(payload, s, k)) return RowStatus::BadCode;
    while (s.j < k.dim)
        if (!tail_lookup<B>(payload, s, k)) return RowStatus::BadCode;
    return s.pos <= s.end ? RowStatus::Ok : RowStatus::Overrun;
}

// Walks the code tree to fill a book's tables: every sequence of whole output bytes (at most
// kMaxBytesPerLookup) whose codes fit in lut_bits(spec) bits owns the range of windows that start
// with it, and a longer sequence overwrites the range of its prefix. Each level writes each
// entry at most once, so a table costs a few contiguous fills of 2^lut_bits entries, not a
// decode per window (building decoders was a third of the round-trip fuzzer's time).
class LutFiller {
  public:
    LutFiller(const CanonicalCode& code, SymbolSpec spec, uint8_t* step, uint16_t* pair)
        : m_code(code), m_spec(spec), m_step(step), m_pair(pair) {}
    // `prefix`: the `used` bits taken so far; `count` bytes done (`bytes`); `k` symbols of the
    // next byte read so far, their value `value`.
    void fill(uint32_t prefix, unsigned used, unsigned count, uint32_t bytes, unsigned k,
              unsigned value) const {
        const unsigned B = lut_bits(m_spec);
        for (const uint8_t s : m_code.sorted) {  // by length: stop at the first that overflows
            const unsigned l = m_code.lengths.len[s];
            if (used + l > B) break;
            const uint32_t p = prefix << l | m_code.code[s];
            const unsigned at = used + l, v = value << m_spec.bits | s;
            if (k + 1 < m_spec.per_byte()) {
                fill(p, at, count, bytes, k + 1, v);
                continue;
            }
            const uint8_t byte =
                m_spec.bits == 8 ? uint8_t(v) : split_inverse(m_spec.split, uint8_t(v));
            const uint32_t b = bytes | uint32_t(byte) << (8 * count);
            const size_t from = size_t(p) << (B - at), n = size_t(1) << (B - at);
            const uint8_t st = make_step(at, count + 1);
            // Most ranges of 16-bit windows are a few entries: a loop, not two library calls
            // (which cost more than the stores); long ranges are faster with fill_n's stores.
            if (n <= 16) {
                for (size_t i = 0; i < n; ++i) {
                    m_step[from + i] = st;
                    m_pair[from + i] = uint16_t(b);
                }
            } else {
                std::fill_n(m_step + from, n, st);
                std::fill_n(m_pair + from, n, uint16_t(b));
            }
            if (count + 1 < kMaxBytesPerLookup) fill(p, at, count + 1, b, 0, 0);
        }
    }

  private:
    const CanonicalCode& m_code;
    SymbolSpec m_spec;
    uint8_t* m_step;
    uint16_t* m_pair;
};

}  // namespace

LutEntry table_entry(const BookTables& b, uint32_t w) {
    const uint8_t st = b.step[w];
    return {step_bits(st), step_count(st), first_bits(b, st, b.pair[w]), b.pair[w]};
}

BookTables build_book(const CodeLengths& lengths, SymbolSpec spec) {
    BookTables b;
    b.code = make_canonical(lengths);
    b.max_len = lengths.max_len();
    // Windows that start with no whole byte stay 0: the row takes the slow path there.
    b.step.assign(size_t(1) << lut_bits(spec), 0);
    b.pair.assign(b.step.size(), 0);
    LutFiller(b.code, spec, b.step.data(), b.pair.data()).fill(0, 0, 0, 0, 0, 0);
    for (unsigned v = 0; v < 256; ++v) {  // a byte's symbols as the encoder splits it
        const uint8_t byte = uint8_t(v);
        uint8_t syms[2];
        row_symbols(&byte, 1, spec, syms);
        unsigned bits = 0;
        bool ok = true;
        for (unsigned k = 0; k < spec.per_byte(); ++k) {
            bits += lengths.len[syms[k]];
            ok &= lengths.len[syms[k]] != 0;
        }
        b.byte_len[v] = ok ? uint8_t(bits) : 0;
    }
    return b;
}

namespace {

template <unsigned B>
RowStatus decode_one(const uint8_t* payload, const RowJob& job, KernelSpec k) {
    prefetch_row(payload, job);
    RowState s{job.pos, job.end, job.out, 0, job.book};
    if (run_chain<B>(payload, s, k) && finish_row<B>(payload, s, k) == RowStatus::Ok)
        return RowStatus::Ok;
    RowState again{job.pos, job.end, job.out, 0, job.book};
    return exact_row<B>(payload, again, k);
}

template <unsigned B>
size_t decode_many(const uint8_t* payload, const RowJob* jobs, size_t count, KernelSpec k,
                   RowStatus* status) {
    for (size_t i = 0; i < count; ++i) prefetch_row(payload, jobs[i]);
    // Four rows in flight: enough independent chains to cover the lookup latency, few
    // enough that their state stays in registers and L1.
    constexpr size_t kWays = 4;
    size_t i = 0;
    for (; i + kWays <= count; i += kWays) {
        // Local copies: the output stores may alias anything reached through `jobs`.
        uint64_t pos[kWays], end[kWays];
        uint8_t* op[kWays];
        uint8_t* out[kWays];
        const uint8_t* step[kWays];
        const uint16_t* pair[kWays];
        for (size_t w = 0; w < kWays; ++w) {
            pos[w] = jobs[i + w].pos;
            end[w] = jobs[i + w].end;
            op[w] = out[w] = jobs[i + w].out;
            step[w] = jobs[i + w].book->step.data();
            pair[w] = jobs[i + w].book->pair.data();
        }
        // A step of row w that goes through its RowState (slow bytes, the tail's lookups).
        const auto on_row = [&](size_t w, auto&& f) {
            RowState s{pos[w], end[w], out[w], uint32_t(op[w] - out[w]), jobs[i + w].book};
            const bool ok = f(s);
            pos[w] = s.pos;
            op[w] = s.out + s.j;
            return ok;
        };
        bool bad = false;
        // All rows start at byte 0 and each group writes within group_span(B) bytes, so the
        // rows run together, without a bound check per group, for as many groups as the
        // furthest one has room for; a slow byte (one more byte) ends such a run early.
        for (bool slow = false; !bad;) {
            size_t furthest = 0;
            for (size_t w = 0; w < kWays; ++w)
                furthest = std::max(furthest, size_t(op[w] - out[w]));
            if (furthest + group_span(B) > k.dim) break;
            const size_t groups = (k.dim - furthest) / group_span(B);
            for (size_t g = 0; g < groups && !slow; ++g) {
                uint32_t last[kWays];
                for (size_t w = 0; w < kWays; ++w)
                    last[w] = group<B>(payload, pos[w], end[w], step[w], pair[w], op[w]);
                for (size_t w = 0; w < kWays; ++w) {
                    if (__builtin_expect(last_count(last[w]) != 0, 1)) continue;
                    bad |= !on_row(w, [&](RowState& s) { return slow_byte(payload, s, k.spec); });
                    slow = true;
                }
            }
            slow = false;
        }
        // The rows' ends, still interleaved: each row's own groups while they fit, then one
        // lookup per refill (exact_row's schedule). Finishing them one at a time left each
        // row's last ~60 bits to a lone dependency chain and a quarter of the time there.
        for (bool any = !bad; any && !bad;) {
            any = false;
            for (size_t w = 0; w < kWays; ++w) {
                if (size_t(op[w] - out[w]) + group_span(B) > k.dim) continue;
                any = true;
                if (last_count(group<B>(payload, pos[w], end[w], step[w], pair[w], op[w])) != 0)
                    continue;
                bad |= !on_row(w, [&](RowState& s) { return slow_byte(payload, s, k.spec); });
            }
        }
        for (bool any = !bad; any && !bad;) {
            any = false;
            for (size_t w = 0; w < kWays; ++w) {
                if (size_t(op[w] - out[w]) >= k.dim) continue;
                any = true;
                bad |= !on_row(w, [&](RowState& s) { return tail_lookup<B>(payload, s, k); });
            }
        }
        for (size_t w = 0; w < kWays; ++w) bad |= pos[w] > end[w];
        if (bad) {
            // Name the first bad row in order: re-run the batch's rows one at a time.
            for (size_t v = 0; v < kWays; ++v) {
                *status = decode_one<B>(payload, jobs[i + v], k);
                if (*status != RowStatus::Ok) return i + v;
            }
        }
    }
    for (; i < count; ++i) {
        *status = decode_one<B>(payload, jobs[i], k);
        if (*status != RowStatus::Ok) return i;
    }
    *status = RowStatus::Ok;
    return count;
}

// The kernel twice: with BMI2 where the CPU has it (shlx shifts by a register count in one
// micro-op, not through CL, and the shift is on every lookup's dependency chain; whole-table
// and batched decoding ~5-10 % faster), and portable. `flatten` inlines every callee into each
// clone, so that the clone's instructions are the ones that run.
template <unsigned B>
__attribute__((target("bmi2"), flatten)) RowStatus decode_one_bmi2(const uint8_t* payload,
                                                                   const RowJob& job,
                                                                   KernelSpec k) {
    return decode_one<B>(payload, job, k);
}
template <unsigned B>
__attribute__((flatten)) RowStatus decode_one_plain(const uint8_t* payload, const RowJob& job,
                                                    KernelSpec k) {
    return decode_one<B>(payload, job, k);
}
template <unsigned B>
__attribute__((target("bmi2"), flatten)) size_t decode_many_bmi2(const uint8_t* payload,
                                                                 const RowJob* jobs, size_t count,
                                                                 KernelSpec k, RowStatus* status) {
    return decode_many<B>(payload, jobs, count, k, status);
}
template <unsigned B>
__attribute__((flatten)) size_t decode_many_plain(const uint8_t* payload, const RowJob* jobs,
                                                  size_t count, KernelSpec k, RowStatus* status) {
    return decode_many<B>(payload, jobs, count, k, status);
}

template <unsigned B>
RowStatus decode_one_any(const uint8_t* payload, const RowJob& job, KernelSpec k) {
    return detail::cpu_has_bmi2() ? decode_one_bmi2<B>(payload, job, k)
                                  : decode_one_plain<B>(payload, job, k);
}
template <unsigned B>
size_t decode_many_any(const uint8_t* payload, const RowJob* jobs, size_t count, KernelSpec k,
                       RowStatus* status) {
    return detail::cpu_has_bmi2() ? decode_many_bmi2<B>(payload, jobs, count, k, status)
                                  : decode_many_plain<B>(payload, jobs, count, k, status);
}

}  // namespace

RowStatus decode_row(const uint8_t* payload, const RowJob& job, KernelSpec k) {
    return lut_bits(k.spec) == kLutBits4 ? decode_one_any<kLutBits4>(payload, job, k)
                                         : decode_one_any<kLutBits8>(payload, job, k);
}

size_t decode_rows(const uint8_t* payload, const RowJob* jobs, size_t count, KernelSpec k,
                   RowStatus* status) {
    return lut_bits(k.spec) == kLutBits4
               ? decode_many_any<kLutBits4>(payload, jobs, count, k, status)
               : decode_many_any<kLutBits8>(payload, jobs, count, k, status);
}

}  // namespace embzip::kernel
