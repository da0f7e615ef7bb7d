// SPDX-License-Identifier: MIT
// Plain C++ behaviour of the lookup pipeline: the table's address layout, the lookup stream,
// and the decoder/pooling timing. No SystemC here; systemc/src/modules.cpp wraps these.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "embzip/coded_store.hpp"
#include "embzip/decoder_timing.hpp"
#include "embzip/table.hpp"

namespace embzip::sim {

enum class RowId : uint64_t {};
using Ps = uint64_t;  // picoseconds, the simulation's time unit

// How rows are placed: bit offset i * pitch_bits.
struct PitchSpec {
    enum class Kind { File, Packed, Byte, Burst, Bits } kind = Kind::Byte;
    uint32_t bits = 0;  // Kind::Bits only
};
// @pre row_bits >= 1. File means "as stored" and is resolved by the caller.
uint32_t resolve_pitch(const PitchSpec& spec, uint32_t row_bits, uint32_t burst_bytes,
                       uint32_t file_pitch);

struct ByteSpan {
    uint64_t address = 0;
    uint32_t bytes = 0;
};

// Reads to a tiered memory carry the tier in the address's top byte (tiers.hpp).
constexpr unsigned kTierShift = 56;
inline uint64_t tier_address(uint32_t tier, uint64_t address) {
    return (uint64_t(tier) << kTierShift) | address;
}
inline uint32_t tier_of(uint64_t address) { return static_cast<uint32_t>(address >> kTierShift); }

// Address layout and per-row decode time of one table in memory.
struct TableModel {
    std::string name;
    uint64_t rows = 0;
    uint32_t dim = 0;       // decoded bytes per row
    uint32_t row_bits = 0;  // W: bits of a slot that are read (flag and selector included)
    uint32_t pitch_bits = 0;
    bool coded = false;              // false: the plain table, no decoder
    double overflow_fraction = 0.0;  // declared overflow (hash of the row index decides)
    // A coded table with its own overflow rows: (row, index into the raw region), sorted by row,
    // from the flag bit and index of each slot. Takes the place of overflow_fraction.
    bool stored_overflow = false;
    std::vector<OverflowEntry> overflow_index;
    uint64_t overflow_base = 0;  // byte address of the raw overflow rows
    // Decoded rows (dim bytes each) when the table comes from a coded directory: what the
    // pooling unit sums. nullptr for declared tables (timing only).
    std::shared_ptr<const Table> data;
    // The coded directory, opened once (nullptr for declared tables).
    std::shared_ptr<const CodedStore> store;
    std::vector<uint32_t> decode_cycles;  // per row (coded directory), empty: uniform_cycles
    uint32_t uniform_cycles = 0;          // declared tables: the synthetic worst row
    uint32_t slot_cycles = 0;             // an overflow slot: input + pipeline latency only
    uint32_t symbols = 0;                 // code symbols per row (decoder energy); 0: plain table

    // Bytes of row i's slot: bits [i * pitch, i * pitch + W) rounded out to whole bytes, so the
    // memory reads exactly the bursts the slot overlaps.
    ByteSpan span(RowId row) const;
    // Stored overflow: the slot's flag. Declared: deterministic in the row index, a row
    // overflows with probability overflow_fraction.
    bool overflows(RowId row) const;
    ByteSpan overflow_span(RowId row) const;
    uint32_t cycles(RowId row) const {
        if (overflows(row)) return slot_cycles;
        return decode_cycles.empty() ? uniform_cycles : decode_cycles[static_cast<uint64_t>(row)];
    }
    uint64_t bytes_in_memory() const;
    const uint8_t* row_data(RowId row) const {
        return data ? data->bytes.data() + static_cast<uint64_t>(row) * dim : nullptr;
    }
};

// Decoder timing of the synthetic worst row of a declared table: `symbols` codes whose lengths
// add up to code_bits, as equal as possible, decoded under the lane contract.
uint32_t declared_row_cycles(const DecoderConfig& decoder, uint32_t pitch_bits, uint32_t code_bits,
                             uint32_t symbols);

// Per-row lane latency (decoder_timing.hpp contract) of every row of a coded table.
// Code lengths are those of embzip::row_code_lengths, computed for all rows in one pass.
std::vector<uint32_t> coded_row_cycles(const CodedTable& table, const DecoderConfig& decoder,
                                       uint32_t pitch_bits);
// The same from a store's cached code lengths.
std::vector<uint32_t> coded_row_cycles(const CodedStore& store, const DecoderConfig& decoder,
                                       uint32_t pitch_bits);
// Code lengths of every symbol of every row (row-major), the batch form of row_code_lengths
// (embzip::all_row_code_lengths; overflowed rows have lengths 0).
std::vector<uint8_t> all_code_lengths(const CodedTable& table);

enum class Distribution { Uniform, Zipf, Sequential, Trace };
enum class TraceFormat { Text, U32, U64 };

struct StreamSpec {
    static constexpr Distribution kDistribution = Distribution::Uniform;
    static constexpr double kZipfAlpha = 0.99;
    static constexpr TraceFormat kTraceFormat = TraceFormat::Text;
    static constexpr uint64_t kBatches = 8, kBatchSize = 128, kPoolingFactor = 32;
    static constexpr uint64_t kMaxOutstanding = 64, kSeed = 1;
    Distribution distribution = kDistribution;
    double zipf_alpha = kZipfAlpha;
    std::string trace_file;
    std::string trace_key;  // key path named in trace errors (default "stream.trace_file")
    TraceFormat trace_format = kTraceFormat;
    uint64_t batches = kBatches, batch_size = kBatchSize, pooling_factor = kPoolingFactor;
    uint64_t max_outstanding = kMaxOutstanding;
    uint64_t seed = kSeed;
    uint64_t lookups() const { return batches * batch_size * pooling_factor; }
};

// Zipf ranks are scattered over a table of `rows` rows by rank * multiplier mod rows: an odd
// multiplier coprime with rows, so rank -> row is a permutation (0 for a one-row table).
uint64_t zipf_multiplier(uint64_t rows);
// The row indices of a trace file (StreamSpec::trace_file, trace_format). Read once per process
// for each file, format and row count (while the file's size and modification time stay the
// same): every system of a run (coded, two plain baselines) and each tier's rank model share
// one parse, where each used to read the file itself.
// @throws InputError for an unreadable trace or an index >= rows (naming the entry).
std::shared_ptr<const std::vector<uint64_t>> read_trace(const StreamSpec& spec, uint64_t rows);

// Zipf(alpha) over 1..n by rejection-inversion (Hörmann and Derflinger): O(1) per sample, no
// table, so 40-million-row tables cost nothing to set up.
class ZipfSampler {
  public:
    ZipfSampler(uint64_t n, double alpha);
    uint64_t operator()(std::mt19937_64& rng);

  private:
    double h(double x) const;
    double h_integral(double x) const;
    double h_integral_inverse(double x) const;
    uint64_t m_n;
    double m_alpha, m_hx1, m_hn, m_s;
};

// The lookup stream: row indices in issue order. Zipf ranks are scattered over the table by a
// fixed multiplicative permutation, so hot rows are not neighbours in memory.
class RequestProducer {
  public:
    // @throws InputError for an unreadable trace or an index >= rows (naming the entry).
    RequestProducer(const StreamSpec& spec, uint64_t rows);
    RowId next();
    uint64_t total() const { return m_total; }

  private:
    StreamSpec m_spec;
    uint64_t m_rows, m_total, m_i = 0, m_mult = 1;
    std::mt19937_64 m_rng;
    std::uniform_int_distribution<uint64_t> m_uniform;
    ZipfSampler m_zipf;
    std::shared_ptr<const std::vector<uint64_t>> m_trace;
};

// Where a lookup's row is read from: a tier-tagged byte range (tier_address()). The flat router
// of a single table in a single memory is TableModel::span itself; tiered systems use
// MemoryMap (tiers.hpp), which also counts what each tier serves.
class RowRouter {
  public:
    virtual ~RowRouter() = default;
    virtual ByteSpan row(uint32_t table, RowId row) = 0;
    virtual ByteSpan overflow(uint32_t table, RowId row) = 0;
};

struct PipelineTiming {
    unsigned lanes = 4;
    Ps decoder_period = 1000;
    unsigned fifo_rows = 16;  // rows between fetch and lanes: in flight from memory or waiting
    Ps pooling_period = 1000;
    unsigned pooling_latency_cycles = 1;
    bool lane_overlap = false;  // decoder.overlap: a lane loads the next row while one decodes
};

// Fetch, decoder lanes and pooling of one system. Inputs: lookups and memory completions (with
// the time they happen, which may be ahead of the caller's clock); outputs through the two
// callbacks, again time-stamped. Every output time is >= the input time that caused it.
// The lanes are either timed here by the contract (decoder.model cpp) or external (rtl): then
// rows that reach the input FIFO wait in take_row() for whoever runs the lanes, which reports
// back with row_started() and row_decoded().
class PipelineCore {
  public:
    using ReadFn = std::function<void(uint64_t tag, ByteSpan span, Ps at)>;
    // row: the decoded row (dim bytes) the pooling unit adds, nullptr for a timing-only table.
    using PooledFn = std::function<void(uint64_t slot, Ps at, const uint8_t* row)>;
    PipelineCore(const TableModel& table, const PipelineTiming& timing, ReadFn read,
                 PooledFn pooled, bool external_lanes = false);
    // Several tables, rows located by `router` (not owned; outlives the core).
    PipelineCore(std::vector<const TableModel*> tables, RowRouter* router,
                 const PipelineTiming& timing, ReadFn read, PooledFn pooled,
                 bool external_lanes = false);

    void lookup(uint64_t slot, RowId row, Ps at) { lookup(slot, 0, row, at); }
    void lookup(uint64_t slot, uint32_t table, RowId row, Ps at);
    void read_done(uint64_t tag, Ps at);

    // External lanes. take_row: the oldest row that has arrived by `by`, if any.
    struct Arrival {
        uint64_t slot = 0;
        RowId row{};
        Ps at = 0;
    };
    bool take_row(Ps by, Arrival& out);
    // The lane takes the row's first word at `start`: its FIFO slot is free again.
    void row_started(uint64_t slot, Ps start);
    // The lane is done with the row at `done` (decoded: its bytes; nullptr: the table's row).
    // busy_from: the lane is busy from max(start, busy_from) (overlap: the previous row's done,
    // so a lane holding two rows is not counted twice).
    void row_decoded(uint64_t slot, Ps start, Ps done, const uint8_t* row, Ps busy_from = 0);

    uint64_t lane_busy_ps() const { return m_lane_busy; }
    uint64_t pool_busy_ps() const { return m_pool_busy; }
    uint64_t overflow_reads() const { return m_overflow_reads; }
    // Code symbols the lanes decoded (an overflowed row decodes none) and bytes pooled (every
    // lookup's row): the decoder energy and the decoded bandwidth, for any number of tables.
    uint64_t symbols_decoded() const { return m_symbols_decoded; }
    uint64_t bytes_pooled() const { return m_bytes_pooled; }
    uint64_t fifo_occupancy() const { return m_timing.fifo_rows - m_credits; }
    uint64_t fetch_waiting() const { return m_waiting.size() - m_wait_head; }
    unsigned lanes() const { return m_any_coded ? m_timing.lanes : 0; }
    // Picoseconds during which at least one lookup waited for a decoder FIFO slot.
    uint64_t fifo_wait_ps() const;
    // Lookup latency (arrival to pooled) by class: the tier the row came from, coded or plain.
    // `min_ps` is the class's fastest lookup, the zero-load latency the window test uses.
    struct LatencyClass {
        uint64_t count = 0, min_ps = ~uint64_t(0), sum_ps = 0;
    };
    const std::vector<LatencyClass>& latency_classes() const { return m_classes; }

  private:
    void issue_read(uint64_t slot, Ps at);
    void pool(uint64_t slot, Ps at, const uint8_t* row);
    const TableModel& table_of(uint64_t slot) const { return *m_tables[m_table_of[slot]]; }
    std::unique_ptr<RowRouter> m_flat;  // single-table constructor
    std::vector<const TableModel*> m_tables;
    RowRouter* m_router;
    bool m_any_coded = false;
    PipelineTiming m_timing;
    ReadFn m_read;
    PooledFn m_pooled;
    std::vector<RowId> m_rows;                     // per slot
    std::vector<uint32_t> m_table_of, m_class_of;  // per slot
    std::vector<Ps> m_arrived_at;                  // per slot: lookup time
    std::vector<LatencyClass> m_classes;
    std::vector<std::pair<Ps, Ps>> m_fifo_waits;
    std::vector<LaneCycles> m_lanes;  // per lane, in decoder cycles (schedule_row)
    std::vector<std::pair<uint64_t, Ps>> m_waiting;
    size_t m_wait_head = 0;
    bool m_external;
    std::vector<Arrival> m_arrived;  // external lanes: rows in the input FIFO, arrival order
    size_t m_arrived_head = 0;
    unsigned m_credits;
    Ps m_pool_free = 0;
    uint64_t m_lane_busy = 0, m_pool_busy = 0, m_overflow_reads = 0;
    uint64_t m_symbols_decoded = 0, m_bytes_pooled = 0;
};

inline Ps align_up(Ps t, Ps period) { return (t + period - 1) / period * period; }

}  // namespace embzip::sim
