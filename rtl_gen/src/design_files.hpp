// SPDX-License-Identifier: MIT
// What every generated design ships besides its Verilog: the port list (manifest), the
// constraints (.sdc) and the filelist (.f). Shared by the baked and the programmable designs.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "embzip/rtl/generator.hpp"

namespace embzip::rtl {

struct Port {
    std::string name;
    bool input;
    unsigned width;
};

nlohmann::ordered_json ports_json(const std::vector<Port>& ports);

// Timing constraints for synthesis and STA (plain SDC: OpenSTA, yosys-based flows, commercial
// tools) at options.clock_mhz. Inputs and outputs get a share of the period as external delay;
// out_ready is the one input whose path runs through the decode step, so its budget is small.
std::string sdc_text(const std::string& top, const std::vector<Port>& ports,
                     const RtlOptions& options);

// Leaf modules first, names relative to the filelist (use -F).
std::string filelist_text(const std::vector<std::string>& verilog);

}  // namespace embzip::rtl
