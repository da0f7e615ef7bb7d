// SPDX-License-Identifier: MIT
// The interface between embzip-sim and one Verilated (--sc) decoder built at run time into a
// shared object (decoder.model rtl): a C entry point that creates a lane, an sc_module holding
// the Verilated model and the signals on its ports, seen through the decoder's port interface
// (rtl_gen/tb/decoder_ports.hpp, shared with embzip-cosim's adapter). Header-only on purpose:
// the shared object is compiled by Verilator's make, which knows nothing of embzip's libraries;
// it shares only SystemC (the same libsystemc, so the same kernel) with the caller. Writes take
// effect in the next delta cycle (they are sc_signal writes); reads return the settled values
// of the current one.
#pragma once
#include <systemc>

#include "decoder_ports.hpp"

namespace embzip::sim {

using IScLane = rtl::IDecoderPorts;

// Exported by the shared object: creates a lane named `name` in the current module hierarchy,
// its clock bound to `clk`. The caller deletes it after the simulation.
using MakeScLaneFn = IScLane* (*)(const char* name, sc_core::sc_signal_in_if<bool>* clk);
constexpr const char* kMakeScLaneSymbol = "embzip_make_sc_lane";

}  // namespace embzip::sim
