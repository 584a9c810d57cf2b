// SPDX-License-Identifier: MIT
// The small fixed ports of a PC's LPC bridge (ICH9 datasheet §13.7, "Processor Interface
// Registers": NMI_SC and PORT92; port 0x80 is the LPC POST-code destination):
//   0x61 NMI status and control: 0 timer 2 gate (R/W, -> PIT counter 2 GATE), 1 speaker data
//        enable (R/W), 2 PCI SERR# NMI disable (R/W), 3 IOCHK# NMI disable (R/W), 4 refresh
//        cycle toggle (RO), 5 timer 2 OUT (RO), 6 IOCHK# status (RO, 0), 7 SERR# status (RO, 0)
//   0x80 POST code: writes are accepted and remembered for debugging, reads float (0xFF)
//   0x92 port A: 0 INIT_NOW (0 -> 1 resets the machine), 1 ALT_A20_GATE (R/W)
// The refresh toggle is derived from virtual time: it flips every 15.085 us (the PC's DRAM
// refresh period, PIT counter 1 at count 18), which BIOS-era delay loops count.
//
// Wiring: `clock` gives virtual time; `set_gate2` / `out2` reach PIT counter 2 (Pit8254::
// set_gate2 / out2); `request_reset` is called on a fast-reset write; `set_a20` whenever port
// 0x92 is written (the Machine ORs it with the i8042's A20 bit). The device never calls other
// devices directly, and restore() calls none of the callbacks: the PIT keeps its own GATE in its
// State, and the Machine re-derives A20 from a20().
#pragma once

#include <cstdint>
#include <functional>
#include <type_traits>

#include "devices/bus.h"
#include "replay/clock.h"

namespace rwd {

class SystemPorts : public PortHandler {
 public:
  static constexpr uint64_t kRefreshToggleNs = 15085;

  struct State {
    uint8_t port92 = 0;     // bits 1:0
    uint8_t port61 = 0;     // writable bits 3:0
    uint8_t post_code = 0;  // last byte written to port 0x80
    uint8_t reserved = 0;
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>);
  static constexpr const char* kName = "system_ports";

  SystemPorts(const Clock& clock, std::function<void(bool)> set_gate2, std::function<bool()> out2,
              std::function<void()> request_reset, std::function<void(bool)> set_a20);

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;

  bool a20() const { return state_.port92 & 0x02; }
  uint8_t post_code() const { return state_.post_code; }

  void reset() { state_ = State{}; }
  State save() const { return state_; }
  void restore(const State& s) { state_ = s; }

 private:
  uint8_t read_byte(uint16_t port);
  void write_byte(uint16_t port, uint8_t value);

  const Clock& clock_;
  std::function<void(bool)> set_gate2_;
  std::function<bool()> out2_;
  std::function<void()> request_reset_;
  std::function<void(bool)> set_a20_;
  State state_;
};

}  // namespace rwd
