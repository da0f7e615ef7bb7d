// SPDX-License-Identifier: MIT
// The interface between embzip-cosim and a Verilated decoder built at run time as a shared
// object: one C entry point returning an IDecoderDut. Header-only on purpose: the shared object
// is compiled by Verilator's make, which knows nothing of embzip's libraries.
#pragma once
#include <cstdint>
#include <vector>

namespace embzip::rtl {

// The ports of embzip_decoder. Multi-bit values travel as 32-bit chunks, least significant first.
class IDecoderDut {
public:
    virtual ~IDecoderDut() = default;
    virtual void set_reset_n(bool value) = 0;
    virtual void set_in(bool valid, const std::vector<uint32_t>& data) = 0;
    virtual void set_out_ready(bool value) = 0;
    virtual void eval() = 0;  // settle after changing inputs
    virtual bool in_ready() = 0;
    virtual bool out_valid() = 0;
    virtual void out_data(std::vector<uint32_t>& chunks) = 0;
    virtual unsigned out_count() = 0;
    virtual bool out_last() = 0;
    virtual bool out_err() = 0;
    // Overflow layouts only (the ports exist when the table has overflow): out_ovf marks a beat
    // carrying an overflowed row's index. Defaults keep other implementations unchanged.
    virtual bool out_ovf() { return false; }
    virtual uint64_t out_ovf_index() { return 0; }
    virtual void tick() = 0;  // one clock cycle: rising edge, then falling edge
};

// Exported by the shared object. trace: waveform file or "" (the object must be built with
// --trace / --trace-fst to write one). The caller deletes the result.
using MakeDutFn = IDecoderDut* (*)(const char* trace);
constexpr const char* kMakeDutSymbol = "embzip_make_dut";

}  // namespace embzip::rtl
