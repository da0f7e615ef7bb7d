// SPDX-License-Identifier: MIT
// The .ezt invariants both .ezt targets check: parse_ezt either throws embzip::Error or yields a
// table whose every row decodes to Ok or an error status, the same status and bytes row by row
// and in the batched gather; a float row that decodes Ok splits back into the coded exponents and
// the stored raw bits (a value that cannot hold its exponent would be decoded wrong silently).
// `embzip decode`'s streaming path (read_ezt_meta, then decode_ezt_to_npy a few rows a block)
// agrees with reading the file whole and save_decoded_npy: the same error message or the same
// .npy bytes, and no output file after an error.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/float_table.hpp"
#include "embzip/layout.hpp"
#include "embzip/table_io.hpp"
#include "fuzz_target.hpp"

namespace embzip::fuzz {

// The first `bits` bits (MSB first) of a and b are equal; the padding after them is not data.
inline bool same_bits(const uint8_t* a, const uint8_t* b, uint64_t bits) {
    if (std::memcmp(a, b, bits / 8) != 0) return false;
    const unsigned rest = bits % 8;
    return rest == 0 || ((a[bits / 8] ^ b[bits / 8]) & uint8_t(0xFF << (8 - rest))) == 0;
}

inline std::optional<std::vector<uint8_t>> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// What decoding the file to .npy gives: the error message, or the file's bytes.
struct NpyOutcome {
    std::string error;
    std::vector<uint8_t> bytes;
};

// The whole-file way (parse_ezt, save_decoded_npy) against the streaming one (read_ezt_meta on
// an in-memory file, decode_ezt_to_npy in blocks of 8 rows and of ~block_bytes).
inline void check_ezt_streaming(const std::vector<uint8_t>& bytes,
                                const std::optional<CodedTable>& whole,
                                const std::string& whole_error) {
    const std::string npy = scratch_file(".npy");
    std::remove(npy.c_str());
    NpyOutcome expected;
    if (!whole) {
        expected.error = whole_error;
    } else {
        try {
            save_decoded_npy(npy, *whole, 1);
            expected.bytes = file_bytes(npy).value();
        } catch (const Error& e) {
            expected.error = e.what();
            EMBZIP_FUZZ_EXPECT(!file_bytes(npy));
        }
    }
    const int fd = memfd_create("fuzz.ezt", 0);
    EMBZIP_FUZZ_EXPECT(fd >= 0);
    EMBZIP_FUZZ_EXPECT(write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size()));
    for (const size_t block : {size_t(1), size_t(4096)}) {
        std::remove(npy.c_str());
        NpyOutcome got;
        EMBZIP_FUZZ_EXPECT(lseek(fd, 0, SEEK_SET) == 0);
        try {
            CodedTable meta;
            EztBulk bulk;
            EMBZIP_FUZZ_EXPECT(read_ezt_meta(fd, "fuzz.ezt", meta, bulk));
            decode_ezt_to_npy(npy, fd, "fuzz.ezt", meta, bulk, 1, block);
            got.bytes = file_bytes(npy).value();
        } catch (const Error& e) {
            got.error = e.what();
            EMBZIP_FUZZ_EXPECT(!file_bytes(npy));
        }
        // A rows or raw section whose checksum fails is only found after the sections behind
        // it were checked, or after its rows were decoded: then any error, as long as one.
        const bool late = expected.error == "fuzz.ezt: corrupt .ezt: section checksum mismatch";
        const bool agree = late ? !got.error.empty() : got.error == expected.error;
        if (!agree)
            std::fprintf(stderr, "block %zu: whole: '%s', streaming: '%s'\n", block,
                         expected.error.c_str(), got.error.c_str());
        EMBZIP_FUZZ_EXPECT(agree);
        EMBZIP_FUZZ_EXPECT(got.bytes == expected.bytes);
    }
    close(fd);
    std::remove(npy.c_str());
}

inline void check_ezt(const std::vector<uint8_t>& bytes) {
    CodedTable t;
    try {
        t = parse_ezt(bytes, "fuzz.ezt");
    } catch (const Error& e) {
        check_ezt_streaming(bytes, std::nullopt, e.what());
        return;
    }
    check_ezt_streaming(bytes, t, "");
    const RowDecoder d(t);
    const size_t value_bytes = size_t(t.dim) * t.value_bytes();
    std::vector<uint8_t> row(t.dim), batch(t.dim), values(value_bytes);
    bool all_ok = true;
    for (uint64_t r = 0; r < t.rows; ++r) {
        const Status s = d.decode_row(r, row.data());
        const Status b = d.decode_rows(&r, 1, batch.data());
        EMBZIP_FUZZ_EXPECT(s == b);
        EMBZIP_FUZZ_EXPECT(s != Status::OutOfRange);
        all_ok &= s == Status::Ok;
        if (s != Status::Ok) continue;
        EMBZIP_FUZZ_EXPECT(std::memcmp(row.data(), batch.data(), t.dim) == 0);
        if (!t.is_float()) continue;
        const Status v = d.decode_values(r, values.data());
        if (v != Status::Ok) continue;  // a value the float format cannot hold may be refused
        FloatTable one;
        one.rows = 1;
        one.dim = t.dim;
        one.kind = t.floats->kind;
        one.bytes = values;
        const FloatPlanes p = split_planes(one);
        EMBZIP_FUZZ_EXPECT(p.exponents.bytes == row);
        EMBZIP_FUZZ_EXPECT(same_bits(p.raw.data(), t.floats->bytes.data() + r * t.raw_row_bytes(),
                                     uint64_t(t.dim) * t.floats->raw_bits));
    }
    const uint64_t past = t.rows;
    EMBZIP_FUZZ_EXPECT(d.decode_row(past, row.data()) == Status::OutOfRange);
    // Bulk decoding fails exactly when some row does.
    try {
        if (t.is_float())
            EMBZIP_FUZZ_EXPECT(decode_float_table(t).bytes.size() == t.rows * value_bytes);
        else
            EMBZIP_FUZZ_EXPECT(decode_table(t).bytes.size() == t.rows * t.dim);
        EMBZIP_FUZZ_EXPECT(all_ok);
    } catch (const Error&) {
        EMBZIP_FUZZ_EXPECT(!all_ok || t.is_float());
    }
    (void)code_json(t);
}

// Recomputes the header checksum and every section checksum the bytes reach, so that mutations
// of a valid file get past the CRCs to the field checks and the decoder.
inline void fix_ezt_checksums(std::vector<uint8_t>& b) {
    if (b.size() < 64) return;
    const uint32_t header = crc32(b.data(), 60);
    std::memcpy(b.data() + 60, &header, 4);
    for (size_t pos = 64; b.size() - pos >= 16;) {
        uint64_t length;
        std::memcpy(&length, b.data() + pos + 8, 8);
        if (length > b.size() - pos - 16) break;
        const uint32_t crc = crc32(b.data() + pos + 16, length);
        std::memcpy(b.data() + pos + 4, &crc, 4);
        pos += 16 + length;
    }
}

}  // namespace embzip::fuzz
