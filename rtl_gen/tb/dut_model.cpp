// SPDX-License-Identifier: MIT
// Compiled with one Verilated embzip_decoder (verilator --cc --exe --build --prefix
// Vembzip_decoder) into a shared object that embzip-cosim loads: adapts the model's ports to
// IDecoderDut. It uses only dut_abi.hpp's interface, so the shared object needs none of embzip's
// libraries and survives their changes.
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "Vembzip_decoder.h"
#include "dut_abi.hpp"
#include "verilated.h"
#if VM_TRACE_FST
#include "verilated_fst_c.h"
using TraceFile = VerilatedFstC;
#elif VM_TRACE
#include "verilated_vcd_c.h"
using TraceFile = VerilatedVcdC;
#endif

namespace {

// Verilator ports: CData/SData/IData/QData up to 64 bits, VlWide<W> beyond.
template <class T>
void to_port(T& port, const uint32_t* c, size_t n) {
    uint64_t v = n > 0 ? c[0] : 0;
    if (n > 1) v |= uint64_t(c[1]) << 32;
    port = static_cast<T>(v);
}
template <std::size_t W>
void to_port(VlWide<W>& port, const uint32_t* c, size_t n) {
    for (std::size_t i = 0; i < W; ++i) port[i] = i < n ? c[i] : 0;
}
template <class T>
void from_port(const T& port, uint32_t* c, size_t n) {
    const uint64_t v = port;
    for (size_t i = 0; i < n; ++i) c[i] = i == 0 ? uint32_t(v) : i == 1 ? uint32_t(v >> 32) : 0u;
}
template <std::size_t W>
void from_port(const VlWide<W>& port, uint32_t* c, size_t n) {
    for (std::size_t i = 0; i < n; ++i) c[i] = i < W ? uint32_t(port[i]) : 0u;
}

// The overflow ports exist only for overflow layouts: detect them on the model's class.
template <class T, class = void>
struct HasOverflowPorts : std::false_type {};
template <class T>
struct HasOverflowPorts<T, std::void_t<decltype(std::declval<T&>().out_ovf),
                                       decltype(std::declval<T&>().out_ovf_index)>>
    : std::true_type {};
template <class T>
bool ovf_of(const T& top) {
    if constexpr (HasOverflowPorts<T>::value)
        return top.out_ovf;
    else
        return false;
}
template <class T>
uint64_t ovf_index_of(const T& top) {
    if constexpr (HasOverflowPorts<T>::value)
        return top.out_ovf_index;
    else
        return 0;
}

// The configuration port exists only in programmable designs.
template <class T, class = void>
struct HasConfigPort : std::false_type {};
template <class T>
struct HasConfigPort<
    T, std::void_t<decltype(std::declval<T&>().cfg_valid), decltype(std::declval<T&>().cfg_ready)>>
    : std::true_type {};
template <class T>
void set_cfg_of(T& top, bool valid, uint32_t addr, uint32_t data) {
    if constexpr (HasConfigPort<T>::value) {
        top.cfg_valid = valid;
        top.cfg_addr = addr;
        top.cfg_data = data;
    }
}
template <class T>
bool cfg_ready_of(const T& top) {
    if constexpr (HasConfigPort<T>::value)
        return top.cfg_ready;
    else
        return false;
}

class VerilatedDut final : public embzip::rtl::IDecoderDut {
  public:
    explicit VerilatedDut(const std::string& trace) {
        // Data registers are not reset: start them random (--x-initial unique) to prove it.
        m_context.randReset(2);
        m_top = std::make_unique<Vembzip_decoder>(&m_context);
        m_top->clk = 0;
#if VM_TRACE
        if (!trace.empty()) {
            m_context.traceEverOn(true);
            m_trace = std::make_unique<TraceFile>();
            m_top->trace(m_trace.get(), 99);
            m_trace->open(trace.c_str());
        }
#else
        if (!trace.empty()) throw std::runtime_error("this testbench was built without --trace");
#endif
    }
    ~VerilatedDut() override {
#if VM_TRACE
        if (m_trace) m_trace->close();
#endif
        m_top->final();
    }
    void set_reset_n(bool v) override { m_top->rst_n = v; }
    void set_in(bool valid, const uint32_t* c, size_t n) override {
        m_top->in_valid = valid;
        to_port(m_top->in_data, c, n);
    }
    void set_out_ready(bool v) override { m_top->out_ready = v; }
    void eval() override { m_top->eval(); }
    bool in_ready() const override { return m_top->in_ready; }
    bool out_valid() const override { return m_top->out_valid; }
    void out_data(uint32_t* c, size_t n) const override { from_port(m_top->out_data, c, n); }
    unsigned out_count() const override { return m_top->out_count; }
    bool out_last() const override { return m_top->out_last; }
    bool out_err() const override { return m_top->out_err; }
    bool out_ovf() const override { return ovf_of(*m_top); }
    uint64_t out_ovf_index() const override { return ovf_index_of(*m_top); }
    bool has_config_port() const override { return HasConfigPort<Vembzip_decoder>::value; }
    void set_cfg(bool valid, uint32_t addr, uint32_t data) override {
        set_cfg_of(*m_top, valid, addr, data);
    }
    bool cfg_ready() const override { return cfg_ready_of(*m_top); }
    void tick() override {
        m_top->clk = 1;
        m_top->eval();
        dump();
        m_top->clk = 0;
        m_top->eval();
        dump();
    }

  private:
    void dump() {
#if VM_TRACE
        if (m_trace) m_trace->dump(m_time);
#endif
        ++m_time;
    }
    VerilatedContext m_context;
    std::unique_ptr<Vembzip_decoder> m_top;
#if VM_TRACE
    std::unique_ptr<TraceFile> m_trace;
#endif
    uint64_t m_time = 0;
};

}  // namespace

extern "C" embzip::rtl::IDecoderDut* embzip_make_dut(const char* trace) {
    return new VerilatedDut(trace ? trace : "");
}
