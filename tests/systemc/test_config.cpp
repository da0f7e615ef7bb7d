// SPDX-License-Identifier: MIT
// Configuration: two layers, key paths in every error, --set overrides, includes, .ini files.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip_sim/config.hpp"
#include "embzip_sim/model.hpp"
#include "sim_test_util.hpp"

using namespace embzip;
using namespace embzip::sim;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {
const std::string kConfigs = std::string(EMBZIP_SOURCE_DIR) + "/sim_configs/";
const std::string kData = std::string(EMBZIP_TEST_DATA);

json declared() {
    return {{"memory", test::preset("ddr4_3200.json")},
            {"table", {{"rows", 1000}, {"dim", 64}, {"row_bits", 400}}}};
}
// The DDR4 test .ini with one "key = value" line replaced.
std::string ini_with(const std::string& key, const std::string& value) {
    std::ifstream in(kData + "/ddr4_3200.ini");
    std::ostringstream out;
    std::string line;
    bool found = false;
    while (std::getline(in, line)) {
        if (line.rfind(key + " =", 0) == 0) {
            line = key + " = " + value;
            found = true;
        }
        out << line << "\n";
    }
    REQUIRE(found);
    const std::string path = "sim_config_test_" + key + ".ini";
    std::ofstream(path) << out.str();
    return path;
}
std::string error_of(json tree, const std::vector<std::string>& sets) {
    try {
        for (const auto& s : sets) apply_override(tree, s);
        parse_config(tree);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("invalid values name the key path and the value", "[systemc][config]") {
    CHECK(error_of(declared(), {"decoder.lanes=0"}) == "decoder.lanes: must be >= 1, got 0");
    CHECK(error_of(declared(), {"decoder.lames=4"}) == "decoder.lames: unknown key");
    CHECK(error_of(declared(), {"memory.timing.tFAW=-1"}) ==
          "memory.timing.tFAW: must be >= 0, got -1");
    CHECK(error_of(declared(), {"memory.timing.tRFC=20000"}) ==
          "memory.timing.tRFC: must be < tREFI (12480), got 20000");
    CHECK(error_of(declared(), {"baseline.pitch=file"}) ==
          "baseline.pitch: must be packed, byte, burst or a bit count, got \"file\"");
    CHECK(error_of(declared(), {"table.coded_dir=x"}) ==
          "table.rows: not allowed with table.coded_dir (read from the .ezt)");
    CHECK(error_of(declared(), {"memory=3"}) == "memory: must be an object, got 3");
    CHECK(error_of(declared(), {"memory.channels=3"}) ==
          "memory.channels: must be a power of two >= 1, got 3");
    CHECK(error_of(declared(), {"memory.page_policy=shut"}) ==
          "memory.page_policy: must be open or closed, got \"shut\"");
    CHECK(error_of(declared(), {"decoder.lanes=four"}) ==
          "decoder.lanes: must be an integer, got \"four\"");
    CHECK(error_of(declared(), {"stream.distribution=gauss"}) ==
          "stream.distribution: must be uniform, zipf, sequential or trace, got \"gauss\"");
    CHECK_THAT(error_of(declared(), {"memory.address_mapping=rochrababg"}),
               Contains("memory.address_mapping"));
    CHECK_THAT(error_of(declared(), {"table.row_bits=10"}),
               Contains("table.row_bits: must be >= 64, got 10"));
    CHECK(error_of(declared(), {"decoder.arch=canonical", "decoder.symbols_per_cycle=2"}) ==
          "decoder.symbols_per_cycle: must be 1 for the canonical decoder, got 2");
    json no_timing = declared();
    no_timing["memory"]["timing"].erase("tRCD");
    CHECK(error_of(no_timing, {}) == "memory.timing.tRCD: missing");
    CHECK(error_of(declared(), {}) == "");
}

TEST_CASE("overrides (--set) reach any key, creates sections and re-reads sub-configs",
          "[systemc][config]") {
    json tree =
        load_config_tree(kConfigs + "declared_40m.json",
                         {"decoder.lanes=3", "memory.channels=2", "stream.distribution=uniform"});
    const SimConfig c = parse_config(tree);
    CHECK(c.decoder.lanes == 3);
    CHECK(c.memory.channels == 2);
    CHECK(c.memory.timing.CL == 22);  // from the sub-config named by path
    CHECK(c.stream.distribution == Distribution::Uniform);
    CHECK(c.table.rows == 40000000);
    tree = load_config_tree(kConfigs + "declared_40m.json", {"memory=" + kConfigs + "hbm2.json"});
    CHECK(parse_config(tree).memory.channels == 8);
    CHECK_THROWS_WITH(apply_override(tree, "decoder"), Contains("expected key=value"));
    CHECK_THROWS_WITH(apply_override(tree, "table.rows.x=1"),
                      Contains("table.rows: is not an object"));
    // Found by the sim_json fuzz target: a root or a list element that is not an object let the
    // JSON library's type_error escape instead of a config error naming the path.
    json scalar_root = 5;
    CHECK_THROWS_AS(apply_override(scalar_root, "decoder.lanes=4"), InputError);
    CHECK_THROWS_WITH(apply_override(scalar_root, "decoder.lanes=4"),
                      Contains("the config: is not an object"));
    json scalar_element = json::parse(R"({"tiers": [3]})");
    CHECK_THROWS_WITH(apply_override(scalar_element, "tiers.0.capacity_mb=4"),
                      Contains("tiers.0: is not an object"));
}

TEST_CASE("DRAMsim3 .ini files give the same memory as the JSON preset", "[systemc][config]") {
    json tree = declared();
    apply_override(tree, "memory=" + kData + "/ddr4_3200.ini");
    const DramConfig ini = parse_config(tree).memory;
    const DramConfig js = test::memory("ddr4_3200.json");
    CHECK(ini.ranks == 1);  // 8 GB channel of 8 GB ranks
    CHECK(ini.timing.tFAW == js.timing.tFAW);
    CHECK(ini.timing.tCK_ns == js.timing.tCK_ns);
    CHECK(ini.address_mapping == js.address_mapping);
    CHECK(ini.burst_bytes() == 64);
    CHECK(ini.row_bytes() == js.row_bytes());
    CHECK_THROWS_WITH(ini_to_memory_json(kData + "/missing_tfaw.ini"),
                      Contains("[timing] tFAW: missing"));
}

TEST_CASE("every shipped config parses", "[systemc][config]") {
    for (const char* f : {"default.json", "declared_40m.json"}) {
        INFO(f);
        CHECK_NOTHROW(parse_config(load_config_tree(kConfigs + f, {})));
    }
}

TEST_CASE("batch code lengths equal row_code_lengths, decode cycles follow the lane contract",
          "[systemc][model]") {
    Table t;
    t.rows = 300;
    t.dim = 24;
    std::mt19937 rng(3);
    std::normal_distribution<double> nd(0.0, 6.0);
    for (size_t i = 0; i < t.rows * t.dim; ++i)
        t.bytes.push_back(static_cast<uint8_t>(
            static_cast<int8_t>(std::clamp(std::lround(nd(rng)), -127L, 127L))));
    for (Method m : {Method::Huffman8, Method::Nibble4x2}) {
        const CodeResult r = run_method(m, t);
        const CodedTable ct = encode_table(t, r, 1);
        const std::vector<uint8_t> all = all_code_lengths(ct);
        const size_t per = size_t(ct.dim) * ct.spec.per_byte();
        DecoderConfig dc;
        const std::vector<uint32_t> cyc = coded_row_cycles(ct, dc, ct.pitch_bits);
        for (uint64_t i : {0ull, 1ull, 150ull, 299ull}) {
            const std::vector<uint8_t> one = row_code_lengths(ct, i);
            CHECK(std::vector<uint8_t>(all.begin() + i * per, all.begin() + (i + 1) * per) == one);
            CHECK(cyc[i] == row_timing(dc, ct.pitch_bits, one.data(), one.size()).latency_cycles);
        }
    }
}

TEST_CASE("lookup streams: zipf is skewed, sequential wraps, traces are checked",
          "[systemc][model]") {
    StreamSpec s;
    s.batches = 1;
    s.batch_size = 1;
    s.pooling_factor = 20000;
    s.distribution = Distribution::Zipf;
    s.zipf_alpha = 1.0;
    RequestProducer z(s, 1000);
    std::map<uint64_t, int> count;
    for (uint64_t i = 0; i < z.total(); ++i) ++count[static_cast<uint64_t>(z.next())];
    std::vector<int> c;
    for (auto& kv : count) c.push_back(kv.second);
    std::sort(c.rbegin(), c.rend());
    // Zipf(1) over 1000 ranks: the top rank draws 1 / H(1000) ~ 13.4 % of the samples.
    CHECK(c[0] / 20000.0 == Approx(0.134).margin(0.02));
    CHECK(c[0] > 1.6 * c[1]);
    s.distribution = Distribution::Sequential;
    RequestProducer q(s, 7);
    for (int i = 0; i < 8; ++i) q.next();
    CHECK(static_cast<uint64_t>(q.next()) == 1);
    const std::string path = "sim_trace_test.txt";
    {
        std::ofstream f(path);
        f << "3\n# comment\n5\n9\n";
    }
    s.distribution = Distribution::Trace;
    s.trace_file = path;
    CHECK_THROWS_WITH(RequestProducer(s, 9), "stream.trace_file: line 4: row 9 >= table rows 9");
    RequestProducer tr(s, 10);
    CHECK(static_cast<uint64_t>(tr.next()) == 3);
    CHECK(static_cast<uint64_t>(tr.next()) == 5);
    // A trace is parsed once per process and shared; a file changed on disk is read again.
    CHECK(read_trace(s, 10) == read_trace(s, 10));
    {
        std::ofstream f(path);
        f << "7\n1\n";
    }
    RequestProducer changed(s, 10);
    CHECK(static_cast<uint64_t>(changed.next()) == 7);
    CHECK(static_cast<uint64_t>(changed.next()) == 1);
    CHECK(static_cast<uint64_t>(changed.next()) == 7);
    std::remove(path.c_str());
}

TEST_CASE("sim_configs/README.md documents exactly the keys of the schema", "[systemc][config]") {
    // Documented keys: the back-quoted names in the first cell of each table row under a heading
    // "## `section`" (maybe followed by a remark, as "## `tiers` (instead of `memory`)") or
    // "## Top level"; other headings end a section. List entries' keys are under the list.
    std::ifstream in(kConfigs + "README.md");
    REQUIRE(in);
    std::set<std::string> documented;
    std::string line, prefix;
    bool in_section = false;
    const std::regex heading("^## `([a-z_.]+)`( \\(.*\\))?$"), quoted("`([A-Za-z_0-9]+)`");
    std::smatch m;
    while (std::getline(in, line)) {
        if (line.rfind("## ", 0) == 0) {
            in_section = line == "## Top level" || std::regex_match(line, m, heading);
            prefix = line == "## Top level" ? "" : in_section ? m[1].str() + "." : "";
            continue;
        }
        if (!in_section || line.rfind("| ", 0) != 0) continue;
        const std::string cell = line.substr(2, line.find(" |", 1) - 2);
        for (auto it = std::sregex_iterator(cell.begin(), cell.end(), quoted);
             it != std::sregex_iterator(); ++it)
            documented.insert(prefix + (*it)[1].str());
    }
    const std::vector<std::string> leaves = config_key_paths();
    std::set<std::string> objects;  // sections: documented as keys too, but not leaves
    for (const std::string& k : leaves)
        for (size_t dot = k.find('.'); dot != std::string::npos; dot = k.find('.', dot + 1))
            objects.insert(k.substr(0, dot));
    for (const std::string& k : leaves) {
        INFO("schema key " << k);
        CHECK(documented.count(k) == 1);
    }
    for (const std::string& k : documented) {
        INFO("documented key " << k);
        CHECK((std::find(leaves.begin(), leaves.end(), k) != leaves.end() || objects.count(k)));
    }
    CHECK(leaves.size() > 50);
}

TEST_CASE("defaults live in the section structs, the printed config is a config",
          "[systemc][config]") {
    const json d = default_config_json();
    CHECK(d["decoder"]["lanes"] == DecoderSpec::kLanes);
    CHECK(d["decoder"]["fifo_rows"].is_null());  // derived: stream.max_outstanding
    CHECK(d["decoder"]["arch"] == "lut");
    CHECK(d["decoder"]["symbols_per_cycle"].is_null());  // derived from arch
    CHECK(d["stream"]["batches"] == StreamSpec::kBatches);
    CHECK(d["stream"]["distribution"] == "uniform");
    CHECK(d["memory"]["queue_size"] == DramConfig::kQueueSize);
    CHECK(d["memory"]["channels"].is_null());  // required
    CHECK(d["memory"]["timing"]["tCK"].is_null());
    CHECK(d["memory"]["timing"]["tRTRS"] == DramTiming::kTRTRS);
    CHECK(d["sim"]["quantum_ns"] == RunSpec::kQuantumNs);
    // List entries and placement: from their own schema, as the sections.
    const json l = list_defaults_json();
    CHECK(l["tiers"]["banks"] == SramSpec::kBanks);
    CHECK(l["tiers"]["memory"].is_null());  // required (dram tiers)
    CHECK(l["placement"]["ways"] == PlacementSpec::kWays);
    CHECK(l["placement"]["policy"] == "hot_first");
    CHECK(l["tables"]["coded"] == true);
    CHECK(l["tables"]["value_type"] == "int8");
    CHECK(l["tables"]["symbol_bits"] == TableSpec::kSymbolBits);
    CHECK(l["tables"]["zipf_alpha"] == d["stream"]["zipf_alpha"]);
    // --print-config's output, read back, is the same config.
    for (const char* f : {"default.json", "declared_40m.json"}) {
        INFO(f);
        const SimConfig c = parse_config(load_config_tree(kConfigs + f, {}));
        const json printed = c;
        const SimConfig again = parse_config(printed);
        CHECK(json(again) == printed);
        CHECK(printed["pooling"]["clock_ghz"] == PoolingSpec::kClockGhz);
    }
}

TEST_CASE("decoder: chain and every S/B the timing contract accepts", "[systemc][config]") {
    const SimConfig c = parse_config([] {
        json t = declared();
        apply_override(t, "decoder.arch=chain");
        apply_override(t, "decoder.lut_bits=40");
        apply_override(t, "decoder.symbols_per_cycle=16");
        return t;
    }());
    CHECK(c.decoder.timing.arch == DecoderArch::Chain);
    CHECK(c.decoder.timing.lut_bits == 40);
    CHECK(c.decoder.timing.symbols_per_cycle == 16);
    CHECK(error_of(declared(), {"decoder.arch=chain", "decoder.lut_bits=64"}) == "");
    CHECK(error_of(declared(), {"decoder.arch=lut", "decoder.lut_bits=16"}) == "");
    CHECK(error_of(declared(), {"decoder.arch=lut", "decoder.lut_bits=17"}) ==
          "decoder.lut_bits: must be <= 16 for the lut decoder, got 17");
    CHECK(error_of(declared(), {"decoder.arch=chain", "decoder.lut_bits=65"}) ==
          "decoder.lut_bits: must be <= 64, got 65");
    CHECK(error_of(declared(), {"decoder.arch=systolic"}) ==
          "decoder.arch: must be canonical, lut or chain, got \"systolic\"");
    CHECK(error_of(declared(), {"decoder.symbols_per_cycle=17"}) ==
          "decoder.symbols_per_cycle: must be <= 16, got 17");
    CHECK(error_of(declared(), {"decoder.bus_bits=100"}) ==
          "decoder.bus_bits: must be a multiple of 8, got 100");
    // canonical defaults to S = 1
    CHECK(parse_config([] {
              json t = declared();
              apply_override(t, "decoder.arch=canonical");
              return t;
          }())
              .decoder.timing.symbols_per_cycle == 1);
}

TEST_CASE("out-of-range numbers are rejected before any conversion (issue 8: UB)",
          "[systemc][config]") {
    // JSON: values far outside a field's type, as integers, floats and unsigned.
    CHECK(error_of(declared(), {"decoder.lanes=1e30"}) ==
          "decoder.lanes: must be <= 4096, got 1e+30");
    CHECK(error_of(declared(), {"decoder.lanes=-1e30"}) ==
          "decoder.lanes: must be >= 1, got -1e+30");
    CHECK(error_of(declared(), {"stream.seed=18446744073709551615"}) ==
          "stream.seed: must be <= 9223372036854775807, got 18446744073709551615");
    CHECK(error_of(declared(), {"stream.seed=-1"}) == "stream.seed: must be >= 0, got -1");
    CHECK(error_of(declared(), {"table.rows=1.5"}) == "table.rows: must be an integer, got 1.5");
    CHECK(error_of(declared(), {"memory.timing.tCK=1e999"}) ==
          "memory.timing.tCK: must be a number, got \"1e999\"");
    CHECK(error_of(declared(), {"stream.batches=17179869184", "stream.batch_size=17179869184"}) ==
          "stream: batches * batch_size * pooling_factor is too large (at most 2^34 lookups)");
    CHECK(error_of(declared(), {"decoder.clock_ghz=0"}) == "decoder.clock_ghz: must be > 0, got 0");
    CHECK(error_of(declared(), {"table.overflow_fraction=1"}) ==
          "table.overflow_fraction: must be < 1, got 1");
    // .ini: 1e30 was cast to int64 (undefined), products of large values overflowed int64.
    const std::string huge = ini_with("rows", "1e30");
    CHECK_THROWS_WITH(ini_to_memory_json(huge),
                      Contains("[dram_structure] rows: must be an integer in 0..2^40, got '1e30'"));
    const std::string negative = ini_with("columns", "-1024");
    CHECK_THROWS_WITH(ini_to_memory_json(negative),
                      Contains("[dram_structure] columns: must be an integer"));
    const std::string wide = ini_with("rows", "1099511627776");  // 2^40: the product needs 2^73
    json tree = declared();
    tree["memory"] = ini_to_memory_json(wide);
    CHECK(error_of(tree, {}) == "memory.rows: must be <= 1073741824, got 1099511627776");
    const std::string size = ini_with("channel_size", "1099511627776");  // 2^40 MB: 2^27 ranks
    tree["memory"] = ini_to_memory_json(size);
    CHECK(error_of(tree, {}) == "memory.ranks: must be <= 64, got 134217728");
    const std::string tck = ini_with("tCK", "fast");
    CHECK_THROWS_WITH(ini_to_memory_json(tck),
                      Contains("[timing] tCK: must be a number, got 'fast'"));
    for (const std::string& f : {huge, negative, wide, size, tck}) std::remove(f.c_str());
}

TEST_CASE("a file named by --set is relative to the working directory", "[systemc][config]") {
    json tree = declared();
    CHECK_THROWS_WITH(
        apply_override(tree, "memory=no_such_memory.json"),
        Contains("memory: no file '") && Contains("relative to the working directory"));
}
