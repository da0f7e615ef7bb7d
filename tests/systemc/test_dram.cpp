// SPDX-License-Identifier: MIT
// DRAM timing against known numbers (DDR4-3200 and HBM2 presets).
#include <catch2/catch.hpp>
#include <random>
#include <unordered_set>

#include "embzip_sim/dram.hpp"
#include "embzip_sim/energy.hpp"
#include "embzip_sim/model.hpp"
#include "sim_test_util.hpp"

using namespace embzip::sim;
using test::memory;

namespace {

// A request reaches its bank's command queue one cycle after it arrives (DRAMsim3: transaction
// queue -> command queue in one clock), so every unloaded latency has this one cycle on top.
constexpr Cycle kQueueCycle = 1;

// Submits reads (address, arrival cycle) and returns each one's completion cycle.
std::vector<Cycle> run(const DramConfig& c, const std::vector<std::pair<uint64_t, Cycle>>& reads,
                       uint32_t bytes = 64) {
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
    CHECK(done[0] == kQueueCycle + c.timing.tRCD + c.timing.CL + c.burst_length / 2);
    CHECK(done[0] == 49);
    CHECK((done[0] - kQueueCycle) * c.timing.tCK_ns == Approx(30.0));
}

TEST_CASE("row conflict in open-page mode takes tRP + tRCD + CL + BL/2", "[systemc][dram]") {
    const DramConfig c = memory("ddr4_3200.json");
    const uint64_t next_row =
        c.row_bytes() * c.banks_per_rank() * c.ranks * c.channels;  // same bank, row 1
    REQUIRE(MemoryCore(c).mapper().map(next_row).row == 1);
    REQUIRE(MemoryCore(c).mapper().map(next_row).bank == 0);
    const auto done = run(c, {{0, 0}, {next_row, 1000}});
    CHECK(done[1] - 1000 == kQueueCycle + 70);
    CHECK((done[1] - 1000 - kQueueCycle) * c.timing.tCK_ns == Approx(43.75));
}

TEST_CASE("row hit in open-page mode takes CL + BL/2, closed page re-activates",
          "[systemc][dram]") {
    DramConfig c = memory("ddr4_3200.json");
    auto done =
        run(c, {{0, 0}, {64 * 8, 1000}});  // same row, other column (bursts 0 and 8 share bg)
    CHECK(done[1] - 1000 == kQueueCycle + c.timing.CL + 4);
    c = memory("ddr4_3200.json", {"memory.page_policy=closed"});
    done = run(c, {{0, 0}, {64 * 8, 1000}});
    CHECK(done[1] - 1000 == kQueueCycle + 48);
}

TEST_CASE("refresh blocks its rank for tRFC", "[systemc][dram]") {
    const DramConfig c = memory("ddr4_3200.json", {"memory.ranks=1"});
    const Cycle due = c.timing.tREFI;
    const auto done = run(c, {{0, due}});
    CHECK(done[0] - due == c.timing.tRFC + 48);  // the refresh covers the queue cycle
    const DramConfig off = memory("ddr4_3200.json", {"memory.ranks=1", "memory.refresh=false"});
    CHECK(run(off, {{0, due}})[0] - due == kQueueCycle + 48);
}

TEST_CASE("DDR4-3200 streaming reaches 90..100% of 25.6 GB/s with bank groups interleaved",
          "[systemc][dram]") {
    const DramConfig c = memory("ddr4_3200.json", {"memory.address_mapping=rorachbacobg"});
    REQUIRE(c.peak_bytes_per_s() == Approx(25.6e9));
    const double bw = throughput(c, sequential(40000));
    INFO("bandwidth " << bw / 1e9 << " GB/s");
    CHECK(bw >= 0.90 * 25.6e9);
    CHECK(bw <= 25.6e9);
}

TEST_CASE("DDR4 streaming with columns lowest is bound by tCCD_L, far below peak",
          "[systemc][dram]") {
    // DRAMsim3's mapping keeps 128 consecutive bursts in one bank group: reads are tCCD_L = 8
    // cycles apart for 4 cycles of data (50 %), except where the queues span two bank groups at
    // a DRAM-row boundary. DRAMsim3 itself streams this at 16.9 GB/s (66 %, 64 rows in flight,
    // scripts/compare_dramsim3.sh).
    const DramConfig c = memory("ddr4_3200.json");
    const double bw = throughput(c, sequential(40000));
    INFO("bandwidth " << bw / 1e9 << " GB/s");
    CHECK(bw <= 0.70 * 25.6e9);
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

TEST_CASE("random 64-byte reads are bounded by tFAW (about 12 GB/s per DDR4-3200 rank)",
          "[systemc][dram]") {
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
        CHECK(bw >= 0.80 * bound);  // bank conflicts and refresh take the rest
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

TEST_CASE("energy of an isolated read equals the hand formula (DRAMPower's method)",
          "[systemc][dram][energy]") {
    // DDR4-3200 preset: VDD 1.2 V, IDD0 57, IDD2N 37, IDD3N 52, IDD4R 168 mA, 8 x8 devices a
    // rank, tCK 0.625 ns, tRAS 52, tRP 22, BL8.
    const DramConfig c = memory("ddr4_3200.json", {"memory.ranks=1", "memory.refresh=false"});
    REQUIRE(c.power);
    MemoryCore m(c);
    m.submit(0, 0, 64, 0);
    Cycle end = 0;
    m.run_until(kNever, [&](uint64_t, Cycle e) { end = e; });
    REQUIRE(end == 49);
    m.finish(100);
    const DramEnergy e = dram_energy(c, m);
    // ACT at cycle 1: 1.2 (57 * 74 - (52 * 52 + 37 * 22)) * 0.625 * 8 = 4200 pJ.
    CHECK(e.activate == Approx(4200.0));
    // One burst: 1.2 (168 - 52) * 4 * 0.625 * 8 = 2784 pJ.
    CHECK(e.read == Approx(2784.0));
    CHECK(e.refresh == 0.0);
    // Precharged standby for cycle 0, active standby from the ACT to cycle 100 (open page).
    CHECK(e.background == Approx(1.2 * 0.625 * 8 * (37.0 * 1 + 52.0 * 99)));
    // I/O: 512 bits at the preset's pJ per bit.
    REQUIRE(c.power->io_pj_per_bit);
    CHECK(*e.io == Approx(512 * *c.power->io_pj_per_bit));
    CHECK(e.total() == Approx(e.activate + e.read + e.background + *e.io));
}

TEST_CASE("refresh energy: one REF per tREFI per rank", "[systemc][dram][energy]") {
    const DramConfig c = memory("ddr4_3200.json", {"memory.ranks=2"});
    MemoryCore m(c);
    m.finish(Cycle(c.timing.tREFI) * 10);  // no reads at all
    const DramEnergy e = dram_energy(c, m);
    CHECK(m.channel_stats(0).refreshes == 20);
    // 1.2 (250 - 52) * 560 * 0.625 * 8 per REF.
    CHECK(e.refresh == Approx(20 * 1.2 * 198 * 560 * 0.625 * 8));
    CHECK(e.read == 0.0);
}

TEST_CASE("read merging: one DRAM read answers every request for its burst", "[systemc][dram]") {
    // A fixed trace with duplicates, all queued at once: 6 requests for 3 distinct bursts.
    const std::vector<std::pair<uint64_t, Cycle>> trace = {{0, 0},   {64, 0}, {0, 0},
                                                           {128, 0}, {64, 0}, {0, 0}};
    for (bool merging : {true, false}) {
        const DramConfig c = memory(
            "ddr4_3200.json", {std::string("memory.read_merging=") + (merging ? "true" : "false")});
        MemoryCore m(c);
        for (size_t i = 0; i < trace.size(); ++i) m.submit(i, trace[i].first, 64, trace[i].second);
        std::vector<Cycle> done(trace.size(), kNever);
        m.run_until(kNever, [&](uint64_t tag, Cycle end) { done[tag] = end; });
        for (Cycle d : done) CHECK(d != kNever);
        CHECK(m.requested_bursts() == 6);
        CHECK(m.merged_bursts() == (merging ? 3u : 0u));
        CHECK(m.bursts() == (merging ? 3u : 6u));
        if (merging) {
            CHECK(done[2] == done[0]);  // answered by the same read
            CHECK(done[5] == done[0]);
            CHECK(done[4] == done[1]);
        }
    }
    // A read that arrives after its burst's read has issued is not merged (DRAMsim3's rule).
    const DramConfig c = memory("ddr4_3200.json");
    MemoryCore m(c);
    m.submit(0, 0, 64, 0);
    m.submit(1, 0, 64, 30);  // the first RD issued at cycle 23
    m.run_until(kNever, [](uint64_t, Cycle) {});
    CHECK(m.merged_bursts() == 0);
    CHECK(m.bursts() == 2);
}

namespace {
// Order in which tags complete when `reads` (tag = index) are queued at the given cycles.
std::vector<uint64_t> completion_order(const DramConfig& c,
                                       const std::vector<std::pair<uint64_t, Cycle>>& reads) {
    MemoryCore m(c);
    for (size_t i = 0; i < reads.size(); ++i) m.submit(i, reads[i].first, 64, reads[i].second);
    std::vector<std::pair<Cycle, uint64_t>> done;
    m.run_until(kNever, [&](uint64_t tag, Cycle end) { done.emplace_back(end, tag); });
    std::stable_sort(done.begin(), done.end());
    std::vector<uint64_t> order;
    for (auto& d : done) order.push_back(d.second);
    return order;
}
}  // namespace

TEST_CASE("per-bank queues: a younger row hit passes an older miss, at most up to the row-hit cap",
          "[systemc][dram]") {
    DramConfig c = memory("ddr4_3200.json", {"memory.refresh=false"});
    const uint64_t row1 = c.row_bytes() * c.banks_per_rank() * c.ranks;  // bank 0, row 1
    REQUIRE(AddressMapper(c).map(row1).row == 1);
    REQUIRE(AddressMapper(c).map(row1).bank == 0);
    // Tag 0 opens row 0 of bank 0 (ACT at 1, RD at 23). At cycle 30, in this order: tag 1 for
    // row 1 (a miss, the oldest; its PRE may not issue before tRAS, cycle 53), tags 2..9 for
    // other columns of row 0 (hits, one every tCCD_L = 8 cycles from 32).
    std::vector<std::pair<uint64_t, Cycle>> reads = {{0, 0}, {row1, 30}};
    for (uint64_t k = 1; k <= 8; ++k) reads.emplace_back(k * 64, 30);
    for (uint32_t cap : {4u, 2u, 1u, 16u}) {
        c.row_hit_cap = cap;
        const std::vector<uint64_t> order = completion_order(c, reads);
        const size_t miss_at = std::find(order.begin(), order.end(), 1u) - order.begin();
        // The row served tag 0, then younger hits until it had served `cap` reads; then the
        // miss. With a cap above the queued hits, every hit passes the miss.
        INFO("row_hit_cap " << cap);
        CHECK(miss_at == std::min<size_t>(cap, 9));
        // Hits keep their age order among themselves.
        for (size_t i = 1; i + 1 < order.size(); ++i)
            if (order[i] >= 2 && order[i + 1] >= 2 && (i < miss_at || i > miss_at))
                CHECK(order[i] < order[i + 1]);
    }
    // Requests to other banks do not wait for bank 0's miss (per-bank queues).
    c.row_hit_cap = 4;
    const uint64_t bank1 = c.row_bytes() * c.bankgroups;  // bank 1 of bank group 0
    REQUIRE(AddressMapper(c).map(bank1).bank == 1);
    const std::vector<uint64_t> order = completion_order(c, {{0, 0}, {row1, 30}, {bank1, 30}});
    CHECK(order == std::vector<uint64_t>{0, 2, 1});
}

TEST_CASE("HBM2 pseudo-channels: addressing and bandwidth", "[systemc][dram]") {
    // A pseudo-channel is 64 bits wide: the "device" DRAMsim3's HBM2 sees is one of them.
    const DramConfig c = memory("hbm2.json", {"memory.pseudo_channels=2", "memory.device_width=64",
                                              "memory.address_mapping=rorabgbachpcco"});
    CHECK(c.controllers() == 16);
    CHECK(c.pc_bus_width() == 64);
    CHECK(c.burst_bytes() == 32);  // BL4 on 64 bits
    CHECK(c.capacity_bytes() == memory("hbm2.json").capacity_bytes());
    const AddressMapper m(c);
    const uint64_t row = c.row_bytes();  // 1 KB: one pseudo-channel's row
    CHECK(row == 1024);
    CHECK(m.map(32).column == 1);
    CHECK(m.map(row).channel == 1);      // pc 1 of channel 0
    CHECK(m.map(2 * row).channel == 2);  // pc 0 of channel 1
    CHECK(m.map(3 * row).channel == 3);  // pc 1 of channel 1
    CHECK(m.map(16 * row).bank == 1);
    CHECK(m.map(16 * row).channel == 0);
    CHECK_THROWS_WITH(memory("hbm2.json", {"memory.pseudo_channels=2", "memory.device_width=64"}),
                      Catch::Matchers::Contains(
                          "memory.address_mapping: must be seven fields of ch pc ra bg ba ro co"));
    const double bw = throughput(c, sequential(200000));
    INFO("bandwidth " << bw / 1e9 << " GB/s");
    CHECK(bw >= 0.85 * 256e9);
    CHECK(bw <= 256e9);
}

TEST_CASE("BurstSet: the read-merging key set agrees with std::unordered_set", "[systemc][dram]") {
    // Clustered keys (as bursts of neighbouring rows are) so probe runs form, wrap around the
    // table and are shifted back on erase; the set grows past several rehashes and shrinks.
    std::mt19937_64 rng(7);
    BurstSet set;
    std::unordered_set<uint64_t> want;
    for (int step = 0; step < 200000; ++step) {
        const uint64_t key = (rng() % 64) * 1000003 + rng() % (step < 100000 ? 3000 : 300);
        if (rng() % 3 != 0) {
            if (!want.count(key)) {
                set.insert(key);
                want.insert(key);
            }
        } else {
            set.erase(key);
            want.erase(key);
        }
        if (step % 997 == 0)
            for (uint64_t probe = 0; probe < 64 * 1000003; probe += 1000003)
                for (uint64_t k = probe; k < probe + 40; ++k)
                    REQUIRE(set.contains(k) == (want.count(k) > 0));
    }
    for (const uint64_t k : want) REQUIRE(set.contains(k));
    for (const uint64_t k : std::vector<uint64_t>(want.begin(), want.end())) set.erase(k);
    for (uint64_t k = 0; k < 3000; ++k) REQUIRE_FALSE(set.contains(k));
}
