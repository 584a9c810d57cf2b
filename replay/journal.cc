// SPDX-License-Identifier: MIT
#include "replay/journal.h"

#include <cstring>

#include "replay/bytes.h"
#include "replay/clock.h"

namespace rwd {

std::vector<uint8_t> encode_events(uint64_t first_position, const std::vector<Event>& events) {
  ByteWriter w;
  for (const Event& e : events) {
    w.varint(e.position - first_position);
    w.u8(uint8_t(e.kind));
    w.bytes(e.payload.data(), e.payload.size());
  }
  return std::move(w.data());
}

bool decode_events(uint64_t first_position, uint64_t last_position,
                   const std::vector<uint8_t>& raw, std::vector<Event>* out, std::string* error) {
  ByteReader r(raw);
  uint64_t previous = first_position;
  while (!r.at_end()) {
    Event e;
    uint64_t delta;
    uint8_t kind;
    if (!r.varint(&delta) || !r.u8(&kind) || !r.bytes(&e.payload, 1 << 20)) {
      *error = "malformed event: " + r.error();
      return false;
    }
    if (kind < 1 || kind > format::kMaxEventKind) {
      *error = "unknown event kind " + std::to_string(kind);
      return false;
    }
    e.kind = format::EventKind(kind);
    e.position = first_position + delta;
    if (e.position < previous || e.position > last_position) {
      *error = "event at position " + std::to_string(e.position) + " out of order or range";
      return false;
    }
    previous = e.position;
    out->push_back(std::move(e));
  }
  return true;
}

// --- Recording -------------------------------------------------------------------------------

void RecordingInputPort::journal(uint64_t position, format::EventKind kind, const void* data,
                                 size_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  pending_.push_back(Event{position, kind, std::vector<uint8_t>(p, p + size)});
  count_++;
}

uint64_t RecordingInputPort::wall_clock(uint64_t position) {
  uint64_t v = live_.wall_clock(position);
  journal(position, format::EventKind::kWallClock, &v, sizeof v);
  return v;
}

uint64_t RecordingInputPort::random(uint64_t position) {
  uint64_t v = live_.random(position);
  journal(position, format::EventKind::kRandom, &v, sizeof v);
  return v;
}

std::vector<uint8_t> RecordingInputPort::serial_input(uint64_t position, size_t space) {
  std::vector<uint8_t> bytes = live_.serial_input(position, space);
  if (!bytes.empty())
    journal(position, format::EventKind::kSerialRx, bytes.data(), bytes.size());
  return bytes;
}

// --- Replay ----------------------------------------------------------------------------------

const Event* ReplayInputPort::take(uint64_t position, format::EventKind kind) {
  if (next_ < events_.size() && events_[next_].kind == kind && events_[next_].position == position)
    return &events_[next_++];
  if (error_.empty()) {
    error_ = std::string("the guest asked for ") + format::event_kind_name(uint8_t(kind)) +
             " at position " + std::to_string(position) + " but the journal has ";
    if (next_ < events_.size())
      error_ += std::string(format::event_kind_name(uint8_t(events_[next_].kind))) +
                " at position " + std::to_string(events_[next_].position);
    else
      error_ += "no more events";
  }
  return nullptr;
}

uint64_t ReplayInputPort::wall_clock(uint64_t position) {
  const Event* e = take(position, format::EventKind::kWallClock);
  uint64_t v = 0;
  if (e && e->payload.size() == 8) std::memcpy(&v, e->payload.data(), 8);
  return v;
}

uint64_t ReplayInputPort::random(uint64_t position) {
  const Event* e = take(position, format::EventKind::kRandom);
  uint64_t v = 0;
  if (e && e->payload.size() == 8) std::memcpy(&v, e->payload.data(), 8);
  return v;
}

std::vector<uint8_t> ReplayInputPort::serial_input(uint64_t position, size_t) {
  // Serial input is delivered by the machine when the position reaches the event's position;
  // at any other position there is simply nothing to deliver.
  if (next_ < events_.size() && events_[next_].kind == format::EventKind::kSerialRx &&
      events_[next_].position == position)
    return events_[next_++].payload;
  return {};
}

bool ReplayInputPort::serial_open() const {
  for (size_t i = next_; i < events_.size(); i++)
    if (events_[i].kind == format::EventKind::kSerialRx) return true;
  return false;
}

uint64_t ReplayInputPort::next_event_position() const {
  for (size_t i = next_; i < events_.size(); i++)
    if (events_[i].kind == format::EventKind::kSerialRx) return events_[i].position;
  return kNever;
}

}  // namespace rwd
