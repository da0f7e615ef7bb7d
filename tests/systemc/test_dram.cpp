// SPDX-License-Identifier: MIT
// DRAM timing against known numbers (DDR4-3200 and HBM2 presets).
#include <catch2/catch.hpp>
#include <random>

#include "embzip_sim/dram.hpp"
#include "embzip_sim/model.hpp"
#include "sim_test_util.hpp"

using namespace embzip::sim;
using test::memory;

namespace {

// Submits reads (address, arrival cycle) and returns each one's completion cycle.
std::vector<Cycle> run(const DramConfig& c, const std::vector<std::pair<uint64_t, Cycle>>& reads, uint32_t bytes = 64) {
    MemoryCore m(c);
    for (size_t i = 0; i < reads.size(); ++i) m.submit(i, reads[i].first, bytes, reads[i].second);
    std::vector<Cycle> done(reads.size(), kNever);
    m.run_until(kNever, [&](uint64_t tag, Cycle end) { done[tag] = end; });
    return done;
}

// Bytes per second when `count` 64-byte reads at the given addresses are all queued at cycle 0.
double throughput(const DramConfig& c, const std::vector<uint64_t>& addresses) {
    std::vector<std::pair<uint64_t, Cycle>> reads;
    for (uint64_t a : addresses) reads.emplace_back(a, 0);
    const std::vector<Cycle> done = run(c, reads);
    const Cycle end = *std::max_element(done.begin(), done.end());
    return 64.0 * addresses.size() / (end * c.timing.tCK_ns * 1e-9);
}

std::vector<uint64_t> sequential(size_t n) {
    std::vector<uint64_t> a(n);
    for (size_t i = 0; i < n; ++i) a[i] = i * 64;
    return a;
}

}  // namespace

TEST_CASE("isolated 64-byte read on a closed bank takes tRCD + CL + BL/2", "[systemc][dram]") {
    const DramConfig c = memory("ddr4_3200.json");
    const auto done = run(c, {{0, 0}});
    CHECK(done[0] == c.timing.tRCD + c.timing.CL + c.burst_length / 2);
    CHECK(done[0] == 48);
    CHECK(done[0] * c.timing.tCK_ns == Approx(30.0));
}

TEST_CASE("row conflict in open-page mode takes tRP + tRCD + CL + BL/2", "[systemc][dram]") {
    const DramConfig c = memory("ddr4_3200.json");
    const uint64_t next_row = c.row_bytes() * c.banks_per_rank() * c.ranks * c.channels;  // same bank, row 1
    REQUIRE(MemoryCore(c).mapper().map(next_row).row == 1);
    REQUIRE(MemoryCore(c).mapper().map(next_row).bank == 0);
    const auto done = run(c, {{0, 0}, {next_row, 1000}});
    CHECK(done[1] - 1000 == 70);
    CHECK((done[1] - 1000) * c.timing.tCK_ns == Approx(43.75));
}

TEST_CASE("row hit in open-page mode takes CL + BL/2; closed page re-activates", "[systemc][dram]") {
    DramConfig c = memory("ddr4_3200.json");
    auto done = run(c, {{0, 0}, {64 * 8, 1000}});  // same row, other column (bursts 0 and 8 share bg)
    CHECK(done[1] - 1000 == c.timing.CL + 4);
    c = memory("ddr4_3200.json", {"memory.page_policy=closed"});
    done = run(c, {{0, 0}, {64 * 8, 1000}});
    CHECK(done[1] - 1000 == 48);
}

TEST_CASE("refresh blocks its rank for tRFC", "[systemc][dram]") {
    const DramConfig c = memory("ddr4_3200.json", {"memory.ranks=1"});
    const Cycle due = c.timing.tREFI;
    const auto done = run(c, {{0, due}});
    CHECK(done[0] - due == c.timing.tRFC + 48);
    const DramConfig off = memory("ddr4_3200.json", {"memory.ranks=1", "memory.refresh=false"});
    CHECK(run(off, {{0, due}})[0] - due == 48);
}

TEST_CASE("DDR4-3200 streaming reaches 90..100% of 25.6 GB/s with bank groups interleaved", "[systemc][dram]") {
    const DramConfig c = memory("ddr4_3200.json", {"memory.address_mapping=rorachbacobg"});
    REQUIRE(c.peak_bytes_per_s() == Approx(25.6e9));
    const double bw = throughput(c, sequential(40000));
    INFO("bandwidth " << bw / 1e9 << " GB/s");
    CHECK(bw >= 0.90 * 25.6e9);
    CHECK(bw <= 25.6e9);
}

TEST_CASE("DDR4 streaming with columns lowest is bound by tCCD_L, far below peak", "[systemc][dram]") {
    // DRAMsim3's mapping keeps 128 consecutive bursts in one bank group: reads are tCCD_L = 8
    // cycles apart for 4 cycles of data (50 %), except where the FR-FCFS window spans two
    // bank groups at a DRAM-row boundary.
    const DramConfig c = memory("ddr4_3200.json");
    const double bw = throughput(c, sequential(40000));
    INFO("bandwidth " << bw / 1e9 << " GB/s");
    CHECK(bw <= 0.65 * 25.6e9);
    CHECK(bw >= 0.50 * 25.6e9);
}

TEST_CASE("HBM2 streaming reaches 90..100% of 256 GB/s per stack", "[systemc][dram]") {
    const DramConfig c = memory("hbm2.json");
    REQUIRE(c.peak_bytes_per_s() == Approx(256e9));
    const double bw = throughput(c, sequential(200000));
    INFO("bandwidth " << bw / 1e9 << " GB/s");
    CHECK(bw >= 0.90 * 256e9);
    CHECK(bw <= 256e9);
}

TEST_CASE("random 64-byte reads are bounded by tFAW (about 12 GB/s per DDR4-3200 rank)", "[systemc][dram]") {
    std::mt19937_64 rng(7);
    for (unsigned ranks : {1u, 2u}) {
        const DramConfig c = memory("ddr4_3200.json", {"memory.ranks=" + std::to_string(ranks)});
        std::uniform_int_distribution<uint64_t> pick(0, c.capacity_bytes() / 64 - 1);
        std::vector<uint64_t> a(30000);
        for (auto& x : a) x = pick(rng) * 64;
        const double bound = ranks * 4 * 64.0 / (c.timing.tFAW * c.timing.tCK_ns * 1e-9);
        const double bw = throughput(c, a);
        INFO(ranks << " rank(s): " << bw / 1e9 << " GB/s, tFAW bound " << bound / 1e9);
        CHECK(bound / ranks == Approx(12.05e9).epsilon(0.001));
        CHECK(bw <= bound);
        CHECK(bw >= 0.85 * bound);
    }
}

TEST_CASE("a packed row straddling a burst boundary costs one more burst", "[systemc][dram]") {
    const DramConfig c = memory("ddr4_3200.json");
    TableModel t;
    t.rows = 100;
    t.dim = 64;
    t.row_bits = 400;
    t.pitch_bits = resolve_pitch({PitchSpec::Kind::Packed, 0}, 400, c.burst_bytes(), 0);
    auto bursts = [&](uint64_t row) {
        MemoryCore m(c);
        const ByteSpan s = t.span(RowId{row});
        m.submit(0, s.address, s.bytes, 0);
        m.run_until(kNever, [](uint64_t, Cycle) {});
        return m.bursts();
    };
    CHECK(t.span(RowId{1}).address == 50);  // bits 400..799
    CHECK(bursts(0) == 1);                  // bits 0..399: inside burst 0
    CHECK(bursts(1) == 2);                  // bits 400..799: crosses bit 512
    t.pitch_bits = resolve_pitch({PitchSpec::Kind::Burst, 0}, 400, c.burst_bytes(), 0);
    CHECK(t.pitch_bits == 512);
    CHECK(bursts(1) == 1);
    // Wider than a burst: aligned rows take ceil(W / 512) bursts, packed ones up to one more.
    t.row_bits = 600;
    t.pitch_bits = 600;
    CHECK(bursts(0) == 2);
    CHECK(bursts(4) == 2);  // bits 2400..2999: bursts 4 and 5
    CHECK(bursts(5) == 3);  // bits 3000..3599: bursts 5, 6 and 7
}

TEST_CASE("address mapping places every field where the mapping string says", "[systemc][dram]") {
    const DramConfig c = memory("ddr4_3200.json");
    const AddressMapper m(c);
    CHECK(m.map(64).column == 1);
    CHECK(m.map(c.row_bytes()).bankgroup == 1);
    CHECK(m.map(c.row_bytes() * 4).bank == 1);
    CHECK(m.map(c.row_bytes() * 16).rank == 1);
    CHECK(m.map(c.row_bytes() * 32).row == 1);
}
