// SPDX-License-Identifier: MIT
// Internal to the encoder library: row histograms packed for the code searches' two hot loops,
// a code's length on every row (an integer dot product) and the weighted mixture of rows
// (a floating-point sum), with a deterministic split over threads.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "embzip/histogram.hpp"
#include "parallel.hpp"

namespace embzip::detail {

// A list of unique rows (in a given order) as dense counts of the `head` symbols that most
// rows use, in blocks of 16 symbols stored block by block (all rows of block 0, then block 1),
// plus a sparse tail per row for the rarer symbols. On GloVe int8 the 64 commonest of 214
// symbols hold 90% of the nonzero counts, so the dense part turns a scattered loop into
// straight vector arithmetic, and a sweep over one block keeps its 16 sums in registers.
// Counts are bytes when a row has at most 255 symbols, else 16-bit (CountT).
class PackedRows {
  public:
    static constexpr unsigned kBlock = 16;
    static constexpr unsigned kMaxBlocks = 256 / kBlock;

    // rows: unique row ids, in the order lengths() and mixture() index them.
    PackedRows(const RowHistograms& hist, const std::vector<uint32_t>& rows);

    size_t rows() const { return m_rows; }

    // out[i] = bits of row i under per-symbol lengths; returns the largest (0 when no rows).
    uint64_t lengths(const uint8_t* len, uint64_t* out, unsigned threads) const;

    // f[s] = sum over rows i, in row order, of lambda[i] * count(i, s): for every symbol the same
    // additions in the same order as a row-by-row loop over the sparse histograms (a row
    // without the symbol adds lambda * 0 = +0, which changes nothing), so the sums are
    // bit-identical to that loop's for any number of threads: a thread owns whole symbols.
    void mixture(const double* lambda, double* f, unsigned threads) const;

  private:
    template <class CountT>
    const CountT* dense_data() const {
        if constexpr (sizeof(CountT) == 1)
            return m_dense8.data();
        else
            return m_dense16.data();
    }
    template <class CountT>
    uint64_t lengths_range(size_t first, size_t last, const uint16_t* block_len, const uint8_t* len,
                           uint64_t* out) const;
    // Blocks [b, b + count), count 1 or 2.
    template <class CountT>
    void mixture_blocks(unsigned b, unsigned count, const double* lambda, double* f) const;

    size_t m_rows = 0;
    unsigned m_head = 0;  // dense columns; the last block is padded with zero counts
    unsigned m_blocks = 0;
    bool m_wide = false;  // 16-bit counts
    bool m_nibbles =
        false;  // 4-bit counts, [block][row][8]: column j in byte j % 8, high if j >= 8
    std::array<uint8_t, 256> m_head_symbol{};  // symbol of dense column k (k < blocks * 16)
    std::vector<uint8_t> m_dense8;             // [block][row][16]
    std::vector<uint16_t> m_dense16;
    std::vector<uint64_t> m_tail_offset;  // per row, into m_tail_symbol / m_tail_count
    std::vector<uint8_t> m_tail_symbol;
    std::vector<uint32_t> m_tail_count;
    // The tail again by symbol (rows ascending), for the mixture: a symbol's sum then stays in a
    // register, and four symbols are summed at once, instead of a scattered add that waits for
    // the same symbol's add of the row before.
    std::vector<uint8_t> m_col_symbol;
    std::vector<uint64_t> m_col_offset;  // per tail symbol, into m_col_row / m_col_count
    std::vector<uint32_t> m_col_row;
    std::vector<uint32_t> m_col_count;
};

}  // namespace embzip::detail
