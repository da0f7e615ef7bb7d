// SPDX-License-Identifier: MIT
// Simulator memory config from a DRAMsim3 .ini file: any text either becomes a memory section
// that validates (or is refused by parse_config naming the key), or throws embzip::Error.
#include <nlohmann/json.hpp>

#include "embzip/errors.hpp"
#include "embzip_sim/config.hpp"
#include "fuzz_target.hpp"

using namespace embzip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = fuzz::scratch_file(".ini");
    fuzz::write_bytes(path, data, size);
    try {
        const nlohmann::json memory = sim::ini_to_memory_json(path);
        const nlohmann::json tree = {{"memory", memory},
                                     {"table", {{"rows", 1000}, {"dim", 64}, {"row_bits", 400}}}};
        const sim::SimConfig c = sim::parse_config(tree);
        EMBZIP_FUZZ_EXPECT(c.memory.channels >= 1);
    } catch (const Error&) {
    }
    std::remove(path.c_str());
    return 0;
}
