// SPDX-License-Identifier: MIT
#include "embzip/histogram.hpp"

#include <algorithm>
#include <unordered_map>

namespace embzip {

void row_symbols(const uint8_t* row, uint32_t dim, SymbolSpec spec, uint8_t* out) {
    if (spec.bits == 8) {
        std::copy(row, row + dim, out);
        return;
    }
    for (uint32_t c = 0; c < dim; ++c) {
        const uint8_t b = split_forward(spec.split, row[c]);
        out[2 * c] = b >> 4;
        out[2 * c + 1] = b & 0x0F;
    }
}

unsigned RowHistograms::used_symbols() const {
    unsigned n = 0;
    for (unsigned s = 0; s < spec.alphabet(); ++s) n += frequency[s] != 0;
    return n;
}

std::array<uint32_t, 256> RowHistograms::dense(size_t u) const {
    std::array<uint32_t, 256> d{};
    for (uint64_t e = offset[u]; e < offset[u + 1]; ++e) d[symbol[e]] = count[e];
    return d;
}

RowHistograms build_histograms(const Table& table, SymbolSpec spec, const ProgressFn& progress) {
    RowHistograms h;
    h.spec = spec;
    h.symbols_per_row = table.dim * spec.per_byte();
    h.offset.push_back(0);
    h.row_to_unique.resize(table.rows);

    std::vector<uint8_t> syms(h.symbols_per_row);
    std::array<uint32_t, 256> counts{};
    std::unordered_map<uint64_t, uint32_t> first_with_hash;
    std::vector<uint32_t> next_same_hash;  // chain of unique ids sharing a hash
    std::vector<uint8_t> row_sym;
    std::vector<uint32_t> row_cnt;
    const uint64_t report_every = std::max<uint64_t>(1, table.rows / 20);

    for (uint64_t r = 0; r < table.rows; ++r) {
        row_symbols(table.row(r), table.dim, spec, syms.data());
        // A bit per symbol present: the row's symbols are then visited in ascending order
        // without testing all 256 counts (a branch that mispredicts on about half of them).
        uint64_t present[4] = {0, 0, 0, 0};
        for (uint8_t s : syms) {
            ++counts[s];
            present[s >> 6] |= uint64_t(1) << (s & 63);
        }
        row_sym.clear();
        row_cnt.clear();
        uint64_t hash = 1469598103934665603ull;
        for (unsigned word = 0; word < 4; ++word)
            for (uint64_t bits = present[word]; bits; bits &= bits - 1) {
                const unsigned s = word * 64 + unsigned(__builtin_ctzll(bits));
                row_sym.push_back(uint8_t(s));
                row_cnt.push_back(counts[s]);
                hash = (hash ^ (uint64_t(s) << 32 | counts[s])) * 1099511628211ull;
                h.frequency[s] += counts[s];
                h.max_count[s] = std::max(h.max_count[s], counts[s]);
                counts[s] = 0;
            }
        uint32_t found = UINT32_MAX;
        auto it = first_with_hash.find(hash);
        if (it != first_with_hash.end()) {
            for (uint32_t u = it->second; u != UINT32_MAX; u = next_same_hash[u]) {
                const uint64_t b = h.offset[u], e = h.offset[u + 1];
                if (e - b == row_sym.size() &&
                    std::equal(row_sym.begin(), row_sym.end(), h.symbol.begin() + b) &&
                    std::equal(row_cnt.begin(), row_cnt.end(), h.count.begin() + b)) {
                    found = u;
                    break;
                }
            }
        }
        if (found == UINT32_MAX) {
            found = uint32_t(h.multiplicity.size());
            h.symbol.insert(h.symbol.end(), row_sym.begin(), row_sym.end());
            h.count.insert(h.count.end(), row_cnt.begin(), row_cnt.end());
            h.offset.push_back(h.symbol.size());
            h.multiplicity.push_back(0);
            if (it != first_with_hash.end()) {
                next_same_hash.push_back(it->second);
                it->second = found;
            } else {
                next_same_hash.push_back(UINT32_MAX);
                first_with_hash.emplace(hash, found);
            }
        }
        ++h.multiplicity[found];
        h.row_to_unique[r] = found;
        if (progress && (r + 1) % report_every == 0)
            progress("histograms", double(r + 1) / double(table.rows));
    }
    return h;
}

std::shared_ptr<const RowHistograms> HistogramCache::get(SymbolSpec spec,
                                                         const ProgressFn& progress) {
    // One lock for the build too: two methods asking for the same spec at once wait for one
    // build rather than doing it twice.
    const std::lock_guard<std::mutex> lock(m_mutex);
    auto& slot = m_built[{spec.bits, unsigned(spec.split)}];
    if (!slot)
        slot = std::make_shared<const RowHistograms>(build_histograms(*m_table, spec, progress));
    return slot;
}

}  // namespace embzip
