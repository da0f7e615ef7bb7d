// SPDX-License-Identifier: MIT
// The generator without a simulator: code.json input, refusals, the lut entries against the
// cycle contract's greedy rule, the manifest. Co-simulation runs as CTest tests (CMakeLists.txt).
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "embzip/errors.hpp"
#include "embzip/histogram.hpp"
#include "embzip/rtl/generator.hpp"
#include "embzip/rtl/programmable.hpp"

using namespace embzip;
using namespace embzip::rtl;

namespace {

CodedTable small_table(std::vector<CodeLengths> books, uint32_t dim = 8, uint64_t rows = 20) {
    Table t;
    t.rows = rows;
    t.dim = dim;
    t.bytes.resize(rows * dim);
    std::mt19937_64 rng(3);
    std::vector<unsigned> coded;
    for (unsigned s = 0; s < 256; ++s)
        if (books[0].len[s]) coded.push_back(s);
    for (uint8_t& b : t.bytes) b = uint8_t(coded[rng() % coded.size()]);
    CodeResult r;
    r.books = std::move(books);
    while ((size_t(1) << r.selector_bits) < r.books.size()) ++r.selector_bits;
    r.row_bits = evaluate(build_histograms(t, r.spec), r.books).row_bits;
    return encode_table(t, r);
}

CodeLengths skewed_code() {
    CodeLengths c;  // lengths 1..7, then 2 x 8... a complete code over 9 symbols
    for (unsigned s = 0; s < 8; ++s) c.len[s] = uint8_t(s + 1);
    c.len[8] = 8;
    return c;
}

}  // namespace

TEST_CASE("code.json round trip gives the table's code", "[rtl]") {
    const CodedTable t = small_table({skewed_code()});
    const RtlCode from_json = parse_code_json(code_json(t), "code.json");
    const RtlCode from_table = rtl_code_of(t);
    CHECK(code_hash(from_json) == code_hash(from_table));
    CHECK(from_json.max_code_len() == 8);
    CHECK(from_json.symbols_per_row == 8);
}

TEST_CASE("code.json that the hardware would decode wrongly is rejected", "[rtl]") {
    const CodedTable t = small_table({skewed_code()});
    nlohmann::json j = nlohmann::json::parse(code_json(t));
    SECTION("code string not canonical") {
        j["books"][0]["symbols"][0]["code"] = "1";
        CHECK_THROWS_AS(parse_code_json(j.dump(), "x.json"), FormatError);
    }
    SECTION("selector bits") {
        j["selector_bits"] = 1;
        CHECK_THROWS_WITH(parse_code_json(j.dump(), "x.json"), Catch::Contains("selector_bits"));
    }
    SECTION("code longer than the generator supports names --max-code-len") {
        j["books"][0]["symbols"][8]["length"] = 33;
        CHECK_THROWS_AS(parse_code_json(j.dump(), "x.json"), InputError);
        CHECK_THROWS_WITH(parse_code_json(j.dump(), "x.json"),
                          Catch::Contains("--max-code-len 32"));
    }
}

TEST_CASE("generator refuses configurations it cannot build", "[rtl]") {
    const RtlCode code = rtl_code_of(small_table({skewed_code()}));
    DecoderConfig c;
    c.lut_bits = RtlGeometry::kMaxLutBits + 1;
    CHECK_THROWS_WITH(generate_decoder(code, c), Catch::Contains("--lut-bits"));
    c = DecoderConfig{};
    c.arch = DecoderArch::Canonical;
    CHECK_THROWS_AS(generate_decoder(code, c), InputError);  // S = 2
    c.symbols_per_cycle = 1;
    CHECK_NOTHROW(generate_decoder(code, c));
    // Chain: no ROM, so B may exceed the lut's limit, up to the contract's 64-bit window.
    c = DecoderConfig{};
    c.arch = DecoderArch::Chain;
    c.symbols_per_cycle = 4;
    c.lut_bits = 32;
    const GeneratedRtl chain = generate_decoder(code, c);
    for (const auto& f : chain.files) CHECK(f.first != "embzip_lut.v");
    CHECK(nlohmann::json::parse(chain.manifest)["parameters"]["arch"] == "chain");
    c.lut_bits = 65;
    CHECK_THROWS_AS(generate_decoder(code, c), InputError);
}

TEST_CASE("speculative chain: one decoder at each offset a first code can end at", "[rtl]") {
    const RtlCode code = rtl_code_of(small_table({skewed_code()}));
    DecoderConfig c;
    c.arch = DecoderArch::Chain;
    c.symbols_per_cycle = 2;
    c.lut_bits = 12;
    RtlOptions opt;
    opt.speculative = true;
    std::vector<bool> used(33, false);
    unsigned shortest = 32;
    for (unsigned s = 0; s < code.books[0].alphabet; ++s)
        if (unsigned l = code.books[0].len[s]) {
            used[l] = true;
            shortest = std::min(shortest, l);
        }
    // S = 2: the second code starts where the first ends, a code length; past B - shortest no
    // second code fits.
    size_t expected = 0;
    for (unsigned l = 1; l + shortest <= c.lut_bits; ++l) expected += used[l];
    REQUIRE(expected > 0);
    const GeneratedRtl rtl = generate_decoder(code, c, nullptr, opt);
    size_t decoders = 0;
    for (const auto& f : rtl.files)
        for (size_t p = f.second.find(" u_spec"); p != std::string::npos;
             p = f.second.find(" u_spec", p + 1))
            ++decoders;
    CHECK(decoders == expected);
    CHECK(nlohmann::json::parse(rtl.manifest)["parameters"]["speculative"] == true);
    c.arch = DecoderArch::Lut;
    c.lut_bits = 10;
    CHECK_THROWS_WITH(generate_decoder(code, c, nullptr, opt), Catch::Contains("--speculative"));
}

TEST_CASE("pointer row store: the pitch's bits, words written in place, two banks with overlap",
          "[rtl]") {
    const RtlCode code = rtl_code_of(small_table({skewed_code()}, 40));
    DecoderConfig c;
    c.arch = DecoderArch::Canonical;
    c.symbols_per_cycle = 1;
    c.bus_bits = 8;
    const RtlDims d = rtl_dims(code, c);
    REQUIRE(d.words > 2);
    const auto count = [](const std::string& text, const std::string& what) {
        size_t n = 0;
        for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
        return n;
    };
    RtlOptions opt;
    const GeneratedRtl shift = generate_decoder(code, c, nullptr, opt);
    auto m = nlohmann::json::parse(shift.manifest)["parameters"];
    CHECK(m["row_store"] == "shift");
    CHECK(m["store_bits"] == d.words * c.bus_bits);
    CHECK(count(shift.files.back().second, "rsel") == 0);
    opt.row_store = RowStore::Pointer;
    for (bool overlap : {false, true}) {
        c.overlap = overlap;
        const GeneratedRtl ptr = generate_decoder(code, c, nullptr, opt);
        m = nlohmann::json::parse(ptr.manifest)["parameters"];
        CHECK(m["row_store"] == "pointer");
        CHECK(m["store_bits"] == code.pitch_bits);
        const std::string& top = ptr.files.back().second;
        CHECK(count(top, "localparam STORE_BITS = " + std::to_string(code.pitch_bits) + ";") == 1);
        // Each word has one write per bank; the chunk mux has one arm per chunk after the first.
        CHECK(count(top, "] <= in_data") == d.words * (overlap ? 2 : 1));
        const unsigned chunks = (code.pitch_bits + d.refill - 1) / d.refill;
        CHECK(count(top, ": chunk = store[") + count(top, ": chunk = {store[") == chunks - 1);
        CHECK((count(top, "bank1") > 0) == overlap);
    }
    CHECK(parse_row_store("pointer") == RowStore::Pointer);
    CHECK_THROWS_WITH(parse_row_store("banked"), Catch::Contains("'shift' or 'pointer'"));
}

TEST_CASE("lut entries are the contract's greedy runs", "[rtl]") {
    const CodeLengths lengths = skewed_code();
    const CanonicalCode code = make_canonical(lengths);
    std::mt19937_64 rng(11);
    for (unsigned B : {4u, 8u, 10u})
        for (unsigned S : {1u, 2u, 4u})
            for (int trial = 0; trial < 200; ++trial) {
                // A random symbol sequence, its bits left-aligned in a B-bit window.
                std::vector<uint8_t> syms(6), lens(6);
                uint64_t bits = 0;
                unsigned n = 0;
                for (size_t i = 0; i < syms.size(); ++i) {
                    syms[i] = uint8_t(rng() % 9);
                    lens[i] = lengths.len[syms[i]];
                    bits = bits << lens[i] | code.code[syms[i]];
                    n += lens[i];
                }
                const uint32_t window =
                    n >= B ? uint32_t(bits >> (n - B)) : uint32_t(bits << (B - n));
                const LutEntry e = lut_entry(code, B, S, window);
                unsigned k = 0, sum = 0;
                while (k < S && k < syms.size() && sum + lens[k] <= B) sum += lens[k++];
                REQUIRE(e.count == k);
                for (unsigned j = 0; j < k; ++j) CHECK(e.symbols[j] == syms[j]);
                if (k) CHECK(e.cum_bits[k - 1] == sum);
            }
}

TEST_CASE("manifest states the contract's numbers", "[rtl]") {
    const CodedTable t = small_table({skewed_code(), skewed_code(), skewed_code()}, 8, 30);
    const RtlCode code = rtl_code_of(t);
    DecoderConfig c;
    c.bus_bits = 16;
    const TableTiming stats = table_timing(t, c, 100);
    const GeneratedRtl rtl = generate_decoder(code, c, &stats);
    const auto m = nlohmann::json::parse(rtl.manifest);
    CHECK(m["timing"]["input_cycles"] == (t.pitch_bits + 15) / 16);
    CHECK(m["timing"]["pipeline_latency"] == kDecoderPipelineLatency);
    CHECK(m["parameters"]["books"] == 3);
    CHECK(m["parameters"]["selector_bits"] == 2);
    CHECK(m["files"].size() == rtl.files.size());
    CHECK(m["table"]["rows"] == 30);
    CHECK(stats.min_latency >= m["timing"]["latency_min"].get<uint64_t>());
    CHECK(stats.max_latency <= m["timing"]["latency_max"].get<uint64_t>());
    // Three books: selector value 3 is invalid and must be flagged.
    bool flagged = false;
    for (const auto& f : rtl.files)
        if (f.first == "embzip_decoder.v")
            flagged = f.second.find("selector >= 2'd3") != std::string::npos;
    CHECK(flagged);
}

TEST_CASE("overlap: manifest throughput is schedule_row's on a busy lane", "[rtl]") {
    const CodedTable t = small_table({skewed_code()}, 8, 30);
    DecoderConfig c;
    c.bus_bits = 8;  // rows of several words
    for (bool overlap : {false, true}) {
        c.overlap = overlap;
        const TableTiming stats = table_timing(t, c, 100);
        const auto m = nlohmann::json::parse(generate_decoder(rtl_code_of(t), c, &stats).manifest);
        CHECK(m["parameters"]["overlap"] == overlap);
        // Every row waiting from cycle 0: the rows' primes are their intervals apart.
        LaneCycles lane;
        const RowDecoder dec(borrow(t));
        uint64_t first_prime = 0, last_prime = 0, last_interval = 0;
        for (uint64_t r = 0; r < t.rows; ++r) {
            const std::vector<uint8_t> lens = row_code_lengths(t, dec, r);
            const RowTiming rt = row_timing(c, t.pitch_bits, lens.data(), lens.size());
            const RowCycles rc = schedule_row(c, lane, 0, rt);
            if (r == 0) first_prime = rc.prime;
            last_prime = rc.prime;
            last_interval = lane.decode_free - rc.prime;
            if (overlap)
                last_interval = std::max(last_interval, rt.input_cycles);
            else
                last_interval = rt.latency_cycles;
        }
        const double mean = double(last_prime - first_prime + last_interval) / double(t.rows);
        CHECK(m["table"]["row_interval_mean"].get<double>() == Approx(mean));
        CHECK(m["table"]["rows_per_cycle"].get<double>() == Approx(1.0 / mean));
        if (overlap)
            CHECK(mean < stats.mean_latency);
        else
            CHECK(mean == Approx(stats.mean_latency));
    }
}

namespace {

// small_table's rows with an overflow plan: the rows longer than the 4th longest go raw.
CodedTable small_overflow_table() {
    const CodedTable plain = small_table({skewed_code()}, 8, 40);
    const Table t = decode_table(plain);
    CodeResult r;
    r.books = plain.books;
    std::vector<uint64_t> lens;
    for (uint64_t i = 0; i < t.rows; ++i) {
        uint64_t bits = 0;
        for (uint32_t c = 0; c < t.dim; ++c) bits += r.books[0].len[t.row(i)[c]];
        lens.push_back(bits);
    }
    std::sort(lens.begin(), lens.end());
    r.overflow.enabled = true;
    r.overflow.threshold_bits = uint32_t(lens[lens.size() - 4]);
    r.overflow.index_bits = 3;
    r.row_bits = 1 + std::max<uint64_t>(r.overflow.threshold_bits, r.overflow.index_bits);
    return encode_table(t, r);
}

}  // namespace

TEST_CASE("overflow layout: code.json fields, row timing, ports only when the table has overflow",
          "[rtl]") {
    const CodedTable t = small_overflow_table();
    REQUIRE(t.overflow);
    REQUIRE(t.overflow_rows >= 1);
    const RtlCode from_json = parse_code_json(code_json(t), "code.json");
    CHECK(from_json.overflow);
    CHECK(from_json.index_bits == 3);
    CHECK(from_json.overflow_rows == t.overflow_rows);
    CHECK(code_hash(from_json) == code_hash(rtl_code_of(t)));

    // Flagged rows have no codes: row_code_lengths is empty and the table timing uses the
    // contract's overflow timing for them; the other rows skip the flag before the selector.
    DecoderConfig c;
    c.bus_bits = 8;
    uint64_t flagged = 0;
    for (uint64_t i = 0; i < t.rows; ++i) {
        const uint64_t p = i * t.pitch_bits;
        const bool flag = (t.payload[p >> 3] >> (7 - (p & 7))) & 1;
        const std::vector<uint8_t> lens = row_code_lengths(t, i);
        CHECK(lens.empty() == flag);
        flagged += flag;
    }
    CHECK(flagged == t.overflow_rows);
    const TableTiming stats = table_timing(t, c, 100);
    const uint64_t ovf_latency = overflow_row_timing(c, t.pitch_bits).latency_cycles;
    CHECK(stats.min_latency == ovf_latency);

    const GeneratedRtl rtl = generate_decoder(from_json, c, &stats);
    const auto m = nlohmann::json::parse(rtl.manifest);
    CHECK(m["parameters"]["overflow_flag"] == true);
    CHECK(m["parameters"]["index_bits"] == 3);
    CHECK(m["timing"]["overflow_row_latency"] == ovf_latency);
    CHECK(m["ports"].back()["name"] == "out_ovf_index");
    CHECK(m["ports"].back()["width"] == 3);

    // Without overflow the port list is exactly the documented one (the SystemC wrapper relies on
    // it).
    const GeneratedRtl plain = generate_decoder(rtl_code_of(small_table({skewed_code()})), c);
    const auto pm = nlohmann::json::parse(plain.manifest);
    std::vector<std::string> names;
    for (const auto& port : pm["ports"]) names.push_back(port["name"]);
    CHECK(names == std::vector<std::string>{"clk", "rst_n", "in_valid", "in_ready", "in_data",
                                            "out_valid", "out_ready", "out_data", "out_count",
                                            "out_last", "out_err"});
    CHECK(pm["parameters"]["overflow_flag"] == false);
    for (const auto& f : plain.files) CHECK(f.second.find("ovf") == std::string::npos);

    // A code.json from before the overflow fields reads as a table without overflow.
    nlohmann::json j = nlohmann::json::parse(code_json(small_table({skewed_code()})));
    j.erase("overflow");
    j.erase("index_bits");
    j.erase("overflow_rows");
    CHECK_FALSE(parse_code_json(j.dump(), "old.json").overflow);
    nlohmann::json bad = nlohmann::json::parse(code_json(t));
    bad["index_bits"] = 0;
    CHECK_THROWS_WITH(parse_code_json(bad.dump(), "x.json"), Catch::Contains("index_bits"));
}

TEST_CASE("packaging: prefix, timescale, default_nettype, filelist, SDC", "[rtl]") {
    const RtlCode code = rtl_code_of(small_table({skewed_code()}));
    DecoderConfig c;
    RtlOptions opt;
    opt.prefix = "tbl7_";
    opt.clock_mhz = 250;
    const GeneratedRtl rtl = generate_decoder(code, c, nullptr, opt);
    CHECK(rtl.top == "tbl7_decoder");
    std::vector<std::string> names;
    for (const auto& [name, text] : rtl.files) {
        names.push_back(name);
        CHECK(text.find("`timescale 1ns / 1ps\n`default_nettype none\n") != std::string::npos);
        CHECK(text.find("embzip_") == std::string::npos);  // no module of the default prefix
    }
    CHECK(names == std::vector<std::string>{"tbl7_canon.v", "tbl7_lut.v", "tbl7_decoder.v"});
    REQUIRE(rtl.aux.size() == 2);
    CHECK(rtl.aux[0].first == "tbl7_decoder.f");
    CHECK(rtl.aux[0].second.find("tbl7_canon.v\ntbl7_lut.v\ntbl7_decoder.v\n") !=
          std::string::npos);
    CHECK(rtl.aux[1].first == "tbl7_decoder.sdc");
    const std::string& sdc = rtl.aux[1].second;
    CHECK(sdc.find("set period 4\n") != std::string::npos);
    CHECK(sdc.find("create_clock -name clk -period $period [get_ports clk]") != std::string::npos);
    CHECK(sdc.find("[get_ports out_ready]") != std::string::npos);
    CHECK(sdc.find("[get_ports {rst_n in_valid in_data[*]}]") != std::string::npos);
    CHECK(sdc.find("{in_ready out_valid out_data[*] out_count[*] out_last out_err}") !=
          std::string::npos);
    const auto m = nlohmann::json::parse(rtl.manifest);
    CHECK(m["top"] == "tbl7_decoder");
    CHECK(m["prefix"] == "tbl7_");
    CHECK(m["sdc"] == "tbl7_decoder.sdc");
    for (const char* bad : {"", "9a", "a-b", "a b"}) {
        opt.prefix = bad;
        CHECK_THROWS_WITH(generate_decoder(code, c, nullptr, opt), Catch::Contains("--prefix"));
    }
    opt.prefix = "x_";
    opt.clock_mhz = 0;
    CHECK_THROWS_WITH(generate_decoder(code, c, nullptr, opt), Catch::Contains("--clock-mhz"));
}

TEST_CASE("a one-symbol book is refused with a clear error", "[rtl]") {
    CodeLengths one;
    one.len[7] = 1;
    RtlCode code = rtl_code_of(small_table({skewed_code()}));
    code.books = {one};
    CHECK_THROWS_WITH(check_supported(code, DecoderConfig{}),
                      Catch::Contains("book 0 has 1 symbol(s)"));
}

namespace {

// The programmable decoder's read of its registers, in software: the shortest length whose
// prefix is <= the length's last code (with its enable bit), then symbol[book][prefix + offset].
struct ProgModel {
    std::map<uint32_t, uint32_t> regs;
    ProgMap map;
    unsigned symbol_bits;
    bool decode(unsigned book, uint64_t window, unsigned L, unsigned& len, unsigned& sym) const {
        for (unsigned l = 1; l <= L; ++l) {
            const uint32_t last = regs.at(map.book_entry(book, l, 0));
            const uint32_t meta = regs.at(map.book_entry(book, l, 1));
            const uint64_t prefix = window >> (L - l);
            if (!(meta >> 31) || prefix > last) continue;
            const uint32_t mask = (1u << symbol_bits) - 1;
            const uint32_t idx = (uint32_t(prefix) + meta) & mask;
            len = l;
            sym = regs.at(map.region(2) | (book << symbol_bits) | idx);
            return true;
        }
        return false;
    }
};

}  // namespace

TEST_CASE("programmable: the configuration image decodes every code word", "[rtl]") {
    ProgParams p;
    p.books = 4;
    p.max_code_len = 12;
    const CodedTable t = small_table({skewed_code(), skewed_code(), skewed_code()}, 8, 30);
    const RtlCode code = rtl_code_of(t);
    const std::vector<ConfigWrite> image = config_image(code, p);
    ProgModel m{{}, prog_map(p), p.symbol_bits};
    for (const ConfigWrite& w : image) m.regs[w.addr] = w.data;
    CHECK(m.regs.at(kCfgWordsM1) == (t.pitch_bits + p.bus_bits - 1) / p.bus_bits - 1);
    CHECK(m.regs.at(kCfgRowBits) == t.row_bits);
    CHECK(m.regs.at(kCfgSymbols) == 8);
    CHECK(m.regs.at(kCfgBooks) == 3);
    CHECK(m.regs.at(kCfgSelector) == 2);
    const CanonicalCode c = make_canonical(skewed_code());
    for (unsigned b = 0; b < 3; ++b)
        for (unsigned s = 0; s < 9; ++s) {
            const unsigned l = skewed_code().len[s];
            // The code word left-aligned in the L-bit window, then any bits.
            const uint64_t window = (uint64_t(c.code[s]) << (p.max_code_len - l)) | 1;
            unsigned len = 0, sym = 0;
            REQUIRE(m.decode(b, window, p.max_code_len, len, sym));
            CHECK(len == l);
            CHECK(sym == s);
        }
    // The all-ones word of length 8 is the last code; past it nothing is valid (a complete code
    // here, so take a window that no code starts: none exists, check an incomplete one instead).
    CodeLengths incomplete;
    incomplete.len[3] = 1;
    incomplete.len[4] = 2;  // "0", "10"; "11" is invalid
    RtlCode ic = code;
    ic.books = {incomplete};
    ic.selector_bits = 0;
    ProgModel mi{{}, prog_map(p), p.symbol_bits};
    for (const ConfigWrite& w : config_image(ic, p)) mi.regs[w.addr] = w.data;
    unsigned len = 0, sym = 0;
    CHECK_FALSE(mi.decode(0, uint64_t(3) << (p.max_code_len - 2), p.max_code_len, len, sym));
    REQUIRE(mi.decode(0, uint64_t(2) << (p.max_code_len - 2), p.max_code_len, len, sym));
    CHECK(len == 2);
    CHECK(sym == 4);

    // Codes that do not fit are refused naming what.
    p.max_code_len = 7;
    CHECK_THROWS_WITH(config_image(code, p), Catch::Contains("codes up to 8 bits"));
    p.max_code_len = 12;
    p.books = 2;
    CHECK_THROWS_WITH(config_image(code, p), Catch::Contains("3 books"));
    p.books = 3;
    CHECK_THROWS_WITH(generate_programmable(p), Catch::Contains("--books"));
    // The netlist's manifest names its parameters and port.
    p.books = 4;
    const GeneratedRtl rtl = generate_programmable(p);
    const auto mf = nlohmann::json::parse(rtl.manifest);
    CHECK(mf["programmable"] == true);
    CHECK(mf["config"]["addr_bits"] == prog_map(p).addr_bits);
    CHECK(mf["ports"].back()["name"] == "cfg_data");
}

TEST_CASE("programmable overlap: a load buffer, recorded in the manifest and the timing", "[rtl]") {
    ProgParams p;
    p.books = 1;
    p.max_code_len = 8;
    p.max_pitch_bits = 128;
    p.max_symbols_per_row = 16;
    p.bus_bits = 32;
    const GeneratedRtl plain = generate_programmable(p);
    p.overlap = true;
    const GeneratedRtl ov = generate_programmable(p);
    CHECK(nlohmann::json::parse(plain.manifest)["parameters"]["overlap"] == false);
    CHECK(nlohmann::json::parse(ov.manifest)["parameters"]["overlap"] == true);
    CHECK(plain.files.back().second.find("lbuf") == std::string::npos);
    CHECK(ov.files.back().second.find("reg  [STORE_BITS-1:0] lbuf;") != std::string::npos);
    CHECK(prog_decoder_config(p).overlap);
    CHECK_FALSE(prog_decoder_config(ProgParams{}).overlap);
}
