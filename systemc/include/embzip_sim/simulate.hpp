// SPDX-License-Identifier: MIT
// One embzip-sim run: the compressed table and (unless disabled) the plain table, on the same
// lookup stream and memory, elaborated side by side and simulated together.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "embzip_sim/config.hpp"
#include "embzip_sim/energy.hpp"

namespace embzip::sim {

struct LatencySummary {
    double mean = 0, p50 = 0, p95 = 0, p99 = 0, max = 0;
};
LatencySummary summarize(std::vector<double> values);

// One stage's utilisation by its own capacity (see systemc/README.md, "Bottleneck").
struct StageUtil {
    std::string stage;  // data_bus, activations, dram_banks, sram_banks, decoder_lanes,
                        // decoder_fifo, pooling, requests_in_flight
    std::string where;  // the tier, for memory stages
    double util = 0;
};

struct TierResult {
    std::string name;
    bool sram = false, cache = false;
    uint64_t capacity_bytes = 0, bytes_stored = 0, rows_stored = 0;
    uint64_t reads = 0, bytes_read = 0;  // reads answered (rows and overflow rows), bytes moved
    double share = 0;                    // of all reads
    double bus_util = 0, act_util = 0, bank_util = 0, row_buffer_hit_rate = 0;  // DRAM
};

struct TableResult {
    std::string name;
    uint64_t rows = 0;
    uint32_t row_bits = 0, pitch_bits = 0, dim = 0;
    bool coded = false;
    std::vector<uint64_t> rows_per_tier, bytes_per_tier, reads_per_tier;
};

struct SystemResult {
    std::string system;  // coded, plain (byte pitch), plain (burst pitch)
    std::string table;
    uint64_t lookups = 0, samples = 0;
    uint32_t row_bits = 0, pitch_bits = 0, dim = 0;
    double sim_ns = 0;
    double lookups_per_s = 0, samples_per_s = 0, dram_bytes_per_s = 0, decoded_bytes_per_s = 0;
    uint64_t dram_bytes = 0, overflow_reads = 0;
    uint64_t merged_reads = 0;  // bursts answered by a read already queued for them
    SystemEnergy energy;
    uint64_t sum_checksum = 0;  // pooled sums of the decoded rows (LookupSource), 0: no data
    LatencySummary latency, sample_latency;
    double row_buffer_hit_rate = 0;
    std::vector<double> channel_util, bus_util;
    std::vector<std::vector<double>> bank_util;
    double memory_util = 0, decoder_util = 0, pooling_util = 0;
    unsigned lanes = 0;
    std::string bottleneck, bottleneck_where;
    std::vector<StageUtil> stages;
    std::vector<TierResult> tiers;
    std::vector<TableResult> tables;
    uint64_t bytes_stored = 0, sram_bytes = 0;
    bool has_cache = false;
    uint64_t cache_hits = 0, cache_misses = 0;
};

struct SimResult {
    std::string name;
    std::string memory;
    SystemResult compressed;
    std::optional<SystemResult> baseline;        // plain, baseline.pitch (byte by default)
    std::optional<SystemResult> baseline_burst;  // plain, burst-aligned pitch (baseline.burst)
    bool burst_same_as_byte = false;             // every table's two plain pitches are equal
    double wall_s = 0;                           // the whole call: setup, simulation, results
    double setup_s = 0;  // of which before the simulation starts (tables read, lanes' timing)
};

// The file a --trace path names: itself when it ends in ".vcd", else the path + ".vcd"
// (SystemC always appends ".vcd" to the name it is given).
std::string vcd_file_name(const std::string& trace_path);

struct RunOptions {
    std::string trace_path;  // VCD (vcd_file_name: ".vcd" added when missing), empty: none
    bool progress = false;   // stderr, at most once a second, only for runs longer than a second
};

// Table models as the simulator sees them. @throws InputError / FormatError / IoError.
// burst_bytes: of the first DRAM tier (pitch "burst").
// with_timing false: the slots' addresses only (no decode cycles, no decoded rows), which is
// all a memory-only run reads, so it does not decode the table.
TableModel build_coded_table(const TableEntry& entry, const DecoderConfig& decoder,
                             uint32_t burst_bytes, bool with_timing = true);
// with_data: decode a coded directory's rows for the pooling sums (TableModel::data).
// store: the coded directory's, already open (nullptr: open spec.coded_dir).
TableModel build_plain_table(const TableEntry& entry, const PitchSpec& pitch, uint32_t burst_bytes,
                             bool with_data, std::shared_ptr<const CodedStore> store = nullptr);
// The first table of a config (single-table configs).
TableModel build_compressed_table(const SimConfig& config, bool with_timing = true);
TableModel build_plain_table(const SimConfig& config, bool with_data = true);
PipelineTiming pipeline_timing(const SimConfig& config);

// Elaborates and runs; call once per process (SystemC cannot elaborate twice).
SimResult simulate(const SimConfig& config, const RunOptions& options = {});

nlohmann::json to_json(const SimResult& result);
std::string summary_text(const SimResult& result);

}  // namespace embzip::sim
