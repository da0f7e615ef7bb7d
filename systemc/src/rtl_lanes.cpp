// SPDX-License-Identifier: MIT
#include "embzip_sim/rtl_lanes.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "embzip/errors.hpp"
#include "embzip/histogram.hpp"
#include "embzip/rtl/generator.hpp"
#include "embzip/symbols.hpp"

namespace embzip::sim {
namespace {

namespace fs = std::filesystem;

// Fixed when embzip_sim is built (systemc/CMakeLists.txt).
constexpr const char* kLaneDir = EMBZIP_SC_LANE_DIR;
constexpr const char* kVerilatorFlags = EMBZIP_RTL_VC_FILE;

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// The shared object depends on the adapter and the flags as well as the code: their size and
// time go into the cache key, so an edited adapter is never served from a stale build.
uint64_t build_stamp() {
    uint64_t h = 1469598103934665603ull;
    const std::string dir = kLaneDir;
    for (const std::string& f :
         {dir + "/sc_lane_model.cpp", dir + "/sc_lane_abi.hpp", std::string(kVerilatorFlags)}) {
        struct stat st {};
        if (stat(f.c_str(), &st) != 0)
            throw IoError(f + ": RTL lane adapter missing (rebuild embzip-sim)");
        for (uint64_t v :
             {uint64_t(st.st_size), uint64_t(st.st_mtim.tv_sec), uint64_t(st.st_mtim.tv_nsec)}) {
            h ^= v;
            h *= 1099511628211ull;
        }
    }
    return h;
}

int run(const std::string& command) {
    const int rc = std::system(command.c_str());  // NOLINT(cert-env33-c)
    if (rc == -1) throw IoError("cannot run: " + command);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

// Generates and verilates into a fresh directory, then renames it into place, so an interrupted
// or concurrent build never leaves a half-built model under the key.
fs::path build_model(const fs::path& cache, const std::string& key,
                     const rtl::GeneratedRtl& generated, bool quiet) {
    const fs::path dir = cache / key;
    if (fs::exists(dir / "obj" / "libsclane.so")) return dir;
    const fs::path tmp = cache / (key + ".tmp." + std::to_string(getpid()));
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    rtl::write_rtl((tmp / "rtl").string(), generated);
    const std::string cflags = "-std=c++17 -fPIC -I" + std::string(kLaneDir);
    std::string cmd = "verilator -f " + quote(kVerilatorFlags) +
                      " --sc --exe --build -j 2 --prefix Vembzip_decoder -Mdir " +
                      quote((tmp / "obj").string()) + " -o libsclane.so -CFLAGS " + quote(cflags) +
                      " -LDFLAGS -shared -MAKEFLAGS " +
                      quote("OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1") + " " +
                      quote(std::string(kLaneDir) + "/sc_lane_model.cpp");
    for (const auto& f : generated.files) cmd += " " + quote((tmp / "rtl" / f.first).string());
    const fs::path log = tmp / "build.log";
    if (!quiet)
        std::fprintf(stderr, "embzip-sim: verilating the decoder (SystemC) into %s\n", dir.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    if (run(cmd + " > " + quote(log.string()) + " 2>&1") != 0 ||
        !fs::exists(tmp / "obj" / "libsclane.so")) {
        run("tail -n 30 " + quote(log.string()) + " >&2");
        throw Error("decoder.model: the verilator build of the RTL lanes failed, see " +
                    log.string());
    }
    std::error_code ec;
    fs::rename(tmp, dir, ec);
    if (ec) {  // another process built the same key meanwhile
        fs::remove_all(tmp);
        if (!fs::exists(dir / "obj" / "libsclane.so"))
            throw IoError("cannot move the RTL model into " + dir.string() + ": " + ec.message());
    }
    if (!quiet)
        std::fprintf(stderr, "embzip-sim: built the RTL lanes in %.1f s\n",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return dir;
}

bool slot_bit(const CodedTable& t, uint64_t p) { return (t.payload[p >> 3] >> (7 - (p & 7))) & 1; }

}  // namespace

std::string default_rtl_cache() {
    if (const char* env = std::getenv("EMBZIP_SIM_RTL_CACHE")) return env;
    if (const char* home = std::getenv("HOME"))
        return (fs::path(home) / ".cache" / "embzip-sim-rtl").string();
    throw InputError(
        "decoder.model: rtl needs a model cache: set EMBZIP_SIM_RTL_CACHE (HOME is unset)");
}

RtlLaneLibrary load_rtl_lanes(const CodedTable& table, const DecoderConfig& config,
                              uint32_t pitch_bits, const std::string& cache, bool quiet) {
    rtl::RtlCode code = rtl::rtl_code_of(table);
    code.pitch_bits = pitch_bits;  // the lanes take the slot the simulator reads
    rtl::check_supported(code, config);
    fs::create_directories(cache);
    // The key covers the Verilog itself (so a changed generator never reuses a stale model), the
    // code and options (readable), and the adapter files.
    const rtl::GeneratedRtl generated = rtl::generate_decoder(code, config);
    uint64_t verilog = build_stamp();
    for (const auto& [file, text] : generated.files)
        for (const std::string* part : {&file, &text})
            for (unsigned char ch : *part) {
                verilog ^= ch;
                verilog *= 1099511628211ull;
            }
    const std::string key =
        "sc-" + rtl::hex64(rtl::code_hash(code)) + "-" + decoder_arch_name(config.arch) + "-s" +
        std::to_string(config.symbols_per_cycle) + "-b" +
        std::to_string(config.arch == DecoderArch::Lut ? config.lut_bits : 0) + "-n" +
        std::to_string(config.bus_bits) + "-" + rtl::hex64(verilog).substr(0, 12);
    const fs::path dir = build_model(cache, key, generated, quiet);
    RtlLaneLibrary lib;
    lib.path = (dir / "obj" / "libsclane.so").string();
    // Never closed: the lanes' code must stay mapped as long as SystemC may touch them.
    void* so = dlopen(lib.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!so) throw IoError(std::string("decoder.model: cannot load the RTL lanes: ") + dlerror());
    lib.make = reinterpret_cast<MakeScLaneFn>(dlsym(so, kMakeScLaneSymbol));
    if (!lib.make) throw IoError(lib.path + ": no " + kMakeScLaneSymbol);
    return lib;
}

RtlLanes::RtlLanes(sc_core::sc_module_name name, PipelineCore& core,
                   std::shared_ptr<const CodedTable> table, const DecoderConfig& config,
                   uint32_t pitch_bits, unsigned lanes, Ps period, MakeScLaneFn make)
    : sc_module(name),
      m_core(core),
      m_table(std::move(table)),
      m_config(config),
      m_pitch_bits(pitch_bits),
      m_period(period),
      m_clk("clk", sc_core::sc_time(double(period), sc_core::SC_PS), 0.5, sc_core::SC_ZERO_TIME,
            true),
      m_lanes(lanes),
      m_chunks_per_word((config.bus_bits + 31) / 32),
      m_out_chunks((config.symbols_per_cycle * m_table->spec.bits + 31) / 32) {
    m_zero.assign(m_chunks_per_word, 0);
    m_out.assign(m_out_chunks, 0);
    m_bytes.resize(m_table->dim);
    for (unsigned i = 0; i < lanes; ++i) {
        m_lanes[i].dut.reset(make(("lane" + std::to_string(i)).c_str(), &m_clk));
        // Reset (synchronous, active low) is held over the rising edge at time 0.
        m_lanes[i].dut->set_reset_n(false);
        m_lanes[i].dut->set_out_ready(true);
        m_lanes[i].dut->set_in(false, m_zero.data(), m_zero.size());
    }
    SC_HAS_PROCESS(RtlLanes);
    SC_METHOD(on_negedge);
    sensitive << m_clk.negedge_event();
    dont_initialize();
}

RtlLanes::~RtlLanes() = default;

void RtlLanes::load_words(Lane& lane, uint64_t row) {
    // Slot bit k*N + i (MSB first) is bit N-1-i of word k: the row's W bits, zero to the pitch.
    const unsigned n = m_config.bus_bits;
    const uint64_t words = (m_pitch_bits + n - 1) / n;
    lane.words.assign(words * m_chunks_per_word, 0);
    const uint64_t start = row * m_table->pitch_bits;
    for (uint64_t b = 0; b < m_table->row_bits; ++b) {
        if (!slot_bit(*m_table, start + b)) continue;
        const uint64_t k = b / n, bit = n - 1 - b % n;
        lane.words[k * m_chunks_per_word + bit / 32] |= 1u << (bit % 32);
    }
    lane.next_word = 0;
    lane.symbols.clear();
}

void RtlLanes::finish(Lane& lane, Ps done) {
    const CodedTable& t = *m_table;
    const std::string where = "row " + std::to_string(lane.row);
    if (lane.dut->out_err())
        SC_REPORT_ERROR(name(), (where + ": the RTL decoder flagged the row malformed").c_str());
    if (lane.symbols.size() != size_t(t.dim) * t.spec.per_byte())
        SC_REPORT_ERROR(name(), (where + ": the RTL decoder emitted " +
                                 std::to_string(lane.symbols.size()) + " symbols")
                                    .c_str());
    Done& d = m_done[lane.seq];
    d.slot = lane.slot;
    d.start = lane.start;
    d.done = done;
    d.bytes.resize(t.dim);
    for (uint32_t c = 0; c < t.dim; ++c)
        d.bytes[c] = t.spec.per_byte() == 1
                         ? lane.symbols[c]
                         : split_inverse(t.spec.split, uint8_t(lane.symbols[2 * c] << 4 |
                                                               lane.symbols[2 * c + 1]));
    lane.busy = false;
    ++m_rows_decoded;
}

void RtlLanes::report_in_order() {
    for (auto it = m_done.find(m_reported); it != m_done.end(); it = m_done.find(m_reported)) {
        const uint64_t slot = it->second.slot;
        const Ps start = it->second.start, done = it->second.done;
        m_bytes.swap(it->second.bytes);
        m_done.erase(it);
        ++m_reported;
        m_core.row_decoded(slot, start, done, m_bytes.data());
    }
}

void RtlLanes::on_negedge() {
    // Rising edges are at multiples of the period; this falling edge is about half a period before
    // the next one (taken as the next multiple, exact however an odd period's half is rounded).
    const Ps edge = (sc_core::sc_time_stamp().value() / m_period + 1) * m_period;
    if (!m_reset_done) {
        for (Lane& l : m_lanes) l.dut->set_reset_n(true);
        m_reset_done = true;
    }
    const unsigned sym_bits = m_table->spec.bits;
    for (Lane& l : m_lanes) {
        if (!l.busy) continue;
        // Input word taken at `edge` when the lane is ready for it (in_ready is a function of
        // the lane's state alone, settled here).
        const size_t words = l.words.size() / m_chunks_per_word;
        if (l.next_word < words && l.dut->in_ready()) {
            l.dut->set_in(true, l.words.data() + l.next_word * m_chunks_per_word,
                          m_chunks_per_word);
            ++l.next_word;
        } else {
            l.dut->set_in(false, m_zero.data(), m_zero.size());
        }
        // Output beat taken at `edge` (out_ready is always 1).
        if (l.dut->out_valid()) {
            const unsigned count = l.dut->out_count();
            l.dut->out_data(m_out.data(), m_out.size());
            for (unsigned j = 0; j < count; ++j) {
                uint32_t v = 0;
                for (unsigned i = 0; i < sym_bits; ++i) {
                    const unsigned b = j * sym_bits + i;
                    if ((m_out[b / 32] >> (b % 32)) & 1) v |= 1u << i;
                }
                l.symbols.push_back(uint8_t(v));
            }
            // The lane is done one cycle after its last beat, as the contract counts it.
            if (l.dut->out_last()) finish(l, edge + m_period);
        }
    }
    for (Lane& l : m_lanes) {
        if (l.busy) continue;
        if (!l.dut->in_ready()) {
            l.dut->set_in(false, m_zero.data(), m_zero.size());
            continue;  // still draining its last row
        }
        PipelineCore::Arrival a;
        if (!m_core.take_row(edge, a)) {
            l.dut->set_in(false, m_zero.data(), m_zero.size());
            continue;
        }
        l.busy = true;
        l.seq = m_dispatched++;
        l.slot = a.slot;
        l.row = static_cast<uint64_t>(a.row);
        l.start = edge;
        load_words(l, l.row);
        l.dut->set_in(true, l.words.data(), m_chunks_per_word);
        l.next_word = 1;
        m_core.row_started(a.slot, edge);
    }
    report_in_order();
}

}  // namespace embzip::sim
