// SPDX-License-Identifier: MIT
#include "embzip/report.hpp"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "embzip/errors.hpp"
#include "embzip/float_table.hpp"

namespace embzip {

namespace {

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), f, v);
    return buf;
}

// 1 - stored row bits / raw row bits; float tables add their raw sign+mantissa bits.
double entry_saving(const ReportEntry& e, uint64_t bits) {
    return 1.0 - double(bits + e.extra_bits) / (double(e.dim) * e.elem_bits);
}

uint64_t original_bytes(const ReportEntry& e) { return e.rows * e.dim * e.elem_bits / 8; }

std::string percent(double fraction) { return fmt("%.2f%%", 100.0 * fraction); }

// Best saving among the entries of one table with the given symbol width (encodings only).
const ReportEntry* best_of(const std::vector<const ReportEntry*>& entries, unsigned bits) {
    const ReportEntry* best = nullptr;
    for (const ReportEntry* e : entries)
        if (!is_reference(e->result.method) && e->result.spec.bits == bits &&
            (!best || e->result.row_bits < best->result.row_bits))
            best = e;
    return best;
}

const ReportEntry* find(const std::vector<const ReportEntry*>& entries, Method m) {
    for (const ReportEntry* e : entries)
        if (e->result.method == m) return e;
    return nullptr;
}

std::vector<std::pair<std::string, std::vector<const ReportEntry*>>> by_table(
    const std::vector<ReportEntry>& entries) {
    std::vector<std::pair<std::string, std::vector<const ReportEntry*>>> groups;
    for (const ReportEntry& e : entries) {
        if (groups.empty() || groups.back().first != e.table) groups.push_back({e.table, {}});
        groups.back().second.push_back(&e);
    }
    return groups;
}

}  // namespace

std::vector<ReportEntry> run_report(const std::string& name, const Table& table,
                                    const std::vector<Method>& methods,
                                    const MethodOptions& options) {
    std::vector<ReportEntry> out;
    const std::string dtype = table.dtype == Dtype::Int8 ? "int8" : "uint8";
    // Every method of the report reads the same table: its histograms are built once.
    MethodOptions shared = options;
    shared.histograms = std::make_shared<HistogramCache>(table);
    for (Method m : methods)
        out.push_back({name, table.rows, table.dim, run_method(m, table, shared), 8, 0, dtype});
    return out;
}

std::vector<ReportEntry> run_report(const std::string& name, const Input& input,
                                    const std::vector<Method>& methods,
                                    const MethodOptions& options) {
    if (!input.is_float) return run_report(name, input.table, methods, options);
    const FloatTable& f = input.floats;
    const FloatPlanes planes = split_planes(f);
    const unsigned elem_bits = float_format(f.kind).bits;
    const uint64_t extra = uint64_t(f.dim) * planes.raw_bits;
    const uint64_t raw_section = 16 + planes.raw.size();
    MethodOptions shared = options;
    shared.histograms = std::make_shared<HistogramCache>(planes.exponents);
    std::vector<ReportEntry> out;
    for (Method m : methods) {
        ReportEntry e{name, f.rows, f.dim, {}, elem_bits, extra, float_kind_name(f.kind)};
        if (m == Method::Zstd19) {
            // The no-random-access ceiling is for the whole float table, not one plane.
            Table bytes;
            bytes.rows = f.rows;
            bytes.dim = f.dim * elem_bits / 8;
            bytes.bytes = f.bytes;
            e.result = run_method(m, bytes, options);
            e.extra_bits = 0;
        } else {
            e.result = run_method(m, planes.exponents, shared);
            if (!is_reference(m) || m == Method::Entropy0) e.result.total_bytes += raw_section;
        }
        out.push_back(std::move(e));
    }
    return out;
}

ReportFormat parse_report_format(const std::string& text) {
    if (text == "table") return ReportFormat::Table;
    if (text == "json") return ReportFormat::Json;
    if (text == "csv") return ReportFormat::Csv;
    throw InputError("--format: expected table, json or csv, got '" + text + "'");
}

const ReportEntry* best_encodable(const std::vector<ReportEntry>& entries) {
    const ReportEntry* best = nullptr;
    for (const ReportEntry& e : entries)
        if (!is_reference(e.result.method) && (!best || e.result.row_bits < best->result.row_bits))
            best = &e;
    return best;
}

std::string format_report(const std::vector<ReportEntry>& entries, ReportFormat format) {
    if (format == ReportFormat::Json) {
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (const ReportEntry& e : entries) {
            const CodeResult& r = e.result;
            nlohmann::ordered_json j;
            j["table"] = e.table;
            j["rows"] = e.rows;
            j["dim"] = e.dim;
            j["method"] = method_name(r.method);
            j["dtype"] = e.dtype;
            j["row_bits"] = r.row_bits + e.extra_bits;
            if (e.extra_bits) {
                j["exponent_row_bits"] = r.row_bits;
                j["raw_bits_per_row"] = e.extra_bits;
            }
            j["saving"] = entry_saving(e, r.row_bits);
            j["seconds"] = r.seconds;
            j["symbol_bits"] = r.spec.bits;
            j["is_bound"] = is_reference(r.method);
            if (r.spec.bits == 4) j["split"] = split_name(r.spec.split);
            if (r.method == Method::Nibble4x2) j["second_tree_rows"] = r.second_book_rows;
            if (r.bound_bits) {
                j["bound_bits"] = r.bound_bits + e.extra_bits;
                j["bound_saving"] = entry_saving(e, r.bound_bits);
            }
            if (r.method == Method::Entropy0 || r.method == Method::Zstd19) {
                j["random_access"] = false;
                j["total_bytes"] = r.total_bytes;
                j["total_saving"] = 1.0 - double(r.total_bytes) / double(original_bytes(e));
            }
            if (!is_reference(r.method)) {
                j["total_bytes"] = r.total_bytes;
                j["original_bytes"] = original_bytes(e);
                j["total_saving"] = 1.0 - double(r.total_bytes) / double(original_bytes(e));
                j["overflow_rows"] = r.overflow.rows;
                if (r.raw_fallback) {
                    j["raw_fallback"] = true;
                    j["code_row_bits"] = r.code_row_bits;
                }
            }
            if (!r.books.empty()) {
                j["books"] = r.books.size();
                unsigned max_len = 0;
                for (const CodeLengths& b : r.books) max_len = std::max(max_len, b.max_len());
                j["max_code_len"] = max_len;
            }
            if (!r.order.empty()) j["order"] = r.order;
            arr.push_back(j);
        }
        return arr.dump(2) + "\n";
    }
    const auto groups = by_table(entries);
    std::string out;
    if (format == ReportFormat::Csv) {
        // The paper's table, one line per table; empty cells where a method was not run. Like the
        // paper, a cell is the code's own width, even where embzip stores raw rows instead.
        out =
            "table,rows,dim,MB,nibble4,nibble4x2,second_tree_rows,limit4,limit4_minus_best,"
            "balanced8,sa8,huffman8,"
            "limit8,limit8_minus_best,minimax8,bound8,minimax4,bound4,entropy0,zstd19\n";
        for (const auto& group : groups) {
            // Named, not a structured binding: clang before 16 cannot capture those in lambdas.
            const std::string& name = group.first;
            const std::vector<const ReportEntry*>& es = group.second;
            auto cell = [&](Method m) {
                const ReportEntry* e = find(es, m);
                if (!e) return std::string();
                return fmt("%.4f", entry_saving(*e, e->result.raw_fallback ? e->result.code_row_bits
                                                                           : e->result.row_bits));
            };
            auto gap = [&](Method limit, unsigned bits) {
                const ReportEntry* l = find(es, limit);
                const ReportEntry* b = best_of(es, bits);
                return l && b ? fmt("%.4f", entry_saving(*l, l->result.row_bits) -
                                                entry_saving(*b, b->result.row_bits))
                              : std::string();
            };
            auto bound = [&](Method m) {
                const ReportEntry* e = find(es, m);
                return e && e->result.bound_bits
                           ? fmt("%.4f", entry_saving(*e, e->result.bound_bits))
                           : std::string();
            };
            const ReportEntry* x2 = find(es, Method::Nibble4x2);
            out += name + "," + std::to_string(es[0]->rows) + "," + std::to_string(es[0]->dim) +
                   "," + fmt("%.3f", double(es[0]->rows) * es[0]->dim / 1e6) + "," +
                   cell(Method::Nibble4) + "," + cell(Method::Nibble4x2) + "," +
                   (x2 ? std::to_string(x2->result.second_book_rows) : "") + "," +
                   cell(Method::Limit4) + "," + gap(Method::Limit4, 4) + "," +
                   cell(Method::Balanced8) + "," + cell(Method::Sa8) + "," +
                   cell(Method::Huffman8) + "," + cell(Method::Limit8) + "," +
                   gap(Method::Limit8, 8) + "," + cell(Method::Minimax8) + "," +
                   bound(Method::Minimax8) + "," + cell(Method::Minimax4) + "," +
                   bound(Method::Minimax4) + "," + cell(Method::Entropy0) + "," +
                   cell(Method::Zstd19) + "\n";
        }
        return out;
    }
    for (const auto& [name, es] : groups) {
        char head[512];
        std::snprintf(head, sizeof(head), "%s: %llu rows x %u %s (%.2f MB)%s\n", name.c_str(),
                      (unsigned long long)es[0]->rows, es[0]->dim,
                      es[0]->elem_bits == 8 ? "bytes" : es[0]->dtype.c_str(),
                      double(original_bytes(*es[0])) / 1e6,
                      es[0]->extra_bits ? "; W = coded exponents + raw sign/mantissa bits" : "");
        out += head;
        out += "  method       W bits   saving   seconds  details\n";
        for (const ReportEntry* e : es) {
            const CodeResult& r = e->result;
            std::string details;
            if (r.method == Method::Limit4 || r.method == Method::Limit8)
                details = "bound: per-row Huffman";
            if (r.method == Method::Entropy0)
                details = "reference: order-0 entropy, no random access";
            if (r.method == Method::Zstd19)
                details = "reference: whole table, zstd -19, no random access";
            if (r.spec.bits == 4)
                details +=
                    std::string(details.empty() ? "" : ", ") + "split " + split_name(r.spec.split);
            if (r.method == Method::Nibble4x2)
                details += ", " + std::to_string(r.second_book_rows) + " rows on tree 2";
            if (r.books.size() > 1 && r.method != Method::Nibble4x2)
                details += std::string(details.empty() ? "" : ", ") +
                           std::to_string(r.books.size()) + " books";
            if (r.overflow.enabled)
                details += std::string(details.empty() ? "" : ", ") +
                           std::to_string(r.overflow.rows) + " rows overflow, total " +
                           percent(1.0 - double(r.total_bytes) / double(original_bytes(*e))) +
                           " smaller";
            if (r.raw_fallback)
                details += std::string(details.empty() ? "" : ", ") +
                           "raw fallback (its code needs " + std::to_string(r.code_row_bits) +
                           " bits)";
            if (r.bound_bits)
                details +=
                    std::string(details.empty() ? "" : ", ") +
                    "proven bound W >= " + std::to_string(r.bound_bits + e->extra_bits) + " (gap " +
                    fmt("%.2f",
                        100.0 * (entry_saving(*e, r.bound_bits) - entry_saving(*e, r.row_bits))) +
                    " pp)";
            if (!r.books.empty()) {
                unsigned max_len = 0;
                for (const CodeLengths& b : r.books) max_len = std::max(max_len, b.max_len());
                details += std::string(details.empty() ? "" : ", ") + "longest code " +
                           std::to_string(max_len);
            }
            char line[512];
            std::snprintf(line, sizeof(line), "  %-11s %7llu %8s %9.3f  %s\n",
                          method_name(r.method), (unsigned long long)(r.row_bits + e->extra_bits),
                          percent(entry_saving(*e, r.row_bits)).c_str(), r.seconds,
                          details.c_str());
            out += line;
        }
        for (const auto& [limit, bits] :
             {std::pair{Method::Limit4, 4u}, std::pair{Method::Limit8, 8u}}) {
            const ReportEntry* l = find(es, limit);
            const ReportEntry* b = best_of(es, bits);
            if (l && b)
                out += "  " + std::string(method_name(limit)) + " - best " + std::to_string(bits) +
                       "-bit (" + method_name(b->result.method) + "): " +
                       fmt("%.2f", 100.0 * (entry_saving(*l, l->result.row_bits) -
                                            entry_saving(*b, b->result.row_bits))) +
                       " percentage points\n";
        }
    }
    return out;
}

}  // namespace embzip
