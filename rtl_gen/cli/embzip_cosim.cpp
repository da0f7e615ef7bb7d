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
            "idle; repeatable");
        add_decoder_options(d);
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
        const DecoderConfig config = decoder_config(vm);
        RtlOptions options;
        options.prefix = vm["prefix"].as<std::string>();
        check_options(options);
        const std::string in = vm["in"].as<std::string>();
        const std::string ezt = fs::is_directory(in) ? (fs::path(in) / "table.ezt").string() : in;
        const CodedTable table = read_ezt(ezt);
        const RtlCode code = rtl_code_of(table);
        check_supported(code, config);
        std::string trace, trace_kind = "none";
        if (vm.count("trace")) {
            trace = fs::absolute(vm["trace"].as<std::string>()).string();
            trace_kind = fs::path(trace).extension() == ".fst" ? "fst" : "vcd";
        }
        ModelBuild spec = model_spec(Adapter::Cosim, code, config);
        spec.cache = vm.count("cache") ? vm["cache"].as<std::string>()
                                       : default_model_cache("EMBZIP_COSIM_CACHE", "embzip-cosim");
        spec.key += "-" + trace_kind;
        if (trace_kind == "vcd") spec.extra_flags = {"--trace"};
        if (trace_kind == "fst") spec.extra_flags = {"--trace-fst"};
        spec.jobs = vm["jobs"].as<unsigned>();
        spec.verbose = vm["verbose"].as<bool>();
        spec.tool = "embzip-cosim";
        GeneratedRtl rtl = generate_decoder(code, config, nullptr, options);
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
        CosimResult result;
        {
            std::unique_ptr<IDecoderDut> dut(make(trace.c_str()));
            result = run_cosim(*dut, table, config, opt);
        }  // closes the trace before the library goes
        dlclose(so);
        const std::string line = cosim_summary(result, config, opt);
        (result.ok ? std::cout : std::cerr) << line << "\n";
        if (!trace.empty()) std::cout << "waveform: " << trace << "\n";
        return result.ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "embzip-cosim: " << e.what() << "\n";
        return 1;
    }
}
