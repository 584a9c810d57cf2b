// SPDX-License-Identifier: MIT
// QEMU's isa-debug-exit: writing V to its port ends the emulator with status (V << 1) | 1.
// Spelled as in QEMU: -device isa-debug-exit,iobase=0xf4,iosize=0x4
#pragma once

#include <cstdint>
#include <functional>

#include "devices/bus.h"

namespace rwd {

class DebugExit : public PortHandler {
 public:
  struct State {};  // stateless
  explicit DebugExit(std::function<void(int status)> exit) : exit_(std::move(exit)) {}
  uint32_t port_read(uint16_t, unsigned size) override {
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
  }
  void port_write(uint16_t, unsigned, uint32_t value) override {
    exit_(int(((value << 1) | 1) & 0xff));
  }
  State save() const { return {}; }
  void restore(const State&) {}
  static constexpr const char* kName = "isa-debug-exit";

 private:
  std::function<void(int)> exit_;
};

}  // namespace rwd
