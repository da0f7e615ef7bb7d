// SPDX-License-Identifier: MIT
#include "embzip_sim/modules.hpp"

#include <algorithm>
#include <limits>

namespace embzip::sim {
using sc_core::SC_PS;
using sc_core::sc_time;

namespace {
Ps now_ps() { return sc_core::sc_time_stamp().value(); }
sc_time delay_to(Ps at) {
    const Ps now = now_ps();
    if (at < now) SC_REPORT_FATAL("embzip-sim", "an event was scheduled in the past");
    return sc_time::from_value(at - now);  // ps: the default resolution, as now_ps() assumes
}
}  // namespace

LookupSource::LookupSource(sc_core::sc_module_name name, const StreamSpec& stream,
                           const TableModel& table, ProgressFn progress)
    : LookupSource(name, stream, std::vector<const TableModel*>{&table},
                   std::vector<StreamSpec>{stream}, std::move(progress)) {}

LookupSource::LookupSource(sc_core::sc_module_name name, const StreamSpec& stream,
                           std::vector<const TableModel*> tables,
                           const std::vector<StreamSpec>& streams, ProgressFn progress)
    : sc_module(name),
      out("out"),
      m_stream(stream),
      m_tables(std::move(tables)),
      m_progress(std::move(progress)) {
    out.register_nb_transport_bw(this, &LookupSource::nb_transport_bw);
    for (size_t t = 0; t < m_tables.size(); ++t) {
        m_producers.emplace_back(streams[t], m_tables[t]->rows);
        m_owner.insert(m_owner.end(), streams[t].pooling_factor, static_cast<uint32_t>(t));
        m_pooling.push_back(streams[t].pooling_factor);
    }
    m_per_sample = m_owner.size();
    const uint64_t samples = stream.batches * stream.batch_size;
    m_total = samples * m_per_sample;
    m_sample_start.assign(samples, 0);
    m_sample_left.assign(samples, 0);
    m_latency.reserve(m_total);
    m_sample_latency.reserve(samples);
    SC_HAS_PROCESS(LookupSource);
    SC_METHOD(start);  // runs once at time 0
}

void LookupSource::start() {
    const uint64_t n = std::min<uint64_t>(m_stream.max_outstanding, m_total);
    for (uint64_t i = 0; i < n; ++i) {
        m_payloads.push_back(std::make_unique<Payload>());
        m_payloads.back()->index = i;
    }
    for (uint64_t i = 0; i < n; ++i) issue(*m_payloads[i], now_ps());
}

void LookupSource::issue(Payload& p, Ps at) {
    const uint64_t id = m_next++;
    const uint64_t sample = id / m_per_sample;
    const uint32_t table = m_owner[id % m_per_sample];
    const RowId row = m_producers[table].next();
    if (m_sample_left[sample] == 0 && id % m_per_sample == 0) m_sample_start[sample] = at;
    ++m_sample_left[sample];
    p.lookup = id;
    p.issued_at = at;
    p.set_command(tlm::TLM_READ_COMMAND);
    // The lookup socket addresses rows, not bytes.
    p.set_address((uint64_t(table) << kTableShift) | static_cast<uint64_t>(row));
    p.set_data_ptr(nullptr);
    p.set_data_length(0);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    ++in_flight;
    ++issued;
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_time d = delay_to(at);
    out->nb_transport_fw(p, phase, d);
}

tlm::tlm_sync_enum LookupSource::nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase,
                                                 sc_time& delay) {
    if (phase != tlm::BEGIN_RESP) SC_REPORT_FATAL(name(), "unexpected phase on the lookup socket");
    auto& p = static_cast<Payload&>(t);
    const Ps at = now_ps() + delay.value();
    m_latency.push_back(static_cast<double>(at - p.issued_at) / 1000.0);
    const uint64_t sample = p.lookup / m_per_sample;
    if (t.get_data_ptr()) {
        const uint32_t table = m_owner[p.lookup % m_per_sample];
        if (t.get_data_length() != m_tables[table]->dim)
            SC_REPORT_FATAL(name(), "a lookup response of the wrong length");
        add_row(sample * m_tables.size() + table, table, t.get_data_ptr());
    }
    // A sample is done when its last row is pooled and all its rows have been issued.
    const uint64_t sample_end = std::min((sample + 1) * m_per_sample, m_total);
    if (--m_sample_left[sample] == 0 && m_next >= sample_end) {
        m_sample_latency.push_back(static_cast<double>(at - m_sample_start[sample]) / 1000.0);
        close_sample(sample);
    }
    m_end = std::max(m_end, at);
    --in_flight;
    ++m_completed;
    if (m_progress && (m_completed & 0xFFFF) == 0) m_progress(basename(), m_completed, m_total);
    if (m_next < m_total) issue(p, at);
    return tlm::TLM_COMPLETED;
}

void LookupSource::add_row(uint64_t key, uint32_t table, const uint8_t* row) {
    const TableModel& tm = *m_tables[table];
    const uint32_t dim = tm.dim;
    auto it = m_sums.find(key);
    if (it == m_sums.end()) {
        std::vector<int64_t> v;
        if (!m_spare.empty()) {
            v = std::move(m_spare.back());
            m_spare.pop_back();
        }
        v.assign(dim, 0);
        it = m_sums.emplace(key, std::move(v)).first;
    }
    int64_t* sum = it->second.data();
    if (tm.data && tm.data->dtype == Dtype::Int8)
        for (uint32_t k = 0; k < dim; ++k) sum[k] += static_cast<int8_t>(row[k]);
    else
        for (uint32_t k = 0; k < dim; ++k) sum[k] += row[k];
    ++m_summed_rows;
}

void LookupSource::close_sample(uint64_t sample) {
    for (uint64_t t = 0; t < m_tables.size(); ++t) {
        const uint64_t key = sample * m_tables.size() + t;
        auto it = m_sums.find(key);
        if (it == m_sums.end()) continue;
        // FNV-1a over the sample's sums, mixed with its index; added, so completion order is
        // irrelevant.
        uint64_t h = 1469598103934665603ull ^ (key * 0x9E3779B97F4A7C15ull);
        for (int64_t v : it->second) {
            h ^= static_cast<uint64_t>(v);
            h *= 1099511628211ull;
        }
        m_checksum += h;
        m_spare.push_back(std::move(it->second));
        m_sums.erase(it);
    }
}

DecoderPipeline::DecoderPipeline(sc_core::sc_module_name name, const TableModel& table,
                                 const PipelineTiming& timing, bool external_lanes)
    : sc_module(name),
      in("in"),
      mem("mem"),
      m_core(
          table, timing, [this](uint64_t tag, ByteSpan s, Ps at) { send_read(tag, s, at); },
          [this](uint64_t slot, Ps at, const uint8_t* row) { send_pooled(slot, at, row); },
          external_lanes),
      m_dims{table.dim} {
    bind_sockets();
}

DecoderPipeline::DecoderPipeline(sc_core::sc_module_name name,
                                 std::vector<const TableModel*> tables, RowRouter* router,
                                 const PipelineTiming& timing)
    : sc_module(name),
      in("in"),
      mem("mem"),
      m_core(
          tables, router, timing,
          [this](uint64_t tag, ByteSpan s, Ps at) { send_read(tag, s, at); },
          [this](uint64_t slot, Ps at, const uint8_t* row) { send_pooled(slot, at, row); }) {
    for (const TableModel* t : tables) m_dims.push_back(t->dim);
    bind_sockets();
}

void DecoderPipeline::bind_sockets() {
    in.register_nb_transport_fw(this, &DecoderPipeline::nb_transport_fw);
    mem.register_nb_transport_bw(this, &DecoderPipeline::nb_transport_bw);
}

tlm::tlm_sync_enum DecoderPipeline::nb_transport_fw(tlm::tlm_generic_payload& t,
                                                    tlm::tlm_phase& phase, sc_time& delay) {
    if (phase != tlm::BEGIN_REQ) SC_REPORT_FATAL(name(), "unexpected phase on the lookup socket");
    uint64_t slot;
    if (!m_free_lookups.empty()) {
        slot = m_free_lookups.back();
        m_free_lookups.pop_back();
    } else {
        slot = m_lookups.size();
        m_lookups.push_back(nullptr);
    }
    m_lookups[slot] = &t;
    phase = tlm::END_REQ;
    const uint64_t a = t.get_address();
    const uint32_t table = static_cast<uint32_t>(a >> LookupSource::kTableShift);
    if (slot >= m_slot_dim.size()) m_slot_dim.resize(slot + 1);
    m_slot_dim[slot] = m_dims[table];
    m_core.lookup(slot, table, RowId{a & ((uint64_t(1) << LookupSource::kTableShift) - 1)},
                  now_ps() + delay.value());
    fifo = m_core.fifo_occupancy();
    return tlm::TLM_UPDATED;
}

void DecoderPipeline::send_read(uint64_t tag, ByteSpan span, Ps at) {
    size_t i;
    if (!m_free_reads.empty()) {
        i = m_free_reads.back();
        m_free_reads.pop_back();
    } else {
        i = m_reads.size();
        m_reads.push_back(std::make_unique<ReadPayload>());
        m_reads.back()->index = i;
    }
    ReadPayload& p = *m_reads[i];
    p.tag = tag;
    p.set_command(tlm::TLM_READ_COMMAND);
    p.set_address(span.address);
    p.set_data_ptr(nullptr);  // timing only: no data moves
    p.set_data_length(span.bytes);
    p.set_streaming_width(span.bytes);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    ++reads;
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_time d = delay_to(at);
    if (mem->nb_transport_fw(p, phase, d) != tlm::TLM_UPDATED || phase != tlm::END_REQ)
        SC_REPORT_FATAL(name(), "memory did not accept a read");
}

tlm::tlm_sync_enum DecoderPipeline::nb_transport_bw(tlm::tlm_generic_payload& t,
                                                    tlm::tlm_phase& phase, sc_time& delay) {
    if (phase != tlm::BEGIN_RESP) SC_REPORT_FATAL(name(), "unexpected phase on the memory socket");
    auto& p = static_cast<ReadPayload&>(t);
    const uint64_t tag = p.tag;
    m_free_reads.push_back(p.index);
    ++responses;
    m_core.read_done(tag, now_ps() + delay.value());
    fifo = m_core.fifo_occupancy();
    return tlm::TLM_COMPLETED;
}

void DecoderPipeline::send_pooled(uint64_t slot, Ps at, const uint8_t* row) {
    tlm::tlm_generic_payload* t = m_lookups[slot];
    m_free_lookups.push_back(slot);
    t->set_response_status(tlm::TLM_OK_RESPONSE);
    // The decoded row rides on the response (read only by the source, during this call).
    t->set_data_ptr(const_cast<uint8_t*>(row));
    t->set_data_length(row ? m_slot_dim[slot] : 0);
    tlm::tlm_phase phase = tlm::BEGIN_RESP;
    sc_time d = delay_to(at);
    in->nb_transport_bw(*t, phase, d);
}

namespace {
std::vector<TierSpec> one_dram(const DramConfig& c) {
    TierSpec t;
    t.name = c.name;
    t.dram = c;
    return {t};
}
}  // namespace

MemorySystem::MemorySystem(sc_core::sc_module_name name, const std::vector<TierSpec>& tiers,
                           Ps quantum)
    : sc_module(name), socket("socket"), m_core(tiers), m_quantum(quantum) {
    for (size_t t = 0; t < tiers.size(); ++t)
        if (!tiers[t].sram) {
            pending.assign(tiers[t].dram.channels, 0);
            break;
        }
    socket.register_nb_transport_fw(this, &MemorySystem::nb_transport_fw);
    SC_HAS_PROCESS(MemorySystem);
    SC_METHOD(wake);
    sensitive << m_event;
    dont_initialize();
}

MemoryCore& MemorySystem::core() {
    for (size_t t = 0; t < m_core.tiers(); ++t)
        if (m_core.dram(t)) return *m_core.dram(t);
    SC_REPORT_FATAL("embzip-sim", "a memory system without a DRAM tier");
    return *m_core.dram(0);
}

tlm::tlm_sync_enum MemorySystem::nb_transport_fw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase,
                                                 sc_time& delay) {
    if (phase != tlm::BEGIN_REQ) SC_REPORT_FATAL(name(), "unexpected phase");
    if (t.get_command() != tlm::TLM_READ_COMMAND)
        SC_REPORT_FATAL(name(), "only reads are modelled");
    const Ps at = now_ps() + delay.value();
    m_core.submit(reinterpret_cast<uint64_t>(&t), t.get_address(), t.get_data_length(), at);
    phase = tlm::END_REQ;
    if (!m_running) rearm();
    return tlm::TLM_UPDATED;
}

void MemorySystem::wake() {
    m_running = true;
    // Up to one memory cycle past now (the first DRAM tier's clock) plus the run-ahead quantum.
    Ps step = 1;
    for (size_t t = 0; t < m_core.tiers(); ++t)
        if (!m_core.spec(t).sram) {
            step = m_core.spec(t).dram.tck_ps();
            break;
        }
    const Ps now = now_ps();
    m_core.run_until(now / step * step + step + m_quantum, [this](uint64_t tag, Ps end) {
        auto* t = reinterpret_cast<tlm::tlm_generic_payload*>(tag);
        t->set_response_status(tlm::TLM_OK_RESPONSE);
        tlm::tlm_phase phase = tlm::BEGIN_RESP;
        sc_time d = delay_to(end);
        socket->nb_transport_bw(*t, phase, d);
    });
    for (size_t t = 0; t < m_core.tiers(); ++t)
        if (m_core.dram(t)) {
            for (size_t c = 0; c < pending.size(); ++c) pending[c] = m_core.dram(t)->pending(c);
            break;
        }
    m_running = false;
    rearm();
}

void MemorySystem::rearm() {
    const Ps t = m_core.next_event();
    if (t != std::numeric_limits<Ps>::max()) m_event.notify(delay_to(std::max(t, now_ps())));
}

SimSystem::SimSystem(const std::string& name, const TableModel& t, const StreamSpec& stream,
                     const PipelineTiming& timing, const DramConfig& memory_cfg, Ps quantum,
                     ProgressFn progress, const RtlSetup* rtl)
    : table(&t), tables{&t} {
    source =
        std::make_unique<LookupSource>((name + "_source").c_str(), stream, t, std::move(progress));
    pipeline =
        std::make_unique<DecoderPipeline>((name + "_pipeline").c_str(), t, timing, rtl != nullptr);
    if (rtl)
        lanes = std::make_unique<RtlLanes>((name + "_lanes").c_str(), pipeline->core(), rtl->table,
                                           rtl->config, t.pitch_bits, timing.lanes,
                                           timing.decoder_period, rtl->make);
    memory =
        std::make_unique<MemorySystem>((name + "_memory").c_str(), one_dram(memory_cfg), quantum);
    source->out.bind(pipeline->in);
    pipeline->mem.bind(memory->socket);
}

SimSystem::SimSystem(const std::string& name, std::vector<const TableModel*> ts,
                     const StreamSpec& stream, const std::vector<StreamSpec>& streams,
                     RowRouter* router, const PipelineTiming& timing,
                     const std::vector<TierSpec>& tiers, Ps quantum, ProgressFn progress)
    : table(ts.at(0)), tables(ts) {
    source = std::make_unique<LookupSource>((name + "_source").c_str(), stream, ts, streams,
                                            std::move(progress));
    pipeline = std::make_unique<DecoderPipeline>((name + "_pipeline").c_str(), ts, router, timing);
    memory = std::make_unique<MemorySystem>((name + "_memory").c_str(), tiers, quantum);
    source->out.bind(pipeline->in);
    pipeline->mem.bind(memory->socket);
}

void SimSystem::trace(sc_core::sc_trace_file* tf) {
    const std::string n = source->basename();
    sc_core::sc_trace(tf, source->in_flight, n + ".in_flight");
    sc_core::sc_trace(tf, source->issued, n + ".lookups_issued");
    const std::string p = pipeline->basename();
    sc_core::sc_trace(tf, pipeline->reads, p + ".reads_issued");
    sc_core::sc_trace(tf, pipeline->responses, p + ".reads_answered");
    sc_core::sc_trace(tf, pipeline->fifo, p + ".input_fifo");
    const std::string m = memory->basename();
    for (size_t c = 0; c < memory->pending.size(); ++c)
        sc_core::sc_trace(tf, memory->pending[c], m + ".pending_bursts_ch" + std::to_string(c));
}

}  // namespace embzip::sim
