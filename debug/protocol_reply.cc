// SPDX-License-Identifier: MIT
// Reply payloads (gdb manual, "Stop Reply Packets", "General Query Packets"). The server fills in
// plain structs and these functions spell them; framing is PacketWriter's job.
//
//   StopReply{.signal = 5, .thread = ThreadId{0, 1}, .reason = StopReason::kSwBreak}
//     → "T05thread:01;swbreak:;"
#include <algorithm>
#include <array>

#include "debug/protocol.h"

namespace rwd::gdb {
namespace {

// Two digits at least: "01" reads like the manual's examples and gdb accepts any width.
std::string format_id(int64_t id) {
  if (id < 0) return "-1";
  std::string hex = format_hex(uint64_t(id));
  if (hex.size() < 2) hex.insert(hex.begin(), '0');
  return hex;
}

// prefix + value as two hex digits. (Not "E" + std::string: GCC 12 warns -Wrestrict there.)
std::string letter_byte(char prefix, uint8_t value) {
  std::string out(1, prefix);
  out += hex_le(value, 1);
  return out;
}

}  // namespace

std::string format_error(uint8_t code) {
  return letter_byte('E', code);
}

std::string format_thread_id(ThreadId thread) {
  if (thread.pid == ThreadId::kAny) return format_id(thread.tid);
  std::string out = "p";
  out += format_id(thread.pid);
  out += ".";
  out += format_id(thread.tid);
  return out;
}

std::string format_stop_reply(const StopReply& stop) {
  std::string out = letter_byte('T', stop.signal);
  auto field = [&out](std::string_view key, std::string_view value) {
    out += key;
    out += ':';
    out += value;
    out += ';';
  };
  for (const StopRegister& reg : stop.registers) field(format_id(reg.regnum), to_hex(reg.value));
  if (stop.thread) field("thread", format_thread_id(*stop.thread));
  switch (stop.reason) {
    case StopReason::kNone:
      break;
    case StopReason::kSwBreak:
      field("swbreak", "");
      break;
    case StopReason::kHwBreak:
      field("hwbreak", "");
      break;
    case StopReason::kWatch:
      field("watch", format_hex(stop.watch_address));
      break;
    case StopReason::kReadWatch:
      field("rwatch", format_hex(stop.watch_address));
      break;
    case StopReason::kAccessWatch:
      field("awatch", format_hex(stop.watch_address));
      break;
    case StopReason::kReplayBegin:
      field("replaylog", "begin");
      break;
    case StopReason::kReplayEnd:
      field("replaylog", "end");
      break;
  }
  return out;
}

std::string format_exited(uint8_t status) {
  return letter_byte('W', status);
}

std::string format_terminated(uint8_t signal) {
  return letter_byte('X', signal);
}

std::string format_current_thread(ThreadId thread) {
  std::string out = "QC";
  out += format_thread_id(thread);
  return out;
}

std::string format_thread_list(std::span<const ThreadId> threads) {
  if (threads.empty()) return "l";
  std::string out = "m";
  for (size_t i = 0; i < threads.size(); i++) {
    if (i) out += ",";
    out += format_thread_id(threads[i]);
  }
  return out;
}

std::string format_console_output(std::string_view text) {
  std::string out = "O";
  out += text_to_hex(text);
  return out;
}

std::string format_supported(std::span<const std::string_view> features) {
  std::string out;
  for (std::string_view feature : features) {
    if (!out.empty()) out += ";";
    out += feature;
  }
  return out;
}

std::span<const std::string_view> default_supported_features() {
  static_assert(kAdvertisedPacketSize == 0x4000, "keep PacketSize= below in step");
  static constexpr std::array<std::string_view, 8> kFeatures = {
      "PacketSize=4000", "QStartNoAckMode+", "qXfer:features:read+", "swbreak+",
      "hwbreak+",        "ReverseStep+",     "ReverseContinue+",     "vContSupported+"};
  return kFeatures;
}

std::string format_resume_actions(bool range_stepping) {
  return range_stepping ? "vCont;c;C;s;S;t;r" : "vCont;c;C;s;S;t";
}

std::string format_xfer_chunk(std::string_view document, uint64_t offset, uint64_t length) {
  if (offset >= document.size()) return "l";
  size_t count = size_t(std::min<uint64_t>(length, document.size() - offset));
  bool last = offset + count >= document.size();
  std::string out(1, last ? 'l' : 'm');
  out += escape_binary(document.substr(size_t(offset), count));
  return out;
}

}  // namespace rwd::gdb
