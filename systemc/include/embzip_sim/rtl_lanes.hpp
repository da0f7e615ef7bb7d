// SPDX-License-Identifier: MIT
// decoder.model rtl: the decoder lanes are the Verilog that rtl_gen generates for the table's
// code, Verilated in SystemC mode and clocked inside the simulation. The code tables are baked
// into the Verilog, so the model is built at run time (verilator --sc --exe --build into a
// shared object, cached under a key of the code and options) and loaded with dlopen, as
// embzip-cosim does for its --cc models. PipelineCore runs with external lanes; RtlLanes feeds
// them rows and reports when each row starts and ends and what it decoded to.
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <unordered_map>
#include <vector>

#include "embzip/layout.hpp"
#include "embzip_sim/model.hpp"
#include "sc_lane_abi.hpp"

namespace embzip::sim {

struct RtlLaneLibrary {
    MakeScLaneFn make = nullptr;
    std::string path;  // the shared object
};

// Cache directory: $EMBZIP_SIM_RTL_CACHE, else ~/.cache/embzip-sim-rtl.
std::string default_rtl_cache();

// Generates the decoder of `table` (its code, with the simulator's row pitch) for `config`,
// verilates it into cache/<key> unless already there, and loads it. Progress on stderr unless
// quiet. @throws InputError (a code the generator refuses) or Error (the build failed; names
// its log).
RtlLaneLibrary load_rtl_lanes(const CodedTable& table, const DecoderConfig& config,
                              uint32_t pitch_bits, const std::string& cache, bool quiet);

// What SimSystem needs to put RTL lanes in its pipeline.
struct RtlSetup {
    std::shared_ptr<const CodedTable> table;  // slot bits come from its payload
    DecoderConfig config;
    MakeScLaneFn make = nullptr;
};

// N Verilated lanes on one clock (decoder period, rising edges at multiples of it, as the C++
// model's align_up). Everything happens in one method at each falling edge: the outputs are
// settled there, so it records the beat that the next rising edge takes (out_ready is held
// 1), and drives the word that edge takes. Times it reports are rising edges still ahead, so
// every read they cause reaches the memory before its cycle (with sim.quantum_ns 0).
class RtlLanes : public sc_core::sc_module {
  public:
    RtlLanes(sc_core::sc_module_name name, PipelineCore& core,
             std::shared_ptr<const CodedTable> table, const DecoderConfig& config,
             uint32_t pitch_bits, unsigned lanes, Ps period, MakeScLaneFn make);
    ~RtlLanes() override;
    uint64_t rows_decoded() const { return m_rows_decoded; }

  private:
    struct Row {
        uint64_t slot = 0, row = 0, seq = 0;
        Ps start = 0;
        size_t next_word = 0;
        std::vector<uint32_t> words;   // the row slot as bus words, chunks_per_word each
        std::vector<uint8_t> symbols;  // decoded so far
    };
    struct Lane {
        std::unique_ptr<IScLane> dut;
        // Rows in the lane, oldest first: the front one's beats come out, the back one takes
        // words. One row, or with decoder.overlap two (one loading while one decodes).
        std::deque<Row> rows;
        Ps last_done = 0;  // the previous row's done: the lane's busy time is not counted twice
    };
    void on_negedge();
    void load_words(Row& row);
    void finish(Lane& lane, Ps done);
    // Rows go to pooling in the order they entered the lanes, as PipelineCore's own lanes do.
    struct Done {
        uint64_t slot = 0;
        Ps start = 0, done = 0, busy_from = 0;
        std::vector<uint8_t> bytes;
    };
    void report_in_order();

    PipelineCore& m_core;
    std::shared_ptr<const CodedTable> m_table;
    DecoderConfig m_config;
    uint32_t m_pitch_bits;
    Ps m_period;
    sc_core::sc_clock m_clk;
    std::vector<Lane> m_lanes;
    size_t m_chunks_per_word, m_out_chunks;
    std::vector<uint32_t> m_zero, m_out;
    std::vector<uint8_t> m_bytes;
    bool m_reset_done = false;
    uint64_t m_rows_decoded = 0;
    uint64_t m_dispatched = 0, m_reported = 0;
    std::unordered_map<uint64_t, Done> m_done;  // finished, by dispatch number, not yet reported
};

}  // namespace embzip::sim
