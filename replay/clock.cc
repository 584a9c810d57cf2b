// SPDX-License-Identifier: MIT
#include "replay/clock.h"

#include "base/check.h"

namespace rwd {

Clock::TimerId Clock::add_timer(std::string name, std::function<void()> callback) {
  timers_.push_back(Timer{std::move(name), std::move(callback), kNever});
  return TimerId(timers_.size() - 1);
}

void Clock::arm(TimerId id, uint64_t deadline_position) { timers_[id].deadline = deadline_position; }
void Clock::disarm(TimerId id) { timers_[id].deadline = kNever; }

uint64_t Clock::next_deadline() const {
  uint64_t next = kNever;
  for (const Timer& t : timers_) next = std::min(next, t.deadline);
  return next;
}

void Clock::run_due(uint64_t position) {
  // Repeat until nothing is due: a callback may arm another timer at the current position.
  for (int rounds = 0; rounds < 1000; rounds++) {
    TimerId due = TimerId(timers_.size());
    for (TimerId id = 0; id < timers_.size(); id++) {
      const uint64_t d = timers_[id].deadline;
      if (d <= position && (due == timers_.size() || d < timers_[due].deadline)) due = id;
    }
    if (due == timers_.size()) return;
    timers_[due].deadline = kNever;
    timers_[due].callback();
  }
  REWIND_CHECK_MSG(false, "timer callbacks re-armed themselves at the same position 1000 times");
}

std::vector<uint64_t> Clock::save() const {
  std::vector<uint64_t> out;
  for (const Timer& t : timers_) out.push_back(t.deadline);
  return out;
}

void Clock::restore(const std::vector<uint64_t>& deadlines) {
  REWIND_CHECK(deadlines.size() == timers_.size());
  for (size_t i = 0; i < timers_.size(); i++) timers_[i].deadline = deadlines[i];
}

}  // namespace rwd
