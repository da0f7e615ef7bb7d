// SPDX-License-Identifier: MIT
// Sweep specs (sim_configs/sweeps/*.json): a base simulator config plus axes over encoder,
// RTL/hardware-flow and simulator keys, expanded into points and validated before anything runs.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "embzip_sweep/expr.hpp"

namespace embzip::sweep {

using ojson = nlohmann::ordered_json;

// Which tool a key belongs to. encode.* -> `embzip encode`, rtl.* -> `embzip-rtl` and the
// hardware flow, param.* -> free variables for expressions, anything else -> an `embzip-sim`
// config key passed with --set (decoder.arch/symbols_per_cycle/lut_bits/bus_bits also drive
// embzip-rtl, so one axis sweeps the simulated and the generated decoder together).
enum class KeyKind { Encode, Rtl, Param, Sim };
KeyKind key_kind(const std::string& key);

// Short names accepted for axes and in expressions ("S" -> decoder.symbols_per_cycle).
std::string canonical_key(const std::string& key);

// One encoder key: its CLI flag, or an error message for a bad value ("" when fine).
struct EncoderKey {
    const char* key;   // after "encode."
    const char* flag;  // embzip encode option
    const char* help;
};
const std::vector<EncoderKey>& encoder_keys();

struct Point {
    size_t index = 0;  // position in the filtered list (= row of results)
    ojson settings;    // full key -> value: fixed, axes, zipped groups, derived keys
};

struct Spec {
    std::string path;  // the spec file (absolute)
    std::string name;  // file stem
    std::string description;
    std::string base;               // absolute path of the simulator config; "" = no simulation
    std::vector<std::string> keys;  // every setting key, in column order
    std::vector<std::string> axis_keys;  // keys that vary (axes, zipped groups, derived)
    std::vector<Point> points;
    size_t expanded = 0;  // points before the filter
    std::string filter;
    bool encode = false;    // points run `embzip encode` (some encode.* key is set)
    bool hardware = false;  // points run embzip-rtl and a flow (rtl.flow is synth or asic)
    bool simulate = false;  // points run embzip-sim (a base is given)
};

// Parses, expands, filters and validates a spec. Relative paths (base, encode.table, string
// values naming existing files) are taken relative to the spec file. Every simulator setting is
// checked by the simulator's own parser (unknown key / bad value -> error naming the key path).
// @throws InputError naming the key path (and the point, for a value that fails in a point).
Spec load_spec(const std::string& path);
// The same from an already parsed document (dir: where relative paths start).
Spec parse_spec(const ojson& doc, const std::string& path, const std::string& dir);

// The `--set key=value` text for one simulator setting.
std::string set_assignment(const std::string& key, const ojson& value);

}  // namespace embzip::sweep
