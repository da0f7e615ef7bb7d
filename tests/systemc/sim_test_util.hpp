// SPDX-License-Identifier: MIT
// Helpers shared by the SystemC tests.
#pragma once
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <systemc>
#include <vector>

#include "embzip_sim/config.hpp"

namespace embzip::sim::test {

inline nlohmann::json preset(const std::string& name) {
    std::ifstream in(std::string(EMBZIP_SOURCE_DIR) + "/sim_configs/" + name);
    return nlohmann::json::parse(in);
}

inline DramConfig memory(const std::string& name, const std::vector<std::string>& sets = {}) {
    nlohmann::json tree = {{"memory", preset(name)},
                           {"table", {{"rows", 1}, {"dim", 1}, {"row_bits", 8}}}};
    for (const auto& s : sets) apply_override(tree, s);
    return parse_config(tree).memory;
}

// A fresh SystemC kernel, so that every test case can elaborate its own design even when the
// whole binary runs in one process (DRAMSys tests/util/SystemCTest.h does the same). A context
// cannot be deleted safely once it has elaborated (its registries outlive the modules), so every
// one is kept until exit: reachable from here, LeakSanitizer does not count them as leaks.
inline void fresh_systemc() {
    static auto* kept = new std::vector<sc_core::sc_simcontext*>;  // never destroyed, on purpose
    if (sc_core::sc_curr_simcontext) kept->push_back(sc_core::sc_curr_simcontext);
    sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
    sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
}

}  // namespace embzip::sim::test
