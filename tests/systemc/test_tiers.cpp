// SPDX-License-Identifier: MIT
// Many tables in memory tiers: hot-first placement by hand, the row cache against an independent
// LRU, the fits-nowhere error, and one run per stage that makes that stage the bottleneck.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <list>
#include <map>
#include <random>

#include "embzip/errors.hpp"
#include "embzip_sim/simulate.hpp"
#include "embzip_sim/tiers.hpp"
#include "sim_test_util.hpp"

using namespace embzip::sim;
using nlohmann::json;

namespace {

TierSpec sram_tier(uint64_t bytes) {
    TierSpec t;
    t.name = "sram";
    t.sram = true;
    t.sram_spec.capacity_bytes = bytes;
    return t;
}

TierSpec ddr4_tier() {
    TierSpec t;
    t.name = "ddr4";
    t.dram = test::memory("ddr4_3200.json");
    return t;
}

StreamSpec uniform(uint64_t pooling) {
    StreamSpec s;
    s.pooling_factor = pooling;
    return s;
}

SimConfig parse(json tree, const std::vector<std::string>& sets = {}) {
    for (const auto& s : sets) apply_override(tree, s);
    return parse_config(tree);
}

// One small plain-table run on DDR4 (64-byte rows) with the given overrides.
SimConfig small_run(const std::vector<std::string>& sets) {
    json tree = {
        {"memory", test::preset("ddr4_3200.json")},
        {"table", {{"rows", 1000000}, {"dim", 64}, {"row_bits", 400}}},
        {"stream",
         {{"batches", 1}, {"batch_size", 64}, {"pooling_factor", 8}, {"max_outstanding", 64}}}};
    return parse(tree, sets);
}

std::string stages(const SystemResult& r) {
    std::string s;
    for (const StageUtil& st : r.stages)
        s += st.stage + (st.where.empty() ? "" : "@" + st.where) + "=" + std::to_string(st.util) +
             " ";
    return s;
}

}  // namespace

TEST_CASE("hot-first placement of two uniform tables: the hotter table first, the other spills",
          "[systemc][tiers]") {
    // A: 100 rows, 1 lookup a sample -> 0.01 per row; B: 10 rows, 1 a sample -> 0.1 per row.
    // 64-byte slots. The SRAM holds 1032 bytes, 2 x 16 reserved for alignment: B's 10 rows
    // (640 bytes) and 5 of A's (320); A's other 95 rows go to DDR4.
    const RankModel ra(uniform(1), 100), rb(uniform(1), 10);
    const std::vector<PlacedTable> tables = {{100, 512, 0, &ra}, {10, 512, 0, &rb}};
    const auto p = place_hot_first(tables, {sram_tier(1032), ddr4_tier()}, "plain");
    REQUIRE(p[0].parts.size() == 2);
    CHECK(p[0].parts[0].tier == 0);
    CHECK(p[0].parts[0].first == 0);
    CHECK(p[0].parts[0].rows == 5);
    CHECK(p[0].parts[0].base == 0);
    CHECK(p[0].parts[1].tier == 1);
    CHECK(p[0].parts[1].first == 5);
    CHECK(p[0].parts[1].rows == 95);
    CHECK(p[0].parts[1].base == 0);
    REQUIRE(p[1].parts.size() == 1);
    CHECK(p[1].parts[0].tier == 0);
    CHECK(p[1].parts[0].rows == 10);
    CHECK(p[1].parts[0].base == 320);
    CHECK(p[1].parts[0].bytes == 640);
}

TEST_CASE("hot-first placement of a Zipf and a uniform table follows the frequencies",
          "[systemc][tiers]") {
    // Z: Zipf(1) over 1000 rows, 2 lookups a sample: rank k has 2 / ((k + 1) H_1000), H_1000 =
    // 7.485: 0.267, 0.134, 0.089, ... U: 10 rows at 0.1 each. SRAM 799 bytes - 32 reserved = 767:
    // Z's ranks 0 and 1 (128 bytes), then 9 of U's rows (576 bytes); U's row 9 (64 more, 768 in
    // all) and Z's rank 2 (0.089, also 64) no longer fit.
    StreamSpec z = uniform(2);
    z.distribution = Distribution::Zipf;
    z.zipf_alpha = 1.0;
    const RankModel rz(z, 1000), ru(uniform(1), 10);
    CHECK(rz.frequency(0) == Approx(2.0 / 7.4854708606).epsilon(1e-6));
    CHECK(rz.frequency(2) < ru.frequency(0));
    CHECK(rz.frequency(1) > ru.frequency(0));
    const auto p = place_hot_first({{1000, 512, 0, &rz}, {10, 512, 0, &ru}},
                                   {sram_tier(799), ddr4_tier()}, "coded");
    REQUIRE(p[0].parts.size() == 2);
    CHECK(p[0].parts[0].rows == 2);
    CHECK(p[0].parts[1].first == 2);
    CHECK(p[0].parts[1].rows == 998);
    REQUIRE(p[1].parts.size() == 2);
    CHECK(p[1].parts[0].tier == 0);
    CHECK(p[1].parts[0].rows == 9);
    CHECK(p[1].parts[1].tier == 1);
    CHECK(p[1].parts[1].rows == 1);

    // Routing: the row of Zipf rank 0 is row 0, rank 1 is row 2654435761 mod 1000 = 761
    // (coprime with 1000); both in the SRAM, and rank 2's row in DDR4.
    TableModel tz, tu;
    tz.rows = 1000, tz.dim = 64, tz.row_bits = tz.pitch_bits = 512;
    tu.rows = 10, tu.dim = 64, tu.row_bits = tu.pitch_bits = 512;
    MemoryMap map({&tz, &tu}, {&rz, &ru}, p, {sram_tier(799), ddr4_tier()}, PlacementSpec{});
    CHECK(rz.rank(761) == 1);
    CHECK(tier_of(map.row(0, RowId{0}).address) == 0);
    CHECK(tier_of(map.row(0, RowId{761}).address) == 0);
    CHECK(tier_of(map.row(0, RowId{(2 * 761) % 1000}).address) == 1);
    CHECK(tier_of(map.row(1, RowId{8}).address) == 0);
    CHECK(tier_of(map.row(1, RowId{9}).address) == 1);
    CHECK(map.served()[0][0] == 2);
    CHECK(map.served()[0][1] == 1);
}

TEST_CASE("tables that fit nowhere: one error naming the system, the bytes needed and the capacity",
          "[systemc][tiers]") {
    test::fresh_systemc();
    // 300 M rows x 128 bytes plain = 38.4 GB; coded W = 640 bits: 24 GB. One DDR4 channel with
    // 2 ranks holds 16 GiB: neither fits.
    json tree = {{"memory", test::preset("ddr4_3200.json")},
                 {"table", {{"rows", 300000000}, {"dim", 128}, {"row_bits", 640}}}};
    CHECK_THROWS_WITH(
        simulate(parse(tree)),
        Catch::Contains("tiers: the coded system's tables need 24000000000 bytes, its tiers hold "
                        "17179869184 bytes"));
    // With 2 channels (32 GiB) the coded table fits and the plain one does not.
    test::fresh_systemc();
    CHECK_THROWS_WITH(
        simulate(parse(tree, {"memory.channels=2"})),
        Catch::Contains("the plain (byte pitch) system's tables need 38400000000 bytes"));
}

TEST_CASE("the SRAM row cache: hits on a fixed trace equal an independent LRU count",
          "[systemc][tiers]") {
    test::fresh_systemc();
    // A trace of 4000 lookups over 64 rows, skewed so there are hits and misses.
    std::filesystem::create_directories(std::filesystem::temp_directory_path() /
                                        "embzip_tiers_test");
    const std::string trace =
        (std::filesystem::temp_directory_path() / "embzip_tiers_test" / "trace.txt").string();
    std::vector<uint64_t> rows;
    {
        std::mt19937_64 rng(3);
        std::ofstream out(trace);
        for (int i = 0; i < 4000; ++i) {
            const uint64_t r = (rng() % 4 == 0) ? rng() % 64 : rng() % 12;
            rows.push_back(r);
            out << r << "\n";
        }
    }
    // Coded: W = 400 bits, 50-byte lines; 16 lines in 800 bytes, 4 ways -> 4 sets, set = row mod 4.
    json tree = {
        {"tiers", json::array({{{"kind", "sram"}, {"capacity_bytes", 800}},
                               {{"kind", "dram"}, {"memory", test::preset("ddr4_3200.json")}}})},
        {"placement", {{"policy", "cache"}, {"ways", 4}, {"warmup", false}}},
        {"table", {{"rows", 64}, {"dim", 64}, {"row_bits", 400}}},
        {"stream",
         {{"distribution", "trace"},
          {"trace_file", trace},
          {"batches", 1},
          {"batch_size", 500},
          {"pooling_factor", 8},
          {"max_outstanding", 32}}}};
    const SimResult r = simulate(parse(tree));
    // The independent count: one std::list per set, most recent first.
    std::map<uint64_t, std::list<uint64_t>> sets;
    uint64_t hits = 0;
    for (uint64_t row : rows) {
        auto& l = sets[row % 4];
        auto it = std::find(l.begin(), l.end(), row);
        if (it != l.end()) {
            ++hits;
            l.erase(it);
        } else if (l.size() == 4) {
            l.pop_back();
        }
        l.push_front(row);
    }
    CHECK(r.compressed.has_cache);
    CHECK(r.compressed.cache_hits + r.compressed.cache_misses == 4000);
    CHECK(r.compressed.cache_hits == hits);
    CHECK(r.compressed.tiers[0].reads == hits);
    CHECK(r.compressed.tiers[1].reads == 4000 - hits);
    // The plain rows are 64 bytes: 12 lines, 3 sets of 4 ways: fewer hits than coded.
    REQUIRE(r.baseline);
    CHECK(r.baseline->cache_hits < r.compressed.cache_hits);
}

TEST_CASE("bottleneck: decoder lanes when there is one lane", "[systemc][tiers]") {
    test::fresh_systemc();
    const SimResult r = simulate(small_run({"decoder.lanes=1"}));
    INFO(stages(r.compressed));
    CHECK(r.compressed.bottleneck == "decoder_lanes");
}

TEST_CASE("bottleneck: the decoder FIFO when it has one slot", "[systemc][tiers]") {
    test::fresh_systemc();
    const SimResult r = simulate(small_run({"decoder.lanes=64", "decoder.fifo_rows=1"}));
    INFO(stages(r.compressed));
    CHECK(r.compressed.bottleneck == "decoder_fifo");
}

TEST_CASE("bottleneck: pooling when it runs at 10 MHz", "[systemc][tiers]") {
    test::fresh_systemc();
    const SimResult r = simulate(small_run({"decoder.lanes=64", "pooling.clock_ghz=0.01"}));
    INFO(stages(r.compressed));
    CHECK(r.compressed.bottleneck == "pooling");
}

TEST_CASE("bottleneck: requests in flight with one outstanding request", "[systemc][tiers]") {
    test::fresh_systemc();
    const SimResult r = simulate(small_run({"decoder.lanes=64", "stream.max_outstanding=1"}));
    REQUIRE(r.baseline);
    INFO(stages(*r.baseline));
    CHECK(r.baseline->bottleneck == "requests_in_flight");
}

TEST_CASE("bottleneck: the data bus when rows are long and contiguous", "[systemc][tiers]") {
    test::fresh_systemc();
    // 1 KiB rows: 16 bursts of one DRAM row each (columns lowest): one ACT feeds 16 reads.
    json tree = {
        {"memory", test::preset("ddr4_3200.json")},
        {"table", {{"rows", 100000}, {"dim", 1024}, {"row_bits", 6000}}},
        {"stream",
         {{"batches", 1}, {"batch_size", 32}, {"pooling_factor", 8}, {"max_outstanding", 64}}}};
    const SimResult r = simulate(parse(tree, {"decoder.lanes=64"}));
    REQUIRE(r.baseline);
    INFO(stages(*r.baseline));
    CHECK(r.baseline->bottleneck == "data_bus");
}

TEST_CASE("bottleneck: activations for random 64-byte rows on HBM2", "[systemc][tiers]") {
    test::fresh_systemc();
    json tree = {
        {"memory", test::preset("hbm2.json")},
        {"table", {{"rows", 10000000}, {"dim", 64}, {"row_bits", 400}}},
        {"stream",
         {{"batches", 1}, {"batch_size", 256}, {"pooling_factor", 8}, {"max_outstanding", 512}}}};
    const SimResult r =
        simulate(parse(tree, {"decoder.lanes=64", "memory.queue_size=64", "pooling.clock_ghz=4"}));
    REQUIRE(r.baseline);
    INFO(stages(*r.baseline));
    CHECK(r.baseline->bottleneck == "activations");
}

TEST_CASE("bottleneck: DRAM banks when the memory has a single bank", "[systemc][tiers]") {
    test::fresh_systemc();
    const SimResult r =
        simulate(small_run({"decoder.lanes=64", "memory.bankgroups=1", "memory.banks_per_group=1",
                            "memory.ranks=1", "memory.rows=1048576"}));
    REQUIRE(r.baseline);
    INFO(stages(*r.baseline));
    CHECK(r.baseline->bottleneck == "dram_banks");
}

TEST_CASE("bottleneck: SRAM banks when the SRAM has one narrow bank", "[systemc][tiers]") {
    test::fresh_systemc();
    json tree = {
        {"tiers",
         json::array(
             {{{"kind", "sram"}, {"capacity_mb", 128}, {"banks", 1}, {"bytes_per_cycle", 1}},
              {{"kind", "dram"}, {"memory", test::preset("ddr4_3200.json")}}})},
        {"table", {{"rows", 1000000}, {"dim", 64}, {"row_bits", 400}}},
        {"stream",
         {{"batches", 1}, {"batch_size", 16}, {"pooling_factor", 8}, {"max_outstanding", 64}}}};
    const SimResult r = simulate(parse(tree, {"decoder.lanes=64"}));
    INFO(stages(r.compressed));
    CHECK(r.compressed.tiers[0].share == 1.0);
    CHECK(r.compressed.bottleneck == "sram_banks");
    REQUIRE(r.baseline);
    CHECK(r.baseline->bottleneck == "sram_banks");
}

TEST_CASE("every row in SRAM: no DRAM ratio (null, n/a), not 0/0", "[systemc][tiers]") {
    test::fresh_systemc();
    json tree = {
        {"tiers", json::array({{{"kind", "sram"}, {"capacity_mb", 1}},
                               {{"kind", "dram"}, {"memory", test::preset("hbm2.json")}}})},
        {"table", {{"rows", 1000}, {"dim", 64}, {"row_bits", 400}}},
        {"stream", {{"batches", 1}, {"batch_size", 16}}}};
    const SimResult r = simulate(parse(tree));
    REQUIRE(r.baseline);
    CHECK(r.baseline->dram_bytes == 0);
    const json j = to_json(r);
    CHECK(j["dram_bytes_ratio"].is_null());
    CHECK(j["dram_bandwidth_ratio"].is_null());
    const std::string text = summary_text(r);
    CHECK(text.find("DRAM bytes per lookup n/a (plain reads no DRAM)") != std::string::npos);
    CHECK(text.find("nan") == std::string::npos);
}

TEST_CASE("many tables: every sample gathers pooling-factor rows from each table",
          "[systemc][tiers]") {
    test::fresh_systemc();
    json tree = {
        {"memory", test::preset("hbm2.json")},
        {"tables",
         json::array(
             {{{"name", "a"}, {"rows", 1000}, {"dim", 128}, {"saving", 0.2}, {"pooling_factor", 3}},
              {{"name", "b"},
               {"rows", 50},
               {"dim", 64},
               {"value_type", "bf16"},
               {"saving", 0.3},
               {"pooling_factor", 1},
               {"distribution", "zipf"}}})},
        {"stream", {{"batches", 1}, {"batch_size", 10}, {"max_outstanding", 16}}}};
    const SimConfig c = parse(tree);
    REQUIRE(c.tables.size() == 2);
    CHECK(c.tables[0].spec.row_bits == 820);  // ceil(1024 x 0.8)
    CHECK(c.tables[1].spec.row_bits == 717);  // ceil(64 x 16 x 0.7)
    CHECK(c.tables[1].stream.distribution == Distribution::Zipf);
    const SimResult r = simulate(c);
    CHECK(r.compressed.lookups == 40);
    CHECK(r.compressed.samples == 10);
    REQUIRE(r.compressed.tables.size() == 2);
    uint64_t a = 0, b = 0;
    for (uint64_t v : r.compressed.tables[0].reads_per_tier) a += v;
    for (uint64_t v : r.compressed.tables[1].reads_per_tier) b += v;
    CHECK(a == 30);
    CHECK(b == 10);
    CHECK(r.compressed.tables[1].rows == 50);
    REQUIRE(r.baseline);
    CHECK(r.baseline->tables[1].pitch_bits == 1024);  // 64 bf16 values
}

TEST_CASE("tables and tiers keys: errors name the entry's key path", "[systemc][tiers]") {
    json tree = {{"memory", test::preset("hbm2.json")},
                 {"tables", json::array({{{"rows", 0}, {"dim", 128}, {"row_bits", 800}}})}};
    CHECK_THROWS_WITH(parse(tree), Catch::Contains("tables.0.rows: must be >= 1, got 0"));
    tree["tables"][0] = {{"rows", 10}, {"dim", 128}, {"row_bits", 800}, {"colour", 1}};
    CHECK_THROWS_WITH(parse(tree), Catch::Contains("tables.0.colour: unknown key"));
    json t2 = {{"tiers", json::array({{{"kind", "sram"}, {"capacity_mb", 4}}})},
               {"table", {{"rows", 10}, {"dim", 128}, {"row_bits", 800}}}};
    CHECK_THROWS_WITH(parse(t2), Catch::Contains("tiers: needs at least one dram tier"));
    t2["tiers"][0]["banks"] = 0;
    t2["tiers"].push_back({{"kind", "dram"}, {"memory", test::preset("hbm2.json")}});
    CHECK_THROWS_WITH(parse(t2), Catch::Contains("tiers.0.banks: must be >= 1, got 0"));
    t2["tiers"][0]["banks"] = 4;
    {
        json bad = t2;
        bad["tiers"][0]["kind"] = "flash";
        CHECK_THROWS_WITH(parse(bad), Catch::Contains("tiers.0.kind: must be sram or dram"));
        bad = t2;
        bad["tiers"][0]["capacity_bytes"] = 4096;  // and capacity_mb
        CHECK_THROWS_WITH(parse(bad), Catch::Contains("tiers.0: an sram tier needs"));
        bad = t2;
        bad["tiers"][1]["banks"] = 4;  // an sram key on a dram tier
        CHECK_THROWS_WITH(parse(bad), Catch::Contains("tiers.1.banks: unknown key"));
        bad = t2;
        bad["tiers"][1]["channels"] = 0;  // checked by the memory schema
        CHECK_THROWS_WITH(parse(bad), Catch::Contains("tiers.1.memory.channels: must be >= 1"));
        bad = t2;
        bad["placement"] = {{"policy", "lru"}};
        CHECK_THROWS_WITH(parse(bad),
                          Catch::Contains("placement.policy: must be hot_first or cache"));
        bad["placement"] = {{"ways", 0}};
        CHECK_THROWS_WITH(parse(bad), Catch::Contains("placement.ways: must be >= 1, got 0"));
        bad["placement"] = {{"warm", true}};
        CHECK_THROWS_WITH(parse(bad), Catch::Contains("placement.warm: unknown key"));
    }
    tree["tables"][0] = {{"dim", 128}, {"rows", 10}, {"saving", 1.0}};
    CHECK_THROWS_WITH(parse(tree), Catch::Contains("tables.0.saving: must be < 1, got 1.0"));
    tree["tables"][0] = {{"dim", 128}, {"rows", 10}, {"saving", 0.1}, {"value_type", "int4"}};
    CHECK_THROWS_WITH(parse(tree), Catch::Contains("tables.0.value_type: must be int8, uint8, "
                                                   "bf16, fp16 or fp32, got \"int4\""));
    tree["tables"][0]["value_type"] = "bf16";
    CHECK(parse(tree).tables[0].spec.row_bits == 1844);  // ceil(128 x 16 bits x 0.9)
    // --set reaches list elements by index.
    const SimConfig c = parse(t2, {"tiers.0.capacity_mb=16", "tiers.1.channels=2"});
    CHECK(c.tiers[0].sram_spec.capacity_bytes == 16u * 1024 * 1024);
    CHECK(c.tiers[1].dram.channels == 2);
}

TEST_CASE("the shipped DLRM config and the studies parse, the 26 tables are MLPerf DLRM-DCNv2's",
          "[systemc][tiers]") {
    const std::string dir = std::string(EMBZIP_SOURCE_DIR) + "/sim_configs/";
    const SimConfig c = parse_config(load_config_tree(dir + "mlperf_dlrm.json", {}));
    REQUIRE(c.tables.size() == 26);
    uint64_t rows = 0, pooling = 0;
    for (const TableEntry& t : c.tables) {
        rows += t.spec.rows;
        pooling += t.stream.pooling_factor;
        CHECK(t.spec.dim == 128);
        CHECK(t.spec.row_bits == 907);  // saving 0.115: minimax8 on data/glove100_int8_50k.npy
    }
    CHECK(rows == 204184588);
    CHECK(pooling == 214);
    CHECK(c.tables[20].stream.pooling_factor == 100);
    for (const char* f : {"dlrm_hbm2_ddr4.json", "dlrm_sram_hot.json", "dlrm_sram_cache.json",
                          "dlrm_hbm2_ddr4_16gb.json", "glove_sram.json"}) {
        INFO(f);
        CHECK_NOTHROW(parse_config(load_config_tree(dir + "studies/" + f, {})));
    }
}

TEST_CASE("print-config of a tiered cache config: placement defaults filled, reads back the same",
          "[systemc][tiers][config]") {
    const std::string dir = std::string(EMBZIP_SOURCE_DIR) + "/sim_configs/studies/";
    const json tree = load_config_tree(dir + "dlrm_sram_cache.json", {});
    const json printed = resolved_config_json(parse_config(tree), tree);
    CHECK(printed["placement"]["policy"] == "cache");
    CHECK(printed["placement"]["ways"] == PlacementSpec::kWays);  // not in the file: the default
    CHECK(printed["stream"]["trace_file"] == "");
    // Written to a file in another folder and loaded as a user would: an empty trace_file stays
    // empty (it once became that folder's path).
    const auto tmp = std::filesystem::temp_directory_path() / "embzip_print_config_test";
    std::filesystem::create_directories(tmp);
    const std::string path = (tmp / "printed.json").string();
    std::ofstream(path) << printed.dump(2);
    const json again_tree = load_config_tree(path, {});
    CHECK(resolved_config_json(parse_config(again_tree), again_tree) == printed);
    std::filesystem::remove_all(tmp);
}
