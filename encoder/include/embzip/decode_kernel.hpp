// SPDX-License-Identifier: MIT
// The software row decoder's hot loop (RowDecoder calls it after reading a slot's
// header). Huff0's recipe on fixed-pitch rows: a multi-symbol lookup table (up to two output
// bytes per lookup), four lookups per branch-free refill, several rows decoded interleaved.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "embzip/code.hpp"
#include "embzip/symbols.hpp"

namespace embzip::kernel {

// One lookup reads lut_bits(spec) bits; as many lookups follow each refill as fit the >= 57
// valid bits it leaves (8 bytes loaded at a byte boundary, the lowest bit the kernel's marker):
// 56 / lut_bits. 8-bit codes: 14 bits (a 16 KiB step table, 4 lookups a refill), which makes
// two 7-bit codes one lookup, the common case of int8 embeddings (codes mostly 6-8 bits).
// 4-bit codes: a byte is two codes, ~7.2 bits on the default table, so two bytes fit 14 bits
// in only half the pairs; 16 bits (3 lookups a refill, a 64 KiB step table beyond L1) fit
// nearly all, 1.97 bytes a lookup against 1.4, and decode ~35 % faster. For 8-bit codes 16
// bits were ~15 % slower (two bytes already fit 14 bits, and the table left L1).
constexpr unsigned kLutBits8 = 14;
constexpr unsigned kLutBits4 = 16;
constexpr unsigned lut_bits(SymbolSpec spec) { return spec.bits == 4 ? kLutBits4 : kLutBits8; }
constexpr unsigned lookups_per_refill(unsigned lut_bits) { return 56 / lut_bits; }
static_assert(lookups_per_refill(kLutBits8) == 4 && lookups_per_refill(kLutBits4) == 3);
// Output bytes one lookup may produce (a `pair` entry's 16 bits are stored as they are).
constexpr unsigned kMaxBytesPerLookup = 2;

// Decoding tables of one code book.
struct BookTables {
    // Per lut_bits(spec)-bit window, the whole output bytes whose codes fit in it. `step`: bits
    // 0..5 the bits they take, 6..7 how many bytes (0: the first byte needs a code longer than
    // the window, or the window is not a code; the step then consumes nothing and the row takes
    // the slow path); it is all the next lookup waits for (16 KiB for 8-bit codes, in L1).
    // `pair`: the bytes (the first in bits 0..7), loaded beside it, off the dependency chain.
    std::vector<uint8_t> step;
    std::vector<uint16_t> pair;
    // Per byte value, the bits of its code (8-bit) or two codes (4-bit); 0: not codable. A row's
    // last byte, alone from a two-byte window, takes this many bits.
    std::array<uint8_t, 256> byte_len{};
    CanonicalCode code;
    unsigned max_len = 0;
};

// One window's entry (for tests and tools; the kernel reads the tables inline).
struct LutEntry {
    unsigned bits;       // bits the whole bytes take (0 when count is 0)
    unsigned count;      // whole bytes, 0..kMaxBytesPerLookup
    unsigned first_len;  // bits of the first byte alone
    uint32_t bytes;      // the bytes, the first in bits 0..7
};
LutEntry table_entry(const BookTables& book, uint32_t window);

// @pre the book's lengths passed make_canonical (Kraft, lengths <= kMaxCodeLen).
BookTables build_book(const CodeLengths& lengths, SymbolSpec spec);

enum class RowStatus : uint8_t { Ok, BadCode, Overrun };

// A row to decode: its codes start at payload bit `pos` and must end by bit `end` (the end of
// its slot's row_bits). `end` must lie within the payload, whose buffer extends >= 8 bytes
// past ceil(end / 8): every load is clamped to `end`, so no bit pattern reads further.
struct RowJob {
    uint64_t pos;
    uint64_t end;
    const BookTables* book;
    uint8_t* out;  // dim bytes
};

struct KernelSpec {
    uint32_t dim;
    SymbolSpec spec;
};

// Asks for every cache line of payload bits [pos, end) at once, so that a row fetched from
// memory costs one miss latency, not one per line as the decode reaches it.
inline void prefetch_bits(const uint8_t* payload, uint64_t pos, uint64_t end) {
    const uint8_t* p = payload + (pos >> 3);
    const uint8_t* last = payload + (end >> 3);
    for (; p <= last; p += 64) __builtin_prefetch(p);
    __builtin_prefetch(last);
}

RowStatus decode_row(const uint8_t* payload, const RowJob& job, KernelSpec k);
// Decodes jobs[0..count) several at a time, interleaved. Returns the first job (in order)
// that failed, or count; *status is its status.
size_t decode_rows(const uint8_t* payload, const RowJob* jobs, size_t count, KernelSpec k,
                   RowStatus* status);

}  // namespace embzip::kernel
