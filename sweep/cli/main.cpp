// SPDX-License-Identifier: MIT
// embzip-sweep: design-space sweeps from a JSON spec (thin CLI over embzip::sweep).
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "embzip/errors.hpp"
#include "embzip_sweep/runner.hpp"
#include "embzip_sweep/spec.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace embzip;
using namespace embzip::sweep;

namespace {

const char* kUsage =
    "usage: embzip-sweep SPEC.json --out DIR [-j N]          run the sweep (cached in DIR/cache)\n"
    "       embzip-sweep SPEC.json --out DIR --list          print the points, run nothing\n"
    "       embzip-sweep SPEC.json --out DIR --emit-slurm [--chunks K]   write DIR/sweep.sbatch\n"
    "       embzip-sweep --merge DIR                         merge a Slurm array's DIR/parts\n";

std::pair<size_t, size_t> parse_chunk(const std::string& text) {
    const size_t slash = text.find('/');
    try {
        if (slash != std::string::npos) {
            const size_t i = std::stoul(text.substr(0, slash)),
                         n = std::stoul(text.substr(slash + 1));
            if (n >= 1 && i < n) return {i, n};
        }
    } catch (const std::exception&) {
    }
    throw InputError("--chunk: expected INDEX/COUNT with INDEX < COUNT, got '" + text + "'");
}

}  // namespace

int main(int argc, char** argv) {
    try {
        po::options_description d("options");
        d.add_options()("help,h", "this help")("version", "print the version")(
            "spec", po::value<std::string>(), "sweep spec (JSON), e.g. sim_configs/sweeps/X.json")(
            "out,o", po::value<std::string>(), "output folder: results.jsonl, results.csv, cache/")(
            "jobs,j", po::value<unsigned>()->default_value(1), "points run in parallel")(
            "quiet,q", po::bool_switch(), "no progress on stderr")(
            "list", po::bool_switch(),
            "print the expanded points (one JSON object a line) and exit")(
            "emit-slurm", po::bool_switch(),
            "write DIR/sweep.sbatch (a job array) instead of running")(
            "chunks", po::value<size_t>()->default_value(4), "--emit-slurm: array tasks")(
            "cpus-per-task", po::value<unsigned>()->default_value(1),
            "--emit-slurm: cores per task")(
            "chunk", po::value<std::string>(),
            "run chunk I/N of the points (what an array task runs)")(
            "merge", po::value<std::string>(), "merge DIR/parts into DIR/results.{jsonl,csv}");
        po::positional_options_description pos;
        pos.add("spec", 1);
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(d).positional(pos).run(), vm);
        if (vm.count("help")) {
            std::cout << kUsage << "\n" << d << "\nSpec format: sweep/README.md\n";
            return 0;
        }
        if (vm.count("version")) {
            std::cout << "embzip-sweep " << EMBZIP_VERSION << "\n";
            return 0;
        }
        po::notify(vm);
        if (vm.count("merge")) {
            const size_t n = merge_parts(vm["merge"].as<std::string>());
            std::printf("merged %zu points into %s/results.jsonl and results.csv\n", n,
                        vm["merge"].as<std::string>().c_str());
            return 0;
        }
        if (!vm.count("spec")) throw InputError("a sweep spec is required (see --help)");
        const Spec spec = load_spec(vm["spec"].as<std::string>());
        if (vm["list"].as<bool>()) {
            for (const Point& p : spec.points) std::cout << p.settings.dump() << "\n";
            std::fprintf(stderr, "%zu points (%zu before the filter)\n", spec.points.size(),
                         spec.expanded);
            return 0;
        }
        if (!vm.count("out")) throw InputError("--out DIR is required (see --help)");
        const std::string out = vm["out"].as<std::string>();
        const Tools tools = Tools::locate(argv[0]);
        if (vm["emit-slurm"].as<bool>()) {
            const std::string self = fs::canonical("/proc/self/exe").string();
            const std::string path = emit_slurm(spec, tools, out, vm["chunks"].as<size_t>(), self,
                                                vm["cpus-per-task"].as<unsigned>());
            std::printf(
                "wrote %s (%zu points); submit with: sbatch %s; then: embzip-sweep --merge %s\n",
                path.c_str(), spec.points.size(), path.c_str(), out.c_str());
            return 0;
        }
        RunOptions o;
        o.out_dir = out;
        o.jobs = vm["jobs"].as<unsigned>();
        if (o.jobs < 1) throw InputError("--jobs must be >= 1");
        o.progress = !vm["quiet"].as<bool>();
        if (vm.count("chunk")) o.chunk = parse_chunk(vm["chunk"].as<std::string>());
        const RunSummary s = run_sweep(spec, tools, o);
        std::printf(
            "%s: %zu points, %zu ok, %zu failed; %zu steps run, %zu from cache; %.1f s -> %s\n",
            spec.name.c_str(), s.points, s.ok, s.failed, s.computed_steps, s.cached_steps, s.wall_s,
            (out + (o.chunk ? "/parts" : "/results.{jsonl,csv}")).c_str());
        return s.failed ? 3 : 0;
    } catch (const po::error& e) {
        std::fprintf(stderr, "embzip-sweep: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "embzip-sweep: %s\n", e.what());
        return 1;
    }
}
