// SPDX-License-Identifier: MIT
// The cycle contract of one hardware row-decoder lane. The generated Verilog (rtl_gen/) is
// checked against it cycle for cycle, and the SystemC model (systemc/) uses it as the
// decoder's timing, so the two can never drift apart. Plain C++, no SystemC.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "embzip/layout.hpp"

namespace embzip {

// Chain: S single-symbol decoders chained over a B-bit window (no ROM, so B may exceed 16); its
// timing is the lut rule with B as the window.
enum class DecoderArch { Canonical, Lut, Chain };
const char* decoder_arch_name(DecoderArch arch);
DecoderArch parse_decoder_arch(const std::string& text);

struct DecoderConfig {
    DecoderArch arch = DecoderArch::Lut;
    unsigned symbols_per_cycle = 2;  // S: code symbols (bytes, or nibbles for 4-bit codes)
    unsigned lut_bits = 10;  // B (lut, chain): code bits one table lookup / one step looks at
    unsigned bus_bits = 64;  // width of the input word stream
    // Overlap load and decode: a second row buffer takes the next row's words while the current
    // row decodes (schedule_row). Off: one row at a time, as row_timing's latency says.
    bool overlap = false;
};

// Fixed pipeline cycles from "row fully buffered" to the first decode step.
constexpr unsigned kDecoderPipelineLatency = 2;
// Cycles the lut microarchitecture spends on one symbol whose code is longer than B
// (table miss, then canonical comparison).
constexpr unsigned kDecoderLongCodeCycles = 2;

// Timing of one row on one lane.
//  input_cycles  = ceil(pitch_bits / bus_bits): one bus word a cycle, the row buffered whole.
//  decode_steps  = canonical: one symbol a cycle (S must be 1).
//                  lut, chain: greedy from the row's first symbol: a step emits the longest run of
//                  at most S consecutive symbols whose code lengths sum to <= B; a symbol longer
//                  than B costs kDecoderLongCodeCycles on its own.
//  latency       = input_cycles + kDecoderPipelineLatency + decode_steps (first word in to
//                  last symbol out). Without overlap the lane takes the next row only after
//                  that; with overlap see schedule_row.
struct RowTiming {
    uint64_t input_cycles = 0;
    uint64_t decode_steps = 0;
    uint64_t latency_cycles = 0;
};

// @param code_lens code length of every symbol of the row, in order (selector not included).
// @throws InputError for an invalid configuration (S = 0, canonical with S != 1, B = 0, ...).
RowTiming row_timing(const DecoderConfig& config, uint32_t pitch_bits, const uint8_t* code_lens,
                     size_t count);

// Timing of an overflowed row (overflow flag 1): the lane buffers the slot as any row, reads the
// flag and the overflow index in the pipeline and emits one beat carrying the index, no symbols.
//  decode_steps = 0, latency = input_cycles + kDecoderPipelineLatency
// (= row_timing with no symbols; the memory system's read of the raw row is not the lane's).
// @throws InputError for an invalid configuration, as row_timing.
RowTiming overflow_row_timing(const DecoderConfig& config, uint32_t pitch_bits);

// One lane's schedule of rows, in absolute cycles (cycle 0: the first cycle after reset), with
// every row's words offered back to back from its `arrival` and `out_ready` held 1.
//  Without overlap: first_word = max(arrival, previous row's done); done = first_word + latency.
//  With overlap (a load buffer of one row slot beside the decode store):
//   first_word = max(arrival, previous row's prime): in_ready is 0 while the load buffer holds a
//                row the decode side has not taken, and rises in the row's prime cycle;
//   last word  = first_word + input_cycles - 1 (in_ready stays 1 through a row's words);
//   prime      = max(first_word + input_cycles, previous row's done): the decode side takes the
//                row in the cycle its last word is accepted or, if later, in the cycle the
//                previous row's last beat is accepted, and primes in the next;
//   done       = prime + kDecoderPipelineLatency + decode_steps (last beat accepted in done - 1;
//                an overflowed row has no decode steps: its one beat in prime + 1).
//  A row reaching an idle lane therefore has row_timing's latency either way; a busy lane
//  starts a row every max(input_cycles, kDecoderPipelineLatency + decode_steps) cycles instead
//  of every latency.
struct RowCycles {
    uint64_t first_word = 0;  // first word accepted
    uint64_t prime = 0;       // PRIME: the row's first cycle in the decode store
    uint64_t done = 0;        // the cycle after the row's last beat is accepted
};
struct LaneCycles {
    uint64_t load_free = 0;    // earliest cycle the next row's first word is accepted
    uint64_t decode_free = 0;  // earliest prime cycle of the next row (previous row's done)
};
// Schedules one row on `lane` (row: row_timing or overflow_row_timing of it) and advances it.
RowCycles schedule_row(const DecoderConfig& config, LaneCycles& lane, uint64_t arrival,
                       const RowTiming& row);

// Code lengths of row `index` of a coded table, in symbol order (decodes the row); empty for an
// overflowed row, which holds no codes (row_timing of it is overflow_row_timing).
// @throws FormatError if the row does not decode.
std::vector<uint8_t> row_code_lengths(const CodedTable& table, uint64_t index);
// The same with a decoder of `table` the caller keeps: building one builds every book's lookup
// tables, so a loop over rows builds it once.
std::vector<uint8_t> row_code_lengths(const CodedTable& table, const RowDecoder& decoder,
                                      uint64_t index);

// Code lengths of every row, row-major (dim * spec.per_byte() a row): row_code_lengths for all
// rows with one decoder for the whole table. The selector is read after the overflow flag when
// the table has one; an overflowed row (flag 1) holds no codes, so its lengths are all 0.
// @throws FormatError naming the first row that does not decode.
std::vector<uint8_t> all_row_code_lengths(const CodedTable& table);
// The same from the table's rows already decoded (decode_table(table)), which the lengths are
// read from: a tool that needs both decodes once.
std::vector<uint8_t> all_row_code_lengths(const CodedTable& table, const Table& decoded);

void validate(const DecoderConfig& config);

}  // namespace embzip
