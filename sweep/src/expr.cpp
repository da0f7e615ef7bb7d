// SPDX-License-Identifier: MIT
#include "embzip_sweep/expr.hpp"

#include <cctype>
#include <cmath>

#include "embzip/errors.hpp"

namespace embzip::sweep {

struct Expr::Node {
    enum class Kind { Number, String, Name, Unary, Binary, Call } kind;
    double number = 0;
    std::string text;  // string literal, name, operator or function name
    std::vector<std::shared_ptr<const Node>> args;
};

namespace {

using NodePtr = std::shared_ptr<const Expr::Node>;

struct Token {
    enum class Kind { Number, String, Name, Op, End } kind;
    std::string text;
    double number = 0;
    size_t column = 0;
};

std::vector<Token> tokenize(const std::string& s, const std::string& what) {
    std::vector<Token> out;
    size_t i = 0;
    auto fail = [&](const std::string& msg, size_t col) {
        throw InputError(what + ": " + msg + " at column " + std::to_string(col + 1) + " of '" + s +
                         "'");
    };
    while (i < s.size()) {
        const char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   (c == '.' && i + 1 < s.size() &&
                    std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
            size_t used = 0;
            const double v = std::stod(s.substr(i), &used);
            out.push_back({Token::Kind::Number, s.substr(i, used), v, i});
            i += used;
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            size_t j = i;
            while (j < s.size() &&
                   (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '.'))
                ++j;
            out.push_back({Token::Kind::Name, s.substr(i, j - i), 0, i});
            i = j;
        } else if (c == '"' || c == '\'') {
            const size_t end = s.find(c, i + 1);
            if (end == std::string::npos) fail("unterminated string", i);
            out.push_back({Token::Kind::String, s.substr(i + 1, end - i - 1), 0, i});
            i = end + 1;
        } else {
            static const char* kOps[] = {"<=", ">=", "==", "!=", "&&", "||", "<", ">",
                                         "+",  "-",  "*",  "/",  "(",  ")",  ",", "!"};
            bool found = false;
            for (const char* op : kOps) {
                const std::string o(op);
                if (s.compare(i, o.size(), o) == 0) {
                    out.push_back({Token::Kind::Op, o, 0, i});
                    i += o.size();
                    found = true;
                    break;
                }
            }
            if (!found) fail(std::string("unexpected '") + c + "'", i);
        }
    }
    out.push_back({Token::Kind::End, "", 0, s.size()});
    return out;
}

// Recursive descent, lowest precedence first: or, and, not, comparison, sum, product, unary.
class Parser {
  public:
    Parser(std::vector<Token> tokens, const std::string& text, const std::string& what,
           std::vector<std::string>& names)
        : m_tokens(std::move(tokens)), m_text(text), m_what(what), m_names(names) {}

    NodePtr parse_all() {
        NodePtr n = parse_or();
        if (peek().kind != Token::Kind::End) fail("unexpected '" + peek().text + "'");
        return n;
    }

  private:
    const Token& peek() const { return m_tokens[m_pos]; }
    bool accept(const std::string& op) {
        const Token& t = peek();
        if ((t.kind == Token::Kind::Op || t.kind == Token::Kind::Name) && t.text == op) {
            ++m_pos;
            return true;
        }
        return false;
    }
    [[noreturn]] void fail(const std::string& msg) const {
        throw InputError(m_what + ": " + msg + " at column " + std::to_string(peek().column + 1) +
                         " of '" + m_text + "'");
    }
    static NodePtr binary(const std::string& op, NodePtr a, NodePtr b) {
        auto n = std::make_shared<Expr::Node>();
        n->kind = Expr::Node::Kind::Binary;
        n->text = op;
        n->args = {std::move(a), std::move(b)};
        return n;
    }
    NodePtr parse_or() {
        NodePtr a = parse_and();
        while (accept("or") || accept("||")) a = binary("or", a, parse_and());
        return a;
    }
    NodePtr parse_and() {
        NodePtr a = parse_not();
        while (accept("and") || accept("&&")) a = binary("and", a, parse_not());
        return a;
    }
    NodePtr parse_not() {
        if (accept("not") || accept("!")) {
            auto n = std::make_shared<Expr::Node>();
            n->kind = Expr::Node::Kind::Unary;
            n->text = "not";
            n->args = {parse_not()};
            return n;
        }
        return parse_cmp();
    }
    NodePtr parse_cmp() {
        NodePtr a = parse_sum();
        for (const char* op : {"<=", ">=", "==", "!=", "<", ">"})
            if (accept(op)) return binary(op, a, parse_sum());
        return a;
    }
    NodePtr parse_sum() {
        NodePtr a = parse_product();
        for (;;) {
            if (accept("+"))
                a = binary("+", a, parse_product());
            else if (accept("-"))
                a = binary("-", a, parse_product());
            else
                return a;
        }
    }
    NodePtr parse_product() {
        NodePtr a = parse_unary();
        for (;;) {
            if (accept("*"))
                a = binary("*", a, parse_unary());
            else if (accept("/"))
                a = binary("/", a, parse_unary());
            else
                return a;
        }
    }
    NodePtr parse_unary() {
        if (accept("-")) {
            auto n = std::make_shared<Expr::Node>();
            n->kind = Expr::Node::Kind::Unary;
            n->text = "-";
            n->args = {parse_unary()};
            return n;
        }
        return parse_primary();
    }
    NodePtr parse_primary() {
        const Token t = peek();
        auto n = std::make_shared<Expr::Node>();
        if (t.kind == Token::Kind::Number) {
            ++m_pos;
            n->kind = Expr::Node::Kind::Number;
            n->number = t.number;
            return n;
        }
        if (t.kind == Token::Kind::String) {
            ++m_pos;
            n->kind = Expr::Node::Kind::String;
            n->text = t.text;
            return n;
        }
        if (accept("(")) {
            NodePtr inner = parse_or();
            if (!accept(")")) fail("expected ')'");
            return inner;
        }
        if (t.kind == Token::Kind::Name) {
            if (t.text == "and" || t.text == "or" || t.text == "not")
                fail("unexpected '" + t.text + "'");
            ++m_pos;
            if (accept("(")) {
                static const std::vector<std::string> kFunctions = {"min", "max", "floor", "ceil",
                                                                    "log2"};
                bool known = false;
                for (const auto& f : kFunctions) known = known || f == t.text;
                if (!known) fail("unknown function '" + t.text + "' (min, max, floor, ceil, log2)");
                n->kind = Expr::Node::Kind::Call;
                n->text = t.text;
                if (!accept(")")) {
                    do n->args.push_back(parse_or());
                    while (accept(","));
                    if (!accept(")")) fail("expected ')'");
                }
                const size_t want = (t.text == "min" || t.text == "max") ? 2 : 1;
                if (n->args.size() != want)
                    fail(t.text + " takes " + std::to_string(want) + " argument(s)");
                return n;
            }
            n->kind = Expr::Node::Kind::Name;
            n->text = t.text;
            bool seen = false;
            for (const auto& s : m_names) seen = seen || s == t.text;
            if (!seen) m_names.push_back(t.text);
            return n;
        }
        fail(t.kind == Token::Kind::End ? "unexpected end" : "unexpected '" + t.text + "'");
    }

    std::vector<Token> m_tokens;
    size_t m_pos = 0;
    const std::string& m_text;
    const std::string& m_what;
    std::vector<std::string>& m_names;
};

std::string show(const Value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return "\"" + *s + "\"";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", std::get<double>(v));
    return buf;
}

bool truthy(const Value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return !s->empty();
    return std::get<double>(v) != 0.0;
}

}  // namespace

Expr Expr::parse(const std::string& text, const std::string& what) {
    Expr e;
    e.m_text = text;
    e.m_what = what;
    Parser p(tokenize(text, what), e.m_text, e.m_what, e.m_names);
    e.m_root = p.parse_all();
    return e;
}

namespace {

Value eval_node(const Expr::Node& n, const std::function<Value(const std::string&)>& lookup,
                const std::string& what) {
    using Kind = Expr::Node::Kind;
    auto number = [&](const Value& v, const std::string& op) {
        if (const auto* d = std::get_if<double>(&v)) return *d;
        throw InputError(what + ": '" + op + "' needs a number, got " + show(v));
    };
    switch (n.kind) {
        case Kind::Number:
            return n.number;
        case Kind::String:
            return n.text;
        case Kind::Name:
            return lookup(n.text);
        case Kind::Unary: {
            const Value a = eval_node(*n.args[0], lookup, what);
            if (n.text == "not") return truthy(a) ? 0.0 : 1.0;
            return -number(a, "-");
        }
        case Kind::Call: {
            const double a = number(eval_node(*n.args[0], lookup, what), n.text);
            if (n.text == "floor") return std::floor(a);
            if (n.text == "ceil") return std::ceil(a);
            if (n.text == "log2") {
                if (a <= 0) throw InputError(what + ": log2 of " + show(a));
                return std::log2(a);
            }
            const double b = number(eval_node(*n.args[1], lookup, what), n.text);
            return n.text == "min" ? std::min(a, b) : std::max(a, b);
        }
        case Kind::Binary: {
            const std::string& op = n.text;
            if (op == "and") {
                return truthy(eval_node(*n.args[0], lookup, what)) &&
                               truthy(eval_node(*n.args[1], lookup, what))
                           ? 1.0
                           : 0.0;
            }
            if (op == "or") {
                return truthy(eval_node(*n.args[0], lookup, what)) ||
                               truthy(eval_node(*n.args[1], lookup, what))
                           ? 1.0
                           : 0.0;
            }
            const Value a = eval_node(*n.args[0], lookup, what);
            const Value b = eval_node(*n.args[1], lookup, what);
            if (op == "==" || op == "!=") {
                if (a.index() != b.index())
                    throw InputError(what + ": cannot compare " + show(a) + " with " + show(b));
                return ((a == b) == (op == "==")) ? 1.0 : 0.0;
            }
            if (op == "<" || op == "<=" || op == ">" || op == ">=") {
                if (a.index() != b.index())
                    throw InputError(what + ": cannot compare " + show(a) + " with " + show(b));
                const bool r = op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : a >= b;
                return r ? 1.0 : 0.0;
            }
            const double x = number(a, op), y = number(b, op);
            if (op == "+") return x + y;
            if (op == "-") return x - y;
            if (op == "*") return x * y;
            if (y == 0) throw InputError(what + ": division by zero");
            return x / y;
        }
    }
    throw InputError(what + ": bad expression");
}

}  // namespace

Value Expr::eval(const std::function<Value(const std::string&)>& lookup) const {
    return eval_node(*m_root, lookup, m_what);
}

bool Expr::test(const std::function<Value(const std::string&)>& lookup) const {
    return truthy(eval(lookup));
}

}  // namespace embzip::sweep
