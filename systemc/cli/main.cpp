// SPDX-License-Identifier: MIT
// embzip-sim: thin command-line front end over the SystemC model.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <systemc>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip_sim/memory_run.hpp"
#include "embzip_sim/simulate.hpp"

namespace po = boost::program_options;
using namespace embzip;
using namespace embzip::sim;

int sc_main(int argc, char* argv[]) {
    po::options_description d(
        "usage: embzip-sim --config sim_configs/X.json [--set key=value ...] [--out results.json]\n"
        "Simulates the compressed table and the plain table on the same lookup stream and memory");
    d.add_options()("help,h", "this help")("version", "print the version and exit")(
        "config,c", po::value<std::string>(), "top config (JSON)")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override a config key: --set decoder.lanes=8")("out,o", po::value<std::string>(),
                                                        "results JSON (written atomically)")(
        "trace", po::value<std::string>(), "VCD waveform of queues and handshakes")(
        "print-config", po::bool_switch(),
        "print the resolved config, every default filled in, and exit (without --config: every "
        "key's default, null where a key is required or derived from others)")(
        "no-baseline", po::bool_switch(), "skip the plain-table simulation")(
        "memory-only", po::bool_switch(),
        "run the lookup stream through the memory alone (closed loop, no decoder): bandwidth, "
        "latency, commands, energy; the mode scripts/compare_dramsim3.sh compares with DRAMsim3")(
        "bench", po::bool_switch(), "print simulation speed (lookups per wall second)")(
        "quiet,q", po::bool_switch(), "no progress on stderr; with --bench, the speed line alone");
    try {
        po::variables_map vm;
        po::store(po::parse_command_line(argc, argv, d), vm);
        if (vm.count("help")) {
            std::cout << d << "\n";
            return 0;
        }
        if (vm.count("version")) {
            std::cout << "embzip-sim " << EMBZIP_VERSION << "\n";
            return 0;
        }
        po::notify(vm);
        const bool quiet = vm["quiet"].as<bool>(), bench = vm["bench"].as<bool>();
        if (!vm.count("config")) {
            if (vm["print-config"].as<bool>()) {
                std::cout << default_config_json().dump(2) << "\n";
                return 0;
            }
            throw InputError("--config is required (see --help)");
        }
        const std::vector<std::string> sets =
            vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
        nlohmann::json tree = load_config_tree(vm["config"].as<std::string>(), sets);
        if (vm["no-baseline"].as<bool>()) tree["baseline"]["enabled"] = false;
        const SimConfig config = parse_config(tree);
        if (vm["print-config"].as<bool>()) {
            std::cout << resolved_config_json(config, tree).dump(2) << "\n";
            return 0;
        }
        // Output locations before the simulation, so a bad one fails at once.
        if (vm.count("out")) check_output_file("--out", vm["out"].as<std::string>());
        if (vm.count("trace"))
            check_output_file("--trace", vcd_file_name(vm["trace"].as<std::string>()));
        if (vm["memory-only"].as<bool>()) {
            const MemoryRunResult m = run_memory_only(config);
            nlohmann::json j = to_json(m);
            if (!(quiet && bench)) std::cout << j.dump(2) << "\n";
            if (vm.count("out")) {
                j["config"] = config;
                write_file_atomic(vm["out"].as<std::string>(), j.dump(2) + "\n");
            }
            return 0;
        }
        RunOptions o;
        o.progress = !quiet;
        if (vm.count("trace")) o.trace_path = vm["trace"].as<std::string>();
        const SimResult r = simulate(config, o);
        if (!(quiet && bench)) std::cout << summary_text(r);
        if (bench) {
            const uint64_t n = r.compressed.lookups + (r.baseline ? r.baseline->lookups : 0) +
                               (r.baseline_burst ? r.baseline_burst->lookups : 0);
            std::printf(
                "bench: %llu simulated lookups in %.3f s wall = %.0f lookups per wall second "
                "(setup %.3f s; after it, %.0f per second)\n",
                static_cast<unsigned long long>(n), r.wall_s, n / r.wall_s, r.setup_s,
                n / std::max(r.wall_s - r.setup_s, 1e-9));
        }
        if (vm.count("out")) {
            nlohmann::json j = to_json(r);
            j["config"] = resolved_config_json(config, tree);  // resolved: every default filled in
            write_file_atomic(vm["out"].as<std::string>(), j.dump(2) + "\n");
        }
        return 0;
    } catch (const po::error& e) {
        std::fprintf(stderr, "embzip-sim: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "embzip-sim: %s\n", e.what());
        return 1;
    }
}

// Our own main, only to silence SystemC's banner (printed before sc_main runs) so that stdout
// holds the summary alone; everything else is SystemC's usual start-up.
int main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    return sc_core::sc_elab_and_sim(argc, argv);
}
