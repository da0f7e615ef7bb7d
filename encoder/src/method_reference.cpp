// SPDX-License-Identifier: MIT
// What random access costs: references computed on the whole table, without fixed-width rows.
#include <zstd.h>

#include <cmath>

#include "embzip/errors.hpp"
#include "method_internal.hpp"

namespace embzip::detail {

CodeResult run_entropy0(const Table& table) {
    std::array<uint64_t, 256> count{};
    for (uint8_t b : table.bytes) ++count[b];
    double bits = 0;
    const double n = double(table.bytes.size());
    for (uint64_t c : count)
        if (c) bits -= double(c) * std::log2(double(c) / n);
    CodeResult r;
    r.row_bits = uint64_t(std::ceil(bits / double(table.rows) - 1e-9));
    r.total_bytes = uint64_t(std::ceil(bits / 8));
    return r;
}

CodeResult run_zstd19(const Table& table) {
    std::vector<uint8_t> out(ZSTD_compressBound(table.bytes.size()));
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    if (!cctx) throw Error("zstd: cannot create a compression context");
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, 2);  // ignored by a single-threaded libzstd
    const size_t size =
        ZSTD_compress2(cctx, out.data(), out.size(), table.bytes.data(), table.bytes.size());
    ZSTD_freeCCtx(cctx);
    if (ZSTD_isError(size)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(size));
    CodeResult r;
    r.row_bits = (uint64_t(size) * 8 + table.rows - 1) / table.rows;
    r.total_bytes = size;
    return r;
}

}  // namespace embzip::detail
