// SPDX-License-Identifier: MIT
#include "debug/timeline.h"

#include <algorithm>

#include "base/log.h"

namespace rwd {
namespace {
// Far seeks leave a snapshot this far before their target, so that reverse steps from there
// re-execute at most this many instructions.
constexpr uint64_t kNearSnapshotDistance = 2'000'000;
constexpr size_t kMaxSnapshots = 48;
// Slice length between polls of `interrupted`.
constexpr uint64_t kSlice = 5'000'000;
}  // namespace

std::unique_ptr<Timeline> Timeline::open(const std::string& recording, std::FILE* serial_out,
                                         std::string* error) {
  std::unique_ptr<Timeline> t(new Timeline());
  if (!load_recording(recording, &t->rec_, true, error)) return nullptr;
  t->port_ = std::make_unique<ReplayInputPort>(t->rec_.events);
  t->machine_ = Machine::create(t->rec_.config, *t->port_, serial_out, error);
  if (!t->machine_) return nullptr;
  if (t->machine_->layout_fingerprint() != t->rec_.manifest.machine_layout) {
    *error = "'" + recording + "' was recorded by a rewind whose machine differs from this one";
    return nullptr;
  }
  t->snapshots_[0] = t->machine_->checkpoint(true);
  return t;
}

std::unique_ptr<Timeline> Timeline::live(std::unique_ptr<Machine> machine) {
  std::unique_ptr<Timeline> t(new Timeline());
  t->machine_ = std::move(machine);
  t->live_ = true;
  return t;
}

void Timeline::arm_debugger(bool arm) {
  Cpu& cpu = machine_->cpu();
  cpu.set_breakpoints(arm ? breakpoints_ : std::vector<uint64_t>{});
  cpu.set_watchpoints(arm ? watchpoints_ : std::vector<Watchpoint>{});
}

void Timeline::set_breakpoints(std::vector<uint64_t> addresses) { breakpoints_ = std::move(addresses); }
void Timeline::set_watchpoints(std::vector<Watchpoint> w) { watchpoints_ = std::move(w); }

std::vector<uint64_t> Timeline::snapshot_positions() const {
  std::vector<uint64_t> out;
  for (size_t k = 0; k < rec_.checkpoints.size(); k++) out.push_back(rec_.checkpoint_position(k));
  for (auto& [p, bytes] : snapshots_) out.push_back(p);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void Timeline::take_snapshot() {
  if (live_) return;  // snapshots serve going back, which a live machine cannot
  if (snapshots_.size() >= kMaxSnapshots) {
    // Keep position 0; drop the snapshot farthest from here.
    auto victim = snapshots_.end();
    uint64_t worst = 0;
    for (auto it = std::next(snapshots_.begin()); it != snapshots_.end(); ++it) {
      uint64_t d = it->first > position() ? it->first - position() : position() - it->first;
      if (d >= worst) worst = d, victim = it;
    }
    if (victim != snapshots_.end()) snapshots_.erase(victim);
  }
  snapshots_[position()] = machine_->checkpoint(true);
}

void Timeline::run_plain(uint64_t target) {
  arm_debugger(false);
  while (machine_->position() < target) {
    Outcome o = machine_->run(target);
    if (o.kind != Outcome::Kind::kRunning && o.kind != Outcome::Kind::kDebug) break;
  }
}

bool Timeline::restore_before(uint64_t target, std::string* error) {
  // The best in-memory snapshot at or before the target.
  auto snap = snapshots_.upper_bound(target);
  --snap;  // position 0 is always there
  uint64_t best = snap->first;
  // A recording checkpoint closer to the target than any in-memory snapshot?
  size_t k = 0;
  bool use_checkpoint = false;
  for (size_t i = 0; i < rec_.checkpoints.size(); i++)
    if (rec_.checkpoint_position(i) <= target && rec_.checkpoint_position(i) > best) {
      k = i;
      use_checkpoint = true;
    }
  if (use_checkpoint) {
    // Apply the recording's incremental checkpoints on top of the nearest full state before
    // checkpoint k; remember the result in memory.
    auto base = snapshots_.upper_bound(rec_.checkpoint_position(k));
    --base;
    if (!machine_->restore_checkpoint(base->second, true, error)) return false;
    for (size_t i = 0; i <= k; i++) {
      if (rec_.checkpoint_position(i) <= base->first) continue;
      StoredHash hash;
      std::vector<uint8_t> snapshot;
      if (!read_checkpoint(rec_, i, &hash, &snapshot, error) ||
          !machine_->restore_checkpoint(snapshot, false, error))
        return false;
    }
    port_->seek(machine_->position());
    take_snapshot();
    return true;
  }
  if (position() >= best && position() <= target) return true;  // already between
  if (!machine_->restore_checkpoint(snap->second, true, error)) return false;
  port_->seek(machine_->position());
  return true;
}

bool Timeline::seek(uint64_t target, std::string* error) {
  if (live_ && target < position()) {
    *error = "a live machine cannot go back in time (record it and replay the recording)";
    return false;
  }
  target = std::min(target, end_position());
  if (target == position()) return true;
  if (target < position() || target - position() > kNearSnapshotDistance) {
    if (!restore_before(target, error)) return false;
  }
  if (target - position() > kNearSnapshotDistance) {
    run_plain(target - kNearSnapshotDistance / 2);
    take_snapshot();
  }
  run_plain(target);
  return true;
}

Timeline::Stop Timeline::step() {
  if (position() >= end_position()) return Stop{StopKind::kEnd};
  if (live_ && machine_->outcome()) return Stop{StopKind::kExited, 0, {}, machine_->outcome()->status};
  arm_debugger(true);
  machine_->cpu().ignore_breakpoint_here();
  Outcome o = machine_->run(position() + 1);
  if (live_ && o.kind != Outcome::Kind::kRunning && o.kind != Outcome::Kind::kDebug)
    return Stop{StopKind::kExited, 0, {}, o.status};
  if (o.kind == Outcome::Kind::kDebug &&
      machine_->cpu().debug_stop().kind == DebugStop::Kind::kWatchpoint) {
    // The watchpoint fired in the stepped instruction; finish that instruction's step.
    const DebugStop d = machine_->cpu().debug_stop();
    if (position() < d.insn_position + 1) run_plain(d.insn_position + 1);
    return Stop{StopKind::kWatchpoint, d.address, d.access};
  }
  if (position() >= end_position()) return Stop{StopKind::kEnd};
  return Stop{StopKind::kStep};
}

Timeline::Stop Timeline::step_back() {
  if (live_) return Stop{StopKind::kUnsupported};
  if (position() == 0) return Stop{StopKind::kBegin};
  std::string error;
  if (!seek(position() - 1, &error)) {
    REWIND_LOG(kError, "timeline", "%s", error.c_str());
    return Stop{StopKind::kInterrupted};
  }
  return Stop{StopKind::kStep};
}

Timeline::Stop Timeline::resume(const std::function<bool()>& interrupted) {
  arm_debugger(true);
  machine_->cpu().ignore_breakpoint_here();
  while (position() < end_position()) {
    const uint64_t slice_end = std::min(end_position(), position() + kSlice);
    Outcome o = machine_->run(slice_end);
    if (o.kind == Outcome::Kind::kDebug) {
      const DebugStop& d = machine_->cpu().debug_stop();
      if (d.kind == DebugStop::Kind::kBreakpoint) return Stop{StopKind::kBreakpoint, d.address};
      return Stop{StopKind::kWatchpoint, d.address, d.access};
    }
    if (o.kind != Outcome::Kind::kRunning) {
      if (live_) return Stop{StopKind::kExited, 0, {}, o.status};
      break;  // the recorded run ended here
    }
    if (interrupted && interrupted()) return Stop{StopKind::kInterrupted};
  }
  return Stop{StopKind::kEnd};
}

Timeline::Stop Timeline::resume_back(const std::function<bool()>& interrupted) {
  if (live_) return Stop{StopKind::kUnsupported};
  // Scan intervals backward: [start, end) from the snapshot before `end`, running forward with
  // the debugger armed and remembering the last hit; the last hit of the latest interval that
  // has one is where reverse execution stops (DESIGN §5).
  const uint64_t from = position();
  uint64_t end = from;
  std::string error;
  while (end > 0) {
    if (!restore_before(end - 1, &error)) break;
    const uint64_t start = position();
    bool found = false;
    Stop last;
    uint64_t last_position = 0;
    arm_debugger(true);
    while (position() < end) {
      Outcome o = machine_->run(end);
      if (o.kind == Outcome::Kind::kDebug) {
        const DebugStop d = machine_->cpu().debug_stop();
        if (d.kind == DebugStop::Kind::kBreakpoint) {
          if (position() < end) {
            found = true;
            last = Stop{StopKind::kBreakpoint, d.address};
            last_position = position();
          }
          machine_->cpu().ignore_breakpoint_here();
        } else if (d.insn_position < end) {
          // Backward, a watchpoint stops before the accessing instruction (as gdb's own
          // reverse debugging does: the old value is still in memory).
          found = true;
          last = Stop{StopKind::kWatchpoint, d.address, d.access};
          last_position = d.insn_position;
        }
        continue;
      }
      if (o.kind != Outcome::Kind::kRunning) break;
    }
    if (found) {
      if (!seek(last_position, &error)) break;
      return last;
    }
    if (interrupted && interrupted()) {
      seek(start, &error);
      return Stop{StopKind::kInterrupted};
    }
    end = start;
  }
  if (!error.empty()) REWIND_LOG(kError, "timeline", "%s", error.c_str());
  seek(0, &error);
  return Stop{StopKind::kBegin};
}

}  // namespace rwd
