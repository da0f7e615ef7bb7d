// SPDX-License-Identifier: MIT
// The kernels' portable clones run on every machine the suite runs on only when asked: the
// baseline_isa ctest entries run the kernels' cases with EMBZIP_CPU=baseline. This case is
// hidden (only those entries name it) and fails if such a run did not take the portable clones.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "cpu_features.hpp"

using namespace embzip;

TEST_CASE("cpu features: EMBZIP_CPU=baseline turns every clone off", "[.][baseline]") {
    const char* v = std::getenv("EMBZIP_CPU");
    REQUIRE(v != nullptr);
    REQUIRE(std::string(v) == "baseline");
    CHECK_FALSE(detail::cpu_has_avx2());
    CHECK_FALSE(detail::cpu_has_bmi2());
}
