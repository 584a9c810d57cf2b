// SPDX-License-Identifier: MIT
// A recording opened for re-execution: manifest, machine config (with packed images), every
// journal event, the checkpoint blocks and the end block, after checking that it can be
// replayed here (format, images). Shared by replay, seek, verify, dump and the time-travel
// timeline.
#pragma once

#include <string>
#include <vector>

#include "devices/machine/config.h"
#include "replay/journal.h"
#include "replay/manifest.h"
#include "replay/recording.h"

namespace rwd {

struct LoadedRecording {
  RecordingReader reader;
  Manifest manifest;
  MachineConfig config;
  std::vector<Event> events;
  std::vector<size_t> checkpoints;  // block indices
  StoredHash end_hash;
  std::string end_kind, end_message;
  uint32_t end_status = 0;
  bool has_end = false;

  uint64_t checkpoint_position(size_t k) const {
    return reader.blocks()[checkpoints[k]].first_position;
  }
  // Where replay can go: the end block, or the last position the journal covers.
  uint64_t end_position() const {
    return has_end ? reader.blocks().back().first_position : reader.covered_position();
  }
};

bool load_recording(const std::string& path, LoadedRecording* l, bool check_images,
                    std::string* error);
bool read_checkpoint(const LoadedRecording& l, size_t k, StoredHash* hash,
                     std::vector<uint8_t>* snapshot, std::string* error);

}  // namespace rwd
