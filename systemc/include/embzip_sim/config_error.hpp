// SPDX-License-Identifier: MIT
#pragma once
#include <string>

#include "embzip/errors.hpp"

namespace embzip::sim {

// A bad configuration key. `path` is relative to where the check ran ("timing.tRCD"); each
// enclosing section prefixes its own name on the way out, so the user sees the whole path
// ("memory.timing.tRCD: must be >= 1, got 0") however deep the check sits.
class ConfigError : public InputError {
  public:
    ConfigError(std::string path, std::string detail)
        : InputError(path.empty() ? detail : path + ": " + detail),
          m_path(std::move(path)),
          m_detail(std::move(detail)) {}
    const std::string& path() const { return m_path; }
    const std::string& detail() const { return m_detail; }
    // The same error seen from the enclosing section `key`.
    ConfigError under(const std::string& key) const {
        return ConfigError(m_path.empty() ? key : key + "." + m_path, m_detail);
    }

  private:
    std::string m_path, m_detail;
};

}  // namespace embzip::sim
