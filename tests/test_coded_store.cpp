// SPDX-License-Identifier: MIT
// CodedStore: the coded directory opened once, owned, written whole (issue 8 defects 3 and 4).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "embzip/coded_store.hpp"
#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "helpers.hpp"

using namespace embzip;
using embzip::test::random_table;
using embzip::test::temp_path;
namespace fs = std::filesystem;

namespace {

CodedTable coded(Method method, const Table& t) {
    MethodOptions o;
    o.iterations = 2000;
    o.mwu_iterations = 20;
    return encode_table(t, run_method(method, t, o));
}

// Everything in dir's parent whose name marks a temporary of dir.
std::vector<std::string> leftovers(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir.parent_path())) {
        const std::string name = e.path().filename().string();
        if (name.find(dir.filename().string() + ".staging") != std::string::npos ||
            name.find(".tmp.") != std::string::npos)
            out.push_back(name);
    }
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".tmp.") != std::string::npos)
            out.push_back(e.path().string());
    return out;
}

fs::path fresh_dir(const std::string& name) {
    const fs::path base = temp_path("store_" + name);
    fs::remove_all(base);
    fs::create_directories(base);
    return base / "out";
}

}  // namespace

TEST_CASE("a coded directory is written whole and opened once", "[encoder]") {
    const fs::path dir = fresh_dir("whole");
    const Table t = random_table(60, 10, 6.0, 3);
    const CodedTable a = coded(Method::Huffman8, t);
    CodedStore::write(dir.string(), a);
    const auto store = CodedStore::open(dir.string());
    CHECK(store->table().payload == a.payload);
    CHECK(store->dir() == dir.string());
    CHECK(CodedStore::table_path(dir.string()) == (dir / "table.ezt").string());
    CHECK(decode_table(store->table()).bytes == t.bytes);
    CHECK(leftovers(dir).empty());

    // Replacing: other files in the directory stay, both coded files are the new ones.
    std::ofstream(dir / "notes.txt") << "kept";
    fs::create_directories(dir / "rtl");
    std::ofstream(dir / "rtl" / "x.v") << "module x; endmodule";
    const CodedTable b = coded(Method::Nibble4, t);
    CodedStore::write(dir.string(), b);
    const auto again = CodedStore::open(dir.string());
    CHECK(again->table().method == "nibble4");
    CHECK(fs::exists(dir / "notes.txt"));
    CHECK(fs::exists(dir / "rtl" / "x.v"));
    CHECK(leftovers(dir).empty());
    // The first store still owns its bytes.
    CHECK(store->table().method == "huffman8");
}

TEST_CASE("a decoder cannot outlive its table", "[encoder]") {
    const Table t = random_table(30, 8, 5.0, 4);
    std::unique_ptr<RowDecoder> d;
    {
        auto store = CodedStore::adopt(coded(Method::Balanced8, t));
        d = std::make_unique<RowDecoder>(store->shared_table());
    }
    // Built from a temporary: the decoder keeps its own copy.
    const RowDecoder from_temporary(coded(Method::Balanced8, t));
    std::vector<uint8_t> row(t.dim), row2(t.dim);
    for (uint64_t r = 0; r < t.rows; ++r) {
        REQUIRE(d->decode_row(r, row.data()) == Status::Ok);
        REQUIRE(from_temporary.decode_row(r, row2.data()) == Status::Ok);
        REQUIRE(std::equal(row.begin(), row.end(), t.row(r)));
        REQUIRE(row == row2);
    }
}

TEST_CASE("a code.json that does not describe its table.ezt is rejected", "[encoder]") {
    const fs::path dir = fresh_dir("mismatch");
    const Table t = random_table(50, 9, 6.0, 5);
    CodedStore::write(dir.string(), coded(Method::Huffman8, t));
    // The defect: a table.ezt of one encode next to the code.json of another.
    write_file_atomic((dir / "code.json").string(), code_json(coded(Method::Nibble4, t)));
    CHECK_THROWS_WITH(CodedStore::open(dir.string()), Catch::Contains("does not describe"));
    write_file_atomic((dir / "code.json").string(), std::string("{\"format\": 5}"));
    CHECK_THROWS_WITH(CodedStore::open(dir.string()), Catch::Contains("code.json"));
}

TEST_CASE("concurrent writers to one directory never leave a mixed pair", "[encoder]") {
    const fs::path dir = fresh_dir("race");
    const Table t = random_table(200, 16, 6.0, 6);
    const CodedTable a = coded(Method::Huffman8, t), b = coded(Method::Nibble4, t);
    CodedStore::write(dir.string(), a);
    std::atomic<bool> stop{false};
    std::atomic<int> mixed{0}, opened{0};
    std::thread reader([&] {
        while (!stop) {
            try {
                const auto s = CodedStore::open(dir.string());
                ++opened;
            } catch (const FormatError&) {
                ++mixed;
            } catch (const Error&) {
                // a directory briefly absent on a file system without exchange: not a mix
            }
        }
    });
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w)
        writers.emplace_back([&, w] {
            for (int i = 0; i < 30; ++i) CodedStore::write(dir.string(), w ? b : a);
        });
    for (std::thread& w : writers) w.join();
    stop = true;
    reader.join();
    CHECK(mixed == 0);
    CHECK(opened > 0);
    CHECK_NOTHROW(CodedStore::open(dir.string()));
    CHECK(leftovers(dir).empty());
}

TEST_CASE("a failed write leaves the old directory intact", "[encoder]") {
    const fs::path dir = fresh_dir("full");
    const Table t = random_table(2000, 64, 6.0, 7);
    const CodedTable a = coded(Method::Huffman8, t);
    CodedStore::write(dir.string(), a);
    // A full disk, as far as this process can tell: writes past 4 KiB fail with EFBIG.
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto* previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 4096;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    bool threw = false;
    try {
        CodedStore::write(dir.string(), coded(Method::Nibble4, t));
    } catch (const IoError&) {
        threw = true;
    }
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    CHECK(threw);
    const auto store = CodedStore::open(dir.string());
    CHECK(store->table().method == "huffman8");
    CHECK(leftovers(dir).empty());
    // The table is invalid for writing: nothing at all is created.
    const fs::path none = fresh_dir("none");
    CodedTable bad = a;
    bad.books.clear();
    CHECK_THROWS(CodedStore::write(none.string(), bad));
    CHECK_FALSE(fs::exists(none));
}

TEST_CASE("temporaries are removed when a signal ends the process", "[encoder]") {
    const fs::path dir = fresh_dir("signal");
    const Table t = random_table(4000, 64, 6.0, 8);
    const CodedTable a = coded(Method::Huffman8, t);
    // SIGXFSZ in the middle of the staging write (file size limit), and SIGTERM while a
    // temporary file is registered: both must remove what they leave.
    for (int sig : {SIGXFSZ, SIGTERM}) {
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            install_cleanup_handlers();
            if (sig == SIGXFSZ) {
                rlimit small{};
                getrlimit(RLIMIT_FSIZE, &small);
                small.rlim_cur = 4096;
                setrlimit(RLIMIT_FSIZE, &small);
                try {
                    CodedStore::write(dir.string(), a);
                } catch (...) {
                }
            } else {
                TempGuard tmp(temp_name((dir.parent_path() / "x.npy").string()));
                std::ofstream(tmp.path()) << "partial";
                std::raise(SIGTERM);
            }
            _exit(0);
        }
        int status = 0;
        REQUIRE(waitpid(pid, &status, 0) == pid);
        CHECK(WIFSIGNALED(status));
        if (WIFSIGNALED(status)) CHECK(WTERMSIG(status) == sig);
        std::vector<std::string> left;
        for (const auto& e : fs::directory_iterator(dir.parent_path()))
            left.push_back(e.path().filename().string());
        INFO("signal " << sig);
        CHECK(left.empty());
    }
}
