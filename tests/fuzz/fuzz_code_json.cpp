// SPDX-License-Identifier: MIT
// code.json loading (embzip-rtl's input): any text either parses into a code the generator can
// hash and build a decoder for, or throws embzip::Error (FormatError / InputError, with the file
// name); nothing else may escape.
#include "embzip/errors.hpp"
#include "embzip/rtl/generator.hpp"
#include "fuzz_target.hpp"

using namespace embzip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    rtl::RtlCode code;
    try {
        code = rtl::parse_code_json(text, "fuzz/code.json");
    } catch (const Error&) {
        return 0;
    }
    EMBZIP_FUZZ_EXPECT(!code.books.empty());
    (void)rtl::code_hash(code);
    // One microarchitecture per input, picked by the input's length: generating the Verilog is
    // most of an input's time, and over a run every parsed code shape meets both.
    DecoderConfig c;
    c.arch = size % 2 ? DecoderArch::Canonical : DecoderArch::Lut;
    c.symbols_per_cycle = c.arch == DecoderArch::Canonical ? 1 : 2;
    try {
        const rtl::GeneratedRtl g = rtl::generate_decoder(code, c);
        EMBZIP_FUZZ_EXPECT(!g.files.empty());
    } catch (const Error&) {
    }
    return 0;
}
