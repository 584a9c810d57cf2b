// SPDX-License-Identifier: MIT
// The one clock (DESIGN §2.2, STYLE practice 3). Virtual time is a pure function of the
// position: 1 retired instruction = 1 ns. Devices schedule timers at virtual deadlines; the run
// loop runs the CPU exactly to the next deadline and then fires what is due, in (deadline,
// registration order) order so equal deadlines always fire the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace rwd {

constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

class Clock {
 public:
  using TimerId = uint32_t;

  static constexpr uint64_t ns_from_position(uint64_t position) { return position; }
  static constexpr uint64_t position_from_ns(uint64_t ns) { return ns; }

  // The Machine tells the clock where "now" is (the CPU's position). Inside an instruction it
  // is the position before that instruction retires.
  void set_position_source(std::function<uint64_t()> source) { position_source_ = std::move(source); }
  uint64_t now_position() const { return position_source_ ? position_source_() : 0; }
  uint64_t now_ns() const { return ns_from_position(now_position()); }

  // Timers are registered once by the Machine at wiring time (their order is fixed by the
  // machine description); devices then arm and disarm them.
  TimerId add_timer(std::string name, std::function<void()> callback);
  void arm(TimerId id, uint64_t deadline_position);
  void disarm(TimerId id);
  bool armed(TimerId id) const { return timers_[id].deadline != kNever; }
  uint64_t deadline(TimerId id) const { return timers_[id].deadline; }

  uint64_t next_deadline() const;
  // Fires every timer whose deadline is <= position. Callbacks may re-arm timers.
  void run_due(uint64_t position);

  // Snapshot support: deadlines only (callbacks are wiring).
  std::vector<uint64_t> save() const;
  void restore(const std::vector<uint64_t>& deadlines);

 private:
  struct Timer {
    std::string name;
    std::function<void()> callback;
    uint64_t deadline = kNever;
  };
  std::vector<Timer> timers_;
  std::function<uint64_t()> position_source_;
};

}  // namespace rwd
