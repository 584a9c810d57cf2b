// SPDX-License-Identifier: MIT
// How devices are written (STYLE practice 1, DESIGN §2):
//
// - One device = one class. Its complete guest-visible state is a nested `struct State` of plain
//   data (trivially copyable: fixed-size arrays, no pointers, no std::vector), with
//   `State save() const` and `void restore(const State&)`. restore() touches only the device's
//   own state and re-derives its outputs from it: IRQ lines with IrqLine::restore_level() (never
//   set(), which would reach into the consumer), timers by re-arming them.
// - Wiring is given to the constructor by the Machine and is never part of the State: IrqLine
//   outputs, the Clock and the timer ids it registered for the device, callbacks such as
//   "reset the machine". Devices never reach other devices directly.
// - Time: only virtual time, `clock.now_ns()` (a pure function of the instruction position).
//   Never the host clock, never threads. Timers: the Machine calls
//   `clock.add_timer(name, callback)` once at wiring time and gives the id to the device, which
//   arms/disarms it (`clock.arm(id, Clock::position_from_ns(deadline_ns))`).
// - Port I/O devices implement PortHandler, MMIO devices MmioHandler (devices/bus.h). Guest
//   mistakes (bad sizes, unaligned access, reserved bits) are handled as hardware would, with at
//   most a log line — never an abort.
#pragma once

#include <functional>

namespace rwd {

// An interrupt request line driven by a device. The Machine connects it to an interrupt
// controller; unconnected lines do nothing. Level semantics: edge-triggered consumers look for
// the 0 → 1 transition.
class IrqLine {
 public:
  IrqLine() = default;
  explicit IrqLine(std::function<void(bool)> sink) : sink_(std::move(sink)) {}
  void set(bool level) {
    if (level == level_) return;
    level_ = level;
    if (sink_) sink_(level);
  }
  // A pulse for edge-triggered sources (e.g. the PIT in mode 2 as seen by the PIC).
  void pulse() {
    set(true);
    set(false);
  }
  bool level() const { return level_; }
  // For restore(): sets the level without telling the consumer, whose own restored State
  // already holds what it saw (restore touches only the device's own state, DESIGN §2.5).
  void restore_level(bool level) { level_ = level; }

 private:
  std::function<void(bool)> sink_;
  bool level_ = false;
};

}  // namespace rwd
