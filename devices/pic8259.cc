// SPDX-License-Identifier: MIT
#include "devices/pic8259.h"

#include "base/log.h"

namespace rwd {
namespace {
// ICH9 ELCR1/ELCR2: IRQ 0, 1, 2 (master) and 8, 13 (slave) are reserved, always edge.
constexpr uint8_t kElcrWritable[2] = {0xf8, 0xde};

// The priority (0 = highest) of the highest-priority bit set in `mask`, or 8 if none: IR
// (lowest_priority + 1) & 7 has priority 0 (datasheet, "Rotation").
int highest_priority(const Pic8259Pair::Chip& c, uint8_t mask) {
  if (!mask) return 8;
  int priority = 0;
  while (!(mask & (1u << ((priority + c.lowest_priority + 1) & 7)))) priority++;
  return priority;
}
int irq_of_priority(const Pic8259Pair::Chip& c, int priority) {
  return (priority + c.lowest_priority + 1) & 7;
}
}  // namespace

Pic8259Pair::Pic8259Pair(IrqLine intr) : intr_(std::move(intr)) {}

void Pic8259Pair::reset() {
  state_ = State{};
  update();
}

void Pic8259Pair::restore(const State& s) {
  state_ = s;
  // The cascade pin is part of the State; only the CPU-facing line needs re-deriving.
  intr_.set(output());
}

int Pic8259Pair::pending_irq(unsigned chip) const {
  const Chip& c = state_.chips[chip];
  const int priority = highest_priority(c, c.irr & ~c.imr);
  if (priority == 8) return -1;
  // Requests are blocked by in-service levels of equal or higher priority. In special mask
  // mode a masked in-service level no longer blocks (the handler masks its own level to let
  // lower ones through). In special fully nested mode the master lets the slave nest: its IR2
  // in-service bit does not block further slave requests.
  uint8_t in_service = c.isr;
  if (c.special_mask) in_service &= ~c.imr;
  if (c.special_fully_nested && chip == 0) in_service &= ~0x04;
  if (priority < highest_priority(c, in_service)) return irq_of_priority(c, priority);
  return -1;
}

void Pic8259Pair::intack(Chip& c, int irq) {
  const uint8_t bit = uint8_t(1u << irq);
  if (c.auto_eoi) {
    if (c.rotate_on_auto_eoi) c.lowest_priority = uint8_t(irq);
  } else {
    c.isr |= bit;
  }
  // A level-triggered request stays in IRR while its line is high.
  if (!(c.elcr & bit)) c.irr &= ~bit;
}

void Pic8259Pair::set_pin(Chip& c, unsigned pin, bool level) {
  const uint8_t bit = uint8_t(1u << pin);
  const bool was = c.pins & bit;
  if (level)
    c.pins |= bit;
  else
    c.pins &= ~bit;
  if (c.elcr & bit) {
    if (level)
      c.irr |= bit;
    else
      c.irr &= ~bit;
  } else if (level && !was) {
    c.irr |= bit;
  }
}

void Pic8259Pair::update() {
  set_pin(state_.chips[0], 2, pending_irq(1) >= 0);
  intr_.set(output());
}

void Pic8259Pair::set_irq(unsigned irq, bool level) {
  if (irq >= 16 || irq == 2) return;
  set_pin(state_.chips[irq >> 3], irq & 7, level);
  update();
}

int Pic8259Pair::acknowledge() {
  Chip& master = state_.chips[0];
  Chip& slave = state_.chips[1];
  int vector;
  const int irq = pending_irq(0);
  if (irq < 0) {
    // The request went away between INTR and INTA: the 8259A answers with IR7's vector
    // without setting ISR (datasheet, "Interrupt sequence" note on spurious interrupts).
    vector = master.vector_base + 7;
  } else {
    intack(master, irq);
    if (irq == 2) {
      const int slave_irq = pending_irq(1);
      if (slave_irq >= 0) {
        intack(slave, slave_irq);
        vector = slave.vector_base + slave_irq;
      } else {
        vector = slave.vector_base + 7;  // spurious on the slave; master IR2 stays in service
      }
    } else {
      vector = master.vector_base + irq;
    }
  }
  update();
  return vector;
}

void Pic8259Pair::write_command(Chip& c, uint8_t value) {
  if (value & 0x10) {
    // ICW1: the initialization sequence resets the edge sense circuit, IMR, ISR, priorities and
    // special modes; a level request is still present on its line, so it stays in IRR.
    const uint8_t elcr = c.elcr, pins = c.pins;
    c = Chip{};
    c.elcr = elcr;
    c.pins = pins;
    c.imr = 0;
    c.irr = pins & elcr;
    c.init_step = 1;
    c.icw4_needed = value & 0x01;
    c.single = (value >> 1) & 1;
    return;
  }
  if ((value & 0x18) == 0x08) {
    // OCW3: ESMM/SMM (bits 6:5), P (bit 2), RR/RIS (bits 1:0).
    if (value & 0x04) c.poll = 1;
    if (value & 0x02) c.read_isr = value & 0x01;
    if (value & 0x40) c.special_mask = (value >> 5) & 1;
    return;
  }
  // OCW2: R, SL, EOI (bits 7:5) and the level L2-L0.
  const unsigned level = value & 7;
  switch (value >> 5) {
    case 0:  // clear rotate in AEOI mode
      c.rotate_on_auto_eoi = 0;
      break;
    case 4:  // set rotate in AEOI mode
      c.rotate_on_auto_eoi = 1;
      break;
    case 1:    // non-specific EOI
    case 5: {  // rotate on non-specific EOI
      const int priority = highest_priority(c, c.isr);
      if (priority == 8) break;
      const int irq = irq_of_priority(c, priority);
      c.isr &= ~(1u << irq);
      if (value >> 5 == 5) c.lowest_priority = uint8_t(irq);
      break;
    }
    case 3:  // specific EOI
      c.isr &= ~(1u << level);
      break;
    case 6:  // set priority
      c.lowest_priority = uint8_t(level);
      break;
    case 7:  // rotate on specific EOI
      c.isr &= ~(1u << level);
      c.lowest_priority = uint8_t(level);
      break;
    default:  // 2: no operation
      break;
  }
}

void Pic8259Pair::write_data(Chip& c, uint8_t value) {
  switch (c.init_step) {
    case 0:  // OCW1
      c.imr = value;
      break;
    case 1:  // ICW2: T7-T3; the low bits come from the IR level
      c.vector_base = value & 0xf8;
      c.init_step = c.single ? (c.icw4_needed ? 3 : 0) : 2;
      break;
    case 2:  // ICW3: the PC's cascade is hard-wired (slave on master IR2, slave ID 2)
      c.init_step = c.icw4_needed ? 3 : 0;
      break;
    case 3:  // ICW4: SFNM (bit 4), AEOI (bit 1); uPM (bit 0) is assumed set (8086 mode)
      c.special_fully_nested = (value >> 4) & 1;
      c.auto_eoi = (value >> 1) & 1;
      c.init_step = 0;
      break;
  }
}

uint8_t Pic8259Pair::read_byte(uint16_t port) {
  switch (port) {
    case 0x4d0:
      return state_.chips[0].elcr;
    case 0x4d1:
      return state_.chips[1].elcr;
    case 0x20:
    case 0x21:
    case 0xa0:
    case 0xa1:
      break;
    default:
      return 0xff;
  }
  const unsigned chip = port >= 0xa0;
  Chip& c = state_.chips[chip];
  if (c.poll) {
    // Poll mode: the read is the INTA (sets ISR); bit 7 = interrupt pending, bits 2:0 = level.
    c.poll = 0;
    const int irq = pending_irq(chip);
    if (irq < 0) return 0;
    intack(c, irq);
    update();
    return uint8_t(0x80 | irq);
  }
  if (port & 1) return c.imr;
  return c.read_isr ? c.isr : c.irr;
}

void Pic8259Pair::write_byte(uint16_t port, uint8_t value) {
  switch (port) {
    case 0x4d0:
    case 0x4d1: {
      Chip& c = state_.chips[port & 1];
      c.elcr = value & kElcrWritable[port & 1];
      // Level-triggered inputs follow their lines from now on.
      c.irr = uint8_t((c.irr & ~c.elcr) | (c.pins & c.elcr));
      break;
    }
    case 0x20:
    case 0xa0:
      write_command(state_.chips[port == 0xa0], value);
      break;
    case 0x21:
    case 0xa1:
      write_data(state_.chips[port == 0xa1], value);
      break;
    default:
      REWIND_LOG(kDebug, "pic", "write %#x to unhandled port %#x", value, port);
      return;
  }
  update();
}

uint32_t Pic8259Pair::port_read(uint16_t port, unsigned size) {
  // Wider accesses reach consecutive byte ports, as on the LPC bus.
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++) v |= uint32_t(read_byte(uint16_t(port + i))) << (8 * i);
  return v;
}

void Pic8259Pair::port_write(uint16_t port, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; i++) write_byte(uint16_t(port + i), uint8_t(value >> (8 * i)));
}

}  // namespace rwd
