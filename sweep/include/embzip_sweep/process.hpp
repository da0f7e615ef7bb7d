// SPDX-License-Identifier: MIT
// Subprocesses and content hashes for the sweep runner.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace embzip::sweep {

struct ProcessResult {
    int exit_code = -1;  // 128 + signal when killed by a signal
    double wall_s = 0;
};

// Runs argv[0] (a path) with stdout and stderr written to the given files; stdin is /dev/null.
// Thread-safe (posix_spawn). @throws IoError when the program cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdout_path,
                          const std::string& stderr_path);

// The last non-empty line of a file (for error messages), at most `limit` characters.
std::string last_line(const std::string& path, size_t limit = 400);

// 128-bit content hash (two independent 64-bit FNV-1a/mix lanes) as 32 hex digits.
class Hasher {
  public:
    Hasher& add(const std::string& s);
    Hasher& add_file(const std::string& path);  // contents; a missing file hashes as "missing"
    std::string hex() const;

  private:
    uint64_t m_a = 0xcbf29ce484222325ull;
    uint64_t m_b = 0x84222325cbf29ce4ull;
};

// Cheap identity of a possibly huge input file: absolute path, size, modification time.
std::string file_identity(const std::string& path);

}  // namespace embzip::sweep
