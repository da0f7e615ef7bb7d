// SPDX-License-Identifier: MIT
#include "embzip/symbols.hpp"

#include "embzip/errors.hpp"

namespace embzip {

const char* split_name(Split split) { return split == Split::Twos ? "twos" : "sign_magnitude"; }

Split parse_split(const std::string& text) {
    if (text == "twos") return Split::Twos;
    if (text == "sign_magnitude") return Split::SignMagnitude;
    throw InputError("split must be twos or sign_magnitude, got '" + text + "'");
}

}  // namespace embzip
