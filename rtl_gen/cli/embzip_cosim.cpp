// SPDX-License-Identifier: MIT
// embzip-cosim: co-simulates the generated decoder of any coded table. The code tables are
// baked into the Verilog, so the model is verilated per code: RTL and model (a shared object
// holding only the Verilated decoder and its port adapter, tb/dut_model.cpp) are built once into
// CACHE/<key> (key: code, decoder options, trace kind, adapter sources) and loaded with dlopen;
// the checks (tb/cosim.cpp) are compiled with everything else by CMake.
#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "embzip/errors.hpp"
#include "cosim.hpp"
#include "embzip/rtl/generator.hpp"
#include "options.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace embzip;
using namespace embzip::rtl;

namespace {

// Paths of the testbench parts, fixed when embzip-cosim is built (see rtl_gen/CMakeLists.txt).
constexpr const char* kVerilatorFlags = EMBZIP_RTL_VC;
constexpr const char* kTbDir = EMBZIP_TB_DIR;

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// The testbench build depends on these files: their size and time go into the cache key.
uint64_t build_stamp() {
    uint64_t h = 1469598103934665603ull;
    const std::string tb = kTbDir;
    for (const std::string& f : {tb + "/dut_model.cpp", tb + "/dut_abi.hpp", std::string(kVerilatorFlags)}) {
        struct stat st {};
        if (stat(f.c_str(), &st) != 0) throw IoError(f + ": testbench part missing (rebuild embzip-cosim)");
        for (uint64_t v : {uint64_t(st.st_size), uint64_t(st.st_mtim.tv_sec), uint64_t(st.st_mtim.tv_nsec)}) {
            h ^= v;
            h *= 1099511628211ull;
        }
    }
    return h;
}

int run(const std::string& command, bool quiet) {
    const int rc = std::system((quiet ? command + " > /dev/null" : command).c_str());  // NOLINT(cert-env33-c)
    if (rc == -1) throw IoError("cannot run: " + command);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

// Generates and verilates into a fresh directory, then renames it into place, so an
// interrupted or concurrent build never leaves a half-built model under the key.
fs::path build_model(const fs::path& cache, const std::string& key, const GeneratedRtl& rtl,
                     const std::string& trace_kind, unsigned jobs, bool verbose) {
    const fs::path dir = cache / key;
    const fs::path binary = dir / "obj" / "libdut.so";
    if (fs::exists(binary)) return dir;
    const fs::path tmp = cache / (key + ".tmp." + std::to_string(getpid()));
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    write_rtl((tmp / "rtl").string(), rtl);
    const std::string cflags = "-std=c++17 -fPIC -I" + std::string(kTbDir);
    std::string cmd = "verilator -f " + quote(kVerilatorFlags) + " --cc --exe --build -j " + std::to_string(jobs) +
                      " --prefix Vembzip_decoder -Mdir " + quote((tmp / "obj").string()) + " -o libdut.so" +
                      " -CFLAGS " + quote(cflags) + " -LDFLAGS -shared" +
                      // Compile fast: the testbench runs a few thousand rows, not millions.
                      " -MAKEFLAGS " + quote("OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1");
    if (trace_kind == "vcd") cmd += " --trace";
    if (trace_kind == "fst") cmd += " --trace-fst";
    cmd += " " + quote(std::string(kTbDir) + "/dut_model.cpp");
    for (const auto& f : rtl.files) cmd += " " + quote((tmp / "rtl" / f.first).string());
    if (verbose) std::cerr << "embzip-cosim: " << cmd << "\n";
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path log = tmp / "build.log";
    if (run(verbose ? cmd : cmd + " > " + quote(log.string()) + " 2>&1", false) != 0 || !fs::exists(tmp / "obj" / "libdut.so")) {
        if (!verbose) run("tail -n 40 " + quote(log.string()) + " >&2", false);
        throw Error("verilator build failed in " + tmp.string());
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::error_code ec;
    fs::rename(tmp, dir, ec);
    if (ec) {  // another process built the same key meanwhile
        fs::remove_all(tmp);
        if (!fs::exists(binary)) throw IoError("cannot move the model into " + dir.string() + ": " + ec.message());
    }
    std::cerr << "embzip-cosim: built model " << key << " in " << s << " s\n";
    return dir;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        po::options_description d("embzip-cosim options");
        d.add_options()("in,i", po::value<std::string>()->required(), "DIR with table.ezt (from 'embzip encode')")(
            "rows,n", po::value<uint64_t>()->default_value(1000), "rows to co-simulate")(
            "first", po::value<uint64_t>()->default_value(0), "first row")(
            "trace", po::value<std::string>(), "waveform file: .fst for FST, anything else VCD")(
            "stalls", po::bool_switch(), "random in_valid/out_ready (checks data, not cycles)")(
            "corrupt", po::bool_switch(), "flip bits in every third row: out_err must match the library")(
            "seed", po::value<uint64_t>()->default_value(1), "seed for --stalls and --corrupt")(
            "cache", po::value<std::string>(), "model cache (default $EMBZIP_COSIM_CACHE or ~/.cache/embzip-cosim)")(
            "jobs,j", po::value<unsigned>()->default_value(2), "parallel compile jobs for a model build")(
            "build-only", po::bool_switch(), "build (or find) the cached model and stop")(
            "verbose,v", po::bool_switch(), "show the verilator command and its output");
        add_decoder_options(d);
        d.add_options()("help,h", "show this help");
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
        if (vm.count("help")) {
            std::cout << "usage: embzip-cosim --in DIR --rows N [--arch canonical|lut|chain] [-S S] [-B B] [--bus-bits N] "
                         "[--trace FILE]\n\n"
                      << d;
            return 0;
        }
        po::notify(vm);
        const DecoderConfig config = decoder_config(vm);
        const std::string in = vm["in"].as<std::string>();
        const std::string ezt = fs::is_directory(in) ? (fs::path(in) / "table.ezt").string() : in;
        const CodedTable table = read_ezt(ezt);
        const RtlCode code = rtl_code_of(table);
        check_supported(code, config);
        std::string trace, trace_kind = "none";
        if (vm.count("trace")) {
            trace = fs::absolute(vm["trace"].as<std::string>()).string();
            trace_kind = fs::path(trace).extension() == ".fst" ? "fst" : "vcd";
        }
        fs::path cache;
        if (vm.count("cache")) cache = vm["cache"].as<std::string>();
        else if (const char* env = std::getenv("EMBZIP_COSIM_CACHE")) cache = env;
        else if (const char* home = std::getenv("HOME")) cache = fs::path(home) / ".cache" / "embzip-cosim";
        else throw InputError("--cache: no default (HOME unset)");
        fs::create_directories(cache);
        // The key names the code and options and hashes the Verilog itself, so a changed
        // generator never reuses a model built from older RTL.
        const GeneratedRtl rtl = generate_decoder(code, config);
        uint64_t rtl_hash = build_stamp();
        for (const auto& f : rtl.files)
            for (char c : f.first + f.second) {
                rtl_hash ^= uint8_t(c);
                rtl_hash *= 1099511628211ull;
            }
        const std::string key = hex64(code_hash(code)) + "-" + decoder_arch_name(config.arch) + "-s" +
                                std::to_string(config.symbols_per_cycle) + "-b" +
                                std::to_string(config.arch != DecoderArch::Canonical ? config.lut_bits : 0) + "-n" +
                                std::to_string(config.bus_bits) + "-" + trace_kind + "-" + hex64(rtl_hash).substr(0, 8);
        const fs::path dir = build_model(cache, key, rtl, trace_kind, vm["jobs"].as<unsigned>(),
                                         vm["verbose"].as<bool>());
        if (vm["build-only"].as<bool>()) {
            std::cout << "model: " << (dir / "obj" / "libdut.so").string() << "\n";
            return 0;
        }
        void* so = dlopen((dir / "obj" / "libdut.so").c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!so) throw IoError(std::string("cannot load the model: ") + dlerror());
        const auto make = reinterpret_cast<MakeDutFn>(dlsym(so, kMakeDutSymbol));
        if (!make) throw IoError(std::string("model has no ") + kMakeDutSymbol);
        CosimOptions opt;
        opt.rows = vm["rows"].as<uint64_t>();
        opt.first_row = vm["first"].as<uint64_t>();
        opt.seed = vm["seed"].as<uint64_t>();
        opt.stalls = vm["stalls"].as<bool>();
        opt.corrupt = vm["corrupt"].as<bool>();
        CosimResult result;
        {
            std::unique_ptr<IDecoderDut> dut(make(trace.c_str()));
            result = run_cosim(*dut, table, config, opt);
        }  // closes the trace before the library goes
        dlclose(so);
        const std::string line = cosim_summary(result, config, opt);
        (result.ok ? std::cout : std::cerr) << line << "\n";
        if (!trace.empty()) std::cout << "waveform: " << trace << "\n";
        return result.ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "embzip-cosim: " << e.what() << "\n";
        return 1;
    }
}
