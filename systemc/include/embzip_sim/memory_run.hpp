// SPDX-License-Identifier: MIT
// The memory alone under the config's lookup stream (embzip-sim --memory-only): what
// scripts/compare_dramsim3.sh runs against DRAMsim3 with the same stream. Plain C++.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>

#include "embzip_sim/config.hpp"
#include "embzip_sim/energy.hpp"

namespace embzip::sim {

struct MemoryRunResult {
    uint64_t rows = 0, cycles = 0;
    uint64_t requested_bursts = 0, reads = 0, merged = 0, activates = 0, refreshes = 0;
    double mean_latency_cycles = 0;      // row issued -> its last burst's data off the bus
    double tck_ns = 0, bytes_per_s = 0;  // bytes_per_s: bursts requested x burst bytes / time
    std::optional<DramEnergy> energy;
};

// Closed loop: the stream's first max_outstanding rows at cycle 0, then each next row the
// cycle after a row completes (a row completes when its last burst's data has left the bus).
// Row i reads the compressed table's slot of row i (table section: its span in memory).
MemoryRunResult run_memory_only(const SimConfig& config);
nlohmann::json to_json(const MemoryRunResult& result);

}  // namespace embzip::sim
