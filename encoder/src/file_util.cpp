// SPDX-License-Identifier: MIT
#include "embzip/file_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "embzip/errors.hpp"

namespace embzip {

namespace {

// The signal handler may only use async-signal-safe calls and lock-free atomics: a fixed
// table of paths, each slot Free -> Writing (owner fills the path) -> Ready -> Free.
enum SlotState : int { kFree = 0, kWriting = 1, kReady = 2 };
constexpr size_t kMaxPath = 4096;
struct TempSlot {
    std::atomic<int> state{kFree};
    bool directory = false;
    char path[kMaxPath];
};
std::array<TempSlot, TempGuard::kMaxTemporaries> g_temps;

void remove_registered(bool directories) {
    for (TempSlot& s : g_temps)
        if (s.state.load() == kReady && s.directory == directories) {
            if (directories)
                ::rmdir(s.path);
            else
                ::unlink(s.path);
        }
}

extern "C" void cleanup_and_reraise(int sig) {
    remove_registered(false);  // files first, so that the staging directories are empty
    remove_registered(true);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

}  // namespace

TempGuard::TempGuard(std::string path, Kind kind) : m_path(std::move(path)), m_kind(kind) {
    if (m_path.size() >= kMaxPath) return;
    for (int i = 0; i < kMaxTemporaries; ++i) {
        int expected = kFree;
        if (!g_temps[size_t(i)].state.compare_exchange_strong(expected, kWriting)) continue;
        TempSlot& s = g_temps[size_t(i)];
        std::memcpy(s.path, m_path.c_str(), m_path.size() + 1);
        s.directory = kind == Kind::Directory;
        s.state.store(kReady);
        m_slot = i;
        return;
    }
}

void TempGuard::release() {
    if (m_slot >= 0) g_temps[size_t(m_slot)].state.store(kFree);
    m_slot = -1;
    m_released = true;
}

TempGuard::~TempGuard() {
    if (m_slot >= 0) g_temps[size_t(m_slot)].state.store(kFree);
    if (m_released) return;
    if (m_kind == Kind::Directory)
        ::rmdir(m_path.c_str());
    else
        ::unlink(m_path.c_str());
}

void install_cleanup_handlers() {
    struct sigaction sa {};
    sa.sa_handler = cleanup_and_reraise;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGXFSZ}) ::sigaction(sig, &sa, nullptr);
}

std::string temp_name(const std::string& path) {
    static std::atomic<uint64_t> counter{0};
    return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

FdCloser::~FdCloser() { ::close(fd); }

size_t read_some(int fd, void* dst, size_t n, const std::string& path) {
    for (;;) {
        const ssize_t got = ::read(fd, dst, n);
        if (got >= 0) return size_t(got);
        if (errno != EINTR) throw IoError(path + ": read failed: " + std::strerror(errno));
    }
}

size_t read_at(int fd, void* dst, size_t n, uint64_t offset, const std::string& path) {
    auto* p = static_cast<uint8_t*>(dst);
    size_t done = 0;
    while (done < n) {
        const ssize_t got = ::pread(fd, p + done, n - done, off_t(offset + done));
        if (got == 0) break;
        if (got < 0) {
            if (errno == EINTR) continue;
            throw IoError(path + ": read failed: " + std::strerror(errno));
        }
        done += size_t(got);
    }
    return done;
}

int open_at(int dir_fd, const char* name, const std::string& path) {
    const int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) throw IoError(path + ": cannot open: " + std::strerror(errno));
    return fd;
}

std::vector<uint8_t> read_fd(int fd, const std::string& path) {
    // Sized from fstat (one more byte, so the final read that returns 0 needs no growth); grows
    // if the file is not regular or grew meanwhile.
    struct stat st {};
    const bool sized = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    std::vector<uint8_t> bytes(sized ? size_t(st.st_size) + 1 : size_t(1) << 16);
    size_t used = 0;
    for (;;) {
        if (used == bytes.size()) bytes.resize(bytes.size() * 2);
        const size_t n = read_some(fd, bytes.data() + used, bytes.size() - used, path);
        if (n == 0) break;
        used += n;
    }
    bytes.resize(used);
    return bytes;
}

std::vector<uint8_t> read_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(path + ": cannot open: " + std::strerror(errno));
    const FdCloser closer{fd};
    return read_fd(fd, path);
}

namespace {
// POSIX write, not ofstream: EFBIG/ENOSPC come back as an errno we can name.
void write_all(int fd, const std::string& path, const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string why = n < 0 ? std::strerror(errno) : "short write";
            throw IoError(path + ": write failed: " + why);
        }
        p += n;
        size -= size_t(n);
    }
}
}  // namespace

void write_file(const std::string& path, const void* data, size_t size) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw IoError(path + ": cannot create: " + std::strerror(errno));
    try {
        write_all(fd, path, data, size);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) throw IoError(path + ": write failed: " + std::strerror(errno));
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
    AtomicFile f(path);
    f.write(data, size);
    f.commit();
}

AtomicFile::AtomicFile(const std::string& path) : m_path(path), m_tmp(temp_name(path)) {
    m_fd = ::open(m_tmp.path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (m_fd < 0) throw IoError(m_tmp.path() + ": cannot create: " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
    if (m_fd >= 0) ::close(m_fd);  // not committed: the guard removes the temporary
}

void AtomicFile::write(const void* data, size_t size) {
    if (m_fd < 0) throw IoError(m_path + ": write after commit");
    write_all(m_fd, m_tmp.path(), data, size);
}

void AtomicFile::commit() {
    const int fd = m_fd;
    m_fd = -1;
    if (fd < 0) throw IoError(m_path + ": committed twice");
    if (::close(fd) != 0) throw IoError(m_tmp.path() + ": write failed: " + std::strerror(errno));
    if (std::rename(m_tmp.path().c_str(), m_path.c_str()) != 0)
        throw IoError(m_path + ": cannot rename into place: " + std::strerror(errno));
    m_tmp.release();
}

void write_file_atomic(const std::string& path, const std::string& text) {
    write_file_atomic(path, text.data(), text.size());
}

// CRC-32 (IEEE 802.3) by zlib, so a file can be checked with standard tools; zlib's is
// table-sliced and several times faster than a byte-at-a-time loop over a whole file.
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
    // zlib returns its initial value for a null buffer whatever crc is: an empty part (an empty
    // vector's data() may be null) must leave crc as it is.
    if (size == 0) return crc;
    return uint32_t(::crc32_z(crc, data, size));
}

namespace {
namespace fs = std::filesystem;

fs::path nearest_existing(fs::path p) {
    while (!p.empty() && !fs::exists(p)) p = p.parent_path();
    return p.empty() ? fs::current_path() : p;
}

void check_writable_dir(const std::string& option, const std::string& given, const fs::path& dir) {
    if (!fs::is_directory(dir))
        throw InputError(option + " " + given + ": " + dir.string() + " is not a directory");
    // Make and remove a directory where the output's temporaries will go: permission bits are
    // not the whole answer (root, a read-only mount, a pseudo file system such as /proc).
    std::string probe = (dir / ".embzip-probe-XXXXXX").string();
    if (::mkdtemp(probe.data()) == nullptr)
        throw InputError(option + " " + given + ": cannot create files in " + dir.string() + ": " +
                         std::strerror(errno));
    ::rmdir(probe.c_str());
}
}  // namespace

// A coded directory: created (with its parents) if missing; replaced whole through a staging
// directory beside it, so its parent must be writable.
void check_output_dir(const std::string& option, const std::string& dir) {
    if (dir.empty()) throw InputError(option + ": empty path");
    fs::path p = fs::absolute(dir).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    if (fs::exists(p) && !fs::is_directory(p))
        throw InputError(option + " " + dir + ": exists and is not a directory");
    check_writable_dir(option, dir, nearest_existing(p.parent_path()));
}

// A file written through a temporary beside it and renamed over it.
void check_output_file(const std::string& option, const std::string& path) {
    if (path.empty()) throw InputError(option + ": empty path");
    const fs::path p = fs::absolute(path).lexically_normal();
    if (fs::is_directory(p)) throw InputError(option + " " + path + ": is a directory");
    if (!fs::exists(p.parent_path()))
        throw InputError(option + " " + path + ": directory " + p.parent_path().string() +
                         " does not exist");
    check_writable_dir(option, path, p.parent_path());
}

}  // namespace embzip
