// SPDX-License-Identifier: MIT
// The interface between embzip-sim and one Verilated (--sc) embzip_decoder built at run time
// into a shared object (decoder.model rtl): a C entry point that creates a lane, an sc_module
// holding the Verilated model and the signals on its ports, as an IScLane. Header-only on
// purpose: the shared object is compiled by Verilator's make, which knows nothing of embzip's
// libraries; it shares only SystemC (the same libsystemc, so the same kernel) with the caller.
#pragma once
#include <cstddef>
#include <cstdint>
#include <systemc>

namespace embzip::sim {

// Port access of one decoder lane. Multi-bit values travel as 32-bit chunks, least significant
// first. Writes take effect in the next delta cycle (they are sc_signal writes); reads return
// the settled values of the current one.
class IScLane {
  public:
    virtual ~IScLane() = default;
    virtual void set_reset_n(bool value) = 0;
    virtual void set_in(bool valid, const uint32_t* chunks, size_t count) = 0;
    virtual void set_out_ready(bool value) = 0;
    virtual bool in_ready() const = 0;
    virtual bool out_valid() const = 0;
    virtual void out_data(uint32_t* chunks, size_t count) const = 0;
    virtual unsigned out_count() const = 0;
    virtual bool out_last() const = 0;
    virtual bool out_err() const = 0;
};

// Exported by the shared object: creates a lane named `name` in the current module hierarchy,
// its clock bound to `clk`. The caller deletes it after the simulation.
using MakeScLaneFn = IScLane* (*)(const char* name, sc_core::sc_signal_in_if<bool>* clk);
constexpr const char* kMakeScLaneSymbol = "embzip_make_sc_lane";

}  // namespace embzip::sim
