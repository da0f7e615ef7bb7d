// SPDX-License-Identifier: MIT
#include <nlohmann/json.hpp>

#include "embzip/layout.hpp"

namespace embzip {

std::string code_json(const CodedTable& t) {
    nlohmann::ordered_json j;
    j["format"] = "embzip-code";
    j["version"] = 1;
    j["method"] = t.method;
    j["rows"] = t.rows;
    j["dim"] = t.dim;
    j["dtype"] = t.element_name();
    j["symbol_bits"] = t.spec.bits;
    j["symbols_per_row"] = t.dim * t.spec.per_byte();
    j["split"] = t.spec.bits == 4 ? split_name(t.spec.split) : "none";
    j["bit_order"] = "msb_first";
    j["selector_bits"] = t.selector_bits;
    j["row_bits"] = t.row_bits;
    j["pitch_bits"] = t.pitch_bits;
    // Overflow layout: slots start with a 1-bit flag; flag 1 => index_bits-bit index into the
    // raw overflow region of overflow_rows rows (encoder/README.md, "Row slot").
    j["overflow"] = t.overflow;
    j["index_bits"] = t.overflow ? t.index_bits : 0;
    j["overflow_rows"] = t.overflow ? t.overflow_rows : 0;
    j["saving"] = saving(t.row_bits, t.dim);
    nlohmann::ordered_json books = nlohmann::ordered_json::array();
    for (size_t b = 0; b < t.books.size(); ++b) {
        const CanonicalCode code = make_canonical(t.books[b]);
        nlohmann::ordered_json book;
        book["index"] = b;
        book["max_len"] = t.books[b].max_len();
        nlohmann::ordered_json symbols = nlohmann::ordered_json::array();
        for (unsigned s = 0; s < t.books[b].alphabet; ++s) {
            if (!t.books[b].len[s]) continue;
            symbols.push_back(
                {{"symbol", s}, {"length", t.books[b].len[s]}, {"code", code_string(code, s)}});
        }
        book["symbols"] = symbols;
        nlohmann::ordered_json canon = nlohmann::ordered_json::array();
        for (unsigned l = 1; l <= book["max_len"].get<unsigned>(); ++l)
            canon.push_back({{"length", l},
                             {"count", code.count[l]},
                             {"first_code", code.first_code[l]},
                             {"first_index", code.first_index[l]}});
        book["canonical"] = canon;
        book["sorted_symbols"] = code.sorted;
        books.push_back(book);
    }
    j["books"] = books;
    return j.dump(2) + "\n";
}

}  // namespace embzip
