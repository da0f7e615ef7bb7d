// SPDX-License-Identifier: MIT
// The coded table directory (table.ezt + code.json) and its one owner.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "embzip/layout.hpp"

namespace embzip {

// Indices that are easy to mix up: a row of the table, and a row of its raw overflow region.
enum class RowId : uint64_t {};
enum class OverflowIndex : uint64_t {};

// An overflowed row: slot `row` holds flag 1 and `index` into the overflow region.
struct OverflowEntry {
    RowId row;
    OverflowIndex index;
};

// The one owner of a coded table: opened once from a directory, validated (every field,
// length and checksum of table.ezt; code.json, if present, must describe the same code),
// immutable, shared (decoders built from it hold it alive), and caching what the tools
// derive from it. Every tool (embzip, embzip-sim, embzip-rtl, embzip-cosim) opens its input
// through here, so the file names and checks live in one place.
class CodedStore {
  public:
    static constexpr const char* kTableFile = "table.ezt";
    static constexpr const char* kCodeFile = "code.json";
    static std::string table_path(const std::string& dir);
    static std::string code_path(const std::string& dir);

    // @throws InputError if dir has no table.ezt, FormatError / IoError naming the file.
    static std::shared_ptr<const CodedStore> open(const std::string& dir);
    // A directory as open(), or a lone .ezt file (no code.json beside it to check).
    static std::shared_ptr<const CodedStore> open_path(const std::string& dir_or_ezt);
    // Decodes dir (checked as open() checks it) into an .npy at out without reading the rows
    // into memory (decode_ezt_to_npy); the table's description, its payload empty.
    // @throws as open(), and FormatError naming the first bad row
    static CodedTable decode_to_npy(const std::string& dir, const std::string& out,
                                    unsigned threads = 0);
    // A table built in memory (the encoder's output, a test's table).
    static std::shared_ptr<const CodedStore> adopt(CodedTable table, std::string dir = {});

    // Writes dir as a whole: table.ezt and code.json into a staging directory next to dir,
    // which then replaces dir in one rename (an atomic exchange when dir exists), so a reader
    // sees the old pair or the new pair, never a mix; a failed or interrupted write leaves the
    // old directory as it was (or none). Other files in an existing dir are carried over.
    // @throws IoError
    static void write(const std::string& dir, const CodedTable& table);

    CodedStore(std::shared_ptr<const CodedTable> table, std::string dir);

    const CodedTable& table() const { return *m_table; }
    const std::shared_ptr<const CodedTable>& shared_table() const { return m_table; }
    const std::string& dir() const { return m_dir; }  // empty for an adopted table
    const RowDecoder& decoder() const { return m_decoder; }
    // The rows decoded (decode_table), computed on first use and shared: the simulator's
    // pooled sums and code_lengths() both read them, so a table is decoded once.
    // @throws FormatError naming the first row that does not decode.
    const std::shared_ptr<const Table>& decoded() const;
    // Every row's code lengths (all_row_code_lengths), computed on first use.
    // @throws FormatError naming the first row that does not decode.
    const std::vector<uint8_t>& code_lengths() const;
    // The overflowed rows, sorted by row, each index checked against the region.
    // @throws FormatError naming a row whose index points past the region.
    const std::vector<OverflowEntry>& overflow_rows() const;

  private:
    std::shared_ptr<const CodedTable> m_table;
    std::string m_dir;
    RowDecoder m_decoder;
    mutable std::once_flag m_decoded_once, m_lengths_once, m_overflow_once;
    mutable std::shared_ptr<const Table> m_decoded;
    mutable std::vector<uint8_t> m_lengths;
    mutable std::vector<OverflowEntry> m_overflow;
};

}  // namespace embzip
