// SPDX-License-Identifier: MIT
// embzip-rtl: code.json -> synthesizable Verilog-2005 row decoder + manifest.json.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "embzip/coded_store.hpp"
#include "embzip/errors.hpp"
#include "embzip/rtl/generator.hpp"
#include "options.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace embzip;
using namespace embzip::rtl;

int main(int argc, char** argv) {
    try {
        po::options_description d("embzip-rtl options");
        d.add_options()("code,c", po::value<std::string>()->required(), "DIR/code.json written by 'embzip encode'")(
            "out,o", po::value<std::string>()->required(), "output directory for the Verilog and manifest.json")(
            "table", po::value<std::string>(),
            "coded table for the manifest's measured timing (default: table.ezt next to code.json, if any)")(
            "stats-rows", po::value<uint64_t>()->default_value(50000), "rows of the table to time for the manifest");
        add_decoder_options(d);
        d.add_options()("help,h", "show this help");
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
        if (vm.count("help")) {
            std::cout << "usage: embzip-rtl --code DIR/code.json --out RTL_DIR [--arch canonical|lut|chain] "
                         "[--symbols-per-cycle S] [--lut-bits B] [--bus-bits N]\n\n"
                      << d;
            return 0;
        }
        po::notify(vm);
        const DecoderConfig config = decoder_config(vm);
        const std::string code_path = vm["code"].as<std::string>();
        const RtlCode code = read_code_json(code_path);
        check_supported(code, config);

        // The table next to code.json is opened as a whole directory: CodedStore checks that
        // the two describe the same code.
        std::shared_ptr<const CodedStore> store;
        const fs::path code_dir = fs::path(code_path).has_parent_path() ? fs::path(code_path).parent_path() : ".";
        std::string table_path = CodedStore::table_path(code_dir.string());
        if (vm.count("table")) {
            table_path = vm["table"].as<std::string>();
            store = fs::is_directory(table_path) ? CodedStore::open(table_path)
                                                 : CodedStore::adopt(read_ezt(table_path));
        } else if (fs::exists(table_path)) {
            store = CodedStore::open(code_dir.string());
        }
        TableTiming stats;
        const TableTiming* stats_ptr = nullptr;
        if (store) {
            if (code_hash(rtl_code_of(store->table())) != code_hash(code))
                throw InputError(table_path + " is not coded with " + code_path);
            stats = table_timing(store->table(), config, vm["stats-rows"].as<uint64_t>());
            stats_ptr = &stats;
        }
        const GeneratedRtl rtl = generate_decoder(code, config, stats_ptr);
        const std::string out = vm["out"].as<std::string>();
        write_rtl(out, rtl);
        const RtlDims dims = rtl_dims(code, config);
        std::cout << out << ": " << decoder_arch_name(config.arch) << " decoder, S=" << config.symbols_per_cycle;
        if (config.arch != DecoderArch::Canonical) std::cout << " B=" << config.lut_bits;
        std::cout << " bus=" << config.bus_bits << ", " << dims.books << " book(s), codes up to " << dims.max_len
                  << " bits, code " << hex64(code_hash(code));
        if (stats_ptr)
            std::cout << "; " << stats.rows << " rows: latency " << stats.min_latency << ".." << stats.max_latency
                      << " cycles (mean " << stats.mean_latency << "), " << stats.decoded_bits_per_cycle
                      << " decoded bits/cycle";
        std::cout << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "embzip-rtl: " << e.what() << "\n";
        return 1;
    }
}
