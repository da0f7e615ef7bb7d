// SPDX-License-Identifier: MIT
// Internal to the encoder library: incremental row lengths for the local searches.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "cpu_features.hpp"
#include "embzip/code.hpp"
#include "embzip/histogram.hpp"

namespace embzip::detail {

// The working set's two loops (a rank's column added to every length, the scan for the worst
// row), also compiled for AVX2 and chosen at run time: eight lengths per instruction instead of
// four. Integer arithmetic, so both versions give the same values.
// Each loop is written once and inlined into a generic and an AVX2 caller, each compiled for
// its own target (a function may inline one built for fewer instruction sets).
template <int kDelta>
[[gnu::always_inline]] inline void add_column_body(int32_t* len, const int32_t* c, size_t n,
                                                   int delta) {
    for (size_t i = 0; i < n; ++i) len[i] += kDelta ? kDelta * c[i] : c[i] * delta;
}
[[gnu::always_inline]] inline int32_t scan_worst_body(const int32_t* len, size_t n, size_t* at,
                                                      size_t* first) {
    int32_t worst = -1;
    for (size_t i = 0; i < n; ++i) worst = std::max(worst, len[i]);
    size_t count = 0;
    for (size_t i = 0; i < n; ++i) count += len[i] == worst;
    size_t f = 0;
    while (f < n && len[f] != worst) ++f;
    *at = count;
    *first = f;
    return worst;
}
template <int kDelta>
inline void add_column_generic(int32_t* len, const int32_t* c, size_t n, int delta) {
    add_column_body<kDelta>(len, c, n, delta);
}
inline int32_t scan_worst_generic(const int32_t* len, size_t n, size_t* at, size_t* first) {
    return scan_worst_body(len, n, at, first);
}
#if defined(__x86_64__) && defined(__GNUC__)
template <int kDelta>
__attribute__((target("avx2"))) inline void add_column_avx2(int32_t* len, const int32_t* c,
                                                            size_t n, int delta) {
    add_column_body<kDelta>(len, c, n, delta);
}
__attribute__((target("avx2"))) inline int32_t scan_worst_avx2(const int32_t* len, size_t n,
                                                               size_t* at, size_t* first) {
    return scan_worst_body(len, n, at, first);
}
#define EMBZIP_ROW_TRACKER_AVX2 1
#endif
template <int kDelta>
inline void add_column(int32_t* len, const int32_t* c, size_t n, int delta) {
#if defined(EMBZIP_ROW_TRACKER_AVX2)
    if (cpu_has_avx2()) return add_column_avx2<kDelta>(len, c, n, delta);
#endif
    add_column_generic<kDelta>(len, c, n, delta);
}
inline int32_t scan_worst(const int32_t* len, size_t n, size_t* at, size_t* first) {
#if defined(EMBZIP_ROW_TRACKER_AVX2)
    if (cpu_has_avx2()) return scan_worst_avx2(len, n, at, first);
#endif
    return scan_worst_generic(len, n, at, first);
}

// Coded lengths of a working set of rows, kept up to date as single ranks change length.
// Annealing only needs the worst row; the rows that can be worst are few, so it tracks the
// rows that were longest so far and checks every candidate best against the whole table.
// Counts are stored densely per rank (a rank no row uses has no column), so a rank's change
// and the scan for the worst row are straight loops over the working set that vectorize.
class ActiveRows {
    static_assert(2ull * CodeGeometry::kMaxDim * CodeGeometry::kMaxCodeLen < (1ull << 31),
                  "a row's length (at most 2 symbols a byte, kMaxCodeLen bits each) fits int32");

  public:
    ActiveRows(const RowHistograms& hist, const std::array<int, 256>& rank_of, unsigned ranks)
        : m_hist(hist), m_rank_of(rank_of), m_cols(ranks) {}

    void add(uint32_t unique_row) {
        const size_t local = m_len.size();
        m_rows.push_back(unique_row);
        m_len.push_back(0);
        for (auto& col : m_cols)
            if (!col.empty()) col.push_back(0);
        for (uint64_t e = m_hist.offset[unique_row]; e < m_hist.offset[unique_row + 1]; ++e) {
            auto& col = m_cols[size_t(m_rank_of[m_hist.symbol[e]])];
            if (col.empty()) col.assign(local + 1, 0);
            col[local] += int32_t(m_hist.count[e]);
        }
    }
    bool contains(uint32_t unique_row) const {
        return std::find(m_rows.begin(), m_rows.end(), unique_row) != m_rows.end();
    }
    size_t size() const { return m_len.size(); }
    int64_t length(size_t local) const { return m_len[local]; }
    uint32_t unique_row(size_t local) const { return m_rows[local]; }
    void reset(const std::vector<uint8_t>& rank_len) {
        std::fill(m_len.begin(), m_len.end(), 0);
        for (size_t k = 0; k < m_cols.size(); ++k) change(k, rank_len[k]);
    }
    void change(size_t rank, int delta) {
        const std::vector<int32_t>& col = m_cols[rank];
        if (col.empty()) return;
        int32_t* len = m_len.data();
        const int32_t* c = col.data();
        const size_t n = m_len.size();
        // Most moves change a length by one; SSE2 has no 32-bit multiply.
        if (delta == 1)
            add_column<1>(len, c, n, delta);
        else if (delta == -1)
            add_column<-1>(len, c, n, delta);
        else
            add_column<0>(len, c, n, delta);
    }
    // Worst row, with the number of rows at it as a fraction below one bit: fewer rows at
    // the maximum is progress even when the maximum has not moved yet.
    // worst_at: the local index of the first row at the maximum. This is the annealing loops'
    // hot path: a max pass and a count pass, both branch-free.
    double energy(int64_t* worst_out = nullptr, size_t* worst_at = nullptr) const {
        const int32_t* len = m_len.data();
        const size_t n = m_len.size();
        size_t at = 0, first = 0;
        int32_t worst = scan_worst(len, n, &at, &first);
        if (worst_at) *worst_at = first < n ? first : 0;
        if (worst < 0) {
            worst = 0;
            if (n == 0) at = 0;
        }
        if (worst_out) *worst_out = worst;
        return double(worst) + double(at) / double(n + 1);
    }

  private:
    const RowHistograms& m_hist;
    const std::array<int, 256>& m_rank_of;
    std::vector<std::vector<int32_t>> m_cols;  // [rank][local row], empty: rank unused
    std::vector<uint32_t> m_rows;
    std::vector<int32_t> m_len;
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
