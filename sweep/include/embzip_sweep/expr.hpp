// SPDX-License-Identifier: MIT
// A small, safe expression language for sweep filters and derived keys: numbers, "strings",
// names (resolved by the caller), + - * /, comparisons, and/or/not, and min max floor ceil log2.
// Parsed once into a tree; evaluation never executes anything but arithmetic.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace embzip::sweep {

// A value is a number or a string; booleans are the numbers 0 and 1.
using Value = std::variant<double, std::string>;

class Expr {
  public:
    // @throws InputError "<what>: <message> at column N" on a syntax error.
    static Expr parse(const std::string& text, const std::string& what);
    // Every name the expression reads, in order of first use.
    const std::vector<std::string>& names() const { return m_names; }
    // @throws InputError on a type error (arithmetic on a string, unknown name, division by 0).
    Value eval(const std::function<Value(const std::string&)>& lookup) const;
    // eval() as a condition: non-zero number or non-empty string.
    bool test(const std::function<Value(const std::string&)>& lookup) const;
    const std::string& text() const { return m_text; }

    struct Node;

  private:
    std::shared_ptr<const Node> m_root;
    std::vector<std::string> m_names;
    std::string m_text;
    std::string m_what;
};

}  // namespace embzip::sweep
