// SPDX-License-Identifier: MIT
// .ezt reader and row decoder on arbitrary bytes (checksums as they are).
#include "ezt_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    embzip::fuzz::check_ezt(std::vector<uint8_t>(data, data + size));
    return 0;
}
