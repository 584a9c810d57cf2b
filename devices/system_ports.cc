// SPDX-License-Identifier: MIT
#include "devices/system_ports.h"

#include "base/log.h"

namespace rwd {

SystemPorts::SystemPorts(const Clock& clock, std::function<void(bool)> set_gate2,
                         std::function<bool()> out2, std::function<void()> request_reset,
                         std::function<void(bool)> set_a20)
    : clock_(clock),
      set_gate2_(std::move(set_gate2)),
      out2_(std::move(out2)),
      request_reset_(std::move(request_reset)),
      set_a20_(std::move(set_a20)) {}

uint8_t SystemPorts::read_byte(uint16_t port) {
  switch (port) {
    case 0x61: {
      const bool refresh = (clock_.now_ns() / kRefreshToggleNs) & 1;
      const bool out2 = out2_ && out2_();
      return uint8_t((state_.port61 & 0x0f) | (refresh ? 0x10 : 0) | (out2 ? 0x20 : 0));
    }
    case 0x92:
      return state_.port92 & 0x03;
    default:
      return 0xff;  // 0x80 and anything else: open bus
  }
}

void SystemPorts::write_byte(uint16_t port, uint8_t value) {
  switch (port) {
    case 0x61:
      state_.port61 = value & 0x0f;  // status bits 7:4 are read-only
      if (set_gate2_) set_gate2_(value & 0x01);
      break;
    case 0x80:
      state_.post_code = value;
      REWIND_LOG(kTrace, "post", "POST code %#04x", value);
      break;
    case 0x92: {
      const uint8_t old = state_.port92;
      state_.port92 = value & 0x03;
      if (set_a20_) set_a20_(value & 0x02);
      // INIT_NOW: the 0 -> 1 edge resets the processor (ICH9 "Port 92h"); a 1 written again
      // does nothing until the bit is cleared.
      if ((value & 0x01) && !(old & 0x01) && request_reset_) request_reset_();
      break;
    }
    default:
      break;
  }
}

uint32_t SystemPorts::port_read(uint16_t port, unsigned size) {
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++) v |= uint32_t(read_byte(uint16_t(port + i))) << (8 * i);
  return v;
}

void SystemPorts::port_write(uint16_t port, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; i++) write_byte(uint16_t(port + i), uint8_t(value >> (8 * i)));
}

}  // namespace rwd
