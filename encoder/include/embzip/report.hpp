// SPDX-License-Identifier: MIT
#pragma once
#include <string>
#include <vector>

#include "embzip/methods.hpp"
#include "embzip/table_io.hpp"

namespace embzip {

// One (table, method) result: what `embzip report` prints and later tools consume.
struct ReportEntry {
    std::string table;
    uint64_t rows = 0;
    uint32_t dim = 0;  // elements per row
    CodeResult result;
    unsigned elem_bits = 8;  // raw element width
    uint64_t extra_bits =
        0;  // float tables: raw sign+mantissa bits per row (result is on exponents)
    std::string dtype = "int8";
};

std::vector<ReportEntry> run_report(const std::string& name, const Table& table,
                                    const std::vector<Method>& methods,
                                    const MethodOptions& options);

enum class ReportFormat { Table, Json, Csv };
// Float tables (lossless): methods run on the exponent plane; W and saving include the raw
// sign+mantissa bits of every row.
std::vector<ReportEntry> run_report(const std::string& name, const Input& input,
                                    const std::vector<Method>& methods,
                                    const MethodOptions& options);

ReportFormat parse_report_format(const std::string& text);
std::string format_report(const std::vector<ReportEntry>& entries, ReportFormat format);

// The encodable result with the smallest row width (ties: the earlier one).
const ReportEntry* best_encodable(const std::vector<ReportEntry>& entries);

}  // namespace embzip
