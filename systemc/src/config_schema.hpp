// SPDX-License-Identifier: MIT
// The machinery under the config schema (config.cpp: the single-table sections; config_tiers.cpp:
// tables, tiers and placement): leaf readers with ranges, and the two visitors that every
// `schema(v, section)` function is run with, Reader (from_json) and Writer (to_json, defaults).
// Internal to the simulator library.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "embzip_sim/config_error.hpp"
#include "embzip_sim/model.hpp"

namespace embzip::sim::config_schema {

using nlohmann::json;

inline std::string show(const json& v) { return v.dump(); }

// ---- leaves ----------------------------------------------------------------------------------

// Required: no default. Derived: the default depends on other keys (README says on which); the
// defaults tree shows both as null.
enum class Need { Optional, Required, Derived };
struct NoRange {};
struct Ints {
    int64_t lo, hi;
};
struct Reals {
    double lo, hi;
    bool lo_open = true, hi_open = false;
};

template <class E>
std::vector<std::string> enum_names() {
    // The macro maps an out-of-range value to the first name, so the walk stops at a repeat.
    std::vector<std::string> names;
    for (int i = 0; i < 64; ++i) {
        const json j = static_cast<E>(i);
        if (!j.is_string()) break;
        const std::string n = j.get<std::string>();
        if (std::find(names.begin(), names.end(), n) != names.end()) break;
        names.push_back(n);
    }
    return names;
}

inline std::string one_of(const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size(); ++i)
        s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    return s;
}

[[noreturn]] inline void bad(const std::string& what) { throw ConfigError("", what); }

// Integers: JSON integers, or floats with an integral value; the range is checked on the value
// as read, before any conversion, so no value can overflow a field (1e30, -1, 2^64).
template <class T>
inline void read_int(const json& v, T& out, Ints r) {
    if (static_cast<uint64_t>(std::numeric_limits<T>::max()) < static_cast<uint64_t>(r.hi))
        r.hi = static_cast<int64_t>(std::numeric_limits<T>::max());
    const auto below = [&] { bad("must be >= " + std::to_string(r.lo) + ", got " + show(v)); };
    const auto above = [&] { bad("must be <= " + std::to_string(r.hi) + ", got " + show(v)); };
    int64_t x = 0;
    if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(r.hi)) above();
        x = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
        x = v.get<int64_t>();
    } else if (v.is_number_float()) {
        const double d = v.get<double>();
        if (!std::isfinite(d) || std::floor(d) != d) bad("must be an integer, got " + show(v));
        if (d < static_cast<double>(r.lo)) below();
        if (d > static_cast<double>(r.hi)) above();
        x = static_cast<int64_t>(d);
    } else {
        bad("must be an integer, got " + show(v));
    }
    if (x < r.lo) below();
    if (x > r.hi) above();
    out = static_cast<T>(x);
}

inline std::string num_text(double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
}

inline void read_real(const json& v, double& out, Reals r) {
    if (!v.is_number()) bad("must be a number, got " + show(v));
    const double d = v.get<double>();
    if (!std::isfinite(d)) bad("must be a finite number, got " + show(v));
    if (r.lo_open ? !(d > r.lo) : !(d >= r.lo))
        bad(std::string("must be ") + (r.lo_open ? "> " : ">= ") + num_text(r.lo) + ", got " +
            show(v));
    if (r.hi_open ? !(d < r.hi) : !(d <= r.hi))
        bad(std::string("must be ") + (r.hi_open ? "< " : "<= ") + num_text(r.hi) + ", got " +
            show(v));
    out = d;
}

inline const char* pitch_name(PitchSpec::Kind k) {
    switch (k) {
        case PitchSpec::Kind::File:
            return "file";
        case PitchSpec::Kind::Packed:
            return "packed";
        case PitchSpec::Kind::Byte:
            return "byte";
        case PitchSpec::Kind::Burst:
            return "burst";
        case PitchSpec::Kind::Bits:
            break;
    }
    return "bits";
}

inline constexpr int64_t kMaxPitchBits = int64_t(1) << 24;

inline void read_pitch(const json& v, PitchSpec& out) {
    if (v.is_number()) {
        out.kind = PitchSpec::Kind::Bits;
        read_int(v, out.bits, Ints{1, kMaxPitchBits});
        return;
    }
    for (auto k : {PitchSpec::Kind::File, PitchSpec::Kind::Packed, PitchSpec::Kind::Byte,
                   PitchSpec::Kind::Burst})
        if (v.is_string() && v.get<std::string>() == pitch_name(k)) {
            out = PitchSpec{k, 0};
            return;
        }
    bad("must be file, packed, byte, burst or a bit count, got " + show(v));
}

inline json pitch_json(const PitchSpec& p) {
    return p.kind == PitchSpec::Kind::Bits ? json(p.bits) : json(pitch_name(p.kind));
}

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T, class R>
inline void read_leaf(const json& v, T& out, R range) {
    if constexpr (IsOptional<T>::value) {
        typename T::value_type x{};
        read_leaf(v, x, range);
        out = x;
    } else if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_boolean()) bad("must be true or false, got " + show(v));
        out = v.get<bool>();
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string()) bad("must be a string, got " + show(v));
        out = v.get<std::string>();
    } else if constexpr (std::is_same_v<T, json>) {
        out = v;  // passed on whole to a section that checks it
    } else if constexpr (std::is_same_v<T, PitchSpec>) {
        read_pitch(v, out);
    } else if constexpr (std::is_enum_v<T>) {
        const T e = v.is_string() ? v.get<T>() : T{};
        if (!v.is_string() || json(e) != v)
            bad("must be " + one_of(enum_names<T>()) + ", got " + show(v));
        out = e;
    } else if constexpr (std::is_same_v<T, double>) {
        if constexpr (std::is_same_v<R, Reals>)
            read_real(v, out, range);
        else
            read_real(v, out,
                      Reals{-std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
                            false});
    } else {
        static_assert(std::is_integral_v<T>, "unsupported config field type");
        if constexpr (std::is_same_v<R, Ints>)
            read_int(v, out, range);
        else
            read_int(v, out, Ints{0, std::numeric_limits<int64_t>::max()});
    }
}

template <class T>
inline json leaf_json(const T& x) {
    if constexpr (IsOptional<T>::value)
        return x ? leaf_json(*x) : json();
    else if constexpr (std::is_same_v<T, PitchSpec>)
        return pitch_json(x);
    else
        return json(x);
}

// ---- visitors over the schema ------------------------------------------------------------------

// Reads one JSON object. Remembers which keys the schema asked for; done() rejects the rest.
class Reader {
  public:
    explicit Reader(const json& j) : m_j(j) {
        if (!j.is_object()) bad("must be an object, got " + show(j));
    }
    template <class T, class R = NoRange>
    void operator()(const char* key, T& field, R range = {}, Need need = Need::Optional) {
        const json* v = find(key, need);
        if (!v) return;
        try {
            read_leaf(*v, field, range);
        } catch (const ConfigError& e) {
            throw e.under(key);
        }
    }
    template <class T>
    void object(const char* key, T& field, Need need = Need::Optional) {
        const json* v = find(key, need);
        if (!v) return;
        try {
            from_json(*v, field);
        } catch (const ConfigError& e) {
            throw e.under(key);
        }
    }
    template <class T>
    void object(const char* key, std::optional<T>& field, Need need = Need::Optional) {
        const json* v = find(key, need);
        if (!v) return;
        field.emplace();
        try {
            from_json(*v, *field);
        } catch (const ConfigError& e) {
            throw e.under(key);
        }
    }
    bool given(const char* key) const { return m_j.contains(key); }
    void done() const {
        for (auto it = m_j.begin(); it != m_j.end(); ++it)
            if (!m_used.count(it.key())) throw ConfigError(it.key(), "unknown key");
    }

  private:
    const json* find(const char* key, Need need) {
        m_used.insert(key);
        const auto it = m_j.find(key);
        if (it != m_j.end()) return &*it;
        if (need == Need::Required) throw ConfigError(key, "missing");
        return nullptr;
    }
    const json& m_j;
    std::set<std::string> m_used;
};

// Writes every key. With `defaults`, keys without a fixed default are null.
class Writer {
  public:
    Writer(json& j, bool defaults) : m_j(j), m_defaults(defaults) { m_j = json::object(); }
    template <class T, class R = NoRange>
    void operator()(const char* key, T& field, R = {}, Need need = Need::Optional) {
        if constexpr (IsOptional<T>::value)
            if (!m_defaults && !field) return;  // an absent optional key stays absent
        m_j[key] = m_defaults && need != Need::Optional ? json() : leaf_json(field);
    }
    template <class T>
    void object(const char* key, T& field, Need = Need::Optional);
    template <class T>
    void object(const char* key, std::optional<T>& field, Need = Need::Optional) {
        if (m_defaults) {
            T x{};
            Writer sub(m_j[key], true);
            schema(sub, x);
        } else if (field) {
            m_j[key] = *field;
        }
    }

  private:
    json& m_j;
    bool m_defaults;
};

template <class T>
void Writer::object(const char* key, T& field, Need) {
    if (m_defaults) {
        Writer sub(m_j[key], true);
        schema(sub, field);
    } else {
        m_j[key] = field;  // the section's to_json, which may drop keys that do not apply
    }
}

// Reads a section and hands the reader (for given()) to the section's cross-key checks.
template <class T, class Check>
inline void read_checked(const json& j, T& c, Check check) {
    Reader r(j);
    schema(r, c);
    r.done();
    check(r);
}

template <class T>
inline void write(json& j, const T& c) {
    T copy = c;
    Writer w(j, false);
    schema(w, copy);
}

}  // namespace embzip::sim::config_schema
