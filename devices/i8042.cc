// SPDX-License-Identifier: MIT
#include "devices/i8042.h"

#include "base/log.h"

namespace rwd {
namespace {
constexpr uint8_t kStatusObf = 0x01, kStatusSystem = 0x04, kStatusCommand = 0x08,
                  kStatusUnlocked = 0x10, kStatusAux = 0x20, kStatusTimeout = 0x40;
constexpr uint8_t kCmdKbdInt = 0x01, kCmdAuxInt = 0x02, kCmdSystem = 0x04, kCmdKbdDisable = 0x10,
                  kCmdAuxDisable = 0x20, kCmdTranslate = 0x40;
constexpr uint8_t kFlagAux = 0x01, kFlagTimeout = 0x02;
constexpr uint8_t kAck = 0xfa, kResend = 0xfe, kBatOk = 0xaa;

bool push(I8042::Queue& q, uint8_t byte, uint8_t flags) {
  if (q.count >= I8042::kQueueSize) return false;
  const unsigned i = (q.head + q.count) % I8042::kQueueSize;
  q.data[i] = byte;
  q.flags[i] = flags;
  q.count++;
  return true;
}
void pop(I8042::Queue& q, uint8_t* byte, uint8_t* flags) {
  *byte = q.data[q.head];
  *flags = q.flags[q.head];
  q.head = uint8_t((q.head + 1) % I8042::kQueueSize);
  q.count--;
}
}  // namespace

I8042::I8042(IrqLine irq1, IrqLine irq12, std::function<void()> request_reset,
             std::function<void(bool)> set_a20)
    : irq1_(std::move(irq1)),
      irq12_(std::move(irq12)),
      request_reset_(std::move(request_reset)),
      set_a20_(std::move(set_a20)) {}

void I8042::reset() {
  state_ = State{};
  update_irq();
}

void I8042::restore(const State& s) {
  state_ = s;
  update_irq();
}

uint8_t I8042::status() const {
  const State& s = state_;
  uint8_t v = kStatusUnlocked;  // no keylock: the keyboard is never inhibited
  if (s.out_full) {
    v |= kStatusObf;
    if (s.out_flags & kFlagAux) v |= kStatusAux;
    if (s.out_flags & kFlagTimeout) v |= kStatusTimeout;
  }
  if (command_byte() & kCmdSystem) v |= kStatusSystem;  // the system flag mirrors the command byte
  if (s.last_was_command) v |= kStatusCommand;
  return v;
}

void I8042::controller_reply(uint8_t byte, uint8_t flags) {
  if (!push(state_.controller, byte, flags))
    REWIND_LOG(kWarn, "i8042", "controller queue full, dropping %#x", byte);
}

void I8042::keyboard_reply(uint8_t byte) {
  state_.kbd_last_sent = byte;
  if (!push(state_.keyboard, byte, 0))
    REWIND_LOG(kWarn, "i8042", "keyboard queue full, dropping %#x", byte);
}

void I8042::refill() {
  State& s = state_;
  if (s.out_full) return;
  // The controller's own replies go first; the keyboard can only send while its interface is
  // enabled (command byte bit 4), otherwise its bytes wait in the keyboard.
  if (s.controller.count) {
    pop(s.controller, &s.out_data, &s.out_flags);
  } else if (s.keyboard.count && !(command_byte() & kCmdKbdDisable)) {
    pop(s.keyboard, &s.out_data, &s.out_flags);
  } else {
    return;
  }
  s.out_full = 1;
}

void I8042::update_irq() {
  const State& s = state_;
  const bool aux = s.out_flags & kFlagAux;
  irq1_.set(s.out_full && !aux && (command_byte() & kCmdKbdInt));
  irq12_.set(s.out_full && aux && (command_byte() & kCmdAuxInt));
}

void I8042::write_output_port(uint8_t value) {
  state_.output_port = value;
  if (set_a20_) set_a20_(value & 0x02);
  // Bit 0 drives the CPU's reset line, active low.
  if (!(value & 0x01) && request_reset_) request_reset_();
}

void I8042::write_command(uint8_t command) {
  State& s = state_;
  s.last_was_command = 1;
  if (command >= 0x20 && command <= 0x3f) {  // read controller RAM (0x20: command byte)
    controller_reply(s.ram[command & 0x1f]);
    return;
  }
  if ((command >= 0x60 && command <= 0x7f) || (command >= 0xd1 && command <= 0xd4)) {
    s.pending_command = command;  // takes a data byte through port 0x60
    return;
  }
  if (command >= 0xf0) {
    // Pulse output port bits 0-3 low for those clear in the command; bit 0 is CPU reset.
    if (!(command & 0x01) && request_reset_) request_reset_();
    return;
  }
  switch (command) {
    case 0xa4:  // password not installed
      controller_reply(0xf1);
      break;
    case 0xa7:
      s.ram[0] |= kCmdAuxDisable;
      break;
    case 0xa8:
      s.ram[0] &= uint8_t(~kCmdAuxDisable);
      break;
    case 0xa9:  // aux interface test: no clock/data fault
      controller_reply(0x00);
      break;
    case 0xaa:  // controller self test passed
      s.ram[0] |= kCmdSystem;
      controller_reply(0x55);
      break;
    case 0xab:  // keyboard interface test: no fault
      controller_reply(0x00);
      break;
    case 0xad:
      s.ram[0] |= kCmdKbdDisable;
      break;
    case 0xae:
      s.ram[0] &= uint8_t(~kCmdKbdDisable);
      break;
    case 0xd0: {  // read output port; bits 4/5 show the output buffer's state
      uint8_t v = s.output_port & 0xcf;
      if (s.out_full) v |= (s.out_flags & kFlagAux) ? 0x20 : 0x10;
      controller_reply(v);
      break;
    }
    case 0xdd:  // HP Vectra style A20 commands, which some loaders use
    case 0xdf:
      s.output_port = uint8_t((s.output_port & ~0x02) | (command == 0xdf ? 0x02 : 0));
      if (set_a20_) set_a20_(command == 0xdf);
      break;
    default:
      REWIND_LOG(kDebug, "i8042", "unimplemented controller command %#x", command);
      break;
  }
}

void I8042::write_data(uint8_t value) {
  State& s = state_;
  s.last_was_command = 0;
  if (const uint8_t command = s.pending_command) {
    s.pending_command = 0;
    if (command >= 0x60 && command <= 0x7f) {
      s.ram[command & 0x1f] = value;
      return;
    }
    switch (command) {
      case 0xd1:
        write_output_port(value);
        break;
      case 0xd2:  // as if from the keyboard
        controller_reply(value);
        break;
      case 0xd3:  // as if from the aux device
        controller_reply(value, kFlagAux);
        break;
      case 0xd4:
        // Nothing on the aux port: the transmission times out and the controller answers for
        // the device with 0xFE and the timeout status bit.
        controller_reply(kResend, kFlagAux | kFlagTimeout);
        break;
    }
    return;
  }
  // A byte for the keyboard. Sending to it enables its interface, as the 8042 firmware does
  // before clocking data out.
  s.ram[0] &= uint8_t(~kCmdKbdDisable);
  keyboard_command(value);
}

void I8042::keyboard_command(uint8_t value) {
  State& s = state_;
  const bool translate = command_byte() & kCmdTranslate;
  if (const uint8_t command = s.kbd_pending_command) {
    s.kbd_pending_command = 0;
    switch (command) {
      case 0xed:
        s.kbd_leds = value & 0x07;
        keyboard_reply(kAck);
        break;
      case 0xf3:
        s.kbd_typematic = value & 0x7f;
        keyboard_reply(kAck);
        break;
      case 0xf0:
        if (value == 0) {
          keyboard_reply(kAck);
          // The controller translates the reply like any other byte from the keyboard.
          static constexpr uint8_t kTranslated[4] = {0, 0x43, 0x41, 0x3f};
          keyboard_reply(translate ? kTranslated[s.kbd_scancode_set] : s.kbd_scancode_set);
        } else if (value <= 3) {
          s.kbd_scancode_set = value;
          keyboard_reply(kAck);
        } else {
          keyboard_reply(kResend);
        }
        break;
    }
    return;
  }
  switch (value) {
    case 0xed:  // set LEDs, scan code set, typematic rate: a parameter byte follows
    case 0xf0:
    case 0xf3:
      s.kbd_pending_command = value;
      keyboard_reply(kAck);
      break;
    case 0xee:  // echo
      keyboard_reply(0xee);
      break;
    case 0xf2:  // identify: MF2 keyboard (0x83 becomes 0x41)
      keyboard_reply(kAck);
      keyboard_reply(0xab);
      keyboard_reply(translate ? 0x41 : 0x83);
      break;
    case 0xf4:
      s.kbd_scanning = 1;
      keyboard_reply(kAck);
      break;
    case 0xf5:  // disable scanning and restore defaults
      s.kbd_scanning = 0;
      s.kbd_typematic = 0x2b;
      keyboard_reply(kAck);
      break;
    case 0xf6:  // restore defaults
      s.kbd_scanning = 1;
      s.kbd_typematic = 0x2b;
      keyboard_reply(kAck);
      break;
    case 0xf7:
    case 0xf8:
    case 0xf9:
    case 0xfa:
    case 0xfb:
    case 0xfc:
    case 0xfd:
      keyboard_reply(kAck);  // scan code set 3 key attributes: accepted, no effect
      break;
    case 0xfe: {  // resend the last byte
      const uint8_t last = s.kbd_last_sent;
      keyboard_reply(last);
      break;
    }
    case 0xff:  // reset: ACK, then the basic assurance test result
      s.kbd_scanning = 1;
      s.kbd_leds = 0;
      s.kbd_scancode_set = 2;
      s.kbd_typematic = 0x2b;
      keyboard_reply(kAck);
      keyboard_reply(kBatOk);
      break;
    default:
      keyboard_reply(kResend);
      break;
  }
}

uint32_t I8042::port_read(uint16_t port, unsigned size) {
  uint8_t v = 0xff;
  if (port == 0x64) {
    v = status();
  } else if (port == 0x60) {
    State& s = state_;
    v = s.out_data;  // an empty buffer reads its stale contents
    if (s.out_full) {
      s.out_full = 0;
      // Drop the lines before loading the next byte so each byte is a fresh edge on the PIC.
      irq1_.set(false);
      irq12_.set(false);
      refill();
      update_irq();
    }
  }
  // Wider reads see this byte and open bus above it (0x61 and 0x65 are other devices).
  if (size == 1) return v;
  const uint32_t ones = size == 2 ? 0xffffu : 0xffffffffu;
  return (ones & ~0xffu) | v;
}

void I8042::port_write(uint16_t port, unsigned size, uint32_t value) {
  (void)size;
  if (port == 0x64) {
    write_command(uint8_t(value));
  } else if (port == 0x60) {
    write_data(uint8_t(value));
  } else {
    return;
  }
  refill();
  update_irq();
}

}  // namespace rwd
