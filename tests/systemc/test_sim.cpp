// SPDX-License-Identifier: MIT
// End-to-end SystemC runs: source -> decoder pipeline -> memory over TLM-2.0 sockets.
#include <catch2/catch.hpp>

#include "embzip_sim/modules.hpp"
#include "embzip_sim/simulate.hpp"
#include "sim_test_util.hpp"

using namespace embzip::sim;
using nlohmann::json;

namespace {

SimConfig config(const json& table, const std::vector<std::string>& sets) {
    json tree = {{"memory", test::preset("ddr4_3200.json")}, {"table", table}};
    for (const auto& s : sets) apply_override(tree, s);
    return parse_config(tree);
}

}  // namespace

TEST_CASE("one isolated lookup of a plain 64-byte row: 30 ns of DRAM plus one pooling cycle", "[systemc][sim]") {
    test::fresh_systemc();
    const SimConfig c = config({{"rows", 1024}, {"dim", 64}, {"row_bits", 400}},
                               {"stream.batches=1", "stream.batch_size=1", "stream.pooling_factor=1",
                                "stream.distribution=sequential"});
    const SimResult r = simulate(c);
    REQUIRE(r.baseline);
    CHECK(r.baseline->lookups == 1);
    CHECK(r.baseline->latency.max == Approx(31.0));
    CHECK(r.baseline->dram_bytes == 64);
    // Compressed: the same read, then the lane (input + pipeline + decode steps) and pooling.
    const TableModel t = build_compressed_table(c);
    CHECK(r.compressed.latency.max == Approx(30.0 + t.uniform_cycles + 1.0));
}

TEST_CASE("too few decoder lanes make the decoder the bottleneck, many make it memory", "[systemc][sim]") {
    test::fresh_systemc();
    const json table = {{"rows", 1000000}, {"dim", 128}, {"row_bits", 900}};
    const std::vector<std::string> stream = {"stream.batches=2", "stream.batch_size=64", "stream.pooling_factor=32",
                                             "stream.max_outstanding=256", "decoder.fifo_rows=64"};
    auto few = stream, many = stream;
    few.push_back("decoder.lanes=2");
    many.push_back("decoder.lanes=128");
    const TableModel t = build_compressed_table(config(table, few));
    const StreamSpec s = config(table, few).stream;
    const DramConfig m = config(table, few).memory;
    SimSystem a("few", t, s, pipeline_timing(config(table, few)), m, 1000000, nullptr);
    SimSystem b("many", t, s, pipeline_timing(config(table, many)), m, 1000000, nullptr);
    sc_core::sc_start();
    const double lanes_few = double(a.pipeline->core().lane_busy_ps()) / (2.0 * a.source->end_ps());
    const double lanes_many = double(b.pipeline->core().lane_busy_ps()) / (128.0 * b.source->end_ps());
    INFO("decoder utilisation few " << lanes_few << ", many " << lanes_many);
    CHECK(lanes_few > 0.95);
    CHECK(lanes_many < 0.5);
    CHECK(b.source->end_ps() < a.source->end_ps());
}

TEST_CASE("bottleneck report: decoder with 1 lane, memory with 64", "[systemc][sim]") {
    test::fresh_systemc();
    const SimConfig c = config({{"rows", 1000000}, {"dim", 128}, {"row_bits", 900}},
                               {"stream.batches=2", "stream.batch_size=64", "stream.max_outstanding=256",
                                "decoder.lanes=1", "decoder.fifo_rows=64"});
    const SimResult r = simulate(c);
    CHECK(r.compressed.bottleneck == "decoder");
    CHECK(r.compressed.decoder_util > 0.95);
    REQUIRE(r.baseline);
    CHECK(r.baseline->bottleneck == "memory");
}

TEST_CASE("bottleneck report: memory when the decoder has many lanes", "[systemc][sim]") {
    test::fresh_systemc();
    const SimConfig c = config({{"rows", 1000000}, {"dim", 128}, {"row_bits", 900}},
                               {"stream.batches=2", "stream.batch_size=64", "stream.max_outstanding=256",
                                "decoder.lanes=64", "decoder.fifo_rows=128"});
    const SimResult r = simulate(c);
    CHECK(r.compressed.bottleneck == "memory");
    CHECK(r.compressed.memory_util > 0.95);
    CHECK(r.compressed.decoder_util < 0.9);
}

TEST_CASE("burst-aligned, memory-bound: compressed gain approaches 1 / (1 - saving)", "[systemc][sim]") {
    test::fresh_systemc();
    // 256-byte rows = 4 bursts; W = 1536 bits = 3 bursts: saving 25 %, ideal gain 4/3.
    const SimConfig c = config({{"rows", 4000000}, {"dim", 256}, {"row_bits", 1536}, {"pitch", "burst"}},
                               {"baseline.pitch=burst", "decoder.lanes=64", "decoder.fifo_rows=256",
                                "stream.max_outstanding=256", "stream.batches=4", "stream.batch_size=64"});
    const SimResult r = simulate(c);
    REQUIRE(r.baseline);
    const double gain = r.compressed.lookups_per_s / r.baseline->lookups_per_s;
    INFO("gain " << gain << ", bottleneck " << r.compressed.bottleneck);
    CHECK(r.compressed.bottleneck == "memory");
    CHECK(double(r.compressed.dram_bytes) / r.compressed.lookups == Approx(192.0));
    CHECK(double(r.baseline->dram_bytes) / r.baseline->lookups == Approx(256.0));
    CHECK(gain == Approx(4.0 / 3.0).epsilon(0.05));
}

TEST_CASE("results do not depend on the memory's run-ahead quantum", "[systemc][sim]") {
    test::fresh_systemc();
    const SimConfig c = config({{"rows", 200000}, {"dim", 100}, {"row_bits", 700}, {"overflow_fraction", 0.05}},
                               {"stream.batches=1", "stream.batch_size=64", "stream.distribution=zipf"});
    const TableModel t = build_compressed_table(c);
    const PipelineTiming p = pipeline_timing(c);
    SimSystem exact("exact", t, c.stream, p, c.memory, 0, nullptr);
    SimSystem ahead("ahead", t, c.stream, p, c.memory, 50000000, nullptr);
    sc_core::sc_start();
    CHECK(exact.source->completed() == c.stream.lookups());
    CHECK(exact.source->end_ps() == ahead.source->end_ps());
    CHECK(exact.source->latencies_ns() == ahead.source->latencies_ns());
    CHECK(exact.pipeline->core().overflow_reads() == ahead.pipeline->core().overflow_reads());
}

TEST_CASE("overflow rows cost a second read of the raw row", "[systemc][sim]") {
    test::fresh_systemc();
    const SimConfig c = config({{"rows", 100000}, {"dim", 64}, {"row_bits", 400}, {"overflow_fraction", 0.2},
                                {"pitch", "burst"}},
                               {"stream.batches=1", "stream.batch_size=128"});
    const SimResult r = simulate(c);
    const double f = double(r.compressed.overflow_reads) / r.compressed.lookups;
    CHECK(f == Approx(0.2).margin(0.03));
    // 512-bit slots: one burst, plus one burst for each overflowing 64-byte raw row.
    CHECK(double(r.compressed.dram_bytes) / r.compressed.lookups == Approx(64.0 * (1.0 + f)));
}
