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
    std::vector<std::string> stamp_files;      // their size and time go into the key
    std::vector<std::string> extra_flags;      // e.g. --trace
    std::string library = "libdut.so";
    unsigned jobs = 2;
    bool verbose = false;  // show the command and Verilator's output
    bool quiet = false;    // no "built model" line
    std::string tool = "embzip";
};

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
