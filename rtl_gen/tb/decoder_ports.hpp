// SPDX-License-Identifier: MIT
// The port access of one Verilated decoder, shared by the two adapters built into run-time
// shared objects: embzip-cosim's (tb/dut_model.cpp, the testbench owns the clock) and
// embzip-sim's (systemc/rtl/sc_lane_model.cpp, the SystemC kernel owns it). Header-only on
// purpose: the shared objects are compiled by Verilator's make, which knows nothing of
// embzip's libraries. Installed with the adapters under share/embzip/rtl.
#pragma once
#include <cstddef>
#include <cstdint>

namespace embzip::rtl {

// The ports of PREFIXdecoder. Multi-bit values travel as 32-bit chunks, least significant
// first; a read fills `count` chunks (zero past the port's width), a write takes `count`.
class IDecoderPorts {
  public:
    virtual ~IDecoderPorts() = default;
    virtual void set_reset_n(bool value) = 0;
    virtual void set_in(bool valid, const uint32_t* chunks, size_t count) = 0;
    virtual void set_out_ready(bool value) = 0;
    virtual bool in_ready() const = 0;
    virtual bool out_valid() const = 0;
    virtual void out_data(uint32_t* chunks, size_t count) const = 0;
    virtual unsigned out_count() const = 0;
    virtual bool out_last() const = 0;
    virtual bool out_err() const = 0;
    // Overflow layouts only (the ports exist when the table has overflow): out_ovf marks a beat
    // carrying an overflowed row's index.
    virtual bool out_ovf() const { return false; }
    virtual uint64_t out_ovf_index() const { return 0; }
    // Programmable designs only: the configuration port (valid, address, data; ready).
    virtual bool has_config_port() const { return false; }
    virtual void set_cfg(bool /*valid*/, uint32_t /*addr*/, uint32_t /*data*/) {}
    virtual bool cfg_ready() const { return false; }
};

}  // namespace embzip::rtl
