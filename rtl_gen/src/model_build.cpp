// SPDX-License-Identifier: MIT
#include "embzip/rtl/model_build.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"

namespace embzip::rtl {

namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

void mix(uint64_t& h, uint64_t v) {
    h ^= v;
    h *= 1099511628211ull;
}

uint64_t key_hash(const GeneratedRtl& rtl, const ModelBuild& spec) {
    uint64_t h = 1469598103934665603ull;
    // Contents, not times: an installed copy of the same adapter reuses the cached models.
    for (const std::string& f : spec.stamp_files) {
        std::vector<uint8_t> bytes;
        try {
            bytes = read_file(f);
        } catch (const Error&) {
            throw IoError(f + ": model adapter part missing (reinstall " + spec.tool + ")");
        }
        mix(h, bytes.size());
        for (uint8_t c : bytes) mix(h, c);
    }
    for (const auto& [file, text] : rtl.files)
        for (const std::string* part : {&file, &text})
            for (unsigned char c : *part) mix(h, c);
    return h;
}

int run(const std::string& command) {
    const int rc = std::system(command.c_str());  // NOLINT(cert-env33-c)
    if (rc == -1) throw IoError("cannot run: " + command);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

}  // namespace

std::string build_model(const GeneratedRtl& rtl, const ModelBuild& spec) {
    const fs::path cache = spec.cache;
    fs::create_directories(cache);
    const std::string key = spec.key + "-" + hex64(key_hash(rtl, spec)).substr(0, 12);
    const fs::path dir = cache / key;
    const fs::path library = dir / "obj" / spec.library;
    if (fs::exists(library)) return library.string();
    const fs::path tmp = cache / (key + ".tmp." + std::to_string(getpid()));
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    write_rtl((tmp / "rtl").string(), rtl);
    const std::string cflags = "-std=c++17 -fPIC -I" + spec.adapter_dir;
    std::string cmd = "verilator -f " + quote(spec.vc_file) + " " + spec.mode +
                      " --exe --build -j " + std::to_string(spec.jobs) + " --top-module " +
                      rtl.top + " --prefix Vembzip_decoder -Mdir " + quote((tmp / "obj").string()) +
                      " -o " + spec.library + " -CFLAGS " + quote(cflags) + " -LDFLAGS -shared" +
                      // Compile fast: models run thousands of rows, not billions.
                      " -MAKEFLAGS " + quote("OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1");
    for (const std::string& f : spec.extra_flags) cmd += " " + f;
    for (const std::string& f : spec.adapter_sources) cmd += " " + quote(f);
    for (const auto& f : rtl.files) cmd += " " + quote((tmp / "rtl" / f.first).string());
    if (spec.verbose) std::fprintf(stderr, "%s: %s\n", spec.tool.c_str(), cmd.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path log = tmp / "build.log";
    if (run(spec.verbose ? cmd : cmd + " > " + quote(log.string()) + " 2>&1") != 0 ||
        !fs::exists(tmp / "obj" / spec.library)) {
        if (!spec.verbose) run("tail -n 40 " + quote(log.string()) + " >&2");
        throw Error("the verilator build of the decoder model failed, see " + log.string());
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::error_code ec;
    fs::rename(tmp, dir, ec);
    if (ec) {  // another process built the same key meanwhile
        fs::remove_all(tmp);
        if (!fs::exists(library))
            throw IoError("cannot move the model into " + dir.string() + ": " + ec.message());
    }
    if (!spec.quiet)
        std::fprintf(stderr, "%s: built model %s in %.1f s\n", spec.tool.c_str(), key.c_str(),
                     seconds);
    return library.string();
}

std::string rtl_data_dir() {
    const char* kMarker = "verilator.vc";
    if (const char* env = std::getenv("EMBZIP_RTL_DATA_DIR")) {
        if (!fs::exists(fs::path(env) / kMarker))
            throw IoError(std::string("EMBZIP_RTL_DATA_DIR=") + env + ": no " + kMarker + " there");
        return env;
    }
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
            const fs::path data = dir / "share" / "embzip" / "rtl";
            if (fs::exists(data / kMarker)) return data.string();
            if (dir == dir.parent_path()) break;
        }
    throw IoError("cannot find share/embzip/rtl (the RTL model adapters) above " +
                  (ec ? std::string("the executable") : exe.string()) +
                  "; install embzip (cmake --install) or set EMBZIP_RTL_DATA_DIR");
}

ModelBuild model_spec(Adapter adapter, const std::string& key) {
    const std::string dir = rtl_data_dir();
    const bool sc = adapter == Adapter::SystemC;
    ModelBuild spec;
    spec.key = std::string(sc ? "sc-" : "") + key;
    spec.mode = sc ? "--sc" : "--cc";
    spec.vc_file = dir + "/verilator.vc";
    spec.adapter_dir = dir;
    const std::string source = dir + (sc ? "/sc_lane_model.cpp" : "/dut_model.cpp");
    spec.adapter_sources = {source};
    spec.stamp_files = {source, dir + "/decoder_ports.hpp",
                        dir + (sc ? "/sc_lane_abi.hpp" : "/dut_abi.hpp"), spec.vc_file};
    spec.library = sc ? "libsclane.so" : "libdut.so";
    return spec;
}

ModelBuild model_spec(Adapter adapter, const RtlCode& code, const DecoderConfig& config) {
    return model_spec(
        adapter, hex64(code_hash(code)) + "-" + decoder_arch_name(config.arch) + "-s" +
                     std::to_string(config.symbols_per_cycle) + "-b" +
                     std::to_string(config.arch == DecoderArch::Canonical ? 0 : config.lut_bits) +
                     "-n" + std::to_string(config.bus_bits) + (config.overlap ? "-overlap" : ""));
}

void* load_model_symbol(const std::string& path, const char* symbol, void** handle) {
    void* so = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!so) throw IoError(std::string("cannot load the decoder model: ") + dlerror());
    void* fn = dlsym(so, symbol);
    if (!fn) throw IoError(path + ": no " + symbol);
    if (handle) *handle = so;
    return fn;
}

std::string default_model_cache(const char* env_var, const char* dir_name) {
    if (const char* env = std::getenv(env_var)) return env;
    if (const char* home = std::getenv("HOME"))
        return (fs::path(home) / ".cache" / dir_name).string();
    throw InputError(std::string("no model cache: set ") + env_var + " (HOME is unset)");
}

}  // namespace embzip::rtl
