// SPDX-License-Identifier: MIT
//
// Runs snippets natively on the host CPU, inside a forked sandbox process
// that maps the code/data/stack pages at the fixed addresses of snippet.h.
// The host result is the reference the emulator is compared against.
#ifndef REWIND_TESTS_DIFF_HOST_RUNNER_H_
#define REWIND_TESTS_DIFF_HOST_RUNNER_H_

#include <cstddef>
#include <functional>
#include <vector>

#include "tests/diff/snippet.h"

namespace rwd::diff {

struct HostRunOptions {
  // Snippets per sandbox process.  A sandbox that dies takes only the
  // snippet it was running with it; the rest of its chunk is re-run.
  size_t chunk_size = 1024;
  // Per-snippet wall-clock limit; a snippet that loops gets kVectorTimeout.
  unsigned timeout_seconds = 5;
  // Copy the stack page into Result::stack_out.
  bool capture_stack = true;
};

// Runs every snippet and returns one Result per snippet, in order.  Throws
// std::runtime_error if the sandbox cannot be set up (e.g. the fixed
// addresses are already in use) or a snippet is malformed (code too long,
// data_init of the wrong size, reserved MXCSR bits, TF set).
std::vector<Result> run_on_host(const std::vector<Snippet>& snippets,
                                const HostRunOptions& options = {});

// Streaming form for long runs: results are handed to `sink` in order and
// not accumulated, so memory stays bounded by the chunk size.
void run_on_host(const std::vector<Snippet>& snippets,
                 const std::function<void(size_t index, Result&& result)>& sink,
                 const HostRunOptions& options = {});

// Single snippet convenience (one sandbox per call; slow in loops).
Result run_one_on_host(const Snippet& snippet);

// Host CPU capability check for Snippet::feature / Category::feature names:
// "" (baseline x86-64), "sse3", "ssse3", "sse4_1", "sse4_2", "popcnt",
// "lzcnt", "bmi1", "cx16", "lahf_lm".  Unknown names return false.
bool host_has_feature(const std::string& feature);

}  // namespace rwd::diff

#endif  // REWIND_TESTS_DIFF_HOST_RUNNER_H_
