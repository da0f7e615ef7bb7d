// SPDX-License-Identifier: MIT
#include "embzip_sim/dram.hpp"

#include <algorithm>
#include <cmath>

#include "embzip_sim/config_error.hpp"

namespace embzip::sim {
namespace {

bool is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
unsigned log2u(uint64_t v) {
    unsigned n = 0;
    while ((uint64_t(1) << n) < v) ++n;
    return n;
}
[[noreturn]] void bad(const std::string& key, const std::string& what) { throw ConfigError(key, what); }

}  // namespace

uint64_t DramConfig::tck_ps() const { return static_cast<uint64_t>(std::llround(timing.tCK_ns * 1000.0)); }

std::string display_name(const DramConfig& c) {
    return !c.name.empty() ? c.name : !c.protocol.empty() ? c.protocol : "memory";
}

void validate(const DramConfig& c) {
    auto pow2 = [&](const char* key, uint64_t v) {
        if (!is_pow2(v)) bad(key, "must be a power of two >= 1, got " + std::to_string(v));
    };
    pow2("channels", c.channels);
    pow2("ranks", c.ranks);
    pow2("bankgroups", c.bankgroups);
    pow2("banks_per_group", c.banks_per_group);
    pow2("rows", c.rows);
    pow2("columns", c.columns);
    pow2("bus_width", c.bus_width);
    pow2("device_width", c.device_width);
    pow2("BL", c.burst_length);
    if (c.device_width > c.bus_width)
        bad("device_width", "must be <= bus_width (" + std::to_string(c.bus_width) + "), got " +
                                     std::to_string(c.device_width));
    if (c.burst_length > c.columns)
        bad("BL", "must be <= columns (" + std::to_string(c.columns) + "), got " +
                           std::to_string(c.burst_length));
    if (c.burst_bytes() < 8)
        bad("BL", "a burst (BL * bus_width / 8) must be at least 8 bytes, got " +
                           std::to_string(c.burst_bytes()));
    if (c.queue_size < 1) bad("queue_size", "must be >= 1, got 0");
    if (!(c.timing.tCK_ns > 0.0) || c.timing.tCK_ns > 100.0)
        bad("timing.tCK", "must be in (0, 100] ns, got " + std::to_string(c.timing.tCK_ns));
    const double ps = c.timing.tCK_ns * 1000.0;
    if (std::fabs(ps - std::round(ps)) > 1e-6)
        bad("timing.tCK", "must be a whole number of picoseconds, got " + std::to_string(c.timing.tCK_ns));
    const DramTiming& t = c.timing;
    const std::pair<const char*, uint32_t> positive[] = {
        {"CL", t.CL}, {"tRCD", t.tRCD}, {"tRP", t.tRP}, {"tRAS", t.tRAS}, {"tCCD_S", t.tCCD_S},
        {"tCCD_L", t.tCCD_L}, {"tRRD_S", t.tRRD_S}, {"tRRD_L", t.tRRD_L}, {"tREFI", t.tREFI}, {"tRFC", t.tRFC}};
    for (const auto& [key, v] : positive)
        if (v < 1) bad(std::string("timing.") + key, "must be >= 1, got 0");
    if (t.tRFC >= t.tREFI)
        bad("timing.tRFC", "must be < tREFI (" + std::to_string(t.tREFI) + "), got " + std::to_string(t.tRFC));
    AddressMapper check(c);  // throws on a bad mapping string
    (void)check;
}

AddressMapper::AddressMapper(const DramConfig& c) {
    const std::string& m = c.address_mapping;
    const std::string key = "address_mapping";
    if (m.size() != 12) bad(key, "must be six fields of ch ra bg ba ro co, got '" + m + "'");
    static const char* kNames[6] = {"ch", "ra", "bg", "ba", "ro", "co"};
    const uint64_t sizes[6] = {c.channels, c.ranks, c.bankgroups, c.banks_per_group, c.rows,
                               c.columns / c.burst_length};
    bool seen[6] = {};
    std::vector<int> order;
    for (size_t i = 0; i < 12; i += 2) {
        const std::string f = m.substr(i, 2);
        int which = -1;
        for (int k = 0; k < 6; ++k)
            if (f == kNames[k]) which = k;
        if (which < 0 || seen[which]) bad(key, "must be six fields of ch ra bg ba ro co, each once, got '" + m + "'");
        seen[which] = true;
        order.push_back(which);
    }
    unsigned shift = 0;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        const unsigned bits = log2u(sizes[*it]);
        m_fields.push_back({*it, shift, bits});
        shift += bits;
    }
    m_burst_shift = log2u(c.burst_bytes());
}

DramAddress AddressMapper::map(uint64_t byte_address) const {
    const uint64_t b = byte_address >> m_burst_shift;
    DramAddress a;
    uint32_t* out[6] = {&a.channel, &a.rank, &a.bankgroup, &a.bank, &a.row, &a.column};
    for (const Field& f : m_fields) *out[f.which] = static_cast<uint32_t>((b >> f.shift) & ((uint64_t(1) << f.bits) - 1));
    // Addresses beyond the capacity wrap in the row field (the config check rejects tables
    // that do not fit, so this only happens for hand-built addresses).
    return a;
}

DramChannel::DramChannel(const DramConfig& c) : m_cfg(c), m_t(c.timing) {
    m_banks.resize(size_t(c.ranks) * c.banks_per_rank());
    m_ranks.resize(c.ranks);
    for (unsigned r = 0; r < c.ranks; ++r) {
        Rank& k = m_ranks[r];
        k.last_act_bg.assign(c.bankgroups, 0);
        k.last_col_bg.assign(c.bankgroups, 0);
        k.any_act_bg.assign(c.bankgroups, false);
        k.any_col_bg.assign(c.bankgroups, false);
        // Staggered: rank r refreshes first at (r + 1) / ranks of tREFI.
        k.refresh_due = c.refresh ? Cycle(m_t.tREFI) * (r + 1) / c.ranks : kNever;
    }
    m_stats.bank_cycles.assign(m_banks.size(), 0);
}

void DramChannel::push(const DramAddress& a, uint64_t tag, Cycle arrival) {
    if (m_count == 0) catch_up_refresh(arrival);
    const unsigned bank = (a.rank * m_cfg.bankgroups + a.bankgroup) * m_cfg.banks_per_group + a.bank;
    Bank& b = m_banks[bank];
    if (b.queue.empty()) {
        b.active_pos = static_cast<uint32_t>(m_active.size());
        m_active.push_back(bank);
    }
    b.queue.push_back({tag, m_seq++, arrival, a.row});
    if (b.open && b.row == a.row) ++b.hits;
    ++m_count;
    m_dirty = true;
}

void DramChannel::catch_up_refresh(Cycle now) {
    // Refreshes that fell due while the channel was idle: applied in order, so one still in
    // progress at `now` blocks its rank exactly as it would have.
    for (unsigned r = 0; r < m_ranks.size(); ++r)
        while (m_ranks[r].refresh_due <= now) refresh_rank(r, m_ranks[r].refresh_due);
}

void DramChannel::refresh_rank(unsigned r, Cycle due) {
    const unsigned first = r * m_cfg.banks_per_rank(), last = first + m_cfg.banks_per_rank();
    Cycle pre = std::max(due, m_cmd_free);
    bool any_open = false;
    for (unsigned i = first; i < last; ++i)
        if (m_banks[i].open) {
            any_open = true;
            pre = std::max(pre, m_banks[i].pre_ok);
        }
    Cycle ref = any_open ? pre + m_t.tRP : pre;
    for (unsigned i = first; i < last; ++i) ref = std::max(ref, m_banks[i].act_ok);
    for (unsigned i = first; i < last; ++i) {
        Bank& b = m_banks[i];
        if (b.open) ++m_stats.precharges;
        b.open = false;
        b.hits = 0;
        b.act_ok = ref + m_t.tRFC;
    }
    m_ranks[r].refresh_due += m_t.tREFI;
    ++m_stats.refreshes;
    m_dirty = true;
}

Cycle DramChannel::act_earliest(unsigned i) const {
    const Bank& b = m_banks[i];
    const Rank& r = m_ranks[rank_of(i)];
    const unsigned bg = bg_of(i);
    Cycle t = std::max(b.act_ok, m_cmd_free);
    if (r.any_act) t = std::max(t, r.last_act + m_t.tRRD_S);
    if (r.any_act_bg[bg]) t = std::max(t, r.last_act_bg[bg] + m_t.tRRD_L);
    if (r.faw_n == 4) t = std::max(t, r.faw[r.faw_i] + m_t.tFAW);
    return t;
}

Cycle DramChannel::rd_earliest(unsigned i) const {
    const Bank& b = m_banks[i];
    const unsigned rank = rank_of(i);
    const Rank& r = m_ranks[rank];
    const unsigned bg = bg_of(i);
    Cycle t = std::max(b.rd_ok, m_cmd_free);
    if (r.any_col) t = std::max(t, r.last_col + m_t.tCCD_S);
    if (r.any_col_bg[bg]) t = std::max(t, r.last_col_bg[bg] + m_t.tCCD_L);
    if (m_bus_used) {
        // Data occupies [t + CL, t + CL + BL/2); a rank switch adds tRTRS of bus turnaround.
        const Cycle need = m_bus_free + (m_bus_rank != rank ? m_t.tRTRS : 0);
        if (t + m_t.CL < need) t = need - m_t.CL;
    }
    return t;
}

void DramChannel::select() {
    m_dirty = false;
    m_next = kNever;
    bool best_miss = true;
    uint64_t best_seq = ~uint64_t(0);
    if (m_count == 0) return;
    for (const uint32_t i : m_active) {
        Bank& b = m_banks[i];
        size_t pos = 0;
        Kind kind;
        Cycle t;
        if (b.open && b.hits > 0) {
            while (b.queue[pos].row != b.row) ++pos;
            kind = Kind::Read;
            t = rd_earliest(i);
        } else if (b.open) {
            kind = Kind::Precharge;
            t = std::max(b.pre_ok, m_cmd_free);
        } else {
            kind = Kind::Activate;
            t = act_earliest(i);
        }
        t = std::max(t, b.queue[pos].arrival);
        const bool miss = kind != Kind::Read;
        const uint64_t seq = b.queue[pos].seq;
        if (t < m_next || (t == m_next && (miss < best_miss || (miss == best_miss && seq < best_seq)))) {
            m_next = t;
            best_miss = miss;
            best_seq = seq;
            m_kind = kind;
            m_sel = i;
            m_sel_pos = pos;
        }
    }
    for (unsigned r = 0; r < m_ranks.size(); ++r)
        if (m_ranks[r].refresh_due <= m_next) {
            m_next = m_ranks[r].refresh_due;
            m_kind = Kind::Refresh;
            m_sel = r;
        }
}

Cycle DramChannel::next_cycle() {
    if (m_dirty) select();
    return m_next;
}

bool DramChannel::issue(uint64_t& tag, Cycle& data_end) {
    if (m_dirty) select();
    if (m_next == kNever) return false;
    const Cycle t = m_next;
    m_dirty = true;
    if (m_kind == Kind::Refresh) {
        refresh_rank(m_sel, m_ranks[m_sel].refresh_due);
        return false;
    }
    Bank& b = m_banks[m_sel];
    Rank& r = m_ranks[rank_of(m_sel)];
    const unsigned bg = bg_of(m_sel);
    m_cmd_free = t + 1;
    if (m_kind == Kind::Activate) {
        b.open = true;
        b.row = b.queue[m_sel_pos].row;
        b.act_time = t;
        b.rd_ok = t + m_t.tRCD;
        b.pre_ok = t + m_t.tRAS;
        b.act_ok = t + m_t.tRAS + m_t.tRP;
        b.hits = static_cast<uint32_t>(
            std::count_if(b.queue.begin(), b.queue.end(), [&](const Burst& x) { return x.row == b.row; }));
        r.last_act = t;
        r.any_act = true;
        r.last_act_bg[bg] = t;
        r.any_act_bg[bg] = true;
        r.faw[r.faw_i] = t;
        r.faw_i = (r.faw_i + 1) % 4;
        r.faw_n = std::min(4u, r.faw_n + 1);
        ++m_stats.activates;
        m_stats.bank_cycles[m_sel] += m_t.tRCD;
        return false;
    }
    if (m_kind == Kind::Precharge) {
        b.open = false;
        b.hits = 0;
        b.act_ok = std::max(b.act_ok, t + m_t.tRP);
        ++m_stats.precharges;
        m_stats.bank_cycles[m_sel] += m_t.tRP;
        return false;
    }
    // Read.
    tag = b.queue[m_sel_pos].tag;
    b.queue.erase(b.queue.begin() + static_cast<std::ptrdiff_t>(m_sel_pos));
    if (b.queue.empty()) {
        const uint32_t moved = m_active.back();
        m_active[b.active_pos] = moved;
        m_banks[moved].active_pos = b.active_pos;
        m_active.pop_back();
    }
    --m_count;
    --b.hits;
    const unsigned beats = m_cfg.burst_length / 2;
    data_end = t + m_t.CL + beats;
    m_bus_free = data_end;
    m_bus_rank = rank_of(m_sel);
    m_bus_used = true;
    r.last_col = t;
    r.any_col = true;
    r.last_col_bg[bg] = t;
    r.any_col_bg[bg] = true;
    b.pre_ok = std::max(b.pre_ok, t + m_t.tRTP);
    ++m_stats.reads;
    m_stats.data_cycles += beats;
    m_stats.bank_cycles[m_sel] += beats;
    if (m_cfg.page_policy == PagePolicy::Closed && b.hits == 0) {
        // Read with auto-precharge: the bank closes as soon as tRTP and tRAS allow.
        const Cycle pre = std::max(t + m_t.tRTP, b.act_time + m_t.tRAS);
        b.open = false;
        b.act_ok = std::max(b.act_ok, pre + m_t.tRP);
        ++m_stats.precharges;
        m_stats.bank_cycles[m_sel] += m_t.tRP;
    }
    return true;
}

MemoryCore::MemoryCore(const DramConfig& c) : m_cfg(c), m_map(c) {
    m_ch.reserve(c.channels);
    for (unsigned i = 0; i < c.channels; ++i) m_ch.emplace_back(c);
    m_backlog.resize(c.channels);
    m_busy.resize(c.channels);
}

void MemoryCore::submit(uint64_t tag, uint64_t address, uint32_t bytes, Cycle arrival) {
    m_arrivals.push({arrival, m_seq++, tag, address, bytes});
}

void MemoryCore::admit(const Arrival& a) {
    const uint64_t bb = m_cfg.burst_bytes();
    const uint64_t first = a.address / bb, last = (a.address + std::max<uint32_t>(a.bytes, 1) - 1) / bb;
    uint64_t id;
    if (!m_free_txns.empty()) {
        id = m_free_txns.back();
        m_free_txns.pop_back();
    } else {
        id = m_txns.size();
        m_txns.emplace_back();
    }
    m_txns[id] = {static_cast<uint32_t>(last - first + 1), 0, a.tag};
    for (uint64_t b = first; b <= last; ++b) {
        const DramAddress d = m_map.map(b * bb);
        Busy& busy = m_busy[d.channel];
        if (busy.pending++ == 0) {
            if (!busy.any || a.at > busy.end) {
                if (busy.any) busy.total += busy.end - busy.start;
                busy.start = a.at;
                busy.end = a.at;
                busy.any = true;
            }
        }
        if (m_ch[d.channel].full() || !m_backlog[d.channel].empty())
            m_backlog[d.channel].push({d, id});
        else
            m_ch[d.channel].push(d, id, a.at);
        ++m_bursts;
    }
}

Cycle MemoryCore::next_event() {
    Cycle t = m_arrivals.empty() ? kNever : m_arrivals.top().at;
    for (auto& ch : m_ch) t = std::min(t, ch.next_cycle());
    return t;
}

void MemoryCore::run_until(Cycle limit, const DoneFn& done) {
    for (;;) {
        Cycle tc = kNever;
        size_t ci = 0;
        for (size_t c = 0; c < m_ch.size(); ++c) {
            const Cycle t = m_ch[c].next_cycle();
            if (t < tc) {
                tc = t;
                ci = c;
            }
        }
        const Cycle ta = m_arrivals.empty() ? kNever : m_arrivals.top().at;
        if (ta <= tc && ta < limit) {
            const Arrival a = m_arrivals.top();
            m_arrivals.pop();
            admit(a);
            continue;
        }
        if (tc >= limit) return;
        uint64_t id = 0;
        Cycle end = 0;
        if (!m_ch[ci].issue(id, end)) continue;
        Busy& busy = m_busy[ci];
        --busy.pending;
        busy.end = std::max(busy.end, end);
        auto& backlog = m_backlog[ci];
        while (!backlog.empty() && !m_ch[ci].full()) {
            m_ch[ci].push(backlog.front().address, backlog.front().txn, tc);
            backlog.pop();
        }
        Txn& x = m_txns[id];
        x.end = std::max(x.end, end);
        if (--x.remaining == 0) {
            const uint64_t tag = x.tag;
            const Cycle e = x.end;
            m_free_txns.push_back(id);
            done(tag, e);  // may submit() new reads; they are picked up by the next iteration
        }
    }
}

void MemoryCore::finish(Cycle) {
    for (Busy& b : m_busy)
        if (b.any) {
            b.total += b.end - b.start;
            b.start = b.end;
        }
}

}  // namespace embzip::sim
