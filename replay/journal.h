// SPDX-License-Identifier: MIT
// Journal events and the input ports that produce or consume them (DESIGN §2.3).
//
//   RecordingInputPort  asks the live host source and journals every value it hands out;
//   ReplayInputPort     hands out exactly the journaled values, at exactly their positions,
//                       and never looks at the host.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "replay/format.h"
#include "replay/input_port.h"

namespace rwd {

struct Event {
  uint64_t position = 0;
  format::EventKind kind = format::EventKind::kSerialRx;
  std::vector<uint8_t> payload;
};

std::vector<uint8_t> encode_events(uint64_t first_position, const std::vector<Event>& events);
// Appends the events of one journal block to *out. Checks kinds, order and range.
bool decode_events(uint64_t first_position, uint64_t last_position,
                   const std::vector<uint8_t>& raw, std::vector<Event>* out, std::string* error);

class RecordingInputPort : public InputPort {
 public:
  explicit RecordingInputPort(InputPort& live) : live_(live) {}
  uint64_t wall_clock(uint64_t position) override;
  uint64_t random(uint64_t position) override;
  std::vector<uint8_t> serial_input(uint64_t position, size_t space) override;
  bool serial_open() const override { return live_.serial_open(); }
  void wait_for_serial(int timeout_ms) override { live_.wait_for_serial(timeout_ms); }
  // Events journaled since the last take, in order.
  std::vector<Event> take_events() { return std::move(pending_); }
  uint64_t event_count() const { return count_; }

 private:
  void journal(uint64_t position, format::EventKind kind, const void* data, size_t size);
  InputPort& live_;
  std::vector<Event> pending_;
  uint64_t count_ = 0;
};

class ReplayInputPort : public InputPort {
 public:
  explicit ReplayInputPort(std::vector<Event> events) : events_(std::move(events)) {}
  uint64_t wall_clock(uint64_t position) override;
  uint64_t random(uint64_t position) override;
  std::vector<uint8_t> serial_input(uint64_t position, size_t space) override;
  bool serial_open() const override;
  void wait_for_serial(int) override {}
  uint64_t next_event_position() const override;
  // Set when the guest asked for an input the journal does not have (a divergence).
  const std::string& error() const { return error_; }
  size_t consumed() const { return next_; }
  // Continue from a state restored at `position`: the next input is the first one after it.
  void seek(uint64_t position) {
    next_ = 0;
    while (next_ < events_.size() && events_[next_].position <= position) next_++;
    error_.clear();
  }

 private:
  const Event* take(uint64_t position, format::EventKind kind);
  std::vector<Event> events_;
  size_t next_ = 0;
  std::string error_;
};

}  // namespace rwd
