// SPDX-License-Identifier: MIT
#include "embzip_sim/memory_run.hpp"

#include "embzip_sim/simulate.hpp"

namespace embzip::sim {

MemoryRunResult run_memory_only(const SimConfig& c) {
    const TableModel table = build_compressed_table(c, /*with_timing=*/false);  // addresses only
    RequestProducer producer(c.stream, table.rows);
    MemoryCore mem(c.memory);
    const uint64_t total = producer.total();
    std::vector<Cycle> start;  // by tag (row number in the stream)
    start.reserve(total);
    uint64_t issued = 0, done = 0;
    double latency_sum = 0;
    Cycle last = 0;
    auto issue = [&](Cycle at) {
        const ByteSpan s = table.span(producer.next());
        start.push_back(at);
        mem.submit(issued++, s.address, s.bytes, at);
    };
    while (issued < total && issued < c.stream.max_outstanding) issue(0);
    mem.run_until(kNever, [&](uint64_t tag, Cycle end) {
        latency_sum += double(end - start[tag]);
        last = std::max(last, end);
        ++done;
        if (issued < total) issue(end + 1);
    });
    MemoryRunResult r;
    r.rows = done;
    r.cycles = last + 1;
    mem.finish(r.cycles);
    r.requested_bursts = mem.requested_bursts();
    r.reads = mem.bursts();
    r.merged = mem.merged_bursts();
    for (size_t i = 0; i < mem.channels(); ++i) {
        r.activates += mem.channel_stats(i).activates;
        r.refreshes += mem.channel_stats(i).refreshes;
    }
    r.mean_latency_cycles = done ? latency_sum / double(done) : 0.0;
    r.tck_ns = c.memory.timing.tCK_ns;
    r.bytes_per_s =
        double(r.requested_bursts) * c.memory.burst_bytes() / (double(r.cycles) * r.tck_ns * 1e-9);
    if (c.memory.power) r.energy = dram_energy(c.memory, mem);
    return r;
}

nlohmann::json to_json(const MemoryRunResult& r) {
    nlohmann::json j = {{"rows", r.rows},
                        {"cycles", r.cycles},
                        {"tck_ns", r.tck_ns},
                        {"requested_bursts", r.requested_bursts},
                        {"reads", r.reads},
                        {"merged_reads", r.merged},
                        {"activates", r.activates},
                        {"refreshes", r.refreshes},
                        {"mean_latency_cycles", r.mean_latency_cycles},
                        {"bytes_per_s", r.bytes_per_s}};
    if (r.energy) j["energy_pj"] = dram_energy_json(*r.energy);
    return j;
}

}  // namespace embzip::sim
