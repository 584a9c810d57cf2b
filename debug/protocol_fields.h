// SPDX-License-Identifier: MIT
// Field parsers shared by the request parsers (protocol_parse.cc, protocol_parse_query.cc); not
// part of the protocol layer's interface. The parse_* functions return false rather than trust
// their input: numbers are checked for non-hex characters and overflow, lengths against the caps.
#pragma once

#include <algorithm>
#include <limits>
#include <string>
#include <string_view>

#include "debug/protocol.h"

namespace rwd::gdb::fields {

inline Malformed bad(std::string_view reason) {
  return Malformed{std::string(reason)};
}

// Splits at the first sep; false when sep is absent.
inline bool split(std::string_view text, char sep, std::string_view& before,
                  std::string_view& after) {
  size_t at = text.find(sep);
  if (at == std::string_view::npos) return false;
  before = text.substr(0, at);
  after = text.substr(at + 1);
  return true;
}

// A process or thread id: "-1" or hex up to INT64_MAX.
inline bool parse_id(std::string_view text, int64_t& id) {
  if (text == "-1") {
    id = -1;
    return true;
  }
  uint64_t value;
  if (!parse_hex_u64(text, value) || value > uint64_t(std::numeric_limits<int64_t>::max()))
    return false;
  id = int64_t(value);
  return true;
}

inline bool parse_u32(std::string_view text, uint32_t& value) {
  uint64_t v;
  if (!parse_hex_u64(text, v) || v > std::numeric_limits<uint32_t>::max()) return false;
  value = uint32_t(v);
  return true;
}

inline bool parse_signal(std::string_view text, int& signal) {
  uint64_t v;
  if (text.size() > 2 || !parse_hex_u64(text, v)) return false;
  signal = int(v);
  return true;
}

// "addr,length" with the length capped and no wrap past the top of the address space.
inline bool parse_range(std::string_view text, uint64_t& address, uint64_t& length) {
  std::string_view a, l;
  if (!split(text, ',', a, l) || !parse_hex_u64(a, address) || !parse_hex_u64(l, length))
    return false;
  if (length > kMaxMemoryTransfer) return false;
  return length == 0 || address <= std::numeric_limits<uint64_t>::max() - (length - 1);
}

// The packet's name for an Unsupported reply's log line: up to the first separator.
inline Unsupported unsupported(std::string_view payload) {
  size_t end = payload.find_first_of(":,;=");
  std::string_view name = payload.substr(0, std::min<size_t>(end, 40));
  return Unsupported{std::string(name)};
}

// q… general queries (qSupported, qXfer, qRcmd, qC, thread lists, …).
Request parse_query(std::string_view payload);

}  // namespace rwd::gdb::fields
