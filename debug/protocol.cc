// SPDX-License-Identifier: MIT
// Hex helpers, binary escaping, run-length encoding and packet framing of the gdb remote protocol
// (gdb manual, "Overview" and "Packet Acknowledgment"). Request parsing is in protocol_parse.cc,
// reply builders in protocol_reply.cc.
#include "debug/protocol.h"

#include <algorithm>

namespace rwd::gdb {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool needs_escape(uint8_t byte) {
  return byte == '$' || byte == '#' || byte == '}' || byte == '*';
}

// The RLE count character is count + 29; gdb's reader would take '#' as the end of the packet
// and '$' as the start of a new one, and printable characters stop at '~'.
constexpr size_t kRleBias = 29;
constexpr size_t kRleMaxRepeat = '~' - kRleBias;

}  // namespace

std::string to_hex(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

std::string text_to_hex(std::string_view text) {
  return to_hex({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

bool from_hex(std::string_view hex, std::vector<uint8_t>& out) {
  out.clear();
  if (hex.size() % 2 != 0) return false;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = hex_value(hex[i]), low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) return false;
    out.push_back(uint8_t(high << 4 | low));
  }
  return true;
}

std::string hex_le(uint64_t value, size_t bytes) {
  std::string out;
  out.reserve(bytes * 2);
  for (size_t i = 0; i < bytes; i++) {
    uint8_t b = i < 8 ? uint8_t(value >> (8 * i)) : 0;
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

bool parse_hex_u64(std::string_view text, uint64_t& value) {
  if (text.empty()) return false;
  uint64_t v = 0;
  for (char c : text) {
    int digit = hex_value(c);
    if (digit < 0) return false;
    if (v >> 60) return false;  // the shift would lose a set bit
    v = v << 4 | uint64_t(digit);
  }
  value = v;
  return true;
}

std::string format_hex(uint64_t value) {
  std::string out;
  do {
    out.push_back(kHexDigits[value & 0xf]);
    value >>= 4;
  } while (value != 0);
  std::reverse(out.begin(), out.end());
  return out;
}

std::string escape_binary(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (char c : bytes) {
    if (needs_escape(uint8_t(c))) {
      out.push_back('}');
      out.push_back(char(uint8_t(c) ^ 0x20));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string escape_binary(std::span<const uint8_t> bytes) {
  return escape_binary(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

bool unescape_binary(std::string_view data, std::vector<uint8_t>& out) {
  out.clear();
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); i++) {
    if (data[i] == '}') {
      if (++i == data.size()) return false;
      out.push_back(uint8_t(data[i]) ^ 0x20);
    } else {
      out.push_back(uint8_t(data[i]));
    }
  }
  return true;
}

uint8_t checksum(std::string_view data) {
  uint8_t sum = 0;
  for (char c : data) sum = uint8_t(sum + uint8_t(c));
  return sum;
}

std::string rle_encode(std::string_view payload) {
  std::string out;
  out.reserve(payload.size());
  size_t i = 0;
  while (i < payload.size()) {
    char c = payload[i];
    size_t run = 1;
    while (i + run < payload.size() && payload[i + run] == c && run - 1 < kRleMaxRepeat) run++;
    size_t repeat = run - 1;  // copies after the first character
    while (repeat + kRleBias == '#' || repeat + kRleBias == '$') repeat--;
    out.push_back(c);
    // Below 3 repeats "X*c" is no shorter than the characters themselves (and c < ' ').
    if (repeat >= 3) {
      out.push_back('*');
      out.push_back(char(repeat + kRleBias));
      i += repeat + 1;
    } else {
      i += 1;
    }
  }
  return out;
}

bool rle_decode(std::string_view raw, std::string& out, size_t max_size) {
  out.clear();
  for (size_t i = 0; i < raw.size(); i++) {
    char c = raw[i];
    if (c != '*') {
      if (out.size() >= max_size) return false;
      out.push_back(c);
      continue;
    }
    // gdb's remote.c read_frame accepts count characters 30..255 after at least one character.
    if (out.empty() || i + 1 == raw.size()) return false;
    int count = int(uint8_t(raw[++i])) - int(kRleBias);
    if (count <= 0) return false;
    if (out.size() + size_t(count) > max_size) return false;
    out.append(size_t(count), out.back());
  }
  return true;
}

std::string frame_packet(std::string_view payload, bool rle) {
  std::string body = rle ? rle_encode(payload) : std::string(payload);
  uint8_t sum = checksum(body);
  std::string out;
  out.reserve(body.size() + 4);
  out.push_back('$');
  out += body;
  out.push_back('#');
  out.push_back(kHexDigits[sum >> 4]);
  out.push_back(kHexDigits[sum & 0xf]);
  return out;
}

void PacketReader::feed(std::string_view bytes) {
  for (char c : bytes) {
    switch (state_) {
      case State::kIdle:
        if (c == '$') {
          state_ = State::kPayload;
          raw_.clear();
          too_long_ = false;
          sum_ = 0;
        } else if (c == '+') {
          events_.push_back({FrameEventKind::kAck, {}});
        } else if (c == '-') {
          events_.push_back({FrameEventKind::kNak, {}});
        } else if (c == '\x03') {
          events_.push_back({FrameEventKind::kInterrupt, {}});
        }  // anything else is line noise before a packet: skip it
        break;
      case State::kPayload:
        if (c == '#') {
          state_ = State::kChecksumHigh;
        } else if (c == '$') {
          raw_.clear();  // gdb's read_frame also restarts on a '$' inside a packet
          too_long_ = false;
          sum_ = 0;
        } else {
          sum_ = uint8_t(sum_ + uint8_t(c));
          // Keep counting the checksum past the cap so the frame's end is still found.
          if (raw_.size() < kMaxPacketBytes)
            raw_.push_back(c);
          else
            too_long_ = true;
        }
        break;
      case State::kChecksumHigh:
        checksum_high_ = c;
        state_ = State::kChecksumLow;
        break;
      case State::kChecksumLow: {
        // Like gdb, take the two characters after '#' whatever they are; bad ones fail the sum.
        int high = hex_value(checksum_high_), low = hex_value(c);
        bool sum_ok = high >= 0 && low >= 0 && uint8_t(high << 4 | low) == sum_;
        state_ = State::kIdle;
        if (!sum_ok && !no_ack_) {
          events_.push_back({FrameEventKind::kSendNak, {}});
          break;
        }
        finish_frame();
        break;
      }
    }
  }
}

void PacketReader::finish_frame() {
  FrameEvent event;
  if (too_long_ || !rle_decode(raw_, event.payload, kMaxPacketBytes)) {
    event.kind = FrameEventKind::kBadPacket;
    event.payload.clear();
  }
  events_.push_back(std::move(event));
  raw_.clear();
}

std::optional<FrameEvent> PacketReader::next() {
  if (events_.empty()) return std::nullopt;
  FrameEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

std::string_view PacketReader::ack_for(const FrameEvent& event) const {
  if (no_ack_) return "";
  switch (event.kind) {
    case FrameEventKind::kPacket:
    case FrameEventKind::kBadPacket:
      return "+";
    case FrameEventKind::kSendNak:
      return "-";
    default:
      return "";
  }
}

std::string PacketWriter::frame(std::string_view payload) {
  last_frame_ = frame_packet(payload, rle_);
  return last_frame_;
}

}  // namespace rwd::gdb
