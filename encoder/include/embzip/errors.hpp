// SPDX-License-Identifier: MIT
#pragma once
#include <stdexcept>
#include <string>

namespace embzip {

// Library code throws these for configuration and I/O problems; the CLI's main catches them,
// prints one line and exits non-zero. The decoder hot path returns a Status instead.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};
// The user asked for something that cannot work (bad option value, unsupported dtype).
class InputError : public Error {
  public:
    using Error::Error;
};
// A file is malformed, truncated or corrupted.
class FormatError : public Error {
  public:
    using Error::Error;
};
// The operating system refused a read or write.
class IoError : public Error {
  public:
    using Error::Error;
};

}  // namespace embzip
