// SPDX-License-Identifier: MIT
// .ezt reader and row decoder on mutated coded tables: the checksums are recomputed first, so the
// mutations reach the header fields, the code books, the rows and the overflow region.
#include "ezt_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    embzip::fuzz::fix_ezt_checksums(bytes);
    embzip::fuzz::check_ezt(bytes);
    return 0;
}
