// SPDX-License-Identifier: MIT
#include "embzip_sim/model.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/histogram.hpp"
#include "embzip/layout.hpp"

namespace embzip::sim {
namespace {

uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

__extension__ typedef unsigned __int128 U128;

uint64_t gcd(uint64_t a, uint64_t b) {
    while (b) {
        const uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

}  // namespace

uint32_t resolve_pitch(const PitchSpec& spec, uint32_t w, uint32_t burst_bytes,
                       uint32_t file_pitch) {
    const uint32_t burst_bits = burst_bytes * 8;
    switch (spec.kind) {
        case PitchSpec::Kind::File:
            return file_pitch;
        case PitchSpec::Kind::Packed:
            return w;
        case PitchSpec::Kind::Byte:
            return (w + 7) / 8 * 8;
        case PitchSpec::Kind::Bits:
            return spec.bits;
        case PitchSpec::Kind::Burst: {
            // No row straddles a burst boundary: a power of two <= one burst (it divides the
            // burst), or whole bursts.
            if (w > burst_bits) return (w + burst_bits - 1) / burst_bits * burst_bits;
            uint32_t p = 1;
            while (p < w) p <<= 1;
            return p;
        }
    }
    return w;
}

ByteSpan TableModel::span(RowId row) const {
    const uint64_t start = static_cast<uint64_t>(row) * pitch_bits;
    const uint64_t end = start + row_bits;
    return {start / 8, static_cast<uint32_t>((end + 7) / 8 - start / 8)};
}

namespace {
const OverflowEntry* find_overflow(const TableModel& t, RowId row) {
    const auto r = embzip::RowId(static_cast<uint64_t>(row));
    auto it = std::lower_bound(t.overflow_index.begin(), t.overflow_index.end(), r,
                               [](const OverflowEntry& e, embzip::RowId x) { return e.row < x; });
    return it != t.overflow_index.end() && it->row == r ? &*it : nullptr;
}
}  // namespace

bool TableModel::overflows(RowId row) const {
    if (stored_overflow) return find_overflow(*this, row) != nullptr;
    if (overflow_fraction <= 0.0) return false;
    if (overflow_fraction >= 1.0) return true;
    const double u =
        static_cast<double>(splitmix64(static_cast<uint64_t>(row) ^ 0xE3B2u) >> 11) * 0x1p-53;
    return u < overflow_fraction;
}

ByteSpan TableModel::overflow_span(RowId row) const {
    if (stored_overflow) {
        const auto* e = find_overflow(*this, row);
        return {overflow_base + (e ? static_cast<uint64_t>(e->index) : 0) * dim, dim};
    }
    const uint64_t index = static_cast<uint64_t>(static_cast<double>(row) * overflow_fraction);
    return {overflow_base + index * dim, dim};
}

uint64_t TableModel::bytes_in_memory() const {
    if (stored_overflow) return overflow_base + uint64_t(overflow_index.size()) * dim;
    if (overflow_fraction <= 0.0) return (rows * pitch_bits + 7) / 8;
    return overflow_base + static_cast<uint64_t>(std::ceil(rows * overflow_fraction)) * dim;
}

uint32_t declared_row_cycles(const DecoderConfig& decoder, uint32_t pitch_bits, uint32_t code_bits,
                             uint32_t symbols) {
    std::vector<uint8_t> lens(symbols, static_cast<uint8_t>(code_bits / symbols));
    for (uint32_t i = 0; i < code_bits % symbols; ++i) ++lens[i];
    return static_cast<uint32_t>(
        row_timing(decoder, pitch_bits, lens.data(), lens.size()).latency_cycles);
}

std::vector<uint8_t> all_code_lengths(const CodedTable& table) {
    return all_row_code_lengths(table);
}

namespace {
std::vector<uint32_t> row_cycles(const std::vector<uint8_t>& lens, const CodedTable& table,
                                 const DecoderConfig& decoder, uint32_t pitch_bits) {
    const size_t per_row = size_t(table.dim) * table.spec.per_byte();
    std::vector<uint32_t> cycles(table.rows);
    for (uint64_t i = 0; i < table.rows; ++i)
        cycles[i] = static_cast<uint32_t>(
            row_timing(decoder, pitch_bits, lens.data() + i * per_row, per_row).latency_cycles);
    return cycles;
}
}  // namespace

std::vector<uint32_t> coded_row_cycles(const CodedTable& table, const DecoderConfig& decoder,
                                       uint32_t pitch_bits) {
    return row_cycles(all_code_lengths(table), table, decoder, pitch_bits);
}

std::vector<uint32_t> coded_row_cycles(const CodedStore& store, const DecoderConfig& decoder,
                                       uint32_t pitch_bits) {
    return row_cycles(store.code_lengths(), store.table(), decoder, pitch_bits);
}

ZipfSampler::ZipfSampler(uint64_t n, double alpha) : m_n(std::max<uint64_t>(n, 1)), m_alpha(alpha) {
    m_hx1 = h_integral(1.5) - 1.0;
    m_hn = h_integral(static_cast<double>(m_n) + 0.5);
    m_s = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

double ZipfSampler::h(double x) const { return std::exp(-m_alpha * std::log(x)); }

double ZipfSampler::h_integral(double x) const {
    const double lx = std::log(x);
    const double t = (1.0 - m_alpha) * lx;
    const double helper = std::fabs(t) > 1e-8 ? std::expm1(t) / t : 1.0 + t / 2.0;
    return helper * lx;
}

double ZipfSampler::h_integral_inverse(double x) const {
    double t = x * (1.0 - m_alpha);
    if (t < -1.0) t = -1.0;
    const double helper = std::fabs(t) > 1e-8 ? std::log1p(t) / t : 1.0 - t / 2.0;
    return std::exp(helper * x);
}

uint64_t ZipfSampler::operator()(std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    for (;;) {
        const double u = m_hn + u01(rng) * (m_hx1 - m_hn);
        const double x = h_integral_inverse(u);
        double kd = std::floor(x + 0.5);
        if (kd < 1.0) kd = 1.0;
        if (kd > static_cast<double>(m_n)) kd = static_cast<double>(m_n);
        if (kd - x <= m_s || u >= h_integral(kd + 0.5) - h(kd)) return static_cast<uint64_t>(kd);
    }
}

uint64_t zipf_multiplier(uint64_t rows) {
    if (rows <= 1) return 0;
    uint64_t m = 2654435761u % rows;
    while (m == 0 || gcd(m, rows) != 1) m = (m + 1) % rows;
    return m;
}

RequestProducer::RequestProducer(const StreamSpec& s, uint64_t rows)
    : m_spec(s),
      m_rows(rows),
      m_total(s.lookups()),
      m_rng(s.seed),
      m_uniform(0, rows - 1),
      m_zipf(rows, s.distribution == Distribution::Zipf ? s.zipf_alpha : 1.0) {
    m_mult = zipf_multiplier(rows);
    if (s.distribution == Distribution::Trace) m_trace = read_trace(s, rows);
}

namespace {
std::vector<uint64_t> parse_trace(const StreamSpec& s, uint64_t rows) {
    std::vector<uint64_t> m_trace;
    const std::string key = s.trace_key.empty() ? "stream.trace_file" : s.trace_key;
    if (s.trace_format == TraceFormat::Text) {
        std::ifstream in(s.trace_file);
        if (!in) throw InputError(key + ": cannot open '" + s.trace_file + "'");
        std::string line;
        uint64_t n = 0;
        while (std::getline(in, line)) {
            ++n;
            const size_t b = line.find_first_not_of(" \t\r");
            if (b == std::string::npos || line[b] == '#') continue;
            size_t used = 0;
            unsigned long long v = 0;
            try {
                v = std::stoull(line.substr(b), &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used == 0 || line[b] == '-')
                throw InputError(key + ": line " + std::to_string(n) + ": not a row index: '" +
                                 line + "'");
            if (v >= rows)
                throw InputError(key + ": line " + std::to_string(n) + ": row " +
                                 std::to_string(v) + " >= table rows " + std::to_string(rows));
            m_trace.push_back(v);
        }
    } else {
        const std::vector<uint8_t> bytes = read_file(s.trace_file);
        const size_t w = s.trace_format == TraceFormat::U32 ? 4 : 8;
        if (bytes.size() % w != 0)
            throw InputError(key + ": size " + std::to_string(bytes.size()) +
                             " is not a multiple of " + std::to_string(w) + " bytes");
        for (size_t i = 0; i < bytes.size(); i += w) {
            uint64_t v = 0;
            for (size_t k = 0; k < w; ++k) v |= uint64_t(bytes[i + k]) << (8 * k);
            if (v >= rows)
                throw InputError(key + ": entry " + std::to_string(i / w) + ": row " +
                                 std::to_string(v) + " >= table rows " + std::to_string(rows));
            m_trace.push_back(v);
        }
    }
    if (m_trace.empty()) throw InputError(key + ": no row indices in '" + s.trace_file + "'");
    return m_trace;
}
}  // namespace

std::shared_ptr<const std::vector<uint64_t>> read_trace(const StreamSpec& s, uint64_t rows) {
    // Keyed by what the parse depends on; a file that changed on disk is read again. An error
    // is not cached: the next caller gets the same message from its own parse.
    std::error_code ec;
    const auto size = std::filesystem::file_size(s.trace_file, ec);
    const auto mtime =
        ec ? std::filesystem::file_time_type{} : std::filesystem::last_write_time(s.trace_file, ec);
    const std::string id = s.trace_file + '\0' + std::to_string(int(s.trace_format)) + '\0' +
                           std::to_string(rows) + '\0' + std::to_string(ec ? 0 : size) + '\0' +
                           std::to_string(mtime.time_since_epoch().count());
    static std::mutex lock;
    static std::map<std::string, std::shared_ptr<const std::vector<uint64_t>>> cache;
    {
        const std::lock_guard<std::mutex> hold(lock);
        const auto it = cache.find(id);
        if (!ec && it != cache.end()) return it->second;
    }
    auto trace = std::make_shared<const std::vector<uint64_t>>(parse_trace(s, rows));
    if (!ec) {
        const std::lock_guard<std::mutex> hold(lock);
        cache[id] = trace;
    }
    return trace;
}

RowId RequestProducer::next() {
    const uint64_t i = m_i++;
    switch (m_spec.distribution) {
        case Distribution::Uniform:
            return RowId{m_uniform(m_rng)};
        case Distribution::Sequential:
            return RowId{i % m_rows};
        case Distribution::Trace:
            return RowId{(*m_trace)[i % m_trace->size()]};
        case Distribution::Zipf: {
            const uint64_t rank = m_zipf(m_rng) - 1;
            return RowId{static_cast<uint64_t>((static_cast<U128>(rank) * m_mult) % m_rows)};
        }
    }
    return RowId{0};
}

namespace {
// One table at byte 0 of one memory: rows at i * pitch (TableModel::span).
class FlatRouter : public RowRouter {
  public:
    explicit FlatRouter(const TableModel& t) : m_t(t) {}
    ByteSpan row(uint32_t, RowId r) override { return m_t.span(r); }
    ByteSpan overflow(uint32_t, RowId r) override { return m_t.overflow_span(r); }

  private:
    const TableModel& m_t;
};
}  // namespace

PipelineCore::PipelineCore(const TableModel& table, const PipelineTiming& timing, ReadFn read,
                           PooledFn pooled, bool external_lanes)
    : PipelineCore({&table}, nullptr, timing, std::move(read), std::move(pooled), external_lanes) {
    m_flat = std::make_unique<FlatRouter>(table);
    m_router = m_flat.get();
}

PipelineCore::PipelineCore(std::vector<const TableModel*> tables, RowRouter* router,
                           const PipelineTiming& timing, ReadFn read, PooledFn pooled,
                           bool external_lanes)
    : m_tables(std::move(tables)),
      m_router(router),
      m_timing(timing),
      m_read(std::move(read)),
      m_pooled(std::move(pooled)),
      m_external(external_lanes),
      m_credits(timing.fifo_rows) {
    for (const TableModel* t : m_tables) m_any_coded = m_any_coded || t->coded;
    m_lanes.assign(m_any_coded ? timing.lanes : 0, LaneCycles{});
}

void PipelineCore::lookup(uint64_t slot, uint32_t table, RowId row, Ps at) {
    if (slot >= m_rows.size()) {
        m_rows.resize(slot + 1);
        m_table_of.resize(slot + 1);
        m_class_of.resize(slot + 1);
        m_arrived_at.resize(slot + 1);
    }
    m_rows[slot] = row;
    m_table_of[slot] = table;
    m_arrived_at[slot] = at;
    if (!m_tables[table]->coded) return issue_read(slot, at);
    if (m_credits > 0) {
        --m_credits;
        return issue_read(slot, at);
    }
    m_waiting.emplace_back(slot, at);
}

void PipelineCore::issue_read(uint64_t slot, Ps at) {
    const uint32_t t = m_table_of[slot];
    const ByteSpan span = m_router->row(t, m_rows[slot]);
    m_class_of[slot] = tier_of(span.address) * 2 + (m_tables[t]->coded ? 1 : 0);
    // The row's values are summed when it is pooled, many simulated events later: start
    // loading them now (the decoded table is far larger than the CPU's caches).
    if (const uint8_t* data = m_tables[t]->row_data(m_rows[slot]))
        for (uint32_t b = 0; b < std::min<uint32_t>(m_tables[t]->dim, 256); b += 64)
            __builtin_prefetch(data + b);
    m_read(slot * 2, span, at);
}

void PipelineCore::read_done(uint64_t tag, Ps at) {
    const uint64_t slot = tag / 2;
    const TableModel& table = table_of(slot);
    if ((tag & 1) || !table.coded) return pool(slot, at, table.row_data(m_rows[slot]));
    if (m_external) {
        m_arrived.push_back({slot, m_rows[slot], at});
        return;
    }
    // Rows reach the lanes in arrival order (memory completions come in time order), so giving
    // each row the first lane (lowest index) that takes a first word earliest is exactly a FIFO
    // dispatcher, the RTL lanes' too. The lane's cycles are the contract's (schedule_row): with
    // decoder.overlap the next row loads while one decodes.
    const Ps period = m_timing.decoder_period;
    const uint64_t arrival = align_up(at, period) / period;
    auto lane = std::min_element(
        m_lanes.begin(), m_lanes.end(), [arrival](const LaneCycles& a, const LaneCycles& b) {
            return std::max(arrival, a.load_free) < std::max(arrival, b.load_free);
        });
    const uint64_t input = table.slot_cycles - kDecoderPipelineLatency;
    const RowTiming row{input, 0, table.cycles(m_rows[slot])};
    DecoderConfig lane_cfg;
    lane_cfg.overlap = m_timing.lane_overlap;
    const uint64_t busy_from = lane->decode_free;
    const RowCycles c = schedule_row(lane_cfg, *lane, arrival, row);
    const Ps start = Ps(c.first_word) * period, done = Ps(c.done) * period;
    row_started(slot, start);
    row_decoded(slot, start, done, nullptr, Ps(busy_from) * period);
}

uint64_t PipelineCore::fifo_wait_ps() const {
    std::vector<std::pair<Ps, Ps>> w = m_fifo_waits;
    std::sort(w.begin(), w.end());
    uint64_t total = 0;
    Ps end = 0;
    for (const auto& [a, b] : w) {
        if (b <= end) continue;
        total += b - std::max(a, end);
        end = b;
    }
    return total;
}

bool PipelineCore::take_row(Ps by, Arrival& out) {
    if (m_arrived_head == m_arrived.size() || m_arrived[m_arrived_head].at > by) return false;
    out = m_arrived[m_arrived_head++];
    if (m_arrived_head == m_arrived.size()) {
        m_arrived.clear();
        m_arrived_head = 0;
    }
    return true;
}

void PipelineCore::row_started(uint64_t, Ps start) {
    // The row leaves the input FIFO when its lane starts: that slot can be fetched into.
    if (m_wait_head < m_waiting.size()) {
        const auto [next, arrived] = m_waiting[m_wait_head++];
        if (m_wait_head == m_waiting.size()) {
            m_waiting.clear();
            m_wait_head = 0;
        }
        if (start > arrived) m_fifo_waits.emplace_back(arrived, start);
        issue_read(next, std::max(arrived, start));
    } else {
        ++m_credits;
    }
}

void PipelineCore::row_decoded(uint64_t slot, Ps start, Ps done, const uint8_t* row, Ps busy_from) {
    m_lane_busy += done - std::max(start, busy_from);
    const RowId r = m_rows[slot];
    const TableModel& table = table_of(slot);
    if (table.overflows(r)) {
        ++m_overflow_reads;
        m_read(slot * 2 + 1, m_router->overflow(m_table_of[slot], r), done);
    } else {
        m_symbols_decoded += table.symbols;
        pool(slot, done, row ? row : table.row_data(r));
    }
}

void PipelineCore::pool(uint64_t slot, Ps at, const uint8_t* row) {
    // One row per pooling cycle, in the order rows are reported (see systemc/README.md).
    const Ps start = align_up(std::max(at, m_pool_free), m_timing.pooling_period);
    m_pool_free = start + m_timing.pooling_period;
    m_pool_busy += m_timing.pooling_period;
    m_bytes_pooled += table_of(slot).dim;
    const Ps out = start + Ps(m_timing.pooling_latency_cycles) * m_timing.pooling_period;
    const uint32_t c = m_class_of[slot];
    if (c >= m_classes.size()) m_classes.resize(c + 1);
    LatencyClass& k = m_classes[c];
    ++k.count;
    k.min_ps = std::min<uint64_t>(k.min_ps, out - m_arrived_at[slot]);
    k.sum_ps += out - m_arrived_at[slot];
    m_pooled(slot, out, row);
}

}  // namespace embzip::sim
