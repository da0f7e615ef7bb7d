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
[[noreturn]] void bad(const std::string& key, const std::string& what) {
    throw ConfigError(key, what);
}

}  // namespace

uint64_t DramConfig::tck_ps() const {
    return static_cast<uint64_t>(std::llround(timing.tCK_ns * 1000.0));
}

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
    pow2("pseudo_channels", c.pseudo_channels);
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
    if (c.cmd_queue_size < 1) bad("cmd_queue_size", "must be >= 1, got 0");
    if (!is_pow2(c.pseudo_channels) || c.pseudo_channels > 2)
        bad("pseudo_channels", "must be 1 or 2, got " + std::to_string(c.pseudo_channels));
    if (c.pc_bus_width() < c.device_width || c.pc_bus_width() < 8)
        bad("pseudo_channels",
            "a pseudo-channel must be at least 8 bits and one device wide, got " +
                std::to_string(c.pc_bus_width()) + " bits");
    if (!(c.timing.tCK_ns > 0.0) || c.timing.tCK_ns > 100.0)
        bad("timing.tCK", "must be in (0, 100] ns, got " + std::to_string(c.timing.tCK_ns));
    const double ps = c.timing.tCK_ns * 1000.0;
    if (std::fabs(ps - std::round(ps)) > 1e-6)
        bad("timing.tCK",
            "must be a whole number of picoseconds, got " + std::to_string(c.timing.tCK_ns));
    const DramTiming& t = c.timing;
    const std::pair<const char*, uint32_t> positive[] = {
        {"CL", t.CL},         {"tRCD", t.tRCD},     {"tRP", t.tRP},       {"tRAS", t.tRAS},
        {"tCCD_S", t.tCCD_S}, {"tCCD_L", t.tCCD_L}, {"tRRD_S", t.tRRD_S}, {"tRRD_L", t.tRRD_L},
        {"tREFI", t.tREFI},   {"tRFC", t.tRFC}};
    for (const auto& [key, v] : positive)
        if (v < 1) bad(std::string("timing.") + key, "must be >= 1, got 0");
    if (t.tRFC >= t.tREFI)
        bad("timing.tRFC",
            "must be < tREFI (" + std::to_string(t.tREFI) + "), got " + std::to_string(t.tRFC));
    AddressMapper check(c);  // throws on a bad mapping string
    (void)check;
}

AddressMapper::AddressMapper(const DramConfig& c) : m_pcs(c.pseudo_channels) {
    const std::string& m = c.address_mapping;
    const std::string key = "address_mapping";
    const size_t fields = c.pseudo_channels > 1 ? 7 : 6;
    const std::string want = fields == 7
                                 ? "seven fields of ch pc ra bg ba ro co (pseudo_channels is 2)"
                                 : "six fields of ch ra bg ba ro co";
    if (m.size() != 2 * fields) bad(key, "must be " + want + ", got '" + m + "'");
    static const char* kNames[7] = {"ch", "ra", "bg", "ba", "ro", "co", "pc"};
    const uint64_t sizes[7] = {c.channels,        c.ranks, c.bankgroups,
                               c.banks_per_group, c.rows,  c.columns / c.burst_length,
                               c.pseudo_channels};
    bool seen[7] = {};
    std::vector<int> order;
    for (size_t i = 0; i < m.size(); i += 2) {
        const std::string f = m.substr(i, 2);
        int which = -1;
        for (int k = 0; k < int(fields); ++k)
            if (f == kNames[k]) which = k;
        if (which < 0 || seen[which]) bad(key, "must be " + want + ", each once, got '" + m + "'");
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
    uint32_t pc = 0;
    uint32_t* out[7] = {&a.channel, &a.rank, &a.bankgroup, &a.bank, &a.row, &a.column, &pc};
    for (const Field& f : m_fields)
        *out[f.which] = static_cast<uint32_t>((b >> f.shift) & ((uint64_t(1) << f.bits) - 1));
    a.channel = a.channel * m_pcs + pc;
    // Addresses beyond the capacity wrap in the row field (the config check rejects tables
    // that do not fit, so this only happens for hand-built addresses).
    return a;
}

bool BurstSet::contains(uint64_t key) const {
    const size_t mask = m_keys.size() - 1;
    for (size_t i = home(key); m_keys[i] != kEmpty; i = (i + 1) & mask)
        if (m_keys[i] == key) return true;
    return false;
}

void BurstSet::insert(uint64_t key) {
    if (2 * (m_size + 1) > m_keys.size()) {
        std::vector<uint64_t> old(2 * m_keys.size(), kEmpty);
        old.swap(m_keys);
        --m_shift;
        m_size = 0;
        for (const uint64_t k : old)
            if (k != kEmpty) insert(k);
    }
    const size_t mask = m_keys.size() - 1;
    size_t i = home(key);
    while (m_keys[i] != kEmpty) i = (i + 1) & mask;
    m_keys[i] = key;
    ++m_size;
}

void BurstSet::erase(uint64_t key) {
    const size_t mask = m_keys.size() - 1;
    size_t i = home(key);
    while (m_keys[i] != key) {
        if (m_keys[i] == kEmpty) return;
        i = (i + 1) & mask;
    }
    // Backward shift (Knuth's Algorithm R): a later key of the run moves into the hole unless
    // its home lies cyclically in (hole, its slot], so every key stays reachable from its home.
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (m_keys[j] == kEmpty) break;
        const size_t k = home(m_keys[j]);
        const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            m_keys[i] = m_keys[j];
            i = j;
        }
    }
    m_keys[i] = kEmpty;
    --m_size;
}

DramChannel::DramChannel(const DramConfig& c) : m_cfg(c), m_t(c.timing) {
    m_banks.resize(size_t(c.ranks) * c.banks_per_rank());
    m_active_pos.assign(m_banks.size(), 0);
    for (size_t i = 0; i < m_banks.size(); ++i) {
        m_bank_rank.push_back(static_cast<uint16_t>(i / c.banks_per_rank()));
        m_bank_bg.push_back(static_cast<uint16_t>(i % c.banks_per_rank() / c.banks_per_group));
        m_bank_rbg.push_back(m_bank_rank.back() * c.bankgroups + m_bank_bg.back());
    }
    m_rbg = c.ranks * c.bankgroups;
    m_rest.assign(3 * size_t(m_rbg), 0);  // PRE's part stays 0: only the command bus limits it
    m_ccd_l.assign(m_rbg, 0);
    m_cand_local.assign(m_banks.size(), 0);
    m_room.assign(m_banks.size(), 1);
    m_cand_group.assign(m_banks.size(), 0);  // empty banks are not scanned; a transfer marks them
    m_ranks.resize(c.ranks);
    for (unsigned r = 0; r < c.ranks; ++r) {
        Rank& k = m_ranks[r];
        k.last_act_bg.assign(c.bankgroups, 0);
        k.last_col_bg.assign(c.bankgroups, 0);
        k.any_act_bg.assign(c.bankgroups, 0);
        k.any_col_bg.assign(c.bankgroups, 0);
        // Staggered: rank r refreshes first at (r + 1) / ranks of tREFI (DRAMsim3's
        // RANK_LEVEL_STAGGERED).
        k.refresh_due = c.refresh ? Cycle(m_t.tREFI) * (r + 1) / c.ranks : kNever;
    }
    m_stats.bank_cycles.assign(m_banks.size(), 0);
    m_stats.active_cycles.assign(c.ranks, 0);
    m_stats.precharged_cycles.assign(c.ranks, 0);
    m_last_bank = static_cast<uint32_t>(m_banks.size() - 1);
}

void DramChannel::push(const DramAddress& a, uint64_t key, uint64_t tag, Cycle arrival) {
    if (m_count == 0) catch_up_refresh(arrival);
    if (m_cfg.read_merging) {
        if (m_pending.contains(key)) {
            m_merged.emplace(key, tag);
            ++m_stats.merged;
            return;
        }
        m_pending.insert(key);
    }
    const unsigned bank =
        (a.rank * m_cfg.bankgroups + a.bankgroup) * m_cfg.banks_per_group + a.bank;
    const Request r{tag, key, bank, a.row, arrival};
    // Only a new transaction in the transaction queue can change the selection (it may move
    // to its bank before the next command); one in the backlog waits for a transfer.
    if (m_count == 0) m_dirty = true;
    if (m_txq.size() < m_cfg.queue_size && m_backlog.empty()) {
        m_txq.push_back(r);
        m_txq_dirty = true;
    } else {
        m_backlog.push_back(r);
    }
    ++m_count;
}

void DramChannel::catch_up_refresh(Cycle now) {
    // Refreshes that fell due while the channel was idle: applied in order, so one still in
    // progress at `now` blocks its rank exactly as it would have.
    for (unsigned r = 0; r < m_ranks.size(); ++r)
        while (m_ranks[r].refresh_due <= now) refresh_rank(r, m_ranks[r].refresh_due);
}

void DramChannel::set_open(unsigned bank, bool open, Cycle t) {
    Bank& b = m_banks[bank];
    if (b.open == open) return;
    b.open = open;
    Rank& r = m_ranks[rank_of(bank)];
    const unsigned ri = rank_of(bank);
    t = std::max(t, r.state_since);
    if (open && r.open_banks++ == 0) {
        m_stats.precharged_cycles[ri] += t - r.state_since;
        r.state_since = t;
    } else if (!open && --r.open_banks == 0) {
        m_stats.active_cycles[ri] += t - r.state_since;
        r.state_since = t;
    }
}

void DramChannel::refresh_rank(unsigned r, Cycle due) {
    const unsigned first = r * m_cfg.banks_per_rank(), last = first + m_cfg.banks_per_rank();
    Cycle pre = std::max(due, m_row_cmd_free);
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
        set_open(i, false, pre);
        mark_stale(i);
        b.hits = 0;
        b.row_reads = 0;
        b.act_ok = ref + m_t.tRFC;
    }
    m_ranks[r].refresh_due += m_t.tREFI;
    ++m_stats.refreshes;
    m_dirty = true;
}

void DramChannel::act_bounds(unsigned ri) {
    // tRRD_S/L and tFAW change only when this rank activates.
    const Rank& r = m_ranks[ri];
    Cycle act = 0;
    if (r.any_act) act = r.last_act + m_t.tRRD_S;
    if (r.faw_n == 4) act = std::max(act, r.faw[r.faw_i] + m_t.tFAW);
    const unsigned bgs = m_cfg.bankgroups;
    for (unsigned bg = 0; bg < bgs; ++bg) {
        Cycle a = act;
        if (r.any_act_bg[bg]) a = std::max(a, r.last_act_bg[bg] + m_t.tRRD_L);
        m_rest[m_rbg + ri * bgs + bg] = a;
    }
}

void DramChannel::rd_bounds() {
    // tCCD_S/L change only when a rank reads; the data bus (tRTRS on a rank switch) affects
    // every rank, so a read updates them all.
    const unsigned bgs = m_cfg.bankgroups;
    const Cycle cl = m_t.CL;
    for (unsigned ri = 0; ri < m_ranks.size(); ++ri) {
        const Rank& r = m_ranks[ri];
        Cycle rd = r.any_col ? r.last_col + m_t.tCCD_S : 0;
        if (m_bus_used) {
            // Data occupies [t + CL, t + CL + BL/2); a rank switch adds tRTRS of bus turnaround.
            const Cycle need = m_bus_free + (m_bus_rank != ri ? m_t.tRTRS : 0);
            rd = std::max(rd, need > cl ? need - cl : 0);
        }
        Cycle* out = &m_rest[ri * bgs];
        const Cycle* ccd_l = &m_ccd_l[ri * bgs];
        for (unsigned bg = 0; bg < bgs; ++bg) out[bg] = std::max(rd, ccd_l[bg]);
    }
}

void DramChannel::bank_local(unsigned i) {
    Bank& b = m_banks[i];
    const std::vector<Request>& q = b.queue;
    b.pos = 0;
    if (!b.open) {
        b.kind = Kind::Activate;
        m_cand_local[i] = std::max(b.act_ok, q.front().at);
        m_cand_group[i] = m_rbg + m_bank_rbg[i];
        return;
    }
    // The oldest request misses: younger hits pass it until the row has served row_hit_cap
    // reads; from then on only its PRE may go (no starvation past the cap; DRAMsim3 keeps
    // serving hits until the PRE's own timing is met). A hit and a PRE are never both
    // candidates, so the kind does not depend on the shared timing state.
    const bool head_miss = q.front().row != b.row;
    const bool capped = head_miss && b.row_reads >= m_cfg.row_hit_cap;
    if (b.hits > 0 && !capped) {
        uint32_t hit = 0;
        while (q[hit].row != b.row) ++hit;
        b.kind = Kind::Read;
        b.pos = hit;
        m_cand_local[i] = std::max(b.rd_ok, q[hit].at);
        m_cand_group[i] = m_bank_rbg[i];
        return;
    }
    b.kind = Kind::Precharge;
    m_cand_local[i] = head_miss ? std::max(b.pre_ok, q.front().at) : kNever;
    m_cand_group[i] = 2 * m_rbg + m_bank_rbg[i];
}

void DramChannel::mark_stale(unsigned bank) {
    if (m_cand_group[bank] == kStale) return;
    m_cand_group[bank] = kStale;
    m_stale.push_back(bank);
}

void DramChannel::refresh_stale() {
    for (const uint32_t i : m_stale) {
        if (!m_banks[i].queue.empty())
            bank_local(i);
        else
            m_cand_group[i] = 0;  // not scanned while empty; the next transfer marks it again
    }
    m_stale.clear();
}

void DramChannel::consider(uint32_t i) {
    if (m_cand_group[i] == kStale) refresh_stale();
    const uint32_t g = m_cand_group[i];
    const Cycle bus = g < m_rbg ? col_cmd_free() : row_cmd_free();  // RD groups come first
    const Cycle t = std::max({m_cand_local[i], m_rest[g], bus});
    // Round-robin order from the bank after the last one that issued.
    const uint32_t n = static_cast<uint32_t>(m_banks.size());
    const uint32_t rr = i > m_last_bank ? i - m_last_bank - 1 : i + n - m_last_bank - 1;
    if (t < m_bank_next || (t == m_bank_next && rr < m_best_rr)) {
        m_bank_next = t;
        m_best_rr = rr;
        m_bank_sel = i;
    }
}

void DramChannel::scan() {
    // The hot loop of the model: every active bank after every command. The best is the
    // smallest (time, round-robin rank) pair; packed into one integer (time above 16 bits of
    // rank) it is a branch-free minimum. A time that does not fit (>= 2^48 cycles, kNever)
    // takes the exact pairwise loop instead.
    refresh_stale();
    const uint32_t n = static_cast<uint32_t>(m_banks.size()), last = m_last_bank;
    const Cycle* local = m_cand_local.data();
    const uint32_t* group = m_cand_group.data();
    const Cycle* rest = m_rest.data();
    // A group's bound: its shared timing terms and its command bus (RD groups first).
    const uint32_t rbg = m_rbg;
    const Cycle col = col_cmd_free(), row = row_cmd_free();
    auto time_of = [&](uint32_t i) {
        const uint32_t g = group[i];
        return std::max({local[i], rest[g], g < rbg ? col : row});
    };
    constexpr unsigned kRrBits = 16;
    constexpr Cycle kTimeMax = (Cycle(1) << (64 - kRrBits)) - 1;
    if (n <= (1u << kRrBits) && !m_active.empty()) {
        uint64_t best_key = ~uint64_t(0);
        for (const uint32_t i : m_active) {
            const Cycle t = std::min(time_of(i), kTimeMax);
            uint32_t rr = i + n - last - 1;  // round-robin order from the bank after the last
            if (rr >= n) rr -= n;
            best_key = std::min(best_key, (t << kRrBits) | rr);
        }
        const Cycle t = best_key >> kRrBits;
        if (t < kTimeMax) {
            const uint32_t rr = static_cast<uint32_t>(best_key & ((1u << kRrBits) - 1));
            const uint32_t i = rr + last + 1;
            m_bank_next = t;
            m_best_rr = rr;
            m_bank_sel = i >= n ? i - n : i;
            return;
        }
    }
    Cycle best = kNever;
    uint32_t best_rr = ~0u, sel = m_bank_sel;
    for (const uint32_t i : m_active) {
        const Cycle t = time_of(i);
        const uint32_t rr = i > last ? i - last - 1 : i + n - last - 1;
        if (t < best || (t == best && rr < best_rr)) {
            best = t;
            best_rr = rr;
            sel = i;
        }
    }
    m_bank_next = best;
    m_best_rr = best_rr;
    m_bank_sel = sel;
}

void DramChannel::select() {
    m_dirty = false;
    m_txq_dirty = false;
    if (m_count == 0) {
        m_next = kNever;
        return;
    }
    scan();
    select_transfers();
}

void DramChannel::select_transfers() {
    // One transaction a cycle moves to its bank's command queue: of those present, the first in
    // order whose bank queue has room. In a cycle, commands issue before the move (DRAMsim3's
    // ClockTick order), so moves before the next command are done here at once: they depend
    // only on queue room, which only a read frees, and later arrivals queue behind.
    // push() reruns only this part (with the banks' selection as it was before the refresh
    // check below): a new transaction changes no bank until it moves.
    m_txq_dirty = false;
    while (m_xfer_free < m_bank_next) {  // else no move can come before the next command
        size_t j = m_txq.size();
        for (size_t k = 0; k < m_txq.size(); ++k)
            if (m_room[m_txq[k].bank] && (j == m_txq.size() || m_txq[k].at < m_txq[j].at)) j = k;
        if (j == m_txq.size()) break;
        const Cycle tx = std::max(m_xfer_free, m_txq[j].at);
        if (tx >= m_bank_next) break;
        const uint32_t bank = m_txq[j].bank;
        transfer(j, tx);
        // A new request may change its bank's candidate (a hit stops the PRE of a miss).
        if (m_bank_next != kNever && bank == m_bank_sel)
            scan();
        else
            consider(bank);
    }
    m_next = m_bank_next;
    m_sel = m_bank_sel;
    m_kind = m_banks[m_sel].kind;
    m_sel_pos = m_banks[m_sel].pos;
    for (unsigned r = 0; r < m_ranks.size(); ++r)
        if (m_ranks[r].refresh_due <= m_next) {
            m_next = m_ranks[r].refresh_due;
            m_kind = Kind::Refresh;
            m_sel = r;
        }
}

Cycle DramChannel::next_cycle() {
    if (m_dirty)
        select();
    else if (m_txq_dirty)
        select_transfers();
    return m_next;
}

void DramChannel::use_cmd_bus(bool column, Cycle t) {
    if (column && m_cfg.dual_command_bus)
        m_col_cmd_free = t + 1;
    else
        m_row_cmd_free = t + 1;
}

void DramChannel::transfer(size_t j, Cycle t) {
    const Request r = m_txq[j];
    m_txq.erase(m_txq.begin() + static_cast<std::ptrdiff_t>(j));
    Bank& b = m_banks[r.bank];
    mark_stale(r.bank);
    if (b.queue.empty()) {
        m_active_pos[r.bank] = static_cast<uint32_t>(m_active.size());
        m_active.push_back(r.bank);
    }
    b.queue.push_back(r);
    m_room[r.bank] = b.queue.size() < m_cfg.cmd_queue_size;
    b.queue.back().at = t + 1;  // the command queue is looked at from the next cycle
    if (b.open && b.row == r.row) ++b.hits;
    m_xfer_free = t + 1;
    if (!m_backlog.empty()) {
        // The freed slot is offered to the next waiting burst from the next cycle.
        m_txq.push_back(m_backlog.front());
        m_txq.back().at = std::max(m_txq.back().at, t + 1);
        m_backlog.pop_front();
    }
}

bool DramChannel::issue(std::vector<uint64_t>& tags, Cycle& data_end) {
    if (m_dirty)
        select();
    else if (m_txq_dirty)
        select_transfers();
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
    m_last_bank = m_sel;
    mark_stale(m_sel);
    if (m_kind == Kind::Activate) {
        use_cmd_bus(false, t);
        set_open(m_sel, true, t);
        b.row = b.queue.front().row;
        b.act_time = t;
        b.rd_ok = t + m_t.tRCD;
        b.pre_ok = t + m_t.tRAS;
        b.act_ok = t + m_t.tRAS + m_t.tRP;
        b.row_reads = 0;
        b.hits = static_cast<uint32_t>(std::count_if(
            b.queue.begin(), b.queue.end(), [&](const Request& x) { return x.row == b.row; }));
        r.last_act = t;
        r.any_act = true;
        r.last_act_bg[bg] = t;
        r.any_act_bg[bg] = 1;
        r.faw[r.faw_i] = t;
        r.faw_i = (r.faw_i + 1) % 4;
        r.faw_n = std::min(4u, r.faw_n + 1);
        ++m_stats.activates;
        m_stats.bank_cycles[m_sel] += m_t.tRCD;
        act_bounds(rank_of(m_sel));
        return false;
    }
    if (m_kind == Kind::Precharge) {
        use_cmd_bus(false, t);
        set_open(m_sel, false, t);
        b.hits = 0;
        b.row_reads = 0;
        b.act_ok = std::max(b.act_ok, t + m_t.tRP);
        ++m_stats.precharges;
        m_stats.bank_cycles[m_sel] += m_t.tRP;
        return false;
    }
    // Read.
    use_cmd_bus(true, t);
    const Request req = b.queue[m_sel_pos];
    b.queue.erase(b.queue.begin() + static_cast<std::ptrdiff_t>(m_sel_pos));
    m_room[m_sel] = 1;
    if (b.queue.empty()) {
        const uint32_t moved = m_active.back();
        m_active[m_active_pos[m_sel]] = moved;
        m_active_pos[moved] = m_active_pos[m_sel];
        m_active.pop_back();
    }
    --m_count;
    --b.hits;
    ++b.row_reads;
    tags.clear();
    tags.push_back(req.tag);
    if (m_cfg.read_merging) {
        m_pending.erase(req.key);
        if (!m_merged.empty()) {  // mostly empty: skip the second hash lookup per read
            const auto range = m_merged.equal_range(req.key);
            for (auto it = range.first; it != range.second; ++it) tags.push_back(it->second);
            m_merged.erase(range.first, range.second);
        }
    }
    const unsigned beats = m_cfg.burst_length / 2;
    data_end = t + m_t.CL + beats;
    m_bus_free = data_end;
    m_bus_rank = rank_of(m_sel);
    m_bus_used = true;
    r.last_col = t;
    r.any_col = true;
    r.last_col_bg[bg] = t;
    r.any_col_bg[bg] = 1;
    b.pre_ok = std::max(b.pre_ok, t + m_t.tRTP);
    m_ccd_l[m_bank_rbg[m_sel]] = t + m_t.tCCD_L;
    rd_bounds();
    ++m_stats.reads;
    m_stats.data_cycles += beats;
    m_stats.bank_cycles[m_sel] += beats;
    if (m_cfg.page_policy == PagePolicy::Closed && b.hits == 0) {
        // Read with auto-precharge: the bank closes as soon as tRTP and tRAS allow (its state
        // counts as closed from the command on, as DRAMsim3 counts it).
        const Cycle pre = std::max(t + m_t.tRTP, b.act_time + m_t.tRAS);
        set_open(m_sel, false, t);
        b.row_reads = 0;
        b.act_ok = std::max(b.act_ok, pre + m_t.tRP);
        ++m_stats.precharges;
        m_stats.bank_cycles[m_sel] += m_t.tRP;
    }
    return true;
}

void DramChannel::finish(Cycle end) {
    catch_up_refresh(end);
    for (unsigned ri = 0; ri < m_ranks.size(); ++ri) {
        Rank& r = m_ranks[ri];
        if (end <= r.state_since) continue;
        (r.open_banks ? m_stats.active_cycles : m_stats.precharged_cycles)[ri] +=
            end - r.state_since;
        r.state_since = end;
    }
}

MemoryCore::MemoryCore(const DramConfig& c) : m_cfg(c), m_map(c) {
    m_ch.reserve(c.controllers());
    for (unsigned i = 0; i < c.controllers(); ++i) m_ch.emplace_back(c);
    m_busy.resize(c.controllers());
}

uint64_t MemoryCore::bursts() const {
    uint64_t n = 0;
    for (const DramChannel& c : m_ch) n += c.stats().reads;
    return n;
}

void MemoryCore::submit(uint64_t tag, uint64_t address, uint32_t bytes, Cycle arrival) {
    m_arrivals.push({arrival, m_seq++, tag, address, bytes});
}

void MemoryCore::admit(const Arrival& a) {
    const uint64_t bb = m_cfg.burst_bytes();
    const uint64_t first = a.address / bb,
                   last = (a.address + std::max<uint32_t>(a.bytes, 1) - 1) / bb;
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
        m_ch[d.channel].push(d, b, id, a.at);
        ++m_bursts;
    }
}

Cycle MemoryCore::next_event() {
    Cycle t = m_arrivals.empty() ? kNever : m_arrivals.top().at;
    for (auto& ch : m_ch) t = std::min(t, ch.next_cycle());
    return t;
}

void MemoryCore::run_until(Cycle limit, const DoneFn& done) {
    // The tags of the burst being completed: done() may submit reads, and the next issue()
    // refills the scratch vector, so they are swapped out rather than copied. The spare buffer
    // is borrowed for the call (a nested call would just start with an empty one), so in the
    // steady state a burst costs no allocation.
    std::vector<uint64_t> tags = std::move(m_spare_tags);
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
        if (tc >= limit) break;
        Cycle end = 0;
        if (!m_ch[ci].issue(m_tags, end)) continue;
        Busy& busy = m_busy[ci];
        busy.end = std::max(busy.end, end);
        tags.swap(m_tags);
        for (const uint64_t id : tags) {
            --busy.pending;
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
    m_spare_tags = std::move(tags);
}

void MemoryCore::finish(Cycle end) {
    for (Busy& b : m_busy)
        if (b.any) {
            b.total += b.end - b.start;
            b.start = b.end;
        }
    for (DramChannel& c : m_ch) c.finish(end);
}

}  // namespace embzip::sim
