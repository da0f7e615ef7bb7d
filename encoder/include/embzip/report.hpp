// SPDX-License-Identifier: MIT
#pragma once
#include <string>
#include <vector>

#include "embzip/methods.hpp"

namespace embzip {

// One (table, method) result: what `embzip report` prints and later tools consume.
struct ReportEntry {
    std::string table;
    uint64_t rows = 0;
    uint32_t dim = 0;
    CodeResult result;
};

std::vector<ReportEntry> run_report(const std::string& name, const Table& table, const std::vector<Method>& methods,
                                    const MethodOptions& options);

enum class ReportFormat { Table, Json, Csv };
ReportFormat parse_report_format(const std::string& text);
std::string format_report(const std::vector<ReportEntry>& entries, ReportFormat format);

// The encodable result with the smallest row width (ties: the earlier one).
const ReportEntry* best_encodable(const std::vector<ReportEntry>& entries);

}  // namespace embzip
