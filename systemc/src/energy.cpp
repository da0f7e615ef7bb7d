// SPDX-License-Identifier: MIT
#include "embzip_sim/energy.hpp"

namespace embzip::sim {

DramEnergyRates energy_rates(const DramConfig& c) {
    const DramPower& p = *c.power;
    const DramTiming& t = c.timing;
    const double tck = t.tCK_ns, devices = c.devices_per_rank();
    const double trc = double(t.tRAS) + t.tRP;
    DramEnergyRates r;
    r.activate = p.VDD * (p.IDD0 * trc - (p.IDD3N * t.tRAS + p.IDD2N * t.tRP)) * tck * devices;
    r.read = p.VDD * (p.IDD4R - p.IDD3N) * (c.burst_length / 2.0) * tck * devices;
    r.refresh = p.VDD * (p.IDD5AB - p.IDD3N) * t.tRFC * tck * devices;
    r.active_cycle = p.VDD * p.IDD3N * tck * devices;
    r.precharged_cycle = p.VDD * p.IDD2N * tck * devices;
    return r;
}

DramEnergy dram_energy(const DramConfig& c, const std::vector<ChannelStats>& stats) {
    const DramEnergyRates r = energy_rates(c);
    DramEnergy e;
    uint64_t reads = 0;
    for (const ChannelStats& s : stats) {
        e.activate += r.activate * double(s.activates);
        e.read += r.read * double(s.reads);
        e.refresh += r.refresh * double(s.refreshes);
        for (size_t k = 0; k < s.active_cycles.size(); ++k)
            e.background += r.active_cycle * double(s.active_cycles[k]) +
                            r.precharged_cycle * double(s.precharged_cycles[k]);
        reads += s.reads;
    }
    if (c.power->io_pj_per_bit)
        e.io = *c.power->io_pj_per_bit * double(reads) * c.burst_bytes() * 8.0;
    return e;
}

DramEnergy dram_energy(const DramConfig& c, const MemoryCore& m) {
    std::vector<ChannelStats> stats;
    for (size_t i = 0; i < m.channels(); ++i) stats.push_back(m.channel_stats(i));
    return dram_energy(c, stats);
}

nlohmann::json dram_energy_json(const DramEnergy& e) {
    nlohmann::json j = {{"activate", e.activate},
                        {"read", e.read},
                        {"refresh", e.refresh},
                        {"background", e.background}};
    if (e.io) j["io"] = *e.io;
    j["total"] = e.total();
    return j;
}

nlohmann::json system_energy_json(const SystemEnergy& e, uint64_t lookups) {
    nlohmann::json j;
    if (e.dram) {
        j["per_lookup_pj"] = e.per_lookup(lookups).value_or(0.0);
        j["total_pj"] = *e.total();
        j["dram_pj"] = dram_energy_json(*e.dram);
    }
    j["sram_pj"] = e.sram;
    j["decoder_pj"] = e.decoder;
    return j;
}

}  // namespace embzip::sim
