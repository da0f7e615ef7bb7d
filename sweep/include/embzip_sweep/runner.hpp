// SPDX-License-Identifier: MIT
// Runs a sweep's points as subprocesses of the real tools (embzip encode, embzip-rtl, the
// hardware-flow scripts, embzip-sim), sharing and caching every step content-addressed under
// OUT/cache, and writes OUT/results.jsonl and OUT/results.csv.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "embzip_sweep/spec.hpp"

namespace embzip::sweep {

// Where the tools are, and what they are (version text and a content hash that keys the cache,
// so a rebuilt tool never reuses results of the old one).
struct Tools {
    std::string embzip, sim, rtl, synth_sh, asic_sh;
    // Defaults: run from a build tree, the tools of that build and scripts/ of the source tree;
    // run from an install prefix, the tools beside it in bin/ and the scripts installed in
    // share/embzip/scripts. The environment variables EMBZIP, EMBZIP_SIM, EMBZIP_RTL override
    // each tool.
    static Tools locate(const std::string& argv0);
};

struct RunOptions {
    std::string out_dir;
    unsigned jobs = 1;
    bool progress = true;
    // Slurm array task: run only chunk `index` of `count` (contiguous ranges of points) and
    // write OUT/parts/part-<index>.jsonl instead of the results files.
    std::optional<std::pair<size_t, size_t>> chunk;
};

struct RunSummary {
    size_t points = 0, ok = 0, failed = 0;
    size_t computed_steps = 0, cached_steps = 0;  // encode + hardware + simulation steps
    double wall_s = 0;
};

RunSummary run_sweep(const Spec& spec, const Tools& tools, const RunOptions& options);

// The contiguous range [first, last) of points that chunk `index` of `count` runs.
std::pair<size_t, size_t> chunk_range(size_t points, size_t index, size_t count);

// Writes OUT/sweep.sbatch: a job array of `chunks` tasks, each running one chunk of points.
// Returns the script's path.
std::string emit_slurm(const Spec& spec, const Tools& tools, const std::string& out_dir,
                       size_t chunks, const std::string& self_exe, unsigned cpus_per_task);

// Merges OUT/parts/part-*.jsonl into OUT/results.jsonl and OUT/results.csv; checks that every
// point is present exactly once. Returns the number of points. @throws InputError naming the
// missing chunks.
size_t merge_parts(const std::string& out_dir);

// Writes rows (results.jsonl objects) as CSV columns: point, status, error, the inputs in
// `input_keys` order, then every figure, wall time and tool versions.
std::string results_csv(const std::vector<ojson>& rows, const std::vector<std::string>& input_keys);

}  // namespace embzip::sweep
