// SPDX-License-Identifier: MIT
// Helper of scripts/compare_dramsim3.sh. Not part of the CMake build: the script compiles it
// against the DRAMsim3 directory it is given. Three modes:
//   harness gen KIND COUNT ROWS SEED OUT.u64
//       a stream of COUNT row indices in [0, ROWS) (little-endian u64): uniform, sequential or
//       zipf (alpha 0.99, ranks scattered by a multiplicative permutation).
//   harness run CONFIG.ini TRACE.u64 ROW_BYTES OUTSTANDING OUT_DIR
//       drives DRAMsim3's MemorySystem closed loop: row i is one read per burst of ROW_BYTES at
//       i * ROW_BYTES; at most OUTSTANDING rows in flight; a row is done when its last burst
//       returns, and the next row is offered the cycle after. A burst the controller does not
//       accept waits; others behind it (other channels) are still offered. Prints one JSON
//       object: cycles, rows, mean latency, DRAMsim3's command counts and energy parts.
//   harness table CASES RESULT_DIR
//       the comparison table from RESULT_DIR/NAME.dramsim3.json and NAME.embzip.json.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <list>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

// DRAMsim3's own copy of nlohmann/json (3.5) comes with it; no second copy here.
#include "memory_system.h"

using nlohmann::json;

namespace {

int gen(const std::string& kind, uint64_t count, uint64_t rows, uint64_t seed, const std::string& out) {
    std::mt19937_64 rng(seed);
    std::vector<uint64_t> v(count);
    if (kind == "uniform") {
        std::uniform_int_distribution<uint64_t> pick(0, rows - 1);
        for (auto& x : v) x = pick(rng);
    } else if (kind == "sequential") {
        for (uint64_t i = 0; i < count; ++i) v[i] = i % rows;
    } else if (kind == "zipf") {
        // Inverse CDF over the first min(rows, 2^20) ranks; hot ranks scattered over the rows.
        const uint64_t n = std::min<uint64_t>(rows, uint64_t(1) << 20);
        std::vector<double> cdf(n);
        double s = 0;
        for (uint64_t k = 0; k < n; ++k) cdf[k] = (s += 1.0 / std::pow(double(k + 1), 0.99));
        std::uniform_real_distribution<double> u(0.0, s);
        const uint64_t mult = 0x9E3779B97F4A7C15ull | 1;
        for (auto& x : v) {
            const uint64_t rank = std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin();
            x = (rank * mult) % rows;
        }
    } else {
        std::fprintf(stderr, "harness gen: unknown stream '%s'\n", kind.c_str());
        return 2;
    }
    std::ofstream f(out, std::ios::binary);
    f.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(uint64_t)));
    return f ? 0 : 1;
}

int run(const std::string& ini, const std::string& trace, uint64_t row_bytes, size_t outstanding,
        const std::string& out_dir) {
    std::ifstream in(trace, std::ios::binary);
    std::vector<uint64_t> rows;
    for (uint64_t v; in.read(reinterpret_cast<char*>(&v), sizeof v);) rows.push_back(v);
    if (rows.empty() || outstanding == 0) {
        std::fprintf(stderr, "harness run: empty trace or zero outstanding\n");
        return 2;
    }
    uint64_t clk = 0;
    struct Row {
        uint64_t start = 0;
        unsigned remaining = 0;
    };
    std::vector<Row> live;                               // by slot
    std::multimap<uint64_t, size_t> waiting;             // burst address -> slot
    std::list<std::pair<uint64_t, size_t>> to_send;      // bursts not yet accepted, in order
    std::vector<size_t> free_slots;
    size_t next = 0, done = 0, in_flight = 0;
    double latency_sum = 0;
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
    const uint64_t burst_bytes = uint64_t(mem.GetBusBits()) / 8 * mem.GetBurstLength();
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
        for (auto it = to_send.begin(); it != to_send.end();) {
            if (mem.WillAcceptTransaction(it->first, false)) {
                mem.AddTransaction(it->first, false);
                waiting.emplace(it->first, it->second);
                it = to_send.erase(it);
            } else {
                ++it;
            }
        }
        mem.ClockTick();
        ++clk;
    }
    mem.PrintStats();  // writes OUT_DIR/dramsim3.json
    json stats;
    std::ifstream js(out_dir + "/dramsim3.json");
    js >> stats;
    double act = 0, rd = 0, ref = 0, bg = 0, reads = 0, acts = 0, refs = 0;
    auto sum = [](const json& v) {
        double s = 0;
        if (v.is_number()) s = v.get<double>();
        else if (v.is_object() || v.is_array())
            for (const auto& x : v) s += x.is_number() ? x.get<double>() : 0.0;
        return s;
    };
    for (const auto& c : stats) {  // one object per channel
        act += c.value("act_energy", 0.0);
        rd += c.value("read_energy", 0.0);
        ref += c.value("ref_energy", 0.0);
        reads += c.value("num_read_cmds", 0.0);
        acts += c.value("num_act_cmds", 0.0);
        refs += c.value("num_ref_cmds", 0.0);
        for (const char* k : {"act_stb_energy", "pre_stb_energy"})
            if (c.find(k) != c.end()) bg += sum(c[k]);
    }
    // DRAMsim3's energies are V x mA x cycles; x tCK (ns) gives pJ.
    const double tck = mem.GetTCK();
    json out = {{"cycles", clk},
                {"rows", rows.size()},
                {"tck_ns", tck},
                {"burst_bytes", burst_bytes},
                {"mean_latency_cycles", latency_sum / double(rows.size())},
                {"reads", reads},
                {"activates", acts},
                {"refreshes", refs},
                {"energy_pj",
                 {{"activate", act * tck}, {"read", rd * tck}, {"refresh", ref * tck}, {"background", bg * tck}}}};
    std::cout << out.dump() << "\n";
    return 0;
}

json load(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw std::runtime_error("missing " + path);
    json j;
    f >> j;
    return j;
}

// CASES lines: NAME|MEMORY|WHAT|ROW_BYTES|TARGET_PERCENT (WHAT: latency, bandwidth, refresh,
// merged, energy). refresh uses NAME and NAME_norefresh.
int table(const std::string& cases, const std::string& dir) {
    std::ifstream in(cases);
    std::printf("| case | DRAMsim3 | embzip-sim | difference | target |\n|---|---|---|---|---|\n");
    int misses = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string x; std::getline(ss, x, '|');) f.push_back(x);
        const std::string name = f[0], label = f[1], what = f[2];
        const double row_bytes = std::stod(f[3]), target = std::stod(f[4]);
        const json d = load(dir + "/" + name + ".dramsim3.json"), e = load(dir + "/" + name + ".embzip.json");
        auto row = [&](const std::string& c, double a, double b, const char* unit, const char* fmt, bool relative) {
            const double diff = relative ? (b - a) / a * 100.0 : b - a;
            const bool ok = std::fabs(diff) <= target;
            misses += !ok;
            char sa[64], sb[64];
            std::snprintf(sa, sizeof sa, fmt, a);
            std::snprintf(sb, sizeof sb, fmt, b);
            std::printf("| %s | %s %s | %s %s | %+.1f %s | %s%.0f %s%s |\n", c.c_str(), sa, unit, sb, unit, diff,
                        relative ? "%" : "points", "±", target, relative ? "%" : "points", ok ? "" : " **missed**");
        };
        auto gbps = [&](const json& j) {
            return j["rows"].get<double>() * row_bytes / (j["cycles"].get<double>() * j["tck_ns"].get<double>());
        };
        if (what == "latency") {
            row(label + ": mean read latency", d["mean_latency_cycles"].get<double>(),
                e["mean_latency_cycles"].get<double>(), "cycles", "%.1f", true);
        } else if (what == "bandwidth") {
            row(label + ": bandwidth", gbps(d), gbps(e), "GB/s", "%.2f", true);
        } else if (what == "refresh") {
            const json dn = load(dir + "/" + name + "_norefresh.dramsim3.json"),
                       en = load(dir + "/" + name + "_norefresh.embzip.json");
            row(label + ": bandwidth lost to refresh", (1 - gbps(d) / gbps(dn)) * 100, (1 - gbps(e) / gbps(en)) * 100,
                "%", "%.2f", false);
        } else if (what == "merged") {
            const double dm = 1.0 - d["reads"].get<double>() / (d["rows"].get<double>() * row_bytes / d["burst_bytes"].get<double>());
            const double em = e["merged_reads"].get<double>() / e["requested_bursts"].get<double>();
            row(label + ": bursts served by merging", dm * 100, em * 100, "%", "%.2f", false);
            row(label + ": bandwidth", gbps(d), gbps(e), "GB/s", "%.2f", true);
        } else if (what == "energy") {
            for (const char* k : {"activate", "read", "refresh", "background"})
                row(label + ": " + k + " energy", d["energy_pj"][k].get<double>() / 1e6,
                    e["energy_pj"][k].get<double>() / 1e6, "uJ", "%.3f", true);
        }
    }
    std::printf("\n%d case(s) outside their target\n", misses);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "gen" && argc == 7)
            return gen(argv[2], std::stoull(argv[3]), std::stoull(argv[4]), std::stoull(argv[5]), argv[6]);
        if (mode == "run" && argc == 7) return run(argv[2], argv[3], std::stoull(argv[4]), std::stoull(argv[5]), argv[6]);
        if (mode == "table" && argc == 4) return table(argv[2], argv[3]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "harness: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: harness gen|run|table ... (see the top of harness.cpp)\n");
    return 2;
}
