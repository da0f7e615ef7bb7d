// SPDX-License-Identifier: MIT
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "embzip/symbols.hpp"
#include "embzip/table.hpp"

namespace embzip {

// The only view of a table that code construction needs: the symbol histogram of each row,
// deduplicated. A row's coded length under any code is the dot product of its histogram with
// the code lengths, so every method works on these (sparse) histograms instead of the table.
struct RowHistograms {
    SymbolSpec spec;
    uint32_t symbols_per_row = 0;  // dim * spec.per_byte()
    // Unique histograms in sparse form: entries [offset[u], offset[u+1]) hold (symbol, count).
    std::vector<uint64_t> offset;
    std::vector<uint8_t> symbol;
    std::vector<uint32_t> count;
    std::vector<uint64_t> multiplicity;     // rows sharing unique histogram u
    std::vector<uint32_t> row_to_unique;    // per table row
    std::array<uint64_t, 256> frequency{};  // global count per symbol
    std::array<uint32_t, 256> max_count{};  // largest count of the symbol in any row

    size_t unique_rows() const { return multiplicity.size(); }
    unsigned used_symbols() const;
    // Coded bits of unique row u under per-symbol lengths.
    uint64_t row_bits(size_t u, const uint8_t* lengths) const {
        uint64_t bits = 0;
        for (uint64_t e = offset[u]; e < offset[u + 1]; ++e)
            bits += uint64_t(count[e]) * lengths[symbol[e]];
        return bits;
    }
    // Dense copy of unique row u's histogram.
    std::array<uint32_t, 256> dense(size_t u) const;
};

using ProgressFn = std::function<void(const char* stage, double fraction)>;

RowHistograms build_histograms(const Table& table, SymbolSpec spec,
                               const ProgressFn& progress = nullptr);

// The histograms of one table, built once per symbol spec and then shared: `embzip report`
// runs every method on the same table, and 8-bit methods all use the same 8-bit histograms,
// 4-bit methods the same two splits. Safe to use from several threads. The table must outlive
// the cache and not change.
class HistogramCache {
  public:
    explicit HistogramCache(const Table& table) : m_table(&table) {}
    bool is_for(const Table& table) const { return &table == m_table; }
    std::shared_ptr<const RowHistograms> get(SymbolSpec spec, const ProgressFn& progress = nullptr);

  private:
    const Table* m_table;
    std::mutex m_mutex;
    std::map<std::pair<unsigned, unsigned>, std::shared_ptr<const RowHistograms>> m_built;
};

// Symbol sequence of one row: dim symbols (8-bit) or 2*dim (high nibble first).
void row_symbols(const uint8_t* row, uint32_t dim, SymbolSpec spec, uint8_t* out);

}  // namespace embzip
