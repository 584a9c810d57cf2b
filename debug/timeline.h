// SPDX-License-Identifier: MIT
// The Timeline (DESIGN §5): a recording opened for time travel. It owns a replaying Machine and
// moves it to any position — forward by running, backward by restoring the nearest snapshot at
// or before the target and running forward from there — and implements the debugger's
// resume operations in both directions.
//
//   auto t = Timeline::open("run.rwd", nullptr, &error);
//   t->set_watchpoints({{addr, 8, WatchKind::kWrite}});
//   Timeline::Stop s = t->resume_back(nullptr);   // the last write to addr before now
//
// Snapshots: the recording's checkpoints (every N instructions; incremental ones are applied on
// top of the nearest full state) plus full snapshots kept in memory, taken when a checkpoint is
// first reconstructed and just before far seek targets, so that repeated reverse steps re-run
// only a short distance.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "devices/machine/machine.h"
#include "replay/journal.h"
#include "replay/loaded_recording.h"

namespace rwd {

class Timeline {
 public:
  static std::unique_ptr<Timeline> open(const std::string& recording, std::FILE* serial_out,
                                        std::string* error);
  // A live machine (rewind run -gdb): forward only, no end until the guest ends the run.
  static std::unique_ptr<Timeline> live(std::unique_ptr<Machine> machine);
  bool is_live() const { return live_; }

  enum class StopKind {
    kStep,         // a step finished
    kBreakpoint,   // at a breakpoint (before its instruction)
    kWatchpoint,   // forward: after the accessing instruction; backward: before it
    kBegin,        // reverse execution reached the start of the recording
    kEnd,          // forward execution reached the end of the recording
    kInterrupted,  // the debugger asked to stop
    kExited,       // a live machine's run ended (status in exit_status)
    kUnsupported,  // reverse execution on a live machine
  };
  struct Stop {
    StopKind kind = StopKind::kStep;
    uint64_t address = 0;  // breakpoint or watched address
    WatchKind access = WatchKind::kWrite;
    int exit_status = 0;
  };

  Machine& machine() { return *machine_; }
  uint64_t position() const { return machine_->position(); }
  uint64_t end_position() const { return live_ ? kNever : rec_.end_position(); }
  const LoadedRecording& recording() const { return rec_; }

  // Moves to `position` (clamped to the recording). Debugger breakpoints do not stop a seek.
  bool seek(uint64_t position, std::string* error);
  Stop step();
  Stop step_back();
  // `interrupted` is polled between slices of execution; may be null.
  Stop resume(const std::function<bool()>& interrupted);
  Stop resume_back(const std::function<bool()>& interrupted);

  void set_breakpoints(std::vector<uint64_t> addresses);
  void set_watchpoints(std::vector<Watchpoint> watchpoints);

  // Snapshots known to the timeline (positions), for `info checkpoints`.
  std::vector<uint64_t> snapshot_positions() const;
  // Takes an in-memory snapshot at the current position (monitor checkpoint).
  void take_snapshot();

 private:
  Timeline() = default;
  // Restores the best snapshot at or before `position` (never after it).
  bool restore_before(uint64_t position, std::string* error);
  void run_plain(uint64_t position);  // no debugger stops
  void arm_debugger(bool arm);

  LoadedRecording rec_;
  std::unique_ptr<ReplayInputPort> port_;
  std::unique_ptr<Machine> machine_;
  std::map<uint64_t, std::vector<uint8_t>> snapshots_;  // position → full snapshot
  std::vector<uint64_t> breakpoints_;
  std::vector<Watchpoint> watchpoints_;
  bool live_ = false;
};

}  // namespace rwd
