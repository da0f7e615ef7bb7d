// SPDX-License-Identifier: MIT
// Thin sc_modules around the plain C++ cores. TLM-2.0 AT base protocol over simple sockets:
// BEGIN_REQ is accepted at once (TLM_UPDATED, END_REQ), the target answers later with
// BEGIN_RESP, the initiator completes it (TLM_COMPLETED). Every call carries the time of the
// event as an annotated delay, so the only SystemC process that waits is the memory's wake-up
// method; it may run ahead by a quantum because every request it can receive is caused by a
// read completion at least CL + BL/2 cycles earlier (see systemc/README.md).
#pragma once
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <chrono>
#include <functional>
#include <memory>
#include <systemc>
#include <tlm>
#include <unordered_map>
#include <vector>

#include "embzip_sim/dram.hpp"
#include "embzip_sim/model.hpp"
#include "embzip_sim/rtl_lanes.hpp"
#include "embzip_sim/tiers.hpp"

namespace embzip::sim {

using ProgressFn = std::function<void(const char* label, uint64_t done, uint64_t total)>;

// Issues the lookup stream, at most max_outstanding rows in flight; records latencies. A sample
// gathers pooling_factor rows from every table (table by table, each from its own stream). When
// the responses carry the decoded rows (tables with data), it sums each sample's rows per table,
// as the pooling unit's output, into an order-independent checksum. The lookup socket addresses
// rows: table << kTableShift | row.
class LookupSource : public sc_core::sc_module {
  public:
    static constexpr unsigned kTableShift = 40;
    tlm_utils::simple_initiator_socket<LookupSource> out;
    LookupSource(sc_core::sc_module_name name, const StreamSpec& stream, const TableModel& table,
                 ProgressFn progress);
    // streams[t]: table t's distribution, seed and pooling factor; `stream`: batches, batch size,
    // outstanding limit.
    LookupSource(sc_core::sc_module_name name, const StreamSpec& stream,
                 std::vector<const TableModel*> tables, const std::vector<StreamSpec>& streams,
                 ProgressFn progress);

    uint64_t completed() const { return m_completed; }
    Ps end_ps() const { return m_end; }
    const std::vector<double>& latencies_ns() const { return m_latency; }
    const std::vector<double>& sample_latencies_ns() const { return m_sample_latency; }
    uint64_t total() const { return m_total; }
    uint64_t pooling(size_t table) const { return m_pooling[table]; }
    // Sum over samples of a hash of (sample, its dim element sums); 0 when no row carried data.
    uint64_t sum_checksum() const { return m_checksum; }
    uint64_t summed_rows() const { return m_summed_rows; }
    uint64_t in_flight = 0, issued = 0;  // traced

  private:
    struct Payload : tlm::tlm_generic_payload {
        size_t index = 0;
        Ps issued_at = 0;
        uint64_t lookup = 0;
    };
    void start();
    void issue(Payload& p, Ps at);
    void add_row(uint64_t key, uint32_t table, const uint8_t* row);
    void close_sample(uint64_t sample);
    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase,
                                       sc_core::sc_time& delay);

    StreamSpec m_stream;
    std::vector<const TableModel*> m_tables;
    std::vector<RequestProducer> m_producers;
    std::vector<uint32_t> m_owner;  // per lookup of a sample: its table
    std::vector<uint64_t> m_pooling;
    uint64_t m_per_sample = 0, m_total = 0;
    ProgressFn m_progress;
    std::vector<std::unique_ptr<Payload>> m_payloads;
    std::vector<Ps> m_sample_start;
    std::vector<uint32_t> m_sample_left;
    std::vector<double> m_latency, m_sample_latency;
    uint64_t m_next = 0, m_completed = 0;
    Ps m_end = 0;
    std::unordered_map<uint64_t, std::vector<int64_t>> m_sums;  // open samples
    std::vector<std::vector<int64_t>> m_spare;
    uint64_t m_checksum = 0, m_summed_rows = 0;
};

// Fetch unit, decoder lanes (or none for the plain table) and pooling unit.
class DecoderPipeline : public sc_core::sc_module {
  public:
    tlm_utils::simple_target_socket<DecoderPipeline> in;
    tlm_utils::simple_initiator_socket<DecoderPipeline> mem;
    // external_lanes: the lanes are RtlLanes (decoder.model rtl), not the contract's timing.
    DecoderPipeline(sc_core::sc_module_name name, const TableModel& table,
                    const PipelineTiming& timing, bool external_lanes = false);
    DecoderPipeline(sc_core::sc_module_name name, std::vector<const TableModel*> tables,
                    RowRouter* router, const PipelineTiming& timing);
    const PipelineCore& core() const { return m_core; }
    PipelineCore& core() { return m_core; }
    uint64_t reads = 0, responses = 0, fifo = 0;  // traced

  private:
    struct ReadPayload : tlm::tlm_generic_payload {
        size_t index = 0;
        uint64_t tag = 0;
    };
    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase,
                                       sc_core::sc_time& delay);
    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase,
                                       sc_core::sc_time& delay);
    void send_read(uint64_t tag, ByteSpan span, Ps at);
    void send_pooled(uint64_t slot, Ps at, const uint8_t* row);

    void bind_sockets();
    PipelineCore m_core;
    std::vector<uint32_t> m_dims;
    std::vector<uint32_t> m_slot_dim;
    std::vector<tlm::tlm_generic_payload*> m_lookups;
    std::vector<uint64_t> m_free_lookups;
    std::vector<std::unique_ptr<ReadPayload>> m_reads;
    std::vector<size_t> m_free_reads;
};

// The memory tiers (SRAM and DRAM controllers and channels); the tier is in the address's top
// byte. One wake-up method runs every tier in global time order (TieredMemoryCore).
class MemorySystem : public sc_core::sc_module {
  public:
    tlm_utils::simple_target_socket<MemorySystem> socket;
    MemorySystem(sc_core::sc_module_name name, const std::vector<TierSpec>& tiers, Ps quantum);
    TieredMemoryCore& tiers() { return m_core; }
    // The first DRAM tier (single-memory systems).
    MemoryCore& core();
    std::vector<uint64_t> pending;  // traced, per channel of the first DRAM tier

  private:
    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase,
                                       sc_core::sc_time& delay);
    void wake();
    void rearm();

    TieredMemoryCore m_core;
    Ps m_quantum;
    bool m_running = false;
    sc_core::sc_event m_event;
};

// One complete system: source -> pipeline -> memory; with rtl, the pipeline's lanes are RTL.
struct SimSystem {
    // One table in one DRAM.
    SimSystem(const std::string& name, const TableModel& table, const StreamSpec& stream,
              const PipelineTiming& timing, const DramConfig& memory, Ps quantum,
              ProgressFn progress, const RtlSetup* rtl = nullptr);
    // Several tables in tiers, rows located by `router` (not owned).
    SimSystem(const std::string& name, std::vector<const TableModel*> tables,
              const StreamSpec& stream, const std::vector<StreamSpec>& streams, RowRouter* router,
              const PipelineTiming& timing, const std::vector<TierSpec>& tiers, Ps quantum,
              ProgressFn progress);
    void trace(sc_core::sc_trace_file* tf);
    std::unique_ptr<LookupSource> source;
    std::unique_ptr<DecoderPipeline> pipeline;
    std::unique_ptr<MemorySystem> memory;
    std::unique_ptr<RtlLanes> lanes;
    const TableModel* table;  // the first table
    std::vector<const TableModel*> tables;
};

}  // namespace embzip::sim
