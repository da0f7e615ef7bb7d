// SPDX-License-Identifier: MIT
#include "embzip_sim/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <type_traits>

#include "config_schema.hpp"
#include "embzip/file_util.hpp"

// Enum names as they appear in configs (DRAMSys reads its enums the same way). An unknown name
// would map to the first entry; read_leaf() catches that by converting back.
namespace embzip {
NLOHMANN_JSON_SERIALIZE_ENUM(DecoderArch, {{DecoderArch::Canonical, "canonical"},
                                           {DecoderArch::Lut, "lut"},
                                           {DecoderArch::Chain, "chain"}})
}  // namespace embzip

namespace embzip::sim {
NLOHMANN_JSON_SERIALIZE_ENUM(PagePolicy,
                             {{PagePolicy::Open, "open"}, {PagePolicy::Closed, "closed"}})
NLOHMANN_JSON_SERIALIZE_ENUM(DecoderModel, {{DecoderModel::Cpp, "cpp"}, {DecoderModel::Rtl, "rtl"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Distribution, {{Distribution::Uniform, "uniform"},
                                            {Distribution::Zipf, "zipf"},
                                            {Distribution::Sequential, "sequential"},
                                            {Distribution::Trace, "trace"}})
NLOHMANN_JSON_SERIALIZE_ENUM(TraceFormat, {{TraceFormat::Text, "text"},
                                           {TraceFormat::U32, "u32"},
                                           {TraceFormat::U64, "u64"}})

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kSections[] = {"memory", "table",    "decoder", "pooling",
                                 "stream", "baseline", "sim",     "energy"};

// A --set argument has not been through the JSON parser, so it may not be UTF-8; messages quote
// values with dump(), which throws the JSON library's type_error on invalid UTF-8 instead of the
// config error (sim_json fuzz finding: `--set memory.channels=<byte 0xA8>` ended in terminate).
void require_utf8(const std::string& text, const std::string& what) {
    try {
        (void)json(text).dump();
    } catch (const json::type_error&) {
        throw InputError(what + ": not valid UTF-8 text");
    }
}

}  // namespace

// In the visitors' namespace, where their calls find the sections by argument lookup.
namespace config_schema {

template <class V>
void schema(V& v, DramPower& p);

// ---- the schema: every key once ----------------------------------------------------------------

template <class V>
void schema(V& v, DramTiming& t) {
    constexpr Ints kCycles{0, int64_t(1) << 24};
    constexpr Need req = Need::Required;
    v("tCK", t.tCK_ns, Reals{0.0, 100.0}, req);
    v("CL", t.CL, kCycles, req);
    v("tRCD", t.tRCD, kCycles, req);
    v("tRP", t.tRP, kCycles, req);
    v("tRAS", t.tRAS, kCycles, req);
    v("tRTP", t.tRTP, kCycles, req);
    v("tCCD_S", t.tCCD_S, kCycles, req);
    v("tCCD_L", t.tCCD_L, kCycles, req);
    v("tRRD_S", t.tRRD_S, kCycles, req);
    v("tRRD_L", t.tRRD_L, kCycles, req);
    v("tFAW", t.tFAW, kCycles, req);
    v("tREFI", t.tREFI, kCycles, req);
    v("tRFC", t.tRFC, kCycles, req);
    v("tRTRS", t.tRTRS, kCycles);
}

template <class V>
void schema(V& v, DramConfig& c) {
    constexpr Need req = Need::Required;
    v("name", c.name, NoRange{}, Need::Derived);
    v("protocol", c.protocol);
    v("channels", c.channels, Ints{1, 1024}, req);
    v("ranks", c.ranks, Ints{1, 64}, req);
    v("bankgroups", c.bankgroups, Ints{1, 64}, req);
    v("banks_per_group", c.banks_per_group, Ints{1, 64}, req);
    v("rows", c.rows, Ints{1, int64_t(1) << 30}, req);
    v("columns", c.columns, Ints{1, 1 << 20}, req);
    v("device_width", c.device_width, Ints{1, 1024}, req);
    v("bus_width", c.bus_width, Ints{8, 1024}, req);
    v("BL", c.burst_length, Ints{1, 64}, req);
    v("address_mapping", c.address_mapping, NoRange{}, req);
    v("page_policy", c.page_policy);
    v("queue_size", c.queue_size, Ints{1, 4096});
    v("cmd_queue_size", c.cmd_queue_size, Ints{1, 4096});
    v("row_hit_cap", c.row_hit_cap, Ints{1, 1 << 20});
    v("read_merging", c.read_merging);
    v("dual_command_bus", c.dual_command_bus);
    v("pseudo_channels", c.pseudo_channels, Ints{1, 2});
    v("refresh", c.refresh);
    v.object("timing", c.timing, req);
    v.object("power", c.power);
}

template <class V>
void schema(V& v, DramPower& p) {
    constexpr Reals kMilliamps{0.0, 1e5, false};
    constexpr Need req = Need::Required;
    v("VDD", p.VDD, Reals{0.0, 10.0}, req);
    v("IDD0", p.IDD0, kMilliamps, req);
    v("IDD2N", p.IDD2N, kMilliamps, req);
    v("IDD3N", p.IDD3N, kMilliamps, req);
    v("IDD4R", p.IDD4R, kMilliamps, req);
    v("IDD5AB", p.IDD5AB, kMilliamps, req);
    v("io_pj_per_bit", p.io_pj_per_bit, Reals{0.0, 1e3, false});
}

template <class V>
void schema(V& v, EnergySpec& e) {
    v("sram_pj_per_byte", e.sram_pj_per_byte, Reals{0.0, 1e6, false});
    v("decoder_pj_per_symbol", e.decoder_pj_per_symbol, Reals{0.0, 1e6, false});
}

template <class V>
void schema(V& v, TableSpec& t) {
    v("coded_dir", t.coded_dir);
    v("rows", t.rows, Ints{1, int64_t(1) << 40}, Need::Derived);
    v("dim", t.dim, Ints{1, 65535}, Need::Derived);
    v("row_bits", t.row_bits, Ints{1, kMaxPitchBits}, Need::Derived);
    v("symbol_bits", t.symbol_bits, Ints{4, 8});
    v("selector_bits", t.selector_bits, Ints{0, 4});
    v("pitch", t.pitch, NoRange{}, Need::Derived);
    v("overflow_fraction", t.overflow_fraction, Reals{0.0, 1.0, false, true});
}

template <class V>
void schema(V& v, DecoderSpec& d) {
    v("lanes", d.lanes, Ints{1, 4096});
    v("clock_ghz", d.clock_ghz, Reals{0.0, 100.0});
    v("fifo_rows", d.fifo_rows, Ints{1, 1 << 20}, Need::Derived);  // stream.max_outstanding
    v("arch", d.timing.arch);
    v("symbols_per_cycle", d.timing.symbols_per_cycle, Ints{1, 16}, Need::Derived);
    v("lut_bits", d.timing.lut_bits, Ints{1, 64});
    v("bus_bits", d.timing.bus_bits, Ints{8, 1024});
    v("overlap", d.timing.overlap);
    v("model", d.model);
}

template <class V>
void schema(V& v, PoolingSpec& p) {
    v("clock_ghz", p.clock_ghz, Reals{0.0, 100.0}, Need::Derived);
    v("latency_cycles", p.latency_cycles, Ints{0, 1 << 20});
}

constexpr int64_t kMaxStreamFactor = int64_t(1) << 34;  // also the bound on their product

template <class V>
void schema(V& v, StreamSpec& s) {
    v("distribution", s.distribution);
    v("zipf_alpha", s.zipf_alpha, Reals{0.0, 10.0});
    v("trace_file", s.trace_file);
    v("trace_format", s.trace_format);
    v("batches", s.batches, Ints{1, kMaxStreamFactor});
    v("batch_size", s.batch_size, Ints{1, kMaxStreamFactor});
    v("pooling_factor", s.pooling_factor, Ints{1, kMaxStreamFactor});
    v("max_outstanding", s.max_outstanding, Ints{1, 1 << 20});
    v("seed", s.seed, Ints{0, std::numeric_limits<int64_t>::max()});
}

template <class V>
void schema(V& v, BaselineSpec& b) {
    v("enabled", b.enabled);
    v("pitch", b.pitch);
    v("burst", b.burst);
}

template <class V>
void schema(V& v, RunSpec& r) {
    v("quantum_ns", r.quantum_ns, Reals{0.0, 1e9, false});
}

template <class V>
void schema(V& v, SimConfig& c) {
    v("name", c.name);
    v.object("memory", c.memory, Need::Required);
    v.object("table", c.table, Need::Required);
    v.object("decoder", c.decoder);
    v.object("pooling", c.pooling);
    v.object("stream", c.stream);
    v.object("baseline", c.baseline);
    v.object("sim", c.sim);
    v.object("energy", c.energy);
}

bool not_pitch_file(const PitchSpec& p) { return p.kind != PitchSpec::Kind::File; }

}  // namespace config_schema
using namespace config_schema;

// ---- sections: schema read plus the checks that involve several keys ---------------------------

void from_json(const json& j, DramTiming& t) {
    read_checked(j, t, [](const Reader&) {});
}
void to_json(json& j, const DramTiming& t) { write(j, t); }

void from_json(const json& j, DramPower& p) {
    read_checked(j, p, [&](const Reader&) {
        // DRAMPower's increments must not be negative: each current above its standby current.
        if (p.IDD3N < p.IDD2N)
            throw ConfigError(
                "IDD3N", "must be >= IDD2N (" + num_text(p.IDD2N) + "), got " + num_text(p.IDD3N));
        if (p.IDD4R < p.IDD3N)
            throw ConfigError(
                "IDD4R", "must be >= IDD3N (" + num_text(p.IDD3N) + "), got " + num_text(p.IDD4R));
        if (p.IDD5AB < p.IDD3N)
            throw ConfigError("IDD5AB", "must be >= IDD3N (" + num_text(p.IDD3N) + "), got " +
                                            num_text(p.IDD5AB));
    });
}
void to_json(json& j, const DramPower& p) { write(j, p); }

void from_json(const json& j, EnergySpec& e) {
    read_checked(j, e, [](const Reader&) {});
}
void to_json(json& j, const EnergySpec& e) { write(j, e); }

void from_json(const json& j, DramConfig& c) {
    read_checked(j, c, [&](const Reader&) {
        if (c.name.empty()) c.name = display_name(c);
        validate(c);
        if (c.power) {
            // The activation increment, VDD (IDD0 tRC - IDD3N tRAS - IDD2N tRP), must not be
            // negative for this timing.
            const DramPower& p = *c.power;
            const double need = (p.IDD3N * c.timing.tRAS + p.IDD2N * c.timing.tRP) /
                                (double(c.timing.tRAS) + c.timing.tRP);
            if (p.IDD0 < need)
                throw ConfigError("power.IDD0",
                                  "must be >= " + num_text(need) +
                                      " (IDD3N and IDD2N weighted by tRAS and tRP), got " +
                                      num_text(p.IDD0));
        }
    });
}
void to_json(json& j, const DramConfig& c) { write(j, c); }

void from_json(const json& j, TableSpec& t) {
    read_checked(j, t, [&](const Reader& r) {
        if (!t.coded_dir.empty()) {
            for (const char* k : {"rows", "dim", "row_bits", "symbol_bits", "selector_bits"})
                if (r.given(k))
                    throw ConfigError(k, "not allowed with table.coded_dir (read from the .ezt)");
            if (!r.given("pitch")) t.pitch = PitchSpec{PitchSpec::Kind::File, 0};
            return;
        }
        if (!r.given("rows")) bad("needs coded_dir, or rows, dim and row_bits");
        for (const char* k : {"dim", "row_bits"})
            if (!r.given(k)) throw ConfigError(k, "missing");
        if (t.symbol_bits != 4 && t.symbol_bits != 8)
            throw ConfigError("symbol_bits",
                              "must be 4 or 8, got " + std::to_string(t.symbol_bits));
        const uint32_t symbols = t.dim * (8 / t.symbol_bits);
        const uint32_t overhead = t.selector_bits + (t.overflow_fraction > 0 ? 1 : 0);
        if (t.row_bits < overhead + symbols)
            throw ConfigError("row_bits", "must be >= " + std::to_string(overhead + symbols) +
                                              ", got " + std::to_string(t.row_bits));
        if (!r.given("pitch")) t.pitch = PitchSpec{PitchSpec::Kind::Byte, 0};
        if (!not_pitch_file(t.pitch))
            throw ConfigError("pitch", "must be packed, byte, burst or a bit count, got \"file\"");
        if (t.pitch.kind == PitchSpec::Kind::Bits && t.pitch.bits < t.row_bits)
            throw ConfigError("pitch", "must be >= row_bits (" + std::to_string(t.row_bits) +
                                           "), got " + std::to_string(t.pitch.bits));
    });
}
void to_json(json& j, const TableSpec& t) {
    write(j, t);
    // A coded table's geometry comes from its file, a declared one has no file: only what
    // reads back as the same table.
    if (t.coded_dir.empty())
        j.erase("coded_dir");
    else
        for (const char* k : {"rows", "dim", "row_bits", "symbol_bits", "selector_bits"})
            j.erase(k);
}

void from_json(const json& j, DecoderSpec& d) {
    read_checked(j, d, [&](const Reader& r) {
        DecoderConfig& t = d.timing;
        if (t.arch == DecoderArch::Canonical) {
            if (!r.given("symbols_per_cycle")) t.symbols_per_cycle = 1;
            if (t.symbols_per_cycle != 1)
                throw ConfigError("symbols_per_cycle", "must be 1 for the canonical decoder, got " +
                                                           std::to_string(t.symbols_per_cycle));
        }
        // The lut design holds a 2^B-entry table per book; the chain design has no table, so
        // its window may be as wide as S codes (decoder_timing.hpp).
        if (t.arch == DecoderArch::Lut && t.lut_bits > 16)
            throw ConfigError(
                "lut_bits", "must be <= 16 for the lut decoder, got " + std::to_string(t.lut_bits));
        if (t.bus_bits % 8 != 0)
            throw ConfigError("bus_bits",
                              "must be a multiple of 8, got " + std::to_string(t.bus_bits));
        embzip::validate(t);  // the contract's own limits; the checks above name the keys first
    });
}
void to_json(json& j, const DecoderSpec& d) { write(j, d); }

void from_json(const json& j, PoolingSpec& p) {
    read_checked(j, p, [](const Reader&) {});
}
void to_json(json& j, const PoolingSpec& p) { write(j, p); }

void from_json(const json& j, StreamSpec& s) {
    read_checked(j, s, [&](const Reader&) {
        if (s.distribution == Distribution::Trace && s.trace_file.empty())
            throw ConfigError("trace_file", "missing (stream.distribution is trace)");
        // Each factor is at most 2^34, so the product is exact in long double arithmetic.
        const long double lookups =
            static_cast<long double>(s.batches) * s.batch_size * s.pooling_factor;
        if (lookups > static_cast<long double>(kMaxStreamFactor))
            bad("batches * batch_size * pooling_factor is too large (at most 2^34 lookups)");
    });
}
void to_json(json& j, const StreamSpec& s) { write(j, s); }

void from_json(const json& j, BaselineSpec& b) {
    read_checked(j, b, [&](const Reader&) {
        if (!not_pitch_file(b.pitch))
            throw ConfigError("pitch", "must be packed, byte, burst or a bit count, got \"file\"");
    });
}
void to_json(json& j, const BaselineSpec& b) { write(j, b); }

void from_json(const json& j, RunSpec& r) {
    read_checked(j, r, [](const Reader&) {});
}
void to_json(json& j, const RunSpec& r) { write(j, r); }

void from_json(const json& j, SimConfig& c) {
    read_checked(j, c, [&](const Reader&) {
        // One decoder FIFO slot per request in flight unless told otherwise: a coded row holds
        // its slot from the memory request on, so a smaller FIFO silently caps the coded system.
        const auto d = j.find("decoder");
        if (d == j.end() || !d->contains("fifo_rows"))
            c.decoder.fifo_rows = static_cast<unsigned>(c.stream.max_outstanding);
    });
}
void to_json(json& j, const SimConfig& c) { write(j, c); }

SimConfig parse_config(const json& tree) {
    // The many-table and tier keys (config_tiers.cpp) are read on top of the single-table
    // schema; a config with only `tables`/`tiers` gets a stand-in table/memory for it.
    json base = tree;
    if (base.is_object()) {
        for (const char* k : {"tables", "table_defaults", "tiers", "placement"}) base.erase(k);
        if (tree.contains("tables") && !base.contains("table"))
            base["table"] = {{"rows", 1}, {"dim", 1}, {"row_bits", 8}};
        if (tree.contains("tiers") && !base.contains("memory") && tree["tiers"].is_array())
            for (const json& t : tree["tiers"])
                if (t.is_object() && t.value("kind", "") == "dram" && t.contains("memory") &&
                    t["memory"].is_object()) {
                    base["memory"] = t["memory"];
                    break;
                }
    }
    if (tree.contains("tiers") && !base.contains("memory")) {
        SimConfig probe;  // names the bad tier ("tiers: needs at least one dram tier")
        parse_tiers(tree, probe);
    }
    SimConfig c;
    from_json(base, c);
    parse_tiers(tree, c);
    return c;
}

json default_config_json() {
    SimConfig c;
    json j;
    Writer w(j, true);
    schema(w, c);
    return j;
}

std::vector<std::string> config_key_paths() {
    std::vector<std::string> keys;
    json all = default_config_json();
    all.update(list_defaults_json());
    const json flat = all.flatten();  // "/memory/timing/tCK"
    for (auto it = flat.begin(); it != flat.end(); ++it) {
        std::string k = it.key().substr(1);
        std::replace(k.begin(), k.end(), '/', '.');
        keys.push_back(k);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
}

// ---- files and overrides ---------------------------------------------------------------------

namespace {

json load_json_file(const fs::path& path) {
    const std::vector<uint8_t> bytes = read_file(path.string());
    try {
        return json::parse(bytes.begin(), bytes.end());
    } catch (const json::parse_error& e) {
        throw InputError(path.string() + ": not valid JSON (" + e.what() + ")");
    }
}

// Paths inside a section are relative to the file the section came from.
void absolutize(const std::string& section, json& j, const fs::path& dir) {
    if (!j.is_object()) return;
    const char* key = section == "table"    ? "coded_dir"
                      : section == "stream" ? "trace_file"
                                            : nullptr;
    if (!key) return;
    auto it = j.find(key);
    // An empty path is "none" (print-config writes trace_file ""), not the config's folder.
    if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
        const fs::path p(it->get<std::string>());
        if (p.is_relative()) *it = (dir / p).lexically_normal().string();
    }
}

void resolve_sections(json& tree, const fs::path& dir) {
    for (const char* s : kSections) {
        auto it = tree.find(s);
        if (it == tree.end() || !it->is_string()) continue;
        fs::path p(it->get<std::string>());
        if (p.is_relative()) p = dir / p;
        if (!fs::exists(p))
            throw InputError(std::string(s) + ": no file '" + p.string() +
                             "' (a file named by --set is relative "
                             "to the working directory, one named in a config to that config)");
        json sub = (std::string(s) == "memory" && p.extension() == ".ini")
                       ? ini_to_memory_json(p.string())
                       : load_json_file(p);
        if (!sub.is_object()) throw ConfigError(s, p.string() + " must hold a JSON object");
        absolutize(s, sub, p.parent_path());
        *it = std::move(sub);
    }
}

}  // namespace

void apply_override(json& tree, const std::string& a) {
    const size_t eq = a.find('=');
    require_utf8(a, "--set");
    if (eq == std::string::npos || eq == 0)
        throw InputError("--set '" + a + "': expected key=value");
    const std::string key = a.substr(0, eq), text = a.substr(eq + 1);
    json value;
    try {
        value = json::parse(text);
    } catch (const json::exception&) {
        value = text;  // bare words, paths and unreadable numbers (1e999) are strings
    }
    json* node = &tree;
    std::string walked;
    size_t start = 0;
    for (;;) {
        const size_t dot = key.find('.', start);
        const std::string part =
            key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (part.empty()) throw InputError("--set '" + a + "': empty key component");
        walked += (walked.empty() ? "" : ".") + part;
        if (node->is_array()) {
            // tiers.1.capacity_mb: a list element by index
            size_t used = 0;
            unsigned long i = 0;
            try {
                i = std::stoul(part, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != part.size() || i >= node->size())
                throw InputError(walked + ": no such list element, cannot --set " + key);
            if (dot == std::string::npos) {
                (*node)[i] = value;
                break;
            }
            node = &(*node)[i];
            start = dot + 1;
            continue;
        }
        // A scalar where a section is expected (a config whose root is not an object, or a key
        // set to a value above): an error naming the path, not the JSON library's type_error.
        if (!node->is_object())
            throw InputError((walked == part ? std::string("the config")
                                             : walked.substr(0, walked.size() - part.size() - 1)) +
                             ": is not an object, cannot --set " + key);
        if (dot == std::string::npos) {
            (*node)[part] = value;
            break;
        }
        if (!node->contains(part)) (*node)[part] = json::object();
        node = &(*node)[part];
        if (!node->is_object() && !node->is_array())
            throw InputError(walked + ": is not an object, cannot --set " + key);
        start = dot + 1;
    }
    resolve_sections(tree, fs::current_path());
    resolve_tier_paths(tree, fs::current_path().string());
}

json load_config_tree(const std::string& path, const std::vector<std::string>& overrides) {
    json tree = load_json_file(path);
    if (!tree.is_object()) throw InputError(path + ": must hold a JSON object");
    const fs::path dir = fs::absolute(fs::path(path)).parent_path();
    for (const char* s : kSections)
        if (tree.contains(s)) absolutize(s, tree[s], dir);
    resolve_sections(tree, dir);
    resolve_tier_paths(tree, dir.string());
    for (const std::string& o : overrides) apply_override(tree, o);
    return tree;
}

namespace {

// Largest value any .ini integer may have: far above every real geometry or timing value, and
// small enough that the products below cannot overflow.
constexpr double kMaxIniInteger = double(int64_t(1) << 40);

}  // namespace

json ini_to_memory_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw IoError(path + ": cannot open");
    std::map<std::string, std::string> kv;  // "section.key" -> value
    std::string line, section;
    auto trim = [](const std::string& s) {
        const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    while (std::getline(in, line)) {
        const size_t c = line.find_first_of(";#");
        if (c != std::string::npos) line.erase(c);
        line = trim(line);
        if (line.empty()) continue;
        if (line.front() == '[') {
            const size_t close = line.find(']');
            if (close == std::string::npos)
                throw InputError(path + ": section header without ']': '" + line + "'");
            section = trim(line.substr(1, close - 1));
            continue;
        }
        const size_t eq = line.find('=');
        if (eq == std::string::npos) throw InputError(path + ": not key = value: '" + line + "'");
        kv[section + "." + trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    auto where = [&](const std::string& key) {
        return path + ": [" + key.substr(0, key.find('.')) + "] " + key.substr(key.find('.') + 1);
    };
    auto get = [&](const std::string& key,
                   std::initializer_list<const char*> alts = {}) -> std::string {
        auto it = kv.find(key);
        if (it != kv.end()) return it->second;
        const std::string sec = key.substr(0, key.find('.'));
        for (const char* a : alts)
            if ((it = kv.find(sec + "." + a)) != kv.end()) return it->second;
        throw InputError(where(key) + ": missing");
    };
    auto real = [&](const std::string& key, const std::string& v) -> double {
        try {
            size_t used = 0;
            const double d = std::stod(v, &used);
            if (used == v.size() && std::isfinite(d)) return d;
        } catch (const std::exception&) {
        }
        throw InputError(where(key) + ": must be a number, got '" + v + "'");
    };
    // Checked before any conversion or arithmetic: an integer in [0, 2^40].
    auto num = [&](const std::string& key,
                   std::initializer_list<const char*> alts = {}) -> int64_t {
        const std::string v = get(key, alts);
        const double d = real(key, v);
        if (d != std::floor(d) || d < 0 || d > kMaxIniInteger)
            throw InputError(where(key) + ": must be an integer in 0..2^40, got '" + v + "'");
        return static_cast<int64_t>(d);
    };
    json m;
    m["name"] = fs::path(path).stem().string();
    m["protocol"] = get("dram_structure.protocol");
    m["bankgroups"] = num("dram_structure.bankgroups");
    m["banks_per_group"] = num("dram_structure.banks_per_group");
    m["rows"] = num("dram_structure.rows");
    m["columns"] = num("dram_structure.columns");
    m["device_width"] = num("dram_structure.device_width");
    m["BL"] = num("dram_structure.BL");
    m["channels"] = num("system.channels");
    m["bus_width"] = num("system.bus_width");
    m["address_mapping"] = get("system.address_mapping");
    // DRAMsim3 derives ranks from the channel size (MB) and the device geometry. Every factor
    // is at most 2^40, so the product (at most 2^200) is finite in double; geometry values are
    // powers of two (checked later), for which the product is exact.
    const bool hbm = get("dram_structure.protocol").rfind("HBM", 0) == 0;
    const double rank_mb = double(num("dram_structure.rows")) *
                           double(num("dram_structure.columns")) * (hbm ? 2.0 : 1.0) *
                           double(num("system.bus_width")) / 8 *
                           double(num("dram_structure.bankgroups")) *
                           double(num("dram_structure.banks_per_group")) / (1024.0 * 1024.0);
    const double size_mb = double(num("system.channel_size"));
    const double ranks = rank_mb >= 1.0 && size_mb >= rank_mb ? std::floor(size_mb / rank_mb) : 1.0;
    // Out-of-range rank counts are reported by the schema (memory.ranks) like any other value.
    m["ranks"] = ranks <= kMaxIniInteger ? json(static_cast<int64_t>(ranks)) : json(ranks);
    const std::string policy =
        kv.count("system.row_buf_policy") ? kv["system.row_buf_policy"] : "OPEN_PAGE";
    if (policy != "OPEN_PAGE" && policy != "CLOSE_PAGE")
        throw InputError(where("system.row_buf_policy") +
                         ": must be OPEN_PAGE or CLOSE_PAGE, got '" + policy + "'");
    m["page_policy"] = policy == "OPEN_PAGE" ? "open" : "closed";
    if (kv.count("system.trans_queue_size")) m["queue_size"] = num("system.trans_queue_size");
    if (kv.count("system.cmd_queue_size")) m["cmd_queue_size"] = num("system.cmd_queue_size");
    if (kv.count("system.queue_structure") && kv["system.queue_structure"] != "PER_BANK")
        throw InputError(where("system.queue_structure") + ": only PER_BANK is modelled, got '" +
                         kv["system.queue_structure"] + "'");
    // DRAMsim3's conventions: an HBM "column" is two device columns (prefetch), and HBM issues
    // a row and a column command in one cycle (hbm_dual_cmd, on by default).
    if (hbm) {
        m["columns"] = m["columns"].get<int64_t>() * 2;
        const std::string dual =
            kv.count("dram_structure.hbm_dual_cmd") ? kv["dram_structure.hbm_dual_cmd"] : "true";
        m["dual_command_bus"] = dual == "true" || dual == "True" || dual == "1";
    }
    if (kv.count("power.VDD")) {
        json p;
        p["VDD"] = real("power.VDD", get("power.VDD"));
        for (const char* k : {"IDD0", "IDD2N", "IDD3N", "IDD4R", "IDD5AB"})
            p[k] = real(std::string("power.") + k, get(std::string("power.") + k));
        if (kv.count("power.io_pj_per_bit"))
            p["io_pj_per_bit"] = real("power.io_pj_per_bit", kv["power.io_pj_per_bit"]);
        m["power"] = p;
    }
    json t;
    t["tCK"] = real("timing.tCK", get("timing.tCK"));
    t["CL"] = num("timing.CL");
    t["tRCD"] = num("timing.tRCD", {"tRCDRD"});
    t["tRP"] = num("timing.tRP");
    t["tRAS"] = num("timing.tRAS");
    t["tRTP"] = num("timing.tRTP", {"tRTP_L"});
    t["tCCD_S"] = num("timing.tCCD_S");
    t["tCCD_L"] = num("timing.tCCD_L");
    t["tRRD_S"] = num("timing.tRRD_S");
    t["tRRD_L"] = num("timing.tRRD_L");
    t["tFAW"] = num("timing.tFAW");
    t["tREFI"] = num("timing.tREFI");
    t["tRFC"] = num("timing.tRFC");
    if (kv.count("timing.tRTRS")) t["tRTRS"] = num("timing.tRTRS");
    m["timing"] = t;
    return m;
}

}  // namespace embzip::sim
