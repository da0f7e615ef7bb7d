// SPDX-License-Identifier: MIT
// embzip-rtl: code.json -> synthesizable Verilog-2005 row decoder + manifest.json.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "embzip/coded_store.hpp"
#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/rtl/generator.hpp"
#include "options.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace embzip;
using namespace embzip::rtl;

namespace {

// The coded table whose timing goes into the manifest: --table (a directory or a .ezt file), or
// else the directory holding code.json when it has a table (opened as a whole directory:
// CodedStore checks the pair). Null when there is none. @throws InputError when the table is
// not coded with `code`.
std::shared_ptr<const CodedStore> table_beside(const std::string& code_path,
                                               const po::variables_map& vm, std::string& table_path,
                                               const RtlCode& code) {
    const fs::path code_dir =
        fs::path(code_path).has_parent_path() ? fs::path(code_path).parent_path() : ".";
    table_path = CodedStore::table_path(code_dir.string());
    std::shared_ptr<const CodedStore> store;
    if (vm.count("table")) {
        table_path = vm["table"].as<std::string>();
        store = CodedStore::open_path(table_path);
    } else if (fs::exists(table_path)) {
        store = CodedStore::open(code_dir.string());
    }
    if (store && code_hash(rtl_code_of(store->table())) != code_hash(code))
        throw InputError(table_path + " is not coded with " + code_path);
    return store;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        po::options_description d("embzip-rtl options");
        d.add_options()("code,c", po::value<std::string>(),
                        "DIR/code.json written by 'embzip encode'")(
            "out,o", po::value<std::string>(),
            "output directory for the Verilog and manifest.json (--config-image: the image file)")(
            "programmable", po::bool_switch(),
            "generate the programmable decoder (code books in registers; no --code)")(
            "config-image", po::value<std::string>(),
            "RTL_DIR of a programmable design: write --code's configuration image to --out")(
            "table", po::value<std::string>(),
            "coded table for the manifest's measured timing (default: table.ezt next to code.json, "
            "if any)")("stats-rows", po::value<uint64_t>()->default_value(50000),
                       "rows of the table to time for the manifest")(
            "prefix", po::value<std::string>()->default_value(kDefaultPrefix),
            "module and file name prefix (PREFIXdecoder ...): one per code in a chip")(
            "clock-mhz", po::value<double>()->default_value(RtlOptions{}.clock_mhz),
            "clock of the generated SDC constraints, MHz");
        add_decoder_options(d);
        add_programmable_options(d);
        d.add_options()("version", "show the version")("help,h", "show this help");
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
        if (vm.count("help")) {
            std::cout
                << "usage: embzip-rtl --code DIR/code.json --out RTL_DIR [--arch "
                   "canonical|lut|chain] "
                   "[--symbols-per-cycle S] [--lut-bits B] [--bus-bits N] [--prefix P] "
                   "[--clock-mhz F]\n"
                   "       embzip-rtl --programmable --out RTL_DIR [--books K] [--max-code-len L] "
                   "[--max-pitch-bits P] ...\n"
                   "       embzip-rtl --config-image RTL_DIR --code DIR/code.json --out "
                   "IMAGE.txt\n\n"
                << d;
            return 0;
        }
        if (print_version(vm, "embzip-rtl")) return 0;
        po::notify(vm);
        const DecoderConfig config = decoder_config(vm);
        RtlOptions options;
        options.prefix = vm["prefix"].as<std::string>();
        options.clock_mhz = vm["clock-mhz"].as<double>();
        options.speculative = vm["speculative"].as<bool>();
        options.row_store = parse_row_store(vm["row-store"].as<std::string>());
        check_options(options);
        if (!vm.count("out")) throw InputError("--out is required");
        const std::string out_path = vm["out"].as<std::string>();
        if (vm["programmable"].as<bool>()) {
            if (options.row_store != RowStore::Shift)
                throw InputError(
                    "--row-store: the programmable decoder has its own row store "
                    "(words in place, refills shifted); use a baked design");
            const ProgParams params = programmable_params(vm);
            GeneratedRtl rtl = generate_programmable(params, options);
            // With --code: the manifest gets that code's timing over its table, as a baked
            // design's does (the code must fit the design).
            if (vm.count("code")) {
                const std::string cp = vm["code"].as<std::string>();
                const RtlCode c = read_code_json(cp);
                config_image(c, params);
                std::string table_path;
                if (const auto store = table_beside(cp, vm, table_path, c)) {
                    const TableTiming t = table_timing(store->table(), prog_decoder_config(params),
                                                       vm["stats-rows"].as<uint64_t>());
                    auto m = nlohmann::ordered_json::parse(rtl.manifest);
                    m["table"] = {{"code_hash", hex64(code_hash(c))},
                                  {"rows", t.rows},
                                  {"latency_min", t.min_latency},
                                  {"latency_max", t.max_latency},
                                  {"latency_mean", t.mean_latency},
                                  {"decoded_bits_per_cycle", t.decoded_bits_per_cycle},
                                  {"row_interval_mean", t.mean_row_interval},
                                  {"rows_per_cycle", t.rows_per_cycle},
                                  {"lane_bits_per_cycle", t.lane_bits_per_cycle}};
                    rtl.manifest = m.dump(2) + "\n";
                }
            }
            write_rtl(out_path, rtl);
            std::cout << out_path << ": " << rtl.top
                      << ", programmable canonical decoder: " << params.books
                      << " book(s), codes up to " << params.max_code_len << " bits, rows up to "
                      << params.max_pitch_bits << " bits and " << params.max_symbols_per_row
                      << " symbols, bus " << params.bus_bits << ", configuration address "
                      << prog_map(params).addr_bits << " bits\n";
            return 0;
        }
        if (!vm.count("code")) throw InputError("--code is required");
        const std::string code_path = vm["code"].as<std::string>();
        if (vm.count("config-image")) {
            const ProgParams params = read_prog_manifest(vm["config-image"].as<std::string>());
            const RtlCode image_code = read_code_json(code_path);
            const std::vector<ConfigWrite> writes = config_image(image_code, params);
            write_file_atomic(out_path, config_image_text(writes, image_code));
            std::cout << out_path << ": " << writes.size() << " configuration writes for code "
                      << hex64(code_hash(image_code)) << "\n";
            return 0;
        }
        const RtlCode code = read_code_json(code_path);
        check_supported(code, config);

        std::string table_path;
        const auto store = table_beside(code_path, vm, table_path, code);
        TableTiming stats;
        const TableTiming* stats_ptr = nullptr;
        if (store) {
            stats = table_timing(store->table(), config, vm["stats-rows"].as<uint64_t>());
            stats_ptr = &stats;
        }
        const GeneratedRtl rtl = generate_decoder(code, config, stats_ptr, options);
        const std::string& out = out_path;
        write_rtl(out, rtl);
        const RtlDims dims = rtl_dims(code, config);
        std::cout << out << ": " << rtl.top << ", " << decoder_arch_name(config.arch)
                  << " decoder, S=" << config.symbols_per_cycle;
        if (config.arch != DecoderArch::Canonical) std::cout << " B=" << config.lut_bits;
        std::cout << " bus=" << config.bus_bits << (config.overlap ? " overlap" : "") << ", "
                  << dims.books << " book(s), codes up to " << dims.max_len << " bits, code "
                  << hex64(code_hash(code));
        if (stats_ptr)
            std::cout << "; " << stats.rows << " rows: latency " << stats.min_latency << ".."
                      << stats.max_latency << " cycles (mean " << stats.mean_latency << "), "
                      << stats.decoded_bits_per_cycle << " decoded bits/cycle; a busy lane "
                      << stats.rows_per_cycle << " rows/cycle (" << stats.lane_bits_per_cycle
                      << " bits/cycle)";
        std::cout << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "embzip-rtl: " << e.what() << "\n";
        return 1;
    }
}
