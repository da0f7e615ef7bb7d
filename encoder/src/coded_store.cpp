// SPDX-License-Identifier: MIT
#include "embzip/coded_store.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "embzip/decoder_timing.hpp"
#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/table_io.hpp"

namespace embzip {

namespace fs = std::filesystem;

namespace {

// code.json is what embzip-rtl builds hardware from; a code.json that does not match its
// table.ezt (a pair written by an older, non-atomic encoder, or edited by hand) would give a
// decoder for the wrong code, so the reader compares what both describe.
void check_code_json(const std::string& path, const std::vector<uint8_t>& bytes,
                     const CodedTable& t) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path + ": not JSON: " + e.what());
    }
    const auto mismatch = [&](const std::string& what) {
        throw FormatError(path + ": does not describe " +
                          (fs::path(path).parent_path() / CodedStore::kTableFile).string() + " (" +
                          what + "); re-encode the directory");
    };
    try {
        if (!j.is_object() || j.value("format", std::string()) != "embzip-code")
            throw FormatError(path + ": not an embzip code.json (format)");
        if (j.at("rows").get<uint64_t>() != t.rows) mismatch("rows");
        if (j.at("dim").get<uint64_t>() != t.dim) mismatch("dim");
        if (j.at("row_bits").get<uint64_t>() != t.row_bits) mismatch("row_bits");
        if (j.at("pitch_bits").get<uint64_t>() != t.pitch_bits) mismatch("pitch_bits");
        if (j.at("symbol_bits").get<uint64_t>() != t.spec.bits) mismatch("symbol_bits");
        const nlohmann::json& books = j.at("books");
        if (!books.is_array() || books.size() != t.books.size()) mismatch("books");
        for (size_t b = 0; b < t.books.size(); ++b) {
            CodeLengths len;
            len.alphabet = t.spec.alphabet();
            for (const nlohmann::json& s : books[b].at("symbols")) {
                const uint64_t sym = s.at("symbol").get<uint64_t>();
                if (sym >= len.alphabet) mismatch("books");
                len.len[sym] = uint8_t(s.at("length").get<uint64_t>());
            }
            if (len.len != t.books[b].len) mismatch("book " + std::to_string(b));
        }
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path + ": " + e.what());
    }
}

// Reads dir_fd/name whole into bytes; false if it does not exist. @throws IoError
bool read_file_at(int dir_fd, const char* name, const std::string& path,
                  std::vector<uint8_t>& bytes) {
    const int fd = open_at(dir_fd, name, path);
    if (fd < 0) return false;
    const FdCloser closer{fd};
    bytes = read_fd(fd, path);
    return true;
}

// Replaces target by staging. Both are directories on one file system.
void exchange_into_place(const fs::path& staging, const fs::path& target) {
    if (::rename(staging.c_str(), target.c_str()) == 0) return;  // target did not exist
    if (errno != ENOTEMPTY && errno != EEXIST)
        throw IoError(target.string() + ": cannot rename into place: " + std::strerror(errno));
    // renameat2(RENAME_EXCHANGE) swaps both names in one step: a reader opens the old
    // directory or the new one, never a missing one or a mix.
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0)
        return;
    if (errno != EINVAL && errno != ENOSYS)
        throw IoError(target.string() + ": cannot replace: " + std::strerror(errno));
    // File systems without exchange: move the old one aside first (a reader may briefly find
    // no directory, but never a mixed pair).
    const fs::path old = staging.string() + ".old";
    if (::rename(target.c_str(), old.c_str()) != 0)
        throw IoError(target.string() + ": cannot move aside: " + std::strerror(errno));
    if (::rename(staging.c_str(), target.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::rename(old.c_str(), target.c_str());
        throw IoError(target.string() + ": cannot rename into place: " + why);
    }
    std::error_code ec;
    fs::remove_all(old, ec);
}

}  // namespace

std::string CodedStore::table_path(const std::string& dir) {
    return (fs::path(dir) / kTableFile).string();
}

std::string CodedStore::code_path(const std::string& dir) {
    return (fs::path(dir) / kCodeFile).string();
}

std::shared_ptr<const CodedStore> CodedStore::open_path(const std::string& path) {
    return fs::is_directory(path) ? open(path) : adopt(read_ezt(path));
}

CodedStore::CodedStore(std::shared_ptr<const CodedTable> table, std::string dir)
    : m_table(std::move(table)), m_dir(std::move(dir)), m_decoder(m_table) {}

namespace {

// Both files are read through one handle on the directory: a writer that swaps in a new
// directory meanwhile cannot hand this reader the table of one and the code of the other.
// use(table_fd, table_name) reads the table and returns it; code.json is checked against it.
template <typename Use>
void open_dir(const std::string& dir, Use use) {
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            throw InputError(dir + ": not a coded table directory (from 'embzip encode')");
        throw IoError(dir + ": cannot open: " + std::strerror(errno));
    }
    const FdCloser closer{dfd};
    const std::string ezt = CodedStore::table_path(dir);
    const int tfd = open_at(dfd, CodedStore::kTableFile, ezt);
    if (tfd < 0) throw InputError(dir + ": no " + std::string(CodedStore::kTableFile) + " in it");
    const FdCloser table_closer{tfd};
    const CodedTable& table = use(tfd, ezt);
    std::vector<uint8_t> bytes;
    const std::string code = CodedStore::code_path(dir);
    if (read_file_at(dfd, CodedStore::kCodeFile, code, bytes)) check_code_json(code, bytes, table);
}

}  // namespace

std::shared_ptr<const CodedStore> CodedStore::open(const std::string& dir) {
    std::shared_ptr<const CodedTable> table;
    open_dir(dir, [&](int fd, const std::string& name) -> const CodedTable& {
        table = std::make_shared<const CodedTable>(read_ezt_fd(fd, name));
        return *table;
    });
    return std::make_shared<const CodedStore>(std::move(table), dir);
}

CodedTable CodedStore::decode_to_npy(const std::string& dir, const std::string& out,
                                     unsigned threads) {
    CodedTable meta;
    EztBulk bulk;
    int table_fd = -1;
    std::string name;
    bool located = false;
    // code.json is checked before anything is decoded: the decoding happens after open_dir
    // returns, on a descriptor of its own.
    open_dir(dir, [&](int fd, const std::string& ezt) -> const CodedTable& {
        name = ezt;
        located = read_ezt_meta(fd, ezt, meta, bulk);
        if (!located) meta = read_ezt_fd(fd, ezt);  // not a regular file: read whole
        table_fd = ::dup(fd);
        if (table_fd < 0) throw IoError(ezt + ": cannot duplicate: " + std::strerror(errno));
        return meta;
    });
    const FdCloser closer{table_fd};
    if (located)
        decode_ezt_to_npy(out, table_fd, name, meta, bulk, threads);
    else
        save_decoded_npy(out, meta, threads);
    meta.payload.clear();
    if (meta.floats) meta.floats->bytes.clear();
    return meta;
}

std::shared_ptr<const CodedStore> CodedStore::adopt(CodedTable table, std::string dir) {
    return std::make_shared<const CodedStore>(std::make_shared<const CodedTable>(std::move(table)),
                                              std::move(dir));
}

const std::shared_ptr<const Table>& CodedStore::decoded() const {
    std::call_once(m_decoded_once,
                   [this] { m_decoded = std::make_shared<const Table>(decode_table(*m_table)); });
    return m_decoded;
}

const std::vector<uint8_t>& CodedStore::code_lengths() const {
    std::call_once(m_lengths_once,
                   [this] { m_lengths = all_row_code_lengths(*m_table, *decoded()); });
    return m_lengths;
}

const std::vector<OverflowEntry>& CodedStore::overflow_rows() const {
    std::call_once(m_overflow_once, [this] {
        const CodedTable& t = *m_table;
        if (!t.overflow) return;
        for (uint64_t i = 0; i < t.rows; ++i) {
            const SlotHeader h = slot_header(t, i);
            if (!h.overflowed) continue;
            if (h.overflow_index >= t.overflow_rows)
                throw FormatError("row " + std::to_string(i) + ": overflow index " +
                                  std::to_string(h.overflow_index) + " past the " +
                                  std::to_string(t.overflow_rows) + " raw rows");
            m_overflow.push_back({RowId(i), OverflowIndex(h.overflow_index)});
        }
    });
    return m_overflow;
}

void CodedStore::write(const std::string& dir, const CodedTable& table) {
    // Serialise both files before touching the file system: a bad table fails here.
    if (table.books.empty() || table.rows == 0 ||
        table.payload.size() < table.payload_bytes() + CodedTable::kPayloadSlack)
        throw InputError(dir + ": not a complete coded table; nothing written");
    const std::vector<uint8_t> ezt = ezt_bytes(table);
    const std::string json = code_json(table);

    fs::path target = fs::absolute(dir).lexically_normal();
    if (target.filename().empty()) target = target.parent_path();  // "out/"
    std::error_code ec;
    if (fs::exists(target, ec) && !fs::is_directory(target, ec))
        throw IoError(dir + ": exists and is not a directory");
    const fs::path parent = target.parent_path();
    fs::create_directories(parent, ec);
    if (ec) throw IoError(parent.string() + ": cannot create: " + ec.message());

    // ".NAME.staging.<pid>.<n>": hidden, beside the target (one file system, so the rename is
    // atomic), unique per process and thread.
    const fs::path staging =
        temp_name((parent / ("." + target.filename().string() + ".staging")).string());
    if (!fs::create_directory(staging, ec) || ec)
        throw IoError(staging.string() +
                      ": cannot create: " + (ec ? ec.message() : std::string("exists")));
    TempGuard staging_guard(staging.string(), TempGuard::Kind::Directory);
    TempGuard ezt_guard((staging / kTableFile).string());
    TempGuard json_guard((staging / kCodeFile).string());
    std::vector<std::string> carried;
    try {
        write_file(ezt_guard.path(), ezt.data(), ezt.size());
        write_file(json_guard.path(), json.data(), json.size());
        // Whatever else the old directory holds (RTL output, notes) moves with it.
        if (fs::is_directory(target, ec))
            for (const fs::directory_entry& e : fs::directory_iterator(target)) {
                const std::string name = e.path().filename().string();
                if (name == kTableFile || name == kCodeFile) continue;
                fs::copy(e.path(), staging / name,
                         fs::copy_options::recursive | fs::copy_options::create_hard_links);
                carried.push_back(name);
            }
        exchange_into_place(staging, target);
    } catch (const fs::filesystem_error& e) {
        for (const std::string& name : carried) fs::remove_all(staging / name, ec);
        throw IoError(dir + ": " + e.what());
    } catch (...) {
        for (const std::string& name : carried) fs::remove_all(staging / name, ec);
        throw;
    }
    // After an exchange the staging name holds the old directory; remove it whole. After a
    // plain rename it no longer exists.
    ezt_guard.release();
    json_guard.release();
    staging_guard.release();
    fs::remove_all(staging, ec);
}

}  // namespace embzip
