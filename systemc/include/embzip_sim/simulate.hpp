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

struct SystemResult {
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
    std::string bottleneck;
};

struct SimResult {
    std::string name;
    std::string memory;
    SystemResult compressed;
    std::optional<SystemResult> baseline;
    double wall_s = 0;
};

struct RunOptions {
    std::string trace_path;  // VCD (".vcd" appended by SystemC), empty: none
    bool progress = false;   // stderr, at most once a second, only for runs longer than a second
};

// Table models as the simulator sees them. @throws InputError / FormatError / IoError.
TableModel build_compressed_table(const SimConfig& config);
// with_data: decode a coded directory's rows for the pooling sums (TableModel::data).
TableModel build_plain_table(const SimConfig& config, bool with_data = true);
PipelineTiming pipeline_timing(const SimConfig& config);

// Elaborates and runs; call once per process (SystemC cannot elaborate twice).
SimResult simulate(const SimConfig& config, const RunOptions& options = {});

nlohmann::json to_json(const SimResult& result);
std::string summary_text(const SimResult& result);

}  // namespace embzip::sim
