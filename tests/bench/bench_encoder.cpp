// SPDX-License-Identifier: MIT
// Encoder benchmarks, side by side with zstd on the same bytes in the same run: code search
// time per method (W reported as a counter), writing a table with a given code, whole-table
// and random-row decoding, and zstd -3 / -19 compression and decompression of the table.
//
// Tables: the shipped default table (50,000 x 100 int8) and, for full-size runs, a synthetic
// 341,479-row table (the size of the full GloVe table, which needs the network to fetch): the
// default rows repeated, every copy after the first with three elements moved by +-1 (seeded),
// so that rows stay distinct with the default table's statistics.
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <map>
#include <random>
#include <string>
#include <tuple>

#include "../default_table.hpp"
#include "embzip/file_util.hpp"
#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip/table_io.hpp"

using namespace embzip;

namespace {

using test::default_table;

constexpr uint64_t kFullRows = 341479;

const Table& synthetic_full_table() {
    static const Table t = [] {
        const Table& base = default_table();
        Table s = base;
        s.rows = kFullRows;
        s.bytes.resize(s.rows * s.dim);
        std::mt19937_64 rng(kFullRows);
        for (uint64_t r = base.rows; r < s.rows; ++r) {
            uint8_t* row = s.bytes.data() + r * s.dim;
            std::copy(base.row(r % base.rows), base.row(r % base.rows) + s.dim, row);
            for (int k = 0; k < 3; ++k) {
                int8_t& v = reinterpret_cast<int8_t&>(row[rng() % s.dim]);
                v = int8_t(std::clamp(v + (rng() & 1 ? 1 : -1), -127, 127));
            }
        }
        return s;
    }();
    return t;
}

// The first `rows` rows: of the default table up to its size, else of the synthetic one.
Table first_rows(uint64_t rows) {
    const Table& full = rows <= default_table().rows ? default_table() : synthetic_full_table();
    Table t = full;
    t.rows = std::min(rows, full.rows);
    t.bytes.resize(t.rows * t.dim);
    return t;
}

const Table& table_arg(int64_t which) { return which ? synthetic_full_table() : default_table(); }

void method_bench(benchmark::State& state, Method method, MethodOptions options = {}) {
    const Table t = first_rows(uint64_t(state.range(0)));
    CodeResult r;
    for (auto _ : state) r = run_method(method, t, options);
    state.counters["W_bits"] = double(r.row_bits);
    state.counters["saving_pct"] = 100.0 * saving(r.row_bits, t.dim);
    state.counters["rows"] = double(t.rows);
}

void BM_Sa8(benchmark::State& s) { method_bench(s, Method::Sa8); }
void BM_Nibble4(benchmark::State& s) { method_bench(s, Method::Nibble4); }
void BM_Nibble4x2(benchmark::State& s) { method_bench(s, Method::Nibble4x2); }
void BM_Balanced8(benchmark::State& s) { method_bench(s, Method::Balanced8); }
void BM_Limit8(benchmark::State& s) { method_bench(s, Method::Limit8); }
void BM_Minimax8(benchmark::State& s) { method_bench(s, Method::Minimax8); }
void BM_Minimax4(benchmark::State& s) { method_bench(s, Method::Minimax4); }
void BM_Minimax8Books8(benchmark::State& s) {
    MethodOptions o;
    o.books = 8;
    method_bench(s, Method::Minimax8, o);
}
void BM_Minimax8Overflow1pct(benchmark::State& s) {
    MethodOptions o;
    o.overflow = 0.01;
    method_bench(s, Method::Minimax8, o);
}
#define EMBZIP_SEARCH_BENCH(name) \
    BENCHMARK(name)->Arg(50000)->Arg(kFullRows)->Unit(benchmark::kMillisecond)->Iterations(1)
EMBZIP_SEARCH_BENCH(BM_Minimax8);
EMBZIP_SEARCH_BENCH(BM_Minimax4);
EMBZIP_SEARCH_BENCH(BM_Minimax8Books8);
EMBZIP_SEARCH_BENCH(BM_Minimax8Overflow1pct);
EMBZIP_SEARCH_BENCH(BM_Sa8);
EMBZIP_SEARCH_BENCH(BM_Nibble4);
EMBZIP_SEARCH_BENCH(BM_Nibble4x2);
BENCHMARK(BM_Balanced8)->Arg(50000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Limit8)->Arg(50000)->Unit(benchmark::kMillisecond);

// Codes found once per (method, table).
// Variants of a method's options for the writing benchmark.
enum Variant : int64_t { kPlain = 0, kBooks8 = 1, kOverflow1pct = 2 };

const CodeResult& code_for(Method m, int64_t which, int64_t variant = kPlain) {
    static std::map<std::tuple<Method, int64_t, int64_t>, CodeResult> cache;
    auto it = cache.find({m, which, variant});
    if (it == cache.end()) {
        MethodOptions o;
        if (variant == kBooks8) o.books = 8;
        if (variant == kOverflow1pct) o.overflow = 0.01;
        it = cache.emplace(std::tuple{m, which, variant}, run_method(m, table_arg(which), o)).first;
    }
    return it->second;
}

// Writing a table with a given code, in input bytes per (wall) second. Args: method, table,
// variant (plain, --books 8, --overflow 0.01), threads.
void BM_Encode(benchmark::State& state) {
    const Method m = Method(state.range(0));
    const Table& t = table_arg(state.range(1));
    const int64_t variant = state.range(2);
    const CodeResult& r = code_for(m, state.range(1), variant);
    const unsigned threads = unsigned(state.range(3));
    for (auto _ : state) benchmark::DoNotOptimize(encode_table(t, r, 8, threads).payload.data());
    state.SetBytesProcessed(int64_t(state.iterations() * t.size_bytes()));
    state.SetLabel(std::string(method_name(m)) + (variant == kBooks8         ? " --books 8"
                                                  : variant == kOverflow1pct ? " --overflow 0.01"
                                                                             : ""));
}
BENCHMARK(BM_Encode)
    ->Args({int(Method::Minimax8), 0, kPlain, 1})
    ->Args({int(Method::Minimax8), 1, kPlain, 1})
    ->Args({int(Method::Nibble4x2), 0, kPlain, 1})
    ->Args({int(Method::Minimax8), 0, kBooks8, 1})
    ->Args({int(Method::Minimax8), 0, kOverflow1pct, 1})
    ->Args({int(Method::Minimax8), 1, kPlain, 2})
    ->Args({int(Method::Minimax8), 0, kBooks8, 2})
    ->Args({int(Method::Minimax8), 0, kOverflow1pct, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Whole-table decoding in output bytes per second. Args: method, table, threads.
void BM_DecodeTable(benchmark::State& state) {
    const Method m = Method(state.range(0));
    const Table& t = table_arg(state.range(1));
    const CodedTable coded = encode_table(t, code_for(m, state.range(1)));
    std::vector<uint8_t> out(t.size_bytes());
    for (auto _ : state) {
        decode_rows_into(coded, out.data(), unsigned(state.range(2)));
        benchmark::DoNotOptimize(out.data());
    }
    if (out != t.bytes) state.SkipWithError("decode is not bit-exact");
    state.SetBytesProcessed(int64_t(state.iterations() * t.size_bytes()));
    state.SetLabel(method_name(m));
}
BENCHMARK(BM_DecodeTable)
    ->Args({int(Method::Minimax8), 0, 1})
    ->Args({int(Method::Minimax8), 1, 1})
    ->Args({int(Method::Minimax8), 1, 2})
    ->Args({int(Method::Nibble4x2), 0, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// zstd on the same bytes: compression (input bytes/s) and decompression (output bytes/s).
// Args: level, table.
void BM_ZstdCompress(benchmark::State& state) {
    const Table& t = table_arg(state.range(1));
    std::vector<uint8_t> dst(ZSTD_compressBound(t.size_bytes()));
    size_t n = 0;
    for (auto _ : state)
        n = ZSTD_compress(dst.data(), dst.size(), t.bytes.data(), t.size_bytes(),
                          int(state.range(0)));
    state.SetBytesProcessed(int64_t(state.iterations() * t.size_bytes()));
    state.counters["ratio_pct"] = 100.0 * double(n) / double(t.size_bytes());
}
void BM_ZstdDecompress(benchmark::State& state) {
    const Table& t = table_arg(state.range(1));
    std::vector<uint8_t> packed(ZSTD_compressBound(t.size_bytes()));
    packed.resize(ZSTD_compress(packed.data(), packed.size(), t.bytes.data(), t.size_bytes(),
                                int(state.range(0))));
    std::vector<uint8_t> out(t.size_bytes());
    for (auto _ : state)
        benchmark::DoNotOptimize(
            ZSTD_decompress(out.data(), out.size(), packed.data(), packed.size()));
    if (out != t.bytes) state.SkipWithError("zstd round trip failed");
    state.SetBytesProcessed(int64_t(state.iterations() * t.size_bytes()));
}
BENCHMARK(BM_ZstdCompress)->Args({3, 0})->Args({3, 1})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ZstdCompress)->Args({19, 0})->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_ZstdDecompress)
    ->Args({3, 0})
    ->Args({3, 1})
    ->Args({19, 0})
    ->Unit(benchmark::kMillisecond);

// The file checksum over the full-size table's bytes.
void BM_Crc32(benchmark::State& state) {
    const Table& t = synthetic_full_table();
    for (auto _ : state) benchmark::DoNotOptimize(crc32(t.bytes.data(), t.size_bytes()));
    state.SetBytesProcessed(int64_t(state.iterations() * t.size_bytes()));
}
BENCHMARK(BM_Crc32)->Unit(benchmark::kMillisecond);

// Random-access decoding in output bytes per second, one core: rows drawn uniformly from the
// default table, `batch` rows per call (1: decode_row, more: decode_rows, the gather an
// embedding-bag lookup does).
void decode_bench(benchmark::State& state, size_t batch) {
    const Method m = Method(state.range(0));
    const Table& t = default_table();
    const CodedTable coded = encode_table(t, code_for(m, 0));
    const RowDecoder decoder(coded);
    std::mt19937_64 rng(1);
    std::vector<uint64_t> order(1 << 16);
    for (uint64_t& i : order) i = rng() % t.rows;
    std::vector<uint8_t> rows(batch * t.dim);
    size_t k = 0;
    for (auto _ : state) {
        const Status s = batch == 1 ? decoder.decode_row(order[k], rows.data())
                                    : decoder.decode_rows(order.data() + k, batch, rows.data());
        if (s != Status::Ok) state.SkipWithError("decode failed");
        k += batch;
        if (k + batch > order.size()) k = 0;
        benchmark::DoNotOptimize(rows.data());
    }
    state.SetBytesProcessed(int64_t(state.iterations() * batch * t.dim));
    state.SetLabel(method_name(m));
}
void BM_DecodeRandomRows(benchmark::State& state) { decode_bench(state, 1); }
void BM_DecodeRandomRowsBatch(benchmark::State& state) { decode_bench(state, 64); }
BENCHMARK(BM_DecodeRandomRowsBatch)
    ->Arg(int(Method::Minimax8))
    ->Arg(int(Method::Sa8))
    ->Arg(int(Method::Nibble4x2));
BENCHMARK(BM_DecodeRandomRows)
    ->Arg(int(Method::Minimax8))
    ->Arg(int(Method::Sa8))
    ->Arg(int(Method::Nibble4x2));

// Building a decoder (every book's lookup table) for the default table's code: what each
// round-trip fuzzer input pays once or twice. Arg: method.
void BM_BuildDecoder(benchmark::State& state) {
    const Method m = Method(state.range(0));
    const CodedTable coded = encode_table(default_table(), code_for(m, 0));
    for (auto _ : state) {
        const RowDecoder decoder(borrow(coded));
        benchmark::DoNotOptimize(&decoder);
    }
    state.SetLabel(std::string(method_name(m)) + ", " + std::to_string(coded.books.size()) +
                   " book(s)");
}
BENCHMARK(BM_BuildDecoder)
    ->Arg(int(Method::Minimax8))
    ->Arg(int(Method::Nibble4x2))
    ->Unit(benchmark::kMicrosecond);

}  // namespace

// `embzip_bench --write-full-table PATH` writes the synthetic full-size table as .npy (and
// exits), so that the CLI can be timed on the same table the benchmarks use.
int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--write-full-table") {
        save_table_npy(argv[2], synthetic_full_table());
        return 0;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
