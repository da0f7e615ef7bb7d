// SPDX-License-Identifier: MIT
// The many-table and memory-tier keys of a config (`tables`, `tiers`, `placement`). Each table and
// each DRAM tier is validated by the single-table parser (parse_config on a one-table tree), so
// every key keeps one set of rules; its errors are re-labelled with the entry's key path
// ("tables.3.rows: must be >= 1, got 0").
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip_sim/config.hpp"

namespace embzip::sim {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) {
    throw InputError(key + ": " + what);
}

const std::set<std::string> kTableKeys = {
    "coded_dir",   "rows",          "dim",   "row_bits",
    "symbol_bits", "selector_bits", "pitch", "overflow_fraction"};
const std::set<std::string> kStreamKeys = {"distribution", "zipf_alpha", "trace_file",
                                           "trace_format", "pooling_factor"};
const std::set<std::string> kEntryKeys = {"name", "saving", "value_type", "coded"};
const std::set<std::string> kSramKeys = {
    "kind",  "name",           "capacity_bytes",  "capacity_mb",
    "banks", "latency_cycles", "bytes_per_cycle", "clock_ghz"};
const std::set<std::string> kDramKeys = {"kind", "name", "memory", "channels", "ranks", "rows"};

// Runs the single-table parser and renames "table." / "stream." / "memory." in its error.
template <class F>
auto relabel(const std::string& prefix, const char* from, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const InputError& e) {
        std::string m = e.what();
        const std::string head = from;
        if (m.compare(0, head.size(), head) == 0) m = prefix + m.substr(head.size());
        throw InputError(m);
    }
}

std::string replace_prefix(std::string m, const std::string& from, const std::string& to) {
    if (m.compare(0, from.size(), from) == 0) return to + m.substr(from.size());
    return m;
}

ValueType parse_value_type(const std::string& key, const json& v) {
    const std::string s = v.is_string() ? v.get<std::string>() : "";
    if (s == "int8") return ValueType::Int8;
    if (s == "uint8") return ValueType::Uint8;
    if (s == "bf16") return ValueType::Bf16;
    if (s == "fp16") return ValueType::Fp16;
    if (s == "fp32") return ValueType::Fp32;
    fail(key, "must be int8, uint8, bf16, fp16 or fp32, got " + v.dump());
}

TableEntry parse_table(const json& j, size_t i, const json& memory, const json& stream) {
    const std::string key = "tables." + std::to_string(i);
    if (!j.is_object()) fail(key, "must be an object, got " + j.dump());
    json table = json::object(), st = stream.is_object() ? stream : json::object();
    TableEntry e;
    e.key = key;
    e.name = "table" + std::to_string(i);
    double saving = -1;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string k = it.key(), kk = key + "." + k;
        if (kTableKeys.count(k))
            table[k] = *it;
        else if (kStreamKeys.count(k))
            st[k] = *it;
        else if (k == "name") {
            if (!it->is_string()) fail(kk, "must be a string, got " + it->dump());
            e.name = it->get<std::string>();
        } else if (k == "saving") {
            if (!it->is_number() || it->get<double>() < 0.0 || it->get<double>() >= 1.0)
                fail(kk, "must be a number in [0, 1), got " + it->dump());
            saving = it->get<double>();
        } else if (k == "value_type") {
            e.value_type = parse_value_type(kk, *it);
        } else if (k == "coded") {
            if (!it->is_boolean()) fail(kk, "must be true or false, got " + it->dump());
            e.coded = it->get<bool>();
        } else {
            fail(kk, "unknown key");
        }
    }
    const bool is_float = raw_bits(e.value_type) > 0;
    if (table.contains("coded_dir") && (saving >= 0 || e.value_type != ValueType::Int8))
        fail(key + (saving >= 0 ? ".saving" : ".value_type"),
             "not allowed with coded_dir (read from the .ezt)");
    if (saving >= 0) {
        if (table.contains("row_bits")) fail(key + ".saving", "give saving or row_bits, not both");
        if (!table.contains("dim") || !table["dim"].is_number_integer() ||
            table["dim"].get<int64_t>() < 1)
            fail(key + ".dim", "missing or not a positive integer (needed with saving)");
        const double plain = double(table["dim"].get<int64_t>()) * value_bits(e.value_type);
        table["row_bits"] = static_cast<int64_t>(std::ceil(plain * (1.0 - saving) - 1e-9));
    }
    // Floats: W covers the coded exponents (one 8-bit symbol each) and the raw bits; the
    // single-table parser checks the exponent part.
    int64_t raw = 0;
    if (is_float && table.contains("row_bits") && table.contains("dim") &&
        table["dim"].is_number_integer()) {
        raw = table["dim"].get<int64_t>() * raw_bits(e.value_type);
        if (!table["row_bits"].is_number_integer() || table["row_bits"].get<int64_t>() <= raw)
            fail(key + ".row_bits", "must exceed the " + std::to_string(raw) +
                                        " raw sign and mantissa bits, got " +
                                        table["row_bits"].dump());
        table["row_bits"] = table["row_bits"].get<int64_t>() - raw;
        if (table.contains("symbol_bits"))
            fail(key + ".symbol_bits", "not allowed for float tables");
    }
    json tree = {{"memory", memory}, {"table", table}, {"stream", st}};
    SimConfig c;
    try {
        c = parse_config(tree);
    } catch (const InputError& err) {
        std::string m = replace_prefix(err.what(), "table.", key + ".");
        m = replace_prefix(m, "table:", key + ":");
        m = replace_prefix(m, "stream.", key + ".");
        throw InputError(m);
    }
    e.spec = c.table;
    e.spec.row_bits += static_cast<uint32_t>(raw);
    e.stream = c.stream;
    e.stream.trace_key = key + ".trace_file";
    return e;
}

uint64_t integer(const json& v, const std::string& key, int64_t lo, int64_t hi) {
    if (!v.is_number_integer()) fail(key, "must be an integer, got " + v.dump());
    const int64_t x = v.get<int64_t>();
    if (x < lo) fail(key, "must be >= " + std::to_string(lo) + ", got " + std::to_string(x));
    if (x > hi) fail(key, "must be <= " + std::to_string(hi) + ", got " + std::to_string(x));
    return static_cast<uint64_t>(x);
}

TierSpec parse_tier(const json& j, size_t i, const json& table) {
    const std::string key = "tiers." + std::to_string(i);
    if (!j.is_object()) fail(key, "must be an object, got " + j.dump());
    if (!j.contains("kind") || !j["kind"].is_string()) fail(key + ".kind", "missing: sram or dram");
    const std::string kind = j["kind"].get<std::string>();
    if (kind != "sram" && kind != "dram")
        fail(key + ".kind", "must be sram or dram, got \"" + kind + "\"");
    TierSpec t;
    t.sram = kind == "sram";
    const auto& allowed = t.sram ? kSramKeys : kDramKeys;
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!allowed.count(it.key())) fail(key + "." + it.key(), "unknown key (" + kind + " tier)");
    if (j.contains("name")) {
        if (!j["name"].is_string())
            fail(key + ".name", "must be a string, got " + j["name"].dump());
        t.name = j["name"].get<std::string>();
    }
    if (t.sram) {
        SramSpec& s = t.sram_spec;
        if (j.contains("capacity_bytes") == j.contains("capacity_mb"))
            fail(key, "an sram tier needs capacity_bytes or capacity_mb (one of them)");
        if (j.contains("capacity_bytes")) {
            s.capacity_bytes =
                integer(j["capacity_bytes"], key + ".capacity_bytes", 1, int64_t(1) << 50);
        } else {
            const json& v = j["capacity_mb"];
            if (!v.is_number() || !(v.get<double>() > 0))
                fail(key + ".capacity_mb", "must be > 0, got " + v.dump());
            s.capacity_bytes =
                static_cast<uint64_t>(std::llround(v.get<double>() * 1024.0 * 1024.0));
        }
        if (j.contains("banks"))
            s.banks = static_cast<unsigned>(integer(j["banks"], key + ".banks", 1, 4096));
        if (j.contains("latency_cycles"))
            s.latency_cycles = static_cast<unsigned>(
                integer(j["latency_cycles"], key + ".latency_cycles", 1, 1 << 16));
        if (j.contains("bytes_per_cycle"))
            s.bytes_per_cycle = static_cast<unsigned>(
                integer(j["bytes_per_cycle"], key + ".bytes_per_cycle", 1, 4096));
        if (j.contains("clock_ghz")) {
            const json& v = j["clock_ghz"];
            if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > 100)
                fail(key + ".clock_ghz", "must be in (0, 100], got " + v.dump());
            s.clock_ghz = v.get<double>();
        }
        if (t.name.empty()) t.name = "sram";
        return t;
    }
    if (!j.contains("memory") || !j["memory"].is_object())
        fail(key + ".memory", "missing: a memory section or file name (.json / .ini)");
    json mem = j["memory"];
    for (const char* k : {"channels", "ranks", "rows"})
        if (j.contains(k)) mem[k] = j[k];
    json tree = {{"memory", mem}, {"table", table}};
    try {
        t.dram = parse_config(tree).memory;
    } catch (const InputError& err) {
        throw InputError(replace_prefix(err.what(), "memory", key + ".memory"));
    }
    if (t.name.empty()) t.name = t.dram.name;
    return t;
}

}  // namespace

void resolve_tier_paths(json& tree, const std::string& dir_s) {
    const fs::path dir(dir_s);
    auto abs = [&](json& obj, const char* k) {
        auto it = obj.find(k);
        if (it == obj.end() || !it->is_string()) return;
        const fs::path p(it->get<std::string>());
        if (p.is_relative()) *it = (dir / p).lexically_normal().string();
    };
    if (tree.contains("tables") && tree["tables"].is_string()) {
        // A file holding a config: its tables (and table_defaults, unless this config has its own).
        fs::path p(tree["tables"].get<std::string>());
        if (p.is_relative()) p = dir / p;
        const std::vector<uint8_t> bytes = read_file(p.string());
        json sub;
        try {
            sub = json::parse(bytes.begin(), bytes.end());
        } catch (const json::parse_error& e) {
            throw InputError(p.string() + ": not valid JSON (" + e.what() + ")");
        }
        if (!sub.is_object() || !sub.contains("tables") || !sub["tables"].is_array())
            fail("tables", p.string() + " holds no tables list");
        resolve_tier_paths(sub, p.parent_path().string());
        tree["tables"] = sub["tables"];
        if (sub.contains("table_defaults") && !tree.contains("table_defaults"))
            tree["table_defaults"] = sub["table_defaults"];
    }
    if (tree.contains("tables") && tree["tables"].is_array())
        for (json& t : tree["tables"])
            if (t.is_object()) abs(t, "coded_dir"), abs(t, "trace_file");
    if (tree.contains("tiers") && tree["tiers"].is_array())
        for (json& t : tree["tiers"]) {
            if (!t.is_object() || !t.contains("memory") || !t["memory"].is_string()) continue;
            fs::path p(t["memory"].get<std::string>());
            if (p.is_relative()) p = dir / p;
            if (p.extension() == ".ini") {
                t["memory"] = ini_to_memory_json(p.string());
            } else {
                const std::vector<uint8_t> bytes = read_file(p.string());
                try {
                    t["memory"] = json::parse(bytes.begin(), bytes.end());
                } catch (const json::parse_error& e) {
                    throw InputError(p.string() + ": not valid JSON (" + e.what() + ")");
                }
            }
        }
}

void parse_tiers(const json& tree, SimConfig& c) {
    const json dummy_table = {{"rows", 1}, {"dim", 1}, {"row_bits", 8}};
    // Tiers first: the tables' pitch ("burst") needs the DRAM burst.
    if (tree.contains("tiers")) {
        if (tree.contains("memory")) fail("memory", "give memory or tiers, not both");
        const json& a = tree["tiers"];
        if (!a.is_array() || a.empty())
            fail("tiers", "must be a non-empty list of tiers, got " + a.dump());
        for (size_t i = 0; i < a.size(); ++i) c.tiers.push_back(parse_tier(a[i], i, dummy_table));
        bool any_dram = false;
        for (size_t i = 0; i < c.tiers.size(); ++i)
            if (!c.tiers[i].sram && !any_dram) {
                any_dram = true;
                c.memory = c.tiers[i].dram;
            }
        if (!any_dram) fail("tiers", "needs at least one dram tier");
    } else {
        TierSpec t;
        t.name = c.memory.name;
        t.dram = c.memory;
        c.tiers.push_back(t);
    }
    if (tree.contains("placement")) {
        const json& p = tree["placement"];
        if (!p.is_object()) fail("placement", "must be an object, got " + p.dump());
        for (auto it = p.begin(); it != p.end(); ++it) {
            const std::string k = it.key();
            if (k == "policy") {
                const std::string v = it->is_string() ? it->get<std::string>() : it->dump();
                if (v == "hot_first")
                    c.placement.policy = PlacementPolicy::HotFirst;
                else if (v == "cache")
                    c.placement.policy = PlacementPolicy::Cache;
                else
                    fail("placement.policy", "must be hot_first or cache, got \"" + v + "\"");
            } else if (k == "ways") {
                c.placement.ways = static_cast<unsigned>(integer(*it, "placement.ways", 1, 1024));
            } else if (k == "warmup") {
                if (!it->is_boolean())
                    fail("placement.warmup", "must be true or false, got " + it->dump());
                c.placement.warmup = it->get<bool>();
            } else {
                fail("placement." + k, "unknown key");
            }
        }
    }
    if (c.placement.policy == PlacementPolicy::Cache) {
        if (!c.tiers[0].sram)
            fail("placement.policy", "cache needs an sram tier first (tiers.0.kind: sram)");
        if (c.tiers.size() < 2)
            fail("placement.policy", "cache needs a dram tier behind the sram tier");
        for (size_t i = 1; i < c.tiers.size(); ++i)
            if (c.tiers[i].sram)
                fail("tiers." + std::to_string(i), "with the cache policy only tier 0 may be sram");
    }
    if (tree.contains("tables")) {
        if (tree.contains("table")) fail("table", "give table or tables, not both");
        if (tree["tables"].is_string())
            fail("tables", "must be a list (or a file holding a config with one)");
        const json& a = tree["tables"];
        if (!a.is_array() || a.empty())
            fail("tables", "must be a non-empty list of tables, got " + a.dump());
        json memory = tree.contains("memory") ? tree["memory"] : json();
        if (!memory.is_object())
            for (const json& t : tree["tiers"])
                if (t.value("kind", "") == "dram") {
                    memory = t["memory"];
                    break;
                }
        const json stream = tree.contains("stream") ? tree["stream"] : json::object();
        std::set<std::string> names;
        json defaults = json::object();
        if (tree.contains("table_defaults")) {
            defaults = tree["table_defaults"];
            if (!defaults.is_object())
                fail("table_defaults", "must be an object, got " + defaults.dump());
        }
        for (size_t i = 0; i < a.size(); ++i) {
            // table_defaults: keys every entry has unless it sets them itself.
            json entry = a[i];
            if (entry.is_object())
                for (auto it = defaults.begin(); it != defaults.end(); ++it)
                    if (!entry.contains(it.key())) entry[it.key()] = *it;
            TableEntry e = parse_table(entry, i, memory, stream);
            e.stream.batches = c.stream.batches;
            e.stream.batch_size = c.stream.batch_size;
            e.stream.max_outstanding = c.stream.max_outstanding;
            e.stream.seed =
                c.stream.seed + i;  // independent streams, table 0 as a one-table config
            if (!names.insert(e.name).second)
                fail(e.key + ".name", "\"" + e.name + "\" is used twice");
            c.tables.push_back(std::move(e));
        }
        c.table = c.tables[0].spec;
    } else {
        TableEntry e;
        e.key = "table";
        e.name = "table";
        e.spec = c.table;
        e.stream = c.stream;
        c.tables.push_back(e);
    }
    if (tree.contains("table_defaults") && !tree.contains("tables"))
        fail("table_defaults", "needs tables");
}

json resolved_config_json(const SimConfig& c, const json& tree) {
    json j = c;
    if (tree.contains("tables")) j.erase("table");
    if (tree.contains("tiers")) j.erase("memory");
    for (const char* k : {"tables", "table_defaults", "tiers", "placement"})
        if (tree.contains(k)) j[k] = tree[k];
    return j;
}

}  // namespace embzip::sim
