// SPDX-License-Identifier: MIT
#include "embzip_sim/tiers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "embzip/errors.hpp"

namespace embzip::sim {
namespace {

__extension__ typedef unsigned __int128 U128;
__extension__ typedef __int128 I128;

// Inverse of a modulo n (gcd(a, n) = 1), by the extended Euclidean algorithm.
uint64_t mod_inverse(uint64_t a, uint64_t n) {
    if (n <= 1) return 0;
    I128 t = 0, nt = 1, r = n, nr = a % n;
    while (nr != 0) {
        const I128 q = r / nr;
        const I128 t2 = t - q * nt, r2 = r - q * nr;
        t = nt, nt = t2, r = nr, nr = r2;
    }
    if (t < 0) t += n;
    return static_cast<uint64_t>(t);
}

// Sum of k^-alpha for k = 1..n: exact for the first 2^20 terms, the rest by the midpoint
// integral (relative error far below the placement's granularity of one row).
double zipf_norm(uint64_t n, double alpha) {
    const uint64_t exact = std::min<uint64_t>(n, uint64_t(1) << 20);
    double s = 0;
    for (uint64_t k = exact; k >= 1; --k) s += std::pow(double(k), -alpha);
    if (n > exact) {
        const double a = double(exact) + 0.5, b = double(n) + 0.5;
        s += std::fabs(alpha - 1.0) < 1e-12
                 ? std::log(b / a)
                 : (std::pow(b, 1.0 - alpha) - std::pow(a, 1.0 - alpha)) / (1.0 - alpha);
    }
    return s;
}

uint64_t align_up64(uint64_t v, uint64_t a) { return a ? (v + a - 1) / a * a : v; }
uint64_t slot_bytes(uint64_t rows, uint32_t pitch_bits) { return (rows * pitch_bits + 7) / 8; }

}  // namespace

RankModel::RankModel(const StreamSpec& s, uint64_t rows)
    : m_rows(rows), m_pooling(double(s.pooling_factor)) {
    if (s.distribution == Distribution::Zipf) {
        m_zipf = true;
        m_alpha = s.zipf_alpha;
        m_norm = zipf_norm(rows, m_alpha);
        m_inverse = mod_inverse(zipf_multiplier(rows), rows);
    } else if (s.distribution == Distribution::Trace) {
        m_trace = true;
        const std::vector<uint64_t>& trace = *read_trace(s, rows);
        m_trace_lookups = double(trace.size());
        std::map<uint64_t, uint64_t> counts;
        for (uint64_t r : trace) ++counts[r];
        std::vector<std::pair<uint64_t, uint64_t>> by_count(counts.begin(),
                                                            counts.end());  // (row, count)
        std::stable_sort(by_count.begin(), by_count.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        for (const auto& [row, count] : by_count) {
            m_seen.emplace_back(row, m_trace_rows.size());
            m_trace_rows.push_back(row);
            m_trace_counts.push_back(count);
        }
        std::sort(m_seen.begin(), m_seen.end());
    }
}

uint64_t RankModel::rank(uint64_t row) const {
    if (m_zipf) return static_cast<uint64_t>((static_cast<U128>(row) * m_inverse) % m_rows);
    if (!m_trace) return row;
    auto it = std::lower_bound(m_seen.begin(), m_seen.end(), std::make_pair(row, uint64_t(0)));
    if (it != m_seen.end() && it->first == row) return it->second;
    // Never looked up: after every row that was, in row order.
    const uint64_t seen_below = static_cast<uint64_t>(it - m_seen.begin());
    return m_seen.size() + row - seen_below;
}

double RankModel::frequency(uint64_t rank) const {
    if (m_zipf) return m_pooling * std::pow(double(rank + 1), -m_alpha) / m_norm;
    if (!m_trace) return m_pooling / double(m_rows);
    return rank < m_trace_counts.size() ? m_pooling * double(m_trace_counts[rank]) / m_trace_lookups
                                        : 0.0;
}

uint64_t RankModel::rows_at_least(double f) const {
    if (f <= 0.0) return m_rows;
    if (m_zipf) {
        // (k)^-alpha * pooling / norm >= f  <=>  k <= (pooling / (f * norm))^(1/alpha)
        const double k = std::pow(m_pooling / (f * m_norm), 1.0 / m_alpha);
        if (!(k < double(m_rows))) return m_rows;
        uint64_t n = static_cast<uint64_t>(std::floor(k));
        // Exact at the boundary: frequency() is what the caller compares.
        while (n < m_rows && frequency(n) >= f) ++n;
        while (n > 0 && frequency(n - 1) < f) --n;
        return n;
    }
    if (!m_trace) return frequency(0) >= f ? m_rows : 0;
    const double need = f * m_trace_lookups / m_pooling;
    auto it = std::partition_point(m_trace_counts.begin(), m_trace_counts.end(),
                                   [&](uint64_t c) { return double(c) >= need; });
    return static_cast<uint64_t>(it - m_trace_counts.begin());
}

std::vector<TablePlacement> place_hot_first(const std::vector<PlacedTable>& tables,
                                            const std::vector<TierSpec>& tiers,
                                            const std::string& system) {
    const size_t n = tables.size();
    std::vector<TablePlacement> out(n);
    std::vector<uint64_t> placed(n, 0);  // ranks [0, placed[t]) are in faster tiers
    uint64_t overflow_total = 0;
    for (const PlacedTable& t : tables) overflow_total += t.overflow_bytes;
    for (size_t j = 0; j < tiers.size(); ++j) {
        const TierSpec& tier = tiers[j];
        const uint64_t align = tier.align_bytes();
        // Each table may start a region here (one granule of padding each), and the last tier
        // keeps the raw overflow regions.
        uint64_t reserve = align * n + (j + 1 == tiers.size() ? overflow_total + align * n : 0);
        const uint64_t cap = tier.capacity_bytes() > reserve ? tier.capacity_bytes() - reserve : 0;
        auto bytes_at = [&](double f, std::vector<uint64_t>* counts) {
            uint64_t total = 0;
            for (size_t t = 0; t < n; ++t) {
                const uint64_t c = std::max(placed[t], tables[t].ranks->rows_at_least(f));
                if (counts) (*counts)[t] = c;
                total += slot_bytes(c - placed[t], tables[t].pitch_bits);
            }
            return total;
        };
        std::vector<uint64_t> take(n);
        if (bytes_at(0.0, &take) > cap) {
            // The smallest frequency threshold whose rows still fit (bisection in log space).
            double hi = 0;
            for (size_t t = 0; t < n; ++t)
                if (placed[t] < tables[t].rows)
                    hi = std::max(hi, tables[t].ranks->frequency(placed[t]));
            hi *= 2.0;
            double lo = hi * 1e-300;
            if (bytes_at(lo, nullptr) <= cap) lo = 0;  // unreachable unless frequencies are tiny
            for (int it = 0; it < 200 && lo > 0; ++it) {
                const double mid = std::sqrt(hi * lo);
                if (mid <= lo || mid >= hi) break;
                (bytes_at(mid, nullptr) <= cap ? hi : lo) = mid;
            }
            std::vector<uint64_t> more(n);
            bytes_at(hi, &take);
            bytes_at(lo, &more);
            // At the boundary (rows of equal frequency, e.g. a uniform table): as many as fit,
            // hottest table first.
            uint64_t used = 0;
            for (size_t t = 0; t < n; ++t)
                used += slot_bytes(take[t] - placed[t], tables[t].pitch_bits);
            std::vector<size_t> order(n);
            for (size_t t = 0; t < n; ++t) order[t] = t;
            std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
                const double fa =
                    take[a] < tables[a].rows ? tables[a].ranks->frequency(take[a]) : 0;
                const double fb =
                    take[b] < tables[b].rows ? tables[b].ranks->frequency(take[b]) : 0;
                return fa > fb;
            });
            for (size_t t : order) {
                if (more[t] <= take[t]) continue;
                const uint64_t have = take[t] - placed[t];
                const uint64_t before = slot_bytes(have, tables[t].pitch_bits);
                // Largest k with slot_bytes(have + k) - before <= cap - used.
                const uint64_t room = cap - used;
                uint64_t k = std::min<uint64_t>(
                    more[t] - take[t], ((before + room) * 8) / tables[t].pitch_bits - have);
                while (k > 0 && slot_bytes(have + k, tables[t].pitch_bits) - before > room) --k;
                take[t] += k;
                used += slot_bytes(have + k, tables[t].pitch_bits) - before;
            }
        }
        uint64_t offset = 0;
        for (size_t t = 0; t < n; ++t) {
            if (take[t] <= placed[t]) continue;
            TablePart p;
            p.tier = static_cast<uint32_t>(j);
            p.first = placed[t];
            p.rows = take[t] - placed[t];
            p.base = align_up64(offset, align);
            p.bytes = slot_bytes(p.rows, tables[t].pitch_bits);
            offset = p.base + p.bytes;
            out[t].parts.push_back(p);
            placed[t] = take[t];
        }
        if (j + 1 == tiers.size()) {
            for (size_t t = 0; t < n; ++t) {
                out[t].overflow_tier = static_cast<uint32_t>(j);
                out[t].overflow_base = align_up64(offset, align);
                out[t].overflow_bytes = tables[t].overflow_bytes;
                offset = out[t].overflow_base + tables[t].overflow_bytes;
            }
        }
    }
    uint64_t need = 0, have = 0;
    bool fits = true;
    for (size_t t = 0; t < n; ++t) {
        need += slot_bytes(tables[t].rows, tables[t].pitch_bits) + tables[t].overflow_bytes;
        fits = fits && placed[t] == tables[t].rows;
    }
    for (const TierSpec& tier : tiers) have += tier.capacity_bytes();
    if (!fits)
        throw InputError("tiers: the " + system + " system's tables need " + std::to_string(need) +
                         " bytes, its tiers hold " + std::to_string(have) + " bytes (" +
                         std::to_string(tiers.size()) + " tier" + (tiers.size() > 1 ? "s" : "") +
                         ", one alignment granule per table and tier reserved): they fit nowhere");
    return out;
}

RowCache::RowCache(uint64_t lines, unsigned ways)
    : m_sets(std::max<uint64_t>(1, lines / std::max(1u, ways))),
      m_ways(std::max(1u, ways)),
      m_keys(m_sets * m_ways, std::numeric_limits<uint64_t>::max()),
      m_stamp(m_sets * m_ways, 0) {}

bool RowCache::access(uint64_t key, uint64_t& line) {
    const uint64_t first = (key % m_sets) * m_ways;
    uint64_t victim = first;
    for (uint64_t l = first; l < first + m_ways; ++l) {
        if (m_keys[l] == key) {
            m_stamp[l] = ++m_clock;
            line = l;
            ++m_hits;
            return true;
        }
        if (m_stamp[l] < m_stamp[victim]) victim = l;  // unused lines have stamp 0: taken first
    }
    m_keys[victim] = key;
    m_stamp[victim] = ++m_clock;
    line = victim;
    ++m_misses;
    return false;
}

uint32_t value_bits(ValueType v) {
    switch (v) {
        case ValueType::Int8:
        case ValueType::Uint8:
            return 8;
        case ValueType::Bf16:
        case ValueType::Fp16:
            return 16;
        case ValueType::Fp32:
            return 32;
    }
    return 8;
}

uint32_t raw_bits(ValueType v) {
    // The encoder codes the exponent field and stores sign + mantissa raw (float_table.hpp).
    switch (v) {
        case ValueType::Bf16:
            return 8;  // exponent 8 of 16
        case ValueType::Fp16:
            return 11;  // exponent 5 of 16
        case ValueType::Fp32:
            return 24;  // exponent 8 of 32
        default:
            return 0;
    }
}

MemoryMap::MemoryMap(std::vector<const TableModel*> tables, std::vector<const RankModel*> ranks,
                     std::vector<TablePlacement> placement, const std::vector<TierSpec>& tiers,
                     const PlacementSpec& policy)
    : m_tables(std::move(tables)), m_ranks(std::move(ranks)), m_place(std::move(placement)) {
    uint64_t base = 0;
    for (size_t t = 0; t < m_tables.size(); ++t) {
        m_key_base.push_back(base);
        base += m_tables[t]->rows;
        std::vector<uint64_t> mult;
        for (const TablePart& p : m_place[t].parts) mult.push_back(zipf_multiplier(p.rows));
        m_mult.push_back(mult);
    }
    m_served.assign(m_tables.size(), std::vector<uint64_t>(tiers.size(), 0));
    if (policy.policy == PlacementPolicy::Cache) {
        // A line holds one row slot of the widest table (coded rows take their pitch).
        for (const TableModel* t : m_tables)
            m_line_bytes = std::max<uint64_t>(m_line_bytes, (t->pitch_bits + 7) / 8);
        m_cache = std::make_unique<RowCache>(tiers[0].capacity_bytes() / m_line_bytes, policy.ways);
    }
}

ByteSpan MemoryMap::home(uint32_t t, RowId row) const {
    const TableModel& tm = *m_tables[t];
    const TablePlacement& pl = m_place[t];
    uint64_t slot = static_cast<uint64_t>(row);
    size_t k = 0;
    if (pl.parts.size() > 1) {
        // Split over tiers: each tier holds a rank range in rank order, scattered (Zipf) so
        // that hot rows are not neighbours, as in a table of their own.
        const uint64_t rank = m_ranks[t]->rank(slot);
        while (k + 1 < pl.parts.size() && rank >= pl.parts[k + 1].first) ++k;
        const uint64_t local = rank - pl.parts[k].first;
        slot = m_ranks[t]->zipf()
                   ? static_cast<uint64_t>((static_cast<U128>(local) * m_mult[t][k]) %
                                           pl.parts[k].rows)
                   : local;
    }
    const TablePart& p = pl.parts[k];
    const ByteSpan s = tm.span(RowId{slot});
    return {tier_address(p.tier, p.base + s.address), s.bytes};
}

ByteSpan MemoryMap::row(uint32_t t, RowId row) {
    if (m_cache) {
        uint64_t line = 0;
        if (m_cache->access(m_key_base[t] + static_cast<uint64_t>(row), line)) {
            ++m_served[t][0];
            return {tier_address(0, line * m_line_bytes), (m_tables[t]->row_bits + 7) / 8};
        }
    }
    const ByteSpan s = home(t, row);
    ++m_served[t][tier_of(s.address)];
    return s;
}

ByteSpan MemoryMap::overflow(uint32_t t, RowId row) {
    const TableModel& tm = *m_tables[t];
    const ByteSpan s = tm.overflow_span(row);
    const TablePlacement& pl = m_place[t];
    ++m_served[t][pl.overflow_tier];
    return {tier_address(pl.overflow_tier, pl.overflow_base + (s.address - tm.overflow_base)),
            s.bytes};
}

void MemoryMap::warm(uint32_t t, RowId row) {
    uint64_t line = 0;
    if (m_cache) m_cache->access(m_key_base[t] + static_cast<uint64_t>(row), line);
}

void MemoryMap::reset_counts() {
    if (m_cache) m_cache->reset_counts();
    for (auto& v : m_served) std::fill(v.begin(), v.end(), 0);
}

SramCore::SramCore(const SramSpec& spec)
    : m_spec(spec),
      m_period(static_cast<Ps>(std::llround(1000.0 / spec.clock_ghz))),
      m_bank_free(spec.banks, 0) {}

void SramCore::submit(uint64_t tag, uint64_t address, uint32_t bytes, Ps arrival) {
    m_arrivals.push({arrival, m_seq++, tag, address, bytes});
}

Ps SramCore::next_event() const {
    return m_arrivals.empty() ? std::numeric_limits<Ps>::max() : m_arrivals.top().at;
}

void SramCore::run_until(Ps limit, const DoneFn& done) {
    while (!m_arrivals.empty() && m_arrivals.top().at < limit) {
        const Arrival a = m_arrivals.top();
        m_arrivals.pop();
        const uint64_t bw = m_spec.bytes_per_cycle, banks = m_spec.banks;
        const uint64_t w0 = a.address / bw,
                       w1 = (a.address + std::max<uint32_t>(a.bytes, 1) - 1) / bw;
        const uint64_t words = w1 - w0 + 1;
        const Ps start = align_up(a.at, m_period);
        Ps last = start;
        for (uint64_t k = 0; k < std::min<uint64_t>(words, banks); ++k) {
            const uint64_t b = (w0 + k) % banks;
            const uint64_t count = words / banks + (k < words % banks ? 1 : 0);
            const Ps s = std::max(start, m_bank_free[b]);
            m_bank_free[b] = s + count * m_period;
            m_busy += count * m_period;
            last = std::max(last, m_bank_free[b]);
        }
        m_bytes += a.bytes;
        ++m_reads;
        done(a.tag, last + Ps(m_spec.latency_cycles) * m_period);
    }
}

TieredMemoryCore::TieredMemoryCore(const std::vector<TierSpec>& tiers) : m_specs(tiers) {
    for (const TierSpec& s : tiers) {
        Tier t;
        if (s.sram) {
            t.sram = std::make_unique<SramCore>(s.sram_spec);
        } else {
            t.dram = std::make_unique<MemoryCore>(s.dram);
            t.tck = s.dram.tck_ps();
        }
        m_tiers.push_back(std::move(t));
    }
}

void TieredMemoryCore::submit(uint64_t tag, uint64_t a, uint32_t bytes, Ps arrival) {
    const size_t t = a >> kTierShift;
    const uint64_t address = a & ((uint64_t(1) << kTierShift) - 1);
    Tier& x = m_tiers.at(t);
    if (x.sram)
        x.sram->submit(tag, address, bytes, arrival);
    else
        x.dram->submit(tag, address, bytes, (arrival + x.tck - 1) / x.tck);
}

Ps TieredMemoryCore::next_of(size_t t) {
    Tier& x = m_tiers[t];
    if (x.sram) return x.sram->next_event();
    const Cycle c = x.dram->next_event();
    return c == kNever ? std::numeric_limits<Ps>::max() : c * x.tck;
}

Ps TieredMemoryCore::next_event() {
    Ps best = std::numeric_limits<Ps>::max();
    for (size_t t = 0; t < m_tiers.size(); ++t) best = std::min(best, next_of(t));
    return best;
}

void TieredMemoryCore::run_until(Ps limit, const DoneFn& done) {
    auto run_one = [&](size_t t, Ps until) {
        Tier& x = m_tiers[t];
        if (x.sram) return x.sram->run_until(until, done);
        const Ps tck = x.tck;
        x.dram->run_until((until + tck - 1) / tck,
                          [&](uint64_t tag, Cycle end) { done(tag, end * tck); });
    };
    if (m_tiers.size() == 1) return run_one(0, limit);
    // Several tiers: always advance the one with the earliest event by that event only, so a
    // completion in one tier that causes a read in another is seen before that tier moves on.
    for (;;) {
        size_t best = 0;
        Ps t = std::numeric_limits<Ps>::max();
        for (size_t k = 0; k < m_tiers.size(); ++k) {
            const Ps e = next_of(k);
            if (e < t) t = e, best = k;
        }
        if (t >= limit) return;
        run_one(best, t + 1);
    }
}

void TieredMemoryCore::finish(Ps end) {
    for (Tier& x : m_tiers)
        if (x.dram) x.dram->finish(end / x.tck);
}

uint64_t TieredMemoryCore::bytes_read(size_t t) const {
    const Tier& x = m_tiers[t];
    return x.sram ? x.sram->bytes_read() : x.dram->bursts() * m_specs[t].dram.burst_bytes();
}

}  // namespace embzip::sim
