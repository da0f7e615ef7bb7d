// SPDX-License-Identifier: MIT
#include "embzip_sim/simulate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "embzip_sim/modules.hpp"

namespace embzip::sim {
namespace {

Ps period_ps(double ghz) { return static_cast<Ps>(std::llround(1000.0 / ghz)); }

void check_fits(const TableModel& t, const DramConfig& m) {
    if (t.bytes_in_memory() > m.capacity_bytes())
        throw InputError("table: needs " + std::to_string(t.bytes_in_memory()) + " bytes, memory holds " +
                         std::to_string(m.capacity_bytes()));
}

SystemResult collect(SimSystem& s, const SimConfig& cfg) {
    SystemResult r;
    const TableModel& t = *s.table;
    MemoryCore& mem = s.memory->core();
    const Ps end = std::max<Ps>(s.source->end_ps(), 1);
    mem.finish(end / cfg.memory.tck_ps());
    r.table = t.name;
    r.lookups = s.source->completed();
    r.samples = s.source->sample_latencies_ns().size();
    r.row_bits = t.row_bits;
    r.pitch_bits = t.pitch_bits;
    r.dim = t.dim;
    r.sim_ns = end / 1000.0;
    const double sec = end * 1e-12;
    r.lookups_per_s = r.lookups / sec;
    r.samples_per_s = r.samples / sec;
    r.dram_bytes = mem.bursts() * cfg.memory.burst_bytes();
    r.dram_bytes_per_s = r.dram_bytes / sec;
    r.decoded_bytes_per_s = double(r.lookups) * t.dim / sec;
    r.overflow_reads = s.pipeline->core().overflow_reads();
    r.sum_checksum = s.source->sum_checksum();
    r.latency = summarize(s.source->latencies_ns());
    r.sample_latency = summarize(s.source->sample_latencies_ns());
    const double tck = double(cfg.memory.tck_ps());
    uint64_t reads = 0, acts = 0;
    for (size_t c = 0; c < mem.channels(); ++c) {
        const ChannelStats& st = mem.channel_stats(c);
        reads += st.reads;
        acts += st.activates;
        r.channel_util.push_back(std::min(1.0, mem.busy_cycles(c) * tck / end));
        r.bus_util.push_back(std::min(1.0, st.data_cycles * tck / end));
        std::vector<double> banks;
        for (uint64_t b : st.bank_cycles) banks.push_back(std::min(1.0, b * tck / end));
        r.bank_util.push_back(banks);
    }
    r.row_buffer_hit_rate = reads ? std::max(0.0, 1.0 - double(acts) / double(reads)) : 0.0;
    r.merged_reads = mem.merged_bursts();
    // Energy (energy.hpp): DRAM from the command counts, the input buffer per fetched byte, the
    // lanes per decoded symbol (an overflowed row decodes none).
    if (cfg.memory.power) r.energy.dram = dram_energy(cfg.memory, mem);
    r.energy.sram = cfg.energy.sram_pj_per_byte * double(mem.requested_bursts()) * cfg.memory.burst_bytes();
    r.energy.decoder = cfg.energy.decoder_pj_per_symbol * double(t.symbols) * double(r.lookups - std::min(r.lookups, r.overflow_reads));
    r.memory_util = *std::max_element(r.channel_util.begin(), r.channel_util.end());
    r.lanes = s.pipeline->core().lanes();
    r.decoder_util = r.lanes ? std::min(1.0, double(s.pipeline->core().lane_busy_ps()) / (double(r.lanes) * end)) : 0.0;
    r.pooling_util = std::min(1.0, double(s.pipeline->core().pool_busy_ps()) / end);
    // The stage that is busy the largest fraction of the time limits the others: memory is
    // "busy" while it holds any unfinished burst, a lane while it decodes, pooling while it adds.
    r.bottleneck = "memory";
    double best = r.memory_util;
    if (r.decoder_util > best) best = r.decoder_util, r.bottleneck = "decoder";
    if (r.pooling_util > best) r.bottleneck = "pooling";
    return r;
}

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

nlohmann::json latency_json(const LatencySummary& l) {
    return {{"mean", l.mean}, {"p50", l.p50}, {"p95", l.p95}, {"p99", l.p99}, {"max", l.max}};
}

nlohmann::json system_json(const SystemResult& r) {
    nlohmann::json j;
    j["table"] = r.table;
    j["lookups"] = r.lookups;
    j["samples"] = r.samples;
    j["row_bits"] = r.row_bits;
    j["pitch_bits"] = r.pitch_bits;
    j["sim_time_ns"] = r.sim_ns;
    j["lookups_per_s"] = r.lookups_per_s;
    j["samples_per_s"] = r.samples_per_s;
    j["dram_bytes"] = r.dram_bytes;
    j["dram_bytes_per_lookup"] = r.lookups ? double(r.dram_bytes) / r.lookups : 0.0;
    j["dram_bytes_per_s"] = r.dram_bytes_per_s;
    j["decoded_bytes_per_s"] = r.decoded_bytes_per_s;
    j["latency_ns"] = latency_json(r.latency);
    j["sample_latency_ns"] = latency_json(r.sample_latency);
    j["row_buffer_hit_rate"] = r.row_buffer_hit_rate;
    j["overflow_reads"] = r.overflow_reads;
    j["merged_reads"] = r.merged_reads;
    j["energy"] = system_energy_json(r.energy, r.lookups);
    if (r.sum_checksum) j["decoded_sums_checksum"] = hex(r.sum_checksum);
    j["utilisation"] = {{"memory", r.memory_util},     {"channels", r.channel_util},
                        {"data_bus", r.bus_util},      {"banks", r.bank_util},
                        {"decoder", r.decoder_util},   {"decoder_lanes", r.lanes},
                        {"pooling", r.pooling_util}};
    j["bottleneck"] = r.bottleneck;
    return j;
}

std::string si(double v, const char* unit) {
    char buf[64];
    const char* p[] = {"", "k", "M", "G", "T"};
    int k = 0;
    while (std::fabs(v) >= 1000.0 && k < 4) v /= 1000.0, ++k;
    std::snprintf(buf, sizeof buf, "%.3g %s%s", v, p[k], unit);
    return buf;
}

// decoder.model rtl: the table's code as Verilated lanes. Checks what the RTL cannot do first,
// so a bad config fails before a Verilator build.
std::unique_ptr<RtlSetup> rtl_setup(const SimConfig& c, const TableModel& t, bool verbose) {
    const std::string key = "decoder.model";
    if (c.table.coded_dir.empty())
        throw InputError(key + ": rtl needs a coded table (table.coded_dir), got a declared table");
    auto table = std::make_shared<const CodedTable>(read_ezt((std::filesystem::path(c.table.coded_dir) / "table.ezt").string()));
    if (table->overflow || c.table.overflow_fraction > 0.0)
        throw InputError(key + ": rtl does not support tables with overflow rows (the generated decoder has no "
                               "overflow port yet); use decoder.model cpp, or a table encoded without --overflow");
    // A row a lane can take at a rising edge must be known at the falling edge before it: the
    // memory announces a read CL + BL/2 cycles before its data arrives (with quantum 0).
    const Ps period = period_ps(c.decoder.clock_ghz);
    const Ps notice = Ps(c.memory.timing.CL + c.memory.burst_length / 2) * c.memory.tck_ps();
    if (period / 2 >= notice)
        throw InputError("decoder.clock_ghz: the rtl model needs half a decoder period below CL + BL/2 memory cycles (" +
                         std::to_string(notice) + " ps), got a period of " + std::to_string(period) + " ps");
    auto setup = std::make_unique<RtlSetup>();
    setup->config = c.decoder.timing;
    setup->make = load_rtl_lanes(*table, setup->config, t.pitch_bits, default_rtl_cache(), !verbose).make;
    setup->table = std::move(table);
    return setup;
}

}  // namespace

LatencySummary summarize(std::vector<double> v) {
    LatencySummary s;
    if (v.empty()) return s;
    s.mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
    auto pct = [&](double q) {
        // Nearest rank: the smallest value with at least q of the values <= it.
        size_t k = static_cast<size_t>(std::ceil(q * v.size()));
        k = std::clamp<size_t>(k, 1, v.size()) - 1;
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
        return v[k];
    };
    s.p50 = pct(0.50);
    s.p95 = pct(0.95);
    s.p99 = pct(0.99);
    s.max = *std::max_element(v.begin(), v.end());
    return s;
}

PipelineTiming pipeline_timing(const SimConfig& c) {
    PipelineTiming p;
    p.lanes = c.decoder.lanes;
    p.decoder_period = period_ps(c.decoder.clock_ghz);
    p.fifo_rows = c.decoder.fifo_rows;
    p.pooling_period = period_ps(c.pooling.clock_ghz);
    p.pooling_latency_cycles = c.pooling.latency_cycles;
    return p;
}

TableModel build_compressed_table(const SimConfig& c) {
    TableModel t;
    t.coded = true;
    t.overflow_fraction = c.table.overflow_fraction;
    const uint32_t flag = t.overflow_fraction > 0.0 ? 1 : 0;  // overflow flag bit (issue 3 layout)
    const uint32_t bb = c.memory.burst_bytes();
    DecoderConfig dec = c.decoder.timing;
    if (!c.table.coded_dir.empty()) {
        const std::string path = (std::filesystem::path(c.table.coded_dir) / "table.ezt").string();
        if (!std::filesystem::exists(path)) throw InputError("table.coded_dir: no table.ezt in '" + c.table.coded_dir + "'");
        const CodedTable ct = read_ezt(path);
        // A table with its own overflow rows: the flag is in W already and each slot says
        // whether its row is stored raw; a declared fraction on top would mean nothing.
        if (ct.overflow && flag)
            throw InputError("table.overflow_fraction: the coded table in '" + c.table.coded_dir +
                             "' has its own overflow rows; remove the key, got " + std::to_string(t.overflow_fraction));
        t.name = ct.method + " (" + c.table.coded_dir + ")";
        t.rows = ct.rows;
        t.dim = ct.dim;
        t.row_bits = ct.row_bits + flag;
        t.pitch_bits = resolve_pitch(c.table.pitch, t.row_bits, bb, ct.pitch_bits + flag);
        if (t.pitch_bits < t.row_bits)
            throw InputError("table.pitch: must be >= row_bits (" + std::to_string(t.row_bits) + "), got " +
                             std::to_string(t.pitch_bits));
        if (ct.overflow) {
            t.stored_overflow = true;
            t.overflow_index = stored_overflow_rows(ct);
        }
        t.decode_cycles = coded_row_cycles(ct, dec, t.pitch_bits);
        t.symbols = ct.dim * ct.spec.per_byte();
        t.data = std::make_shared<const Table>(decode_table(ct));
    } else {
        t.name = "declared " + std::to_string(c.table.rows) + " x " + std::to_string(c.table.dim) + " B, W = " +
                 std::to_string(c.table.row_bits);
        t.rows = c.table.rows;
        t.dim = c.table.dim;
        t.row_bits = c.table.row_bits;
        t.pitch_bits = resolve_pitch(c.table.pitch, t.row_bits, bb, t.row_bits);
        const uint32_t symbols = t.dim * (8 / c.table.symbol_bits);
        t.symbols = symbols;
        t.uniform_cycles = declared_row_cycles(dec, t.pitch_bits, t.row_bits - c.table.selector_bits - flag, symbols);
    }
    t.slot_cycles = static_cast<uint32_t>((t.pitch_bits + dec.bus_bits - 1) / dec.bus_bits + kDecoderPipelineLatency);
    const uint64_t coded_bytes = (t.rows * t.pitch_bits + 7) / 8;
    t.overflow_base = (coded_bytes + bb - 1) / bb * bb;
    check_fits(t, c.memory);
    return t;
}

TableModel build_plain_table(const SimConfig& c, bool with_data) {
    TableModel t;
    t.coded = false;
    const uint32_t bb = c.memory.burst_bytes();
    if (!c.table.coded_dir.empty()) {
        const CodedTable ct = read_ezt((std::filesystem::path(c.table.coded_dir) / "table.ezt").string());
        t.rows = ct.rows;
        t.dim = ct.dim;
        // The same rows, read plain (simulate() shares the compressed table's decode instead).
        if (with_data) t.data = std::make_shared<const Table>(decode_table(ct));
    } else {
        t.rows = c.table.rows;
        t.dim = c.table.dim;
    }
    t.name = "plain " + std::to_string(t.rows) + " x " + std::to_string(t.dim) + " B";
    t.row_bits = t.dim * 8;
    t.pitch_bits = resolve_pitch(c.baseline.pitch, t.row_bits, bb, t.row_bits);
    check_fits(t, c.memory);
    return t;
}

SimResult simulate(const SimConfig& c, const RunOptions& o) {
    const auto wall0 = std::chrono::steady_clock::now();
    const TableModel compressed = build_compressed_table(c);
    std::optional<TableModel> plain;
    if (c.baseline.enabled) {
        plain = build_plain_table(c, false);
        plain->data = compressed.data;
    }

    ProgressFn progress;
    if (o.progress) {
        auto last = std::make_shared<std::chrono::steady_clock::time_point>(wall0);
        progress = [wall0, last](const char* label, uint64_t done, uint64_t total) {
            const auto now = std::chrono::steady_clock::now();
            if (now - wall0 < std::chrono::seconds(1) || now - *last < std::chrono::seconds(1)) return;
            *last = now;
            std::fprintf(stderr, "embzip-sim: %s %llu / %llu lookups (%.0f%%)\n", label,
                         static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                         100.0 * done / total);
        };
    }
    std::unique_ptr<RtlSetup> rtl;
    if (c.decoder.model == DecoderModel::Rtl) rtl = rtl_setup(c, compressed, o.progress);
    // Tracing shows state at wake-ups, so it runs without look-ahead for a faithful waveform.
    // RTL lanes run in SystemC time: the reads they cause must find the memory not yet past
    // their cycle, so the memory does not run ahead either (results do not depend on it).
    const Ps quantum = o.trace_path.empty() && !rtl ? static_cast<Ps>(c.sim.quantum_ns * 1000.0) : 0;
    const PipelineTiming timing = pipeline_timing(c);
    SimSystem sys("compressed", compressed, c.stream, timing, c.memory, quantum, progress, rtl.get());
    std::unique_ptr<SimSystem> base;
    if (plain) base = std::make_unique<SimSystem>("plain", *plain, c.stream, timing, c.memory, quantum, progress);

    sc_core::sc_trace_file* tf = nullptr;
    if (!o.trace_path.empty()) {
        std::string p = o.trace_path;
        if (p.size() > 4 && p.substr(p.size() - 4) == ".vcd") p.resize(p.size() - 4);
        tf = sc_core::sc_create_vcd_trace_file(p.c_str());
        tf->set_time_unit(1, sc_core::SC_PS);
        sys.trace(tf);
        if (base) base->trace(tf);
    }
    if (!rtl) {
        sc_core::sc_start();
    } else {
        // The lanes' clock never stops, so run in slices until every lookup is back; a run in
        // which nothing completes for a long while is an RTL that hangs.
        auto completed = [&] { return sys.source->completed() + (base ? base->source->completed() : 0); };
        const uint64_t total = sys.source->total() + (base ? base->source->total() : 0);
        uint64_t last = 0, idle = 0;
        while (completed() < total) {
            sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));
            idle = completed() == last ? idle + 1 : 0;
            last = completed();
            if (idle >= 1000)
                throw Error("decoder.model: rtl: no lookup completed in 1 ms of simulated time (" +
                            std::to_string(last) + " of " + std::to_string(total) + " done): the RTL lanes hang");
        }
    }
    if (tf) sc_core::sc_close_vcd_trace_file(tf);
    if (sys.source->completed() != sys.source->total() || (base && base->source->completed() != base->source->total()))
        SC_REPORT_FATAL("embzip-sim", "simulation ended with lookups still in flight");

    SimResult r;
    r.name = c.name;
    r.memory = c.memory.name + " x" + std::to_string(c.memory.channels) + " channel" +
               (c.memory.channels > 1 ? "s" : "") + ", " + std::to_string(c.memory.ranks) + " rank" +
               (c.memory.ranks > 1 ? "s" : "");
    r.compressed = collect(sys, c);
    if (base) r.baseline = collect(*base, c);
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    return r;
}

nlohmann::json to_json(const SimResult& r) {
    nlohmann::json j = system_json(r.compressed);
    j["name"] = r.name;
    j["memory"] = r.memory;
    if (r.baseline) {
        j["baseline"] = system_json(*r.baseline);
        j["speedup"] = r.compressed.lookups_per_s / r.baseline->lookups_per_s;
        j["dram_bytes_ratio"] = double(r.compressed.dram_bytes) / double(r.baseline->dram_bytes);
        j["dram_bandwidth_ratio"] = r.compressed.dram_bytes_per_s / r.baseline->dram_bytes_per_s;
        j["latency_ratio"] = r.compressed.latency.mean / r.baseline->latency.mean;
    }
    return j;
}

std::string summary_text(const SimResult& r) {
    std::ostringstream o;
    const SystemResult& c = r.compressed;
    o << "embzip-sim" << (r.name.empty() ? "" : ": " + r.name) << "\n";
    o << "  table:  " << c.table << ", " << c.lookups << " lookups, " << c.samples << " samples\n";
    o << "  memory: " << r.memory << "; decoder: " << c.lanes << " lanes\n";
    char line[200];
    auto row = [&](const char* label, const std::string& a, const std::string& b) {
        std::snprintf(line, sizeof line, "  %-28s %18s %18s\n", label, a.c_str(), b.c_str());
        o << line;
    };
    auto num = [](double v, const char* fmt) {
        char b[64];
        std::snprintf(b, sizeof b, fmt, v);
        return std::string(b);
    };
    const SystemResult* b = r.baseline ? &*r.baseline : nullptr;
    row("", "compressed", b ? "plain" : "");
    row("row bits / pitch bits", std::to_string(c.row_bits) + " / " + std::to_string(c.pitch_bits),
        b ? std::to_string(b->row_bits) + " / " + std::to_string(b->pitch_bits) : "");
    row("DRAM bytes per lookup", num(double(c.dram_bytes) / c.lookups, "%.2f"),
        b ? num(double(b->dram_bytes) / b->lookups, "%.2f") : "");
    row("lookups/s", si(c.lookups_per_s, ""), b ? si(b->lookups_per_s, "") : "");
    row("DRAM bandwidth", si(c.dram_bytes_per_s, "B/s"), b ? si(b->dram_bytes_per_s, "B/s") : "");
    row("decoded bandwidth", si(c.decoded_bytes_per_s, "B/s"), b ? si(b->decoded_bytes_per_s, "B/s") : "");
    auto lat = [&](const LatencySummary& l) { return num(l.mean, "%.1f") + "/" + num(l.p99, "%.1f") + "/" + num(l.max, "%.1f"); };
    row("lookup latency ns mean/p99/max", lat(c.latency), b ? lat(b->latency) : "");
    row("sample latency ns mean/p99/max", lat(c.sample_latency), b ? lat(b->sample_latency) : "");
    row("row-buffer hit rate", num(c.row_buffer_hit_rate, "%.3f"), b ? num(b->row_buffer_hit_rate, "%.3f") : "");
    row("util memory/decoder/pooling",
        num(c.memory_util, "%.2f") + "/" + num(c.decoder_util, "%.2f") + "/" + num(c.pooling_util, "%.2f"),
        b ? num(b->memory_util, "%.2f") + "/-/" + num(b->pooling_util, "%.2f") : "");
    if (c.energy.dram) {
        auto pj = [&](const SystemResult& x) {
            return num((x.energy.dram->total() + x.energy.sram + x.energy.decoder) / double(x.lookups), "%.0f");
        };
        row("energy per lookup pJ", pj(c), b && b->energy.dram ? pj(*b) : "");
    }
    row("bottleneck", c.bottleneck, b ? b->bottleneck : "");
    if (b) {
        std::snprintf(line, sizeof line, "  speedup %.3fx, DRAM bytes per lookup %.3fx of plain\n",
                      c.lookups_per_s / b->lookups_per_s, double(c.dram_bytes) / c.lookups / (double(b->dram_bytes) / b->lookups));
        o << line;
    }
    return o.str();
}

}  // namespace embzip::sim
