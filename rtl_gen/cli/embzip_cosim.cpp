// SPDX-License-Identifier: MIT
// embzip-cosim: co-simulates the generated decoder of any coded table. The code tables are
// baked into the Verilog, so the model is verilated per code: RTL and model (a shared object
// holding only the Verilated decoder and its port adapter, tb/dut_model.cpp) are built once into
// CACHE/<key> (key: code, decoder options, trace kind, adapter sources) and loaded with dlopen;
// the checks (tb/cosim.cpp) are compiled with everything else by CMake.
#include <dlfcn.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cosim.hpp"
#include "embzip/coded_store.hpp"
#include "embzip/errors.hpp"
#include "embzip/rtl/generator.hpp"
#include "embzip/rtl/model_build.hpp"
#include "options.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace embzip;
using namespace embzip::rtl;

int main(int argc, char** argv) {
    try {
        po::options_description d("embzip-cosim options");
        d.add_options()("in,i", po::value<std::string>()->required(),
                        "DIR with table.ezt (from 'embzip encode')")(
            "rows,n", po::value<uint64_t>()->default_value(1000), "rows to co-simulate")(
            "first", po::value<uint64_t>()->default_value(0), "first row")(
            "trace", po::value<std::string>(), "waveform file: .fst for FST, anything else VCD")(
            "stalls", po::bool_switch(), "random in_valid/out_ready (checks data, not cycles)")(
            "corrupt", po::bool_switch(),
            "flip bits in every third row: out_err must match the library")(
            "seed", po::value<uint64_t>()->default_value(1), "seed for --stalls and --corrupt")(
            "cache", po::value<std::string>(),
            "model cache (default $EMBZIP_COSIM_CACHE or ~/.cache/embzip-cosim)")(
            "jobs,j", po::value<unsigned>()->default_value(2),
            "parallel compile jobs for a model build")("build-only", po::bool_switch(),
                                                       "build (or find) the cached model and stop")(
            "verbose,v", po::bool_switch(), "show the verilator command and its output")(
            "prefix", po::value<std::string>()->default_value(kDefaultPrefix),
            "module name prefix of the decoder")(
            "companion", po::value<std::vector<std::string>>(),
            "RTL_DIR of another decoder (embzip-rtl, another --prefix) to put in the same netlist, "
            "idle; repeatable")(
            "programmable", po::bool_switch(),
            "co-simulate the programmable decoder, the code loaded through its configuration port")(
            "reload", po::value<std::string>(),
            "programmable: then load this coded table's code into the same netlist, without a "
            "reset, and co-simulate its rows");
        add_decoder_options(d);
        add_programmable_options(d);
        d.add_options()("version", "show the version")("help,h", "show this help");
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
        if (vm.count("help")) {
            std::cout << "usage: embzip-cosim --in DIR --rows N [--arch canonical|lut|chain] [-S "
                         "S] [-B B] [--bus-bits N] "
                         "[--trace FILE]\n\n"
                      << d;
            return 0;
        }
        if (print_version(vm, "embzip-cosim")) return 0;
        po::notify(vm);
        const bool programmable = vm["programmable"].as<bool>();
        if (vm.count("reload") && !programmable) throw InputError("--reload needs --programmable");
        ProgParams params;
        if (programmable) params = programmable_params(vm);
        const DecoderConfig config =
            programmable ? prog_decoder_config(params) : decoder_config(vm);
        RtlOptions options;
        options.prefix = vm["prefix"].as<std::string>();
        options.speculative = vm["speculative"].as<bool>();
        options.row_store = parse_row_store(vm["row-store"].as<std::string>());
        check_options(options);
        if (programmable && options.row_store != RowStore::Shift)
            throw InputError(
                "--row-store: the programmable decoder has its own row store "
                "(words in place, refills shifted); use a baked design");
        const std::string in = vm["in"].as<std::string>();
        const auto store = CodedStore::open_path(in);
        const CodedTable& table = store->table();
        const RtlCode code = rtl_code_of(table);
        check_supported(code, config);
        // Programmable: each table's code as configuration writes (refused before any build if it
        // does not fit the design).
        std::vector<std::pair<uint32_t, uint32_t>> image, reload_image;
        CodedTable reload_table;
        auto writes = [&params](const RtlCode& c) {
            std::vector<std::pair<uint32_t, uint32_t>> w;
            for (const ConfigWrite& x : config_image(c, params)) w.emplace_back(x.addr, x.data);
            return w;
        };
        if (programmable) image = writes(code);
        if (vm.count("reload")) {
            const std::string r = vm["reload"].as<std::string>();
            reload_table = CodedStore::open_path(r)->table();
            const RtlCode reload_code = rtl_code_of(reload_table);
            check_supported(reload_code, config);
            reload_image = writes(reload_code);
        }
        std::string trace, trace_kind = "none";
        if (vm.count("trace")) {
            trace = fs::absolute(vm["trace"].as<std::string>()).string();
            trace_kind = fs::path(trace).extension() == ".fst" ? "fst" : "vcd";
        }
        ModelBuild spec = programmable ? model_spec(Adapter::Cosim,
                                                    "prog-k" + std::to_string(params.books) + "-l" +
                                                        std::to_string(params.max_code_len) + "-n" +
                                                        std::to_string(params.bus_bits))
                                       : model_spec(Adapter::Cosim, code, config);
        spec.cache = vm.count("cache") ? vm["cache"].as<std::string>()
                                       : default_model_cache("EMBZIP_COSIM_CACHE", "embzip-cosim");
        spec.key += "-" + trace_kind;
        if (trace_kind == "vcd") spec.extra_flags = {"--trace"};
        if (trace_kind == "fst") spec.extra_flags = {"--trace-fst"};
        spec.jobs = vm["jobs"].as<unsigned>();
        spec.verbose = vm["verbose"].as<bool>();
        spec.tool = "embzip-cosim";
        GeneratedRtl rtl = programmable ? generate_programmable(params, options)
                                        : generate_decoder(code, config, nullptr, options);
        if (vm.count("companion"))
            rtl = with_companions(rtl, vm["companion"].as<std::vector<std::string>>());
        const std::string model = build_model(rtl, spec);
        if (vm["build-only"].as<bool>()) {
            std::cout << "model: " << model << "\n";
            return 0;
        }
        void* so = nullptr;
        const auto make =
            reinterpret_cast<MakeDutFn>(load_model_symbol(model, kMakeDutSymbol, &so));
        CosimOptions opt;
        opt.rows = vm["rows"].as<uint64_t>();
        opt.first_row = vm["first"].as<uint64_t>();
        opt.seed = vm["seed"].as<uint64_t>();
        opt.stalls = vm["stalls"].as<bool>();
        opt.corrupt = vm["corrupt"].as<bool>();
        opt.config = image;
        CosimResult result, reload_result;
        CosimOptions reload_opt = opt;
        reload_opt.reset = false;  // the same netlist, mid-run: only new configuration writes
        reload_opt.config = reload_image;
        {
            std::unique_ptr<IDecoderDut> dut(make(trace.c_str()));
            result = run_cosim(*dut, table, config, opt);
            if (result.ok && vm.count("reload"))
                reload_result = run_cosim(*dut, reload_table, config, reload_opt);
        }  // closes the trace before the library goes
        dlclose(so);
        const std::string line = cosim_summary(result, config, opt);
        (result.ok ? std::cout : std::cerr) << line << "\n";
        bool ok = result.ok;
        if (result.ok && vm.count("reload")) {
            const std::string second = cosim_summary(reload_result, config, reload_opt);
            (reload_result.ok ? std::cout : std::cerr) << "reloaded: " << second << "\n";
            ok = reload_result.ok;
        }
        if (!trace.empty()) std::cout << "waveform: " << trace << "\n";
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "embzip-cosim: " << e.what() << "\n";
        return 1;
    }
}
