// SPDX-License-Identifier: MIT
// The .ezt container. Layout (little endian), documented in encoder/README.md:
//   64-byte header (magic, version, geometry, method, section count, CRC-32 of bytes 0..59)
//   sections: u32 tag, u32 CRC-32 of body, u64 body length, body
// Every field is range-checked before use, so a hostile file yields a FormatError, not UB.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/layout.hpp"

namespace embzip {

namespace {

constexpr char kMagic[8] = {'E', 'M', 'B', 'Z', 'I', 'P', 'T', '\n'};
constexpr uint16_t kVersion = 1;
constexpr size_t kHeaderSize = 64;
constexpr uint64_t kMaxRows = uint64_t(1) << CodeGeometry::kMaxOverflowIndexBits;

constexpr uint32_t tag(const char (&s)[5]) {
    return uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
           uint32_t(uint8_t(s[3])) << 24;
}
constexpr uint32_t kTagBooks = tag("BOOK"), kTagRows = tag("ROWS"), kTagQuantSym = tag("QSYM"),
                   kTagQuantRow = tag("QROW"), kTagOverflow = tag("OVFL"),
                   kTagRawPlane = tag("RAWP");
constexpr uint8_t kFlagOverflow = 1;

struct Writer {
    std::vector<uint8_t> bytes;
    void u8(uint8_t v) { bytes.push_back(v); }
    void u16(uint16_t v) { raw(&v, 2); }
    void u32(uint32_t v) { raw(&v, 4); }
    void u64(uint64_t v) { raw(&v, 8); }
    void raw(const void* p, size_t n) {
        const auto* c = static_cast<const uint8_t*>(p);
        bytes.insert(bytes.end(), c, c + n);
    }
    void section(uint32_t t, const std::vector<uint8_t>& body) {
        section(t, body.data(), body.size());
    }
    // A body of `n` bytes, written from where it lies (the payload and the raw planes are the
    // bulk of a file: no temporary copy of them).
    void section(uint32_t t, const uint8_t* body, size_t n) { section(t, nullptr, 0, body, n); }
    // A body in two parts (a count, then a region): CRC-32 over both, as if one.
    void section(uint32_t t, const uint8_t* head, size_t head_n, const uint8_t* body, size_t n) {
        u32(t);
        u32(crc32(body, n, crc32(head, head_n)));
        u64(head_n + n);
        raw(head, head_n);
        raw(body, n);
    }
};

struct Reader {
    const std::vector<uint8_t>& bytes;
    const std::string& name;
    size_t pos = 0;
    void need(size_t n, const char* what) const {
        if (n > bytes.size() - pos)
            throw FormatError(name + ": truncated .ezt file (" + what + ")");
    }
    template <typename T>
    T get(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, bytes.data() + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }
};

[[noreturn]] void bad(const std::string& name, const std::string& what) {
    throw FormatError(name + ": corrupt .ezt header: " + what);
}

[[noreturn]] void truncated(const std::string& name, const char* what) {
    throw FormatError(name + ": truncated .ezt file (" + what + ")");
}

// Where parse() reads a file from: bytes in memory, or an open file read section by section,
// each body straight into the table's own buffer (no copy of the whole file in memory).
class Source {
  public:
    virtual ~Source() = default;
    // Bytes left; what a length field may claim is checked against it before any allocation.
    virtual uint64_t remaining() const = 0;
    // The next n bytes (n <= remaining(), checked by the caller).
    virtual void take(void* dst, size_t n, const char* what) = 0;
    // True if nothing follows (reading once more, for a file that grew meanwhile).
    virtual bool at_end() = 0;
    // Passes over the next n bytes (n <= remaining()), left for the caller to read later.
    virtual void skip(uint64_t n) = 0;
    // Where the next byte is, from the start of the file.
    virtual uint64_t offset() const = 0;
};

class MemorySource final : public Source {
  public:
    explicit MemorySource(const std::vector<uint8_t>& bytes) : m_bytes(bytes) {}
    uint64_t remaining() const override { return m_bytes.size() - m_pos; }
    void take(void* dst, size_t n, const char*) override {
        if (n) std::memcpy(dst, m_bytes.data() + m_pos, n);
        m_pos += n;
    }
    bool at_end() override { return m_pos == m_bytes.size(); }
    void skip(uint64_t n) override { m_pos += n; }
    uint64_t offset() const override { return m_pos; }

  private:
    const std::vector<uint8_t>& m_bytes;
    size_t m_pos = 0;
};

// A regular file of `size` bytes (from fstat), read from its current offset (the start).
class FileSource final : public Source {
  public:
    FileSource(int fd, uint64_t size, uint64_t start, const std::string& name)
        : m_fd(fd), m_left(size - start), m_offset(start), m_name(name) {}
    uint64_t remaining() const override { return m_left; }
    void take(void* dst, size_t n, const char* what) override {
        auto* p = static_cast<uint8_t*>(dst);
        while (n) {
            const size_t got = read_some(m_fd, p, n, m_name);
            if (got == 0) truncated(m_name, what);  // shrank since fstat
            p += got;
            n -= got;
            m_left -= got;
            m_offset += got;
        }
    }
    bool at_end() override {
        uint8_t byte;
        return m_left == 0 && read_some(m_fd, &byte, 1, m_name) == 0;
    }
    void skip(uint64_t n) override {
        if (::lseek(m_fd, off_t(n), SEEK_CUR) < 0)
            throw IoError(m_name + ": seek failed: " + std::strerror(errno));
        m_left -= n;
        m_offset += n;
    }
    uint64_t offset() const override { return m_offset; }

  private:
    int m_fd;
    uint64_t m_left;
    uint64_t m_offset;
    const std::string& m_name;
};

}  // namespace

std::vector<uint8_t> ezt_bytes(const CodedTable& t) {
    Writer w;
    w.bytes.reserve(t.stored_bytes());  // the exact size (stored_bytes mirrors this layout)
    w.raw(kMagic, 8);
    w.u16(kVersion);
    w.u8(t.spec.bits);
    w.u8(uint8_t(t.spec.split));
    w.u8(t.is_float() ? uint8_t(t.floats->kind) : uint8_t(t.dtype));
    w.u8(uint8_t(t.books.size()));
    w.u8(uint8_t(t.selector_bits));
    w.u8(uint8_t(t.quant.kind));
    w.u64(t.rows);
    w.u32(t.dim);
    w.u32(t.row_bits);
    w.u32(t.pitch_bits);
    const uint32_t sections = 2 + (t.quant.kind != QuantKind::None ? 1 : 0) + (t.overflow ? 1 : 0) +
                              (t.is_float() ? 1 : 0);
    w.u32(sections);
    char method[16] = {};
    std::strncpy(method, t.method.c_str(), sizeof(method) - 1);
    w.raw(method, sizeof(method));
    w.u8(t.overflow ? kFlagOverflow : 0);
    w.u8(uint8_t(t.index_bits));
    w.u16(0);
    w.u32(crc32(w.bytes.data(), w.bytes.size()));
    if (w.bytes.size() != kHeaderSize) throw std::logic_error("ezt header size");

    std::vector<uint8_t> books;
    for (const CodeLengths& b : t.books)
        books.insert(books.end(), b.len.begin(), b.len.begin() + t.spec.alphabet());
    w.section(kTagBooks, books);
    w.section(kTagRows, t.payload.data(), t.payload_bytes());
    if (t.quant.kind == QuantKind::Symmetric) {
        std::vector<uint8_t> q(8);
        std::memcpy(q.data(), &t.quant.scale, 8);
        w.section(kTagQuantSym, q);
    } else if (t.quant.kind == QuantKind::Rowwise) {
        std::vector<uint8_t> q(8 * t.rows);
        for (uint64_t r = 0; r < t.rows; ++r) {
            std::memcpy(q.data() + 8 * r, &t.quant.row_scale[r], 4);
            std::memcpy(q.data() + 8 * r + 4, &t.quant.row_bias[r], 4);
        }
        w.section(kTagQuantRow, q);
    }
    if (t.is_float()) w.section(kTagRawPlane, t.floats->bytes);
    if (t.overflow) {
        uint8_t count[8];
        std::memcpy(count, &t.overflow_rows, 8);
        w.section(kTagOverflow, count, 8, t.overflow_region.data(), t.overflow_region.size());
    }
    return std::move(w.bytes);
}

void write_ezt(const std::string& path, const CodedTable& t) {
    const std::vector<uint8_t> bytes = ezt_bytes(t);
    write_file_atomic(path, bytes.data(), bytes.size());
}

namespace {

// With `bulk`, the rows (and a float table's raw plane) are not read but skipped, where they
// are and their checksums kept in *bulk; everything else is read and checked as without.
CodedTable parse(Source& src, const std::string& name, EztBulk* bulk = nullptr) {
    if (src.remaining() < kHeaderSize)
        throw FormatError(name + ": not an .ezt file (shorter than its header)");
    std::vector<uint8_t> bytes(kHeaderSize);
    src.take(bytes.data(), kHeaderSize, "header");
    if (std::memcmp(bytes.data(), kMagic, 8) != 0)
        throw FormatError(name + ": not an .ezt file (bad magic)");
    uint32_t stored_crc;
    std::memcpy(&stored_crc, bytes.data() + 60, 4);
    if (crc32(bytes.data(), 60) != stored_crc) bad(name, "header checksum mismatch");
    Reader r{bytes, name, 8};
    const uint16_t version = r.get<uint16_t>("version");
    if (version != kVersion) bad(name, "unsupported version " + std::to_string(version));
    CodedTable t;
    t.spec.bits = r.get<uint8_t>("symbol bits");
    const uint8_t split = r.get<uint8_t>("split");
    const uint8_t dtype = r.get<uint8_t>("dtype");
    const uint8_t books = r.get<uint8_t>("books");
    t.selector_bits = r.get<uint8_t>("selector");
    const uint8_t quant = r.get<uint8_t>("quantization");
    t.rows = r.get<uint64_t>("rows");
    t.dim = r.get<uint32_t>("dim");
    t.row_bits = r.get<uint32_t>("row bits");
    t.pitch_bits = r.get<uint32_t>("pitch");
    const uint32_t sections = r.get<uint32_t>("sections");
    char method[17] = {};
    std::memcpy(method, bytes.data() + r.pos, 16);
    r.pos += 16;
    t.method = method;
    // Printable ASCII only: the name is echoed in messages and written into code.json.
    for (const char c : t.method)
        if (c < 0x20 || c > 0x7E) bad(name, "method name is not printable ASCII");
    const uint8_t flags = r.get<uint8_t>("flags");
    t.index_bits = r.get<uint8_t>("index bits");
    const uint16_t reserved = r.get<uint16_t>("reserved");
    r.pos = kHeaderSize;
    if ((flags & ~kFlagOverflow) != 0 || reserved != 0) bad(name, "unknown flags");
    t.overflow = flags & kFlagOverflow;
    if (t.overflow ? (t.index_bits < 1 || t.index_bits > CodeGeometry::kMaxOverflowIndexBits)
                   : t.index_bits != 0)
        bad(name, "overflow index bits " + std::to_string(t.index_bits));

    if (t.spec.bits != 8 && t.spec.bits != 4)
        bad(name, "symbol bits " + std::to_string(t.spec.bits));
    if (split > 1) bad(name, "split " + std::to_string(split));
    t.spec.split = Split(split);
    if (dtype > 4) bad(name, "dtype " + std::to_string(dtype));
    // Float tables: the coded rows are exponent symbols (unsigned); the element type is the
    // raw plane's kind.
    t.dtype = dtype <= 1 ? Dtype(dtype) : Dtype::Uint8;
    if (dtype >= 2) {
        const FloatKind kind = FloatKind(dtype);
        t.floats = RawPlane{kind, float_format(kind).raw_bits(), {}};
    }
    if (books < 1 || books > CodeGeometry::kMaxBooks)
        bad(name, "book count " + std::to_string(books));
    if (t.selector_bits != selector_bits_for(books))
        bad(name, "selector bits " + std::to_string(t.selector_bits));
    if (quant > 2) bad(name, "quantization kind " + std::to_string(quant));
    t.quant.kind = QuantKind(quant);
    if (t.is_float() && t.quant.kind != QuantKind::None)
        bad(name, "a float table cannot be quantized");
    if (t.rows == 0 || t.rows > kMaxRows) bad(name, "rows " + std::to_string(t.rows));
    if (t.dim == 0 || t.dim > CodeGeometry::kMaxDim) bad(name, "dim " + std::to_string(t.dim));
    const uint64_t max_row_bits =
        t.selector_bits + uint64_t(t.dim) * t.spec.per_byte() * CodeGeometry::kMaxCodeLen;
    if (t.row_bits <= t.selector_bits + (t.overflow ? t.index_bits : 0) ||
        t.row_bits > max_row_bits + 1)
        bad(name, "row bits " + std::to_string(t.row_bits));
    if (t.pitch_bits < t.row_bits || t.pitch_bits > t.row_bits + kMaxAlignBits)
        bad(name, "pitch " + std::to_string(t.pitch_bits));
    if (sections != 2 + (t.quant.kind != QuantKind::None ? 1u : 0u) + (t.overflow ? 1u : 0u) +
                        (t.is_float() ? 1u : 0u))
        bad(name, "section count " + std::to_string(sections));

    bool have_books = false, have_rows = false, have_quant = false, have_overflow = false,
         have_raw = false;
    std::vector<uint8_t> body_bytes;
    for (uint32_t s = 0; s < sections; ++s) {
        uint8_t head[16];
        if (src.remaining() < sizeof(head)) truncated(name, "section header");
        src.take(head, sizeof(head), "section header");
        uint32_t section_tag, crc;
        uint64_t length;
        std::memcpy(&section_tag, head, 4);
        std::memcpy(&crc, head + 4, 4);
        std::memcpy(&length, head + 8, 8);
        if (length > src.remaining()) truncated(name, "section body");
        const auto check_crc = [&](const uint8_t* data, uint64_t n) {
            if (crc32(data, n) != crc)
                throw FormatError(name + ": corrupt .ezt: section checksum mismatch");
        };
        // The bulk (rows, raw plane) goes straight into the table when its size is right;
        // everything else through a buffer, checked as it always was.
        if (bulk && ((section_tag == kTagRows && !have_rows && length == t.payload_bytes()) ||
                     (section_tag == kTagRawPlane && t.is_float() && !have_raw &&
                      length == t.rows * t.raw_row_bytes()))) {
            (section_tag == kTagRows ? bulk->rows : bulk->raw) = {src.offset(), length, crc};
            (section_tag == kTagRows ? have_rows : have_raw) = true;
            src.skip(length);
            continue;
        }
        if (section_tag == kTagRows && !have_rows && length == t.payload_bytes()) {
            // Reserved first: growing by the slack afterwards would copy the payload.
            t.payload.reserve(length + CodedTable::kPayloadSlack);
            t.payload.resize(length);
            src.take(t.payload.data(), length, "section body");
            check_crc(t.payload.data(), length);
            t.payload.resize(length + CodedTable::kPayloadSlack, 0);
            have_rows = true;
            continue;
        }
        if (section_tag == kTagRawPlane && t.is_float() && !have_raw &&
            length == t.rows * t.raw_row_bytes()) {
            t.floats->bytes.resize(length);
            src.take(t.floats->bytes.data(), length, "section body");
            check_crc(t.floats->bytes.data(), length);
            have_raw = true;
            continue;
        }
        body_bytes.resize(length);
        src.take(body_bytes.data(), length, "section body");
        const uint8_t* body = body_bytes.data();
        check_crc(body, length);
        if (section_tag == kTagBooks && !have_books) {
            if (length != uint64_t(books) * t.spec.alphabet()) bad(name, "code book section size");
            for (unsigned b = 0; b < books; ++b) {
                CodeLengths c;
                c.alphabet = t.spec.alphabet();
                std::memcpy(c.len.data(), body + b * c.alphabet, c.alphabet);
                for (unsigned k = 0; k < c.alphabet; ++k)
                    if (c.len[k] > CodeGeometry::kMaxCodeLen)
                        bad(name, "code length above the maximum");
                if (c.used() == 0 || !c.kraft_ok())
                    bad(name, "code book " + std::to_string(b) + " is not a prefix code");
                t.books.push_back(c);
            }
            have_books = true;
        } else if (section_tag == kTagRows && !have_rows) {
            bad(name, "row section size does not match rows x pitch");  // else read above
        } else if (section_tag == kTagQuantSym && t.quant.kind == QuantKind::Symmetric &&
                   !have_quant) {
            if (length != 8) bad(name, "scale section size");
            std::memcpy(&t.quant.scale, body, 8);
            have_quant = true;
        } else if (section_tag == kTagQuantRow && t.quant.kind == QuantKind::Rowwise &&
                   !have_quant) {
            if (length != 8 * t.rows) bad(name, "row scale section size");
            t.quant.row_scale.resize(t.rows);
            t.quant.row_bias.resize(t.rows);
            for (uint64_t i = 0; i < t.rows; ++i) {
                std::memcpy(&t.quant.row_scale[i], body + 8 * i, 4);
                std::memcpy(&t.quant.row_bias[i], body + 8 * i + 4, 4);
            }
            have_quant = true;
        } else if (section_tag == kTagRawPlane && t.is_float() && !have_raw) {
            bad(name, "raw plane section size");  // else read above
        } else if (section_tag == kTagOverflow && t.overflow && !have_overflow) {
            if (length < 8) bad(name, "overflow section size");
            std::memcpy(&t.overflow_rows, body, 8);
            if (t.overflow_rows > t.rows || length != 8 + t.overflow_rows * t.dim)
                bad(name, "overflow section size does not match its row count");
            t.overflow_region.assign(body + 8, body + length);
            // A float table's raw rows are exponent symbols too: each must fit the format.
            if (t.is_float() && float_format(t.floats->kind).exp_bits < 8)
                for (uint8_t e : t.overflow_region)
                    if (e >> float_format(t.floats->kind).exp_bits)
                        bad(name, "overflow row exponent does not fit the float format");
            have_overflow = true;
        } else {
            bad(name, "unexpected or repeated section");
        }
    }
    if (!src.at_end())
        throw FormatError(name + ": corrupt .ezt: trailing bytes after the last section");
    if (!have_books || !have_rows || (t.is_float() && !have_raw)) bad(name, "missing section");
    return t;
}

}  // namespace

CodedTable parse_ezt(const std::vector<uint8_t>& bytes, const std::string& name) {
    MemorySource src(bytes);
    return parse(src, name);
}

namespace {

// The file's size and its current offset, if it is a regular file.
bool regular_file(int fd, uint64_t& size, uint64_t& start) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    const off_t at = ::lseek(fd, 0, SEEK_CUR);
    if (at < 0 || uint64_t(at) > uint64_t(st.st_size)) return false;
    size = uint64_t(st.st_size);
    start = uint64_t(at);
    return true;
}

}  // namespace

CodedTable read_ezt_fd(int fd, const std::string& name) {
    uint64_t size, start;
    if (regular_file(fd, size, start)) {
        FileSource src(fd, size, start, name);
        return parse(src, name);
    }
    return parse_ezt(read_fd(fd, name), name);  // a pipe or device: no size to check against
}

bool read_ezt_meta(int fd, const std::string& name, CodedTable& table, EztBulk& bulk) {
    uint64_t size, start;
    if (!regular_file(fd, size, start)) return false;
    FileSource src(fd, size, start, name);
    bulk = EztBulk{};
    table = parse(src, name, &bulk);
    return true;
}

CodedTable read_ezt(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(path + ": cannot open: " + std::strerror(errno));
    const FdCloser closer{fd};
    return read_ezt_fd(fd, path);
}

}  // namespace embzip
