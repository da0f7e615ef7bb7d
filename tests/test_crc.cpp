// SPDX-License-Identifier: MIT
// The file checksum is zlib's CRC-32: the IEEE polynomial the format always used, so files
// written before the switch still open.
#include <catch2/catch.hpp>
#include <cstring>

#include "default_table.hpp"
#include "embzip/file_util.hpp"
#include "embzip/layout.hpp"

using namespace embzip;

TEST_CASE("crc32 is the IEEE CRC-32, incrementally too", "[encoder]") {
    const char* text = "123456789";
    const auto* p = reinterpret_cast<const uint8_t*>(text);
    CHECK(crc32(p, 9) == 0xCBF43926u);  // the standard check value
    CHECK(crc32(p + 4, 5, crc32(p, 4)) == 0xCBF43926u);
    CHECK(crc32(p, 0) == 0u);
}

TEST_CASE("a table written with the byte-at-a-time CRC still opens and decodes", "[encoder]") {
    // tests/data/ezt_v1_crc/table.ezt: the default table's first 200 rows coded by sa8,
    // written before the checksum moved to zlib.
    const CodedTable coded = read_ezt(EMBZIP_TEST_DATA "/ezt_v1_crc/table.ezt");
    REQUIRE(coded.rows == 200);
    const Table& full = test::default_table();
    const Table decoded = decode_table(coded);
    REQUIRE(decoded.bytes.size() == 200u * full.dim);
    CHECK(std::memcmp(decoded.bytes.data(), full.bytes.data(), decoded.bytes.size()) == 0);
}
