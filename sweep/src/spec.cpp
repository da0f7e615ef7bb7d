// SPDX-License-Identifier: MIT
#include "embzip_sweep/spec.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "embzip/decoder_timing.hpp"
#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip/table_io.hpp"
#include "embzip_sim/config.hpp"

namespace fs = std::filesystem;

namespace embzip::sweep {

namespace {

// More than this many points before the filter is almost certainly a spec mistake.
constexpr size_t kMaxExpandedPoints = 2'000'000;
constexpr size_t kMaxRangeValues = 100'000;

const std::map<std::string, std::string>& aliases() {
    static const std::map<std::string, std::string> k = {
        {"method", "encode.method"},     {"books", "encode.books"},
        {"overflow", "encode.overflow"}, {"max_code_len", "encode.max_code_len"},
        {"dtype", "encode.dtype"},       {"quantize", "encode.quantize"},
        {"arch", "decoder.arch"},        {"S", "decoder.symbols_per_cycle"},
        {"B", "decoder.lut_bits"},       {"bus_bits", "decoder.bus_bits"},
        {"lanes", "decoder.lanes"},      {"flow", "rtl.flow"},
        {"clock_mhz", "rtl.clock_mhz"},
    };
    return k;
}

[[noreturn]] void fail(const std::string& key, const std::string& msg) {
    throw InputError(key + ": " + msg);
}

std::string show(const ojson& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

bool is_int(const ojson& v) {
    return v.is_number_integer() ||
           (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
}

void want_int(const std::string& key, const ojson& v, int64_t lo, int64_t hi) {
    if (!is_int(v) || v.get<double>() < double(lo) || v.get<double>() > double(hi))
        fail(key, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                      "], got " + show(v));
}

void want_number(const std::string& key, const ojson& v, double lo, double hi, bool hi_open) {
    if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi ||
        (hi_open && v.get<double>() >= hi))
        fail(key, "expected a number in [" + show(ojson(lo)) + ", " + show(ojson(hi)) +
                      (hi_open ? ")" : "]") + ", got " + show(v));
}

void want_string(const std::string& key, const ojson& v) {
    if (!v.is_string()) fail(key, "expected a string, got " + show(v));
}

void want_choice(const std::string& key, const ojson& v, const std::vector<std::string>& choices) {
    want_string(key, v);
    std::string all;
    for (const auto& c : choices) {
        if (c == v.get<std::string>()) return;
        all += (all.empty() ? "" : ", ") + c;
    }
    fail(key, "expected one of " + all + ", got " + show(v));
}

// Value checks for the keys the sweep itself interprets; simulator keys are checked by the
// simulator's parser, per point.
void check_value(const std::string& key, const ojson& v) {
    const KeyKind kind = key_kind(key);
    if (kind == KeyKind::Encode) {
        const std::string k = key.substr(7);
        if (k == "table") {
            want_string(key, v);
            if (!fs::exists(v.get<std::string>())) fail(key, "no such file: " + show(v));
        } else if (k == "method") {
            want_string(key, v);
            if (v.get<std::string>() == "best") return;
            try {
                if (is_reference(parse_method(v.get<std::string>())))
                    fail(key, show(v) + " is a reference (report only), not an encoding");
            } catch (const InputError& e) {
                if (std::string(e.what()).rfind(key, 0) == 0) throw;
                fail(key, e.what());
            }
        } else if (k == "books") {
            want_int(key, v, 1, CodeGeometry::kMaxBooks);
        } else if (k == "overflow") {
            want_number(key, v, 0.0, 1.0, true);
        } else if (k == "max_code_len") {
            want_int(key, v, 1, CodeGeometry::kMaxCodeLen);
        } else if (k == "quantize") {
            want_string(key, v);
            try {
                parse_quantize_mode(v.get<std::string>());
            } catch (const InputError& e) {
                fail(key, e.what());
            }
        } else if (k == "dtype") {
            want_choice(key, v, {"", "bf16"});
        } else if (k == "align") {
            want_int(key, v, 1, kMaxAlignBits);
        } else if (k == "seed" || k == "iterations") {
            want_int(key, v, 0, int64_t(1) << 53);
        } else if (k == "mwu_iterations") {
            want_int(key, v, 0, 1 << 30);  // 0: no weighting rounds (the encoder's meaning)
        } else if (k == "time_limit") {
            want_number(key, v, 0.0, 1e9, false);
        } else if (k == "eta") {
            want_number(key, v, 1e-12, MethodOptions::kMaxEta, false);
        } else if (k == "start") {
            want_choice(key, v, {"balanced", "huffman"});
        } else if (k == "tensor") {
            want_string(key, v);
        } else if (k == "rows" || k == "dim") {
            want_int(key, v, 1, int64_t(1) << 40);
        } else {
            std::string all;
            for (const auto& e : encoder_keys())
                all += std::string(all.empty() ? "" : ", ") + e.key;
            fail(key, "unknown encoder key (encode.* keys: " + all + ")");
        }
    } else if (kind == KeyKind::Rtl) {
        const std::string k = key.substr(4);
        if (k == "flow") {
            want_choice(key, v, {"none", "synth", "asic"});
        } else if (k == "clock_mhz") {
            want_number(key, v, 1e-3, 1e6, false);
        } else if (k == "stats_rows") {
            want_int(key, v, 1, int64_t(1) << 40);
        } else if (k == "clock_from_flow" || k == "route" || k == "speculative") {
            if (!v.is_boolean()) fail(key, "expected true or false, got " + show(v));
        } else {
            fail(key,
                 "unknown RTL key (rtl.* keys: flow, clock_mhz, route, stats_rows, "
                 "clock_from_flow, speculative)");
        }
    }
}

// A string naming an existing file or folder relative to the spec becomes absolute, so the
// tools (run from any directory) find it.
ojson resolve_paths(const std::string& key, ojson v, const fs::path& dir) {
    if (!v.is_string() || key_kind(key) == KeyKind::Param || key_kind(key) == KeyKind::Rtl)
        return v;
    const fs::path p(v.get<std::string>());
    if (p.empty() || p.is_absolute()) return v;
    const fs::path candidate = dir / p;
    if (fs::exists(candidate) || key == "encode.table")
        return fs::absolute(candidate).lexically_normal().string();
    return v;
}

// Values of an axis: a list, or a range object.
std::vector<ojson> axis_values(const std::string& key, const ojson& spec) {
    if (spec.is_array()) {
        if (spec.empty()) fail(key, "empty list of values");
        return std::vector<ojson>(spec.begin(), spec.end());
    }
    if (!spec.is_object())
        fail(key, "expected a list of values or {\"from\", \"to\", \"step\"|\"mul\"}");
    for (auto it = spec.begin(); it != spec.end(); ++it)
        if (it.key() != "from" && it.key() != "to" && it.key() != "step" && it.key() != "mul")
            fail(key + "." + it.key(), "unknown range key (from, to, step or mul)");
    if (!spec.contains("from") || !spec.contains("to") || !spec["from"].is_number() ||
        !spec["to"].is_number())
        fail(key, "a range needs numbers \"from\" and \"to\"");
    if (spec.contains("step") == spec.contains("mul"))
        fail(key, "a range needs exactly one of \"step\" (arithmetic) or \"mul\" (geometric)");
    const double from = spec["from"].get<double>(), to = spec["to"].get<double>();
    const bool integral = is_int(spec["from"]) && is_int(spec["to"]) &&
                          (spec.contains("step") ? is_int(spec["step"]) : is_int(spec["mul"]));
    if (to < from) fail(key + ".to", "must be >= from");
    std::vector<ojson> out;
    const bool geometric = spec.contains("mul");
    const ojson& inc = geometric ? spec["mul"] : spec["step"];
    if (!inc.is_number() || (geometric ? inc.get<double>() <= 1.0 : inc.get<double>() <= 0.0))
        fail(key + (geometric ? ".mul" : ".step"), geometric ? "must be > 1" : "must be > 0");
    if (geometric && from <= 0) fail(key + ".from", "must be > 0 for a geometric range");
    const double eps = 1e-9 * std::max(1.0, std::fabs(to));
    for (size_t i = 0;; ++i) {
        const double v = geometric ? from * std::pow(inc.get<double>(), double(i))
                                   : from + double(i) * inc.get<double>();
        if (v > to + eps) break;
        if (out.size() >= kMaxRangeValues) fail(key, "range has more than 100000 values");
        if (integral)
            out.emplace_back(int64_t(std::llround(v)));
        else
            out.emplace_back(v);
    }
    return out;
}

std::string point_label(const ojson& settings, const std::vector<std::string>& axis_keys) {
    std::string s;
    for (const auto& k : axis_keys)
        if (settings.contains(k)) s += (s.empty() ? "" : ", ") + k + "=" + show(settings[k]);
    return s;
}

// Resolves an expression's names to setting keys: the key itself, an alias, or the unique key
// whose last component it is.
std::map<std::string, std::string> bind_names(const Expr& e, const std::vector<std::string>& keys,
                                              const std::string& what) {
    std::map<std::string, std::string> out;
    for (const std::string& n : e.names()) {
        std::string found;
        const std::string full = canonical_key(n);
        for (const auto& k : keys)
            if (k == n || k == full) found = k;
        if (found.empty()) {
            std::vector<std::string> hits;
            for (const auto& k : keys) {
                const size_t dot = k.rfind('.');
                if (dot != std::string::npos && k.substr(dot + 1) == n) hits.push_back(k);
            }
            if (hits.size() > 1)
                fail(what, "'" + n + "' is ambiguous: " + hits[0] + " or " + hits[1]);
            if (hits.empty()) {
                std::string all;
                for (const auto& k : keys) all += (all.empty() ? "" : ", ") + k;
                fail(what, "unknown name '" + n + "' (settings: " + all + ")");
            }
            found = hits[0];
        }
        out[n] = found;
    }
    return out;
}

Value to_value(const ojson& v, const std::string& name, const std::string& what) {
    if (v.is_number()) return v.get<double>();
    if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
    if (v.is_string()) return v.get<std::string>();
    fail(what, "'" + name + "' is " + v.dump() + ", not a number or string");
}

ojson from_value(const Value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    const double d = std::get<double>(v);
    if (std::floor(d) == d && std::fabs(d) < 9e15) return int64_t(d);
    return d;
}

}  // namespace

KeyKind key_kind(const std::string& key) {
    if (key.rfind("encode.", 0) == 0) return KeyKind::Encode;
    if (key.rfind("rtl.", 0) == 0) return KeyKind::Rtl;
    if (key.rfind("param.", 0) == 0) return KeyKind::Param;
    return KeyKind::Sim;
}

std::string canonical_key(const std::string& key) {
    auto it = aliases().find(key);
    return it == aliases().end() ? key : it->second;
}

const std::vector<EncoderKey>& encoder_keys() {
    static const std::vector<EncoderKey> k = {
        {"table", "--input", "the table (.npy, .bin, .safetensors, raw)"},
        {"method", "--method", "code construction method, or best"},
        {"books", "--books", "code books 1..16"},
        {"overflow", "--overflow", "largest fraction of rows stored raw"},
        {"max_code_len", "--max-code-len", "longest code 1..32"},
        {"quantize", "--quantize", "none, symmetric, rowwise, lossless"},
        {"dtype", "--dtype", "bf16 for uint16 .npy bit patterns"},
        {"align", "--align", "row pitch granularity in bits"},
        {"seed", "--seed", "sa8 seed"},
        {"iterations", "--iterations", "sa8 iterations"},
        {"mwu_iterations", "--mwu-iterations", "minimax rounds"},
        {"time_limit", "--time-limit", "sa8 seconds"},
        {"eta", "--eta", "minimax step size"},
        {"start", "--start", "sa8 start tree"},
        {"tensor", "--tensor", ".safetensors tensor"},
        {"rows", "--rows", "raw input rows"},
        {"dim", "--dim", "raw input bytes per row"},
    };
    return k;
}

std::string set_assignment(const std::string& key, const ojson& value) {
    return key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
}

Spec parse_spec(const ojson& doc, const std::string& path, const std::string& dir_text) {
    const fs::path dir(dir_text);
    Spec spec;
    spec.path = path;
    spec.name = fs::path(path).stem().string();
    if (!doc.is_object()) fail(path, "a sweep spec must be a JSON object");
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        static const std::set<std::string> kTop = {"description", "base", "fixed", "axes",
                                                   "zip",         "let",  "filter"};
        if (!kTop.count(it.key()))
            fail(it.key(), "unknown key (description, base, fixed, axes, zip, let, filter)");
    }
    if (doc.contains("description")) {
        if (!doc["description"].is_string()) fail("description", "expected a string");
        spec.description = doc["description"].get<std::string>();
    }
    if (doc.contains("base")) {
        if (!doc["base"].is_string()) fail("base", "expected the path of a simulator config");
        const fs::path b = dir / doc["base"].get<std::string>();
        if (!fs::exists(b)) fail("base", "no such file: " + b.string());
        spec.base = fs::absolute(b).lexically_normal().string();
        spec.simulate = true;
    }

    // Fixed settings, then one dimension per axis and per zipped group.
    ojson fixed = ojson::object();
    std::set<std::string> seen;
    auto claim = [&](const std::string& where, const std::string& raw) {
        const std::string key = canonical_key(raw);
        if (key.empty() || key.front() == '.' || key.back() == '.')
            fail(where + "." + raw, "not a key path");
        if (!seen.insert(key).second) fail(where + "." + raw, "set more than once");
        spec.keys.push_back(key);
        return key;
    };
    if (doc.contains("fixed")) {
        if (!doc["fixed"].is_object()) fail("fixed", "expected an object of key: value");
        for (auto it = doc["fixed"].begin(); it != doc["fixed"].end(); ++it) {
            const std::string key = claim("fixed", it.key());
            const ojson v = resolve_paths(key, it.value(), dir);
            check_value(key, v);
            fixed[key] = v;
        }
    }
    struct Dimension {
        std::vector<std::string> keys;
        std::vector<std::vector<ojson>> values;  // values[i][k]: i-th position, k-th key
    };
    std::vector<Dimension> dims;
    if (doc.contains("axes")) {
        if (!doc["axes"].is_object()) fail("axes", "expected an object of key: values");
        for (auto it = doc["axes"].begin(); it != doc["axes"].end(); ++it) {
            const std::string key = claim("axes", it.key());
            Dimension d;
            d.keys = {key};
            for (ojson v : axis_values("axes." + it.key(), it.value())) {
                v = resolve_paths(key, v, dir);
                check_value(key, v);
                d.values.push_back({v});
            }
            spec.axis_keys.push_back(key);
            dims.push_back(std::move(d));
        }
    }
    if (doc.contains("zip")) {
        if (!doc["zip"].is_object()) fail("zip", "expected an object of group: {key: values}");
        for (auto g = doc["zip"].begin(); g != doc["zip"].end(); ++g) {
            const std::string where = "zip." + g.key();
            if (!g.value().is_object() || g.value().empty())
                fail(where, "expected an object of key: values");
            Dimension d;
            for (auto it = g.value().begin(); it != g.value().end(); ++it) {
                const std::string key = claim(where, it.key());
                const std::vector<ojson> vals = axis_values(where + "." + it.key(), it.value());
                if (!d.keys.empty() && vals.size() != d.values.size())
                    fail(where + "." + it.key(), "has " + std::to_string(vals.size()) +
                                                     " values, the group's first key has " +
                                                     std::to_string(d.values.size()));
                d.values.resize(vals.size());
                for (size_t i = 0; i < vals.size(); ++i) {
                    ojson v = resolve_paths(key, vals[i], dir);
                    check_value(key, v);
                    d.values[i].push_back(v);
                }
                d.keys.push_back(key);
                spec.axis_keys.push_back(key);
            }
            dims.push_back(std::move(d));
        }
    }
    struct Derived {
        std::string key;
        Expr expr;
        std::map<std::string, std::string> names;
    };
    std::vector<Derived> derived;
    if (doc.contains("let")) {
        if (!doc["let"].is_object()) fail("let", "expected an object of key: \"expression\"");
        for (auto it = doc["let"].begin(); it != doc["let"].end(); ++it) {
            const std::string where = "let." + it.key();
            if (!it.value().is_string()) fail(where, "expected an expression string");
            std::vector<std::string> known = spec.keys;  // earlier keys only
            const std::string key = claim("let", it.key());
            Expr e = Expr::parse(it.value().get<std::string>(), where);
            auto names = bind_names(e, known, where);
            derived.push_back({key, std::move(e), std::move(names)});
            spec.axis_keys.push_back(key);
        }
    }
    std::optional<Expr> filter;
    std::map<std::string, std::string> filter_names;
    if (doc.contains("filter")) {
        if (!doc["filter"].is_string()) fail("filter", "expected an expression string");
        spec.filter = doc["filter"].get<std::string>();
        filter = Expr::parse(spec.filter, "filter");
        filter_names = bind_names(*filter, spec.keys, "filter");
    }

    for (const auto& k : spec.keys) {
        if (key_kind(k) == KeyKind::Encode) spec.encode = true;
        // The decoder geometry also drives embzip-rtl, so it is allowed without a simulation.
        const bool geometry = k == "decoder.arch" || k == "decoder.symbols_per_cycle" ||
                              k == "decoder.lut_bits" || k == "decoder.bus_bits" ||
                              k == "decoder.overlap";
        if (key_kind(k) == KeyKind::Sim && !spec.simulate && !geometry)
            fail(k, "a simulator key needs a \"base\" simulator config");
    }
    if (spec.encode &&
        std::find(spec.keys.begin(), spec.keys.end(), "encode.table") == spec.keys.end())
        fail("encode.table", "missing: encode.* keys need the table to encode");

    // Expand: the product of the dimensions, last one varying fastest.
    size_t total = 1;
    for (const auto& d : dims) {
        total *= d.values.size();
        if (total > kMaxExpandedPoints)
            fail("axes", "more than 2,000,000 points before the filter");
    }
    spec.expanded = total;

    // The simulator's own parser checks each point's resolved config (base tree loaded once).
    nlohmann::json base_tree;
    if (spec.simulate) base_tree = sim::load_config_tree(spec.base, {});

    std::vector<size_t> pos(dims.size(), 0);
    for (size_t n = 0; n < total; ++n) {
        ojson s = fixed;
        for (size_t d = 0; d < dims.size(); ++d)
            for (size_t k = 0; k < dims[d].keys.size(); ++k)
                s[dims[d].keys[k]] = dims[d].values[pos[d]][k];
        for (const Derived& dv : derived) {
            const Value v = dv.expr.eval([&](const std::string& name) {
                return to_value(s[dv.names.at(name)], name, "let." + dv.key);
            });
            ojson j = from_value(v);
            check_value(dv.key, j);
            s[dv.key] = j;
        }
        // advance the odometer
        for (size_t d = dims.size(); d-- > 0;) {
            if (++pos[d] < dims[d].values.size()) break;
            pos[d] = 0;
        }
        if (filter && !filter->test([&](const std::string& name) {
                return to_value(s[filter_names.at(name)], name, "filter");
            }))
            continue;
        if (s.contains("rtl.flow") && s["rtl.flow"] != "none") spec.hardware = true;
        // Settings only the ASIC flow reads would otherwise be silently ignored.
        const bool asic = s.value("rtl.flow", std::string("none")) == "asic";
        for (const char* k : {"rtl.clock_mhz", "rtl.route", "rtl.clock_from_flow"})
            if (!asic && s.contains(k) && s[k] != false)
                fail(k, std::string("only rtl.flow asic ") +
                            (std::string(k) == "rtl.clock_from_flow" ? "reports a maximum clock"
                                                                     : "reads it") +
                            " (point " + std::to_string(spec.points.size()) + ": rtl.flow " +
                            show(s.value("rtl.flow", ojson("none"))) + ")");
        Point p;
        p.index = spec.points.size();
        p.settings = std::move(s);
        spec.points.push_back(std::move(p));
    }
    if (spec.points.empty())
        fail("filter", "no point passes (" + std::to_string(total) + " before the filter)");
    if (spec.hardware && !spec.encode)
        fail("rtl.flow", "the hardware flow needs a code: set encode.table and encode.method");
    if (!spec.encode && !spec.simulate) fail(path, "nothing to run: no encode.* keys and no base");

    if (spec.simulate) {
        for (const Point& p : spec.points) {
            nlohmann::json tree = base_tree;
            try {
                if (spec.encode)
                    sim::apply_override(tree, "table.coded_dir=/nonexistent/validation-only");
                for (auto it = p.settings.begin(); it != p.settings.end(); ++it)
                    if (key_kind(it.key()) == KeyKind::Sim)
                        sim::apply_override(tree, set_assignment(it.key(), it.value()));
                if (p.settings.value("rtl.clock_from_flow", false))
                    sim::apply_override(tree, "decoder.clock_ghz=1");
                sim::parse_config(tree);
            } catch (const Error& e) {
                const std::string label = point_label(p.settings, spec.axis_keys);
                throw InputError(std::string(e.what()) + " (point " + std::to_string(p.index) +
                                 (label.empty() ? "" : ": " + label) + ")");
            }
        }
    } else {
        // No simulation: the decoder geometry keys still drive embzip-rtl. The simulator's
        // decoder section reader checks their types and ranges.
        for (const Point& p : spec.points) {
            nlohmann::json tree = {{"decoder", nlohmann::json::object()}};
            try {
                for (auto it = p.settings.begin(); it != p.settings.end(); ++it)
                    if (key_kind(it.key()) == KeyKind::Sim)
                        sim::apply_override(tree, set_assignment(it.key(), it.value()));
                (void)tree["decoder"].get<sim::DecoderSpec>();
            } catch (const Error& e) {
                // The section reader names keys within the section.
                const std::string label = point_label(p.settings, spec.axis_keys);
                throw InputError("decoder." + std::string(e.what()) + " (point " +
                                 std::to_string(p.index) + (label.empty() ? "" : ": " + label) +
                                 ")");
            }
        }
    }
    return spec;
}

Spec load_spec(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw IoError(path + ": cannot open");
    ojson doc;
    try {
        doc = ojson::parse(in);
    } catch (const ojson::parse_error& e) {
        throw InputError(path + ": not valid JSON (" + e.what() + ")");
    }
    const fs::path abs = fs::absolute(path).lexically_normal();
    try {
        return parse_spec(doc, abs.string(), abs.parent_path().string());
    } catch (const InputError& e) {
        throw InputError(path + ": " + e.what());
    }
}

}  // namespace embzip::sweep
