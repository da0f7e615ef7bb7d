// SPDX-License-Identifier: MIT
// Internal to the encoder library: incremental row lengths for the local searches.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "embzip/histogram.hpp"

namespace embzip::detail {

// Coded lengths of a working set of rows, kept up to date as single ranks change length.
// Annealing only needs the worst row; the rows that can be worst are few, so it tracks the
// rows that were longest so far and checks every candidate best against the whole table.
class ActiveRows {
  public:
    ActiveRows(const RowHistograms& hist, const std::array<int, 256>& rank_of, unsigned ranks)
        : m_hist(hist), m_rank_of(rank_of), m_cols(ranks) {}

    void add(uint32_t unique_row) {
        const uint32_t local = uint32_t(m_len.size());
        m_rows.push_back(unique_row);
        m_len.push_back(0);
        for (uint64_t e = m_hist.offset[unique_row]; e < m_hist.offset[unique_row + 1]; ++e)
            m_cols[size_t(m_rank_of[m_hist.symbol[e]])].push_back({local, m_hist.count[e]});
    }
    bool contains(uint32_t unique_row) const {
        return std::find(m_rows.begin(), m_rows.end(), unique_row) != m_rows.end();
    }
    size_t size() const { return m_len.size(); }
    int64_t length(size_t local) const { return m_len[local]; }
    uint32_t unique_row(size_t local) const { return m_rows[local]; }
    void reset(const std::vector<uint8_t>& rank_len) {
        std::fill(m_len.begin(), m_len.end(), 0);
        for (size_t k = 0; k < m_cols.size(); ++k)
            for (const auto& [i, c] : m_cols[k]) m_len[i] += int64_t(c) * rank_len[k];
    }
    void change(size_t rank, int delta) {
        for (const auto& [i, c] : m_cols[rank]) m_len[i] += int64_t(c) * delta;
    }
    // Worst row, with the number of rows at it as a fraction below one bit: fewer rows at
    // the maximum is progress even when the maximum has not moved yet.
    // worst_at: the local index of the first row at the maximum. One pass: this is the
    // annealing loops' hot path.
    double energy(int64_t* worst_out = nullptr, size_t* worst_at = nullptr) const {
        int64_t worst = -1;
        size_t at = 0, first = 0;
        for (size_t i = 0; i < m_len.size(); ++i) {
            if (m_len[i] > worst) {
                worst = m_len[i];
                at = 0;
                first = i;
            }
            at += m_len[i] == worst;
        }
        if (worst < 0) worst = 0;
        if (worst_out) *worst_out = worst;
        if (worst_at) *worst_at = first;
        return double(worst) + double(at) / double(m_len.size() + 1);
    }

  private:
    const RowHistograms& m_hist;
    const std::array<int, 256>& m_rank_of;
    std::vector<std::vector<std::pair<uint32_t, uint32_t>>> m_cols;
    std::vector<uint32_t> m_rows;
    std::vector<int64_t> m_len;
};

// Indices of `len` sorted longest first, at most `count` of them.
inline std::vector<uint32_t> longest(const std::vector<uint64_t>& len, size_t count) {
    std::vector<uint32_t> idx(len.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = uint32_t(i);
    count = std::min(count, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + long(count), idx.end(),
                      [&](uint32_t a, uint32_t b) { return len[a] > len[b]; });
    idx.resize(count);
    return idx;
}

}  // namespace embzip::detail
