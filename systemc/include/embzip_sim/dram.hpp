// SPDX-License-Identifier: MIT
// DRAM timing model: plain C++, no SystemC. One DramChannel per channel schedules read bursts
// with FR-FCFS under the usual DDR timing constraints; MemoryCore splits byte ranges into bursts,
// maps them to channels and runs every channel in global time order.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

namespace embzip::sim {

using Cycle = uint64_t;
constexpr Cycle kNever = std::numeric_limits<Cycle>::max();

// Timing parameters in memory clock cycles (tCK in ns). All required in a config except tRTRS;
// the initial values (DDR4-3200) only serve code that builds a DramConfig by hand.
struct DramTiming {
    static constexpr uint32_t kTRTRS = 1;
    double tCK_ns = 0.625;
    uint32_t CL = 22, tRCD = 22, tRP = 22, tRAS = 52, tRTP = 12;
    uint32_t tCCD_S = 4, tCCD_L = 8, tRRD_S = 4, tRRD_L = 8, tFAW = 34;
    uint32_t tREFI = 12480, tRFC = 560, tRTRS = kTRTRS;
};

enum class PagePolicy { Open, Closed };

// IDD currents (mA, per device) and VDD of a DRAM datasheet, as DRAMsim3's .ini [power] section
// has them, plus the interface energy per bit. Energy follows DRAMPower's method (see energy.hpp).
struct DramPower {
    double VDD = 0, IDD0 = 0, IDD2N = 0, IDD3N = 0, IDD4R = 0, IDD5AB = 0;
    std::optional<double> io_pj_per_bit;  // read data across the interface; absent: not modelled
};

// Geometry follows DRAMsim3: a column is device_width bits of each of the bus_width/device_width
// devices of a rank, so a DRAM row holds columns * bus_width / 8 bytes and a burst BL columns.
// The controller also follows DRAMsim3's: a transaction queue per channel (queue_size) feeding
// per-bank command queues (cmd_queue_size), FR-FCFS within a bank with a row-hit cap.
struct DramConfig {
    static constexpr PagePolicy kPagePolicy = PagePolicy::Open;
    static constexpr uint32_t kQueueSize = 32;
    static constexpr uint32_t kCmdQueueSize = 8;
    static constexpr uint32_t kRowHitCap = 4;
    static constexpr bool kReadMerging = true;
    static constexpr bool kDualCommandBus = false;
    static constexpr uint32_t kPseudoChannels = 1;
    static constexpr bool kRefresh = true;
    std::string name;      // label; the protocol when empty
    std::string protocol;  // label
    uint32_t channels = 1, ranks = 1, bankgroups = 4, banks_per_group = 4;
    uint32_t rows = 65536, columns = 1024, device_width = 8, bus_width = 64, burst_length = 8;
    std::string address_mapping = "rochrababgco";
    PagePolicy page_policy = kPagePolicy;
    uint32_t queue_size = kQueueSize;         // transaction queue per channel, in bursts
    uint32_t cmd_queue_size = kCmdQueueSize;  // command queue per bank
    uint32_t row_hit_cap =
        kRowHitCap;                    // reads an open row serves before an older miss may close it
    bool read_merging = kReadMerging;  // a read of a burst already queued joins that read
    bool dual_command_bus =
        kDualCommandBus;  // HBM: row (ACT/PRE) and column (RD) commands in one cycle
    uint32_t pseudo_channels = kPseudoChannels;  // HBM2 pseudo-channel mode: 2
    bool refresh = kRefresh;
    DramTiming timing;
    std::optional<DramPower> power;  // no energy figures without it

    // Per (pseudo-)channel: what one controller sees.
    uint32_t pc_bus_width() const { return bus_width / pseudo_channels; }
    uint32_t burst_bytes() const { return burst_length * pc_bus_width() / 8; }
    uint64_t row_bytes() const { return uint64_t(columns) * pc_bus_width() / 8; }
    uint32_t banks_per_rank() const { return bankgroups * banks_per_group; }
    uint32_t controllers() const { return channels * pseudo_channels; }
    uint32_t devices_per_rank() const { return pc_bus_width() / device_width; }
    uint64_t capacity_bytes() const {
        return uint64_t(controllers()) * ranks * banks_per_rank() * rows * row_bytes();
    }
    uint64_t tck_ps() const;
    // Double data rate: bus_width bits move twice per clock on every channel.
    double peak_bytes_per_s() const {
        return channels * bus_width / 8.0 * 2.0 / (timing.tCK_ns * 1e-9);
    }
};

// Cross-field checks (powers of two, geometry, tRFC < tREFI, the mapping string).
// @throws ConfigError naming the key inside the memory section ("timing.tRFC").
void validate(const DramConfig& config);
// A label for summaries: the name, else the protocol, else "memory".
std::string display_name(const DramConfig& config);

struct DramAddress {
    uint32_t channel = 0, rank = 0, bankgroup = 0, bank = 0, row = 0,
             column = 0;  // column in bursts
};

// DRAMsim3-style mapping string: six two-letter fields, most significant first, each of
// ch ra bg ba ro co exactly once ("rochrababgco"); with pseudo-channels a seventh, pc. Applied to
// the burst index (address / burst). DramAddress::channel is the controller: ch x PCs + pc.
class AddressMapper {
  public:
    explicit AddressMapper(const DramConfig& config);
    DramAddress map(uint64_t byte_address) const;

  private:
    struct Field {
        int which;  // 0 ch, 1 ra, 2 bg, 3 ba, 4 ro, 5 co, 6 pc
        unsigned shift, bits;
    };
    std::vector<Field> m_fields;
    unsigned m_burst_shift = 0;
    uint32_t m_pcs = 1;
};

// Burst keys with a queued read (read merging): asked on every burst, so open addressing with
// linear probing in a power-of-two table at most half full and a multiplicative hash (no
// division by a prime as in std::unordered_set). Keys are burst indices, never ~0.
class BurstSet {
  public:
    BurstSet() : m_keys(16, kEmpty) {}
    bool contains(uint64_t key) const;
    void insert(uint64_t key);  // @pre !contains(key)
    void erase(uint64_t key);   // absent: nothing happens

  private:
    static constexpr uint64_t kEmpty = ~uint64_t(0);
    size_t home(uint64_t key) const {
        return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> m_shift);
    }
    std::vector<uint64_t> m_keys;
    size_t m_size = 0;
    unsigned m_shift = 60;  // 64 - log2(table size)
};

struct ChannelStats {
    uint64_t reads = 0, activates = 0, precharges = 0, refreshes = 0;
    uint64_t merged = 0;                // requests answered by another request's read
    uint64_t data_cycles = 0;           // cycles the data bus carries read data
    uint64_t busy_cycles = 0;           // cycles with at least one burst pending in this channel
    std::vector<uint64_t> bank_cycles;  // per bank (rank-major): ACT tRCD + RD BL/2 + PRE tRP
    // Per rank, for background energy: cycles with at least one bank open (active standby) and
    // with every bank precharged (precharge standby), up to the last finish() cycle.
    std::vector<uint64_t> active_cycles, precharged_cycles;
};

// One channel's (or pseudo-channel's) controller, built like DRAMsim3's: read bursts enter a
// transaction queue (queue_size; more wait in a backlog, in order); one a cycle moves, first fit
// in order, into its bank's command queue (cmd_queue_size). Per bank: the oldest read that hits
// the open row goes first (FR-FCFS); the oldest request's PRE waits while younger hits are queued
// until the row has served row_hit_cap reads; a closed bank activates for its oldest request.
// Among banks, the command that can issue first, ties broken round-robin from the bank that
// issued last. With read_merging, a read of a burst already queued joins it: one RD answers both.
// Event-driven: every decision jumps to the cycle the next command can happen.
class DramChannel {
  public:
    explicit DramChannel(const DramConfig& config);
    bool empty() const { return m_count == 0; }
    // `key` names the burst (merging), `arrival` is the cycle it reaches the controller.
    void push(const DramAddress& address, uint64_t key, uint64_t tag, Cycle arrival);
    // Cycle of the next command (refresh included), kNever when nothing is queued.
    Cycle next_cycle();
    // Issues the command at next_cycle(). Returns true for a read: `tags` (the request and every
    // one merged into it) and the cycle its last data beat leaves the bus (`data_end`) are set.
    bool issue(std::vector<uint64_t>& tags, Cycle& data_end);
    // Applies refreshes due before `end` and closes the per-rank background accounting.
    void finish(Cycle end);
    const ChannelStats& stats() const { return m_stats; }
    size_t queued() const { return m_count; }

  private:
    enum class Kind { Read, Activate, Precharge, Refresh };
    struct Request {
        uint64_t tag, key;
        uint32_t bank, row;
        Cycle at;  // arrival (transaction queue) or first cycle it may issue (command queue)
    };
    struct Bank {
        bool open = false;
        uint32_t row = 0;
        Cycle act_ok = 0, rd_ok = 0, pre_ok = 0, act_time = 0;
        uint32_t hits = 0;       // queued commands for the open row
        uint32_t row_reads = 0;  // reads since the row was opened (DRAMsim3's row-hit count)
        std::vector<Request> queue;
        // The candidate's kind and queue position (bank_local), valid while m_cand_group says so.
        Kind kind = Kind::Read;
        uint32_t pos = 0;
    };
    struct Rank {
        Cycle last_act = 0, last_col = 0;
        bool any_act = false, any_col = false;
        std::vector<Cycle> last_act_bg, last_col_bg;
        std::vector<uint8_t> any_act_bg, any_col_bg;  // not vector<bool>: read per candidate
        std::array<Cycle, 4> faw{};                   // last four ACT cycles (ring)
        unsigned faw_n = 0, faw_i = 0;
        Cycle refresh_due = 0;
        unsigned open_banks = 0;
        Cycle state_since = 0;  // background accounting: cycle of the last open/closed change
    };
    void select();
    void select_transfers();
    void scan();
    void consider(uint32_t bank);
    void mark_stale(unsigned bank);
    void refresh_stale();
    void bank_local(unsigned bank);
    void act_bounds(unsigned rank);
    void rd_bounds();
    void transfer(size_t index, Cycle t);
    Cycle row_cmd_free() const { return m_row_cmd_free; }
    Cycle col_cmd_free() const { return m_cfg.dual_command_bus ? m_col_cmd_free : m_row_cmd_free; }
    void use_cmd_bus(bool column, Cycle t);
    void refresh_rank(unsigned rank, Cycle due);
    void catch_up_refresh(Cycle now);
    void set_open(unsigned bank, bool open, Cycle t);
    // Tabulated: select() asks for every active bank after every command (no divisions there).
    unsigned rank_of(unsigned bank) const { return m_bank_rank[bank]; }
    unsigned bg_of(unsigned bank) const { return m_bank_bg[bank]; }

    DramConfig m_cfg;
    DramTiming m_t;
    std::vector<Bank> m_banks;
    std::vector<Rank> m_ranks;
    std::vector<uint16_t> m_bank_rank, m_bank_bg;
    std::vector<uint32_t> m_bank_rbg;  // rank x bankgroups + bank group
    // A bank's candidate issues at max(its bank-local time, its group's bound). A group is a
    // command kind (RD, ACT, PRE: Kind's order) and a (rank, bank group); its bound is what the
    // shared state allows: m_rest holds the tRRD/tFAW (ACT) and tCCD/data-bus (RD) terms,
    // updated by the command that changes them; the scan adds the command bus of the kind.
    // m_cand_local/m_cand_group per bank are recomputed (bank_local) only after the bank's queue
    // or state changed (kStale), so a selection costs a few loads and maxima per active bank.
    static constexpr uint32_t kStale = ~0u;
    uint32_t m_rbg = 0;  // ranks x bankgroups
    std::vector<Cycle> m_rest;
    std::vector<Cycle> m_ccd_l;  // per (rank, bank group): last RD + tCCD_L, 0 before any
    std::vector<Cycle> m_cand_local;
    std::vector<uint32_t> m_cand_group;
    std::vector<uint32_t> m_stale;   // banks marked kStale since the last refresh_stale()
    std::vector<uint32_t> m_active;  // banks with queued commands: select() looks at these only
    std::vector<uint32_t> m_active_pos;
    std::vector<uint8_t> m_room;    // per bank: its command queue has room (the transfer scan)
    std::vector<Request> m_txq;     // transaction queue, arrival order (at most queue_size)
    std::deque<Request> m_backlog;  // beyond the transaction queue, arrival order
    BurstSet m_pending;             // bursts with a queued read
    std::unordered_multimap<uint64_t, uint64_t> m_merged;  // burst key -> tags riding on it
    size_t m_count = 0;     // requests in the channel (backlog included), merged excluded
    Cycle m_xfer_free = 0;  // one transfer into the command queues per cycle
    Cycle m_row_cmd_free = 0, m_col_cmd_free = 0;  // one command per bus per cycle
    Cycle m_bus_free = 0;                          // data bus free from this cycle
    unsigned m_bus_rank = 0;
    bool m_bus_used = false;
    uint32_t m_last_bank = 0;  // round-robin origin
    // Cached selection: m_bank_* is the best bank command (before refresh is considered);
    // m_dirty asks for a full select(), m_txq_dirty for the transfers only (after a push).
    bool m_dirty = true, m_txq_dirty = false;
    Cycle m_bank_next = kNever;
    uint32_t m_bank_sel = 0, m_best_rr = ~0u;
    Cycle m_next = kNever;
    Kind m_kind = Kind::Read;
    unsigned m_sel = 0;  // bank, or rank for refresh
    size_t m_sel_pos = 0;
    ChannelStats m_stats;
};

// The memory system: byte-range reads in, one completion per read out (when its last burst's
// data has left the bus). Reads may be submitted for a future cycle; run_until() processes
// arrivals and commands of every channel in global time order, so a completion handler may
// submit new reads (for cycles after the completion) while it runs.
class MemoryCore {
  public:
    using DoneFn = std::function<void(uint64_t tag, Cycle data_end)>;
    explicit MemoryCore(const DramConfig& config);
    void submit(uint64_t tag, uint64_t byte_address, uint32_t bytes, Cycle arrival);
    // Processes every arrival and command at a cycle < limit.
    void run_until(Cycle limit, const DoneFn& done);
    // Earliest pending event (arrival or command), kNever if none.
    Cycle next_event();
    // Closes the busy-time and background accounting at `end` (the run's last cycle).
    void finish(Cycle end);

    const DramConfig& config() const { return m_cfg; }
    const AddressMapper& mapper() const { return m_map; }
    size_t channels() const { return m_ch.size(); }  // controllers: channels x pseudo-channels
    const ChannelStats& channel_stats(size_t c) const { return m_ch[c].stats(); }
    uint64_t busy_cycles(size_t c) const { return m_busy[c].total; }
    // Bursts read from DRAM (RD commands); requested_bursts() - bursts() were merged.
    uint64_t bursts() const;
    uint64_t requested_bursts() const { return m_bursts; }
    uint64_t merged_bursts() const { return m_bursts - bursts(); }
    size_t pending(size_t c) const { return m_busy[c].pending; }

  private:
    struct Arrival {
        Cycle at;
        uint64_t seq, tag, address;
        uint32_t bytes;
        bool operator>(const Arrival& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };
    struct Txn {
        uint32_t remaining = 0;
        Cycle end = 0;
        uint64_t tag = 0;
    };
    struct Busy {
        size_t pending = 0;
        Cycle start = 0, end = 0;
        uint64_t total = 0;
        bool any = false;
    };
    void admit(const Arrival& a);

    DramConfig m_cfg;
    AddressMapper m_map;
    std::vector<DramChannel> m_ch;
    std::vector<Busy> m_busy;
    std::priority_queue<Arrival, std::vector<Arrival>, std::greater<Arrival>> m_arrivals;
    std::vector<Txn> m_txns;
    std::vector<uint64_t> m_free_txns;
    std::vector<uint64_t> m_tags;        // scratch for DramChannel::issue
    std::vector<uint64_t> m_spare_tags;  // run_until's second buffer (see there)
    uint64_t m_seq = 0, m_bursts = 0;
};

}  // namespace embzip::sim
