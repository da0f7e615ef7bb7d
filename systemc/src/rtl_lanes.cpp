// SPDX-License-Identifier: MIT
#include "embzip_sim/rtl_lanes.hpp"

#include <cstdio>
#include <cstdlib>

#include "embzip/errors.hpp"
#include "embzip/histogram.hpp"
#include "embzip/rtl/generator.hpp"
#include "embzip/rtl/model_build.hpp"
#include "embzip/symbols.hpp"

namespace embzip::sim {
namespace {

bool slot_bit(const CodedTable& t, uint64_t p) { return (t.payload[p >> 3] >> (7 - (p & 7))) & 1; }

}  // namespace

std::string default_rtl_cache() {
    return rtl::default_model_cache("EMBZIP_SIM_RTL_CACHE", "embzip-sim-rtl");
}

RtlLaneLibrary load_rtl_lanes(const CodedTable& table, const DecoderConfig& config,
                              uint32_t pitch_bits, const std::string& cache, bool quiet) {
    rtl::RtlCode code = rtl::rtl_code_of(table);
    code.pitch_bits = pitch_bits;  // the lanes take the slot the simulator reads
    rtl::check_supported(code, config);
    rtl::ModelBuild spec = rtl::model_spec(rtl::Adapter::SystemC, code, config);
    spec.cache = cache;
    spec.quiet = quiet;
    spec.tool = "embzip-sim";
    RtlLaneLibrary lib;
    try {
        lib.path = rtl::build_model(rtl::generate_decoder(code, config), spec);
        // Never closed: the lanes' code must stay mapped as long as SystemC may touch them.
        lib.make =
            reinterpret_cast<MakeScLaneFn>(rtl::load_model_symbol(lib.path, kMakeScLaneSymbol));
    } catch (const Error& e) {
        throw Error(std::string("decoder.model: ") + e.what());
    }
    return lib;
}

RtlLanes::RtlLanes(sc_core::sc_module_name name, PipelineCore& core,
                   std::shared_ptr<const CodedTable> table, const DecoderConfig& config,
                   uint32_t pitch_bits, unsigned lanes, Ps period, MakeScLaneFn make)
    : sc_module(name),
      m_core(core),
      m_table(std::move(table)),
      m_config(config),
      m_pitch_bits(pitch_bits),
      m_period(period),
      m_clk("clk", sc_core::sc_time(double(period), sc_core::SC_PS), 0.5, sc_core::SC_ZERO_TIME,
            true),
      m_lanes(lanes),
      m_chunks_per_word((config.bus_bits + 31) / 32),
      m_out_chunks((config.symbols_per_cycle * m_table->spec.bits + 31) / 32) {
    m_zero.assign(m_chunks_per_word, 0);
    m_out.assign(m_out_chunks, 0);
    m_bytes.resize(m_table->dim);
    for (unsigned i = 0; i < lanes; ++i) {
        m_lanes[i].dut.reset(make(("lane" + std::to_string(i)).c_str(), &m_clk));
        // Reset (synchronous, active low) is held over the rising edge at time 0.
        m_lanes[i].dut->set_reset_n(false);
        m_lanes[i].dut->set_out_ready(true);
        m_lanes[i].dut->set_in(false, m_zero.data(), m_zero.size());
    }
    SC_HAS_PROCESS(RtlLanes);
    SC_METHOD(on_negedge);
    sensitive << m_clk.negedge_event();
    dont_initialize();
}

RtlLanes::~RtlLanes() = default;

void RtlLanes::load_words(Row& r) {
    // Slot bit k*N + i (MSB first) is bit N-1-i of word k: the row's W bits, zero to the pitch.
    const unsigned n = m_config.bus_bits;
    const uint64_t words = (m_pitch_bits + n - 1) / n;
    r.words.assign(words * m_chunks_per_word, 0);
    const uint64_t start = r.row * m_table->pitch_bits;
    for (uint64_t b = 0; b < m_table->row_bits; ++b) {
        if (!slot_bit(*m_table, start + b)) continue;
        const uint64_t k = b / n, bit = n - 1 - b % n;
        r.words[k * m_chunks_per_word + bit / 32] |= 1u << (bit % 32);
    }
}

void RtlLanes::finish(Lane& lane, Ps done) {
    const CodedTable& t = *m_table;
    const Row& r = lane.rows.front();
    const std::string where = "row " + std::to_string(r.row);
    if (lane.dut->out_err())
        SC_REPORT_ERROR(name(), (where + ": the RTL decoder flagged the row malformed").c_str());
    if (r.symbols.size() != size_t(t.dim) * t.spec.per_byte())
        SC_REPORT_ERROR(name(), (where + ": the RTL decoder emitted " +
                                 std::to_string(r.symbols.size()) + " symbols")
                                    .c_str());
    Done& d = m_done[r.seq];
    d.slot = r.slot;
    d.start = r.start;
    d.done = done;
    d.busy_from = lane.last_done;
    d.bytes.resize(t.dim);
    for (uint32_t c = 0; c < t.dim; ++c)
        d.bytes[c] = t.spec.per_byte() == 1
                         ? r.symbols[c]
                         : split_inverse(t.spec.split,
                                         uint8_t(r.symbols[2 * c] << 4 | r.symbols[2 * c + 1]));
    lane.last_done = done;
    lane.rows.pop_front();
    ++m_rows_decoded;
}

void RtlLanes::report_in_order() {
    for (auto it = m_done.find(m_reported); it != m_done.end(); it = m_done.find(m_reported)) {
        const uint64_t slot = it->second.slot;
        const Ps start = it->second.start, done = it->second.done, busy = it->second.busy_from;
        m_bytes.swap(it->second.bytes);
        m_done.erase(it);
        ++m_reported;
        m_core.row_decoded(slot, start, done, m_bytes.data(), busy);
    }
}

void RtlLanes::on_negedge() {
    // Rising edges are at multiples of the period; this falling edge is about half a period before
    // the next one (taken as the next multiple, exact however an odd period's half is rounded).
    const Ps edge = (sc_core::sc_time_stamp().value() / m_period + 1) * m_period;
    if (!m_reset_done) {
        for (Lane& l : m_lanes) l.dut->set_reset_n(true);
        m_reset_done = true;
    }
    const unsigned sym_bits = m_table->spec.bits;
    const size_t words = (m_pitch_bits + m_config.bus_bits - 1) / m_config.bus_bits;
    const size_t capacity = m_config.overlap ? 2 : 1;
    for (Lane& l : m_lanes) {
        // Input word taken at `edge` when the lane is ready for it (in_ready is a function of
        // the lane's registers alone, settled here).
        bool fed = false;
        if (!l.rows.empty() && l.rows.back().next_word < words && l.dut->in_ready()) {
            Row& in = l.rows.back();
            l.dut->set_in(true, in.words.data() + in.next_word * m_chunks_per_word,
                          m_chunks_per_word);
            ++in.next_word;
            fed = true;
        }
        // Output beat taken at `edge` (out_ready is always 1).
        if (!l.rows.empty() && l.dut->out_valid()) {
            const unsigned count = l.dut->out_count();
            l.dut->out_data(m_out.data(), m_out.size());
            Row& out = l.rows.front();
            for (unsigned j = 0; j < count; ++j) {
                uint32_t v = 0;
                for (unsigned i = 0; i < sym_bits; ++i) {
                    const unsigned b = j * sym_bits + i;
                    if ((m_out[b / 32] >> (b % 32)) & 1) v |= 1u << i;
                }
                out.symbols.push_back(uint8_t(v));
            }
            // The lane is done one cycle after its last beat, as the contract counts it.
            if (l.dut->out_last()) finish(l, edge + m_period);
        }
        if (fed) continue;
        // A new row when the lane has room (no row still taking words) and takes a word.
        PipelineCore::Arrival a;
        const bool room =
            l.rows.size() < capacity && (l.rows.empty() || l.rows.back().next_word == words);
        if (!room || !l.dut->in_ready() || !m_core.take_row(edge, a)) {
            l.dut->set_in(false, m_zero.data(), m_zero.size());
            continue;
        }
        Row& r = l.rows.emplace_back();
        r.seq = m_dispatched++;
        r.slot = a.slot;
        r.row = static_cast<uint64_t>(a.row);
        r.start = edge;
        load_words(r);
        l.dut->set_in(true, r.words.data(), m_chunks_per_word);
        r.next_word = 1;
        m_core.row_started(a.slot, edge);
    }
    report_in_order();
}

}  // namespace embzip::sim
