// SPDX-License-Identifier: MIT
// Decoder options shared by embzip-rtl and embzip-cosim.
#pragma once
#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "embzip/decoder_timing.hpp"
#include "embzip/errors.hpp"
#include "embzip/rtl/generator.hpp"
#include "embzip/rtl/programmable.hpp"

namespace embzip::rtl {

inline void add_decoder_options(boost::program_options::options_description& d) {
    namespace po = boost::program_options;
    d.add_options()("arch", po::value<std::string>()->default_value("lut"),
                    "canonical | lut | chain")(
        "symbols-per-cycle,S", po::value<unsigned>(),
        "S: symbols per decode step (lut, chain: default 2; canonical: 1)")(
        "lut-bits,B", po::value<unsigned>()->default_value(DecoderConfig{}.lut_bits),
        "B: code bits one lut lookup (chain: one step) sees")(
        "bus-bits", po::value<unsigned>()->default_value(DecoderConfig{}.bus_bits),
        "N: input word width")("overlap", po::bool_switch(),
                               "load the next row into a second buffer while this one decodes")(
        "speculative", po::bool_switch(),
        "chain: decoders at every offset a code can end at, one mux per symbol (shorter path)")(
        "row-store", po::value<std::string>()->default_value("shift"),
        "baked designs: shift (a shift register) | pointer (words written in place, read at a "
        "moving pointer; overlap: two banks)");
}

// Sizing of the programmable decoder (--programmable).
inline void add_programmable_options(boost::program_options::options_description& d) {
    namespace po = boost::program_options;
    const ProgParams p;
    d.add_options()("books", po::value<unsigned>()->default_value(p.books),
                    "programmable: code books the design holds (a power of two)")(
        "max-code-len", po::value<unsigned>()->default_value(p.max_code_len),
        "programmable: longest code")("symbol-bits",
                                      po::value<unsigned>()->default_value(p.symbol_bits),
                                      "programmable: 8 (bytes) or 4 (nibbles)")(
        "max-pitch-bits", po::value<unsigned>()->default_value(p.max_pitch_bits),
        "programmable: longest row slot")(
        "max-symbols-per-row", po::value<unsigned>()->default_value(p.max_symbols_per_row),
        "programmable: longest row in symbols");
}

inline ProgParams programmable_params(const boost::program_options::variables_map& vm) {
    ProgParams p;
    p.books = vm["books"].as<unsigned>();
    p.max_code_len = vm["max-code-len"].as<unsigned>();
    p.symbol_bits = vm["symbol-bits"].as<unsigned>();
    p.max_pitch_bits = vm["max-pitch-bits"].as<unsigned>();
    p.max_symbols_per_row = vm["max-symbols-per-row"].as<unsigned>();
    p.bus_bits = vm["bus-bits"].as<unsigned>();
    p.overlap = vm["overlap"].as<bool>();
    check_params(p);
    return p;
}

// --version: the project version and the generator's, so a netlist can be traced to its tool.
inline bool print_version(const boost::program_options::variables_map& vm, const char* tool) {
    if (!vm.count("version")) return false;
    std::cout << tool << " " << EMBZIP_VERSION << " (" << kGeneratorVersion << ")\n";
    return true;
}

inline DecoderConfig decoder_config(const boost::program_options::variables_map& vm) {
    DecoderConfig c;
    c.arch = parse_decoder_arch(vm["arch"].as<std::string>());
    c.symbols_per_cycle = vm.count("symbols-per-cycle") ? vm["symbols-per-cycle"].as<unsigned>()
                          : c.arch == DecoderArch::Canonical ? 1u
                                                             : DecoderConfig{}.symbols_per_cycle;
    c.lut_bits = vm["lut-bits"].as<unsigned>();
    c.bus_bits = vm["bus-bits"].as<unsigned>();
    c.overlap = vm["overlap"].as<bool>();
    return c;
}

}  // namespace embzip::rtl
