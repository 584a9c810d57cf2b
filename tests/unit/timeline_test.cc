// SPDX-License-Identifier: MIT
// The time-travel timeline on a real recording of the crashing sample guest: exact backward
// steps, forward and backward resumption, breakpoints and the user story of issue 5 —
// reverse-continue to the write that corrupted a pointer.
#include "debug/timeline.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "replay/session.h"

#ifndef REWIND_BAREMETAL_DIR
#error "REWIND_BAREMETAL_DIR must name the bare-metal samples' build directory"
#endif

namespace rwd {
namespace {

uint64_t symbol(const std::string& name) {
  std::string cmd = "nm " REWIND_BAREMETAL_DIR "/crash.elf64";
  FILE* p = popen(cmd.c_str(), "r");
  char line[256];
  uint64_t value = 0;
  while (p && fgets(line, sizeof line, p)) {
    char type, sym[200];
    unsigned long long v;
    if (sscanf(line, "%llx %c %199s", &v, &type, sym) == 3 && name == sym) value = v;
  }
  if (p) pclose(p);
  return value;
}

class TimelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = new std::string(testing::TempDir() + "/timeline_crash.rwd");
    RecordOptions o;
    o.output = *path_;
    o.machine_args = {"-kernel", REWIND_BAREMETAL_DIR "/crash.elf", "-no-reboot", "-device",
                      "isa-debug-exit,iobase=0xf4,iosize=0x04"};
    o.checkpoint_interval = 1'000'000;
    o.serial_out = nullptr;
    SessionResult r = record_session(o);
    ASSERT_EQ(r.exit_status, 35) << r.message;
  }
  void SetUp() override {
    std::string error;
    t_ = Timeline::open(*path_, nullptr, &error);
    ASSERT_NE(t_, nullptr) << error;
  }
  uint64_t read_u64(uint64_t addr) {
    uint64_t v = 0;
    t_->machine().read_phys(addr, &v, 8);  // the guest identity-maps its first GiB
    return v;
  }
  static std::string* path_;
  std::unique_ptr<Timeline> t_;
};
std::string* TimelineTest::path_ = nullptr;

TEST_F(TimelineTest, StepsBackToIdenticalStates) {
  std::string error;
  ASSERT_TRUE(t_->seek(2'345'678, &error)) << error;
  std::vector<CpuState> states;
  for (int i = 0; i < 20; i++) {
    states.push_back(t_->machine().cpu().state);
    t_->step();
  }
  for (int i = 19; i >= 0; i--) {
    t_->step_back();
    EXPECT_EQ(t_->position(), 2'345'678u + i);
    EXPECT_EQ(std::memcmp(&states[i], &t_->machine().cpu().state, sizeof(CpuState)), 0) << i;
  }
  // Across a checkpoint boundary, backward.
  ASSERT_TRUE(t_->seek(3'000'001, &error));
  uint64_t h = t_->machine().state_hash().total;
  t_->step_back();
  t_->step_back();
  t_->step();
  t_->step();
  EXPECT_EQ(t_->position(), 3'000'001u);
  EXPECT_EQ(t_->machine().state_hash().total, h);
}

TEST_F(TimelineTest, ResumeForwardReachesTheEnd) {
  Timeline::Stop s = t_->resume(nullptr);
  EXPECT_EQ(s.kind, Timeline::StopKind::kEnd);
  EXPECT_EQ(t_->position(), t_->end_position());
  EXPECT_EQ(t_->machine().state_hash().total, t_->recording().end_hash.total);
}

TEST_F(TimelineTest, ReverseContinueWithoutStopsReachesTheBeginning) {
  std::string error;
  ASSERT_TRUE(t_->seek(4'500'000, &error));
  EXPECT_EQ(t_->resume_back(nullptr).kind, Timeline::StopKind::kBegin);
  EXPECT_EQ(t_->position(), 0u);
}

TEST_F(TimelineTest, ReverseContinueFindsTheWriteThatCorruptedThePointer) {
  const uint64_t sched = symbol("g_sched");
  ASSERT_NE(sched, 0u);
  const uint64_t recycle_list = sched + 8 * 8;  // after uint64_t deadline[STAGES = 8]
  ASSERT_EQ(t_->resume(nullptr).kind, Timeline::StopKind::kEnd);
  EXPECT_EQ(read_u64(recycle_list), 0x48000000u);  // the corrupted value the guest faulted on
  t_->set_watchpoints({{recycle_list, 8, WatchKind::kWrite}});
  Timeline::Stop s = t_->resume_back(nullptr);
  ASSERT_EQ(s.kind, Timeline::StopKind::kWatchpoint);
  EXPECT_EQ(s.address, recycle_list);
  // Stopped before the writing instruction, inside fill_deadlines: one step forward writes the
  // bad value.
  const uint64_t rip = t_->machine().cpu().state.rip;
  const uint64_t fill = symbol("fill_deadlines");
  EXPECT_GE(rip, fill);
  EXPECT_LT(rip, fill + 0x80);
  EXPECT_NE(read_u64(recycle_list), 0x48000000u);
  t_->set_watchpoints({});
  t_->step();
  EXPECT_EQ(read_u64(recycle_list), 0x48000000u);
}

TEST_F(TimelineTest, BreakpointsForwardAndBackward) {
  const uint64_t fill = symbol("fill_deadlines");
  ASSERT_NE(fill, 0u);
  t_->set_breakpoints({fill});
  Timeline::Stop s = t_->resume(nullptr);
  ASSERT_EQ(s.kind, Timeline::StopKind::kBreakpoint);
  EXPECT_EQ(t_->machine().cpu().state.rip, fill);
  const uint64_t hit = t_->position();
  // Continuing from the breakpoint does not stop on it again at once.
  EXPECT_EQ(t_->resume(nullptr).kind, Timeline::StopKind::kEnd);
  // Backward from the end, the same (only) call is found again.
  s = t_->resume_back(nullptr);
  ASSERT_EQ(s.kind, Timeline::StopKind::kBreakpoint);
  EXPECT_EQ(t_->position(), hit);
  EXPECT_EQ(t_->machine().cpu().state.rip, fill);
  s = t_->resume_back(nullptr);
  EXPECT_EQ(s.kind, Timeline::StopKind::kBegin)
      << "at position " << t_->position() << " rip " << std::hex << t_->machine().cpu().state.rip
      << " (first hit at " << std::dec << hit << ")";
}

}  // namespace
}  // namespace rwd
