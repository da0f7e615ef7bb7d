// SPDX-License-Identifier: MIT
// decoder.model rtl: the generated Verilog, Verilated in SystemC mode, as the decoder lanes of
// the whole lookup pipeline. It must give the same decoded sums and the same latencies as the
// C++ lanes (both follow decoder_timing.hpp's contract). The Verilator build is cached under
// EMBZIP_SIM_RTL_CACHE (set by tests/systemc/CMakeLists.txt to the build tree).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <random>

#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip_sim/simulate.hpp"
#include "sim_test_util.hpp"

using namespace embzip::sim;
using nlohmann::json;

namespace {

// rows x dim int8 rows from a rounded normal, coded by minimax8 (overflow as asked).
std::string coded_dir(const std::string& name, double overflow) {
    const std::string dir =
        (std::filesystem::temp_directory_path() / ("embzip_sim_rtl_" + name)).string();
    std::mt19937_64 rng(11);
    std::normal_distribution<double> normal(0.0, 6.0);
    embzip::Table t;
    t.rows = 300;
    t.dim = 24;
    t.bytes.resize(t.rows * t.dim);
    for (uint8_t& b : t.bytes)
        b = uint8_t(int8_t(std::clamp(std::lround(normal(rng)), -127L, 127L)));
    if (overflow > 0)  // a few rows of uniform bytes: they overflow
        for (uint64_t r = 3; r < t.rows; r += 100)
            for (uint32_t k = 0; k < t.dim; ++k) t.bytes[r * t.dim + k] = uint8_t(rng());
    embzip::MethodOptions o;
    o.iterations = 3000;
    o.mwu_iterations = 40;
    o.overflow = overflow;
    std::filesystem::create_directories(dir);
    const embzip::CodedTable coded =
        embzip::encode_table(t, embzip::run_method(embzip::Method::Minimax8, t, o));
    REQUIRE(coded.overflow == (overflow > 0));
    embzip::write_ezt(dir + "/table.ezt", coded);
    return dir;
}

SimConfig config(const std::string& dir, const std::vector<std::string>& sets) {
    json tree = {{"memory", test::preset("ddr4_3200.json")}, {"table", {{"coded_dir", dir}}}};
    for (const auto& s : sets) apply_override(tree, s);
    return parse_config(tree);
}

// The same run with C++ lanes and with RTL lanes: equal sums, latencies to the picosecond,
// decoder utilisation and DRAM bytes. Returns the C++ lanes' result.
SystemResult same_as_cpp_lanes(const std::string& dir, const std::vector<std::string>& extra) {
    // 3 lanes at 0.8 GHz and a small FIFO: lanes and memory both shape the latencies. A 128-bit bus
    // makes in_data an sc_bv<128> (the wide port path); S = 2 with B = 6 takes the long-code path
    // too.
    std::vector<std::string> sets = {
        "stream.batches=2",         "stream.batch_size=16", "stream.pooling_factor=12",
        "stream.distribution=zipf", "decoder.lanes=3",      "decoder.fifo_rows=6",
        "decoder.bus_bits=128",     "decoder.lut_bits=6",   "decoder.clock_ghz=0.8"};
    sets.insert(sets.end(), extra.begin(), extra.end());
    std::vector<std::string> cpp = sets, rtl = sets;
    rtl.push_back("decoder.model=rtl");
    test::fresh_systemc();
    const SimResult a = simulate(config(dir, cpp));
    test::fresh_systemc();
    const SimResult b = simulate(config(dir, rtl));
    const SystemResult &x = a.compressed, &y = b.compressed;
    REQUIRE(x.lookups == 384);
    REQUIRE(y.lookups == 384);
    // Sums: nonzero, equal, and equal to the plain table's (the same rows, never coded).
    CHECK(x.sum_checksum != 0);
    CHECK(y.sum_checksum == x.sum_checksum);
    REQUIRE(b.baseline);
    CHECK(y.sum_checksum == b.baseline->sum_checksum);
    // Latencies, to the picosecond.
    CHECK(y.sim_ns == x.sim_ns);
    for (auto [l, m] :
         {std::pair{x.latency, y.latency}, std::pair{x.sample_latency, y.sample_latency}}) {
        CHECK(m.mean == l.mean);
        CHECK(m.p50 == l.p50);
        CHECK(m.p99 == l.p99);
        CHECK(m.max == l.max);
    }
    CHECK(y.decoder_util == x.decoder_util);
    CHECK(y.dram_bytes == x.dram_bytes);
    CHECK(x.decoder_util > 0.3);  // the lanes did work that shaped the latencies
    return x;
}

}  // namespace

TEST_CASE("RTL lanes in the loop: the same sums and latencies as the C++ lanes", "[systemc][rtl]") {
    const std::string dir = coded_dir("equal", 0.0);
    same_as_cpp_lanes(dir, {});
    std::filesystem::remove_all(dir);
}

// decoder.overlap: the RTL lanes hold two rows (one loading, one decoding), the C++ lanes follow
// schedule_row; equal again, and the lanes (the bound here) finish the stream sooner.
TEST_CASE("RTL lanes with overlapped load: the same sums and latencies as the C++ lanes",
          "[systemc][rtl]") {
    const std::string dir = coded_dir("overlap", 0.0);
    const SystemResult one_row = same_as_cpp_lanes(dir, {"decoder.lanes=1"});
    const SystemResult overlap =
        same_as_cpp_lanes(dir, {"decoder.lanes=1", "decoder.overlap=true"});
    CHECK(overlap.sim_ns < one_row.sim_ns);
    std::filesystem::remove_all(dir);
}

TEST_CASE("decoder.model rtl refuses overflow tables and declared tables with a clear error",
          "[systemc][rtl]") {
    const std::string dir = coded_dir("overflow", 0.02);
    test::fresh_systemc();
    CHECK_THROWS_WITH(
        simulate(config(dir, {"decoder.model=rtl"})),
        Catch::Contains("decoder.model: rtl does not support tables with overflow rows"));
    json tree = {{"memory", test::preset("ddr4_3200.json")},
                 {"table", {{"rows", 1000}, {"dim", 16}, {"row_bits", 100}}},
                 {"decoder", {{"model", "rtl"}}}};
    CHECK_THROWS_WITH(simulate(parse_config(tree)),
                      Catch::Contains("decoder.model: rtl needs a coded table"));
    tree["decoder"]["model"] = "verilog";
    CHECK_THROWS_WITH(parse_config(tree), "decoder.model: must be cpp or rtl, got \"verilog\"");
    std::filesystem::remove_all(dir);
}
