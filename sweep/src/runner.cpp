// SPDX-License-Identifier: MIT
#include "embzip_sweep/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "embzip/coded_store.hpp"
#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip_sim/config.hpp"
#include "embzip_sweep/process.hpp"

namespace fs = std::filesystem;

namespace embzip::sweep {

namespace {

// Part of every cache key: bump it when what a step records (its figures) changes.
constexpr const char* kCacheFormat = "embzip-sweep-cache-2";

// A step's outcome as cached on disk (DIR/cache/<stage>/<key>/step.json).
struct StepResult {
    bool ok = false;
    std::string error;
    ojson figures = ojson::object();
    double wall_s = 0;
    bool cached = false;
    std::string dir;  // the step's cache folder (encode: the coded table)
};

ojson read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw IoError(path + ": cannot open");
    try {
        return ojson::parse(in);
    } catch (const ojson::parse_error& e) {
        throw FormatError(path + ": not valid JSON (" + e.what() + ")");
    }
}

// Numbers, strings and booleans under `j`, flattened to "prefix.a.b" (arrays are left out: they
// are per-channel or per-bank detail, not one figure of the point).
void flatten(const ojson& j, const std::string& prefix, ojson& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it)
            flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    } else if (j.is_number() || j.is_string() || j.is_boolean()) {
        out[prefix] = j;
    }
}

// A tool's version: its --version line when it has one, else its build's content hash.
std::string tool_version(const std::string& path, const std::string& tmp_dir,
                         const std::string& hash) {
    // Names of this process's own: the tasks of a Slurm array share the cache folder, and one
    // task reading a file another had just truncated fell back to the hash (a results row
    // that then differed from the local run's).
    static std::atomic<uint64_t> counter{0};
    const std::string base =
        tmp_dir + "/version." + std::to_string(getpid()) + "." + std::to_string(counter++);
    const std::string o = base + ".out", e = base + ".err";
    std::string line;
    try {
        if (run_process({path, "--version"}, o, e).exit_code == 0) line = last_line(o);
    } catch (const IoError&) {
    }
    std::error_code ec;
    fs::remove(o, ec);
    fs::remove(e, ec);
    return line.empty() ? fs::path(path).filename().string() + " build " + hash.substr(0, 12)
                        : line;
}

class StepCache {
  public:
    // Runs `compute` once per key (across threads and, through the disk cache, across runs).
    template <class F>
    StepResult get(const std::string& stage, const std::string& key, F compute) {
        std::shared_future<StepResult> fut;
        std::promise<StepResult> promise;
        bool mine = false;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            auto it = m_inflight.find(stage + "/" + key);
            if (it == m_inflight.end()) {
                fut = promise.get_future().share();
                m_inflight.emplace(stage + "/" + key, fut);
                mine = true;
            } else {
                fut = it->second;
            }
        }
        if (!mine) {
            StepResult r = fut.get();
            r.cached = true;  // computed once for another point of this run
            return r;
        }
        StepResult r;
        try {
            r = compute();
        } catch (const std::exception& e) {
            r = StepResult{};
            r.error = e.what();
        }
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            (r.cached ? m_cached : m_computed) += 1;
        }
        promise.set_value(r);
        return r;
    }
    size_t computed() const { return m_computed; }
    size_t cached() const { return m_cached; }

  private:
    std::mutex m_mutex;
    std::map<std::string, std::shared_future<StepResult>> m_inflight;
    size_t m_computed = 0, m_cached = 0;
};

// Looks for a finished step in the cache; a failed step is not cached (it is retried).
bool load_step(const std::string& dir, StepResult& r) {
    const std::string meta = dir + "/step.json";
    if (!fs::exists(meta)) return false;
    const ojson j = read_json(meta);
    r.ok = true;
    r.figures = j.at("figures");
    r.wall_s = j.at("wall_s").get<double>();
    r.cached = true;
    r.dir = dir;
    return true;
}

// Moves a finished step's temporary folder into place; if another process got there first,
// keeps theirs (same key, same content).
void publish_step(const std::string& tmp, const std::string& dir, const StepResult& r) {
    ojson meta;
    meta["figures"] = r.figures;
    meta["wall_s"] = r.wall_s;
    write_file_atomic(tmp + "/step.json", meta.dump(1) + "\n");
    std::error_code ec;
    fs::rename(tmp, dir, ec);
    if (ec) fs::remove_all(tmp, ec);
}

std::string unique_tmp(const std::string& dir) {
    static std::atomic<uint64_t> counter{0};
    return dir + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
}

// Identity of the expanded point list: array tasks check it against the one --emit-slurm saw.
std::string points_hash(const Spec& spec) {
    Hasher h;
    for (const Point& p : spec.points) h.add(p.settings.dump());
    return h.hex();
}

std::string failure(const std::string& tool, const ProcessResult& p, const std::string& err_path) {
    const std::string line = last_line(err_path);
    return tool + " exited " + std::to_string(p.exit_code) + (line.empty() ? "" : ": " + line);
}

struct Context {
    const Spec& spec;
    const Tools& tools;
    std::string cache;
    std::map<std::string, std::string> hashes;  // tool -> content hash
    // Flow script -> what its cache keys hash (its text, or "missing:PATH"), read once per sweep.
    std::map<std::string, std::string> flow_scripts;
    nlohmann::json base_tree;
    StepCache steps;
};

StepResult encode_step(Context& c, const ojson& s) {
    std::vector<std::string> args = {c.tools.embzip, "encode"};
    Hasher h;
    h.add(kCacheFormat).add("encode").add(c.hashes["embzip"]);
    for (const EncoderKey& k : encoder_keys()) {
        const std::string key = std::string("encode.") + k.key;
        if (!s.contains(key)) continue;
        const ojson& v = s[key];
        const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
        args.push_back(k.flag);
        args.push_back(text);
        h.add(key).add(key == "encode.table" ? file_identity(text) : text);
    }
    const std::string key = h.hex();
    const std::string dir = c.cache + "/encode/" + key;
    return c.steps.get("encode", key, [&] {
        StepResult r;
        if (load_step(dir, r)) return r;
        const std::string tmp = unique_tmp(dir);
        fs::create_directories(tmp);
        args.insert(args.end(), {"--out", tmp, "-q"});
        const ProcessResult p = run_process(args, tmp + "/stdout.txt", tmp + "/stderr.txt");
        if (p.exit_code != 0) {
            r.error = failure("embzip encode", p, tmp + "/stderr.txt");
            fs::remove_all(tmp);
            return r;
        }
        // Every code.* figure from the table as written (CodedStore::open checks it whole):
        // W of the whole row (raw float bits included) and the stored bytes (payload, overflow
        // region, raw float planes) included.
        const auto store = CodedStore::open(tmp);
        const CodedTable& t = store->table();
        ojson& f = r.figures;
        f["code.method"] = t.method;
        f["code.rows"] = t.rows;
        f["code.dim"] = t.dim;
        f["code.symbol_bits"] = t.spec.bits;
        f["code.selector_bits"] = t.selector_bits;
        f["code.row_bits"] = t.stored_row_bits();
        f["code.pitch_bits"] = t.pitch_bits;
        f["code.overflow_rows"] = t.overflow ? t.overflow_rows : 0;
        f["code.saving"] = 1.0 - double(t.stored_row_bits()) / (8.0 * t.dim * t.value_bytes());
        f["code.books"] = t.books.size();
        unsigned max_len = 0;
        for (const CodeLengths& b : t.books) max_len = std::max(max_len, b.max_len());
        f["code.max_len"] = max_len;
        f["code.original_bytes"] = t.original_bytes();
        f["code.total_bytes"] = t.stored_bytes();
        f["code.total_saving"] = 1.0 - double(t.stored_bytes()) / double(t.original_bytes());
        r.ok = true;
        r.wall_s = p.wall_s;
        publish_step(tmp, dir, r);
        r.dir = dir;
        return r;
    });
}

DecoderConfig geometry(const Context& c, const ojson& s, const nlohmann::json& tree) {
    if (c.spec.simulate) return sim::parse_config(tree).decoder.timing;
    DecoderConfig g;
    if (s.contains("decoder.arch"))
        g.arch = parse_decoder_arch(s["decoder.arch"].get<std::string>());
    g.symbols_per_cycle = s.contains("decoder.symbols_per_cycle")
                              ? s["decoder.symbols_per_cycle"].get<unsigned>()
                          : g.arch == DecoderArch::Canonical ? 1u
                                                             : g.symbols_per_cycle;
    if (s.contains("decoder.lut_bits")) g.lut_bits = s["decoder.lut_bits"].get<unsigned>();
    if (s.contains("decoder.bus_bits")) g.bus_bits = s["decoder.bus_bits"].get<unsigned>();
    if (s.contains("decoder.overlap")) g.overlap = s["decoder.overlap"].get<bool>();
    return g;
}

// The flow's maximum clock in MHz, if it reports one: after routing when it routed (wire delays
// included), else after synthesis (scripts/asic.sh: vesta's zero-margin fmax).
std::optional<double> flow_clock_mhz(const ojson& hw) {
    for (const char* k : {"hw.fmax_mhz_routed", "hw.fmax_mhz_synth"})
        if (hw.contains(k) && hw[k].is_number()) return hw[k].get<double>();
    return std::nullopt;
}

StepResult hardware_step(Context& c, const ojson& s, const StepResult& enc,
                         const DecoderConfig& g) {
    const std::string flow = s.value("rtl.flow", std::string("none"));
    std::vector<std::string> rtl_args = {c.tools.rtl,
                                         "--code",
                                         CodedStore::code_path(enc.dir),
                                         "--arch",
                                         decoder_arch_name(g.arch),
                                         "--symbols-per-cycle",
                                         std::to_string(g.symbols_per_cycle),
                                         "--lut-bits",
                                         std::to_string(g.lut_bits),
                                         "--bus-bits",
                                         std::to_string(g.bus_bits)};
    if (s.contains("rtl.stats_rows"))
        rtl_args.insert(rtl_args.end(), {"--stats-rows", s["rtl.stats_rows"].dump()});
    // The design the simulator's lanes are timed as: with overlap, the RTL has the load buffer.
    if (g.overlap) rtl_args.push_back("--overlap");
    if (s.value("rtl.speculative", false)) rtl_args.push_back("--speculative");
    const std::string script = flow == "asic" ? c.tools.asic_sh : c.tools.synth_sh;
    // The flows' interfaces: synth.sh RTL OUT.json; asic.sh RTL [--clock-mhz F] [--route] --out
    // OUT.json (its target clock only sets the SDC's period: slack, not fmax).
    std::vector<std::string> flow_extra;
    if (flow == "asic" && s.contains("rtl.clock_mhz"))
        flow_extra = {"--clock-mhz", s["rtl.clock_mhz"].dump()};
    if (flow == "asic" && s.value("rtl.route", false)) flow_extra.push_back("--route");
    Hasher h;
    h.add(kCacheFormat)
        .add("hw")
        .add(fs::path(enc.dir).filename().string())
        .add(c.hashes["embzip-rtl"])
        .add(flow);
    for (size_t i = 1; i < rtl_args.size(); ++i)
        if (i != 2) h.add(rtl_args[i]);
    for (const auto& a : flow_extra) h.add(a);
    h.add(c.flow_scripts.at(script));
    const std::string key = h.hex();
    const std::string dir = c.cache + "/hw/" + key;
    return c.steps.get("hw", key, [&] {
        StepResult r;
        if (load_step(dir, r)) return r;
        if (!fs::exists(script)) {
            r.error = "rtl.flow " + flow + ": " + script + " not found";
            return r;
        }
        const std::string tmp = unique_tmp(dir);
        fs::create_directories(tmp);
        rtl_args.insert(rtl_args.end(), {"--out", tmp + "/rtl"});
        const ProcessResult p = run_process(rtl_args, tmp + "/rtl.out", tmp + "/rtl.err");
        if (p.exit_code != 0) {
            r.error = failure("embzip-rtl", p, tmp + "/rtl.err");
            fs::remove_all(tmp);
            return r;
        }
        std::vector<std::string> flow_args = {"/bin/bash", script, tmp + "/rtl"};
        if (flow == "asic") {
            flow_args.insert(flow_args.end(), flow_extra.begin(), flow_extra.end());
            flow_args.insert(flow_args.end(), {"--out", tmp + "/flow.json"});
        } else {
            flow_args.push_back(tmp + "/flow.json");
        }
        const ProcessResult q = run_process(flow_args, tmp + "/flow.out", tmp + "/flow.err");
        if (q.exit_code != 0) {
            r.error = failure(fs::path(script).filename().string(), q, tmp + "/flow.err");
            fs::remove_all(tmp);
            return r;
        }
        const ojson manifest = read_json(tmp + "/rtl/manifest.json");
        ojson& f = r.figures;
        for (const char* sec : {"timing", "table"})
            if (manifest.contains(sec))
                for (auto it = manifest[sec].begin(); it != manifest[sec].end(); ++it)
                    if (it.value().is_number())
                        f[std::string("hw.rtl.") + sec + "." + it.key()] = it.value();
        for (const char* k :
             {"store_bits", "window_bits", "lut_entries", "max_code_len", "overlap", "speculative"})
            if (manifest["parameters"].contains(k))
                f[std::string("hw.rtl.") + k] = manifest["parameters"][k];
        if (manifest.contains("table"))
            f["hw.bits_per_cycle"] = manifest["table"]["decoded_bits_per_cycle"];
        const ojson flow_json = read_json(tmp + "/flow.json");
        for (auto it = flow_json.begin(); it != flow_json.end(); ++it) {
            if (it.key() == "seconds") continue;  // the step's wall_s already counts it
            if (it.value().is_number())
                f["hw." + it.key()] = it.value();
            else if (it.value().is_object() && it.key() != "cell_types" && it.key() != "weights")
                flatten(it.value(), "hw." + it.key(), f);
        }
        // What a lane decodes at the flow's clock (issue 12's per-lane and per-area figures):
        // bits per cycle over the table's rows (manifest) x fmax, per mm2 of cell area.
        if (const auto mhz = flow_clock_mhz(f); mhz && f.contains("hw.bits_per_cycle")) {
            const double gbit_s = f["hw.bits_per_cycle"].get<double>() * *mhz / 1000.0;
            f["hw.gbit_s_per_lane"] = gbit_s;
            if (f.contains("hw.cell_area_um2") && f["hw.cell_area_um2"].get<double>() > 0)
                f["hw.gbit_s_per_mm2"] = gbit_s / (f["hw.cell_area_um2"].get<double>() * 1e-6);
        }
        r.ok = true;
        r.wall_s = p.wall_s + q.wall_s;
        publish_step(tmp, dir, r);
        r.dir = dir;
        return r;
    });
}

StepResult sim_step(Context& c, const ojson& s, const std::vector<std::string>& sets,
                    nlohmann::json tree, const std::string& encode_key) {
    // The key: the resolved tree (memory presets inlined), with the coded table named by its
    // encode key, plus the identity of any data file the tree points at.
    Hasher h;
    h.add(kCacheFormat).add("sim").add(c.hashes["embzip-sim"]);
    if (!encode_key.empty()) {
        tree["table"]["coded_dir"] = "encode:" + encode_key;
    } else if (tree.contains("table") && tree["table"].contains("coded_dir")) {
        h.add(file_identity(CodedStore::table_path(tree["table"]["coded_dir"].get<std::string>())));
    }
    if (tree.contains("stream") && tree["stream"].contains("trace_file"))
        h.add(file_identity(tree["stream"]["trace_file"].get<std::string>()));
    h.add(tree.dump());
    const std::string key = h.hex();
    const std::string dir = c.cache + "/sim/" + key;
    (void)s;
    return c.steps.get("sim", key, [&] {
        StepResult r;
        if (load_step(dir, r)) return r;
        const std::string tmp = unique_tmp(dir);
        fs::create_directories(tmp);
        std::vector<std::string> args = {c.tools.sim, "--config", c.spec.base};
        for (const auto& a : sets) args.insert(args.end(), {"--set", a});
        args.insert(args.end(), {"--out", tmp + "/result.json", "-q"});
        const ProcessResult p = run_process(args, tmp + "/stdout.txt", tmp + "/stderr.txt");
        if (p.exit_code != 0) {
            r.error = failure("embzip-sim", p, tmp + "/stderr.txt");
            fs::remove_all(tmp);
            return r;
        }
        ojson result = read_json(tmp + "/result.json");
        // The resolved settings the plots group by, whichever keys the sweep varied.
        const ojson config = result.value("config", ojson::object());
        result.erase("config");
        flatten(result, "sim", r.figures);
        // Labels name the coded table by its cache folder: make them independent of DIR.
        for (auto it = r.figures.begin(); it != r.figures.end(); ++it) {
            if (!it.value().is_string()) continue;
            std::string text = it.value().get<std::string>();
            for (size_t at; (at = text.find(c.cache)) != std::string::npos;)
                text.replace(at, c.cache.size(), "cache");
            it.value() = text;
        }
        if (config.contains("decoder")) flatten(config["decoder"], "sim.config.decoder", r.figures);
        if (config.contains("memory"))
            for (const char* k : {"name", "channels", "bus_width"})
                if (config["memory"].contains(k))
                    r.figures[std::string("sim.config.memory.") + k] = config["memory"][k];
        r.ok = true;
        r.wall_s = p.wall_s;
        publish_step(tmp, dir, r);
        r.dir = dir;
        return r;
    });
}

ojson run_point(Context& c, const Point& pt) {
    const ojson& s = pt.settings;
    ojson row;
    row["point"] = pt.index;
    row["status"] = "ok";
    row["inputs"] = s;
    ojson figures = ojson::object();
    double wall = 0;
    bool all_cached = true;
    auto fail_with = [&](const std::string& stage, const std::string& err) {
        row["status"] = "failed";
        row["error"] = stage + ": " + err;
    };
    auto take = [&](const StepResult& r) {
        for (auto it = r.figures.begin(); it != r.figures.end(); ++it)
            figures[it.key()] = it.value();
        wall += r.wall_s;
        all_cached = all_cached && r.cached;
    };
    try {
        StepResult enc;
        if (c.spec.encode) {
            enc = encode_step(c, s);
            if (!enc.ok) {
                fail_with("encode", enc.error);
                throw std::runtime_error("");
            }
            take(enc);
        }
        std::vector<std::string> sets;
        nlohmann::json tree;
        if (c.spec.simulate) {
            tree = c.base_tree;
            if (c.spec.encode) sets.push_back("table.coded_dir=" + enc.dir);
            for (auto it = s.begin(); it != s.end(); ++it)
                if (key_kind(it.key()) == KeyKind::Sim)
                    sets.push_back(set_assignment(it.key(), it.value()));
            for (const auto& a : sets) sim::apply_override(tree, a);
        }
        if (s.contains("rtl.flow") && s["rtl.flow"] != "none") {
            const StepResult hw = hardware_step(c, s, enc, geometry(c, s, tree));
            if (!hw.ok) {
                fail_with("hardware", hw.error);
                throw std::runtime_error("");
            }
            take(hw);
            if (s.value("rtl.clock_from_flow", false) && c.spec.simulate) {
                const auto mhz = flow_clock_mhz(hw.figures);
                if (!mhz) {
                    fail_with("hardware",
                              "rtl.clock_from_flow: the flow reports no maximum clock "
                              "(rtl.flow asic does)");
                    throw std::runtime_error("");
                }
                // Only the lanes run at the flow's fmax: the pooling adder (and with it the plain
                // baseline, which has no decoder) keeps the clock the config gives it, so the
                // comparison with the plain table stays fair.
                char buf[64];
                std::snprintf(buf, sizeof buf, "pooling.clock_ghz=%.17g",
                              sim::parse_config(tree).pooling.clock_ghz);
                sets.push_back(buf);
                sim::apply_override(tree, buf);
                std::snprintf(buf, sizeof buf, "decoder.clock_ghz=%.6g", *mhz / 1000.0);
                sets.push_back(buf);
                sim::apply_override(tree, buf);
                figures["hw.clock_ghz_used"] = *mhz / 1000.0;
            }
        }
        if (c.spec.simulate) {
            const StepResult sr = sim_step(
                c, s, sets, tree, c.spec.encode ? fs::path(enc.dir).filename().string() : "");
            if (!sr.ok) {
                fail_with("simulate", sr.error);
                throw std::runtime_error("");
            }
            take(sr);
        }
    } catch (const std::exception& e) {
        if (row["status"] == "ok") fail_with("point", e.what());
    }
    row["figures"] = figures;
    row["wall_s"] = wall;
    row["cached"] = all_cached;
    return row;
}

std::string format_duration(double s) {
    char buf[32];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%.0f s", s);
    else if (s < 3600)
        std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
    else
        std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
    return buf;
}

void write_results(const std::string& out_dir, const std::string& stem,
                   const std::vector<ojson>& rows, const std::vector<std::string>& keys, bool csv) {
    std::string jsonl;
    for (const auto& r : rows) jsonl += r.dump() + "\n";
    write_file_atomic(out_dir + "/" + stem + ".jsonl", jsonl);
    if (csv) write_file_atomic(out_dir + "/" + stem + ".csv", results_csv(rows, keys));
}

std::string csv_field(const ojson& v) {
    if (v.is_null()) return "";
    std::string s = v.is_string() ? v.get<std::string>() : v.dump();
    if (s.find_first_of(",\"\n\r") != std::string::npos) {
        std::string q = "\"";
        for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        return q + "\"";
    }
    return s;
}

}  // namespace

Tools Tools::locate(const std::string& argv0) {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) self = fs::absolute(argv0);
    auto pick = [](const char* env, const fs::path& def) {
        const char* v = std::getenv(env);
        return v && *v ? std::string(v) : def.string();
    };
    // Build tree (BUILD/sweep/embzip-sweep, tools in their folders, flow scripts in the source
    // tree) or installed (PREFIX/bin holds every tool, the scripts are in
    // PREFIX/share/embzip/scripts): told apart by where the encoder is.
    const fs::path build = self.parent_path().parent_path();
    const bool in_build = fs::exists(build / "encoder" / "embzip");
    const fs::path bin = self.parent_path();
    const fs::path scripts =
        in_build ? fs::path(EMBZIP_SOURCE_DIR) / "scripts" : build / "share" / "embzip" / "scripts";
    Tools t;
    t.embzip = pick("EMBZIP", in_build ? build / "encoder" / "embzip" : bin / "embzip");
    t.sim = pick("EMBZIP_SIM", in_build ? build / "systemc" / "embzip-sim" : bin / "embzip-sim");
    t.rtl = pick("EMBZIP_RTL", in_build ? build / "rtl_gen" / "embzip-rtl" : bin / "embzip-rtl");
    t.synth_sh = (scripts / "synth.sh").string();
    t.asic_sh = (scripts / "asic.sh").string();
    return t;
}

std::pair<size_t, size_t> chunk_range(size_t points, size_t index, size_t count) {
    const size_t first = points * index / count, last = points * (index + 1) / count;
    return {first, last};
}

RunSummary run_sweep(const Spec& spec, const Tools& tools, const RunOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    fs::create_directories(o.out_dir + "/cache");
    Context c{spec, tools, fs::absolute(o.out_dir + "/cache").string(), {}, {}, {}, {}};
    // Only the tools this sweep runs must exist.
    std::vector<std::pair<std::string, std::string>> used;
    if (spec.encode) used.push_back({"embzip", tools.embzip});
    if (spec.hardware) used.push_back({"embzip-rtl", tools.rtl});
    if (spec.simulate) used.push_back({"embzip-sim", tools.sim});
    ojson versions = ojson::object();
    for (const auto& [name, path] : used) {
        if (access(path.c_str(), X_OK) != 0)
            throw InputError(name + " not found at " + path +
                             " (build it, or point the environment variable at it)");
        c.hashes[name] = Hasher().add_file(path).hex();
        versions[name] = tool_version(path, c.cache, c.hashes[name]);
    }
    if (spec.simulate) c.base_tree = sim::load_config_tree(spec.base, {});
    // The same bytes Hasher::add_file would hash, so cache keys do not change.
    if (spec.hardware)
        for (const std::string& script : {tools.synth_sh, tools.asic_sh}) {
            std::ifstream in(script, std::ios::binary);
            c.flow_scripts[script] =
                in ? std::string(std::istreambuf_iterator<char>(in), {}) : "missing:" + script;
        }

    if (o.chunk) {
        const std::string meta_path = o.out_dir + "/sweep.json";
        if (!fs::exists(meta_path))
            throw InputError(o.out_dir + ": no sweep.json; --chunk runs what --emit-slurm wrote");
        if (read_json(meta_path).value("points_hash", "") != points_hash(spec))
            throw InputError(spec.path + ": the points differ from those --emit-slurm wrote to " +
                             o.out_dir + " (spec or its files changed); emit again");
    }
    size_t first = 0, last = spec.points.size();
    if (o.chunk)
        std::tie(first, last) = chunk_range(spec.points.size(), o.chunk->first, o.chunk->second);
    const size_t n = last - first;
    std::vector<ojson> rows(n);
    std::atomic<size_t> next{first};
    std::mutex progress_mutex;
    size_t done = 0, failed = 0;
    auto last_print = start;
    auto report = [&](bool final) {
        const auto now = std::chrono::steady_clock::now();
        if (!o.progress || (!final && now - last_print < std::chrono::seconds(1))) return;
        last_print = now;
        const double el = std::chrono::duration<double>(now - start).count();
        std::string eta = done ? format_duration(el / double(done) * double(n - done)) : "?";
        std::fprintf(stderr, "embzip-sweep: %zu/%zu points done, %zu failed, %s elapsed%s\n", done,
                     n, failed, format_duration(el).c_str(), final ? "" : (", ETA " + eta).c_str());
    };
    auto worker = [&] {
        for (;;) {
            const size_t i = next++;
            if (i >= last) return;
            ojson row = run_point(c, spec.points[i]);
            row["versions"] = versions;
            std::lock_guard<std::mutex> lock(progress_mutex);
            ++done;
            if (row["status"] != "ok") ++failed;
            rows[i - first] = std::move(row);
            report(false);
        }
    };
    const unsigned jobs = std::max(1u, std::min<unsigned>(o.jobs, unsigned(n)));
    std::vector<std::thread> pool;
    for (unsigned j = 1; j < jobs; ++j) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    report(true);

    if (o.chunk) {
        fs::create_directories(o.out_dir + "/parts");
        write_results(o.out_dir + "/parts", "part-" + std::to_string(o.chunk->first), rows,
                      spec.keys, false);
    } else {
        write_results(o.out_dir, "results", rows, spec.keys, true);
    }

    RunSummary sum;
    sum.points = n;
    sum.failed = failed;
    sum.ok = n - failed;
    sum.computed_steps = c.steps.computed();
    sum.cached_steps = c.steps.cached();
    sum.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return sum;
}

std::string results_csv(const std::vector<ojson>& rows,
                        const std::vector<std::string>& input_keys) {
    std::vector<std::string> figure_cols, version_cols;
    std::map<std::string, bool> seen;
    for (const auto& r : rows) {
        if (r.contains("figures"))
            for (auto it = r["figures"].begin(); it != r["figures"].end(); ++it)
                if (!seen[it.key()]) {
                    seen[it.key()] = true;
                    figure_cols.push_back(it.key());
                }
        if (r.contains("versions"))
            for (auto it = r["versions"].begin(); it != r["versions"].end(); ++it)
                if (!seen["version." + it.key()]) {
                    seen["version." + it.key()] = true;
                    version_cols.push_back(it.key());
                }
    }
    // Figures grouped by step (code, hw, sim), in the order the tools wrote them.
    std::stable_sort(figure_cols.begin(), figure_cols.end(),
                     [](const std::string& a, const std::string& b) {
                         auto rank = [](const std::string& k) {
                             return k.rfind("code.", 0) == 0 ? 0 : k.rfind("hw.", 0) == 0 ? 1 : 2;
                         };
                         return rank(a) < rank(b);
                     });
    std::string out = "point,status,error";
    for (const auto& k : input_keys) out += "," + csv_field(k);
    for (const auto& k : figure_cols) out += "," + csv_field(k);
    out += ",wall_s,cached";
    for (const auto& k : version_cols) out += "," + csv_field("version." + k);
    out += "\n";
    for (const auto& r : rows) {
        out += csv_field(r["point"]) + "," + csv_field(r["status"]) + "," +
               csv_field(r.value("error", ojson()));
        for (const auto& k : input_keys) out += "," + csv_field(r["inputs"].value(k, ojson()));
        for (const auto& k : figure_cols) out += "," + csv_field(r["figures"].value(k, ojson()));
        out += "," + csv_field(r["wall_s"]) + "," + csv_field(r["cached"]);
        for (const auto& k : version_cols) out += "," + csv_field(r["versions"].value(k, ojson()));
        out += "\n";
    }
    return out;
}

std::string emit_slurm(const Spec& spec, const Tools& tools, const std::string& out_dir,
                       size_t chunks, const std::string& self_exe, unsigned cpus_per_task) {
    if (chunks < 1) throw InputError("--chunks must be >= 1");
    chunks = std::min(chunks, spec.points.size());
    fs::create_directories(out_dir + "/parts");
    fs::create_directories(out_dir + "/slurm");
    const std::string out = fs::absolute(out_dir).lexically_normal().string();
    auto q = [](const std::string& s) {
        std::string r = "'";
        for (char ch : s) r += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
        return r + "'";
    };
    std::string s;
    s += "#!/bin/bash\n";
    s += "# Written by embzip-sweep --emit-slurm for " + spec.path + " (" +
         std::to_string(spec.points.size()) + " points in " + std::to_string(chunks) +
         " chunks).\n";
    s += "# Submit: sbatch " + out + "/sweep.sbatch   then, when all tasks are done:\n";
    s += "#   " + self_exe + " --merge " + out + "\n";
    s += "#SBATCH --job-name=embzip-sweep-" + spec.name + "\n";
    s += "#SBATCH --array=0-" + std::to_string(chunks - 1) + "\n";
    s += "#SBATCH --cpus-per-task=" + std::to_string(cpus_per_task) + "\n";
    s += "#SBATCH --output=" + out + "/slurm/%A_%a.out\n";
    s += "set -euo pipefail\n";
    s += "export EMBZIP=" + q(tools.embzip) + " EMBZIP_SIM=" + q(tools.sim) +
         " EMBZIP_RTL=" + q(tools.rtl) + "\n";
    s += "exec " + q(self_exe) + " " + q(spec.path) + " --out " + q(out) +
         " --chunk \"${SLURM_ARRAY_TASK_ID}/" + std::to_string(chunks) +
         "\" -j \"${SLURM_CPUS_PER_TASK:-" + std::to_string(cpus_per_task) + "}\"\n";
    const std::string path = out + "/sweep.sbatch";
    write_file_atomic(path, s);
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
    ojson meta;
    meta["spec"] = spec.path;
    meta["points"] = spec.points.size();
    meta["chunks"] = chunks;
    meta["keys"] = spec.keys;
    meta["points_hash"] = points_hash(spec);
    write_file_atomic(out + "/sweep.json", meta.dump(2) + "\n");
    return path;
}

size_t merge_parts(const std::string& out_dir) {
    const std::string meta_path = out_dir + "/sweep.json";
    if (!fs::exists(meta_path))
        throw InputError(out_dir + ": no sweep.json (not a sweep output folder)");
    const ojson meta = read_json(meta_path);
    const size_t points = meta.at("points").get<size_t>();
    const size_t chunks = meta.value("chunks", size_t(0));
    if (chunks == 0)
        throw InputError(out_dir + ": sweep.json has no chunks (written by --emit-slurm)");
    std::vector<ojson> rows(points);
    std::vector<bool> have(points, false);
    std::string missing;
    for (size_t k = 0; k < chunks; ++k) {
        const std::string part = out_dir + "/parts/part-" + std::to_string(k) + ".jsonl";
        if (!fs::exists(part)) {
            missing += (missing.empty() ? "" : ", ") + std::to_string(k);
            continue;
        }
        std::ifstream in(part);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            ojson r = ojson::parse(line);
            const size_t i = r.at("point").get<size_t>();
            if (i >= points || have[i])
                throw FormatError(part + ": point " + std::to_string(i) + " out of range or twice");
            have[i] = true;
            rows[i] = std::move(r);
        }
    }
    if (!missing.empty())
        throw InputError(out_dir + ": chunk(s) " + missing +
                         " have no results yet (parts/part-N.jsonl)");
    for (size_t i = 0; i < points; ++i)
        if (!have[i])
            throw InputError(out_dir + ": point " + std::to_string(i) + " missing from the parts");
    std::vector<std::string> keys = meta.at("keys").get<std::vector<std::string>>();
    write_results(out_dir, "results", rows, keys, true);
    return points;
}

}  // namespace embzip::sweep
