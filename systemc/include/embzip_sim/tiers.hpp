// SPDX-License-Identifier: MIT
// Memory tiers and where rows live: plain C++, no SystemC. A memory system is an ordered list of
// tiers (on-chip SRAM, then DRAMs); every table's rows are ranked by expected access frequency
// and placed hot-first (the fastest tier fills first, a row lives in exactly one tier), or the
// SRAM tier is a set-associative LRU cache in front of the DRAM tiers. TieredMemoryCore runs
// every tier's timing model in one global time order (see systemc/README.md, "Tiers").
#pragma once
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "embzip_sim/dram.hpp"
#include "embzip_sim/model.hpp"

namespace embzip::sim {

// On-chip SRAM: no DRAM timing. `banks` banks, each moving `bytes_per_cycle` bytes a cycle;
// a read's words are interleaved over the banks (word w in bank w mod banks), each bank serves
// its words in arrival order, and the data is back `latency_cycles` after its last word.
struct SramSpec {
    static constexpr unsigned kBanks = 16, kLatencyCycles = 2, kBytesPerCycle = 16;
    uint64_t capacity_bytes = 0;
    unsigned banks = kBanks;
    unsigned latency_cycles = kLatencyCycles;
    unsigned bytes_per_cycle = kBytesPerCycle;  // per bank
    double clock_ghz = 1.0;
};

struct TierSpec {
    std::string name;
    bool sram = false;
    SramSpec sram_spec;  // sram
    DramConfig dram;     // !sram
    uint64_t capacity_bytes() const {
        return sram ? sram_spec.capacity_bytes : dram.capacity_bytes();
    }
    // Granule a table's region starts on (a burst, or one SRAM word).
    uint32_t align_bytes() const { return sram ? sram_spec.bytes_per_cycle : dram.burst_bytes(); }
};

enum class PlacementPolicy { HotFirst, Cache };

struct PlacementSpec {
    static constexpr unsigned kWays = 8;
    PlacementPolicy policy = PlacementPolicy::HotFirst;
    unsigned ways = kWays;
    // Cache: lookups of an independent stream (another seed) run through the cache before the
    // timed run, so its hit rate is that of a warm cache. 0: start cold.
    bool warmup = true;
};

// Expected access frequency of one table's rows by rank (rank 0 = hottest), and the rank of a
// row. Zipf ranks map to rows by the same multiplicative permutation as RequestProducer; uniform
// and sequential rows all weigh the same (rank = row); a trace is profiled (rows by count, ties
// by index, rows never looked up after them in row order).
class RankModel {
  public:
    RankModel() = default;
    // @throws InputError for an unreadable trace (as RequestProducer).
    RankModel(const StreamSpec& stream, uint64_t rows);
    uint64_t rows() const { return m_rows; }
    uint64_t rank(uint64_t row) const;
    // Expected lookups of the row at `rank` per sample (= pooling × probability).
    double frequency(uint64_t rank) const;
    // Rows whose frequency is >= f (they are ranks 0 .. n-1).
    uint64_t rows_at_least(double f) const;
    bool zipf() const { return m_zipf; }

  private:
    uint64_t m_rows = 1, m_inverse = 1;
    double m_pooling = 1, m_alpha = 0, m_norm = 1;
    bool m_zipf = false, m_trace = false;
    std::vector<uint64_t> m_trace_rows;                 // rank -> row, rows looked up at least once
    std::vector<uint64_t> m_trace_counts;               // their counts
    std::vector<std::pair<uint64_t, uint64_t>> m_seen;  // (row, rank), sorted by row
    double m_trace_lookups = 1;
};

// Rank range of one table stored in one tier: ranks [first, first + rows), at byte `base`.
struct TablePart {
    uint32_t tier = 0;
    uint64_t first = 0, rows = 0;
    uint64_t base = 0;   // byte address in the tier
    uint64_t bytes = 0;  // bytes of its slots (the overflow region not included)
};

struct TablePlacement {
    std::vector<TablePart> parts;  // ascending ranks
    uint32_t overflow_tier = 0;
    uint64_t overflow_base = 0, overflow_bytes = 0;
};

// What placement needs to know of one table in one system.
struct PlacedTable {
    uint64_t rows = 0;
    uint32_t pitch_bits = 0;
    uint64_t overflow_bytes = 0;  // raw overflow region, kept in the table's last tier
    const RankModel* ranks = nullptr;
};

// Static hot-first placement over `tiers` (in order): rows of every table by descending
// frequency fill the first tier, then the next. Regions start on each tier's alignment (reserved
// up front: one granule per table per tier). @throws InputError naming `system`, the bytes
// needed and the capacity when the tables fit nowhere.
std::vector<TablePlacement> place_hot_first(const std::vector<PlacedTable>& tables,
                                            const std::vector<TierSpec>& tiers,
                                            const std::string& system);

enum class ValueType { Int8, Uint8, Bf16, Fp16, Fp32 };
// Plain bits of one element, and the raw (uncoded sign + mantissa) bits of a float element.
uint32_t value_bits(ValueType v);
uint32_t raw_bits(ValueType v);

// Set-associative LRU cache of row slots: `lines` slots, `ways` per set; a key (global row
// index) maps to set key mod sets.
class RowCache {
  public:
    RowCache(uint64_t lines, unsigned ways);
    // Looks the key up, makes it most recently used (inserting it, evicting the LRU way, on a
    // miss). Returns the line index (set * ways + way) and whether it hit.
    bool access(uint64_t key, uint64_t& line);
    uint64_t hits() const { return m_hits; }
    uint64_t misses() const { return m_misses; }
    uint64_t sets() const { return m_sets; }
    unsigned ways() const { return m_ways; }
    void reset_counts() { m_hits = m_misses = 0; }

  private:
    uint64_t m_sets;
    unsigned m_ways;
    std::vector<uint64_t> m_keys;   // per line, kEmpty when unused
    std::vector<uint64_t> m_stamp;  // per line, last use
    uint64_t m_clock = 0, m_hits = 0, m_misses = 0;
};

// Where each table's rows live in one system (RowRouter): hot-first parts, and with the cache
// policy an SRAM cache in front (tier 0; the placement then covers tiers 1..). Counts the
// lookups (and overflow reads) each tier serves, per table.
class MemoryMap : public RowRouter {
  public:
    // placement: per table, tiers numbered in `tiers`. ranks: per table (not owned).
    MemoryMap(std::vector<const TableModel*> tables, std::vector<const RankModel*> ranks,
              std::vector<TablePlacement> placement, const std::vector<TierSpec>& tiers,
              const PlacementSpec& policy);
    ByteSpan row(uint32_t table, RowId row) override;
    ByteSpan overflow(uint32_t table, RowId row) override;
    // Cache policy: run rows through the cache without timing (warm-up), then zero the counts.
    void warm(uint32_t table, RowId row);
    void reset_counts();
    const RowCache* cache() const { return m_cache.get(); }
    uint64_t cache_line_bytes() const { return m_line_bytes; }
    const std::vector<TablePlacement>& placement() const { return m_place; }
    // served[table][tier]: reads answered by that tier (rows and overflow rows).
    const std::vector<std::vector<uint64_t>>& served() const { return m_served; }

  private:
    ByteSpan home(uint32_t table, RowId row) const;
    std::vector<const TableModel*> m_tables;
    std::vector<const RankModel*> m_ranks;
    std::vector<TablePlacement> m_place;
    std::vector<uint64_t> m_key_base;           // first global row index of each table
    std::vector<std::vector<uint64_t>> m_mult;  // per table, per part: scatter multiplier
    std::unique_ptr<RowCache> m_cache;
    uint64_t m_line_bytes = 0;
    std::vector<std::vector<uint64_t>> m_served;
};

// SRAM timing (SramSpec). Times in picoseconds.
class SramCore {
  public:
    using DoneFn = std::function<void(uint64_t tag, Ps end)>;
    explicit SramCore(const SramSpec& spec);
    void submit(uint64_t tag, uint64_t address, uint32_t bytes, Ps arrival);
    Ps next_event() const;
    // Processes every arrival at a time < limit (its completion is reported then, with its time).
    void run_until(Ps limit, const DoneFn& done);
    uint64_t bytes_read() const { return m_bytes; }
    uint64_t reads() const { return m_reads; }
    // Busy picoseconds summed over banks.
    uint64_t bank_busy_ps() const { return m_busy; }
    unsigned banks() const { return m_spec.banks; }
    Ps period() const { return m_period; }

  private:
    struct Arrival {
        Ps at;
        uint64_t seq, tag, address;
        uint32_t bytes;
        bool operator>(const Arrival& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };
    SramSpec m_spec;
    Ps m_period;
    std::vector<Ps> m_bank_free;
    std::priority_queue<Arrival, std::vector<Arrival>, std::greater<Arrival>> m_arrivals;
    uint64_t m_seq = 0, m_bytes = 0, m_reads = 0, m_busy = 0;
};

// Every tier's timing model, run in one global time order so a completion in one tier may cause
// a read in another (closed loop) and still be processed in time. Addresses carry the tier in
// bits 56..63 (tier_address()).
class TieredMemoryCore {
  public:
    using DoneFn = std::function<void(uint64_t tag, Ps end)>;
    explicit TieredMemoryCore(const std::vector<TierSpec>& tiers);
    void submit(uint64_t tag, uint64_t tiered_address, uint32_t bytes, Ps arrival);
    Ps next_event();
    void run_until(Ps limit, const DoneFn& done);
    void finish(Ps end);
    size_t tiers() const { return m_tiers.size(); }
    const TierSpec& spec(size_t t) const { return m_specs[t]; }
    MemoryCore* dram(size_t t) { return m_tiers[t].dram.get(); }
    SramCore* sram(size_t t) { return m_tiers[t].sram.get(); }
    // Bytes moved by tier t (whole bursts for DRAM, bytes for SRAM).
    uint64_t bytes_read(size_t t) const;

  private:
    struct Tier {
        std::unique_ptr<MemoryCore> dram;
        std::unique_ptr<SramCore> sram;
        Ps tck = 1;
    };
    Ps next_of(size_t t);
    std::vector<TierSpec> m_specs;
    std::vector<Tier> m_tiers;
};

}  // namespace embzip::sim
