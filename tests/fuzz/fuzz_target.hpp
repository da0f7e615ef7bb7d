// SPDX-License-Identifier: MIT
// Shared by the fuzz targets. Each target defines LLVMFuzzerTestOneInput; the same source is
// linked either with libFuzzer (clang, -DEMBZIP_FUZZ=ON, scripts/fuzz.sh) or with replay_main.cpp
// (any compiler, ctest fuzz.replay.*), which feeds it the seed corpus and every kept regression.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace embzip::fuzz {

// A broken invariant: print what broke and abort, which both libFuzzer and ctest see as a
// failure (a thrown exception would be caught by the parser's own handlers in some targets).
#define EMBZIP_FUZZ_EXPECT(cond)                                                         \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #cond, __FILE__, \
                         __LINE__);                                                      \
            std::abort();                                                                \
        }                                                                                \
    } while (0)

// A file path for parsers that only read from paths: one per process (libFuzzer runs one input
// at a time per process; parallel jobs are separate processes).
inline std::string scratch_file(const char* suffix) {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/embzip_fuzz_" + std::to_string(getpid()) +
           suffix;
}

inline void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
    EMBZIP_FUZZ_EXPECT(out.good());
}

}  // namespace embzip::fuzz
