// SPDX-License-Identifier: MIT
// embzip-rtl: generates a synthesizable Verilog-2005 row decoder for one code (one or more code
// books) whose cycle behaviour is the contract of embzip/decoder_timing.hpp, exactly.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "embzip/code.hpp"
#include "embzip/decoder_timing.hpp"
#include "embzip/layout.hpp"

namespace embzip::rtl {

// Limits of the generated hardware, in one place.
struct RtlGeometry {
    // Widest comparator / window the generator emits. Codes from the encoder never exceed
    // CodeGeometry::kMaxCodeLen, so every code the encoder makes is supported.
    static constexpr unsigned kMaxCodeLen = 32;
    // The lut design holds a 2^B-entry ROM per book; beyond 2^12 entries a ROM in logic is the
    // wrong tool (and yosys/Verilator time explodes).
    static constexpr unsigned kMaxLutBits = 12;
    static constexpr unsigned kMaxBooks = 16;
    // One row is buffered whole in flip-flops: refuse absurd rows rather than emit them.
    static constexpr unsigned kMaxPitchBits = 1u << 20;
    // Overflow index width: the encoder's limit (.ezt allows 1..40), one output port.
    static constexpr unsigned kMaxIndexBits = CodeGeometry::kMaxOverflowIndexBits;
};
static_assert(RtlGeometry::kMaxCodeLen >= CodeGeometry::kMaxCodeLen,
              "the generator must accept every code length the encoder produces");
static_assert(RtlGeometry::kMaxBooks >= CodeGeometry::kMaxBooks);

// What the generator needs to know about a code: read from code.json or taken from a table.
struct RtlCode {
    std::string method;
    SymbolSpec spec;
    uint32_t dim = 0;
    uint32_t symbols_per_row = 0;  // dim * spec.per_byte()
    uint32_t selector_bits = 0;
    uint32_t row_bits = 0;
    uint32_t pitch_bits = 0;
    std::vector<CodeLengths> books;
    // Overflow layout: every slot starts with a flag; flag 1 => an index_bits-bit index into
    // the raw overflow region (overflow_rows rows), no codes.
    bool overflow = false;
    uint32_t index_bits = 0;
    uint64_t overflow_rows = 0;

    unsigned max_code_len() const;
    unsigned header_bits() const {
        return (overflow ? 1u : 0u) + selector_bits;
    }  // flag + selector
};

// @throws FormatError (malformed JSON, inconsistent fields, code strings that are not the
// canonical code of the lengths) or InputError (a code the generator refuses, naming the
// encoder option to re-encode with).
RtlCode parse_code_json(const std::string& text, const std::string& name);
RtlCode read_code_json(const std::string& path);
RtlCode rtl_code_of(const CodedTable& table);

// Stable 64-bit hash of everything the generated decoder depends on (code and geometry).
uint64_t code_hash(const RtlCode& code);
std::string hex64(uint64_t value);

// @throws InputError when the configuration or the code is outside what the generator supports.
void check_supported(const RtlCode& code, const DecoderConfig& config);

// Derived hardware dimensions (all in bits unless named otherwise). See rtl_gen/README.md.
struct RtlDims {
    unsigned symbol_bits = 8;
    unsigned books = 1;
    unsigned book_bits = 0;   // register holding the selector (0: one book)
    unsigned header = 0;      // H: overflow flag + selector bits at the start of a slot
    unsigned max_len = 1;     // L: longest code over all books
    unsigned window = 1;      // P: bits the decode step looks at (L, or max(B, L) for lut)
    unsigned refill = 1;      // F = P + H: bits moved from the row store a refill
    unsigned acc = 2;         // A = P + F: bit accumulator
    unsigned words = 1;       // I = ceil(pitch / bus): input words per row
    unsigned store = 8;       // I * bus: row store
    unsigned count_bits = 1;  // out_count width
    unsigned out_bits = 8;    // S * symbol bits
};
RtlDims rtl_dims(const RtlCode& code, const DecoderConfig& config);

// One multi-symbol lookup entry: what the lut design decodes from a B-bit window.
struct LutEntry {
    unsigned count = 0;             // symbols decoded (0: first code longer than B, or invalid)
    std::vector<uint8_t> symbols;   // count symbols
    std::vector<uint8_t> cum_bits;  // cum_bits[j] = bits of the first j+1 codes
};
// Greedy, as the contract: decode while fewer than S symbols and the next code fits in B bits.
LutEntry lut_entry(const CanonicalCode& code, unsigned lut_bits, unsigned symbols_per_cycle,
                   uint32_t window);

// Timing of the decoder over the rows of a coded table (the manifest's "table" figures).
struct TableTiming {
    uint64_t rows = 0;
    uint64_t min_latency = 0;
    uint64_t max_latency = 0;
    double mean_latency = 0.0;
    double decoded_bits_per_cycle = 0.0;  // 8 * dim / mean latency (one row at a time)
    // A lane kept busy (rows always waiting): cycles from one row's start to the next's, which
    // overlap shortens to max(input, pipeline + decode steps) (schedule_row); else the latency.
    double mean_row_interval = 0.0;
    double rows_per_cycle = 0.0;       // 1 / mean_row_interval
    double lane_bits_per_cycle = 0.0;  // 8 * dim * rows_per_cycle: a busy lane's throughput
};
TableTiming table_timing(const CodedTable& table, const DecoderConfig& config, uint64_t max_rows);

constexpr const char* kDefaultPrefix = "embzip_";

// How the baked design holds the row (rtl_gen/README.md, "Row store"): a shift register that
// words shift into and refills shift out of, or words written once in place and read at a
// moving chunk pointer (overlap: two such banks, ping-pong). Same cycles either way.
enum class RowStore { Shift, Pointer };
const char* row_store_name(RowStore store);
// @throws InputError for anything but "shift" or "pointer".
RowStore parse_row_store(const std::string& text);
constexpr const char* kGeneratorVersion = "embzip-rtl 2";

// Packaging options: they change names and constraints, never the logic.
struct RtlOptions {
    // Module and file names start with it (PREFIXdecoder, PREFIXcanon, PREFIXlut): decoders of
    // different codes in one chip get different prefixes.
    std::string prefix = kDefaultPrefix;
    double clock_mhz = 200.0;  // the SDC's clock
    // chain only: decoders at every offset a run of codes can end at, all in parallel, and a mux
    // per symbol (S = 2: one decoder plus a mux deep, not two decoders). The same entries, so
    // the same cycle contract; more decoders, shorter path.
    bool speculative = false;
    RowStore row_store = RowStore::Shift;
};
// @throws InputError for a prefix that is not the start of a Verilog identifier, or a clock
// outside 1..10000 MHz.
void check_options(const RtlOptions& options);

struct GeneratedRtl {
    std::string top;                                         // top module name
    std::vector<std::pair<std::string, std::string>> files;  // Verilog: name -> text, leaves first
    std::vector<std::pair<std::string, std::string>> aux;    // filelist (.f) and constraints (.sdc)
    std::string manifest;                                    // manifest.json text
};

// @param table_stats timing over a real table for the manifest, or nullptr.
GeneratedRtl generate_decoder(const RtlCode& code, const DecoderConfig& config,
                              const TableTiming* table_stats = nullptr,
                              const RtlOptions& options = {});

// Several codes in one netlist: `main` plus the designs embzip-rtl wrote into `dirs` (each with
// its own --prefix), under a wrapper PREFIXmulti (PREFIX: main's) sharing clk and rst_n; main's
// ports keep their names, the others' are prefixed with their module prefix. The result's
// files are all the designs' Verilog and the wrapper; its top is the wrapper.
// @throws InputError (a prefix used twice), FormatError, IoError
GeneratedRtl with_companions(const GeneratedRtl& main, const std::vector<std::string>& dirs);

// Writes every file atomically into dir (created if missing) and removes the generated files
// a previous run's manifest names that this design does not have. @throws IoError
void write_rtl(const std::string& dir, const GeneratedRtl& rtl);

}  // namespace embzip::rtl
