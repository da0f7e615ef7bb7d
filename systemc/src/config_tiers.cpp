// SPDX-License-Identifier: MIT
// The many-table and memory-tier keys of a config (`tables`, `tiers`, `placement`). Each table and
// each DRAM tier is validated by the single-table parser (parse_config on a one-table tree), so
// every key keeps one set of rules; its errors are re-labelled with the entry's key path
// ("tables.3.rows: must be >= 1, got 0").
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "config_schema.hpp"
#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip_sim/config.hpp"

namespace embzip::sim {
namespace fs = std::filesystem;
using nlohmann::json;

NLOHMANN_JSON_SERIALIZE_ENUM(PlacementPolicy, {{PlacementPolicy::HotFirst, "hot_first"},
                                               {PlacementPolicy::Cache, "cache"}})
NLOHMANN_JSON_SERIALIZE_ENUM(ValueType, {{ValueType::Int8, "int8"},
                                         {ValueType::Uint8, "uint8"},
                                         {ValueType::Bf16, "bf16"},
                                         {ValueType::Fp16, "fp16"},
                                         {ValueType::Fp32, "fp32"}})

// The list entries as written, and their keys: read and written by the visitors of
// config_schema.hpp, like the single-table sections.
namespace config_schema {

enum class TierKind { Sram, Dram };
NLOHMANN_JSON_SERIALIZE_ENUM(TierKind, {{TierKind::Sram, "sram"}, {TierKind::Dram, "dram"}})

template <class V>
void schema(V& v, PlacementSpec& p) {
    v("policy", p.policy);
    v("ways", p.ways, Ints{1, 1024});
    v("warmup", p.warmup);
}

constexpr int64_t kMaxSramBytes = int64_t(1) << 50;

struct SramTier {
    TierKind kind = TierKind::Sram;
    std::string name = "sram";
    std::optional<uint64_t> capacity_bytes;
    std::optional<double> capacity_mb;
    SramSpec spec;
};

template <class V>
void schema(V& v, SramTier& t) {
    v("kind", t.kind, NoRange{}, Need::Required);
    v("name", t.name);
    // One of the two is required (checked after the read).
    v("capacity_bytes", t.capacity_bytes, Ints{1, kMaxSramBytes}, Need::Derived);
    v("capacity_mb", t.capacity_mb, Reals{0.0, double(kMaxSramBytes >> 20)}, Need::Derived);
    v("banks", t.spec.banks, Ints{1, 4096});
    v("latency_cycles", t.spec.latency_cycles, Ints{1, 1 << 16});
    v("bytes_per_cycle", t.spec.bytes_per_cycle, Ints{1, 4096});
    v("clock_ghz", t.spec.clock_ghz, Reals{0.0, 100.0});
}

// A DRAM tier: a memory section, and overrides that the memory schema checks as its own keys.
struct DramTier {
    TierKind kind = TierKind::Dram;
    std::string name;
    json memory, channels, ranks, rows;
};

template <class V>
void schema(V& v, DramTier& t) {
    v("kind", t.kind, NoRange{}, Need::Required);
    v("name", t.name, NoRange{}, Need::Derived);  // the memory's name
    v("memory", t.memory, NoRange{}, Need::Required);
    v("channels", t.channels, NoRange{}, Need::Derived);  // these three: the memory's
    v("ranks", t.ranks, NoRange{}, Need::Derived);
    v("rows", t.rows, NoRange{}, Need::Derived);
}

// A table entry's own keys; the `table` keys and kStreamKeys are passed on to those sections.
struct EntryKeys {
    std::string name;
    std::optional<double> saving;
    ValueType value_type = ValueType::Int8;
    bool coded = true;
};

template <class V>
void schema(V& v, EntryKeys& e) {
    v("name", e.name, NoRange{}, Need::Derived);  // table<i>
    v("saving", e.saving, Reals{0.0, 1.0, false, true});
    v("value_type", e.value_type);
    v("coded", e.coded);
}

// The `stream` keys a table may set for itself; the others are the whole run's.
const char* const kStreamKeys[] = {"distribution", "zipf_alpha", "trace_file", "trace_format",
                                   "pooling_factor"};

template <class T>
json defaults_of() {
    T x{};
    json j;
    Writer w(j, true);
    schema(w, x);
    return j;
}

}  // namespace config_schema

namespace {
using namespace config_schema;

[[noreturn]] void fail(const std::string& key, const std::string& what) {
    throw InputError(key + ": " + what);
}

std::string replace_prefix(std::string m, const std::string& from, const std::string& to) {
    if (m.compare(0, from.size(), from) == 0) return to + m.substr(from.size());
    return m;
}

// Reads one list entry or section with the schema; errors carry `key` ("tiers.1.banks: ...").
template <class T>
T read_entry(const json& j, const std::string& key) {
    T x{};
    try {
        read_checked(j, x, [](const Reader&) {});
    } catch (const ConfigError& e) {
        throw InputError(e.under(key).what());
    }
    return x;
}

bool is_stream_key(const std::string& k) {
    for (const char* s : kStreamKeys)
        if (k == s) return true;
    return false;
}

TableEntry parse_table(const json& j, size_t i, const json& memory, const json& stream) {
    const std::string key = "tables." + std::to_string(i);
    if (!j.is_object()) fail(key, "must be an object, got " + j.dump());
    // Split the entry: `table` keys, per-table `stream` keys, and its own (read by the schema,
    // which rejects what is left).
    static const json table_keys = default_config_json()["table"];  // the schema's, once
    json table = json::object(), st = stream.is_object() ? stream : json::object(),
         own = json::object();
    for (auto it = j.begin(); it != j.end(); ++it)
        (table_keys.contains(it.key()) ? table
         : is_stream_key(it.key())     ? st
                                       : own)[it.key()] = *it;
    const EntryKeys k = read_entry<EntryKeys>(own, key);
    TableEntry e;
    e.key = key;
    e.name = own.contains("name") ? k.name : "table" + std::to_string(i);
    e.value_type = k.value_type;
    e.coded = k.coded;
    const bool is_float = raw_bits(e.value_type) > 0;
    if (table.contains("coded_dir") && (k.saving || e.value_type != ValueType::Int8))
        fail(key + (k.saving ? ".saving" : ".value_type"),
             "not allowed with coded_dir (read from the .ezt)");
    if (k.saving) {
        if (table.contains("row_bits")) fail(key + ".saving", "give saving or row_bits, not both");
        if (!table.contains("dim") || !table["dim"].is_number_integer() ||
            table["dim"].get<int64_t>() < 1)
            fail(key + ".dim", "missing or not a positive integer (needed with saving)");
        const double plain = double(table["dim"].get<int64_t>()) * value_bits(e.value_type);
        table["row_bits"] = static_cast<int64_t>(std::ceil(plain * (1.0 - *k.saving) - 1e-9));
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

TierSpec parse_tier(const json& j, size_t i, const json& table) {
    const std::string key = "tiers." + std::to_string(i);
    if (!j.is_object()) fail(key, "must be an object, got " + j.dump());
    if (!j.contains("kind")) fail(key + ".kind", "missing: sram or dram");
    TierSpec t;
    t.sram = read_entry<SramTier>(json{{"kind", j["kind"]}}, key).kind == TierKind::Sram;
    if (t.sram) {
        const SramTier s = read_entry<SramTier>(j, key);
        if (s.capacity_bytes.has_value() == s.capacity_mb.has_value())
            fail(key, "an sram tier needs capacity_bytes or capacity_mb (one of them)");
        t.name = s.name;
        t.sram_spec = s.spec;
        t.sram_spec.capacity_bytes =
            s.capacity_bytes
                ? *s.capacity_bytes
                : static_cast<uint64_t>(std::llround(*s.capacity_mb * 1024.0 * 1024.0));
        return t;
    }
    const DramTier d = read_entry<DramTier>(j, key);
    if (!d.memory.is_object())
        fail(key + ".memory",
             "must be a memory section or file name (.json / .ini), got " + d.memory.dump());
    json mem = d.memory;
    for (const char* k : {"channels", "ranks", "rows"})
        if (j.contains(k)) mem[k] = j[k];
    json tree = {{"memory", mem}, {"table", table}};
    try {
        t.dram = parse_config(tree).memory;
    } catch (const InputError& err) {
        throw InputError(replace_prefix(err.what(), "memory", key + ".memory"));
    }
    t.name = d.name.empty() ? t.dram.name : d.name;
    return t;
}

}  // namespace

void resolve_tier_paths(json& tree, const std::string& dir_s) {
    const fs::path dir(dir_s);
    auto abs = [&](json& obj, const char* k) {
        auto it = obj.find(k);
        if (it == obj.end() || !it->is_string() || it->get<std::string>().empty()) return;
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
    if (tree.contains("placement"))
        c.placement = read_entry<PlacementSpec>(tree["placement"], "placement");
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
    for (const char* k : {"tables", "table_defaults", "tiers"})
        if (tree.contains(k)) j[k] = tree[k];
    if (tree.contains("placement")) write(j["placement"], c.placement);
    return j;
}

json list_defaults_json() {
    json table = defaults_of<EntryKeys>();
    const json defaults = default_config_json();
    table.update(defaults["table"]);
    const json& stream = defaults["stream"];
    for (const char* k : kStreamKeys) table[k] = stream.at(k);
    json tier = defaults_of<SramTier>();
    tier.update(defaults_of<DramTier>());
    tier["kind"] = nullptr;
    tier["name"] = nullptr;  // sram, or the memory's name
    return {{"tables", table}, {"tiers", tier}, {"placement", defaults_of<PlacementSpec>()}};
}

}  // namespace embzip::sim
