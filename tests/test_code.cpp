// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>
#include <random>

#include "embzip/code.hpp"
#include "embzip/errors.hpp"

using namespace embzip;

namespace {
uint64_t cost(const CodeLengths& c, const std::vector<uint64_t>& f) {
    uint64_t s = 0;
    for (size_t i = 0; i < f.size(); ++i) s += f[i] * c.len[i];
    return s;
}
}  // namespace

TEST_CASE("huffman lengths on a textbook example", "[encoder]") {
    // Frequencies 45,13,12,16,9,5 (CLRS): optimal lengths 1,3,3,3,4,4, cost 224.
    std::vector<uint64_t> f = {45, 13, 12, 16, 9, 5};
    f.resize(256, 0);
    const CodeLengths c = huffman_lengths(f.data(), 256);
    CHECK(c.len[0] == 1);
    CHECK(c.len[1] == 3);
    CHECK(c.len[2] == 3);
    CHECK(c.len[3] == 3);
    CHECK(c.len[4] == 4);
    CHECK(c.len[5] == 4);
    CHECK(cost(c, f) == 224);
    CHECK(c.kraft_scaled() == (uint64_t(1) << CodeGeometry::kMaxCodeLen));
    std::vector<uint32_t> f32(f.begin(), f.end());
    CHECK(huffman_cost(f32.data(), 256) == 224);
}

TEST_CASE("one and two symbols get one-bit codes", "[encoder]") {
    std::vector<uint64_t> f(256, 0);
    f[7] = 100;
    CodeLengths c = huffman_lengths(f.data(), 256);
    CHECK(c.used() == 1);
    CHECK(c.len[7] == 1);
    f[9] = 1;
    c = huffman_lengths(f.data(), 256);
    CHECK(c.len[7] == 1);
    CHECK(c.len[9] == 1);
    std::vector<uint32_t> one(256, 0);
    one[3] = 50;
    CHECK(huffman_cost(one.data(), 256) == 50);
}

TEST_CASE("package-merge respects the length limit and stays optimal", "[encoder]") {
    // Fibonacci frequencies make plain Huffman as deep as possible.
    std::vector<uint64_t> f(256, 0);
    uint64_t a = 1, b = 1;
    for (int i = 0; i < 40; ++i) {
        f[i] = a;
        const uint64_t n = a + b;
        a = b;
        b = n;
    }
    const CodeLengths free = huffman_lengths(f.data(), 256, 63);
    CHECK(free.max_len() == 39);
    for (unsigned limit : {6u, 8u, 12u, 20u, 32u}) {
        const CodeLengths c = huffman_lengths(f.data(), 256, limit);
        CHECK(c.max_len() <= limit);
        CHECK(c.kraft_ok());
        CHECK(c.used() == 40);
        CHECK(cost(c, f) >= cost(free, f));
    }
    // Exhaustive check of optimality on small alphabets: every length vector up to 5 bits.
    std::mt19937 rng(5);
    for (int trial = 0; trial < 30; ++trial) {
        std::vector<uint64_t> g(256, 0);
        const int n = 3 + trial % 4;
        for (int i = 0; i < n; ++i) g[i] = 1 + rng() % 50;
        const unsigned limit = 3;
        const CodeLengths c = huffman_lengths(g.data(), 256, limit);
        uint64_t best = UINT64_MAX;
        std::vector<int> len(n, 1);
        while (true) {
            uint64_t kraft = 0, cst = 0;
            for (int i = 0; i < n; ++i) kraft += 1u << (limit - len[i]), cst += g[i] * len[i];
            if (kraft <= (1u << limit)) best = std::min(best, cst);
            int i = 0;
            while (i < n && len[i] == int(limit)) len[i++] = 1;
            if (i == n) break;
            ++len[i];
        }
        CHECK(cost(c, g) == best);
    }
    CHECK_THROWS_AS(huffman_lengths(f.data(), 256, 5), InputError);  // 40 symbols need 6 bits
}

TEST_CASE("canonical codes are prefix-free and follow the lengths", "[encoder]") {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<uint64_t> f(256, 0);
        for (int i = 0; i < 256; ++i) f[i] = rng() % 4 == 0 ? 0 : rng() % 1000;
        f[0] = 1;
        const CanonicalCode c = make_canonical(huffman_lengths(f.data(), 256));
        std::vector<std::string> codes;
        for (unsigned s = 0; s < 256; ++s)
            if (c.lengths.len[s]) codes.push_back(code_string(c, s));
        for (size_t i = 0; i < codes.size(); ++i)
            for (size_t j = 0; j < codes.size(); ++j)
                if (i != j) REQUIRE(codes[j].compare(0, codes[i].size(), codes[i]) != 0);
    }
}

TEST_CASE("canonical construction rejects codes that are not prefix codes", "[encoder]") {
    CodeLengths c;
    c.len[0] = 1;
    c.len[1] = 1;
    c.len[2] = 1;
    CHECK_FALSE(c.kraft_ok());
    CHECK_THROWS_AS(make_canonical(c), InputError);
    CodeLengths empty;
    CHECK_THROWS_AS(make_canonical(empty), InputError);
}

TEST_CASE("balanced shapes are complete trees", "[encoder]") {
    for (unsigned n = 1; n <= 256; ++n) {
        const Shape s = balanced_shape(n);
        CHECK(s.leaves() == n);
        if (n >= 2) CHECK(s.kraft_scaled() == (uint64_t(1) << CodeGeometry::kMaxCodeLen));
    }
    const Shape s = balanced_shape(210);  // the default table's alphabet: 46 x 7 bits, 164 x 8 bits
    CHECK(s.n[7] == 46);
    CHECK(s.n[8] == 164);
}

#include "embzip/decoder_timing.hpp"

TEST_CASE("lane schedule with and without overlapped load", "[encoder]") {
    DecoderConfig c;
    c.arch = DecoderArch::Canonical;
    c.symbols_per_cycle = 1;
    const RowTiming decode_bound{3, 10, 15}, load_bound{3, 0, 5};  // 3 words; 10 steps / overflow
    LaneCycles plain;
    RowCycles r = schedule_row(c, plain, 0, decode_bound);
    CHECK((r.first_word == 0 && r.prime == 3 && r.done == 15));
    r = schedule_row(c, plain, 4, decode_bound);  // waits for the previous row's done
    CHECK((r.first_word == 15 && r.prime == 18 && r.done == 30));
    c.overlap = true;
    LaneCycles lane;
    r = schedule_row(c, lane, 0, decode_bound);  // an idle lane: row_timing's latency
    CHECK((r.first_word == 0 && r.prime == 3 && r.done == 15));
    r = schedule_row(c, lane, 1, decode_bound);  // loads in 3..5, primes when row 0 is done
    CHECK((r.first_word == 3 && r.prime == 15 && r.done == 27));
    r = schedule_row(c, lane, 6, load_bound);  // in_ready rises in the previous row's prime
    CHECK((r.first_word == 15 && r.prime == 27 && r.done == 29));
    r = schedule_row(c, lane, 16, load_bound);  // the bus is the bound now: prime = last word + 1
    CHECK((r.first_word == 27 && r.prime == 30 && r.done == 32));
    r = schedule_row(c, lane, 100, decode_bound);  // late arrival: the lane went idle
    CHECK((r.first_word == 100 && r.prime == 103 && r.done == 115));
}

TEST_CASE("decoder timing contract on hand-made rows", "[encoder]") {
    const uint8_t lens[] = {3, 3, 4, 9, 12, 2, 2, 2};
    DecoderConfig c;
    c.arch = DecoderArch::Lut;
    c.symbols_per_cycle = 2;
    c.lut_bits = 10;
    c.bus_bits = 64;
    // Steps: {3,3} {4} {9} {12: long, 2 cycles} {2,2} {2} -> 1+1+1+2+1+1 = 7.
    RowTiming t = row_timing(c, 130, lens, 8);
    CHECK(t.input_cycles == 3);
    CHECK(t.decode_steps == 7);
    CHECK(t.latency_cycles == 3 + kDecoderPipelineLatency + 7);
    c.symbols_per_cycle = 4;  // {3,3,4} {9} {12} {2,2,2} -> 1+1+2+1
    CHECK(row_timing(c, 130, lens, 8).decode_steps == 5);
    c.arch = DecoderArch::Canonical;
    c.symbols_per_cycle = 1;
    CHECK(row_timing(c, 64, lens, 8).decode_steps == 8);
    c.symbols_per_cycle = 2;
    CHECK_THROWS_AS(row_timing(c, 64, lens, 8), InputError);
    // An overflowed row: the slot is buffered, the pipeline emits the index beat, no decode step.
    c.symbols_per_cycle = 1;
    RowTiming o = overflow_row_timing(c, 130);
    CHECK(o.input_cycles == 3);
    CHECK(o.decode_steps == 0);
    CHECK(o.latency_cycles == 3 + kDecoderPipelineLatency);
    c.arch = DecoderArch::Lut;
    c.bus_bits = 8;
    CHECK(overflow_row_timing(c, 130).latency_cycles == 17 + kDecoderPipelineLatency);
    c.symbols_per_cycle = 0;
    CHECK_THROWS_AS(overflow_row_timing(c, 130), InputError);
    // Chain: the lut rule with B as a window that may exceed 16 bits.
    c.arch = DecoderArch::Chain;
    c.symbols_per_cycle = 4;
    c.bus_bits = 64;
    c.lut_bits = 10;
    CHECK(row_timing(c, 130, lens, 8).decode_steps == 5);
    c.lut_bits = 24;  // {3,3,4,9} {12,2,2,2} -> 2
    CHECK(row_timing(c, 130, lens, 8).decode_steps == 2);
    c.lut_bits = 65;
    CHECK_THROWS_AS(row_timing(c, 130, lens, 8), InputError);
}
