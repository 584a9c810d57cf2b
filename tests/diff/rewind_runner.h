// SPDX-License-Identifier: MIT
//
// Runs snippets inside the emulator under the execution contract of
// snippet.h: a minimal 64-bit machine (4-level paging, GDT, IDT, TSS) whose
// only user pages are the snippet's code, data and stack pages, with the
// snippet running at CPL 3.  Exceptions are delivered through the guest
// IDT to one-byte `hlt` stubs; the result is read back from the exception
// frame, so the stubs never disturb the state being reported.
#ifndef REWIND_TESTS_DIFF_REWIND_RUNNER_H_
#define REWIND_TESTS_DIFF_REWIND_RUNNER_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/diff/snippet.h"

namespace rwd::diff {

// One emulator instance reused for many snippets (building a Cpu is far
// more expensive than loading a new state into it).
class RewindRunner {
 public:
  // `cpu_spec` is a -cpu spelling for cpu_model_from_spec(); throws
  // std::runtime_error if it is unknown.
  explicit RewindRunner(const std::string& cpu_spec = "max");
  ~RewindRunner();
  RewindRunner(const RewindRunner&) = delete;
  RewindRunner& operator=(const RewindRunner&) = delete;

  Result run(const Snippet& snippet);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience wrappers (one RewindRunner per call).
Result run_in_rewind(const Snippet& snippet);
std::vector<Result> run_in_rewind(const std::vector<Snippet>& snippets);

}  // namespace rwd::diff

#endif  // REWIND_TESTS_DIFF_REWIND_RUNNER_H_
