// SPDX-License-Identifier: MIT
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace embzip {

// @throws IoError
std::vector<uint8_t> read_file(const std::string& path);
// Closes a file descriptor at the end of its scope.
struct FdCloser {
    int fd;
    ~FdCloser();
};

// The rest of an open file descriptor (not closed); path names it in errors. @throws IoError
std::vector<uint8_t> read_fd(int fd, const std::string& path);
// One read() of up to n bytes, retried when a signal interrupts it: the bytes read, 0 at the
// end of the file. @throws IoError
size_t read_some(int fd, void* dst, size_t n, const std::string& path);
// n bytes from offset (pread, retried when a signal interrupts it): the bytes read, fewer
// than n only at the end of the file. @throws IoError
size_t read_at(int fd, void* dst, size_t n, uint64_t offset, const std::string& path);
// openat(dir_fd, name) for reading: the descriptor, or -1 if there is no such file (path names
// it in errors). @throws IoError on any other failure
int open_at(int dir_fd, const char* name, const std::string& path);

// A temporary name next to path, "<path>.tmp.<pid>.<n>" with n unique in the process, so that
// neither two processes nor two threads of one process ever share a temporary.
std::string temp_name(const std::string& path);

// Writes to temp_name(path) and renames over path, so a failure never leaves a half-written
// result behind (the temporary is removed, also on SIGINT/SIGTERM/SIGHUP/SIGXFSZ once
// install_cleanup_handlers() ran). @throws IoError
void write_file_atomic(const std::string& path, const void* data, size_t size);
void write_file_atomic(const std::string& path, const std::string& text);

// Writes path in place (no rename): for files inside a staging directory. @throws IoError
void write_file(const std::string& path, const void* data, size_t size);

// A temporary file or (empty-once-its-files-are-gone) directory that is removed when the guard
// goes out of scope unless release()d, and by the signal handlers while it is registered.
// Tracks up to kMaxTemporaries at once; more are still removed by the destructor, just not on
// a signal. SIGKILL cannot be caught: nothing can clean up after it (temporaries are named
// *.tmp.* / .*.staging.* so they are easy to find).
class TempGuard {
  public:
    static constexpr int kMaxTemporaries = 32;
    enum class Kind { File, Directory };
    explicit TempGuard(std::string path, Kind kind = Kind::File);
    ~TempGuard();
    TempGuard(const TempGuard&) = delete;
    TempGuard& operator=(const TempGuard&) = delete;
    void release();  // the temporary became the result (or was renamed away): keep it
    const std::string& path() const { return m_path; }

  private:
    std::string m_path;
    Kind m_kind;
    int m_slot = -1;
    bool m_released = false;
};

// A file written piece by piece into temp_name(path) and renamed over path by commit(): for
// outputs produced in parts (a table decoded batch by batch), so that the whole output never
// has to be in memory and a failure part way never leaves a half-written file. Destroyed
// without commit(), it removes the temporary. @throws IoError
class AtomicFile {
  public:
    explicit AtomicFile(const std::string& path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    void write(const void* data, size_t size);
    void commit();

  private:
    std::string m_path;
    TempGuard m_tmp;
    int m_fd = -1;
};

// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGXFSZ that remove every registered
// temporary, then re-raise the signal with its default action (so the exit status still says
// which signal ended the process). Call once from a tool's main; the library never installs
// signal handlers by itself.
void install_cleanup_handlers();

// Output locations, checked before any work so that a bad one fails at once, not after
// minutes of code search or simulation: a file written through a temporary beside it
// (its folder must exist), and a directory created with its parents and replaced whole through
// a staging directory beside it. A temporary is really made and removed there. `option` names
// the option in the message. @throws InputError
void check_output_file(const std::string& option, const std::string& path);
void check_output_dir(const std::string& option, const std::string& dir);

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace embzip
