// SPDX-License-Identifier: MIT
// The programmable decoder (embzip-rtl --programmable): one netlist for any code within its
// generator parameters. Code books and row geometry live in registers written through a
// configuration port; a code's configuration image (embzip-rtl --config-image) is the list of
// register writes. Canonical decoding (one symbol a cycle) with the cycle contract of a baked
// canonical design for the loaded code. See rtl_gen/README.md, "Programmable decoder".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "embzip/rtl/generator.hpp"

namespace embzip::rtl {

// What the netlist can hold; every code within these loads without a new netlist.
struct ProgParams {
    unsigned books = 4;                  // K: code books (a power of two, 1..16)
    unsigned max_code_len = 32;          // L: longest code (1..32)
    unsigned symbol_bits = 8;            // 8 (bytes) or 4 (nibbles)
    unsigned max_pitch_bits = 1024;      // longest row slot
    unsigned max_symbols_per_row = 256;  // longest row, in symbols
    unsigned bus_bits = 64;              // input word width
    // A load buffer takes the next row while one decodes (schedule_row), as the baked --overlap.
    bool overlap = false;
};
// @throws InputError naming the parameter out of range.
void check_params(const ProgParams& params);

// The configuration port: cfg_valid, cfg_addr, cfg_data (32 bits), cfg_ready; a write happens
// in a cycle with cfg_valid && cfg_ready, and cfg_ready is 1 only while the lane is idle
// (between rows), so a code is never changed under a row. Addresses (cfg_addr, kAddrBits() wide)
// by region, the top two bits selecting it:
//   00: geometry    0 words per row - 1, 1 row bits, 2 symbols per row, 3 books,
//                   4 selector bits
//   01: code books  bits [E:1] = {book, length - 1} (E = log2 K + log2 L'), bit 0 = word:
//                   0: last code of that length (the l-bit value first_code + count - 1),
//                   1: bit 31 = the length has codes below or at it (first_code + count > 0),
//                      low symbol bits = (first_index - first_code) mod 2^symbol_bits
//   10: symbols     bits = {book, k}: the k-th symbol in canonical order
struct ProgMap {
    unsigned book_bits;    // log2 K
    unsigned length_bits;  // log2 L', L' = L rounded up to a power of two
    unsigned low_bits;     // bits under the region select
    unsigned addr_bits;    // low_bits + 2
    uint32_t region(unsigned r) const { return uint32_t(r) << low_bits; }
    uint32_t book_entry(unsigned book, unsigned length, unsigned word) const {
        return region(1) | (((uint32_t(book) << length_bits) | (length - 1)) << 1) | word;
    }
};
ProgMap prog_map(const ProgParams& params);
enum : uint32_t {
    kCfgWordsM1 = 0,
    kCfgRowBits = 1,
    kCfgSymbols = 2,
    kCfgBooks = 3,
    kCfgSelector = 4
};

// The decoder config the programmable design follows: canonical, S = 1, the params' bus and
// overlap.
DecoderConfig prog_decoder_config(const ProgParams& params);

GeneratedRtl generate_programmable(const ProgParams& params, const RtlOptions& options = {});

// The parameters of a programmable design from its manifest.json. @throws FormatError, IoError
ProgParams read_prog_manifest(const std::string& rtl_dir);

struct ConfigWrite {
    uint32_t addr = 0;
    uint32_t data = 0;
};
// The register writes that load `code`. @throws InputError naming what does not fit (and the
// parameter or encoder option to change).
std::vector<ConfigWrite> config_image(const RtlCode& code, const ProgParams& params);
// Text form: comment lines (#), then one write a line, "AAAAAAAA DDDDDDDD" in hex.
std::string config_image_text(const std::vector<ConfigWrite>& writes, const RtlCode& code);

}  // namespace embzip::rtl
