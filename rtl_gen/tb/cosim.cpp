// SPDX-License-Identifier: MIT
#include "cosim.hpp"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/histogram.hpp"
#include "embzip/rtl/generator.hpp"

namespace embzip::rtl {

namespace {

namespace fs = std::filesystem;

bool get_bit(const std::vector<uint8_t>& bytes, uint64_t p) {
    return (bytes[p >> 3] >> (7 - (p & 7))) & 1;
}

// Row slot r as bus words: slot bit k*N + i (MSB first) is bit N-1-i of word k; zero past the
// pitch.
std::vector<std::vector<uint32_t>> row_words(const CodedTable& t, uint64_t r, unsigned bus) {
    const uint64_t words = (t.pitch_bits + bus - 1) / bus;
    std::vector<std::vector<uint32_t>> out(words, std::vector<uint32_t>((bus + 31) / 32, 0));
    const uint64_t start = r * t.pitch_bits;
    for (uint64_t k = 0; k < words; ++k)
        for (unsigned i = 0; i < bus; ++i) {
            const uint64_t slot_bit = k * bus + i;
            if (slot_bit >= t.pitch_bits || !get_bit(t.payload, start + slot_bit)) continue;
            const unsigned b = bus - 1 - i;
            out[k][b / 32] |= 1u << (b % 32);
        }
    return out;
}

uint32_t lane(const std::vector<uint32_t>& chunks, unsigned j, unsigned width) {
    uint32_t v = 0;
    for (unsigned i = 0; i < width; ++i) {
        const unsigned b = j * width + i;
        if (b / 32 < chunks.size() && ((chunks[b / 32] >> (b % 32)) & 1)) v |= 1u << i;
    }
    return v;
}

struct Expected {
    uint64_t index = 0;
    std::vector<uint8_t> bytes;
    Status status = Status::Ok;
    uint64_t latency = 0;   // 0: not timed (malformed row)
    bool overflow = false;  // flag 1: one beat with out_ovf and this index, no symbols
    uint64_t ovf_index = 0;
};

// Reads `width` bits at bit p (MSB first).
uint64_t get_bits(const std::vector<uint8_t>& bytes, uint64_t p, unsigned width) {
    uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) v = v << 1 | uint64_t(get_bit(bytes, p + i));
    return v;
}

}  // namespace

RtlManifest read_manifest(const std::string& dir) {
    const std::string path = (fs::path(dir) / "manifest.json").string();
    const std::vector<uint8_t> bytes = read_file(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
        RtlManifest m;
        const auto& p = j.at("parameters");
        m.config.arch = parse_decoder_arch(p.at("arch").get<std::string>());
        m.config.symbols_per_cycle = p.at("symbols_per_cycle").get<unsigned>();
        if (m.config.arch != DecoderArch::Canonical)
            m.config.lut_bits = p.at("lut_bits").get<unsigned>();
        m.config.bus_bits = p.at("bus_bits").get<unsigned>();
        m.config.overlap = p.value("overlap", false);
        m.symbol_bits = p.at("symbol_bits").get<unsigned>();
        m.symbols_per_row = p.at("symbols_per_row").get<unsigned>();
        m.code_hash = j.at("code_hash").get<std::string>();
        validate(m.config);
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path + ": " + e.what());
    }
}

CosimResult run_cosim(IDecoderDut& dut, const CodedTable& source, const DecoderConfig& cfg,
                      const CosimOptions& opt) {
    CosimResult res;
    if (opt.first_row >= source.rows)
        throw InputError("--first " + std::to_string(opt.first_row) + " is past the table's " +
                         std::to_string(source.rows) + " rows");
    const uint64_t rows = std::min(opt.rows, source.rows - opt.first_row);
    const unsigned per_byte = source.spec.per_byte(), sym_bits = source.spec.bits;
    const unsigned D = source.dim * per_byte;
    std::mt19937_64 rng(opt.seed);

    // With --corrupt, a copy of the table in which every third row gets a few flipped bits
    // (inside its row width); without it the source itself, not a copy.
    CodedTable mutated;
    std::vector<bool> corrupted(rows, false);
    if (opt.corrupt) {
        mutated = source;
        for (uint64_t k = 0; k < rows; k += 3) {
            corrupted[k] = true;
            const uint64_t start = (opt.first_row + k) * mutated.pitch_bits;
            const unsigned flips = 1 + unsigned(rng() % 3);
            for (unsigned f = 0; f < flips; ++f) {
                const uint64_t p = start + rng() % mutated.row_bits;
                mutated.payload[p >> 3] ^= uint8_t(0x80u >> (p & 7));
            }
            // Every ninth row: all ones after the selector, the longest codes (or invalid ones)
            // back to back, which runs past the row width for any code that compresses.
            if (k % 9 == 0)
                for (uint64_t p = start + (mutated.overflow ? 1 : 0) + mutated.selector_bits;
                     p < start + mutated.row_bits; ++p)
                    mutated.payload[p >> 3] |= uint8_t(0x80u >> (p & 7));
        }
    }

    const CodedTable& table = opt.corrupt ? mutated : source;
    const RowDecoder reference(borrow(table));
    std::deque<Expected> expected;
    std::vector<std::vector<std::vector<uint32_t>>> words(rows);
    uint64_t budget = 1000;
    for (uint64_t k = 0; k < rows; ++k) {
        Expected e;
        e.index = opt.first_row + k;
        e.bytes.resize(table.dim);
        e.status = reference.decode_row(e.index, e.bytes.data());
        const uint64_t start = e.index * table.pitch_bits;
        e.overflow = table.overflow && get_bit(table.payload, start);
        if (e.overflow) {
            // The index as the slot holds it; with Status::Ok the library copied exactly that raw
            // row (a self-check of this reading), else it refused the index (out_err).
            e.ovf_index = get_bits(table.payload, start + 1, table.index_bits);
            if (e.status == Status::Ok &&
                (e.ovf_index >= table.overflow_rows ||
                 !std::equal(e.bytes.begin(), e.bytes.end(),
                             table.overflow_region.begin() + e.ovf_index * table.dim)))
                throw Error("row " + std::to_string(e.index) +
                            ": the testbench reads overflow index " + std::to_string(e.ovf_index) +
                            " but the library decodes another row");
            e.latency = overflow_row_timing(cfg, table.pitch_bits).latency_cycles;
            budget += e.latency;
        } else if (e.status == Status::Ok) {
            const std::vector<uint8_t> lens = row_code_lengths(table, reference, e.index);
            e.latency = row_timing(cfg, table.pitch_bits, lens.data(), lens.size()).latency_cycles;
            budget += e.latency;
        } else {
            budget += 2 * (uint64_t(D) + 4) + (table.pitch_bits + cfg.bus_bits - 1) / cfg.bus_bits;
        }
        words[k] = row_words(table, e.index, cfg.bus_bits);
        expected.push_back(std::move(e));
    }
    if (opt.stalls) budget *= 8;

    auto fail = [&res](const std::string& what) {
        if (res.ok) res.failure = what;
        res.ok = false;
    };

    // Reset for two cycles.
    std::vector<uint32_t> zeros((cfg.bus_bits + 31) / 32, 0);
    dut.set_in(false, zeros.data(), zeros.size());
    dut.set_out_ready(false);
    if (opt.reset) {
        dut.set_reset_n(false);
        for (int i = 0; i < 2; ++i) {
            dut.eval();
            dut.tick();
        }
        dut.set_reset_n(true);
    }
    // Load the code: one write a cycle, each taken only while the lane is idle (cfg_ready).
    if (!opt.config.empty() && !dut.has_config_port()) {
        fail("a configuration image was given but the design has no configuration port");
        return res;
    }
    for (const auto& [addr, data] : opt.config) {
        dut.set_cfg(true, addr, data);
        dut.eval();
        if (!dut.cfg_ready()) {
            fail("configuration write refused (cfg_ready = 0) with the lane idle");
            return res;
        }
        dut.tick();
    }
    dut.set_cfg(false, 0, 0);

    uint64_t in_row = 0, in_word = 0;  // next word to send
    uint64_t out_row = 0;              // row being received
    std::vector<uint8_t> symbols;      // symbols of the row being received
    std::vector<uint64_t> first_in(rows, 0), last_in(rows, 0);
    // The lane's schedule (schedule_row), advanced at each row's last beat: rows are offered back
    // to back, so row k arrives the cycle after row k-1's last word.
    LaneCycles lane_cycles;
    const uint64_t input_cycles = (table.pitch_bits + cfg.bus_bits - 1) / cfg.bus_bits;
    uint64_t last_out_cycle = 0;
    double latency_sum = 0;
    std::vector<uint32_t> chunks((cfg.symbols_per_cycle * sym_bits + 31) / 32, 0);
    uint64_t cycle = 0;
    for (; out_row < rows && res.ok; ++cycle) {
        if (cycle > budget) {
            fail("timeout after " + std::to_string(cycle) + " cycles waiting for row " +
                 std::to_string(opt.first_row + out_row));
            break;
        }
        const bool in_valid = in_row < rows && (!opt.stalls || rng() % 4 != 0);
        const bool out_ready = !opt.stalls || rng() % 3 != 0;
        const std::vector<uint32_t>& word = in_valid ? words[in_row][in_word] : zeros;
        dut.set_in(in_valid, word.data(), word.size());
        dut.set_out_ready(out_ready);
        dut.eval();
        if (in_valid && dut.in_ready()) {
            if (in_word == 0) {
                first_in[in_row] = cycle;
                // One row at a time: the lane takes a row the cycle after the previous row's last
                // beat.
                if (!opt.stalls && !cfg.overlap && in_row > 0 && in_row == out_row &&
                    cycle != last_out_cycle + 1)
                    fail("row " + std::to_string(opt.first_row + in_row) +
                         ": first word accepted " + std::to_string(cycle - last_out_cycle) +
                         " cycles after the previous row's last symbol, expected 1");
            }
            // Overlap: one row may load while the one before it decodes, not two.
            if (in_row > out_row + (cfg.overlap ? 1 : 0))
                fail("row " + std::to_string(opt.first_row + in_row) +
                     " accepted before the previous row was decoded");
            if (++in_word == words[in_row].size()) {
                last_in[in_row] = cycle;
                in_word = 0;
                ++in_row;
            }
        }
        if (dut.out_valid() && out_ready) {
            const Expected& e = expected[out_row];
            const std::string row_name = "row " + std::to_string(e.index);
            const unsigned count = dut.out_count();
            const bool ovf = table.overflow && dut.out_ovf();
            if (out_row >= in_row) fail(row_name + ": symbols out before the row was received");
            if (ovf != e.overflow)
                fail(row_name + (ovf ? ": out_ovf but the slot's flag is 0"
                                     : ": symbols out but the slot's overflow flag is 1"));
            if (!ovf && (count < 1 || count > cfg.symbols_per_cycle))
                fail(row_name + ": out_count " + std::to_string(count) + " outside 1.." +
                     std::to_string(cfg.symbols_per_cycle));
            if (!ovf) {
                dut.out_data(chunks.data(), chunks.size());
                for (unsigned j = 0; j < count; ++j)
                    symbols.push_back(uint8_t(lane(chunks, j, sym_bits)));
            }
            const bool last = dut.out_last();
            if (!last && symbols.size() >= D)
                fail(row_name + ": " + std::to_string(symbols.size()) +
                     " symbols without out_last");
            if (ovf) {
                // The overflow beat: the row's only one.
                if (count != 0 || !last || !symbols.empty())
                    fail(row_name + ": overflow beat with out_count " + std::to_string(count) +
                         ", out_last " + std::to_string(last) + " after " +
                         std::to_string(symbols.size()) + " symbols; expected 0, 1, 0");
                const uint64_t index = dut.out_ovf_index();
                if (index != e.ovf_index)
                    fail(row_name + ": out_ovf_index " + std::to_string(index) +
                         ", the slot holds " + std::to_string(e.ovf_index));
                const bool err = dut.out_err();
                if (err != (e.status != Status::Ok))
                    fail(row_name + ": out_err " + std::to_string(err) +
                         " on the overflow beat but the library says '" + status_message(e.status) +
                         "'");
                if (e.status == Status::Ok)
                    ++res.overflow_rows;
                else
                    ++res.bad_rows;
            } else if (last) {
                if (symbols.size() != D)
                    fail(row_name + ": out_last after " + std::to_string(symbols.size()) +
                         " symbols, expected " + std::to_string(D));
                const bool err = dut.out_err();
                if (err != (e.status != Status::Ok))
                    fail(row_name + ": out_err " + std::to_string(err) + " but the library says '" +
                         status_message(e.status) + "'");
                if (e.status == Status::Ok && symbols.size() == D) {
                    for (uint32_t c = 0; c < table.dim && res.ok; ++c) {
                        const uint8_t got =
                            per_byte == 1
                                ? symbols[c]
                                : split_inverse(table.spec.split,
                                                uint8_t(symbols[2 * c] << 4 | symbols[2 * c + 1]));
                        if (got != e.bytes[c])
                            fail(row_name + " byte " + std::to_string(c) + ": RTL " +
                                 std::to_string(got) + ", library " + std::to_string(e.bytes[c]));
                    }
                    res.bytes += table.dim;
                } else if (e.status != Status::Ok) {
                    ++res.bad_rows;
                }
            }
            if (last || ovf) {
                const uint64_t latency = cycle - first_in[out_row] + 1;
                if (!opt.stalls) {
                    // The row's place in the lane's schedule; a malformed row's own length is
                    // not in the contract, so its observed end is taken as its done.
                    const uint64_t arrival = out_row == 0 ? 0 : last_in[out_row - 1] + 1;
                    const RowTiming rt{
                        input_cycles, 0,
                        e.latency ? e.latency : input_cycles + kDecoderPipelineLatency};
                    const RowCycles rc = schedule_row(cfg, lane_cycles, arrival, rt);
                    if (!e.latency) {
                        lane_cycles.decode_free = cycle + 1;
                        if (!cfg.overlap) lane_cycles.load_free = cycle + 1;
                    }
                    if (first_in[out_row] != rc.first_word ||
                        last_in[out_row] != rc.first_word + input_cycles - 1)
                        fail(row_name + ": words accepted in cycles " +
                             std::to_string(first_in[out_row]) + ".." +
                             std::to_string(last_in[out_row]) + ", schedule_row says " +
                             std::to_string(rc.first_word) + ".." +
                             std::to_string(rc.first_word + input_cycles - 1));
                    if (cfg.overlap && e.latency && cycle + 1 != rc.done)
                        fail(row_name + ": last beat in cycle " + std::to_string(cycle) +
                             ", schedule_row says " + std::to_string(rc.done - 1));
                }
                if (!opt.stalls && e.latency && !cfg.overlap) {
                    if (latency != e.latency)
                        fail(row_name + ": " + std::to_string(latency) +
                             " cycles from first word to last beat, " +
                             (e.overflow ? "overflow_row_timing" : "row_timing") + " says " +
                             std::to_string(e.latency));
                    ++res.timed_rows;
                }
                if (!opt.stalls && e.latency && cfg.overlap) ++res.timed_rows;
                latency_sum += double(latency);
                last_out_cycle = cycle;
                symbols.clear();
                ++out_row;
                ++res.rows;
            }
        }
        dut.tick();
    }
    res.cycles = cycle;
    res.mean_latency = res.rows ? latency_sum / double(res.rows) : 0.0;
    return res;
}

std::string cosim_summary(const CosimResult& r, const DecoderConfig& c, const CosimOptions& opt) {
    std::ostringstream cfg;
    cfg << "arch=" << decoder_arch_name(c.arch) << " S=" << c.symbols_per_cycle;
    if (c.arch != DecoderArch::Canonical) cfg << " B=" << c.lut_bits;
    cfg << " bus=" << c.bus_bits << (c.overlap ? " overlap" : "");
    if (!r.ok) return "cosim FAILED (" + cfg.str() + "): " + r.failure;
    std::ostringstream o;
    o << "cosim OK: " << r.rows << " rows from row " << opt.first_row << ", " << r.bytes
      << " bytes bit-exact";
    if (r.bad_rows) o << ", " << r.bad_rows << " corrupted rows flagged by out_err";
    if (r.timed_rows)
        o << ", " << r.timed_rows << " rows with cycles equal to "
          << (c.overlap ? "schedule_row" : "row_timing");
    if (r.overflow_rows) o << ", " << r.overflow_rows << " overflow rows with the slot's index";
    o << " (" << cfg.str() << "); mean latency " << r.mean_latency << " cycles, " << r.cycles
      << " cycles in all";
    return o.str();
}

}  // namespace embzip::rtl
