// SPDX-License-Identifier: MIT
// libFuzzer target: the gdb remote protocol layer (debug/protocol.h). Input: one flags byte, then
// the bytes a peer sends. The flags pick no-ack mode, RLE replies and the chunk size the bytes are
// fed in. Every packet is parsed and answered the way a server would, and the answers are checked
// to survive framing: a reply framed by PacketWriter must read back as the same payload.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/check.h"
#include "debug/protocol.h"
#include "debug/protocol_target.h"

namespace {

using namespace rwd::gdb;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

void check_thread_round_trip(ThreadId thread) {
  ThreadId back;
  REWIND_CHECK(parse_thread_id(format_thread_id(thread), back));
  REWIND_CHECK(back == thread);
}

StopReply stop_for(const Resume& resume) {
  StopReply stop;
  if (!resume.actions.empty() && resume.actions[0].thread) stop.thread = resume.actions[0].thread;
  stop.reason = resume.reverse ? StopReason::kReplayBegin : StopReason::kSwBreak;
  stop.registers.push_back({reg::kRip, std::vector<uint8_t>(8, 0x11)});
  return stop;
}

// A stand-in server: enough semantics to call every reply builder with parsed fields.
std::string respond(const Request& request) {
  static const std::string xml = target_xml();
  return std::visit(
      Overloaded{
          [](const QueryHaltReason&) { return format_stop_reply({}); },
          [](const ReadRegisters&) {
            return to_hex(std::vector<uint8_t>(register_packet_size(), 0xab));
          },
          [](const ReadRegister& r) {
            const RegisterInfo* info = find_register(r.regnum);
            return info ? hex_le(r.regnum, info->size()) : format_error(1);
          },
          [](const ReadMemory& r) { return to_hex(std::vector<uint8_t>(r.length, 0xcc)); },
          [](const WriteMemory& w) {
            std::vector<uint8_t> back;
            REWIND_CHECK(unescape_binary(escape_binary(w.data), back) && back == w.data);
            return std::string(kReplyOk);
          },
          [](const Resume& r) {
            for (const ResumeAction& action : r.actions)
              if (action.thread) check_thread_round_trip(*action.thread);
            return format_stop_reply(stop_for(r));
          },
          [](const QueryResumeActions&) { return format_resume_actions(true); },
          [](const QuerySupported&) { return format_supported(default_supported_features()); },
          [](const ReadXfer& x) { return format_xfer_chunk(xml, x.offset, x.length); },
          [](const QueryCurrentThread&) {
            return format_current_thread({0, 1});
          },
          [](const QueryThreadList& q) {
            std::vector<ThreadId> threads = {{0, 1}, {0, 2}};
            return format_thread_list(q.first ? threads : std::vector<ThreadId>{});
          },
          [](const QueryThreadExtraInfo& q) { return text_to_hex(format_thread_id(q.thread)); },
          [](const MonitorCommand& m) { return format_console_output(m.command); },
          [](const SetThread& s) {
            check_thread_round_trip(s.thread);
            return std::string(kReplyOk);
          },
          [](const ThreadAlive& t) {
            check_thread_round_trip(t.thread);
            return std::string(kReplyOk);
          },
          [](const Kill&) { return format_terminated(9); },
          [](const VKill&) { return format_exited(0); },
          [](const Unsupported&) { return std::string(kReplyEmpty); },
          [](const Malformed&) { return format_error(1); },
          [](const auto&) { return std::string(kReplyOk); },
      },
      request);
}

void check_reply_frames(const std::string& reply, PacketWriter& writer) {
  PacketReader back;
  back.feed(writer.frame(reply));
  auto event = back.next();
  REWIND_CHECK(event && event->kind == FrameEventKind::kPacket && event->payload == reply);
  REWIND_CHECK(!back.next());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t flags = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  PacketReader reader;
  PacketWriter writer;
  reader.set_no_ack(flags & 1);
  writer.set_rle(flags & 2);
  size_t chunk = 1 + (flags >> 2);
  for (size_t offset = 0; offset < input.size(); offset += chunk) {
    reader.feed(input.substr(offset, chunk));
    while (auto event = reader.next()) {
      (void)reader.ack_for(*event);
      if (event->kind == FrameEventKind::kBadPacket) {
        check_reply_frames(format_error(1), writer);
      } else if (event->kind == FrameEventKind::kPacket) {
        Request request = parse_request(event->payload);
        (void)request_name(request);
        check_reply_frames(respond(request), writer);
        if (std::holds_alternative<StartNoAckMode>(request)) reader.set_no_ack(true);
      }
    }
  }
  // The encoder and decoder agree on whatever the peer sent, taken as a reply payload (replies
  // never hold a raw '*': it would read as RLE).
  if (input.find('*') == std::string_view::npos) {
    std::string decoded;
    REWIND_CHECK(rle_decode(rle_encode(input), decoded, input.size()) && decoded == input);
  }
  return 0;
}
