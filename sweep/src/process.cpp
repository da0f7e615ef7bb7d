// SPDX-License-Identifier: MIT
#include "embzip_sweep/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "embzip/errors.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace embzip::sweep {

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdout_path,
                          const std::string& stderr_path) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw IoError(argv[0] + ": cannot start (" + std::strerror(rc) + ")");
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw IoError(argv[0] + ": waitpid failed");
    }
    ProcessResult r;
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

std::string last_line(const std::string& path, size_t limit) {
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line))
        if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
    if (last.size() > limit) last = last.substr(0, limit) + "...";
    return last;
}

namespace {
inline uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}
}  // namespace

Hasher& Hasher::add(const std::string& s) {
    // Length first, so ("ab","c") and ("a","bc") differ.
    uint64_t n = s.size();
    for (int i = 0; i < 8; ++i) {
        m_a = (m_a ^ ((n >> (8 * i)) & 0xff)) * 0x100000001b3ull;
        m_b = mix(m_b + ((n >> (8 * i)) & 0xff) + 0x9e3779b97f4a7c15ull);
    }
    for (unsigned char c : s) {
        m_a = (m_a ^ c) * 0x100000001b3ull;
        m_b = (m_b ^ c) * 0x00000100000001b3ull + 0x632be59bd9b4e019ull;
    }
    m_b = mix(m_b);
    return *this;
}

Hasher& Hasher::add_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return add("missing:" + path);
    std::string buf(1 << 20, '\0');
    while (in) {
        in.read(buf.data(), std::streamsize(buf.size()));
        add(buf.substr(0, size_t(in.gcount())));
    }
    return *this;
}

std::string Hasher::hex() const {
    char out[33];
    std::snprintf(out, sizeof out, "%016llx%016llx", (unsigned long long)mix(m_a ^ m_b),
                  (unsigned long long)mix(m_b + 0x9e3779b97f4a7c15ull));
    return out;
}

std::string file_identity(const std::string& path) {
    std::error_code ec;
    const fs::path p = fs::absolute(path);
    if (fs::is_directory(p, ec)) return p.string() + ":dir";
    const auto size = fs::file_size(p, ec);
    if (ec) return p.string() + ":missing";
    const auto t = fs::last_write_time(p, ec).time_since_epoch().count();
    return p.string() + ":" + std::to_string(size) + ":" + std::to_string(t);
}

}  // namespace embzip::sweep
