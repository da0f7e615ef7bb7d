// SPDX-License-Identifier: MIT
#include "embzip_sim/simulate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <numeric>
#include <sstream>

#include "embzip/coded_store.hpp"
#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "embzip_sim/modules.hpp"

namespace embzip::sim {
namespace {

Ps period_ps(double ghz) { return static_cast<Ps>(std::llround(1000.0 / ghz)); }

// Utilisation of every stage by its own capacity; the bottleneck is the busiest.
SystemResult collect(SimSystem& s, const SimConfig& cfg, const MemoryMap* map) {
    SystemResult r;
    const TableModel& t = *s.table;
    TieredMemoryCore& tm = s.memory->tiers();
    const Ps end = std::max<Ps>(s.source->end_ps(), 1);
    tm.finish(end);
    const PipelineCore& pipe = s.pipeline->core();
    r.table = s.tables.size() == 1 ? t.name : std::to_string(s.tables.size()) + " tables";
    r.lookups = s.source->completed();
    r.samples = s.source->sample_latencies_ns().size();
    r.row_bits = t.row_bits;
    r.pitch_bits = t.pitch_bits;
    r.dim = t.dim;
    r.sim_ns = end / 1000.0;
    const double sec = end * 1e-12;
    r.lookups_per_s = r.lookups / sec;
    r.samples_per_s = r.samples / sec;
    r.overflow_reads = pipe.overflow_reads();
    r.sum_checksum = s.source->sum_checksum();
    r.latency = summarize(s.source->latencies_ns());
    r.sample_latency = summarize(s.source->sample_latencies_ns());

    const bool cache = cfg.placement.policy == PlacementPolicy::Cache && map && map->cache();
    uint64_t all_reads = 0;
    std::vector<uint64_t> tier_reads(tm.tiers(), 0);
    if (map)
        for (const auto& v : map->served())
            for (size_t j = 0; j < v.size(); ++j) tier_reads[j] += v[j], all_reads += v[j];
    bool first_dram = true;
    for (size_t j = 0; j < tm.tiers(); ++j) {
        const TierSpec& spec = tm.spec(j);
        TierResult tr;
        tr.name = spec.name;
        tr.sram = spec.sram;
        tr.cache = cache && j == 0;
        tr.capacity_bytes = spec.capacity_bytes();
        tr.bytes_read = tm.bytes_read(j);
        tr.reads = map ? tier_reads[j] : r.lookups + r.overflow_reads;
        tr.share = map ? (all_reads ? double(tier_reads[j]) / all_reads : 0.0) : 1.0;
        if (spec.sram) {
            const SramCore& sc = *tm.sram(j);
            tr.bank_util = std::min(1.0, double(sc.bank_busy_ps()) / (double(sc.banks()) * end));
            r.sram_bytes += tr.bytes_read;
            r.stages.push_back({"sram_banks", spec.name, tr.bank_util});
        } else {
            MemoryCore& mem = *tm.dram(j);
            const DramConfig& d = spec.dram;
            const double tck = double(d.tck_ps());
            const double cycles = end / tck;
            // Activations a rank can take: four per tFAW, one per tRRD_S.
            const double act_rate =
                std::min(4.0 / std::max(1u, d.timing.tFAW), 1.0 / std::max(1u, d.timing.tRRD_S));
            uint64_t reads = 0, acts = 0;
            for (size_t c = 0; c < mem.channels(); ++c) {
                const ChannelStats& st = mem.channel_stats(c);
                reads += st.reads;
                acts += st.activates;
                const double bus = std::min(1.0, st.data_cycles * tck / end);
                const double act = std::min(1.0, st.activates / (cycles * d.ranks * act_rate));
                double banks = 0;
                for (uint64_t b : st.bank_cycles) banks += std::min(1.0, b * tck / end);
                banks /= std::max<size_t>(1, st.bank_cycles.size());
                // A bank takes at most one ACT per tRC = tRAS + tRP: row misses bound by that.
                const double per_act = double(d.timing.tRAS + d.timing.tRP);
                banks = std::max(banks, std::min(1.0, st.activates * per_act /
                                                          (cycles * d.ranks * d.banks_per_rank())));
                tr.bus_util = std::max(tr.bus_util, bus);
                tr.act_util = std::max(tr.act_util, act);
                tr.bank_util = std::max(tr.bank_util, banks);
                if (first_dram) {
                    r.channel_util.push_back(std::min(1.0, mem.busy_cycles(c) * tck / end));
                    r.bus_util.push_back(bus);
                    std::vector<double> bu;
                    for (uint64_t b : st.bank_cycles) bu.push_back(std::min(1.0, b * tck / end));
                    r.bank_util.push_back(bu);
                }
            }
            tr.row_buffer_hit_rate =
                reads ? std::max(0.0, 1.0 - double(acts) / double(reads)) : 0.0;
            if (first_dram) {
                r.row_buffer_hit_rate = tr.row_buffer_hit_rate;
                r.memory_util = *std::max_element(r.channel_util.begin(), r.channel_util.end());
                first_dram = false;
            }
            r.dram_bytes += tr.bytes_read;
            r.stages.push_back({"data_bus", spec.name, tr.bus_util});
            r.stages.push_back({"activations", spec.name, tr.act_util});
            r.stages.push_back({"dram_banks", spec.name, tr.bank_util});
        }
        r.tiers.push_back(tr);
    }
    r.dram_bytes_per_s = r.dram_bytes / sec;
    r.lanes = pipe.lanes();
    r.decoder_util =
        r.lanes ? std::min(1.0, double(pipe.lane_busy_ps()) / (double(r.lanes) * end)) : 0.0;
    r.pooling_util = std::min(1.0, double(pipe.pool_busy_ps()) / end);
    if (r.lanes) {
        r.stages.push_back({"decoder_lanes", "", r.decoder_util});
        r.stages.push_back({"decoder_fifo", "", std::min(1.0, double(pipe.fifo_wait_ps()) / end)});
    }
    r.stages.push_back({"pooling", "", r.pooling_util});
    // The outstanding-request window limits a run whose lookups take their zero-load time: the
    // fastest lookup of each class (tier, coded or not) over the mean, lookup-weighted.
    double zero = 0, actual = 0;
    for (const auto& k : pipe.latency_classes())
        if (k.count) zero += double(k.min_ps) * k.count, actual += double(k.sum_ps);
    r.stages.push_back({"requests_in_flight", "", actual > 0 ? std::min(1.0, zero / actual) : 0.0});
    const StageUtil* best = &r.stages.front();
    for (const StageUtil& st : r.stages)
        if (st.util > best->util + 1e-12) best = &st;
    // No stage near its capacity: throughput is latency-bound, N / latency (Little's law), and
    // only more requests in flight would raise it. (The zero-load estimate above takes each
    // class's fastest lookup, a row hit for DRAM, so it understates this case on its own.)
    constexpr double kSaturated = 0.8;
    if (best->util < kSaturated) best = &r.stages.back();
    r.bottleneck = best->stage;
    r.bottleneck_where = best->where;

    // Per table: where its rows live and which tier answered its reads.
    for (size_t i = 0; i < s.tables.size(); ++i) {
        const TableModel& x = *s.tables[i];
        TableResult tr;
        tr.name = x.name;
        tr.rows = x.rows;
        tr.row_bits = x.row_bits;
        tr.pitch_bits = x.pitch_bits;
        tr.dim = x.dim;
        tr.coded = x.coded;
        tr.rows_per_tier.assign(tm.tiers(), 0);
        tr.bytes_per_tier.assign(tm.tiers(), 0);
        tr.reads_per_tier.assign(tm.tiers(), 0);
        if (map) {
            const TablePlacement& pl = map->placement()[i];
            for (const TablePart& p : pl.parts) {
                tr.rows_per_tier[p.tier] += p.rows;
                tr.bytes_per_tier[p.tier] += p.bytes;
            }
            tr.bytes_per_tier[pl.overflow_tier] += pl.overflow_bytes;
            tr.reads_per_tier = map->served()[i];
        } else {
            tr.rows_per_tier[0] = x.rows;
            tr.bytes_per_tier[0] = x.bytes_in_memory();
            tr.reads_per_tier[0] = r.lookups + r.overflow_reads;
        }
        for (size_t j = 0; j < tm.tiers(); ++j) {
            if (r.tiers[j].cache) continue;
            r.tiers[j].rows_stored += tr.rows_per_tier[j];
            r.tiers[j].bytes_stored += tr.bytes_per_tier[j];
            r.bytes_stored += tr.bytes_per_tier[j];
        }
        r.tables.push_back(tr);
    }
    // Decoded bytes: every lookup yields its table's row (dim bytes).
    r.decoded_bytes_per_s = double(pipe.bytes_pooled()) / sec;
    if (cache) {
        r.has_cache = true;
        r.cache_hits = map->cache()->hits();
        r.cache_misses = map->cache()->misses();
    }
    // Energy (energy.hpp): DRAM from each DRAM tier's command counts, SRAM per byte read from an
    // SRAM tier and per byte fetched into the lanes' input buffer, the lanes per decoded symbol.
    {
        bool all_power = true;
        DramEnergy dram;
        for (size_t j = 0; j < tm.tiers(); ++j) {
            const TierSpec& spec = tm.spec(j);
            if (spec.sram) {
                r.energy.sram += cfg.energy.sram_pj_per_byte * double(tm.bytes_read(j));
                continue;
            }
            MemoryCore& mem = *tm.dram(j);
            r.merged_reads += mem.merged_bursts();
            r.energy.sram += cfg.energy.sram_pj_per_byte * double(mem.requested_bursts()) *
                             spec.dram.burst_bytes();
            if (!spec.dram.power) {
                all_power = false;
                continue;
            }
            dram += dram_energy(spec.dram, mem);
        }
        if (all_power) r.energy.dram = dram;
        r.energy.decoder = cfg.energy.decoder_pj_per_symbol * double(pipe.symbols_decoded());
    }
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
    j["system"] = r.system;
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
    j["sram_bytes"] = r.sram_bytes;
    j["decoded_bytes_per_s"] = r.decoded_bytes_per_s;
    j["bytes_stored"] = r.bytes_stored;
    j["latency_ns"] = latency_json(r.latency);
    j["sample_latency_ns"] = latency_json(r.sample_latency);
    j["row_buffer_hit_rate"] = r.row_buffer_hit_rate;
    j["overflow_reads"] = r.overflow_reads;
    j["merged_reads"] = r.merged_reads;
    j["energy"] = system_energy_json(r.energy, r.lookups);
    if (r.sum_checksum) j["decoded_sums_checksum"] = hex(r.sum_checksum);
    j["utilisation"] = {{"memory", r.memory_util},   {"channels", r.channel_util},
                        {"data_bus", r.bus_util},    {"banks", r.bank_util},
                        {"decoder", r.decoder_util}, {"decoder_lanes", r.lanes},
                        {"pooling", r.pooling_util}};
    nlohmann::json stages = nlohmann::json::array();
    for (const StageUtil& st : r.stages) {
        nlohmann::json x = {{"stage", st.stage}, {"util", st.util}};
        if (!st.where.empty()) x["tier"] = st.where;
        stages.push_back(x);
    }
    j["stages"] = stages;
    j["bottleneck"] = r.bottleneck;
    if (!r.bottleneck_where.empty()) j["bottleneck_tier"] = r.bottleneck_where;
    nlohmann::json tiers = nlohmann::json::array();
    for (const TierResult& t : r.tiers) {
        nlohmann::json x = {{"name", t.name},
                            {"kind", t.sram ? (t.cache ? "sram cache" : "sram") : "dram"},
                            {"capacity_bytes", t.capacity_bytes},
                            {"bytes_stored", t.bytes_stored},
                            {"rows_stored", t.rows_stored},
                            {"reads", t.reads},
                            {"share_of_reads", t.share},
                            {"bytes_read", t.bytes_read}};
        if (t.sram) {
            x["bank_util"] = t.bank_util;
        } else {
            x["data_bus_util"] = t.bus_util;
            x["activation_util"] = t.act_util;
            x["bank_util"] = t.bank_util;
            x["row_buffer_hit_rate"] = t.row_buffer_hit_rate;
        }
        tiers.push_back(x);
    }
    j["tiers"] = tiers;
    if (r.tables.size() > 1) {
        nlohmann::json tables = nlohmann::json::array();
        for (const TableResult& t : r.tables)
            tables.push_back({{"name", t.name},
                              {"rows", t.rows},
                              {"coded", t.coded},
                              {"row_bits", t.row_bits},
                              {"pitch_bits", t.pitch_bits},
                              {"rows_per_tier", t.rows_per_tier},
                              {"bytes_per_tier", t.bytes_per_tier},
                              {"reads_per_tier", t.reads_per_tier}});
        j["tables"] = tables;
    }
    if (r.has_cache) {
        j["cache"] = {
            {"hits", r.cache_hits},
            {"misses", r.cache_misses},
            {"hit_rate", r.cache_hits + r.cache_misses
                             ? double(r.cache_hits) / double(r.cache_hits + r.cache_misses)
                             : 0.0}};
    }
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
    // The table build_compressed_table opened: the lanes take their slot bits from it.
    auto table = t.store->shared_table();
    if (table->overflow || c.table.overflow_fraction > 0.0)
        throw InputError(
            key +
            ": rtl does not support tables with overflow rows (the generated decoder has no "
            "overflow port yet); use decoder.model cpp, or a table encoded without --overflow");
    // A row a lane can take at a rising edge must be known at the falling edge before it: the
    // memory announces a read CL + BL/2 cycles before its data arrives (with quantum 0).
    const Ps period = period_ps(c.decoder.clock_ghz);
    const Ps notice = Ps(c.memory.timing.CL + c.memory.burst_length / 2) * c.memory.tck_ps();
    if (period / 2 >= notice)
        throw InputError(
            "decoder.clock_ghz: the rtl model needs half a decoder period below CL + BL/2 memory "
            "cycles (" +
            std::to_string(notice) + " ps), got a period of " + std::to_string(period) + " ps");
    auto setup = std::make_unique<RtlSetup>();
    setup->config = c.decoder.timing;
    setup->make =
        load_rtl_lanes(*table, setup->config, t.pitch_bits, default_rtl_cache(), !verbose).make;
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
    p.lane_overlap = c.decoder.timing.overlap;
    return p;
}

TableModel build_coded_table(const TableEntry& e, const DecoderConfig& dec, uint32_t bb,
                             bool with_timing) {
    const TableSpec& spec = e.spec;
    const std::string key = e.key;
    const bool legacy = key == "table";
    TableModel t;
    t.coded = true;
    t.overflow_fraction = spec.overflow_fraction;
    const uint32_t flag = t.overflow_fraction > 0.0 ? 1 : 0;  // overflow flag bit (issue 3 layout)
    if (!spec.coded_dir.empty()) {
        if (!std::filesystem::exists(CodedStore::table_path(spec.coded_dir)))
            throw InputError(key + ".coded_dir: no table.ezt in '" + spec.coded_dir + "'");
        t.store = CodedStore::open(spec.coded_dir);
        const CodedTable& ct = t.store->table();
        // A table with its own overflow rows: the flag is in W already and each slot says
        // whether its row is stored raw; a declared fraction on top would mean nothing.
        if (ct.overflow && flag)
            throw InputError(key + ".overflow_fraction: the coded table in '" + spec.coded_dir +
                             "' has its own overflow rows; remove the key, got " +
                             std::to_string(t.overflow_fraction));
        t.name = legacy ? ct.method + " (" + spec.coded_dir + ")" : e.name;
        t.rows = ct.rows;
        t.dim = ct.dim;
        t.row_bits = ct.row_bits + flag;
        t.pitch_bits = resolve_pitch(spec.pitch, t.row_bits, bb, ct.pitch_bits + flag);
        if (t.pitch_bits < t.row_bits)
            throw InputError(key + ".pitch: must be >= row_bits (" + std::to_string(t.row_bits) +
                             "), got " + std::to_string(t.pitch_bits));
        if (ct.overflow) {
            t.stored_overflow = true;
            t.overflow_index = t.store->overflow_rows();
        }
        t.symbols = ct.dim * ct.spec.per_byte();
        if (with_timing) {
            t.decode_cycles = coded_row_cycles(*t.store, dec, t.pitch_bits);
            t.data = t.store->decoded();  // the rows code_lengths() above were read from
        }
    } else {
        t.name = legacy ? "declared " + std::to_string(spec.rows) + " x " +
                              std::to_string(spec.dim) + " B, W = " + std::to_string(spec.row_bits)
                        : e.name;
        t.rows = spec.rows;
        t.dim = spec.dim * value_bits(e.value_type) / 8;
        t.row_bits = spec.row_bits;
        t.pitch_bits = resolve_pitch(spec.pitch, t.row_bits, bb, t.row_bits);
        // Floats: the lane decodes the exponents (one 8-bit symbol per element) and passes the
        // raw sign and mantissa bits, which the pitch already counts as input.
        const uint32_t raw = spec.dim * raw_bits(e.value_type);
        const uint32_t symbols = raw ? spec.dim : spec.dim * (8 / spec.symbol_bits);
        t.symbols = symbols;
        t.uniform_cycles = declared_row_cycles(
            dec, t.pitch_bits, t.row_bits - raw - spec.selector_bits - flag, symbols);
    }
    t.slot_cycles = static_cast<uint32_t>((t.pitch_bits + dec.bus_bits - 1) / dec.bus_bits +
                                          kDecoderPipelineLatency);
    const uint64_t coded_bytes = (t.rows * t.pitch_bits + 7) / 8;
    t.overflow_base = (coded_bytes + bb - 1) / bb * bb;
    return t;
}

TableModel build_plain_table(const TableEntry& e, const PitchSpec& pitch, uint32_t bb,
                             bool with_data, std::shared_ptr<const CodedStore> store) {
    TableModel t;
    t.coded = false;
    if (!e.spec.coded_dir.empty()) {
        if (!store) store = CodedStore::open(e.spec.coded_dir);
        t.store = store;  // the baselines of this table open it no more
        const CodedTable& ct = store->table();
        t.rows = ct.rows;
        t.dim = ct.dim;
        // The same rows, read plain (simulate() shares the compressed table's decode instead).
        if (with_data) t.data = store->decoded();
    } else {
        t.rows = e.spec.rows;
        t.dim = e.spec.dim * value_bits(e.value_type) / 8;
    }
    t.name = e.key == "table"
                 ? "plain " + std::to_string(t.rows) + " x " + std::to_string(t.dim) + " B"
                 : e.name;
    t.row_bits = t.dim * 8;
    t.pitch_bits = resolve_pitch(pitch, t.row_bits, bb, t.row_bits);
    return t;
}

namespace {
TableEntry first_entry(const SimConfig& c) {
    if (!c.tables.empty()) return c.tables[0];
    TableEntry e;
    e.key = "table";
    e.spec = c.table;
    e.stream = c.stream;
    return e;
}
}  // namespace

TableModel build_compressed_table(const SimConfig& c, bool with_timing) {
    return build_coded_table(first_entry(c), c.decoder.timing, c.memory.burst_bytes(), with_timing);
}

TableModel build_plain_table(const SimConfig& c, bool with_data) {
    return build_plain_table(first_entry(c), c.baseline.pitch, c.memory.burst_bytes(), with_data);
}

namespace {

// One system (coded, or a plain baseline) of a run: its tables, where they live, its modules.
struct Built {
    std::string label;
    std::vector<TableModel> tables;
    std::unique_ptr<MemoryMap> map;
    std::unique_ptr<SimSystem> sys;
    std::vector<const TableModel*> ptrs() const {
        std::vector<const TableModel*> v;
        for (const TableModel& t : tables) v.push_back(&t);
        return v;
    }
};

std::string tiers_text(const SimConfig& c) {
    std::string out;
    for (size_t j = 0; j < c.tiers.size(); ++j) {
        const TierSpec& t = c.tiers[j];
        if (j) out += " + ";
        if (t.sram) {
            char b[96];
            std::snprintf(b, sizeof b, "%s %.4g MiB SRAM%s", t.name.c_str(),
                          t.sram_spec.capacity_bytes / 1048576.0,
                          j == 0 && c.placement.policy == PlacementPolicy::Cache ? " cache" : "");
            out += b;
        } else {
            const DramConfig& m = t.dram;
            out += m.name + " x" + std::to_string(m.channels) + " channel" +
                   (m.channels > 1 ? "s" : "") + ", " + std::to_string(m.ranks) + " rank" +
                   (m.ranks > 1 ? "s" : "");
        }
    }
    return out;
}

// Places the tables (hot-first over the DRAM tiers behind a cache, or over every tier).
std::unique_ptr<MemoryMap> make_map(const SimConfig& c, const std::vector<TableModel>& tables,
                                    const std::vector<RankModel>& ranks, const std::string& label) {
    const bool cache = c.placement.policy == PlacementPolicy::Cache;
    std::vector<PlacedTable> pt;
    std::vector<const TableModel*> tp;
    std::vector<const RankModel*> rp;
    for (size_t i = 0; i < tables.size(); ++i) {
        const TableModel& t = tables[i];
        PlacedTable p;
        p.rows = t.rows;
        p.pitch_bits = t.pitch_bits;
        const bool overflow = t.stored_overflow || t.overflow_fraction > 0.0;
        p.overflow_bytes = overflow ? t.bytes_in_memory() - t.overflow_base : 0;
        p.ranks = &ranks[i];
        pt.push_back(p);
        tp.push_back(&t);
        rp.push_back(&ranks[i]);
    }
    std::vector<TierSpec> where(c.tiers.begin() + (cache ? 1 : 0), c.tiers.end());
    std::vector<TablePlacement> placement = place_hot_first(pt, where, label);
    if (cache)
        for (TablePlacement& p : placement) {
            for (TablePart& part : p.parts) ++part.tier;
            ++p.overflow_tier;
        }
    return std::make_unique<MemoryMap>(tp, rp, std::move(placement), c.tiers, c.placement);
}

// The cache's warm-up: an independent stream of as many samples as the run, and at least enough
// lookups to touch every line four times (a short run would otherwise measure a cold cache).
void warm_cache(const SimConfig& c, MemoryMap& map, const std::vector<TableModel>& tables) {
    std::vector<RequestProducer> producers;
    for (size_t i = 0; i < tables.size(); ++i) {
        StreamSpec s = c.tables[i].stream;
        s.seed ^= 0x5EED5EEDull;
        producers.emplace_back(s, tables[i].rows);
    }
    uint64_t per_sample = 0;
    for (const TableEntry& e : c.tables) per_sample += e.stream.pooling_factor;
    const uint64_t lines = map.cache()->sets() * map.cache()->ways();
    const uint64_t samples = std::max<uint64_t>(c.stream.batches * c.stream.batch_size,
                                                (4 * lines + per_sample - 1) / per_sample);
    for (uint64_t n = 0; n < samples; ++n)
        for (size_t i = 0; i < tables.size(); ++i)
            for (uint64_t k = 0; k < c.tables[i].stream.pooling_factor; ++k)
                map.warm(uint32_t(i), producers[i].next());
    map.reset_counts();
}

}  // namespace

std::string vcd_file_name(const std::string& trace_path) {
    const bool has = trace_path.size() > 4 && trace_path.substr(trace_path.size() - 4) == ".vcd";
    return has ? trace_path : trace_path + ".vcd";
}

SimResult simulate(const SimConfig& c, const RunOptions& o) {
    const auto wall0 = std::chrono::steady_clock::now();
    const uint32_t bb = c.memory.burst_bytes();
    std::vector<TableEntry> entries = c.tables;
    if (entries.empty()) entries.push_back(first_entry(c));
    const bool single = entries.size() == 1 && c.tiers.size() <= 1;

    // The coded system and the plain baselines (byte pitch; burst-aligned pitch).
    std::vector<Built> systems;
    Built coded;
    coded.label = "coded";
    for (const TableEntry& e : entries) {
        if (e.coded)
            coded.tables.push_back(build_coded_table(e, c.decoder.timing, bb));
        else
            coded.tables.push_back(build_plain_table(e, c.baseline.pitch, bb, true));
    }
    systems.push_back(std::move(coded));
    bool burst_same = true;
    if (c.baseline.enabled) {
        Built plain, burst;
        plain.label = "plain (byte pitch)";
        burst.label = "plain (burst pitch)";
        const PitchSpec burst_pitch{PitchSpec::Kind::Burst, 0};
        for (size_t i = 0; i < entries.size(); ++i) {
            plain.tables.push_back(build_plain_table(entries[i], c.baseline.pitch, bb, false,
                                                     systems[0].tables[i].store));
            plain.tables.back().data = systems[0].tables[i].data;
            burst.tables.push_back(
                build_plain_table(entries[i], burst_pitch, bb, false, systems[0].tables[i].store));
            burst.tables.back().data = systems[0].tables[i].data;
            burst_same =
                burst_same && burst.tables.back().pitch_bits == plain.tables.back().pitch_bits;
        }
        systems.push_back(std::move(plain));
        if (c.baseline.burst && !burst_same) systems.push_back(std::move(burst));
    }

    std::vector<RankModel> ranks;
    for (size_t i = 0; i < entries.size(); ++i)
        ranks.emplace_back(entries[i].stream, systems[0].tables[i].rows);
    for (Built& b : systems) {
        b.map = make_map(c, b.tables, ranks, b.label);
        if (c.placement.policy == PlacementPolicy::Cache && c.placement.warmup)
            warm_cache(c, *b.map, b.tables);
    }

    ProgressFn progress;
    if (o.progress) {
        auto last = std::make_shared<std::chrono::steady_clock::time_point>(wall0);
        progress = [wall0, last](const char* label, uint64_t done, uint64_t total) {
            const auto now = std::chrono::steady_clock::now();
            if (now - wall0 < std::chrono::seconds(1) || now - *last < std::chrono::seconds(1))
                return;
            *last = now;
            std::fprintf(stderr, "embzip-sim: %s %llu / %llu lookups (%.0f%%)\n", label,
                         static_cast<unsigned long long>(done),
                         static_cast<unsigned long long>(total), 100.0 * done / total);
        };
    }
    std::unique_ptr<RtlSetup> rtl;
    if (c.decoder.model == DecoderModel::Rtl) {
        if (!single)
            throw InputError(
                "decoder.model: rtl needs one table in one memory (no tables or tiers lists)");
        rtl = rtl_setup(c, systems[0].tables[0], o.progress);
    }
    // Tracing shows state at wake-ups, so it runs without look-ahead for a faithful waveform.
    // RTL lanes run in SystemC time: the reads they cause must find the memory not yet past
    // their cycle, so the memory does not run ahead either (results do not depend on it).
    const Ps quantum =
        o.trace_path.empty() && !rtl ? static_cast<Ps>(c.sim.quantum_ns * 1000.0) : 0;
    const PipelineTiming timing = pipeline_timing(c);
    std::vector<StreamSpec> streams;
    for (const TableEntry& e : entries) streams.push_back(e.stream);
    const char* names[] = {"compressed", "plain", "plain_burst"};
    for (size_t k = 0; k < systems.size(); ++k) {
        Built& b = systems[k];
        if (rtl && k == 0)
            b.sys = std::make_unique<SimSystem>(names[k], b.tables[0], c.stream, timing, c.memory,
                                                quantum, progress, rtl.get());
        else
            b.sys = std::make_unique<SimSystem>(names[k], b.ptrs(), c.stream, streams, b.map.get(),
                                                timing, c.tiers, quantum, progress);
    }

    sc_core::sc_trace_file* tf = nullptr;
    if (!o.trace_path.empty()) {
        std::string p = vcd_file_name(o.trace_path);
        p.resize(p.size() - 4);  // SystemC adds it back
        tf = sc_core::sc_create_vcd_trace_file(p.c_str());
        tf->set_time_unit(1, sc_core::SC_PS);
        for (Built& b : systems) b.sys->trace(tf);
    }
    auto completed = [&] {
        uint64_t n = 0;
        for (Built& b : systems) n += b.sys->source->completed();
        return n;
    };
    uint64_t total = 0;
    for (Built& b : systems) total += b.sys->source->total();
    const double setup_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (!rtl) {
        sc_core::sc_start();
    } else {
        // The lanes' clock never stops, so run in slices until every lookup is back; a run in
        // which nothing completes for a long while is an RTL that hangs.
        uint64_t last = 0, idle = 0;
        while (completed() < total) {
            sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));
            idle = completed() == last ? idle + 1 : 0;
            last = completed();
            if (idle >= 1000)
                throw Error("decoder.model: rtl: no lookup completed in 1 ms of simulated time (" +
                            std::to_string(last) + " of " + std::to_string(total) +
                            " done): the RTL lanes hang");
        }
    }
    if (tf) sc_core::sc_close_vcd_trace_file(tf);
    if (completed() != total)
        SC_REPORT_FATAL("embzip-sim", "simulation ended with lookups still in flight");

    SimResult r;
    r.name = c.name;
    r.memory = tiers_text(c);
    std::vector<SystemResult> results;
    for (size_t k = 0; k < systems.size(); ++k) {
        Built& b = systems[k];
        const bool flat = rtl && k == 0;
        results.push_back(collect(*b.sys, c, flat ? nullptr : b.map.get()));
        results.back().system = b.label;
    }
    r.compressed = results[0];
    if (results.size() > 1) r.baseline = results[1];
    if (results.size() > 2) r.baseline_burst = results[2];
    r.burst_same_as_byte = c.baseline.enabled && burst_same;
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    r.setup_s = setup_s;
    return r;
}

nlohmann::json to_json(const SimResult& r) {
    nlohmann::json j = system_json(r.compressed);
    j["name"] = r.name;
    j["memory"] = r.memory;
    // Per lookup, all parts (energy.per_lookup_pj); null when a DRAM tier has no power figures.
    const std::optional<double> e = r.compressed.energy.per_lookup(r.compressed.lookups);
    j["energy_per_lookup"] = e ? nlohmann::json(*e) : nlohmann::json(nullptr);
    if (r.baseline) {
        j["baseline"] = system_json(*r.baseline);
        j["speedup"] = r.compressed.lookups_per_s / r.baseline->lookups_per_s;
        // null when the plain system read nothing from DRAM (every row in an SRAM tier).
        const bool dram = r.baseline->dram_bytes > 0;
        j["dram_bytes_ratio"] =
            dram ? nlohmann::json(double(r.compressed.dram_bytes) / double(r.baseline->dram_bytes))
                 : nlohmann::json(nullptr);
        j["dram_bandwidth_ratio"] =
            dram ? nlohmann::json(r.compressed.dram_bytes_per_s / r.baseline->dram_bytes_per_s)
                 : nlohmann::json(nullptr);
        j["latency_ratio"] = r.compressed.latency.mean / r.baseline->latency.mean;
        j["bytes_stored_ratio"] =
            double(r.compressed.bytes_stored) / double(r.baseline->bytes_stored);
        const SystemResult& b = r.baseline_burst ? *r.baseline_burst : *r.baseline;
        j["baseline_burst"] =
            r.baseline_burst ? system_json(b) : nlohmann::json("same as baseline (equal pitches)");
        j["speedup_vs_burst"] = r.compressed.lookups_per_s / b.lookups_per_s;
        j["bytes_stored_ratio_vs_burst"] =
            double(r.compressed.bytes_stored) / double(b.bytes_stored);
    }
    return j;
}

std::string summary_text(const SimResult& r) {
    std::ostringstream o;
    const SystemResult& c = r.compressed;
    o << "embzip-sim" << (r.name.empty() ? "" : ": " + r.name) << "\n";
    o << "  table:  " << c.table << ", " << c.lookups << " lookups, " << c.samples << " samples\n";
    o << "  memory: " << r.memory << "; decoder: " << c.lanes << " lanes\n";
    char line[256];
    std::vector<const SystemResult*> sys = {&c};
    if (r.baseline) sys.push_back(&*r.baseline);
    if (r.baseline_burst) sys.push_back(&*r.baseline_burst);
    auto row = [&](const char* label, const std::function<std::string(const SystemResult&)>& f) {
        std::string cells;
        for (const SystemResult* s : sys) {
            char b[64];
            std::snprintf(b, sizeof b, " %19s", f(*s).c_str());
            cells += b;
        }
        std::snprintf(line, sizeof line, "  %-30s%s\n", label, cells.c_str());
        o << line;
    };
    auto num = [](double v, const char* fmt) {
        char b[64];
        std::snprintf(b, sizeof b, fmt, v);
        return std::string(b);
    };
    row("", [](const SystemResult& s) {
        return s.system == "coded"                ? std::string("compressed")
               : s.system == "plain (byte pitch)" ? std::string("plain")
                                                  : std::string("plain burst");
    });
    if (c.tables.size() <= 1)
        row("row bits / pitch bits", [](const SystemResult& s) {
            return std::to_string(s.row_bits) + " / " + std::to_string(s.pitch_bits);
        });
    row("bytes stored", [](const SystemResult& s) { return si(double(s.bytes_stored), "B"); });
    row("DRAM bytes per lookup",
        [&](const SystemResult& s) { return num(double(s.dram_bytes) / s.lookups, "%.2f"); });
    row("lookups/s", [](const SystemResult& s) { return si(s.lookups_per_s, ""); });
    if (c.tables.size() > 1)
        row("samples/s", [](const SystemResult& s) { return si(s.samples_per_s, ""); });
    row("DRAM bandwidth", [](const SystemResult& s) { return si(s.dram_bytes_per_s, "B/s"); });
    row("decoded bandwidth",
        [](const SystemResult& s) { return si(s.decoded_bytes_per_s, "B/s"); });
    auto lat = [&](const LatencySummary& l) {
        return num(l.mean, "%.1f") + "/" + num(l.p99, "%.1f") + "/" + num(l.max, "%.1f");
    };
    row("lookup latency ns mean/p99/max", [&](const SystemResult& s) { return lat(s.latency); });
    row("sample latency ns mean/p99/max",
        [&](const SystemResult& s) { return lat(s.sample_latency); });
    row("row-buffer hit rate",
        [&](const SystemResult& s) { return num(s.row_buffer_hit_rate, "%.3f"); });
    if (c.tiers.size() > 1)
        for (size_t j = 0; j < c.tiers.size(); ++j) {
            const std::string label = "reads from " + c.tiers[j].name;
            row(label.c_str(),
                [&, j](const SystemResult& s) { return num(100.0 * s.tiers[j].share, "%.1f%%"); });
        }
    if (c.has_cache)
        row("cache hit rate", [&](const SystemResult& s) {
            return num(
                double(s.cache_hits) / double(std::max<uint64_t>(1, s.cache_hits + s.cache_misses)),
                "%.3f");
        });
    row("util memory/decoder/pooling", [&](const SystemResult& s) {
        return num(s.memory_util, "%.2f") + "/" + (s.lanes ? num(s.decoder_util, "%.2f") : "-") +
               "/" + num(s.pooling_util, "%.2f");
    });
    if (c.energy.dram)
        row("energy per lookup pJ", [&](const SystemResult& x) {
            const std::optional<double> e = x.energy.per_lookup(x.lookups);
            return e ? num(*e, "%.0f") : std::string("-");
        });
    row("bottleneck", [&](const SystemResult& s) {
        for (const StageUtil& st : s.stages)
            if (st.stage == s.bottleneck && st.where == s.bottleneck_where)
                return s.bottleneck + " " + num(st.util, "%.2f");
        return s.bottleneck;
    });
    if (r.baseline) {
        const SystemResult& b = *r.baseline;
        const std::string dram =
            b.dram_bytes > 0
                ? num(double(c.dram_bytes) / c.lookups / (double(b.dram_bytes) / b.lookups),
                      "%.3fx of plain")
                : std::string("n/a (plain reads no DRAM)");
        std::snprintf(line, sizeof line,
                      "  speedup %.3fx, DRAM bytes per lookup %s, bytes stored %.3fx of plain\n",
                      c.lookups_per_s / b.lookups_per_s, dram.c_str(),
                      double(c.bytes_stored) / double(b.bytes_stored));
        o << line;
        if (r.baseline_burst) {
            const SystemResult& x = *r.baseline_burst;
            std::snprintf(
                line, sizeof line, "  vs plain burst-aligned: speedup %.3fx, bytes stored %.3fx\n",
                c.lookups_per_s / x.lookups_per_s, double(c.bytes_stored) / double(x.bytes_stored));
            o << line;
        }
    }
    return o.str();
}

}  // namespace embzip::sim
