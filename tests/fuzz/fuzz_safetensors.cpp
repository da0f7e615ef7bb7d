// SPDX-License-Identifier: MIT
// safetensors reader: any bytes either list their tensors and read them with the size their
// shape and dtype say, or throw embzip::Error; load_input then turns the only tensor into a table.
#include "embzip/errors.hpp"
#include "embzip/safetensors.hpp"
#include "embzip/table_io.hpp"
#include "fuzz_target.hpp"
#include "load_check.hpp"

using namespace embzip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = fuzz::scratch_file(".safetensors");
    fuzz::write_bytes(path, data, size);
    try {
        for (const std::string& name : safetensor_names(path)) {
            try {
                const SafeTensor t = read_safetensor(path, name);
                EMBZIP_FUZZ_EXPECT(t.name == name);
                EMBZIP_FUZZ_EXPECT(t.data.size() <= size);
            } catch (const Error&) {
            }
        }
    } catch (const Error&) {
    }
    fuzz::check_load_input(path, QuantizeMode::Lossless);
    std::remove(path.c_str());
    return 0;
}
