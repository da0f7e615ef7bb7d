// SPDX-License-Identifier: MIT
#include "embzip/decoder_timing.hpp"

#include <algorithm>

#include "embzip/errors.hpp"
#include "embzip/histogram.hpp"

namespace embzip {

const char* decoder_arch_name(DecoderArch arch) {
    return arch == DecoderArch::Canonical ? "canonical"
           : arch == DecoderArch::Lut     ? "lut"
                                          : "chain";
}

DecoderArch parse_decoder_arch(const std::string& text) {
    if (text == "canonical") return DecoderArch::Canonical;
    if (text == "lut") return DecoderArch::Lut;
    if (text == "chain") return DecoderArch::Chain;
    throw InputError("decoder architecture must be canonical, lut or chain, got '" + text + "'");
}

void validate(const DecoderConfig& c) {
    if (c.symbols_per_cycle < 1 || c.symbols_per_cycle > 16)
        throw InputError("symbols per cycle must be 1..16, got " +
                         std::to_string(c.symbols_per_cycle));
    if (c.arch == DecoderArch::Canonical && c.symbols_per_cycle != 1)
        throw InputError("the canonical decoder emits one symbol per cycle; got " +
                         std::to_string(c.symbols_per_cycle));
    if (c.arch == DecoderArch::Lut && (c.lut_bits < 1 || c.lut_bits > 16))
        throw InputError("lut bits must be 1..16, got " + std::to_string(c.lut_bits));
    // Chain: B is a window of code bits, not a table index, so it may be as wide as S codes.
    if (c.arch == DecoderArch::Chain && (c.lut_bits < 1 || c.lut_bits > 64))
        throw InputError("chain window bits must be 1..64, got " + std::to_string(c.lut_bits));
    if (c.bus_bits < 8 || c.bus_bits > 1024 || c.bus_bits % 8 != 0)
        throw InputError("bus bits must be a multiple of 8 in 8..1024, got " +
                         std::to_string(c.bus_bits));
}

RowTiming row_timing(const DecoderConfig& c, uint32_t pitch_bits, const uint8_t* lens,
                     size_t count) {
    validate(c);
    RowTiming t;
    t.input_cycles = (uint64_t(pitch_bits) + c.bus_bits - 1) / c.bus_bits;
    if (c.arch == DecoderArch::Canonical) {
        t.decode_steps = count;
    } else {
        size_t i = 0;
        while (i < count) {
            if (lens[i] > c.lut_bits) {
                t.decode_steps += kDecoderLongCodeCycles;
                ++i;
                continue;
            }
            unsigned bits = 0, k = 0;
            while (i < count && k < c.symbols_per_cycle && bits + lens[i] <= c.lut_bits) {
                bits += lens[i++];
                ++k;
            }
            ++t.decode_steps;
        }
    }
    t.latency_cycles = t.input_cycles + kDecoderPipelineLatency + t.decode_steps;
    return t;
}

RowTiming overflow_row_timing(const DecoderConfig& c, uint32_t pitch_bits) {
    return row_timing(c, pitch_bits, nullptr, 0);
}

RowCycles schedule_row(const DecoderConfig& c, LaneCycles& lane, uint64_t arrival,
                       const RowTiming& row) {
    RowCycles r;
    r.first_word = std::max(arrival, lane.load_free);
    r.prime = std::max(r.first_word + row.input_cycles, lane.decode_free);
    r.done = r.prime + (row.latency_cycles - row.input_cycles);
    lane.decode_free = r.done;
    lane.load_free = c.overlap ? r.prime : r.done;
    return r;
}

namespace {

// Code lengths of one row into out (per_row entries; left untouched for an overflowed row).
void code_lengths_into(const CodedTable& table, const RowDecoder& decoder, uint64_t index,
                       uint8_t* row, uint8_t* syms, uint8_t* out) {
    const Status s = decoder.decode_row(index, row);
    if (s != Status::Ok)
        throw FormatError("row " + std::to_string(index) + ": " + status_message(s));
    const SlotHeader h = slot_header(table, index);
    if (h.overflowed) return;  // stored raw: no codes
    const size_t per_row = size_t(table.dim) * table.spec.per_byte();
    row_symbols(row, table.dim, table.spec, syms);
    for (size_t k = 0; k < per_row; ++k) out[k] = table.books[h.book].len[syms[k]];
}

}  // namespace

std::vector<uint8_t> row_code_lengths(const CodedTable& table, const RowDecoder& decoder,
                                      uint64_t index) {
    const size_t per_row = size_t(table.dim) * table.spec.per_byte();
    std::vector<uint8_t> lens(per_row), row(table.dim), syms(per_row);
    code_lengths_into(table, decoder, index, row.data(), syms.data(), lens.data());
    if (slot_header(table, index).overflowed) return {};
    return lens;
}

std::vector<uint8_t> row_code_lengths(const CodedTable& table, uint64_t index) {
    return row_code_lengths(table, RowDecoder(borrow(table)), index);
}

std::vector<uint8_t> all_row_code_lengths(const CodedTable& table, const Table& decoded) {
    const size_t per_row = size_t(table.dim) * table.spec.per_byte();
    std::vector<uint8_t> lens(table.rows * per_row, 0), syms(per_row);
    for (uint64_t i = 0; i < table.rows; ++i) {
        const SlotHeader h = slot_header(table, i);
        if (h.overflowed) continue;  // stored raw: no codes
        row_symbols(decoded.row(i), table.dim, table.spec, syms.data());
        uint8_t* out = lens.data() + i * per_row;
        for (size_t k = 0; k < per_row; ++k) out[k] = table.books[h.book].len[syms[k]];
    }
    return lens;
}

std::vector<uint8_t> all_row_code_lengths(const CodedTable& table) {
    return all_row_code_lengths(table, decode_table(table));
}

}  // namespace embzip
