// SPDX-License-Identifier: MIT
// Configuration: two layers, key paths in every error, --set overrides, includes, .ini files.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>

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
    CHECK(error_of(declared(), {"memory.timing.tFAW=-1"}) == "memory.timing.tFAW: must be >= 0, got -1");
    CHECK(error_of(declared(), {"memory.channels=3"}) == "memory.channels: must be a power of two >= 1, got 3");
    CHECK(error_of(declared(), {"memory.page_policy=shut"}) == "memory.page_policy: must be open or closed, got \"shut\"");
    CHECK(error_of(declared(), {"decoder.lanes=four"}) == "decoder.lanes: must be an integer, got \"four\"");
    CHECK(error_of(declared(), {"stream.distribution=gauss"}) ==
          "stream.distribution: must be uniform, zipf, sequential or trace, got \"gauss\"");
    CHECK_THAT(error_of(declared(), {"memory.address_mapping=rochrababg"}), Contains("memory.address_mapping"));
    CHECK_THAT(error_of(declared(), {"table.row_bits=10"}), Contains("table.row_bits: must be >= 64, got 10"));
    CHECK(error_of(declared(), {"decoder.arch=canonical", "decoder.symbols_per_cycle=2"}) ==
          "decoder.symbols_per_cycle: must be 1 for the canonical decoder, got 2");
    json no_timing = declared();
    no_timing["memory"]["timing"].erase("tRCD");
    CHECK(error_of(no_timing, {}) == "memory.timing.tRCD: missing");
    CHECK(error_of(declared(), {}) == "");
}

TEST_CASE("overrides (--set) reach any key, creates sections and re-reads sub-configs", "[systemc][config]") {
    json tree = load_config_tree(kConfigs + "declared_40m.json", {"decoder.lanes=3", "memory.channels=2",
                                                                  "stream.distribution=uniform"});
    const SimConfig c = parse_config(tree);
    CHECK(c.decoder.lanes == 3);
    CHECK(c.memory.channels == 2);
    CHECK(c.memory.timing.CL == 22);  // from the sub-config named by path
    CHECK(c.stream.distribution == Distribution::Uniform);
    CHECK(c.table.rows == 40000000);
    tree = load_config_tree(kConfigs + "declared_40m.json", {"memory=" + kConfigs + "hbm2.json"});
    CHECK(parse_config(tree).memory.channels == 8);
    CHECK_THROWS_WITH(apply_override(tree, "decoder"), Contains("expected key=value"));
    CHECK_THROWS_WITH(apply_override(tree, "table.rows.x=1"), Contains("table.rows: is not an object"));
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
    CHECK_THROWS_WITH(ini_to_memory_json(kData + "/missing_tfaw.ini"), Contains("[timing] tFAW: missing"));
}

TEST_CASE("every shipped config parses", "[systemc][config]") {
    for (const char* f : {"default.json", "declared_40m.json"}) {
        INFO(f);
        CHECK_NOTHROW(parse_config(load_config_tree(kConfigs + f, {})));
    }
}

TEST_CASE("batch code lengths equal row_code_lengths; decode cycles follow the lane contract", "[systemc][model]") {
    Table t;
    t.rows = 300;
    t.dim = 24;
    std::mt19937 rng(3);
    std::normal_distribution<double> nd(0.0, 6.0);
    for (size_t i = 0; i < t.rows * t.dim; ++i)
        t.bytes.push_back(static_cast<uint8_t>(static_cast<int8_t>(std::clamp(std::lround(nd(rng)), -127L, 127L))));
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

TEST_CASE("lookup streams: zipf is skewed, sequential wraps, traces are checked", "[systemc][model]") {
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
    std::remove(path.c_str());
}
