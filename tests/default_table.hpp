// SPDX-License-Identifier: MIT
// The shipped default table (data/glove100_int8_50k.npy), loaded once per process: shared by
// the tests and the benchmarks. Needs EMBZIP_SOURCE_DIR defined by the target.
#pragma once
#include "embzip/table_io.hpp"

namespace embzip::test {

inline const Table& default_table() {
    static const Table t = [] {
        LoadOptions o;
        o.path = EMBZIP_SOURCE_DIR "/data/glove100_int8_50k.npy";
        return load_table(o);
    }();
    return t;
}

}  // namespace embzip::test
