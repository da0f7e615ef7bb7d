// SPDX-License-Identifier: MIT
// Co-simulation of a generated decoder against the encoder library: every decoded byte against
// RowDecoder, every overflowed row's index against the slot's, every row's cycles against
// row_timing / overflow_row_timing. Plain C++: the Verilated model is reached
// through IDecoderDut, implemented by tb_main.cpp for the model it is compiled with, so this
// logic is compiled once (by CMake) and not per model.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dut_abi.hpp"
#include "embzip/decoder_timing.hpp"
#include "embzip/layout.hpp"

namespace embzip::rtl {

// What the testbench reads from RTL_DIR/manifest.json.
struct RtlManifest {
    DecoderConfig config;
    std::string code_hash;
    unsigned symbol_bits = 8;
    unsigned symbols_per_row = 0;
};
// @throws FormatError / IoError
RtlManifest read_manifest(const std::string& rtl_dir);

struct CosimOptions {
    uint64_t first_row = 0;
    uint64_t rows = 300;
    bool stalls = false;   // random in_valid / out_ready: data is checked, cycles are not
    bool corrupt = false;  // flip bits in every third row: out_err must equal RowDecoder's status
    uint64_t seed = 1;
    bool reset = true;  // reset the decoder first (false: go on from where the last run left it)
    // Programmable designs: configuration writes (address, data) issued through the
    // configuration port after the reset and before the first row.
    std::vector<std::pair<uint32_t, uint32_t>> config;
};

struct CosimResult {
    bool ok = true;
    std::string failure;  // first mismatch, one line
    uint64_t rows = 0;
    uint64_t bytes = 0;
    uint64_t cycles = 0;
    uint64_t bad_rows = 0;       // corrupt rows (out_err checked)
    uint64_t timed_rows = 0;     // rows whose cycles were checked against row_timing
    uint64_t overflow_rows = 0;  // flagged rows whose out_ovf_index was checked
    double mean_latency = 0.0;
};

CosimResult run_cosim(IDecoderDut& dut, const CodedTable& table, const DecoderConfig& config,
                      const CosimOptions& options);

// One line: "cosim OK: ..." or "cosim FAILED (...): ...".
std::string cosim_summary(const CosimResult& result, const DecoderConfig& config,
                          const CosimOptions& options);

}  // namespace embzip::rtl
