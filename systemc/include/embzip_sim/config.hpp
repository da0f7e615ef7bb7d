// SPDX-License-Identifier: MIT
// The simulator's configuration schema. Each section is a struct whose defaults are its
// `static constexpr` members; config.cpp lists every key once (name, field, range, required or
// not) and derives from that one list the JSON reader (`from_json`: unknown keys and bad values
// are errors naming the key path, "decoder.lanes: must be >= 1, got 0"), the writer
// (`to_json`, `--print-config`), the defaults tree and the key list that the README test
// compares with sim_configs/README.md.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "embzip/decoder_timing.hpp"
#include "embzip_sim/config_error.hpp"
#include "embzip_sim/dram.hpp"
#include "embzip_sim/energy.hpp"
#include "embzip_sim/model.hpp"
#include "embzip_sim/tiers.hpp"

namespace embzip::sim {

struct TableSpec {
    static constexpr uint32_t kSymbolBits = 8;
    static constexpr uint32_t kSelectorBits = 0;
    static constexpr double kOverflowFraction = 0.0;
    std::string coded_dir;  // non-empty: DIR/table.ezt; otherwise the declared fields below
    uint64_t rows = 0;
    uint32_t dim = 0;
    uint32_t row_bits = 0;
    uint32_t symbol_bits = kSymbolBits;
    uint32_t selector_bits = kSelectorBits;
    PitchSpec pitch;  // File for coded tables, Byte for declared ones unless given
    double overflow_fraction = kOverflowFraction;
};

// One table of a many-table config (`tables`; the single `table` section is a one-table list):
// its layout, its own lookup stream (distribution, trace, pooling factor; batches, batch size
// and outstanding limit are the top `stream`'s), and how the coded system stores it.
struct TableEntry {
    std::string name;
    TableSpec spec;
    ValueType value_type = ValueType::Int8;
    bool coded = true;  // false: the coded system stores this table plain too
    StreamSpec stream;
    std::string key;  // "table" or "tables.<i>", for error messages
};

// cpp: lanes timed by the decoder_timing.hpp contract, rows from the library's decoder.
// rtl: lanes are the generated Verilog, Verilated in SystemC mode (systemc/rtl_lanes.hpp).
enum class DecoderModel { Cpp, Rtl };

struct DecoderSpec {
    static constexpr unsigned kLanes = 4;
    static constexpr double kClockGhz = 1.0;
    static constexpr unsigned kFifoRows = 16;
    static constexpr DecoderArch kArch = DecoderArch::Lut;
    static constexpr unsigned kSymbolsPerCycle = 2;  // lut and chain; canonical: 1
    static constexpr unsigned kLutBits = 10;
    static constexpr unsigned kBusBits = 64;
    static constexpr DecoderModel kModel = DecoderModel::Cpp;
    unsigned lanes = kLanes;
    double clock_ghz = kClockGhz;
    unsigned fifo_rows = kFifoRows;
    DecoderConfig timing{kArch, kSymbolsPerCycle, kLutBits, kBusBits};
    DecoderModel model = kModel;
};

struct PoolingSpec {
    static constexpr unsigned kLatencyCycles = 1;
    // Its own clock, not the decoder's: the plain baselines pool too, and a slow decoder clock
    // (e.g. a hardware flow's fmax) must not slow them.
    static constexpr double kClockGhz = 1.0;
    double clock_ghz = kClockGhz;
    unsigned latency_cycles = kLatencyCycles;
};

struct BaselineSpec {
    static constexpr bool kEnabled = true;
    static constexpr bool kBurst = true;
    bool enabled = kEnabled;
    PitchSpec pitch;      // of the plain table: byte (= dim bytes) by default
    bool burst = kBurst;  // also the plain table at burst-aligned pitch (unless that is `pitch`)
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
    // Many tables and memory tiers (tiers.hpp); filled from `table`/`memory` when the config has
    // no `tables`/`tiers` keys. `memory` above is then the first DRAM tier.
    std::vector<TableEntry> tables;
    std::vector<TierSpec> tiers;
    PlacementSpec placement;
    EnergySpec energy;
};

// Section readers and writers (nlohmann/json ADL hooks). Readers throw ConfigError with the
// path inside the section; parse_config prefixes the section.
void from_json(const nlohmann::json& j, DramTiming& c);
void to_json(nlohmann::json& j, const DramTiming& c);
void from_json(const nlohmann::json& j, DramPower& c);
void to_json(nlohmann::json& j, const DramPower& c);
void from_json(const nlohmann::json& j, EnergySpec& c);
void to_json(nlohmann::json& j, const EnergySpec& c);
void from_json(const nlohmann::json& j, DramConfig& c);
void to_json(nlohmann::json& j, const DramConfig& c);
void from_json(const nlohmann::json& j, TableSpec& c);
void to_json(nlohmann::json& j, const TableSpec& c);
void from_json(const nlohmann::json& j, DecoderSpec& c);
void to_json(nlohmann::json& j, const DecoderSpec& c);
void from_json(const nlohmann::json& j, PoolingSpec& c);
void to_json(nlohmann::json& j, const PoolingSpec& c);
void from_json(const nlohmann::json& j, StreamSpec& c);
void to_json(nlohmann::json& j, const StreamSpec& c);
void from_json(const nlohmann::json& j, BaselineSpec& c);
void to_json(nlohmann::json& j, const BaselineSpec& c);
void from_json(const nlohmann::json& j, RunSpec& c);
void to_json(nlohmann::json& j, const RunSpec& c);
void from_json(const nlohmann::json& j, SimConfig& c);
void to_json(nlohmann::json& j, const SimConfig& c);
// The `tables`, `tiers`, `placement` and `baseline.burst` keys (config_tiers.cpp), on top of
// the validated single-table config. @throws InputError naming the key path.
void parse_tiers(const nlohmann::json& tree, SimConfig& config);
// Makes paths in `tables` (coded_dir, trace_file) and `tiers` (memory files) absolute, relative
// to `dir`, and replaces a tier's memory file name by its contents.
void resolve_tier_paths(nlohmann::json& tree, const std::string& dir);
// The resolved config (to_json) with the tree's tables/tiers/placement keys in place of the
// single-table stand-ins.
nlohmann::json resolved_config_json(const SimConfig& config, const nlohmann::json& tree);

// Reads a config file, replaces every section given as a string by the file it names (relative
// to the naming file; .json, or .ini for memory), makes file paths inside absolute, then applies
// each --set override ("decoder.lanes=4", value parsed as JSON or else taken as a string).
// @throws InputError / IoError naming the file or key.
nlohmann::json load_config_tree(const std::string& path, const std::vector<std::string>& overrides);
// Applies one override to a tree. A value naming a file (a section such as memory=x.json,
// table.coded_dir, stream.trace_file) is relative to the working directory.
void apply_override(nlohmann::json& tree, const std::string& assignment);
// A DRAMsim3 .ini file as a memory section. @throws InputError naming the file, section and key.
nlohmann::json ini_to_memory_json(const std::string& path);
// Schema read, defaults applied, cross-key checks. @throws ConfigError "<key.path>: <what>".
SimConfig parse_config(const nlohmann::json& tree);
// Every key with its default; keys without a default (required) are null.
nlohmann::json default_config_json();
// The keys of a `tables` entry, a `tiers` entry and `placement`, with their defaults (null where
// there is none or it depends on other keys).
nlohmann::json list_defaults_json();
// Every leaf key path of the schema ("memory.timing.tCK", "decoder.lanes", "tiers.banks", ...),
// sorted; list entries' keys under the list's name.
std::vector<std::string> config_key_paths();

}  // namespace embzip::sim
