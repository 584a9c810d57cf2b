// SPDX-License-Identifier: MIT
// The gdb server's semantics (DESIGN §6, STYLE practice 7): requests from the protocol layer
// (debug/protocol.h) are answered from a Timeline. The server knows no packet syntax and no
// device; the timeline knows no gdb.
//
//   rewind replay run.rwd -gdb tcp:127.0.0.1:1234     then, in gdb:  target remote :1234
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>
#include <string>

#include "debug/protocol.h"
#include "debug/timeline.h"

namespace rwd {

struct GdbServerOptions {
  std::string host = "127.0.0.1";  // servers bind to loopback unless told otherwise
  uint16_t port = 1234;
};

// "tcp::1234", "tcp:127.0.0.1:1234", "1234" → host and port. False on anything else.
bool parse_gdb_address(const std::string& spec, GdbServerOptions* options, std::string* error);

class GdbServer {
 public:
  explicit GdbServer(Timeline& timeline) : timeline_(timeline) {}
  // Listens, serves one debugger until it detaches, kills or disconnects. Returns 0, or 2 with
  // *error set when the socket cannot be set up.
  int serve(const GdbServerOptions& options, std::string* error);

  // The semantics, usable without a socket (tests): the reply payload for one request.
  // `interrupted` is polled during long resumes.
  std::string handle(const gdb::Request& request, const std::function<bool()>& interrupted);
  bool finished() const { return finished_; }
  // Console output produced by the last request (monitor commands), sent as O packets.
  std::string take_console_output() { return std::move(console_); }

 private:
  std::string read_registers();
  std::string read_register(uint32_t regnum);
  std::string read_memory(uint64_t address, uint64_t length);
  std::string resume(const gdb::Resume& r, const std::function<bool()>& interrupted);
  std::string stop_reply(const Timeline::Stop& stop, bool interrupted_by_user = false);
  std::string breakpoint(const gdb::Breakpoint& b);
  std::string monitor(const std::string& command);
  void apply_breakpoints();

  Timeline& timeline_;
  std::map<uint64_t, int> breakpoints_;  // address → insert count
  std::map<std::pair<uint64_t, uint64_t>, WatchKind> watchpoints_;
  std::map<std::string, uint64_t> named_checkpoints_;
  std::vector<gdb::FrameEvent> pending_;  // packets read while polling for an interrupt
  std::string last_stop_ = "S05";
  std::string console_;
  bool finished_ = false;
};

}  // namespace rwd
