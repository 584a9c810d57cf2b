// SPDX-License-Identifier: MIT
// What every device shares (STYLE practice 1): a name for its snapshot section and a plain
// State struct with `State save() const` and `void restore(const State&)`. Wiring (IRQ lines,
// ranges, timers) is done by the Machine and is never part of the State.
#pragma once

#include <functional>

namespace rwd {

// An interrupt request line driven by a device. The Machine connects it to an interrupt
// controller; unconnected lines do nothing.
class IrqLine {
 public:
  IrqLine() = default;
  explicit IrqLine(std::function<void(bool)> sink) : sink_(std::move(sink)) {}
  void set(bool level) {
    if (level == level_) return;
    level_ = level;
    if (sink_) sink_(level);
  }
  bool level() const { return level_; }

 private:
  std::function<void(bool)> sink_;
  bool level_ = false;
};

}  // namespace rwd
