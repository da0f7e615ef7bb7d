// SPDX-License-Identifier: MIT
// Closed-loop driver of DRAMsim3's MemorySystem for scripts/compare_dramsim3.sh. Not part of the
// CMake build: the script compiles it against the DRAMsim3 directory it is given.
//
// usage: harness CONFIG.ini TRACE.u64 ROW_BYTES OUTSTANDING OUT_DIR
// Reads row indices (little-endian u64) and issues each as reads of ROW_BYTES at index *
// ROW_BYTES, one read per burst, keeping at most OUTSTANDING rows in flight (a row is done when
// its last burst returns; the next row is offered the cycle after). Requests the controller does
// not accept wait, in order. Prints one JSON object: cycles, rows, mean row latency in cycles,
// and DRAMsim3's own command counts and energy parts (its units: V x mA x cycles).
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "memory_system.h"

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: harness CONFIG.ini TRACE.u64 ROW_BYTES OUTSTANDING OUT_DIR\n");
        return 2;
    }
    const std::string ini = argv[1], trace = argv[2], out_dir = argv[5];
    const uint64_t row_bytes = std::stoull(argv[3]);
    const size_t outstanding = std::stoull(argv[4]);
    std::ifstream in(trace, std::ios::binary);
    std::vector<uint64_t> rows;
    for (uint64_t v; in.read(reinterpret_cast<char*>(&v), sizeof v);) rows.push_back(v);
    if (rows.empty() || outstanding == 0) {
        std::fprintf(stderr, "harness: empty trace or zero outstanding\n");
        return 2;
    }

    uint64_t clk = 0;
    struct Row {
        uint64_t start = 0;
        unsigned remaining = 0;
    };
    std::vector<Row> live;                                // by slot
    std::multimap<uint64_t, size_t> waiting;              // burst address -> slot
    std::deque<std::pair<uint64_t, size_t>> to_send;      // bursts not yet accepted
    std::vector<size_t> free_slots;
    size_t next = 0, done = 0, in_flight = 0;
    double latency_sum = 0;
    uint64_t burst_bytes = 0;

    dramsim3::MemorySystem mem(
        ini, out_dir,
        [&](uint64_t addr) {
            auto it = waiting.find(addr);
            if (it == waiting.end()) return;
            const size_t slot = it->second;
            waiting.erase(it);
            if (--live[slot].remaining == 0) {
                latency_sum += double(clk - live[slot].start);
                ++done;
                --in_flight;
                free_slots.push_back(slot);
            }
        },
        [](uint64_t) {});
    burst_bytes = uint64_t(mem.GetBusBits()) / 8 * mem.GetBurstLength();

    while (done < rows.size()) {
        while (in_flight < outstanding && next < rows.size()) {
            size_t slot;
            if (!free_slots.empty()) {
                slot = free_slots.back();
                free_slots.pop_back();
            } else {
                slot = live.size();
                live.emplace_back();
            }
            const uint64_t first = rows[next] * row_bytes / burst_bytes;
            const uint64_t last = (rows[next] * row_bytes + row_bytes - 1) / burst_bytes;
            live[slot] = {clk, unsigned(last - first + 1)};
            for (uint64_t b = first; b <= last; ++b) to_send.emplace_back(b * burst_bytes, slot);
            ++next;
            ++in_flight;
        }
        while (!to_send.empty() && mem.WillAcceptTransaction(to_send.front().first, false)) {
            mem.AddTransaction(to_send.front().first, false);
            waiting.emplace(to_send.front().first, to_send.front().second);
            to_send.pop_front();
        }
        mem.ClockTick();
        ++clk;
    }
    mem.PrintStats();  // writes OUT_DIR/dramsim3.json

    nlohmann::json stats;
    std::ifstream js(out_dir + "/dramsim3.json");
    js >> stats;
    nlohmann::json out;
    out["cycles"] = clk;
    out["rows"] = rows.size();
    out["tck_ns"] = mem.GetTCK();
    out["burst_bytes"] = burst_bytes;
    out["mean_latency_cycles"] = latency_sum / double(rows.size());
    double act = 0, rd = 0, ref = 0, act_stb = 0, pre_stb = 0, reads = 0, acts = 0, refs = 0;
    for (auto it = stats.begin(); it != stats.end(); ++it) {  // one object per channel
        const nlohmann::json& c = it.value();
        act += c.value("act_energy", 0.0);
        rd += c.value("read_energy", 0.0);
        ref += c.value("ref_energy", 0.0);
        reads += c.value("num_read_cmds", 0.0);
        acts += c.value("num_act_cmds", 0.0);
        refs += c.value("num_ref_cmds", 0.0);
        for (const char* k : {"act_stb_energy", "pre_stb_energy"}) {
            double s = 0;
            if (c.contains(k)) {
                if (c[k].is_object())
                    for (auto r = c[k].begin(); r != c[k].end(); ++r) s += r.value().get<double>();
                else if (c[k].is_number())
                    s = c[k].get<double>();
            }
            (std::string(k) == "act_stb_energy" ? act_stb : pre_stb) += s;
        }
    }
    out["reads"] = reads;
    out["activates"] = acts;
    out["refreshes"] = refs;
    out["energy_units"] = "V*mA*cycles (DRAMsim3); times tCK in ns gives pJ";
    out["act_energy"] = act;
    out["read_energy"] = rd;
    out["ref_energy"] = ref;
    out["background_energy"] = act_stb + pre_stb;
    std::cout << out.dump() << "\n";
    return 0;
}
