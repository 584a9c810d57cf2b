// SPDX-License-Identifier: MIT
// The protocol layer of the gdb server (DESIGN §6, STYLE practice 7): bytes ↔ packets ↔ request
// structs, and reply payloads. Like rr's GdbServerConnection it is nearly stateless and knows
// nothing of the Machine, so it can be fuzzed on its own (tests/fuzz/gdb_packet_fuzz.cc).
//
//   socket bytes "+$m401000,4#bd"
//     → PacketReader::feed/next → FrameEvent{kAck}, FrameEvent{kPacket, "m401000,4"}
//     → parse_request           → ReadMemory{.address = 0x401000, .length = 4}
//     → (server reads memory)   → to_hex(bytes) = "0f1f4400"
//     → PacketWriter::frame     → "$0f1f4400#c8"
//
// Syntax follows the gdb manual, appendix "Remote Protocol" (Overview, Packets, Stop Reply
// Packets, General Query Packets, Packet Acknowledgment). Registers and the target description
// are in debug/protocol_target.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rwd::gdb {

// Frames larger than this (raw or after RLE expansion) become FrameEventKind::kBadPacket: the
// server replies E01 and carries on, instead of buffering whatever a peer sends.
inline constexpr size_t kMaxPacketBytes = 64 * 1024;
// What qSupported advertises as PacketSize (gdb then never sends more; below kMaxPacketBytes so
// a full-size X packet with escapes and framing still fits).
inline constexpr size_t kAdvertisedPacketSize = 0x4000;
// m/M/X lengths above this are malformed: an m reply is twice the length in hex.
inline constexpr uint64_t kMaxMemoryTransfer = kMaxPacketBytes / 2;

// ---- Hex and binary helpers ----

std::string to_hex(std::span<const uint8_t> bytes);  // lowercase, two digits per byte
std::string text_to_hex(std::string_view text);      // the bytes of a text (qRcmd, O packets)
// Even length and only hex digits, else false (out is then unspecified).
bool from_hex(std::string_view hex, std::vector<uint8_t>& out);
// A register value in target (little-endian) byte order: hex_le(0x1234, 4) == "34120000".
std::string hex_le(uint64_t value, size_t bytes);
// One unsigned hex number: non-empty, hex digits only, fits in 64 bits.
bool parse_hex_u64(std::string_view text, uint64_t& value);
std::string format_hex(uint64_t value);  // minimal lowercase digits, no "0x"

// Binary data (X requests, qXfer replies): '$' '#' '}' '*' are sent as '}' then byte ^ 0x20.
std::string escape_binary(std::string_view bytes);
std::string escape_binary(std::span<const uint8_t> bytes);
// False on a dangling '}' at the end.
bool unescape_binary(std::string_view data, std::vector<uint8_t>& out);

// ---- Framing ----

uint8_t checksum(std::string_view data);  // modulo-256 sum of the bytes between '$' and '#'
// "X*c" repeats X (c - 29) more times (gdb manual, "Overview": "0* " is "0000"). Runs are cut so
// the count character is never '#' or '$' and never above '~'.
std::string rle_encode(std::string_view payload);
// Expands runs; false on '*' with nothing before it, a bad count, or output above max_size.
bool rle_decode(std::string_view raw, std::string& out, size_t max_size = kMaxPacketBytes);
// "$payload#cs". The payload must hold no raw '$' '#' '*' (binary data goes through
// escape_binary first). rle compresses runs; gdb accepts that in every reply.
std::string frame_packet(std::string_view payload, bool rle = false);

enum class FrameEventKind : uint8_t {
  kPacket,     // a verified packet; payload is RLE-expanded but still binary-escaped
  kBadPacket,  // complete frame with a good checksum that is too long or has bad RLE → E01
  kSendNak,    // checksum mismatch in ack mode: send "-" and gdb retransmits
  kInterrupt,  // 0x03 between packets (gdb's Ctrl-C): stop the target, send a stop reply
  kAck,        // '+' from gdb: nothing to do
  kNak,        // '-' from gdb: resend PacketWriter::last_frame()
};

struct FrameEvent {
  FrameEventKind kind = FrameEventKind::kPacket;
  std::string payload;  // kPacket only
};

// Splits a byte stream from gdb into FrameEvents. Bytes may arrive in any chunking; anything
// outside a packet that is not '+', '-' or 0x03 is skipped. A '$' inside a packet restarts it
// (gdb does the same, so a lost '#' costs one packet, not the stream).
class PacketReader {
 public:
  void feed(std::string_view bytes);
  std::optional<FrameEvent> next();

  // Set after replying OK to QStartNoAckMode. In no-ack mode checksums are not verified (as
  // gdbserver: nobody would retransmit), and ack_for() is always empty.
  void set_no_ack(bool no_ack) { no_ack_ = no_ack; }
  bool no_ack() const { return no_ack_; }
  // What to send back before handling the event: "+" for packets, "-" for kSendNak, or "".
  std::string_view ack_for(const FrameEvent& event) const;

 private:
  enum class State : uint8_t { kIdle, kPayload, kChecksumHigh, kChecksumLow };
  void finish_frame();

  State state_ = State::kIdle;
  std::string raw_;  // between '$' and '#', capped at kMaxPacketBytes
  bool too_long_ = false;
  uint8_t sum_ = 0;
  char checksum_high_ = 0;
  bool no_ack_ = false;
  std::deque<FrameEvent> events_;
};

// Frames replies and keeps the last one for a '-' from gdb.
class PacketWriter {
 public:
  std::string frame(std::string_view payload);
  const std::string& last_frame() const { return last_frame_; }
  void set_rle(bool rle) { rle_ = rle; }

 private:
  bool rle_ = false;  // off by default: plain packets are easier to read in gdb's remote log
  std::string last_frame_;
};

// ---- Requests ----

// "tid", "-1", or multiprocess "p<pid>.<tid>" / "p<pid>" (all hex). Threads are vCPUs.
struct ThreadId {
  static constexpr int64_t kAll = -1;
  static constexpr int64_t kAny = 0;
  int64_t pid = kAny;  // kAny unless the multiprocess form was used
  int64_t tid = kAny;
  bool operator==(const ThreadId&) const = default;
};

// One request per line reads as a table of the packets.
// clang-format off
struct QueryHaltReason {};                                      // ?
struct ReadRegisters {};                                        // g
struct WriteRegisters { std::vector<uint8_t> data; };           // G XX…
struct ReadRegister { uint32_t regnum = 0; };                   // p n
struct WriteRegister {                                          // P n=XX…
  uint32_t regnum = 0;
  std::vector<uint8_t> value;  // target byte order
};
struct ReadMemory { uint64_t address = 0, length = 0; };        // m addr,len
struct WriteMemory {                                            // M addr,len:XX… / X addr,len:bin
  uint64_t address = 0;
  std::vector<uint8_t> data;  // length already checked; empty is gdb's X probe → reply OK
};
// clang-format on

enum class ResumeKind : uint8_t { kContinue, kStep, kStop, kRangeStep };
struct ResumeAction {
  ResumeKind kind = ResumeKind::kContinue;
  int signal = 0;                           // C/S: the signal to deliver; 0 = none
  uint64_t range_start = 0, range_end = 0;  // kRangeStep: step while start <= pc < end
  // vCont: nullopt = every thread no earlier action named. c/s/C/S: nullopt = the Hc thread.
  std::optional<ThreadId> thread;
};
// c [addr], s [addr], C sig[;addr], S sig[;addr], bc, bs, vCont;action[:thread]…
struct Resume {
  bool reverse = false;               // bc / bs (ReverseContinue+ / ReverseStep+)
  std::optional<uint64_t> address;    // legacy c/s/C/S: resume at this pc
  std::vector<ResumeAction> actions;  // never empty; the leftmost matching action wins
};
struct QueryResumeActions {};  // vCont?

enum class BreakpointType : uint8_t {
  kSoftware = 0,
  kHardware = 1,
  kWriteWatch = 2,
  kReadWatch = 3,
  kAccessWatch = 4
};
struct Breakpoint {  // Z/z type,addr,kind (a ";cond…" suffix is accepted and ignored)
  bool insert = true;
  BreakpointType type = BreakpointType::kSoftware;
  uint64_t address = 0;
  uint64_t kind = 0;  // breakpoints: instruction length hint (1 on x86); watchpoints: bytes
};

// clang-format off
struct QuerySupported { std::vector<std::string> features; };  // qSupported[:f;f…]
// qXfer:object:read:annex:offset,length
struct ReadXfer {
  std::string object, annex;  // "features", "target.xml"
  uint64_t offset = 0, length = 0;
};
struct QueryCurrentThread {};                                   // qC
struct QueryThreadList { bool first = true; };                  // qfThreadInfo / qsThreadInfo
struct QueryThreadExtraInfo { ThreadId thread; };               // qThreadExtraInfo,tid
struct QueryAttached { std::optional<int64_t> pid; };           // qAttached[:pid]
struct MonitorCommand { std::string command; };                 // qRcmd,hex (decoded)
struct StartNoAckMode {};                                       // QStartNoAckMode
struct SetThread { char operation = 'g'; ThreadId thread; };    // Hg tid / Hc tid
struct ThreadAlive { ThreadId thread; };                        // T tid
struct QueryOffsets {};                                         // qOffsets
struct QuerySymbol { std::string arguments; };                  // qSymbol:… ("qSymbol::" → ":")
struct QueryTraceStatus {};                                     // qTStatus
struct MustReplyEmpty {};                                       // vMustReplyEmpty
struct Kill {};                                                 // k (gdb expects no reply)
struct VKill { int64_t pid = 0; };                              // vKill;pid (reply OK)
struct Detach { std::optional<int64_t> pid; };                  // D / D;pid
// Anything else: reply with an empty packet, which gdb reads as "not supported".
struct Unsupported { std::string name; };
// A known packet with bad fields: reply E01.
struct Malformed { std::string reason; };

using Request = std::variant<QueryHaltReason, ReadRegisters, WriteRegisters, ReadRegister,
                             WriteRegister, ReadMemory, WriteMemory, Resume, QueryResumeActions,
                             Breakpoint, QuerySupported, ReadXfer, QueryCurrentThread,
                             QueryThreadList, QueryThreadExtraInfo, QueryAttached,
                             MonitorCommand, StartNoAckMode, SetThread, ThreadAlive, QueryOffsets,
                             QuerySymbol, QueryTraceStatus, MustReplyEmpty, Kill, VKill, Detach,
                             Unsupported, Malformed>;
// clang-format on

// Never throws; every byte string maps to some Request.
Request parse_request(std::string_view payload);
bool parse_thread_id(std::string_view text, ThreadId& thread);
std::string_view request_name(const Request& request);  // for logs: "ReadMemory", …

// ---- Replies (payloads; frame them with PacketWriter) ----

inline constexpr std::string_view kReplyOk = "OK";
inline constexpr std::string_view kReplyEmpty = "";  // "not supported"
std::string format_error(uint8_t code);              // "E01"

enum class StopReason : uint8_t {
  kNone,         // a plain signal stop (step finished, interrupt)
  kSwBreak,      // swbreak:; (gdb then does not adjust the pc)
  kHwBreak,      // hwbreak:;
  kWatch,        // watch:addr;
  kReadWatch,    // rwatch:addr;
  kAccessWatch,  // awatch:addr;
  kReplayBegin,  // replaylog:begin; (reverse execution hit the start of the recording)
  kReplayEnd,    // replaylog:end;
};
struct StopRegister {
  uint32_t regnum = 0;
  std::vector<uint8_t> value;  // target byte order
};
struct StopReply {
  uint8_t signal = 5;  // SIGTRAP; 2 (SIGINT) after an interrupt
  std::optional<ThreadId> thread;
  StopReason reason = StopReason::kNone;
  uint64_t watch_address = 0;           // kWatch / kReadWatch / kAccessWatch
  std::vector<StopRegister> registers;  // expedited registers, e.g. rip and rsp
};
// "T05" [regs "nn:value;"] ["thread:01;"] [reason ";"]
std::string format_stop_reply(const StopReply& stop);
std::string format_exited(uint8_t status);           // W nn
std::string format_terminated(uint8_t signal);       // X nn
std::string format_thread_id(ThreadId thread);       // "01", "-1", "p01.02"
std::string format_current_thread(ThreadId thread);  // qC → "QC01"
// qfThreadInfo → "m01,02"; qsThreadInfo (after the last) → "l": pass an empty list.
std::string format_thread_list(std::span<const ThreadId> threads);
std::string format_console_output(std::string_view text);  // O + hex (monitor output)
// qSupported reply: features joined with ';'.
std::string format_supported(std::span<const std::string_view> features);
// PacketSize=4000, QStartNoAckMode+, qXfer:features:read+, swbreak+, hwbreak+, ReverseStep+,
// ReverseContinue+, vContSupported+.
std::span<const std::string_view> default_supported_features();
// vCont? reply: "vCont;c;C;s;S;t" plus ";r" when range stepping is implemented.
std::string format_resume_actions(bool range_stepping);
// qXfer read of document[offset, offset + length): "m<data>" when more follows, "l<data>" at the
// end ("l" alone past the end); data is binary-escaped.
std::string format_xfer_chunk(std::string_view document, uint64_t offset, uint64_t length);

}  // namespace rwd::gdb
