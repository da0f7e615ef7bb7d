// SPDX-License-Identifier: MIT
// Internal to the encoder library: work split over threads so that the result does not depend
// on how many there are.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace embzip::detail {

// Threads to use: 0 means every core.
inline unsigned resolve_threads(unsigned threads) {
    return threads ? threads : std::max(1u, std::thread::hardware_concurrency());
}

// Runs fn(task) for task in [0, tasks) on up to `threads` threads. Each task writes only its
// own outputs, so the result does not depend on which thread ran it or how many there were.
template <class Fn>
void parallel_tasks(size_t tasks, unsigned threads, const Fn& fn) {
    threads = unsigned(std::min<size_t>(resolve_threads(threads), tasks));
    if (threads <= 1) {
        for (size_t t = 0; t < tasks; ++t) fn(t);
        return;
    }
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t t; (t = next.fetch_add(1)) < tasks;) fn(t);
    };
    std::vector<std::thread> pool;
    for (unsigned k = 1; k < threads; ++k) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
}

}  // namespace embzip::detail
