// SPDX-License-Identifier: MIT
//
// The differential test proper: one test per generator category.  Each
// generates its cases, runs them natively (the reference) and in the
// emulator, and expects every case to agree under the snippet's masks.
// REWIND_DIFF_LONG=1 runs 100x the cases; REWIND_DIFF_CASES=<n> sets the
// cases per form.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "tests/diff/compare.h"
#include "tests/diff/generator.h"
#include "tests/diff/host_runner.h"
#include "tests/diff/rewind_runner.h"

namespace rwd::diff {
namespace {

// Snippets per host batch: bounds memory (each carries a data page) in long runs.
constexpr size_t kBatch = 4096;
constexpr size_t kReports = 5;
constexpr size_t kFormsListed = 12;

class DiffTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DiffTest, MatchesHost) {
  const Category* category = find_category(GetParam());
  ASSERT_NE(category, nullptr);
  if (!host_has_feature(category->feature))
    GTEST_SKIP() << "host CPU lacks " << category->feature;

  const size_t total = case_count(*category);
  RewindRunner emulator;
  size_t mismatches = 0, generator_errors = 0;
  std::string reports, generator_reports;
  std::map<std::string, size_t> by_form;  // mismatches per form: where to look first
  for (size_t first = 0; first < total; first += kBatch) {
    const std::vector<Snippet> snippets =
        generate(*category, first, std::min(kBatch, total - first));
    const std::vector<Result> host = run_on_host(snippets);
    for (size_t i = 0; i < snippets.size(); ++i) {
      const Snippet& s = snippets[i];
      // The host is the reference; a different outcome than the generator
      // intended means the generator's model of the instruction is off.
      if (s.expected_vector != kVectorAny &&
          host[i].state.exception_vector != s.expected_vector) {
        if (++generator_errors <= kReports) {
          generator_reports += "generator expected " + vector_name(s.expected_vector) +
                               ", host raised " + vector_name(host[i].state.exception_vector) +
                               ":\n" + describe(s);
        }
      }
      const std::string diff = compare(s, host[i], emulator.run(s));
      if (diff.empty()) continue;
      ++by_form[s.name];
      if (++mismatches <= kReports) reports += diff + "\n";
    }
  }
  EXPECT_EQ(generator_errors, 0u) << generator_errors << " of " << total
                                  << " cases behave differently on the host than generated "
                                     "for; first ones:\n"
                                  << generator_reports;
  if (mismatches != 0) {
    std::vector<std::pair<size_t, std::string>> forms;
    for (const auto& [form, n] : by_form) forms.push_back({n, form});
    std::sort(forms.rbegin(), forms.rend());
    std::string summary;
    for (size_t k = 0; k < forms.size() && k < kFormsListed; ++k)
      summary += "  " + std::to_string(forms[k].first) + "x " + forms[k].second + "\n";
    ADD_FAILURE() << mismatches << " of " << total << " cases differ from the host in "
                  << forms.size() << " form(s):\n"
                  << summary << "first " << std::min(mismatches, kReports) << ":\n"
                  << reports;
  }
}

std::vector<std::string> category_names() {
  std::vector<std::string> names;
  for (const Category& c : categories()) names.push_back(c.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Category, DiffTest, ::testing::ValuesIn(category_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace rwd::diff
