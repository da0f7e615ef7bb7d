// SPDX-License-Identifier: MIT
// Internal to the encoder library: the method implementations behind run_method.
#pragma once
#include <string>
#include <vector>

#include "embzip/methods.hpp"

namespace embzip::detail {

enum class OrderKey { Frequency, MaxCount };
const char* order_name(OrderKey key);
// Used symbols, most "important" first (ties by symbol value), so that shorter codes go first.
std::vector<uint8_t> symbol_order(const RowHistograms& hist, OrderKey key);

CodeResult run_sa8(const Table& table, const MethodOptions& options);
CodeResult run_nibble4(const Table& table, const MethodOptions& options);
CodeResult run_nibble4x2(const Table& table, const MethodOptions& options);

}  // namespace embzip::detail
