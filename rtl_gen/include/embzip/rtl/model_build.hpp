// SPDX-License-Identifier: MIT
// Generated Verilog -> a Verilated shared object in a cache, loaded with dlopen. Used by
// embzip-cosim (--cc) and by embzip-sim's RTL lanes (--sc): CMake's verilate() runs at
// configure time, before the Verilog of a table's code exists, so models are built at run time.
#pragma once
#include <string>
#include <vector>

#include "embzip/rtl/generator.hpp"

namespace embzip::rtl {

struct ModelBuild {
    std::string cache;                         // cache directory (created if missing)
    std::string key;                           // readable part of the key: code, options
    std::string mode = "--cc";                 // "--cc" or "--sc"
    std::string vc_file;                       // Verilator flags (-f)
    std::string adapter_dir;                   // -I for the adapter sources
    std::vector<std::string> adapter_sources;  // compiled into the model
    std::vector<std::string> stamp_files;      // their contents go into the key
    std::vector<std::string> extra_flags;      // e.g. --trace
    std::string library = "libdut.so";
    unsigned jobs = 2;
    bool verbose = false;  // show the command and Verilator's output
    bool quiet = false;    // no "built model" line
    std::string tool = "embzip";
};

// The two port adapters a model can be built with (installed under share/embzip/rtl).
enum class Adapter {
    Cosim,    // tb/dut_model.cpp, verilator --cc: embzip-cosim's testbench owns the clock
    SystemC,  // systemc/rtl/sc_lane_model.cpp, verilator --sc: an sc_module in embzip-sim
};

// The folder holding the adapter sources and verilator.vc: $EMBZIP_RTL_DATA_DIR, else the
// first share/embzip/rtl found from the running executable's folder upwards (the install
// prefix, or the build tree, where CMake copies them). No source path is compiled in, so
// installed tools work without the source tree. @throws IoError naming what to set.
std::string rtl_data_dir();

// Everything to build `code`'s decoder with an adapter: mode, flags, sources, library name, and
// the key (code hash, arch, S, B, bus width; build_model adds a hash of the Verilog and the
// adapter files). The caller sets cache, tool, verbosity and extra flags.
ModelBuild model_spec(Adapter adapter, const RtlCode& code, const DecoderConfig& config);
// The same for a design that is not one code's (the programmable decoder): `key` names it.
ModelBuild model_spec(Adapter adapter, const std::string& key);

// Path of the shared object for `rtl`, built if the cache does not hold it. The key adds a
// hash of the generated Verilog and the stamp files to spec.key, so a changed generator or
// adapter never reuses a stale model. A build goes to a fresh directory renamed into place,
// so an interrupted or concurrent build never leaves a half-built model under the key.
// @throws Error when Verilator fails (its log's tail goes to stderr), IoError otherwise.
std::string build_model(const GeneratedRtl& rtl, const ModelBuild& spec);

// dlopen(path) and dlsym(symbol). The handle goes to *handle when given (else it stays open).
// @throws IoError
void* load_model_symbol(const std::string& path, const char* symbol, void** handle = nullptr);

// $env_var, else ~/.cache/dir_name. @throws InputError when neither is available.
std::string default_model_cache(const char* env_var, const char* dir_name);

}  // namespace embzip::rtl
