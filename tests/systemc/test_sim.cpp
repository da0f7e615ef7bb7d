// SPDX-License-Identifier: MIT
// End-to-end SystemC runs: source -> decoder pipeline -> memory over TLM-2.0 sockets.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include "embzip/errors.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip_sim/modules.hpp"
#include "embzip_sim/simulate.hpp"
#include "sim_test_util.hpp"

using namespace embzip::sim;
using nlohmann::json;

namespace {

// A small int8 table coded by minimax8 with 1 % overflow rows, written to a fresh directory:
// narrow values except `noisy` rows of uniform bytes, which are the ones that overflow.
embzip::CodedTable coded_overflow_table(const std::string& dir, uint64_t rows, uint64_t noisy) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> narrow(0.0, 3.0),
        wide(0.0, 30.0);  // two kinds of rows: two books
    embzip::Table t;
    t.rows = rows;
    t.dim = 64;
    t.bytes.resize(rows * t.dim);
    for (uint64_t i = 0; i < rows; ++i)
        for (uint32_t k = 0; k < t.dim; ++k)
            t.bytes[i * t.dim + k] =
                i % (rows / noisy) == 3
                    ? uint8_t(rng())
                    : uint8_t(int8_t(
                          std::clamp(std::lround(i % 2 ? wide(rng) : narrow(rng)), -127L, 127L)));
    embzip::MethodOptions o;
    o.iterations = 5000;
    o.mwu_iterations = 60;
    o.overflow = 0.01;
    o.books = 2;
    const embzip::CodeResult r = embzip::run_method(embzip::Method::Minimax8, t, o);
    REQUIRE(r.overflow.enabled);
    std::filesystem::create_directories(dir);
    embzip::CodedTable coded = embzip::encode_table(t, r);
    embzip::write_ezt(dir + "/table.ezt", coded);
    return coded;
}

SimConfig config(const json& table, const std::vector<std::string>& sets) {
    json tree = {{"memory", test::preset("ddr4_3200.json")}, {"table", table}};
    for (const auto& s : sets) apply_override(tree, s);
    return parse_config(tree);
}

}  // namespace

// The read takes 30 ns (tRCD + CL + BL/2 = 48 cycles) plus the controller's cycle from its
// transaction queue to the bank's command queue: its data is in at 30.625 ns, the next 1 GHz edge
// is 31 ns.
TEST_CASE("one isolated lookup of a plain 64-byte row: 30 ns of DRAM plus one pooling cycle",
          "[systemc][sim]") {
    test::fresh_systemc();
    const SimConfig c = config({{"rows", 1024}, {"dim", 64}, {"row_bits", 400}},
                               {"stream.batches=1", "stream.batch_size=1",
                                "stream.pooling_factor=1", "stream.distribution=sequential"});
    const SimResult r = simulate(c);
    REQUIRE(r.baseline);
    CHECK(r.baseline->lookups == 1);
    CHECK(r.baseline->latency.max == Approx(32.0));
    CHECK(r.baseline->dram_bytes == 64);
    // Compressed: the same read, then the lane (input + pipeline + decode steps) and pooling.
    const TableModel t = build_compressed_table(c);
    CHECK(r.compressed.latency.max == Approx(31.0 + t.uniform_cycles + 1.0));
}

TEST_CASE("too few decoder lanes make the decoder the bottleneck, many make it memory",
          "[systemc][sim]") {
    test::fresh_systemc();
    const json table = {{"rows", 1000000}, {"dim", 128}, {"row_bits", 900}};
    const std::vector<std::string> stream = {"stream.batches=2", "stream.batch_size=64",
                                             "stream.pooling_factor=32",
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
    const double lanes_many =
        double(b.pipeline->core().lane_busy_ps()) / (128.0 * b.source->end_ps());
    INFO("decoder utilisation few " << lanes_few << ", many " << lanes_many);
    CHECK(lanes_few > 0.95);
    CHECK(lanes_many < 0.5);
    CHECK(b.source->end_ps() < a.source->end_ps());
}

TEST_CASE("bottleneck report: decoder with 1 lane, memory with 64", "[systemc][sim]") {
    test::fresh_systemc();
    const SimConfig c =
        config({{"rows", 1000000}, {"dim", 128}, {"row_bits", 900}},
               {"stream.batches=2", "stream.batch_size=64", "stream.max_outstanding=256",
                "decoder.lanes=1", "decoder.fifo_rows=64"});
    const SimResult r = simulate(c);
    CHECK(r.compressed.bottleneck == "decoder_lanes");
    CHECK(r.compressed.decoder_util > 0.95);
    REQUIRE(r.baseline);
    CHECK(r.baseline->bottleneck == "data_bus");
}

TEST_CASE("bottleneck report: memory when the decoder has many lanes", "[systemc][sim]") {
    test::fresh_systemc();
    // The FIFO defaults to one slot per request in flight (256), so it does not limit.
    const SimConfig c = config({{"rows", 1000000}, {"dim", 128}, {"row_bits", 900}},
                               {"stream.batches=2", "stream.batch_size=64",
                                "stream.max_outstanding=256", "decoder.lanes=64"});
    const SimResult r = simulate(c);
    CHECK(r.compressed.bottleneck == "data_bus");
    CHECK(r.compressed.memory_util > 0.95);
    CHECK(r.compressed.decoder_util < 0.9);
}

TEST_CASE("burst-aligned, memory-bound: compressed gain approaches 1 / (1 - saving)",
          "[systemc][sim]") {
    test::fresh_systemc();
    // 256-byte rows = 4 bursts; W = 1536 bits = 3 bursts: saving 25 %, ideal gain 4/3.
    const SimConfig c =
        config({{"rows", 4000000}, {"dim", 256}, {"row_bits", 1536}, {"pitch", "burst"}},
               {"baseline.pitch=burst", "decoder.lanes=64", "decoder.fifo_rows=256",
                "stream.max_outstanding=256", "stream.batches=4", "stream.batch_size=64"});
    const SimResult r = simulate(c);
    REQUIRE(r.baseline);
    const double gain = r.compressed.lookups_per_s / r.baseline->lookups_per_s;
    INFO("gain " << gain << ", bottleneck " << r.compressed.bottleneck);
    CHECK(r.compressed.bottleneck == "data_bus");
    CHECK(double(r.compressed.dram_bytes) / r.compressed.lookups == Approx(192.0));
    CHECK(double(r.baseline->dram_bytes) / r.baseline->lookups == Approx(256.0));
    CHECK(gain == Approx(4.0 / 3.0).epsilon(0.05));
}

TEST_CASE("results do not depend on the memory's run-ahead quantum", "[systemc][sim]") {
    test::fresh_systemc();
    const SimConfig c =
        config({{"rows", 200000}, {"dim", 100}, {"row_bits", 700}, {"overflow_fraction", 0.05}},
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
    const SimConfig c =
        config({{"rows", 100000},
                {"dim", 64},
                {"row_bits", 400},
                {"overflow_fraction", 0.2},
                {"pitch", "burst"}},
               {"stream.batches=1", "stream.batch_size=128", "memory.read_merging=false"});
    const SimResult r = simulate(c);
    const double f = double(r.compressed.overflow_reads) / r.compressed.lookups;
    CHECK(f == Approx(0.2).margin(0.03));
    // 512-bit slots: one burst, plus one burst for each overflowing 64-byte raw row.
    CHECK(double(r.compressed.dram_bytes) / r.compressed.lookups == Approx(64.0 * (1.0 + f)));
}

TEST_CASE("a coded overflow table: flagged slots cost a second read at their raw row",
          "[systemc][sim]") {
    test::fresh_systemc();
    const std::string dir =
        (std::filesystem::temp_directory_path() / "embzip_sim_overflow").string();
    const embzip::CodedTable coded = coded_overflow_table(dir, 1000, 10);
    REQUIRE(coded.overflow_rows >= 1);
    // The overflowed rows, read straight from the slots' flag bits.
    std::set<uint64_t> flagged;
    for (uint64_t i = 0; i < coded.rows; ++i) {
        const uint64_t p = i * coded.pitch_bits;
        if ((coded.payload[p >> 3] >> (7 - (p & 7))) & 1) flagged.insert(i);
    }
    CHECK(flagged.size() == coded.overflow_rows);
    CHECK(coded.selector_bits == 1);  // two books: the selector follows the flag

    const SimConfig c =
        config({{"coded_dir", dir}}, {"stream.batches=4", "stream.batch_size=32",
                                      "stream.pooling_factor=16", "decoder.lanes=8"});
    const TableModel t = build_compressed_table(c);
    CHECK(t.row_bits == coded.row_bits);  // the flag is part of W already
    CHECK(t.bytes_in_memory() == t.overflow_base + coded.overflow_rows * coded.dim);
    for (uint64_t i = 0; i < coded.rows; ++i) {
        INFO("row " << i);
        REQUIRE(t.overflows(RowId{i}) == (flagged.count(i) == 1));
        if (!flagged.count(i)) continue;
        // The second read fetches this row's raw bytes: the region holds them at that offset.
        const ByteSpan s = t.overflow_span(RowId{i});
        CHECK(s.bytes == coded.dim);
        REQUIRE(s.address >= t.overflow_base);
        const uint64_t off = s.address - t.overflow_base;
        REQUIRE(off + coded.dim <= coded.overflow_region.size());
        CHECK(std::memcmp(coded.overflow_region.data() + off, t.row_data(RowId{i}), coded.dim) ==
              0);
    }
    // Batch code lengths: zero for flagged rows, row_code_lengths (selector after the flag) else.
    const std::vector<uint8_t> lens = all_code_lengths(coded);
    const size_t per = coded.dim;
    for (uint64_t i = 0; i < coded.rows; i += 37) {
        const std::vector<uint8_t> one = embzip::row_code_lengths(coded, i);
        const std::vector<uint8_t> batch(lens.begin() + i * per, lens.begin() + (i + 1) * per);
        if (flagged.count(i))
            CHECK(batch == std::vector<uint8_t>(per, 0));
        else
            CHECK(batch == one);
    }
    // Second reads = lookups (in the stream the simulator replays) that hit a flagged row.
    RequestProducer stream(c.stream, coded.rows);
    uint64_t expected = 0;
    for (uint64_t k = 0; k < stream.total(); ++k)
        expected += flagged.count(static_cast<uint64_t>(stream.next()));
    REQUIRE(expected > 0);
    const SimResult r = simulate(c);
    CHECK(r.compressed.overflow_reads == expected);
    REQUIRE(r.baseline);
    CHECK(r.baseline->overflow_reads == 0);
    // Both systems pooled the same rows: the coded table's sums (raw rows for the flagged ones)
    // equal the plain table's.
    CHECK(r.compressed.sum_checksum != 0);
    CHECK(r.compressed.sum_checksum == r.baseline->sum_checksum);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a declared overflow fraction on a coded overflow table is an error", "[systemc][sim]") {
    const std::string dir =
        (std::filesystem::temp_directory_path() / "embzip_sim_overflow_frac").string();
    coded_overflow_table(dir, 1000, 10);
    const SimConfig c = config({{"coded_dir", dir}, {"overflow_fraction", 0.01}}, {});
    CHECK_THROWS_WITH(build_compressed_table(c),
                      Catch::Contains("table.overflow_fraction: the coded table"));
    std::filesystem::remove_all(dir);
}
