// SPDX-License-Identifier: MIT
// The only door for nondeterminism (DESIGN §2.3). Everything the guest can observe that does
// not follow from its own execution — serial input bytes, the host's wall clock at boot,
// RDRAND/RDSEED values, later network frames — is obtained here, stamped with the position at
// which it enters the machine.
//
// This is the live source. The record/replay layer wraps it: in record mode every value that
// passes through is journaled; in replay mode the journal is the only source.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace rwd {

// The kinds of input are the journal's event kinds: replay/format.h (format::EventKind).

class InputPort {
 public:
  virtual ~InputPort() = default;
  // Host wall-clock seconds for the RTC base, read once at machine start.
  virtual uint64_t wall_clock(uint64_t position) = 0;
  virtual uint64_t random(uint64_t position) = 0;
  // Serial bytes available now (non-blocking). `space` is how many the device can take.
  virtual std::vector<uint8_t> serial_input(uint64_t position, size_t space) = 0;
  // True when more serial input may still arrive (stdin not at EOF).
  virtual bool serial_open() const = 0;
  // Blocks up to `timeout_ms` for serial input (used while the guest idles waiting for it).
  virtual void wait_for_serial(int timeout_ms) = 0;
  // The position of the next input known in advance (replay); the machine must stop there.
  virtual uint64_t next_event_position() const { return std::numeric_limits<uint64_t>::max(); }
};

// Reads the host: stdin for serial input, the real clock, the kernel's entropy.
class LiveInputPort : public InputPort {
 public:
  // serial_fd < 0: no serial input.
  explicit LiveInputPort(int serial_fd);
  uint64_t wall_clock(uint64_t position) override;
  uint64_t random(uint64_t position) override;
  std::vector<uint8_t> serial_input(uint64_t position, size_t space) override;
  bool serial_open() const override { return serial_fd_ >= 0 || !pending_.empty(); }
  void wait_for_serial(int timeout_ms) override;

 private:
  int serial_fd_;
  std::vector<uint8_t> pending_;
};

}  // namespace rwd
