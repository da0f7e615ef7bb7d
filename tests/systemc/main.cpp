// SPDX-License-Identifier: MIT
// libsystemc supplies main(); the tests run from sc_main (as DRAMSys tests/main.cpp does).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <systemc>

int sc_main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    return Catch::Session().run(argc, argv);
}
