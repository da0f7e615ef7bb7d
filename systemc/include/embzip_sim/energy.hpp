// SPDX-License-Identifier: MIT
// Energy of a run, in picojoules, by DRAMPower's method (Chandrasekar et al., "DRAMPower:
// Open-source DRAM power & energy estimation tool"; the same formulas DRAMsim3 uses) from the
// datasheet currents in memory.power, per device and summed over the devices of a rank:
//   activate    per ACT (with its PRE): VDD (IDD0 tRC - (IDD3N tRAS + IDD2N (tRC - tRAS)))
//   read        per RD burst:           VDD (IDD4R - IDD3N) BL/2
//   refresh     per REF:                VDD (IDD5AB - IDD3N) tRFC
//   background  per cycle:              VDD IDD3N with a bank of the rank open, else VDD IDD2N
// (times in ns: mA x V x ns = pJ), plus the interface: io_pj_per_bit per bit read. On chip:
// sram_pj_per_byte per byte of fetched rows read from the decoder's input buffer and
// decoder_pj_per_symbol per decoded symbol. Plain C++.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "embzip_sim/dram.hpp"

namespace embzip::sim {

// The on-chip figures (the `energy` config section). Sources in sim_configs/README.md.
struct EnergySpec {
    // Horowitz, "Computing's energy problem", ISSCC 2014: a 64-bit read of an 8 KB SRAM costs
    // 10 pJ (45 nm), 1.25 pJ per byte.
    static constexpr double kSramPjPerByte = 1.25;
    // The same figure for one lane step, which reads one entry of a small table (a 2^B-entry
    // LUT of ~2.5 KB for B = 10) and emits S = 2 symbols: 10 pJ / 2.
    static constexpr double kDecoderPjPerSymbol = 5.0;
    double sram_pj_per_byte = kSramPjPerByte;
    double decoder_pj_per_symbol = kDecoderPjPerSymbol;
};

struct DramEnergy {
    double activate = 0, read = 0, refresh = 0, background = 0;
    std::optional<double> io;  // absent without memory.power.io_pj_per_bit
    double total() const { return activate + read + refresh + background + io.value_or(0.0); }
    // Several DRAM tiers: the parts add (io stays absent unless some tier has it).
    DramEnergy& operator+=(const DramEnergy& o) {
        activate += o.activate;
        read += o.read;
        refresh += o.refresh;
        background += o.background;
        if (o.io) io = io.value_or(0.0) + *o.io;
        return *this;
    }
};

// Per-command energies of one rank (all its devices), in pJ.
struct DramEnergyRates {
    double activate = 0, read = 0, refresh = 0, active_cycle = 0, precharged_cycle = 0;
};
DramEnergyRates energy_rates(const DramConfig& config);

// DRAM energy of the commands and background cycles in `stats` (one entry per controller).
// @pre config.power
DramEnergy dram_energy(const DramConfig& config, const std::vector<ChannelStats>& stats);
DramEnergy dram_energy(const DramConfig& config, const MemoryCore& memory);
// {"activate", "read", "refresh", "background", "io" (when modelled), "total"} in pJ.
nlohmann::json dram_energy_json(const DramEnergy& energy);

// A system's energy: DRAM, the input buffer (SRAM) and the decoder lanes.
struct SystemEnergy {
    std::optional<DramEnergy> dram;  // absent without memory.power
    double sram = 0, decoder = 0;
    // Every part, pJ; absent without the DRAM figures (a total without them would mislead).
    std::optional<double> total() const {
        if (!dram) return std::nullopt;
        return dram->total() + sram + decoder;
    }
    std::optional<double> per_lookup(uint64_t lookups) const {
        const std::optional<double> t = total();
        if (!t || lookups == 0) return std::nullopt;
        return *t / double(lookups);
    }
};
// {"per_lookup_pj", "total_pj", "dram_pj": {...} (when known), "sram_pj", "decoder_pj"}.
nlohmann::json system_energy_json(const SystemEnergy& energy, uint64_t lookups);

}  // namespace embzip::sim
