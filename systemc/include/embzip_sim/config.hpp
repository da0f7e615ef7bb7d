// SPDX-License-Identifier: MIT
// Two-layer configuration (DRAMSys style): the JSON tree is read into raw structs whose fields
// are optional (unknown keys and wrong types are errors naming the key path), then validated
// into SimConfig, which applies the named defaults and rejects bad values
// ("decoder.lanes: must be >= 1, got 0"). Every field is documented in sim_configs/README.md.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "embzip/decoder_timing.hpp"
#include "embzip_sim/dram.hpp"
#include "embzip_sim/model.hpp"

namespace embzip::sim {

struct TableSpec {
    std::string coded_dir;  // non-empty: DIR/table.ezt; otherwise the declared fields below
    uint64_t rows = 0;
    uint32_t dim = 0;
    uint32_t row_bits = 0;
    uint32_t symbol_bits = 8;
    uint32_t selector_bits = 0;
    PitchSpec pitch;
    double overflow_fraction = 0.0;
};

// cpp: lanes timed by the decoder_timing.hpp contract, rows from the library's decoder.
// rtl: lanes are the generated Verilog, Verilated in SystemC mode (systemc/rtl_lanes.hpp).
enum class DecoderModel { Cpp, Rtl };

struct DecoderSpec {
    static constexpr unsigned kLanes = 4;
    static constexpr double kClockGhz = 1.0;
    static constexpr unsigned kFifoRows = 16;
    unsigned lanes = kLanes;
    double clock_ghz = kClockGhz;
    unsigned fifo_rows = kFifoRows;
    DecoderConfig timing;  // arch, symbols_per_cycle, lut_bits, bus_bits
    DecoderModel model = DecoderModel::Cpp;
};

struct PoolingSpec {
    static constexpr unsigned kLatencyCycles = 1;
    double clock_ghz = DecoderSpec::kClockGhz;
    unsigned latency_cycles = kLatencyCycles;
};

struct BaselineSpec {
    bool enabled = true;
    PitchSpec pitch;  // of the plain table: byte (= dim bytes) by default
};

struct RunSpec {
    static constexpr double kQuantumNs = 1000.0;
    double quantum_ns = kQuantumNs;  // memory run-ahead per wake; results do not depend on it
};

struct SimConfig {
    std::string name;
    DramConfig memory;
    TableSpec table;
    DecoderSpec decoder;
    PoolingSpec pooling;
    StreamSpec stream;
    BaselineSpec baseline;
    RunSpec sim;
};

// Reads a config file, replaces every section given as a string by the file it names (relative
// to the naming file; .json, or .ini for memory), makes file paths inside absolute, then applies
// each --set override ("decoder.lanes=4", value parsed as JSON or else taken as a string).
// @throws InputError / IoError naming the file or key.
nlohmann::json load_config_tree(const std::string& path, const std::vector<std::string>& overrides);
// Applies one override to a tree (paths in the value are relative to the working directory).
void apply_override(nlohmann::json& tree, const std::string& assignment);
// A DRAMsim3 .ini file as a memory section. @throws InputError naming a missing key.
nlohmann::json ini_to_memory_json(const std::string& path);
// Raw parse then validation. @throws InputError "<key.path>: <what>, got <value>".
SimConfig parse_config(const nlohmann::json& tree);

}  // namespace embzip::sim
