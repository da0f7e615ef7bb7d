// SPDX-License-Identifier: MIT
// Simulator config (JSON): leading lines "--set key=value" are applied as overrides, the rest is
// the config tree. Text that is JSON either validates into a SimConfig or throws embzip::Error
// naming the key; nothing else may escape (sub-config paths are not followed: no file access).
#include <nlohmann/json.hpp>

#include "embzip/errors.hpp"
#include "embzip_sim/config.hpp"
#include "fuzz_target.hpp"

using namespace embzip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> sets;
    while (text.rfind("--set ", 0) == 0) {
        const size_t nl = text.find('\n');
        sets.push_back(text.substr(6, nl == std::string::npos ? std::string::npos : nl - 6));
        text = nl == std::string::npos ? std::string() : text.substr(nl + 1);
    }
    nlohmann::json tree;
    try {
        tree = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        return 0;  // not JSON: the fuzzer's problem, not the loader's
    }
    try {
        for (const std::string& s : sets) sim::apply_override(tree, s);
        const sim::SimConfig c = sim::parse_config(tree);
        EMBZIP_FUZZ_EXPECT(c.decoder.lanes >= 1);
    } catch (const Error&) {
    }
    return 0;
}
