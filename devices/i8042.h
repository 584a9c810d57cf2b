// SPDX-License-Identifier: MIT
// The PS/2 keyboard controller (Intel 8042 firmware as specified by the IBM PC/AT and PS/2
// technical references) with a keyboard attached and an empty auxiliary (mouse) port, at 0x60
// (data) and 0x64 (status / command).
//
// What it is for: Linux's i8042 and atkbd drivers (self test, command byte, interface tests,
// keyboard reset/identify/LED/scancode-set commands) and the classic reset paths (0xFE pulse,
// output port bit 0). No host keys are delivered yet.
//
// Registers (IBM PC/AT Technical Reference, "Keyboard Controller"; PS/2 Hardware Interface
// Technical Reference, "Keyboard/Auxiliary Device Controller"):
//   status (read 0x64): 0 OBF, 1 IBF, 2 system flag, 3 last write was a command, 4 keyboard
//     not inhibited, 5 output buffer holds auxiliary data, 6 timeout, 7 parity error
//   command byte (controller RAM 0): 0 keyboard IRQ1 enable, 1 aux IRQ12 enable, 2 system flag,
//     4 keyboard disabled, 5 aux disabled, 6 translate to scan code set 1
//   output port (0xD0/0xD1): 0 system reset (active low), 1 A20 gate, 4/5 OBF kbd/aux
// Commands are executed instantly, so IBF always reads 0.
//
// The auxiliary port exists but nothing is plugged in: the controller's own loopback (0xD3) and
// interface test (0xA9) succeed, and every byte sent to the device (0xD4) is answered with
// 0xFE and the timeout bit, which is how a PS/2 controller reports an absent device. Linux
// registers the AUX port, psmouse's probe fails, and no mouse is found.
//
// Wiring: `irq1` (keyboard) and `irq12` (aux) outputs; `request_reset` is called when the guest
// pulses the CPU reset line (0xFE, or output-port bit 0 written as 0); `set_a20` whenever the
// output port's A20 bit is written (the Machine ORs it with port 0x92's A20 bit).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "devices/bus.h"
#include "devices/device.h"

namespace rwd {

class I8042 : public PortHandler {
 public:
  static constexpr unsigned kQueueSize = 16;
  // A byte queue; `flags` per byte: bit 0 = from the aux port, bit 1 = timeout error.
  struct Queue {
    std::array<uint8_t, kQueueSize> data{};
    std::array<uint8_t, kQueueSize> flags{};
    uint8_t head = 0, count = 0;
  };
  struct State {
    std::array<uint8_t, 32> ram{0x03};  // controller RAM; byte 0 is the command byte
    Queue controller;                   // bytes produced by the controller itself
    Queue keyboard;                     // bytes the keyboard has to send (held while disabled)
    uint8_t out_data = 0;               // the output buffer
    uint8_t out_flags = 0;
    uint8_t out_full = 0;
    uint8_t last_was_command = 1;  // status bit 3: the last write went to 0x64
    uint8_t output_port = 0xcf;    // reset line high (not in reset), A20 on
    uint8_t pending_command = 0;   // controller command waiting for its data byte, or 0
    // Keyboard device.
    uint8_t kbd_pending_command = 0;  // keyboard command waiting for its parameter, or 0
    uint8_t kbd_scanning = 1;
    uint8_t kbd_leds = 0;
    uint8_t kbd_scancode_set = 2;
    uint8_t kbd_typematic = 0x2b;
    uint8_t kbd_last_sent = 0;
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>);
  static constexpr const char* kName = "i8042";

  I8042(IrqLine irq1, IrqLine irq12, std::function<void()> request_reset,
        std::function<void(bool)> set_a20);

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;

  // The output port's A20 bit (for the Machine's A20 state after a restore).
  bool a20() const { return state_.output_port & 0x02; }

  void reset();
  State save() const { return state_; }
  void restore(const State& s);

 private:
  uint8_t command_byte() const { return state_.ram[0]; }
  uint8_t status() const;
  void controller_reply(uint8_t byte, uint8_t flags = 0);
  void keyboard_reply(uint8_t byte);
  void refill();      // moves the next byte into an empty output buffer
  void update_irq();  // IRQ1/IRQ12 follow the output buffer and the command byte
  void write_command(uint8_t command);
  void write_data(uint8_t value);
  void keyboard_command(uint8_t value);
  void write_output_port(uint8_t value);

  IrqLine irq1_, irq12_;
  std::function<void()> request_reset_;
  std::function<void(bool)> set_a20_;
  State state_;
};

}  // namespace rwd
