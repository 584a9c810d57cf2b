// SPDX-License-Identifier: MIT
// Recording and replaying whole runs (DESIGN §2, §4). A session drives a Machine between
// checkpoint positions and talks to the recording container; the Machine never knows whether
// it is being recorded or replayed — only its InputPort does.
//
//   rewind record -o run.rwd -kernel guest.elf ...   → record_session()
//   rewind replay run.rwd                            → replay_session()
//   rewind dump run.rwd [--json]                     → dump_recording()
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "devices/machine/machine.h"
#include "replay/recording.h"

namespace rwd {

struct RecordOptions {
  std::string output;                        // RUN.rwd
  std::vector<std::string> machine_args;     // QEMU-style flags, stored in the manifest
  uint64_t checkpoint_interval = 20'000'000;  // instructions between checkpoints
  uint64_t max_insns = ~0ull;
  std::FILE* serial_out = stdout;
  int serial_in_fd = -1;                     // live serial input (stdin), -1 for none
  bool pack = false;                         // embed kernel/initrd images
  // Called every millisecond of virtual time when set (--pace realtime sleeps there). Pacing
  // changes only when host inputs arrive, never how the guest computes (DESIGN §2.2).
  std::function<void(uint64_t position)> pace;
};

struct SessionResult {
  int exit_status = 0;      // the guest's (or 2 for errors, 3 for a divergence)
  std::string message;      // rewind's own message for stderr, if any
  uint64_t position = 0;
  uint64_t journal_events = 0;
  uint64_t checkpoints = 0;
};

SessionResult record_session(const RecordOptions& options);

struct ReplayOptions {
  std::string recording;
  std::FILE* serial_out = stdout;
  // Test hook: flip one RAM byte at this position (to prove divergence detection works).
  uint64_t corrupt_position = ~0ull;
  uint64_t corrupt_address = 0;
  // Stop early (positions); the replay still verifies every checkpoint up to there.
  uint64_t max_insns = ~0ull;
  std::function<void(uint64_t position, uint64_t end)> progress;  // called between checkpoints
};

SessionResult replay_session(const ReplayOptions& options);

// Moves to `position` the fast way: restores the nearest stored checkpoint at or before it
// (full checkpoint + incrementals) and runs forward from there. On success the result's
// position is `position` (or the end of the recording) and message holds the state hash.
SessionResult seek_session(const std::string& recording, uint64_t position,
                           const std::function<void(uint64_t, uint64_t)>& progress = nullptr);

// Restores each stored checkpoint in turn into a fresh machine and runs to the next one,
// checking that the state hash matches the stored one.
SessionResult verify_checkpoints(const std::string& recording);

struct DumpOptions {
  bool json = false;
  uint64_t events_from = ~0ull, events_to = 0;  // list events in [from, to]
};
// Writes a description of the recording to `out`. Returns 0, or 2 on an unreadable recording.
int dump_recording(const std::string& recording, const DumpOptions& options, std::FILE* out,
                   std::string* error);

// Packs the images a recording refers to into it (rewind pack).
bool pack_recording(const std::string& recording, std::string* error);

}  // namespace rwd
