// SPDX-License-Identifier: MIT
#include "packed_rows.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define EMBZIP_AVX2_KERNELS 1
#endif

#include "cpu_features.hpp"

namespace embzip::detail {

namespace {

// Rows per task when lengths() splits rows over threads: big enough that a task is much longer
// than starting it, small enough that two threads share the work evenly.
constexpr size_t kRowsPerTask = 16384;

// A dense column costs one multiply-add per row; a sparse tail entry about eight (load the
// symbol, look up its length or weight, scattered add that often waits for the previous row's).
constexpr uint64_t kTailCost = 16;

}  // namespace

PackedRows::PackedRows(const RowHistograms& hist, const std::vector<uint32_t>& rows)
    : m_rows(rows.size()), m_wide(hist.symbols_per_row > 255) {
    // Symbols by how many of these rows use them, most first; the head is the prefix that
    // minimises dense work + tail work.
    std::array<uint64_t, 256> users{};
    for (uint32_t u : rows)
        for (uint64_t e = hist.offset[u]; e < hist.offset[u + 1]; ++e) ++users[hist.symbol[e]];
    std::array<uint8_t, 256> by_users;
    std::iota(by_users.begin(), by_users.end(), 0);
    std::stable_sort(by_users.begin(), by_users.end(),
                     [&](uint8_t a, uint8_t b) { return users[a] > users[b]; });
    unsigned used = 0;
    while (used < 256 && users[by_users[used]] > 0) ++used;
    uint64_t tail_entries = 0;
    for (unsigned k = 0; k < used; ++k) tail_entries += users[by_users[k]];
    unsigned head = 0;
    uint64_t best_cost = kTailCost * tail_entries;
    for (unsigned h = kBlock; h < used + kBlock; h += kBlock) {
        for (unsigned k = h - kBlock; k < std::min(h, used); ++k)
            tail_entries -= users[by_users[k]];
        const uint64_t cost = uint64_t(h) * m_rows + kTailCost * tail_entries;
        if (cost < best_cost) {
            best_cost = cost;
            head = std::min(h, used);
        }
    }
    m_blocks = (head + kBlock - 1) / kBlock;
    std::array<int, 256> column;
    column.fill(-1);
    for (unsigned k = 0; k < head; ++k) {
        m_head_symbol[k] = by_users[k];
        column[by_users[k]] = int(k);
    }
    m_head = head;

#if defined(EMBZIP_AVX2_KERNELS)
    // Half the bytes when every head count fits 4 bits: the two sweeps stream the dense counts
    // from memory on every MWU round (33 MB on the full-size table), and that is what bounds them.
    m_nibbles = !m_wide && cpu_has_avx2();
    for (unsigned k = 0; k < head; ++k) m_nibbles = m_nibbles && hist.max_count[by_users[k]] <= 15;
#endif
    const size_t dense = size_t(m_blocks) * m_rows * (m_nibbles ? kBlock / 2 : kBlock);
    if (m_wide)
        m_dense16.assign(dense, 0);
    else
        m_dense8.assign(dense, 0);
    m_tail_offset.reserve(m_rows + 1);
    m_tail_offset.push_back(0);
    for (size_t i = 0; i < m_rows; ++i) {
        const uint32_t u = rows[i];
        for (uint64_t e = hist.offset[u]; e < hist.offset[u + 1]; ++e) {
            const int k = column[hist.symbol[e]];
            if (k < 0) {
                m_tail_symbol.push_back(hist.symbol[e]);
                m_tail_count.push_back(hist.count[e]);
                continue;
            }
            if (m_nibbles) {  // column j: low nibble of byte j (j < 8), else high of j - 8
                const unsigned j = unsigned(k) % kBlock;
                m_dense8[(size_t(k / kBlock) * m_rows + i) * (kBlock / 2) + j % 8] |=
                    uint8_t(hist.count[e] << (j < 8 ? 0 : 4));
                continue;
            }
            const size_t at = (size_t(k / kBlock) * m_rows + i) * kBlock + size_t(k % kBlock);
            if (m_wide)
                m_dense16[at] = uint16_t(hist.count[e]);  // a count is at most symbols_per_row
            else
                m_dense8[at] = uint8_t(hist.count[e]);
        }
        m_tail_offset.push_back(m_tail_symbol.size());
    }
    std::array<uint64_t, 256> col_size{};
    for (uint8_t sym : m_tail_symbol) ++col_size[sym];
    std::array<uint64_t, 256> col_at{};
    m_col_offset.push_back(0);
    for (unsigned sym = 0; sym < 256; ++sym) {
        if (!col_size[sym]) continue;
        col_at[sym] = m_col_offset.back();
        m_col_symbol.push_back(uint8_t(sym));
        m_col_offset.push_back(m_col_offset.back() + col_size[sym]);
    }
    m_col_row.resize(m_tail_symbol.size());
    m_col_count.resize(m_tail_symbol.size());
    for (size_t i = 0; i < m_rows; ++i)
        for (uint64_t e = m_tail_offset[i]; e < m_tail_offset[i + 1]; ++e) {
            const uint64_t at = col_at[m_tail_symbol[e]]++;
            m_col_row[at] = uint32_t(i);
            m_col_count[at] = m_tail_count[e];
        }
}

namespace {

// The rows' tails (symbols outside the dense head) as sparse (symbol, count) lists.
struct Tail {
    const uint64_t* offset;  // per row, into symbol / count
    const uint8_t* symbol;
    const uint32_t* count;
    // Coded bits of row i's tail under the code lengths `len`.
    uint64_t bits(size_t i, const uint8_t* len) const {
        uint64_t b = 0;
        for (uint64_t e = offset[i]; e < offset[i + 1]; ++e)
            b += uint64_t(count[e]) * len[symbol[e]];
        return b;
    }
};

// Sum over one block of 16 columns of count * length (lengths fit in 16 bits, so do products).
inline uint32_t block_dot(const uint8_t* c, const uint16_t* l) {
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c));
    const __m128i lo = _mm_madd_epi16(_mm_unpacklo_epi8(v, zero),
                                      _mm_loadu_si128(reinterpret_cast<const __m128i*>(l)));
    const __m128i hi = _mm_madd_epi16(_mm_unpackhi_epi8(v, zero),
                                      _mm_loadu_si128(reinterpret_cast<const __m128i*>(l + 8)));
    __m128i s = _mm_add_epi32(lo, hi);
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return uint32_t(_mm_cvtsi128_si32(s));
#else
    uint32_t s = 0;
    for (unsigned j = 0; j < 16; ++j) s += uint32_t(c[j]) * l[j];
    return s;
#endif
}

inline uint64_t block_dot(const uint16_t* c, const uint16_t* l) {
    uint64_t s = 0;
    for (unsigned j = 0; j < 16; ++j) s += uint64_t(c[j]) * l[j];
    return s;
}

#if defined(EMBZIP_AVX2_KERNELS)
// AVX2 versions of the two byte-count kernels, chosen at run time (the library is built for
// baseline x86-64). They do the same integer sums, and for the mixture the same double
// multiply and add per element in the same row order (no fused multiply-add: the target is
// avx2 only), so results do not depend on which version ran.
// Rows [first, last): dense blocks, then the tail; returns the largest length.
__attribute__((target("avx2"))) uint64_t lengths_avx2(const uint8_t* dense, size_t rows,
                                                      unsigned blocks, const uint16_t* block_len,
                                                      const Tail& tail, const uint8_t* len,
                                                      size_t first, size_t last, uint64_t* out) {
    uint64_t worst = 0;
    for (size_t i = first; i < last; ++i) {
        __m256i acc = _mm256_setzero_si256();
        for (unsigned b = 0; b < blocks; ++b) {
            const __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128(
                reinterpret_cast<const __m128i*>(dense + (size_t(b) * rows + i) * 16)));
            const __m256i l =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block_len + b * 16));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(c, l));
        }
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        uint64_t bits = uint32_t(_mm_cvtsi128_si32(s));
        bits += tail.bits(i, len);
        out[i] = bits;
        worst = std::max(worst, bits);
    }
    return worst;
}

// The same lengths with byte arithmetic, two rows per 32-byte load (rows i and i + 1 of a block
// are adjacent): vpmaddubsw multiplies byte counts by byte lengths and adds pairs into 16-bit
// sums. No sum can wrap: a row has at most 255 symbols (byte counts) and each length is at most
// 127 (checked by the caller), so every partial sum of a row is at most 255 * 127 < 2^15.
// The integer totals are exactly those of lengths_avx2.
__attribute__((target("avx2"))) uint64_t lengths_avx2_bytes(
    const uint8_t* dense, size_t rows, unsigned blocks, const uint16_t* block_len, const Tail& tail,
    const uint8_t* len, size_t first, size_t last, uint64_t* out) {
    alignas(32) int8_t lens8[PackedRows::kMaxBlocks][32];
    for (unsigned b = 0; b < blocks; ++b)
        for (unsigned j = 0; j < 32; ++j) lens8[b][j] = int8_t(block_len[b * 16 + j % 16]);
    const __m256i ones = _mm256_set1_epi16(1);
    uint64_t worst = 0;
    size_t i = first;
    for (; i + 2 <= last; i += 2) {
        __m256i acc = _mm256_setzero_si256();
        // Block b's counts of row i; no pointer is formed when there are no blocks (dense is
        // then null, and null + offset is undefined).
        for (unsigned b = 0; b < blocks; ++b) {
            const uint8_t* c = dense + (size_t(b) * rows + i) * 16;
            acc = _mm256_add_epi16(
                acc, _mm256_maddubs_epi16(
                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c)),
                         _mm256_load_si256(reinterpret_cast<const __m256i*>(lens8[b]))));
        }
        __m256i s = _mm256_madd_epi16(acc, ones);  // 4 x 32-bit per row
        s = _mm256_add_epi32(s, _mm256_shuffle_epi32(s, 0x4E));
        s = _mm256_add_epi32(s, _mm256_shuffle_epi32(s, 0xB1));
        uint64_t bits[2] = {uint32_t(_mm_cvtsi128_si32(_mm256_castsi256_si128(s))),
                            uint32_t(_mm_cvtsi128_si32(_mm256_extracti128_si256(s, 1)))};
        for (unsigned k = 0; k < 2; ++k) {
            bits[k] += tail.bits(i + k, len);
            out[i + k] = bits[k];
            worst = std::max(worst, bits[k]);
        }
    }
    if (i < last)
        worst =
            std::max(worst, lengths_avx2(dense, rows, blocks, block_len, tail, len, i, last, out));
    return worst;
}

// Nibble counts (8 bytes a row and block): lengths four rows per 32-byte load, as in
// lengths_avx2_bytes (the same bounds: no 16-bit sum can wrap, the totals are the same).
__attribute__((target("avx2"))) uint64_t lengths_avx2_nibbles(
    const uint8_t* dense, size_t rows, unsigned blocks, const uint16_t* block_len, const Tail& tail,
    const uint8_t* len, size_t first, size_t last, uint64_t* out) {
    alignas(32) int8_t lens_lo[PackedRows::kMaxBlocks][32], lens_hi[PackedRows::kMaxBlocks][32];
    for (unsigned b = 0; b < blocks; ++b)
        for (unsigned j = 0; j < 32; ++j) {
            lens_lo[b][j] = int8_t(block_len[b * 16 + j % 8]);
            lens_hi[b][j] = int8_t(block_len[b * 16 + 8 + j % 8]);
        }
    const __m256i ones = _mm256_set1_epi16(1), low4 = _mm256_set1_epi8(0x0F);
    uint64_t worst = 0;
    size_t i = first;
    for (; i + 4 <= last; i += 4) {
        __m256i acc = _mm256_setzero_si256();
        for (unsigned b = 0; b < blocks; ++b) {
            const uint8_t* c = dense + (size_t(b) * rows + i) * 8;  // as in lengths_avx2_bytes
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c));
            const __m256i lo = _mm256_and_si256(v, low4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
            acc = _mm256_add_epi16(
                acc, _mm256_maddubs_epi16(
                         lo, _mm256_load_si256(reinterpret_cast<const __m256i*>(lens_lo[b]))));
            acc = _mm256_add_epi16(
                acc, _mm256_maddubs_epi16(
                         hi, _mm256_load_si256(reinterpret_cast<const __m256i*>(lens_hi[b]))));
        }
        __m256i s = _mm256_madd_epi16(acc, ones);                // 2 x 32-bit per row
        s = _mm256_add_epi32(s, _mm256_shuffle_epi32(s, 0xB1));  // row sums in lanes 0, 2, 4, 6
        uint64_t bits[4] = {
            uint32_t(_mm256_extract_epi32(s, 0)), uint32_t(_mm256_extract_epi32(s, 2)),
            uint32_t(_mm256_extract_epi32(s, 4)), uint32_t(_mm256_extract_epi32(s, 6))};
        for (unsigned k = 0; k < 4; ++k) {
            bits[k] += tail.bits(i + k, len);
            out[i + k] = bits[k];
            worst = std::max(worst, bits[k]);
        }
    }
    for (; i < last; ++i) {
        uint64_t bits = 0;
        for (unsigned b = 0; b < blocks; ++b) {
            const uint8_t* c = dense + (size_t(b) * rows + i) * 8;
            for (unsigned j = 0; j < 8; ++j)
                bits += uint64_t(c[j] & 15) * block_len[b * 16 + j] +
                        uint64_t(c[j] >> 4) * block_len[b * 16 + 8 + j];
        }
        bits += tail.bits(i, len);
        out[i] = bits;
        worst = std::max(worst, bits);
    }
    return worst;
}

// A row's 16 counts of a block, as two vectors of 8 integers.
template <bool kNibbles>
__attribute__((target("avx2"), always_inline)) inline void load_counts(const uint8_t* c,
                                                                       __m256i& lo, __m256i& hi) {
    if constexpr (kNibbles) {
        const __m128i low4 = _mm_set1_epi8(0x0F);
        const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(c));
        lo = _mm256_cvtepu8_epi32(_mm_and_si128(v, low4));
        hi = _mm256_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(v, 4), low4));
    } else {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c));
        lo = _mm256_cvtepu8_epi32(v);
        hi = _mm256_cvtepu8_epi32(_mm_srli_si128(v, 8));
    }
}

// s_k += l * count_k for a row's 16 counts (converted exactly), in column order.
__attribute__((target("avx2"), always_inline)) inline void add_products(__m256d l, __m256i lo,
                                                                        __m256i hi, __m256d& s0,
                                                                        __m256d& s1, __m256d& s2,
                                                                        __m256d& s3) {
    s0 = _mm256_add_pd(s0, _mm256_mul_pd(l, _mm256_cvtepi32_pd(_mm256_castsi256_si128(lo))));
    s1 = _mm256_add_pd(s1, _mm256_mul_pd(l, _mm256_cvtepi32_pd(_mm256_extracti128_si256(lo, 1))));
    s2 = _mm256_add_pd(s2, _mm256_mul_pd(l, _mm256_cvtepi32_pd(_mm256_castsi256_si128(hi))));
    s3 = _mm256_add_pd(s3, _mm256_mul_pd(l, _mm256_cvtepi32_pd(_mm256_extracti128_si256(hi, 1))));
}

// One block's 16 sums (a row's 16 counts as bytes, or packed two to a byte with kNibbles), or two
// blocks' 32 at once (c1 non-null), starting from acc0 / acc1: two blocks give eight independent
// add chains instead of four (an add waits for the same register's add of the row before), and load
// each row's weight once. Every sum still adds its products in row order.
template <bool kPair, bool kNibbles>
__attribute__((target("avx2"))) void mixture_avx2(const uint8_t* c0, const uint8_t* c1, size_t rows,
                                                  const double* lambda, double* acc0,
                                                  double* acc1) {
    constexpr size_t kStride = kNibbles ? 8 : 16;  // bytes of a row's 16 counts
    // Rows whose every product is lost in rounding are skipped; every sum keeps exactly the
    // value the full loop gives. A product is below 2^kCountBits * lambda_i (a count is at most
    // 15, or 255, and rounding is monotone), and adding p >= 0 to a normal sum s leaves s
    // unchanged when p < s * 2^-54 (below half an ulp of s). Sums only grow, so the least of
    // the sums, taken every 32 rows, bounds every sum from below for the rows after it:
    // lambda_i < least * 2^-(54 + kCountBits) means no product of row i changes any sum.
    // (Late MWU rounds put almost all the weight on a few long rows, so most rows go.)
    constexpr int kCountBits = kNibbles ? 4 : 8;
    const double kSkipScale = std::ldexp(1.0, -(54 + kCountBits));
    __m256d a0 = _mm256_loadu_pd(acc0), a1 = _mm256_loadu_pd(acc0 + 4),
            a2 = _mm256_loadu_pd(acc0 + 8), a3 = _mm256_loadu_pd(acc0 + 12);
    __m256d b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    if constexpr (kPair) {
        b0 = _mm256_loadu_pd(acc1);
        b1 = _mm256_loadu_pd(acc1 + 4);
        b2 = _mm256_loadu_pd(acc1 + 8);
        b3 = _mm256_loadu_pd(acc1 + 12);
    }
    double skip_below = 0;
    for (size_t i = 0; i < rows; ++i, c0 += kStride, c1 += kPair ? kStride : 0) {
        if ((i & 31) == 0) {
            __m256d m = _mm256_min_pd(_mm256_min_pd(a0, a1), _mm256_min_pd(a2, a3));
            if constexpr (kPair)
                m = _mm256_min_pd(m, _mm256_min_pd(_mm256_min_pd(b0, b1), _mm256_min_pd(b2, b3)));
            __m128d h = _mm_min_pd(_mm256_castpd256_pd128(m), _mm256_extractf128_pd(m, 1));
            h = _mm_min_sd(h, _mm_unpackhi_pd(h, h));
            const double least = _mm_cvtsd_f64(h);
            // 2^-900 keeps the scaled bound a normal number, so the scaling is exact.
            skip_below = least >= 0x1p-900 ? least * kSkipScale : 0.0;
        }
        if (lambda[i] < skip_below) continue;
        const __m256d l = _mm256_broadcast_sd(lambda + i);
        __m256i lo, hi;
        load_counts<kNibbles>(c0, lo, hi);
        add_products(l, lo, hi, a0, a1, a2, a3);
        if constexpr (kPair) {
            load_counts<kNibbles>(c1, lo, hi);
            add_products(l, lo, hi, b0, b1, b2, b3);
        }
    }
    _mm256_storeu_pd(acc0, a0);
    _mm256_storeu_pd(acc0 + 4, a1);
    _mm256_storeu_pd(acc0 + 8, a2);
    _mm256_storeu_pd(acc0 + 12, a3);
    if constexpr (kPair) {
        _mm256_storeu_pd(acc1, b0);
        _mm256_storeu_pd(acc1 + 4, b1);
        _mm256_storeu_pd(acc1 + 8, b2);
        _mm256_storeu_pd(acc1 + 12, b3);
    }
}
#endif

}  // namespace

template <class CountT>
uint64_t PackedRows::lengths_range(size_t first, size_t last, const uint16_t* block_len,
                                   const uint8_t* len, uint64_t* out) const {
    const CountT* dense = dense_data<CountT>();
    const Tail tail{m_tail_offset.data(), m_tail_symbol.data(), m_tail_count.data()};
#if defined(EMBZIP_AVX2_KERNELS)
    if constexpr (sizeof(CountT) == 1)
        if (cpu_has_avx2()) {
            bool byte_lens = true;
            for (unsigned k = 0; k < m_blocks * kBlock; ++k) byte_lens &= block_len[k] <= 127;
            if (m_nibbles) {
                if (!byte_lens) throw std::logic_error("packed rows: a code length above 127 bits");
                return lengths_avx2_nibbles(dense, m_rows, m_blocks, block_len, tail, len, first,
                                            last, out);
            }
            if (byte_lens)
                return lengths_avx2_bytes(dense, m_rows, m_blocks, block_len, tail, len, first,
                                          last, out);
            return lengths_avx2(dense, m_rows, m_blocks, block_len, tail, len, first, last, out);
        }
#endif
    uint64_t worst = 0;
    for (size_t i = first; i < last; ++i) {
        uint64_t bits = 0;
        for (unsigned b = 0; b < m_blocks; ++b)
            bits += block_dot(dense + (size_t(b) * m_rows + i) * kBlock, block_len + b * kBlock);
        bits += tail.bits(i, len);
        out[i] = bits;
        worst = std::max(worst, bits);
    }
    return worst;
}

uint64_t PackedRows::lengths(const uint8_t* len, uint64_t* out, unsigned threads) const {
    const size_t tasks = (m_rows + kRowsPerTask - 1) / kRowsPerTask;
    std::vector<uint64_t> task_max(tasks, 0);
    alignas(16) std::array<uint16_t, 256> block_len{};  // [block][16], padding columns 0
    for (unsigned k = 0; k < m_head; ++k) block_len[k] = len[m_head_symbol[k]];
    parallel_tasks(tasks, threads, [&](size_t t) {
        const size_t first = t * kRowsPerTask, last = std::min(m_rows, first + kRowsPerTask);
        task_max[t] = m_wide ? lengths_range<uint16_t>(first, last, block_len.data(), len, out)
                             : lengths_range<uint8_t>(first, last, block_len.data(), len, out);
    });
    uint64_t worst = 0;
    for (uint64_t w : task_max) worst = std::max(worst, w);
    return worst;
}

template <class CountT>
void PackedRows::mixture_blocks(unsigned b, unsigned count, const double* lambda, double* f) const {
    // The kernels start from these sums (and return them). Padding columns (count 0 on every
    // row, results discarded) start at +inf, so that they never hold the least sum down.
    double acc[2][kBlock];
    for (unsigned k = 0; k < 2; ++k)
        for (unsigned j = 0; j < kBlock; ++j)
            acc[k][j] = (b + k) * kBlock + j < m_head ? 0.0 : HUGE_VAL;
#if defined(EMBZIP_AVX2_KERNELS)
    if constexpr (sizeof(CountT) == 1)
        if (cpu_has_avx2()) {
            if (m_nibbles) {
                const uint8_t* c = m_dense8.data() + size_t(b) * m_rows * (kBlock / 2);
                if (count == 2)
                    mixture_avx2<true, true>(c, c + m_rows * (kBlock / 2), m_rows, lambda, acc[0],
                                             acc[1]);
                else
                    mixture_avx2<false, true>(c, nullptr, m_rows, lambda, acc[0], nullptr);
                count = 0;
            }
            const uint8_t* c = m_dense8.data() + size_t(b) * m_rows * kBlock;
            if (count == 2)
                mixture_avx2<true, false>(c, c + m_rows * kBlock, m_rows, lambda, acc[0], acc[1]);
            else if (count == 1)
                mixture_avx2<false, false>(c, nullptr, m_rows, lambda, acc[0], nullptr);
            count = 0;
        }
#endif
    for (unsigned k = 0; k < count; ++k) {
        const CountT* c = dense_data<CountT>() + size_t(b + k) * m_rows * kBlock;
        for (size_t i = 0; i < m_rows; ++i, c += kBlock) {
            const double l = lambda[i];
            for (unsigned j = 0; j < kBlock; ++j) acc[k][j] += l * double(c[j]);
        }
    }
    for (unsigned k = 0; k < 2; ++k)
        for (unsigned j = 0; j < kBlock && (b + k) * kBlock + j < m_head; ++j)
            f[m_head_symbol[(b + k) * kBlock + j]] = acc[k][j];
}

void PackedRows::mixture(const double* lambda, double* f, unsigned threads) const {
    std::fill(f, f + 256, 0.0);
    // Tasks: one per pair of dense blocks, and the tail (whose symbols are not in the head).
    const size_t pairs = (m_blocks + 1) / 2;
    parallel_tasks(pairs + 1, threads, [&](size_t t) {
        if (t < pairs) {
            const unsigned b = unsigned(2 * t), count = std::min(2u, m_blocks - b);
            if (m_wide)
                mixture_blocks<uint16_t>(b, count, lambda, f);
            else
                mixture_blocks<uint8_t>(b, count, lambda, f);
            return;
        }
        // Four symbols at a time, each summed in row order: the same additions as row by row.
        const size_t cols = m_col_symbol.size();
        for (size_t g = 0; g < cols; g += 4) {
            const size_t n = std::min<size_t>(4, cols - g);
            double acc[4] = {0, 0, 0, 0};
            uint64_t at[4] = {0, 0, 0, 0}, end[4] = {0, 0, 0, 0};
            uint64_t common = UINT64_MAX;
            for (size_t k = 0; k < n; ++k) {
                at[k] = m_col_offset[g + k];
                end[k] = m_col_offset[g + k + 1];
                common = std::min(common, end[k] - at[k]);
            }
            if (n == 4)
                for (uint64_t j = 0; j < common; ++j)
                    for (size_t k = 0; k < 4; ++k)
                        acc[k] += lambda[m_col_row[at[k] + j]] * m_col_count[at[k] + j];
            const uint64_t done = n == 4 ? common : 0;
            for (size_t k = 0; k < n; ++k) {
                for (uint64_t e = at[k] + done; e < end[k]; ++e)
                    acc[k] += lambda[m_col_row[e]] * m_col_count[e];
                f[m_col_symbol[g + k]] = acc[k];
            }
        }
    });
}

}  // namespace embzip::detail
