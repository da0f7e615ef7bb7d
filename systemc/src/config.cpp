// SPDX-License-Identifier: MIT
#include "embzip_sim/config.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"

namespace embzip::sim {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kSections[] = {"memory", "table", "decoder", "pooling", "stream", "baseline", "sim"};

[[noreturn]] void fail(const std::string& key, const std::string& what) { throw InputError(key + ": " + what); }

std::string show(const json& v) { return v.dump(); }

// Reads one JSON object: typed optional getters that remember which keys were used, and an
// error for every key nobody asked for.
class Reader {
public:
    Reader(const json& j, std::string path) : m_j(j), m_path(std::move(path)) {
        if (!j.is_object()) fail(m_path, "must be an object, got " + show(j));
    }
    std::string key(const std::string& k) const { return m_path.empty() ? k : m_path + "." + k; }
    const json* raw(const std::string& k) {
        m_used.insert(k);
        auto it = m_j.find(k);
        return it == m_j.end() ? nullptr : &*it;
    }
    std::optional<int64_t> integer(const std::string& k) {
        const json* v = raw(k);
        if (!v) return std::nullopt;
        if (v->is_number_integer()) return v->get<int64_t>();
        if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() && std::fabs(v->get<double>()) < 9e18)
            return static_cast<int64_t>(v->get<double>());
        fail(key(k), "must be an integer, got " + show(*v));
    }
    std::optional<double> number(const std::string& k) {
        const json* v = raw(k);
        if (!v) return std::nullopt;
        if (!v->is_number()) fail(key(k), "must be a number, got " + show(*v));
        return v->get<double>();
    }
    std::optional<std::string> string(const std::string& k) {
        const json* v = raw(k);
        if (!v) return std::nullopt;
        if (!v->is_string()) fail(key(k), "must be a string, got " + show(*v));
        return v->get<std::string>();
    }
    std::optional<bool> boolean(const std::string& k) {
        const json* v = raw(k);
        if (!v) return std::nullopt;
        if (!v->is_boolean()) fail(key(k), "must be true or false, got " + show(*v));
        return v->get<bool>();
    }
    std::optional<Reader> object(const std::string& k) {
        const json* v = raw(k);
        if (!v) return std::nullopt;
        return Reader(*v, key(k));
    }
    // Unknown keys are errors, not silently ignored.
    void done() const {
        for (auto it = m_j.begin(); it != m_j.end(); ++it)
            if (!m_used.count(it.key())) fail(key(it.key()), "unknown key");
    }

private:
    const json& m_j;
    std::string m_path;
    std::set<std::string> m_used;
};

// ---- raw layer: what the file says, nothing checked but types ----
struct RawTiming {
    std::optional<double> tCK;
    std::map<std::string, std::optional<int64_t>> cycles;
};
struct RawMemory {
    std::optional<std::string> name, protocol, address_mapping, page_policy;
    std::map<std::string, std::optional<int64_t>> ints;
    std::optional<bool> refresh;
    std::optional<RawTiming> timing;
};
struct RawTable {
    std::optional<std::string> coded_dir;
    std::optional<int64_t> rows, dim, row_bits, symbol_bits, selector_bits;
    std::optional<json> pitch;
    std::optional<double> overflow_fraction;
};
struct RawDecoder {
    std::optional<int64_t> lanes, fifo_rows, symbols_per_cycle, lut_bits, bus_bits;
    std::optional<double> clock_ghz;
    std::optional<std::string> arch, model;
};
struct RawPooling {
    std::optional<double> clock_ghz;
    std::optional<int64_t> latency_cycles;
};
struct RawStream {
    std::optional<std::string> distribution, trace_file, trace_format;
    std::optional<double> zipf_alpha;
    std::optional<int64_t> batches, batch_size, pooling_factor, max_outstanding, seed;
};
struct RawBaseline {
    std::optional<bool> enabled;
    std::optional<json> pitch;
};
struct RawSim {
    std::optional<double> quantum_ns;
};
struct RawConfig {
    std::optional<std::string> name;
    std::optional<RawMemory> memory;
    std::optional<RawTable> table;
    RawDecoder decoder;
    RawPooling pooling;
    RawStream stream;
    RawBaseline baseline;
    RawSim sim;
};

const char* const kMemoryInts[] = {"channels", "ranks", "bankgroups", "banks_per_group", "rows",
                                   "columns", "device_width", "bus_width", "BL", "queue_size"};
const char* const kTimingCycles[] = {"CL", "tRCD", "tRP", "tRAS", "tRTP", "tCCD_S", "tCCD_L",
                                     "tRRD_S", "tRRD_L", "tFAW", "tREFI", "tRFC", "tRTRS"};

RawConfig read_raw(const json& tree) {
    RawConfig r;
    Reader top(tree, "");
    r.name = top.string("name");
    if (auto m = top.object("memory")) {
        RawMemory mem;
        mem.name = m->string("name");
        mem.protocol = m->string("protocol");
        mem.address_mapping = m->string("address_mapping");
        mem.page_policy = m->string("page_policy");
        mem.refresh = m->boolean("refresh");
        for (const char* k : kMemoryInts) mem.ints[k] = m->integer(k);
        if (auto t = m->object("timing")) {
            RawTiming rt;
            rt.tCK = t->number("tCK");
            for (const char* k : kTimingCycles) rt.cycles[k] = t->integer(k);
            t->done();
            mem.timing = rt;
        }
        m->done();
        r.memory = mem;
    }
    if (auto t = top.object("table")) {
        RawTable tb;
        tb.coded_dir = t->string("coded_dir");
        tb.rows = t->integer("rows");
        tb.dim = t->integer("dim");
        tb.row_bits = t->integer("row_bits");
        tb.symbol_bits = t->integer("symbol_bits");
        tb.selector_bits = t->integer("selector_bits");
        if (const json* p = t->raw("pitch")) tb.pitch = *p;
        tb.overflow_fraction = t->number("overflow_fraction");
        t->done();
        r.table = tb;
    }
    if (auto d = top.object("decoder")) {
        r.decoder.lanes = d->integer("lanes");
        r.decoder.fifo_rows = d->integer("fifo_rows");
        r.decoder.symbols_per_cycle = d->integer("symbols_per_cycle");
        r.decoder.lut_bits = d->integer("lut_bits");
        r.decoder.bus_bits = d->integer("bus_bits");
        r.decoder.clock_ghz = d->number("clock_ghz");
        r.decoder.arch = d->string("arch");
        r.decoder.model = d->string("model");
        d->done();
    }
    if (auto p = top.object("pooling")) {
        r.pooling.clock_ghz = p->number("clock_ghz");
        r.pooling.latency_cycles = p->integer("latency_cycles");
        p->done();
    }
    if (auto s = top.object("stream")) {
        r.stream.distribution = s->string("distribution");
        r.stream.trace_file = s->string("trace_file");
        r.stream.trace_format = s->string("trace_format");
        r.stream.zipf_alpha = s->number("zipf_alpha");
        r.stream.batches = s->integer("batches");
        r.stream.batch_size = s->integer("batch_size");
        r.stream.pooling_factor = s->integer("pooling_factor");
        r.stream.max_outstanding = s->integer("max_outstanding");
        r.stream.seed = s->integer("seed");
        s->done();
    }
    if (auto b = top.object("baseline")) {
        r.baseline.enabled = b->boolean("enabled");
        if (const json* p = b->raw("pitch")) r.baseline.pitch = *p;
        b->done();
    }
    if (auto s = top.object("sim")) {
        r.sim.quantum_ns = s->number("quantum_ns");
        s->done();
    }
    top.done();
    return r;
}

// ---- validation layer: defaults and ranges ----
uint32_t in_range(const std::string& key, const std::optional<int64_t>& v, int64_t lo, int64_t hi,
                  std::optional<int64_t> def = std::nullopt) {
    if (!v) {
        if (def) return static_cast<uint32_t>(*def);
        fail(key, "missing");
    }
    if (*v < lo) fail(key, "must be >= " + std::to_string(lo) + ", got " + std::to_string(*v));
    if (*v > hi) fail(key, "must be <= " + std::to_string(hi) + ", got " + std::to_string(*v));
    return static_cast<uint32_t>(*v);
}

uint64_t at_least64(const std::string& key, const std::optional<int64_t>& v, int64_t lo, int64_t def) {
    const int64_t x = v.value_or(def);
    if (x < lo) fail(key, "must be >= " + std::to_string(lo) + ", got " + std::to_string(x));
    return static_cast<uint64_t>(x);
}

double positive(const std::string& key, const std::optional<double>& v, double def, double hi) {
    const double x = v.value_or(def);
    if (!(x > 0.0)) fail(key, "must be > 0, got " + std::to_string(x));
    if (x > hi) fail(key, "must be <= " + std::to_string(hi) + ", got " + std::to_string(x));
    return x;
}

PitchSpec parse_pitch(const std::string& key, const std::optional<json>& v, PitchSpec def, bool allow_file) {
    if (!v) return def;
    PitchSpec p;
    if (v->is_number_integer()) {
        const int64_t bits = v->get<int64_t>();
        if (bits < 1 || bits > (1 << 24)) fail(key, "must be >= 1 bit, got " + std::to_string(bits));
        p.kind = PitchSpec::Kind::Bits;
        p.bits = static_cast<uint32_t>(bits);
        return p;
    }
    const std::string s = v->is_string() ? v->get<std::string>() : "";
    if (s == "packed") p.kind = PitchSpec::Kind::Packed;
    else if (s == "byte") p.kind = PitchSpec::Kind::Byte;
    else if (s == "burst") p.kind = PitchSpec::Kind::Burst;
    else if (s == "file" && allow_file) p.kind = PitchSpec::Kind::File;
    else fail(key, std::string("must be ") + (allow_file ? "file, " : "") + "packed, byte, burst or a bit count, got " + show(*v));
    return p;
}

DramConfig make_memory(const RawMemory& m) {
    DramConfig c;
    const std::string p = "memory";
    c.name = m.name.value_or(m.protocol.value_or("memory"));
    auto i = [&](const char* k, int64_t lo, int64_t hi, std::optional<int64_t> def = std::nullopt) {
        return in_range(p + "." + k, m.ints.at(k), lo, hi, def);
    };
    c.channels = i("channels", 1, 1024);
    c.ranks = i("ranks", 1, 64);
    c.bankgroups = i("bankgroups", 1, 64);
    c.banks_per_group = i("banks_per_group", 1, 64);
    c.rows = i("rows", 1, int64_t(1) << 30);
    c.columns = i("columns", 1, 1 << 20);
    c.device_width = i("device_width", 1, 1024);
    c.bus_width = i("bus_width", 8, 1024);
    c.burst_length = i("BL", 1, 64);
    c.queue_size = i("queue_size", 1, 4096, 32);
    if (!m.address_mapping) fail(p + ".address_mapping", "missing");
    c.address_mapping = *m.address_mapping;
    const std::string pol = m.page_policy.value_or("open");
    if (pol == "open") c.page_policy = PagePolicy::Open;
    else if (pol == "closed") c.page_policy = PagePolicy::Closed;
    else fail(p + ".page_policy", "must be open or closed, got \"" + pol + "\"");
    c.refresh = m.refresh.value_or(true);
    if (!m.timing) fail(p + ".timing", "missing");
    const RawTiming& t = *m.timing;
    if (!t.tCK) fail(p + ".timing.tCK", "missing");
    c.timing.tCK_ns = *t.tCK;
    auto cyc = [&](const char* k, std::optional<int64_t> def = std::nullopt) {
        return in_range(p + ".timing." + k, t.cycles.at(k), 0, 1 << 24, def);
    };
    DramTiming& d = c.timing;
    d.CL = cyc("CL");
    d.tRCD = cyc("tRCD");
    d.tRP = cyc("tRP");
    d.tRAS = cyc("tRAS");
    d.tRTP = cyc("tRTP");
    d.tCCD_S = cyc("tCCD_S");
    d.tCCD_L = cyc("tCCD_L");
    d.tRRD_S = cyc("tRRD_S");
    d.tRRD_L = cyc("tRRD_L");
    d.tFAW = cyc("tFAW");
    d.tREFI = cyc("tREFI");
    d.tRFC = cyc("tRFC");
    d.tRTRS = cyc("tRTRS", 1);
    validate(c, p);
    return c;
}

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
    const char* key = section == "table" ? "coded_dir" : section == "stream" ? "trace_file" : nullptr;
    if (!key) return;
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) {
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
        json sub = (std::string(s) == "memory" && p.extension() == ".ini") ? ini_to_memory_json(p.string())
                                                                           : load_json_file(p);
        if (!sub.is_object()) fail(s, p.string() + " must hold a JSON object");
        absolutize(s, sub, p.parent_path());
        *it = std::move(sub);
    }
}

}  // namespace

void apply_override(json& tree, const std::string& a) {
    const size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--set '" + a + "': expected key=value");
    const std::string key = a.substr(0, eq), text = a.substr(eq + 1);
    json value;
    try {
        value = json::parse(text);
    } catch (const json::parse_error&) {
        value = text;  // bare words and paths are strings
    }
    json* node = &tree;
    std::string walked;
    size_t start = 0;
    for (;;) {
        const size_t dot = key.find('.', start);
        const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (part.empty()) throw InputError("--set '" + a + "': empty key component");
        walked += (walked.empty() ? "" : ".") + part;
        if (dot == std::string::npos) {
            (*node)[part] = value;
            break;
        }
        if (!node->contains(part)) (*node)[part] = json::object();
        node = &(*node)[part];
        if (!node->is_object()) throw InputError(walked + ": is not an object, cannot --set " + key);
        start = dot + 1;
    }
    resolve_sections(tree, fs::current_path());
}

json load_config_tree(const std::string& path, const std::vector<std::string>& overrides) {
    json tree = load_json_file(path);
    if (!tree.is_object()) throw InputError(path + ": must hold a JSON object");
    const fs::path dir = fs::absolute(fs::path(path)).parent_path();
    for (const char* s : kSections)
        if (tree.contains(s)) absolutize(s, tree[s], dir);
    resolve_sections(tree, dir);
    for (const std::string& o : overrides) apply_override(tree, o);
    return tree;
}

json ini_to_memory_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw IoError(path + ": cannot open");
    std::map<std::string, std::string> kv;  // "section.key" -> value
    std::string line, section;
    while (std::getline(in, line)) {
        const size_t c = line.find_first_of(";#");
        if (c != std::string::npos) line.erase(c);
        auto trim = [](std::string s) {
            const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
            return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
        };
        line = trim(line);
        if (line.empty()) continue;
        if (line.front() == '[') {
            section = trim(line.substr(1, line.find(']') - 1));
            continue;
        }
        const size_t eq = line.find('=');
        if (eq == std::string::npos) throw InputError(path + ": not key = value: '" + line + "'");
        kv[section + "." + trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    auto get = [&](const std::string& key, std::initializer_list<const char*> alts = {}) -> std::string {
        auto it = kv.find(key);
        if (it != kv.end()) return it->second;
        const std::string sec = key.substr(0, key.find('.'));
        for (const char* a : alts)
            if ((it = kv.find(sec + "." + a)) != kv.end()) return it->second;
        throw InputError(path + ": [" + sec + "] " + key.substr(key.find('.') + 1) + ": missing");
    };
    auto num = [&](const std::string& key, std::initializer_list<const char*> alts = {}) -> int64_t {
        const std::string v = get(key, alts);
        try {
            size_t used = 0;
            const double d = std::stod(v, &used);
            if (used == v.size() && d == std::floor(d)) return static_cast<int64_t>(d);
        } catch (const std::exception&) {
        }
        throw InputError(path + ": " + key + ": must be an integer, got '" + v + "'");
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
    // DRAMsim3 derives ranks from the channel size (MB) and the device geometry.
    const int64_t rank_mb = num("dram_structure.rows") * num("dram_structure.columns") *
                            num("system.bus_width") / 8 * num("dram_structure.bankgroups") *
                            num("dram_structure.banks_per_group") / (1024 * 1024);
    const int64_t size_mb = num("system.channel_size");
    m["ranks"] = rank_mb > 0 && size_mb >= rank_mb ? size_mb / rank_mb : 1;
    const std::string policy = kv.count("system.row_buf_policy") ? kv["system.row_buf_policy"] : "OPEN_PAGE";
    if (policy != "OPEN_PAGE" && policy != "CLOSE_PAGE")
        throw InputError(path + ": [system] row_buf_policy: must be OPEN_PAGE or CLOSE_PAGE, got '" + policy + "'");
    m["page_policy"] = policy == "OPEN_PAGE" ? "open" : "closed";
    if (kv.count("system.trans_queue_size")) m["queue_size"] = num("system.trans_queue_size");
    json t;
    try {
        t["tCK"] = std::stod(get("timing.tCK"));
    } catch (const std::invalid_argument&) {
        throw InputError(path + ": timing.tCK: must be a number, got '" + get("timing.tCK") + "'");
    }
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

SimConfig parse_config(const json& tree) {
    const RawConfig r = read_raw(tree);
    SimConfig c;
    c.name = r.name.value_or("");
    if (!r.memory) fail("memory", "missing");
    c.memory = make_memory(*r.memory);

    if (!r.table) fail("table", "missing");
    const RawTable& t = *r.table;
    TableSpec& ts = c.table;
    ts.overflow_fraction = t.overflow_fraction.value_or(0.0);
    if (ts.overflow_fraction < 0.0 || ts.overflow_fraction >= 1.0)
        fail("table.overflow_fraction", "must be in [0, 1), got " + std::to_string(ts.overflow_fraction));
    if (t.coded_dir) {
        for (const char* k : {"rows", "dim", "row_bits", "symbol_bits", "selector_bits"}) {
            const bool given = (std::string(k) == "rows" && t.rows) || (std::string(k) == "dim" && t.dim) ||
                               (std::string(k) == "row_bits" && t.row_bits) ||
                               (std::string(k) == "symbol_bits" && t.symbol_bits) ||
                               (std::string(k) == "selector_bits" && t.selector_bits);
            if (given) fail(std::string("table.") + k, "not allowed with table.coded_dir (read from the .ezt)");
        }
        ts.coded_dir = *t.coded_dir;
        ts.pitch = parse_pitch("table.pitch", t.pitch, PitchSpec{PitchSpec::Kind::File, 0}, true);
    } else {
        if (!t.rows) fail("table", "needs coded_dir, or rows, dim and row_bits");
        ts.rows = at_least64("table.rows", t.rows, 1, 1);
        ts.dim = in_range("table.dim", t.dim, 1, 65535);
        ts.symbol_bits = in_range("table.symbol_bits", t.symbol_bits, 4, 8, 8);
        if (ts.symbol_bits != 4 && ts.symbol_bits != 8)
            fail("table.symbol_bits", "must be 4 or 8, got " + std::to_string(ts.symbol_bits));
        ts.selector_bits = in_range("table.selector_bits", t.selector_bits, 0, 4, 0);
        const uint32_t symbols = ts.dim * (8 / ts.symbol_bits);
        const uint32_t overhead = ts.selector_bits + (ts.overflow_fraction > 0 ? 1 : 0);
        ts.row_bits = in_range("table.row_bits", t.row_bits, overhead + symbols, int64_t(1) << 24);
        ts.pitch = parse_pitch("table.pitch", t.pitch, PitchSpec{PitchSpec::Kind::Byte, 0}, false);
        if (ts.pitch.kind == PitchSpec::Kind::Bits && ts.pitch.bits < ts.row_bits)
            fail("table.pitch", "must be >= row_bits (" + std::to_string(ts.row_bits) + "), got " +
                                    std::to_string(ts.pitch.bits));
    }

    DecoderSpec& d = c.decoder;
    d.lanes = in_range("decoder.lanes", r.decoder.lanes, 1, 4096, DecoderSpec::kLanes);
    d.fifo_rows = in_range("decoder.fifo_rows", r.decoder.fifo_rows, 1, 1 << 20, DecoderSpec::kFifoRows);
    d.clock_ghz = positive("decoder.clock_ghz", r.decoder.clock_ghz, DecoderSpec::kClockGhz, 100.0);
    const std::string arch = r.decoder.arch.value_or("lut");
    if (arch != "lut" && arch != "canonical") fail("decoder.arch", "must be lut or canonical, got \"" + arch + "\"");
    d.timing.arch = parse_decoder_arch(arch);
    d.timing.symbols_per_cycle = in_range("decoder.symbols_per_cycle", r.decoder.symbols_per_cycle, 1, 16,
                                          d.timing.arch == DecoderArch::Canonical ? 1 : 2);
    if (d.timing.arch == DecoderArch::Canonical && d.timing.symbols_per_cycle != 1)
        fail("decoder.symbols_per_cycle", "must be 1 for the canonical decoder, got " +
                                              std::to_string(d.timing.symbols_per_cycle));
    d.timing.lut_bits = in_range("decoder.lut_bits", r.decoder.lut_bits, 1, 16, 10);
    d.timing.bus_bits = in_range("decoder.bus_bits", r.decoder.bus_bits, 8, 1024, 64);
    if (d.timing.bus_bits % 8 != 0)
        fail("decoder.bus_bits", "must be a multiple of 8, got " + std::to_string(d.timing.bus_bits));
    const std::string model = r.decoder.model.value_or("cpp");
    if (model != "cpp" && model != "rtl") fail("decoder.model", "must be cpp or rtl, got \"" + model + "\"");
    d.model = model == "rtl" ? DecoderModel::Rtl : DecoderModel::Cpp;

    c.pooling.clock_ghz = positive("pooling.clock_ghz", r.pooling.clock_ghz, d.clock_ghz, 100.0);
    c.pooling.latency_cycles = in_range("pooling.latency_cycles", r.pooling.latency_cycles, 0, 1 << 20,
                                        PoolingSpec::kLatencyCycles);

    StreamSpec& s = c.stream;
    const std::string dist = r.stream.distribution.value_or("uniform");
    if (dist == "uniform") s.distribution = Distribution::Uniform;
    else if (dist == "zipf") s.distribution = Distribution::Zipf;
    else if (dist == "sequential") s.distribution = Distribution::Sequential;
    else if (dist == "trace") s.distribution = Distribution::Trace;
    else fail("stream.distribution", "must be uniform, zipf, sequential or trace, got \"" + dist + "\"");
    s.zipf_alpha = positive("stream.zipf_alpha", r.stream.zipf_alpha, 0.99, 10.0);
    s.trace_file = r.stream.trace_file.value_or("");
    if (s.distribution == Distribution::Trace && s.trace_file.empty())
        fail("stream.trace_file", "missing (stream.distribution is trace)");
    const std::string fmt = r.stream.trace_format.value_or("text");
    if (fmt == "text") s.trace_format = TraceFormat::Text;
    else if (fmt == "u32") s.trace_format = TraceFormat::U32;
    else if (fmt == "u64") s.trace_format = TraceFormat::U64;
    else fail("stream.trace_format", "must be text, u32 or u64, got \"" + fmt + "\"");
    s.batches = at_least64("stream.batches", r.stream.batches, 1, 8);
    s.batch_size = at_least64("stream.batch_size", r.stream.batch_size, 1, 128);
    s.pooling_factor = at_least64("stream.pooling_factor", r.stream.pooling_factor, 1, 32);
    s.max_outstanding = in_range("stream.max_outstanding", r.stream.max_outstanding, 1, 1 << 20, 64);
    s.seed = at_least64("stream.seed", r.stream.seed, 0, 1);
    if (s.lookups() > (uint64_t(1) << 34)) fail("stream", "batches * batch_size * pooling_factor is too large");

    c.baseline.enabled = r.baseline.enabled.value_or(true);
    c.baseline.pitch = parse_pitch("baseline.pitch", r.baseline.pitch, PitchSpec{PitchSpec::Kind::Byte, 0}, false);
    const double q = r.sim.quantum_ns.value_or(RunSpec::kQuantumNs);
    if (q < 0.0) fail("sim.quantum_ns", "must be >= 0, got " + std::to_string(q));
    c.sim.quantum_ns = q;
    return c;
}

}  // namespace embzip::sim
