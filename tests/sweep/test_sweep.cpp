// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "embzip/errors.hpp"
#include "embzip_sweep/expr.hpp"
#include "embzip_sweep/process.hpp"
#include "embzip_sweep/runner.hpp"
#include "embzip_sweep/spec.hpp"

namespace fs = std::filesystem;
using namespace embzip;
using namespace embzip::sweep;

namespace {

const std::string kSrc = EMBZIP_SOURCE_DIR;

Value eval(const std::string& text, const std::map<std::string, Value>& vars = {}) {
    return Expr::parse(text, "t").eval([&](const std::string& n) { return vars.at(n); });
}

Spec parse(const std::string& text) {
    return parse_spec(ojson::parse(text), kSrc + "/sim_configs/sweeps/test.json",
                      kSrc + "/sim_configs/sweeps");
}

std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const InputError& e) {
        return e.what();
    }
    return "no error";
}

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Tools test_tools() {
    Tools t;
    t.embzip = SWEEP_EMBZIP;
    t.sim = SWEEP_SIM;
    t.rtl = SWEEP_RTL;
    t.synth_sh = kSrc + "/scripts/synth.sh";
    t.asic_sh = kSrc + "/scripts/asic.sh";
    return t;
}

// A small simulated sweep of the default table: huffman8 codes fast, one short stream.
std::string small_spec(const std::string& lanes, const std::string& extra = "") {
    return R"J({"base": "../default.json",
        "fixed": {"encode.table": "../../data/glove100_int8_50k.npy", "encode.method": "huffman8",
                  "stream.batches": 1, "stream.batch_size": 16)J" +
           extra + R"J(},
        "axes": {"encode.max_code_len": [12, 16], "decoder.lanes": )J" +
           lanes + "}}";
}

std::vector<ojson> read_jsonl(const std::string& path) {
    std::vector<ojson> rows;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) rows.push_back(ojson::parse(line));
    return rows;
}

}  // namespace

TEST_CASE("expressions: arithmetic, comparisons, logic, strings", "[sweep]") {
    CHECK(std::get<double>(eval("1 + 2 * 3")) == 7);
    CHECK(std::get<double>(eval("(1 + 2) * 3")) == 9);
    CHECK(std::get<double>(eval("-2 - -3")) == 1);
    CHECK(std::get<double>(eval("S <= B / 4", {{"S", 2.0}, {"B", 8.0}})) == 1);
    CHECK(std::get<double>(eval("S <= B / 4", {{"S", 3.0}, {"B", 8.0}})) == 0);
    CHECK(std::get<double>(eval("not 1 or 0 and 1")) == 0);
    CHECK(std::get<double>(eval("not (1 == 2) and 3 != 4")) == 1);
    CHECK(std::get<double>(eval("arch == \"chain\"", {{"arch", std::string("chain")}})) == 1);
    CHECK(std::get<double>(eval("floor(7 / 2) + ceil(0.5) + min(3, 4) + max(3, 4) + log2(8)")) ==
          3 + 1 + 3 + 4 + 3);
    CHECK_THROWS_WITH(eval("1 +"), Catch::Contains("unexpected end"));
    CHECK_THROWS_WITH(eval("1 / 0"), Catch::Contains("division by zero"));
    CHECK_THROWS_WITH(eval("\"a\" + 1"), Catch::Contains("needs a number"));
    CHECK_THROWS_WITH(eval("system(1)"), Catch::Contains("unknown function 'system'"));
    CHECK_THROWS_WITH(eval("1 ; 2"), Catch::Contains("unexpected ';'"));
}

TEST_CASE("spec: product of axes, last axis fastest, ranges", "[sweep]") {
    const Spec s = parse(R"J({"base": "../default.json",
        "axes": {"decoder.lanes": {"from": 1, "to": 8, "mul": 2}, "decoder.fifo_rows": [8, 16]}})J");
    REQUIRE(s.points.size() == 8);
    CHECK(s.points[0].settings["decoder.lanes"] == 1);
    CHECK(s.points[0].settings["decoder.fifo_rows"] == 8);
    CHECK(s.points[1].settings["decoder.fifo_rows"] == 16);
    CHECK(s.points[1].settings["decoder.lanes"] == 1);
    CHECK(s.points[7].settings["decoder.lanes"] == 8);
    CHECK(s.keys == std::vector<std::string>{"decoder.lanes", "decoder.fifo_rows"});
    const Spec r = parse(
        R"J({"base": "../default.json", "axes": {"decoder.clock_ghz": {"from": 0.5, "to": 1.0, "step": 0.25}}})J");
    REQUIRE(r.points.size() == 3);
    CHECK(r.points[2].settings["decoder.clock_ghz"].get<double>() == Approx(1.0));
}

TEST_CASE("spec: zipped groups move together", "[sweep]") {
    const Spec s = parse(R"J({"base": "../default.json",
        "axes": {"lanes": [4, 8]},
        "zip": {"mem": {"memory": ["../ddr4_3200.json", "../hbm2.json"], "memory.queue_size": [16, 64]}}})J");
    REQUIRE(s.points.size() == 4);
    for (const Point& p : s.points) {
        const bool hbm = p.settings["memory"].get<std::string>().find("hbm2") != std::string::npos;
        CHECK(p.settings["memory.queue_size"] == (hbm ? 64 : 16));
        CHECK(fs::path(p.settings["memory"].get<std::string>()).is_absolute());
    }
    CHECK_THAT(
        error_of(
            R"J({"base": "../default.json", "zip": {"g": {"decoder.lanes": [1, 2], "decoder.fifo_rows": [4]}}})J"),
        Catch::Contains("zip.g.decoder.fifo_rows: has 1 values, the group's first key has 2"));
}

TEST_CASE("spec: filter and derived keys", "[sweep]") {
    const Spec s = parse(R"J({"base": "../default.json",
        "axes": {"arch": ["lut", "canonical"], "S": [1, 2, 4], "B": [8, 12, 16]},
        "filter": "S <= lut_bits / 4 and (arch == \"lut\" or S == 1)"})J");
    // lut: S <= B/4 -> B=8: S 1,2; B=12: 1,2; B=16: 1,2,4 -> 7; canonical: S=1 -> 3
    CHECK(s.points.size() == 10);
    CHECK(s.expanded == 18);
    const Spec d = parse(R"J({"base": "../declared_40m.json",
        "axes": {"param.values": [64, 128], "param.saving": [0.25, 0.5]},
        "let": {"table.dim": "values * 2", "table.row_bits": "floor(dim * 8 * (1 - saving))"}})J");
    REQUIRE(d.points.size() == 4);
    CHECK(d.points[3].settings["table.dim"] == 256);
    CHECK(d.points[3].settings["table.row_bits"] == 1024);
    CHECK(d.points[0].settings["table.row_bits"] == 768);
    CHECK_THAT(error_of(R"J({"base": "../default.json", "axes": {"S": [1]}, "filter": "Q > 1"})J"),
               Catch::Contains("filter: unknown name 'Q'"));
    CHECK_THAT(error_of(R"J({"base": "../default.json", "axes": {"S": [1]}, "filter": "S > 1"})J"),
               Catch::Contains("no point passes"));
}

TEST_CASE("spec: unknown keys and bad values are rejected naming the key path", "[sweep]") {
    CHECK_THAT(error_of(R"J({"base": "../default.json", "axex": {}})J"),
               Catch::Contains("axex: unknown key"));
    CHECK_THAT(error_of(R"J({"base": "../default.json", "axes": {"decoder.lanez": [1]}})J"),
               Catch::Contains("decoder.lanez"));
    CHECK_THAT(error_of(R"J({"base": "../default.json", "axes": {"decoder.lanes": [4, 0]}})J"),
               Catch::Contains("decoder.lanes") && Catch::Contains("point 1"));
    CHECK_THAT(
        error_of(
            R"J({"base": "../default.json", "fixed": {"encode.table": "../../data/glove100_int8_50k.npy"},
                          "axes": {"method": ["minimax8", "zip9"]}})J"),
        Catch::Contains("encode.method") && Catch::Contains("zip9"));
    CHECK_THAT(
        error_of(
            R"J({"base": "../default.json", "fixed": {"encode.table": "../../data/glove100_int8_50k.npy"},
                          "axes": {"encode.bookz": [1]}})J"),
        Catch::Contains("encode.bookz: unknown encoder key"));
    CHECK_THAT(error_of(R"J({"base": "../default.json", "axes": {"encode.books": [1, 17]}})J"),
               Catch::Contains("encode.books: expected an integer in [1, 16], got 17"));
    // The encoder's own bounds, not a copy of them: eta above MethodOptions::kMaxEta would pass
    // here and fail at run time; mwu_iterations 0 is a valid encoder setting.
    CHECK_THAT(
        error_of(
            R"J({"base": "../default.json", "fixed": {"encode.table": "../../data/glove100_int8_50k.npy"},
                          "axes": {"encode.eta": [0.05, 20]}})J"),
        Catch::Contains("encode.eta: expected a number in") && Catch::Contains("got 20"));
    CHECK(
        error_of(
            R"J({"base": "../default.json", "fixed": {"encode.table": "../../data/glove100_int8_50k.npy"},
                      "axes": {"encode.mwu_iterations": [0]}})J") == "no error");
    CHECK_THAT(error_of(R"J({"base": "../default.json", "axes": {"rtl.flow": ["yosys"]}})J"),
               Catch::Contains("rtl.flow: expected one of none, synth, asic"));
    CHECK_THAT(
        error_of(
            R"J({"base": "../default.json", "fixed": {"encode.table": "../../data/glove100_int8_50k.npy",
                          "rtl.flow": "synth", "rtl.clock_from_flow": true}})J"),
        Catch::Contains("rtl.clock_from_flow: only rtl.flow asic reports a maximum clock"));
    CHECK_THAT(error_of(R"J({"base": "../default.json", "fixed": {"rtl.clock_mhz": 100}})J"),
               Catch::Contains("rtl.clock_mhz: only rtl.flow asic reads it"));
    CHECK_THAT(
        error_of(R"J({"base": "../default.json", "axes": {"lanes": [1], "decoder.lanes": [2]}})J"),
        Catch::Contains("set more than once"));
    CHECK_THAT(
        error_of(
            R"J({"base": "../default.json", "axes": {"lanes": {"from": 4, "to": 1, "step": 1}}})J"),
        Catch::Contains("axes.lanes.to: must be >= from"));
}

TEST_CASE("runner: CSV columns and rows of a small end-to-end sweep", "[sweep][e2e]") {
    const std::string out = std::string(SWEEP_TEST_OUT) + "/csv";
    fs::remove_all(out);
    const Spec spec = parse(small_spec("[2, 8]"));
    RunOptions o;
    o.out_dir = out;
    o.jobs = 2;
    o.progress = false;
    const RunSummary r = run_sweep(spec, test_tools(), o);
    CHECK(r.points == 4);
    CHECK(r.failed == 0);
    CHECK(r.computed_steps == 2 + 4);  // two encodes, four simulations
    const std::string csv = read(out + "/results.csv");
    std::istringstream lines(csv);
    std::string header, line;
    std::getline(lines, header);
    size_t rows = 0;
    while (std::getline(lines, line)) ++rows;
    CHECK(rows == 4);
    for (const char* col :
         {"point", "status", "encode.max_code_len", "decoder.lanes", "code.row_bits", "code.saving",
          "code.total_bytes", "sim.lookups_per_s", "sim.speedup", "sim.latency_ns.p99",
          "sim.baseline.lookups_per_s", "sim.bottleneck", "wall_s", "version.embzip-sim"})
        CHECK_THAT("," + header + ",", Catch::Contains("," + std::string(col) + ","));
    const auto jl = read_jsonl(out + "/results.jsonl");
    REQUIRE(jl.size() == 4);
    CHECK(jl[3]["inputs"]["decoder.lanes"] == 8);
    CHECK(jl[3]["figures"]["sim.lookups_per_s"].get<double>() > 0);
    // 16 bits allow a narrower Huffman row than 12.
    CHECK(jl[2]["figures"]["code.row_bits"].get<int>() <=
          jl[0]["figures"]["code.row_bits"].get<int>());
}

TEST_CASE("runner: a re-run does no work, one changed axis reruns only its dependants",
          "[sweep][e2e]") {
    const std::string out = std::string(SWEEP_TEST_OUT) + "/cache";
    fs::remove_all(out);
    RunOptions o;
    o.out_dir = out;
    o.progress = false;
    const RunSummary first = run_sweep(parse(small_spec("[2, 8]")), test_tools(), o);
    CHECK(first.computed_steps == 6);
    auto without_cached = [&] {
        std::vector<ojson> rows = read_jsonl(out + "/results.jsonl");
        for (auto& r : rows) {
            CHECK(r.contains("cached"));
            r.erase("cached");
        }
        return rows;
    };
    const std::vector<ojson> before = without_cached();
    const RunSummary again = run_sweep(parse(small_spec("[2, 8]")), test_tools(), o);
    CHECK(again.computed_steps == 0);
    CHECK(again.cached_steps == 6);
    // Same rows from the cache (wall_s is the compute time recorded when the step ran).
    CHECK(without_cached() == before);
    for (const auto& r : read_jsonl(out + "/results.jsonl")) CHECK(r["cached"] == true);
    // One new lanes value: two new simulations (one per code), no encode.
    const RunSummary more = run_sweep(parse(small_spec("[2, 8, 4]")), test_tools(), o);
    CHECK(more.computed_steps == 2);
    // A simulator-only change of every point: four simulations, no encode.
    const RunSummary sim_only =
        run_sweep(parse(small_spec("[2, 8]", R"J(, "decoder.fifo_rows": 8)J")), test_tools(), o);
    CHECK(sim_only.computed_steps == 4);
}

TEST_CASE("runner: a failing point is recorded and the sweep goes on", "[sweep][e2e]") {
    const std::string out = std::string(SWEEP_TEST_OUT) + "/fail";
    fs::remove_all(out);
    // max code length 4 cannot code 256 symbols: that point's encode fails, the others run.
    const Spec spec = parse(R"J({"base": "../default.json",
        "fixed": {"encode.table": "../../data/glove100_int8_50k.npy", "encode.method": "huffman8",
                  "stream.batches": 1, "stream.batch_size": 16},
        "axes": {"encode.max_code_len": [12, 4, 16]}})J");
    RunOptions o;
    o.out_dir = out;
    o.jobs = 2;
    o.progress = false;
    const RunSummary r = run_sweep(spec, test_tools(), o);
    CHECK(r.points == 3);
    CHECK(r.failed == 1);
    const auto rows = read_jsonl(out + "/results.jsonl");
    REQUIRE(rows.size() == 3);
    CHECK(rows[0]["status"] == "ok");
    CHECK(rows[1]["status"] == "failed");
    CHECK_THAT(rows[1]["error"].get<std::string>(),
               Catch::StartsWith("encode: embzip encode exited 1: "));
    CHECK(rows[2]["status"] == "ok");
    CHECK(rows[2]["figures"].contains("sim.speedup"));
}

TEST_CASE("runner: Slurm chunks merged equal one local run", "[sweep][e2e]") {
    // The chunking and merge without a cluster (the real Slurm test is tests/sweep/slurm_test.sh).
    const std::string out = std::string(SWEEP_TEST_OUT) + "/chunks";
    fs::remove_all(out);
    const Spec spec = parse(small_spec("[2, 4, 8]"));
    const std::string sbatch = emit_slurm(spec, test_tools(), out, 4, "/bin/true", 1);
    CHECK_THAT(read(sbatch), Catch::Contains("#SBATCH --array=0-3"));
    RunOptions o;
    o.out_dir = out;
    o.progress = false;
    CHECK_THROWS_WITH(merge_parts(out), Catch::Contains("chunk(s) 0, 1, 2, 3 have no results"));
    for (size_t k = 0; k < 4; ++k) {
        o.chunk = std::make_pair(k, size_t(4));
        run_sweep(spec, test_tools(), o);
    }
    CHECK(merge_parts(out) == 6);
    o.chunk.reset();
    o.out_dir = out + "/local";
    run_sweep(spec, test_tools(), o);
    auto figures = [](const std::string& path) {
        std::vector<ojson> rows = read_jsonl(path);
        for (auto& r : rows) {
            r.erase("wall_s");
            r.erase("cached");
        }
        return rows;
    };
    CHECK(figures(out + "/results.jsonl") == figures(out + "/local/results.jsonl"));
}

TEST_CASE("runner: an encode-only method sweep reproduces embzip report", "[sweep][e2e]") {
    // paper_methods.json's claim on the three fastest methods: the sweep's code figures equal
    // `embzip report --format json`'s (row width after the raw fallback, saving, stored bytes).
    const std::string out = std::string(SWEEP_TEST_OUT) + "/report";
    fs::remove_all(out);
    fs::create_directories(out);
    const Spec spec = parse(R"J({"fixed": {"encode.table": "../../data/glove100_int8_50k.npy"},
        "axes": {"method": ["huffman8", "balanced8", "sa8"]}})J");
    RunOptions o;
    o.out_dir = out;
    o.progress = false;
    REQUIRE(run_sweep(spec, test_tools(), o).failed == 0);
    const ProcessResult p =
        run_process({SWEEP_EMBZIP, "report", "--input", kSrc + "/data/glove100_int8_50k.npy",
                     "--methods", "huffman8,balanced8,sa8", "--format", "json", "-q"},
                    out + "/report.json", out + "/report.err");
    REQUIRE(p.exit_code == 0);
    const ojson report = ojson::parse(read(out + "/report.json"));
    const auto rows = read_jsonl(out + "/results.jsonl");
    REQUIRE(rows.size() == 3);
    REQUIRE(report.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
        const ojson& f = rows[i]["figures"];
        INFO(report[i].dump());
        CHECK(f["code.method"] == report[i]["method"]);
        CHECK(f["code.row_bits"] == report[i]["row_bits"]);
        CHECK(f["code.saving"].get<double>() ==
              Approx(report[i]["saving"].get<double>()).margin(1e-12));
        CHECK(f["code.total_bytes"] == report[i]["total_bytes"]);
        CHECK(f["code.total_saving"].get<double>() ==
              Approx(report[i]["total_saving"].get<double>()).margin(1e-12));
    }
}

TEST_CASE("runner: decoder.overlap and rtl.speculative reach the generated decoder",
          "[sweep][e2e]") {
    // yosys (synth.sh) on nibble4 codes: overlap adds the load buffer's flip-flops; the
    // speculative chain keeps the flip-flops and the cycle contract but not the netlist.
    const std::string out = std::string(SWEEP_TEST_OUT) + "/overlap";
    fs::remove_all(out);
    const Spec spec = parse(R"J({"fixed": {"encode.table": "../../data/glove100_int8_50k.npy",
                  "encode.method": "nibble4", "rtl.flow": "synth", "arch": "chain", "S": 2, "B": 12},
        "axes": {"decoder.overlap": [false, true], "rtl.speculative": [false, true]}})J");
    RunOptions o;
    o.out_dir = out;
    o.progress = false;
    const RunSummary r = run_sweep(spec, test_tools(), o);
    REQUIRE(r.failed == 0);
    const auto rows = read_jsonl(out + "/results.jsonl");
    REQUIRE(rows.size() == 4);
    for (const auto& row : rows) {
        INFO(row.dump());
        CHECK(row["figures"]["hw.rtl.overlap"] == row["inputs"]["decoder.overlap"]);
        CHECK(row["figures"]["hw.rtl.speculative"] == row["inputs"]["rtl.speculative"]);
    }
    auto ffs = [&](size_t i) { return rows[i]["figures"]["hw.flip_flops"].get<int>(); };
    CHECK(ffs(2) > ffs(0));  // overlap: a second row buffer
    CHECK(rows[1]["figures"]["hw.cells"] != rows[0]["figures"]["hw.cells"]);  // speculative
    CHECK_THAT(error_of(R"J({"fixed": {"encode.table": "../../data/glove100_int8_50k.npy",
                  "encode.method": "nibble4", "rtl.flow": "synth", "decoder.overlap": "yes"}})J"),
               Catch::Contains("decoder.overlap"));
}

TEST_CASE("runner: the ASIC flow's area and fmax per point, and the decoder clock from it",
          "[sweep][asic]") {
    // scripts/asic.sh (qflow synthesis to OSU 0.18 um cells, vesta, OpenSTA) on the default
    // table's nibble4 code, canonical: 16 symbols, the smallest decoder (~15 s of qflow), shared
    // by all points; clock_from_flow points simulate their lanes at the flow's fmax.
    const std::string out = std::string(SWEEP_TEST_OUT) + "/asic";
    fs::remove_all(out);
    const Spec spec = parse(R"J({"base": "../default.json",
        "fixed": {"encode.table": "../../data/glove100_int8_50k.npy", "encode.method": "nibble4",
                  "arch": "canonical", "S": 1, "rtl.flow": "asic",
                  "stream.batches": 1, "stream.batch_size": 16},
        "axes": {"lanes": [1, 4], "rtl.clock_from_flow": [true, false]}})J");
    RunOptions o;
    o.out_dir = out;
    o.progress = false;
    const RunSummary r = run_sweep(spec, test_tools(), o);
    CHECK(r.failed == 0);
    CHECK(r.computed_steps == 1 + 1 + 4);  // one encode, one flow run, four simulations
    const auto rows = read_jsonl(out + "/results.jsonl");
    REQUIRE(rows.size() == 4);
    for (const auto& row : rows) {
        INFO(row.dump());
        REQUIRE(row["status"] == "ok");
        const ojson& f = row["figures"];
        CHECK(f["hw.cell_area_um2"].get<double>() > 1000);
        CHECK(f["hw.cells"].get<int>() > 100);
        CHECK(f["hw.flip_flops"].get<int>() > 0);
        CHECK(f["hw.worst_path_synth.delay_ps"].get<double>() > 0);
        CHECK(f.contains("hw.sdc.slack_ns"));
        const double mhz = f["hw.fmax_mhz_synth"].get<double>();
        CHECK(mhz > 10);
        // fmax and the path agree (vesta: fmax = 1 / worst path, zero margin).
        CHECK(mhz == Approx(1e6 / f["hw.worst_path_synth.delay_ps"].get<double>()).epsilon(0.01));
        CHECK(f["sim.config.decoder.clock_ghz"].get<double>() ==
              Approx(row["inputs"]["rtl.clock_from_flow"] == true ? mhz / 1000 : 1.0));
        CHECK(f["hw.gbit_s_per_lane"].get<double>() ==
              Approx(f["hw.bits_per_cycle"].get<double>() * mhz / 1000));
    }
    // Only the lanes slow down: the plain table (pooling at the base config's clock) does not.
    for (size_t i : {0, 2}) {
        CHECK(rows[i]["figures"]["sim.baseline.lookups_per_s"] ==
              rows[i + 1]["figures"]["sim.baseline.lookups_per_s"]);
        CHECK(rows[i]["figures"]["sim.lookups_per_s"].get<double>() <
              rows[i + 1]["figures"]["sim.lookups_per_s"].get<double>());
    }
    const std::string csv = read(out + "/results.csv");
    const std::string header = csv.substr(0, csv.find('\n'));
    for (const char* col :
         {"hw.cell_area_um2", "hw.fmax_mhz_synth", "hw.flip_flops", "hw.gbit_s_per_mm2"})
        CHECK_THAT("," + header + ",", Catch::Contains("," + std::string(col) + ","));
}
