// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "embzip/code.hpp"
#include "embzip/decode_kernel.hpp"
#include "embzip/float_table.hpp"
#include "embzip/methods.hpp"
#include "embzip/table.hpp"

namespace embzip {

// Float tables: the coded byte rows are the exponent plane (one symbol per element, below
// 2^exp_bits); this plane holds every row's sign and mantissa bits, raw_bits per element.
struct RawPlane {
    FloatKind kind = FloatKind::BF16;
    uint32_t raw_bits = 0;
    std::vector<uint8_t> bytes;  // rows x row_bytes(dim)
    uint64_t row_bytes(uint32_t dim) const { return (uint64_t(dim) * raw_bits + 7) / 8; }
};

// A table coded at a fixed row pitch: row i occupies bits [i * pitch_bits, i * pitch_bits +
// row_bits) of the payload, MSB first: [overflow flag], selector bits, then the codes of its
// symbols, then zero padding. Row i is decodable from its offset alone; an overflowed row
// (flag 1) holds an index into the raw overflow region instead: one extra read.
// This is the in-memory value the encoder builds; a table on disk is opened as a CodedStore
// (coded_store.hpp), which owns one of these, validated, and what the tools derive from it.
struct CodedTable {
    uint64_t rows = 0;
    uint32_t dim = 0;
    Dtype dtype = Dtype::Int8;  // of the coded byte rows (float tables: Uint8 exponents)
    SymbolSpec spec;
    std::vector<CodeLengths> books;
    uint32_t selector_bits = 0;
    uint32_t row_bits = 0;
    uint32_t pitch_bits = 0;
    std::string method;
    Quantization quant;
    std::vector<uint8_t> payload;  // payload_bytes() bytes + kPayloadSlack zero bytes
    bool overflow = false;         // slots start with a 1-bit overflow flag
    uint32_t index_bits = 0;       // width of an overflow index
    uint64_t overflow_rows = 0;
    std::vector<uint8_t> overflow_region;  // overflow_rows x dim raw bytes
    std::optional<RawPlane> floats;        // set: a float table (rows are its exponent plane)

    bool is_float() const { return floats.has_value(); }
    uint64_t raw_row_bytes() const { return floats ? floats->row_bytes(dim) : 0; }
    unsigned value_bytes() const { return floats ? float_format(floats->kind).bits / 8 : 1; }
    // The element type of the table the rows decode to: int8, uint8, bf16, fp16, fp32.
    const char* element_name() const;
    // W of a whole row as stored: the slot's row_bits plus, for a float table, the row's raw
    // sign and mantissa bits (its share of the raw plane).
    uint64_t stored_row_bits() const {
        return row_bits + (floats ? uint64_t(dim) * floats->raw_bits : 0);
    }
    // Bytes of the table the rows decode to (what a plain table stores).
    uint64_t original_bytes() const { return rows * dim * value_bytes(); }

    static constexpr size_t kPayloadSlack = 8;  // lets the bit reader load 8 bytes at the end
    uint64_t payload_bytes() const { return (rows * pitch_bits + 7) / 8; }
    // Everything stored: rows, code books (one length byte per symbol), scales.
    uint64_t stored_bytes() const;
};

// Largest pitch granularity (--align): a row's padding is below it.
constexpr unsigned kMaxAlignBits = 4096;

// Bytes of an .ezt file with this geometry (header, sections, payload, overflow region).
uint64_t stored_bytes(uint64_t rows, uint32_t dim, SymbolSpec spec, size_t books,
                      uint32_t pitch_bits, QuantKind quant, bool overflow, uint64_t overflow_rows,
                      uint64_t raw_plane_bytes = 0);

// @pre result.books is not empty. align_bits: pitch granularity (1 = packed, 8 = bytes, ...).
// The rows are split over `threads` threads (0: every core); the result does not depend on it.
// @throws InputError when a row does not fit result.row_bits (the result is not for this table),
// naming the first such row.
CodedTable encode_table(const Table& table, const CodeResult& result, unsigned align_bits = 8,
                        unsigned threads = 0);
// Float table: result is a code for split_planes(table).exponents.
CodedTable encode_float_table(const FloatTable& table, const CodeResult& result,
                              unsigned align_bits = 8, unsigned threads = 0);
CodedTable encode_float_planes(const FloatPlanes& planes, FloatKind kind, const CodeResult& result,
                               unsigned align_bits = 8, unsigned threads = 0);

// A slot's header as the decoder reads it: the overflow flag and index, or the book. The one
// reader of slot headers: RowDecoder, the timing model and CodedStore all go through it.
struct SlotHeader {
    bool overflowed = false;
    uint64_t overflow_index = 0;  // valid when overflowed (not range-checked)
    unsigned book = 0;            // valid otherwise (not range-checked)
    unsigned bits = 0;            // header bits: where the row's codes start in its slot
};
// @pre row < table.rows, and the payload carries its kPayloadSlack bytes (every table built
// by encode_table or read from a file does).
SlotHeader slot_header(const CodedTable& table, uint64_t row);

// BadExponent: a float table's exponent symbol does not fit its format's exponent field (a
// corrupt file; merging it would overwrite the sign bit).
enum class Status {
    Ok,
    OutOfRange,
    BadSelector,
    BadCode,
    RowOverrun,
    BadOverflowIndex,
    BadExponent
};
const char* status_message(Status status);

// Random-access decoder. Never trusts the payload: any bit pattern yields Ok or an error
// status, never a read outside the payload. It shares ownership of its table, so it cannot
// outlive it: built from a shared_ptr (CodedStore::decoder() gives one ready-made), or from a
// CodedTable value, which it copies (moves, for a temporary).
class RowDecoder {
  public:
    explicit RowDecoder(std::shared_ptr<const CodedTable> table);
    explicit RowDecoder(CodedTable table);
    Status decode_row(uint64_t index, uint8_t* out) const;
    // Rows indices[0..count) into out (count x dim bytes), several rows interleaved: the gather an
    // embedding-bag lookup does. Returns the first error status, if any.
    Status decode_rows(const uint64_t* indices, size_t count, uint8_t* out) const;
    // Rows first..first+count into out (count x dim bytes), interleaved: whole-table decoding.
    Status decode_range(uint64_t first, uint64_t count, uint8_t* out) const;
    // Row values as stored in the original table: decode_row for byte tables; for float
    // tables dim little-endian elements (value_bytes() each), exponents merged with raw bits.
    Status decode_values(uint64_t index, uint8_t* out) const;

  private:
    enum class Start { Decode, Done, Failed };
    // Reads row index's slot header. Decode: job is ready for the kernel; Done: an overflowed
    // row, already copied to out; Failed: *status says why.
    Start start(uint64_t index, uint8_t* out, kernel::RowJob& job, Status* status) const;
    template <typename IndexFn>
    Status decode_batched(IndexFn index_of, size_t count, uint8_t* out) const;
    template <typename IndexFn>
    void prefetch_slots(IndexFn index_of, size_t first, size_t count) const;
    std::shared_ptr<const CodedTable> m_owner;
    const CodedTable& m_table;  // *m_owner
    std::vector<kernel::BookTables> m_books;
};

// A shared_ptr that does not own `table`: for a decoder that lives only inside a call that
// holds the table (decode_table, timing), so it need not copy it. Never let it escape.
std::shared_ptr<const CodedTable> borrow(const CodedTable& table);

// Decodes every row, split over `threads` threads (0: every core); the result does not depend
// on the thread count. @throws FormatError naming the first bad row.
Table decode_table(const CodedTable& table, unsigned threads = 0);
FloatTable decode_float_table(const CodedTable& table, unsigned threads = 0);
// decode_table into out (rows x dim bytes): no memory beyond the output and one batch's state.
void decode_rows_into(const CodedTable& table, uint8_t* out, unsigned threads = 0);
// The decoded table (float tables merged back to their values) in order, one block of whole
// rows at a time: sink(bytes, first_row, rows). Blocks hold about block_bytes (at least a row), so
// the memory beyond the coded table is O(one block), whatever the table's size; each block is split
// over `threads` (0: every core). A bad row throws FormatError (naming the first one) before the
// sink sees its block. first_row: the table is a window of a larger one, its row 0 that
// table's row first_row (as errors and the sink name them).
constexpr size_t kDecodeBlockBytes = size_t(4) << 20;
void decode_blocks(const CodedTable& table, unsigned threads,
                   const std::function<void(const uint8_t*, uint64_t, uint64_t)>& sink,
                   size_t block_bytes = kDecodeBlockBytes, uint64_t first_row = 0);

// .ezt file: see encoder/README.md for the layout. @throws FormatError / IoError.
// write_ezt writes one file; a coded directory is written whole by CodedStore::write.
std::vector<uint8_t> ezt_bytes(const CodedTable& table);
void write_ezt(const std::string& path, const CodedTable& table);
CodedTable read_ezt(const std::string& path);
// An open file from its current offset (not closed); name names it in errors. A regular file
// is read section by section, each body straight into its place in the table (the file is
// never held whole in memory); the same checks, in the same order, as parse_ezt.
CodedTable read_ezt_fd(int fd, const std::string& name);
CodedTable parse_ezt(const std::vector<uint8_t>& bytes, const std::string& name);
// Where the bulk of an .ezt file is: the rows section's body, and a float table's raw plane.
struct EztSection {
    uint64_t offset = 0, length = 0;  // in the file
    uint32_t crc = 0;                 // its stored CRC-32, not yet checked
};
struct EztBulk {
    EztSection rows, raw;
};
// read_ezt_fd without the bulk: every other section is read and checked (and the file's
// structure to its last byte), the rows and raw plane are only located, their payload and
// plane left empty (see decode_ezt_to_npy). False, reading nothing, if fd is not a regular
// file (no offsets to come back to).
bool read_ezt_meta(int fd, const std::string& name, CodedTable& table, EztBulk& bulk);

// code.json: per book every symbol's length and code bits, and the canonical tables.
std::string code_json(const CodedTable& table);

}  // namespace embzip
