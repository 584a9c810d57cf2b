// SPDX-License-Identifier: MIT
// Packet payload → Request (gdb manual, "Packets" and "General Query Packets"). Every field is
// validated: a known packet with bad fields is Malformed (the server replies E01), an unknown one
// is Unsupported (empty reply, which gdb reads as "not implemented"). Nothing here throws or
// trusts a length it was given. The q… queries are in protocol_parse_query.cc.
#include <array>

#include "debug/protocol_fields.h"

namespace rwd::gdb {
using namespace fields;
namespace {

Request parse_memory_write(std::string_view payload) {
  bool binary = payload[0] == 'X';
  std::string_view header, data;
  uint64_t address, length;
  if (!split(payload.substr(1), ':', header, data)) return bad("missing ':'");
  if (!parse_range(header, address, length)) return bad("bad address or length");
  WriteMemory write{address, {}};
  bool ok = binary ? unescape_binary(data, write.data) : from_hex(data, write.data);
  if (!ok) return bad(binary ? "bad escape" : "bad hex data");
  if (write.data.size() != length) return bad("data length differs from the length field");
  return write;
}

// c [addr], s [addr], C sig[;addr], S sig[;addr].
Request parse_legacy_resume(std::string_view payload) {
  char op = payload[0];
  std::string_view args = payload.substr(1);
  ResumeAction action;
  action.kind = (op == 'c' || op == 'C') ? ResumeKind::kContinue : ResumeKind::kStep;
  Resume resume;
  if (op == 'C' || op == 'S') {
    std::string_view sig = args, address;
    bool has_address = split(args, ';', sig, address);
    if (!parse_signal(sig, action.signal)) return bad("bad signal");
    if (has_address && address.empty()) return bad("empty address");
    args = address;
  }
  if (!args.empty()) {
    uint64_t address;
    if (!parse_hex_u64(args, address)) return bad("bad address");
    resume.address = address;
  }
  resume.actions.push_back(action);
  return resume;
}

// vCont;action[:thread];… with actions c, s, t, C sig, S sig, r start,end.
Request parse_vcont(std::string_view args) {
  Resume resume;
  while (true) {
    std::string_view action_text = args, rest;
    bool more = split(args, ';', action_text, rest);
    std::string_view thread_text;
    bool has_thread = split(action_text, ':', action_text, thread_text);
    if (action_text.empty()) return bad("empty vCont action");
    ResumeAction action;
    std::string_view operand = action_text.substr(1);
    char op = action_text[0];
    if (op == 'c' || op == 'C')
      action.kind = ResumeKind::kContinue;
    else if (op == 's' || op == 'S')
      action.kind = ResumeKind::kStep;
    else if (op == 't')
      action.kind = ResumeKind::kStop;
    else if (op == 'r')
      action.kind = ResumeKind::kRangeStep;
    else
      return bad("unknown vCont action");
    if (op == 'C' || op == 'S') {
      if (!parse_signal(operand, action.signal)) return bad("bad vCont signal");
    } else if (op == 'r') {
      std::string_view start, end;
      if (!split(operand, ',', start, end) || !parse_hex_u64(start, action.range_start) ||
          !parse_hex_u64(end, action.range_end))
        return bad("bad vCont range");
    } else if (!operand.empty()) {
      return bad("unexpected vCont operand");
    }
    if (has_thread) {
      ThreadId thread;
      if (!parse_thread_id(thread_text, thread)) return bad("bad vCont thread");
      action.thread = thread;
    }
    resume.actions.push_back(action);
    if (!more) break;
    args = rest;
  }
  return resume;
}

Request parse_breakpoint(std::string_view payload) {
  std::string_view fields = payload.substr(1), conditions;
  split(fields, ';', fields, conditions);  // conditions/commands: not advertised, ignored
  std::string_view type_text, address_text, kind_text, rest;
  if (!split(fields, ',', type_text, rest) || !split(rest, ',', address_text, kind_text))
    return bad("missing ','");
  uint64_t type;
  Breakpoint bp;
  bp.insert = payload[0] == 'Z';
  if (!parse_hex_u64(type_text, type)) return bad("bad breakpoint type");
  if (type > 4) return unsupported(payload);  // the manual: unknown types get an empty reply
  bp.type = BreakpointType(type);
  if (!parse_hex_u64(address_text, bp.address) || !parse_hex_u64(kind_text, bp.kind))
    return bad("bad breakpoint address or kind");
  return bp;
}

}  // namespace

bool parse_thread_id(std::string_view text, ThreadId& thread) {
  if (!text.empty() && text[0] == 'p') {
    std::string_view pid = text.substr(1), tid;
    bool has_tid = split(text.substr(1), '.', pid, tid);
    ThreadId parsed;
    if (!parse_id(pid, parsed.pid)) return false;
    parsed.tid = ThreadId::kAll;  // "p<pid>" alone means every thread of that process
    if (has_tid && !parse_id(tid, parsed.tid)) return false;
    thread = parsed;
    return true;
  }
  ThreadId parsed;
  if (!parse_id(text, parsed.tid)) return false;
  thread = parsed;
  return true;
}

Request parse_request(std::string_view payload) {
  if (payload.empty()) return unsupported(payload);
  std::string_view args = payload.substr(1);
  switch (payload[0]) {
    case '?':
      return args.empty() ? Request(QueryHaltReason{}) : bad("trailing characters");
    case 'g':
      return args.empty() ? Request(ReadRegisters{}) : bad("trailing characters");
    case 'G': {
      WriteRegisters write;
      if (args.empty() || !from_hex(args, write.data)) return bad("bad register hex");
      return write;
    }
    case 'p': {
      ReadRegister read;
      if (!parse_u32(args, read.regnum)) return bad("bad register number");
      return read;
    }
    case 'P': {
      std::string_view number, value;
      WriteRegister write;
      if (!split(args, '=', number, value)) return bad("missing '='");
      if (!parse_u32(number, write.regnum)) return bad("bad register number");
      if (value.empty() || !from_hex(value, write.value)) return bad("bad register value");
      return write;
    }
    case 'm': {
      ReadMemory read;
      if (!parse_range(args, read.address, read.length)) return bad("bad address or length");
      return read;
    }
    case 'M':
    case 'X':
      return parse_memory_write(payload);
    case 'c':
    case 's':
    case 'C':
    case 'S':
      return parse_legacy_resume(payload);
    case 'b':
      if (args == "c" || args == "s") {
        Resume resume;
        resume.reverse = true;
        resume.actions.emplace_back().kind =
            args == "c" ? ResumeKind::kContinue : ResumeKind::kStep;
        return resume;
      }
      return unsupported(payload);
    case 'v':
      if (payload == "vCont?") return QueryResumeActions{};
      if (payload.starts_with("vCont;")) return parse_vcont(payload.substr(6));
      if (payload == "vCont") return bad("vCont without actions");
      if (payload == "vMustReplyEmpty") return MustReplyEmpty{};
      if (payload.starts_with("vKill;")) {
        VKill kill;
        if (!parse_id(payload.substr(6), kill.pid)) return bad("bad pid");
        return kill;
      }
      return unsupported(payload);
    case 'Z':
    case 'z':
      return parse_breakpoint(payload);
    case 'q':
      return parse_query(payload);
    case 'Q':
      if (payload == "QStartNoAckMode") return StartNoAckMode{};
      return unsupported(payload);
    case 'H': {
      if (args.empty() || (args[0] != 'g' && args[0] != 'c')) return unsupported(payload);
      SetThread set{args[0], {}};
      if (!parse_thread_id(args.substr(1), set.thread)) return bad("bad thread id");
      return set;
    }
    case 'T': {
      ThreadAlive alive;
      if (!parse_thread_id(args, alive.thread)) return bad("bad thread id");
      return alive;
    }
    case 'k':
      return args.empty() ? Request(Kill{}) : bad("trailing characters");
    case 'D': {
      if (args.empty()) return Detach{};
      int64_t pid;
      if (args[0] != ';' || !parse_id(args.substr(1), pid)) return bad("bad pid");
      return Detach{pid};
    }
    default:
      return unsupported(payload);
  }
}

std::string_view request_name(const Request& request) {
  // In the order of the Request variant.
  // clang-format off
  static constexpr std::array<std::string_view, std::variant_size_v<Request>> kNames = {
      "QueryHaltReason", "ReadRegisters",     "WriteRegisters",  "ReadRegister",
      "WriteRegister",   "ReadMemory",        "WriteMemory",     "Resume",
      "QueryResumeActions", "Breakpoint",     "QuerySupported",  "ReadXfer",
      "QueryCurrentThread", "QueryThreadList", "QueryThreadExtraInfo", "QueryAttached",
      "MonitorCommand",  "StartNoAckMode",    "SetThread",       "ThreadAlive",
      "QueryOffsets",    "QuerySymbol",       "QueryTraceStatus", "MustReplyEmpty",
      "Kill",            "VKill",             "Detach",          "Unsupported",
      "Malformed"};
  // clang-format on
  return kNames[request.index()];
}

}  // namespace rwd::gdb
