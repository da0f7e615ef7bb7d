// SPDX-License-Identifier: MIT
// .npy parser: any bytes either parse into an array whose data size matches its shape and dtype,
// or throw embzip::Error. A parsed file then goes through load_input (dtype dispatch, 2-D check,
// lossless float split and symmetric quantization).
#include "embzip/errors.hpp"
#include "embzip/npy.hpp"
#include "embzip/table_io.hpp"
#include "fuzz_target.hpp"
#include "load_check.hpp"

using namespace embzip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<uint8_t> bytes(data, data + size);
    try {
        const NpyArray a = parse_npy(bytes, "fuzz.npy");
        EMBZIP_FUZZ_EXPECT(a.data.size() == a.element_count() * a.element_size());
    } catch (const Error&) {
        return 0;
    }
    const std::string path = fuzz::scratch_file(".npy");
    fuzz::write_bytes(path, data, size);
    for (QuantizeMode q : {QuantizeMode::Lossless, QuantizeMode::Symmetric})
        fuzz::check_load_input(path, q);
    std::remove(path.c_str());
    return 0;
}
