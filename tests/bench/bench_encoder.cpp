// SPDX-License-Identifier: MIT
// Encoder benchmarks on the shipped default table (50,000 x 100 int8): code search time for
// each method (W reported as a counter), encoding and random-row decoding throughput.
#include <benchmark/benchmark.h>

#include <random>

#include "embzip/layout.hpp"
#include "embzip/methods.hpp"
#include "embzip/table_io.hpp"
#include "../default_table.hpp"

using namespace embzip;

namespace {

using test::default_table;

Table first_rows(uint64_t rows) {
    const Table& full = default_table();
    Table t = full;
    t.rows = std::min(rows, full.rows);
    t.bytes.resize(t.rows * t.dim);
    return t;
}

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
BENCHMARK(BM_Minimax8)
    ->Arg(12500)
    ->Arg(25000)
    ->Arg(50000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(BM_Minimax4)->Arg(50000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Minimax8Books8)
    ->Arg(12500)
    ->Arg(25000)
    ->Arg(50000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(BM_Minimax8Overflow1pct)->Arg(50000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Sa8)->Arg(12500)->Arg(25000)->Arg(50000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Nibble4)
    ->Arg(12500)
    ->Arg(25000)
    ->Arg(50000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(BM_Nibble4x2)
    ->Arg(12500)
    ->Arg(25000)
    ->Arg(50000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(BM_Balanced8)->Arg(50000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Limit8)->Arg(50000)->Unit(benchmark::kMillisecond);

const CodeResult& code_for(Method m) {
    static std::map<Method, CodeResult> cache;
    auto it = cache.find(m);
    if (it == cache.end()) it = cache.emplace(m, run_method(m, default_table())).first;
    return it->second;
}

// Encoding throughput in input bytes per second (the code is found beforehand).
void BM_Encode(benchmark::State& state) {
    const Method m = Method(state.range(0));
    const Table& t = default_table();
    const CodeResult& r = code_for(m);
    for (auto _ : state) benchmark::DoNotOptimize(encode_table(t, r).payload.data());
    state.SetBytesProcessed(int64_t(state.iterations() * t.size_bytes()));
    state.SetLabel(method_name(m));
}
BENCHMARK(BM_Encode)
    ->Arg(int(Method::Sa8))
    ->Arg(int(Method::Nibble4x2))
    ->Unit(benchmark::kMillisecond);

// Random-access decoding throughput in decoded (output) bytes per second, one core: rows
// drawn uniformly from the default table, `batch` rows per call (1: decode_row, more:
// decode_rows, the gather an embedding-bag lookup does).
void decode_bench(benchmark::State& state, size_t batch) {
    const Method m = Method(state.range(0));
    const Table& t = default_table();
    const CodedTable coded = encode_table(t, code_for(m));
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
    ->Arg(int(Method::Sa8))
    ->Arg(int(Method::Nibble4x2))
    ->Arg(int(Method::Huffman8));
BENCHMARK(BM_DecodeRandomRows)
    ->Arg(int(Method::Sa8))
    ->Arg(int(Method::Nibble4x2))
    ->Arg(int(Method::Huffman8));

}  // namespace

BENCHMARK_MAIN();
