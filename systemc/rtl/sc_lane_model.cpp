// SPDX-License-Identifier: MIT
// Compiled with one Verilated embzip_decoder (verilator --sc --exe --build --prefix
// Vembzip_decoder) into a shared object that embzip-sim loads: an sc_module that owns the model
// and one signal per port, seen by the simulator through IScLane. In SystemC mode Verilator
// makes 1-bit ports bool, up to 32 bits uint32_t, up to 64 uint64_t, wider sc_bv<N>.
#include <memory>
#include <string>
#include <systemc>
#include <type_traits>

#include "Vembzip_decoder.h"
#include "sc_lane_abi.hpp"
#include "verilated.h"

namespace {

template <class T>
void put(T& v, const uint32_t* c, size_t n) {
    uint64_t x = n > 0 ? c[0] : 0;
    if (n > 1) x |= uint64_t(c[1]) << 32;
    v = static_cast<T>(x);
}
template <int W>
void put(sc_dt::sc_bv<W>& v, const uint32_t* c, size_t n) {
    for (int i = 0; i < (W + 31) / 32; ++i) v.set_word(i, size_t(i) < n ? c[i] : 0u);
}
template <class T>
void get(const T& v, uint32_t* c, size_t n) {
    const uint64_t x = static_cast<uint64_t>(v);
    for (size_t i = 0; i < n; ++i) c[i] = i == 0 ? uint32_t(x) : i == 1 ? uint32_t(x >> 32) : 0u;
}
template <int W>
void get(const sc_dt::sc_bv<W>& v, uint32_t* c, size_t n) {
    for (size_t i = 0; i < n; ++i)
        c[i] = int(i) < (W + 31) / 32 ? uint32_t(v.get_word(int(i))) : 0u;
}

template <class Port>
using ValueOf = typename std::remove_reference_t<Port>::data_type;

class ScLane final : public sc_core::sc_module, public embzip::rtl::IDecoderPorts {
  public:
    using InData = ValueOf<decltype(std::declval<Vembzip_decoder>().in_data)>;
    using OutData = ValueOf<decltype(std::declval<Vembzip_decoder>().out_data)>;
    using OutCount = ValueOf<decltype(std::declval<Vembzip_decoder>().out_count)>;

    ScLane(sc_core::sc_module_name name, sc_core::sc_signal_in_if<bool>& clk)
        : sc_module(name),
          m_rst_n("rst_n", false),
          m_in_valid("in_valid", false),
          m_out_ready("out_ready", false),
          m_in_ready("in_ready"),
          m_out_valid("out_valid"),
          m_out_last("out_last"),
          m_out_err("out_err"),
          m_in_data("in_data"),
          m_out_data("out_data"),
          m_out_count("out_count") {
        m_top = std::make_unique<Vembzip_decoder>("rtl");
        m_top->clk(clk);
        m_top->rst_n(m_rst_n);
        m_top->in_valid(m_in_valid);
        m_top->in_data(m_in_data);
        m_top->in_ready(m_in_ready);
        m_top->out_valid(m_out_valid);
        m_top->out_ready(m_out_ready);
        m_top->out_data(m_out_data);
        m_top->out_count(m_out_count);
        m_top->out_last(m_out_last);
        m_top->out_err(m_out_err);
    }
    void set_reset_n(bool v) override { m_rst_n.write(v); }
    void set_in(bool valid, const uint32_t* c, size_t n) override {
        m_in_valid.write(valid);
        InData d{};
        put(d, c, n);
        m_in_data.write(d);
    }
    void set_out_ready(bool v) override { m_out_ready.write(v); }
    bool in_ready() const override { return m_in_ready.read(); }
    bool out_valid() const override { return m_out_valid.read(); }
    void out_data(uint32_t* c, size_t n) const override { get(m_out_data.read(), c, n); }
    unsigned out_count() const override { return static_cast<unsigned>(m_out_count.read()); }
    bool out_last() const override { return m_out_last.read(); }
    bool out_err() const override { return m_out_err.read(); }

  private:
    sc_core::sc_signal<bool> m_rst_n, m_in_valid, m_out_ready, m_in_ready, m_out_valid, m_out_last,
        m_out_err;
    sc_core::sc_signal<InData> m_in_data;
    sc_core::sc_signal<OutData> m_out_data;
    sc_core::sc_signal<OutCount> m_out_count;
    std::unique_ptr<Vembzip_decoder> m_top;
};

}  // namespace

extern "C" embzip::rtl::IDecoderPorts* embzip_make_sc_lane(const char* name,
                                                           sc_core::sc_signal_in_if<bool>* clk) {
    // Data registers are not reset: start them random (--x-initial unique), as embzip-cosim does.
    Verilated::randReset(2);
    return new ScLane(name, *clk);
}
