// SPDX-License-Identifier: MIT
// The interface between embzip-cosim and a Verilated decoder built at run time as a shared
// object: one C entry point returning an IDecoderDut, the ports plus the clock.
#pragma once
#include "decoder_ports.hpp"

namespace embzip::rtl {

class IDecoderDut : public IDecoderPorts {
  public:
    virtual void eval() = 0;  // settle after changing inputs
    virtual void tick() = 0;  // one clock cycle: rising edge, then falling edge
};

// Exported by the shared object. trace: waveform file or "" (the object must be built with
// --trace / --trace-fst to write one). The caller deletes the result.
using MakeDutFn = IDecoderDut* (*)(const char* trace);
constexpr const char* kMakeDutSymbol = "embzip_make_dut";

}  // namespace embzip::rtl
