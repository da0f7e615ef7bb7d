// SPDX-License-Identifier: MIT
// What every input-file target checks once a file parsed: load_input (dtype dispatch, 2-D check,
// lossless float split or quantization) either throws embzip::Error or returns a table whose
// bytes match its shape.
#pragma once
#include <string>

#include "embzip/errors.hpp"
#include "embzip/table_io.hpp"
#include "fuzz_target.hpp"

namespace embzip::fuzz {

inline void check_load_input(const std::string& path, QuantizeMode quantize) {
    LoadOptions o;
    o.path = path;
    o.quantize = quantize;
    try {
        const Input in = load_input(o);
        if (in.is_float)
            EMBZIP_FUZZ_EXPECT(in.floats.bytes.size() == in.floats.size_bytes());
        else
            EMBZIP_FUZZ_EXPECT(in.table.bytes.size() == in.table.size_bytes());
    } catch (const Error&) {
    }
}

}  // namespace embzip::fuzz
