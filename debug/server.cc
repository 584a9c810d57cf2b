// SPDX-License-Identifier: MIT
#include "debug/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "base/log.h"
#include "debug/protocol_target.h"

namespace rwd {
namespace {

using namespace gdb;

// gdb register number → the bytes of that register in a CpuState.
std::vector<uint8_t> register_bytes(const CpuState& s, uint32_t regnum) {
  const RegisterInfo* info = find_register(regnum);
  std::vector<uint8_t> out(info ? info->size() : 0, 0);
  auto put = [&](uint64_t v) { std::memcpy(out.data(), &v, std::min<size_t>(out.size(), 8)); };
  static const uint8_t kGpr[16] = {kRax, kRbx, kRcx, kRdx, kRsi, kRdi, kRbp, kRsp,
                                   kR8,  kR9,  kR10, kR11, kR12, kR13, kR14, kR15};
  static const uint8_t kSegs[6] = {kCs, kSs, kDs, kEs, kFs, kGs};
  const unsigned top = (s.fpu.fsw >> 11) & 7;
  if (regnum <= reg::kR15) put(s.gpr[kGpr[regnum]]);
  else if (regnum == reg::kRip) put(s.rip);
  else if (regnum == reg::kEflags) put(s.rflags);
  else if (regnum >= reg::kCs && regnum <= reg::kGs) put(s.seg[kSegs[regnum - reg::kCs]].selector);
  else if (regnum >= reg::kSt0 && regnum <= reg::kSt7)
    std::memcpy(out.data(), s.fpu.st[(top + regnum - reg::kSt0) & 7], 10);
  else if (regnum == reg::kFctrl) put(s.fpu.fcw);
  else if (regnum == reg::kFstat) put(s.fpu.fsw);
  else if (regnum == reg::kFtag) put(s.fpu.ftw);
  else if (regnum == reg::kFiseg) put(s.fpu.fcs);
  else if (regnum == reg::kFioff) put(s.fpu.fip);
  else if (regnum == reg::kFoseg) put(s.fpu.fds);
  else if (regnum == reg::kFooff) put(s.fpu.fdp);
  else if (regnum == reg::kFop) put(s.fpu.fop);
  else if (regnum >= reg::kXmm0 && regnum <= reg::kXmm15)
    std::memcpy(out.data(), &s.fpu.xmm[regnum - reg::kXmm0], 16);
  else if (regnum == reg::kMxcsr) put(s.fpu.mxcsr);
  else if (regnum == reg::kFsBase) put(s.seg[kFs].base);
  else if (regnum == reg::kGsBase) put(s.seg[kGs].base);
  else if (regnum == reg::kCr0) put(s.cr0);
  else if (regnum == reg::kCr2) put(s.cr2);
  else if (regnum == reg::kCr3) put(s.cr3);
  else if (regnum == reg::kCr4) put(s.cr4);
  else if (regnum == reg::kCr8) put(s.cr8);
  else if (regnum == reg::kEfer) put(s.efer);
  else if (regnum == reg::kKernelGsBase) put(s.kernel_gs_base);
  return out;
}

constexpr const char* kReadOnly =
    "rewind: the replay is read-only; guest-state writes from gdb are refused\n";

}  // namespace

bool parse_gdb_address(const std::string& spec, GdbServerOptions* o, std::string* error) {
  std::string rest = spec;
  if (rest.rfind("tcp:", 0) == 0) rest = rest.substr(4);
  size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? "" : rest.substr(0, colon);
  std::string port = colon == std::string::npos ? rest : rest.substr(colon + 1);
  char* end = nullptr;
  unsigned long p = std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end || p == 0 || p > 65535) {
    *error = "bad gdb address '" + spec + "' (use tcp::PORT or tcp:HOST:PORT)";
    return false;
  }
  o->host = host.empty() ? "127.0.0.1" : host;
  o->port = uint16_t(p);
  return true;
}

std::string GdbServer::read_registers() {
  const CpuState& s = timeline_.machine().cpu().state;
  std::vector<uint8_t> g(register_packet_size());
  for (const RegisterInfo& r : x86_64_registers()) {
    std::vector<uint8_t> v = register_bytes(s, r.regnum);
    std::memcpy(&g[r.offset], v.data(), v.size());
  }
  return to_hex(g);
}

std::string GdbServer::read_register(uint32_t regnum) {
  if (!find_register(regnum)) return format_error(0x16);
  return to_hex(register_bytes(timeline_.machine().cpu().state, regnum));
}

std::string GdbServer::read_memory(uint64_t address, uint64_t length) {
  // Through the guest's current page tables; an unmapped page ends the read (an error if it is
  // the first byte), as gdbserver does.
  std::vector<uint8_t> out;
  Machine& m = timeline_.machine();
  while (out.size() < length) {
    const uint64_t a = address + out.size();
    std::optional<uint64_t> phys = m.cpu().debug_translate(a);
    const size_t chunk = std::min<uint64_t>(length - out.size(), 4096 - (a & 0xfff));
    std::vector<uint8_t> buf(chunk);
    if (!phys || !m.read_phys(*phys, buf.data(), chunk)) break;
    out.insert(out.end(), buf.begin(), buf.end());
  }
  if (out.empty() && length) return format_error(0x0e);
  return to_hex(out);
}

std::string GdbServer::stop_reply(const Timeline::Stop& stop, bool interrupted_by_user) {
  StopReply r;
  r.thread = ThreadId{ThreadId::kAny, 1};
  switch (stop.kind) {
    case Timeline::StopKind::kStep: break;
    case Timeline::StopKind::kBreakpoint: r.reason = gdb::StopReason::kSwBreak; break;
    case Timeline::StopKind::kWatchpoint:
      r.reason = stop.access == WatchKind::kRead ? gdb::StopReason::kReadWatch : gdb::StopReason::kWatch;
      r.watch_address = stop.address;
      for (auto& [range, kind] : watchpoints_)
        if (stop.address >= range.first && stop.address < range.first + range.second) {
          r.watch_address = range.first;
          if (kind == WatchKind::kAccess) r.reason = gdb::StopReason::kAccessWatch;
        }
      break;
    case Timeline::StopKind::kBegin: r.reason = gdb::StopReason::kReplayBegin; break;
    case Timeline::StopKind::kEnd: r.reason = gdb::StopReason::kReplayEnd; break;
    case Timeline::StopKind::kInterrupted: r.signal = 2; break;
    case Timeline::StopKind::kExited: return last_stop_ = format_exited(uint8_t(stop.exit_status));
    case Timeline::StopKind::kUnsupported:
      console_ += "rewind: reverse execution needs a recording: rewind record, then replay -gdb\n";
      return format_error(0x01);
  }
  if (interrupted_by_user) r.signal = 2;
  last_stop_ = format_stop_reply(r);
  return last_stop_;
}

void GdbServer::apply_breakpoints() {
  std::vector<uint64_t> bps;
  for (auto& [addr, count] : breakpoints_) bps.push_back(addr);
  std::vector<Watchpoint> wps;
  for (auto& [range, kind] : watchpoints_) wps.push_back({range.first, range.second, kind});
  timeline_.set_breakpoints(std::move(bps));
  timeline_.set_watchpoints(std::move(wps));
}

std::string GdbServer::breakpoint(const Breakpoint& b) {
  switch (b.type) {
    case BreakpointType::kSoftware:
    case BreakpointType::kHardware:
      if (b.insert)
        breakpoints_[b.address]++;
      else if (breakpoints_.count(b.address) && --breakpoints_[b.address] == 0)
        breakpoints_.erase(b.address);
      break;
    default: {
      if (b.kind == 0 || b.kind > 4096) return format_error(0x16);
      WatchKind kind = b.type == BreakpointType::kWriteWatch  ? WatchKind::kWrite
                       : b.type == BreakpointType::kReadWatch ? WatchKind::kRead
                                                              : WatchKind::kAccess;
      if (b.insert)
        watchpoints_[{b.address, b.kind}] = kind;
      else
        watchpoints_.erase({b.address, b.kind});
    }
  }
  apply_breakpoints();
  return std::string(kReplyOk);
}

std::string GdbServer::resume(const Resume& r, const std::function<bool()>& interrupted) {
  // One vCPU: the first action applies.
  const ResumeAction& a = r.actions.front();
  if (r.address) {
    console_ += kReadOnly;
    return format_error(0x01);
  }
  Timeline::Stop stop;
  if (a.kind == ResumeKind::kStep)
    stop = r.reverse ? timeline_.step_back() : timeline_.step();
  else if (a.kind == ResumeKind::kRangeStep) {
    // Step while the pc stays in [start, end) (forward only: gdb never sends reverse ranges).
    for (;;) {
      stop = timeline_.step();
      const uint64_t pc = timeline_.machine().cpu().state.rip;
      if (stop.kind != Timeline::StopKind::kStep || pc < a.range_start || pc >= a.range_end) break;
      if (interrupted && interrupted()) {
        stop.kind = Timeline::StopKind::kInterrupted;
        break;
      }
    }
  } else if (a.kind == ResumeKind::kStop) {
    stop.kind = Timeline::StopKind::kInterrupted;
  } else {
    stop = r.reverse ? timeline_.resume_back(interrupted) : timeline_.resume(interrupted);
  }
  return stop_reply(stop);
}

std::string GdbServer::monitor(const std::string& command) {
  char buf[256];
  Machine& m = timeline_.machine();
  if (command == "when") {
    std::snprintf(buf, sizeof buf, "position %" PRIu64 ", virtual time %" PRIu64 " ns\n",
                  timeline_.position(), Clock::ns_from_position(timeline_.position()));
    console_ += buf;
  } else if (command.rfind("goto ", 0) == 0) {
    std::string arg = command.substr(5);
    uint64_t target;
    if (!arg.empty() && arg.back() == '%') {
      double pct = std::strtod(arg.c_str(), nullptr);
      if (pct < 0 || pct > 100) return format_error(0x16);
      target = uint64_t(double(timeline_.end_position()) * pct / 100.0);
    } else if (named_checkpoints_.count(arg)) {
      target = named_checkpoints_[arg];
    } else {
      char* end = nullptr;
      target = std::strtoull(arg.c_str(), &end, 0);
      if (arg.empty() || *end) {
        console_ += "usage: monitor goto <position | N% | checkpoint name>\n";
        return format_error(0x16);
      }
    }
    std::string error;
    if (!timeline_.seek(target, &error)) {
      console_ += "rewind: " + error + "\n";
      return format_error(0x01);
    }
    std::snprintf(buf, sizeof buf, "now at position %" PRIu64 "\n", timeline_.position());
    console_ += buf;
    // gdb does not know the state changed: tell it to re-read registers (flushregs) — the
    // README says to run `flushregs` (or `maint flush register-cache`) after monitor goto.
  } else if (command == "checkpoint" || command.rfind("checkpoint ", 0) == 0) {
    std::string name = command.size() > 11 ? command.substr(11) : "";
    timeline_.take_snapshot();
    if (name.empty()) name = "c" + std::to_string(named_checkpoints_.size() + 1);
    named_checkpoints_[name] = timeline_.position();
    std::snprintf(buf, sizeof buf, "checkpoint '%s' at position %" PRIu64 "\n", name.c_str(),
                  timeline_.position());
    console_ += buf;
  } else if (command == "info checkpoints") {
    for (auto& [name, pos] : named_checkpoints_) {
      std::snprintf(buf, sizeof buf, "%-16s position %" PRIu64 "\n", name.c_str(), pos);
      console_ += buf;
    }
    std::string all;
    for (uint64_t p : timeline_.snapshot_positions()) all += " " + std::to_string(p);
    console_ += "snapshots at positions:" + all + "\n";
  } else if (command == "info replay" && timeline_.is_live()) {
    std::snprintf(buf, sizeof buf, "a live machine at position %" PRIu64 " (not a replay)\n",
                  timeline_.position());
    console_ += buf;
  } else if (command == "info replay") {
    std::snprintf(buf, sizeof buf,
                  "replaying a recording of %" PRIu64 " instructions; position %" PRIu64
                  " (%.1f%%); %zu checkpoints in the recording; state hash %016" PRIx64 "\n",
                  timeline_.end_position(), timeline_.position(),
                  timeline_.end_position() ? 100.0 * double(timeline_.position()) /
                                                 double(timeline_.end_position())
                                           : 100.0,
                  timeline_.recording().checkpoints.size(), m.state_hash().total);
    console_ += buf;
  } else {
    console_ += "rewind monitor commands: when, goto <position|N%|name>, checkpoint [NAME], "
                "info checkpoints, info replay\n";
    return command == "help" ? std::string(kReplyOk) : format_error(0x16);
  }
  return std::string(kReplyOk);
}

std::string GdbServer::handle(const Request& request, const std::function<bool()>& interrupted) {
  return std::visit(
      [&](const auto& r) -> std::string {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, QueryHaltReason>) return last_stop_;
        else if constexpr (std::is_same_v<T, ReadRegisters>) return read_registers();
        else if constexpr (std::is_same_v<T, ReadRegister>) return read_register(r.regnum);
        else if constexpr (std::is_same_v<T, WriteRegisters> || std::is_same_v<T, WriteRegister>) {
          console_ += kReadOnly;
          return format_error(0x01);
        } else if constexpr (std::is_same_v<T, ReadMemory>) {
          return read_memory(r.address, r.length);
        } else if constexpr (std::is_same_v<T, WriteMemory>) {
          if (r.data.empty()) return std::string(kReplyOk);  // gdb's X probe
          console_ += kReadOnly;
          return format_error(0x01);
        } else if constexpr (std::is_same_v<T, Resume>) {
          return resume(r, interrupted);
        } else if constexpr (std::is_same_v<T, QueryResumeActions>) {
          return format_resume_actions(true);
        } else if constexpr (std::is_same_v<T, Breakpoint>) {
          return breakpoint(r);
        } else if constexpr (std::is_same_v<T, QuerySupported>) {
          return format_supported(default_supported_features());
        } else if constexpr (std::is_same_v<T, ReadXfer>) {
          if (r.object != "features" || r.annex != "target.xml") return std::string(kReplyEmpty);
          return format_xfer_chunk(target_xml(), r.offset, r.length);
        } else if constexpr (std::is_same_v<T, QueryCurrentThread>) {
          return format_current_thread(ThreadId{ThreadId::kAny, 1});
        } else if constexpr (std::is_same_v<T, QueryThreadList>) {
          ThreadId one{ThreadId::kAny, 1};
          return r.first ? format_thread_list(std::span<const ThreadId>(&one, 1))
                         : format_thread_list({});
        } else if constexpr (std::is_same_v<T, QueryAttached>) {
          return "1";
        } else if constexpr (std::is_same_v<T, MonitorCommand>) {
          return monitor(r.command);
        } else if constexpr (std::is_same_v<T, SetThread> || std::is_same_v<T, ThreadAlive> ||
                             std::is_same_v<T, QuerySymbol>) {
          return std::string(kReplyOk);
        } else if constexpr (std::is_same_v<T, Kill>) {
          finished_ = true;
          return std::string(kReplyOk);
        } else if constexpr (std::is_same_v<T, VKill> || std::is_same_v<T, Detach>) {
          finished_ = true;
          return std::string(kReplyOk);
        } else if constexpr (std::is_same_v<T, Malformed>) {
          return format_error(0x01);
        } else {
          return std::string(kReplyEmpty);
        }
      },
      request);
}

int GdbServer::serve(const GdbServerOptions& options, std::string* error) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options.port);
  if (::inet_pton(AF_INET, options.host.c_str(), &addr.sin_addr) != 1 ||
      ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0) {
    *error = "cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
             std::strerror(errno);
    ::close(listener);
    return 2;
  }
  std::fprintf(stderr, "rewind: waiting for gdb on %s:%u (target remote %s:%u)\n",
               options.host.c_str(), options.port, options.host.c_str(), options.port);
  int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) {
    *error = std::string("accept: ") + std::strerror(errno);
    ::close(listener);
    return 2;
  }
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  PacketReader reader;
  PacketWriter writer;
  auto send_all = [&](std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(client, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(size_t(n));
    }
    return true;
  };
  // A second debugger is told no, politely, and the first keeps its session.
  auto refuse_newcomers = [&] {
    pollfd p{listener, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0) {
      int other = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (other < 0) break;
      std::string msg = writer.frame("E.rewind serves one debugger at a time");
      ::send(other, msg.data(), msg.size(), MSG_NOSIGNAL);
      ::close(other);
    }
  };
  // Polled during long resumes: a 0x03 from gdb (Ctrl-C) interrupts.
  bool interrupt_seen = false;
  auto interrupted = [&]() -> bool {
    refuse_newcomers();
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return interrupt_seen;
    char buf[512];
    ssize_t n = ::recv(client, buf, sizeof buf, 0);
    if (n <= 0) return interrupt_seen = true;  // disconnected: stop what we are doing
    reader.feed(std::string_view(buf, size_t(n)));
    for (;;) {
      // Only interrupts matter here; other events are handled after the resume returns.
      auto e = reader.next();
      if (!e) break;
      if (e->kind == FrameEventKind::kInterrupt) interrupt_seen = true;
      else pending_.push_back(*e);
    }
    return interrupt_seen;
  };
  bool connected = true;
  while (connected && !finished_) {
    std::optional<FrameEvent> event;
    if (!pending_.empty()) {
      event = pending_.front();
      pending_.erase(pending_.begin());
    } else {
      event = reader.next();
    }
    if (!event) {
      refuse_newcomers();
      pollfd fds[2] = {{client, POLLIN, 0}, {listener, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[1].revents & POLLIN) refuse_newcomers();
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[4096];
        ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n <= 0) break;
        reader.feed(std::string_view(buf, size_t(n)));
      }
      continue;
    }
    std::string_view ack = reader.ack_for(*event);
    if (!ack.empty() && !send_all(ack)) break;
    switch (event->kind) {
      case FrameEventKind::kAck: continue;
      case FrameEventKind::kNak: connected = send_all(writer.last_frame()); continue;
      case FrameEventKind::kSendNak: continue;
      case FrameEventKind::kInterrupt:
        // Not running: report where we are.
        connected = send_all(writer.frame(last_stop_));
        continue;
      case FrameEventKind::kBadPacket: connected = send_all(writer.frame(format_error(1))); continue;
      case FrameEventKind::kPacket: break;
    }
    Request request = parse_request(event->payload);
    interrupt_seen = false;
    const bool no_ack_request = std::holds_alternative<StartNoAckMode>(request);
    std::string reply =
        no_ack_request ? std::string(kReplyOk) : handle(request, interrupted);
    REWIND_LOG(kDebug, "gdb", "%.*s -> %.80s", int(request_name(request).size()),
               request_name(request).data(), reply.c_str());
    std::string out = take_console_output();
    if (!out.empty() && !send_all(writer.frame(format_console_output(out)))) break;
    if (std::holds_alternative<Kill>(request)) break;  // gdb expects no reply to k
    if (!send_all(writer.frame(reply))) break;
    if (no_ack_request) reader.set_no_ack(true);
  }
  ::close(client);
  ::close(listener);
  return 0;
}

}  // namespace rwd
