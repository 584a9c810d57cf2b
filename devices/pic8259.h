// SPDX-License-Identifier: MIT
// The PC's pair of Intel 8259A programmable interrupt controllers, as found in the ICH9 LPC
// bridge of a Q35 machine: master at 0x20/0x21 (IRQ 0-7), slave at 0xA0/0xA1 (IRQ 8-15)
// cascaded on master IR2, and the ICH's edge/level control registers (ELCR) at 0x4D0/0x4D1.
//
// Register model (Intel 8259A datasheet, "Programming the 8259A"):
//   port base+0 write: ICW1 (bit 4 set) | OCW2 (bits 4:3 = 00) | OCW3 (bits 4:3 = 01)
//   port base+1 write: ICW2 (vector base), ICW3 (cascade; fixed on a PC), ICW4, then OCW1 (IMR)
//   port base+0 read:  IRR or ISR (chosen by OCW3), or the poll word after an OCW3 poll command
//   port base+1 read:  IMR
// Trigger mode comes from ELCR (ICH9 datasheet §13.4, ELCR1/ELCR2); ICW1.LTIM is ignored, as
// on every ICH. IRQ 0, 1, 2, 8 and 13 are edge-only (their ELCR bits are reserved).
//
// Edge-triggered requests are latched into IRR on the rising edge and kept when the line drops:
// our devices pulse their lines in zero time (IrqLine::pulse), where real hardware keeps the
// line up past INTA. Level-triggered requests follow the line, so a level request that goes
// away before INTA produces the spurious vector (IRQ 7, or IRQ 15 through the cascade).
//
// Wiring: the constructor takes the INTR output (to the CPU / LAPIC LINT0 as ExtINT). Devices
// drive inputs with set_irq(); the CPU's interrupt acknowledge calls acknowledge(). The Machine
// maps the ports 0x20-0x21, 0xA0-0xA1 and 0x4D0-0x4D1 to this one object.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "devices/bus.h"
#include "devices/device.h"

namespace rwd {

class Pic8259Pair : public PortHandler {
 public:
  // One 8259A. All fields are bytes so the State has no padding (its bytes are hashed).
  struct Chip {
    uint8_t irr = 0;                 // interrupt request register
    uint8_t isr = 0;                 // in-service register
    uint8_t imr = 0xff;              // mask; power-on value chosen so an unprogrammed PIC is silent
    uint8_t pins = 0;                // input line levels (for the master, bit 2 is the slave's INT)
    uint8_t lowest_priority = 7;     // rotation: the IR with the lowest priority (OCW2 R/SL)
    uint8_t vector_base = 0;         // ICW2 & 0xf8
    uint8_t read_isr = 0;            // OCW3 RR/RIS: base+0 reads ISR (1) or IRR (0)
    uint8_t poll = 0;                // OCW3 P: the next read is a poll
    uint8_t special_mask = 0;        // OCW3 SMM
    uint8_t init_step = 0;           // 0 ready; 1, 2, 3: expecting ICW2, ICW3, ICW4
    uint8_t icw4_needed = 0;         // ICW1 IC4
    uint8_t single = 0;              // ICW1 SNGL (no ICW3)
    uint8_t auto_eoi = 0;            // ICW4 AEOI
    uint8_t rotate_on_auto_eoi = 0;  // OCW2 rotate-in-AEOI set/clear
    uint8_t special_fully_nested = 0;  // ICW4 SFNM
    uint8_t elcr = 0;                  // 1 = level-triggered
  };
  struct State {
    std::array<Chip, 2> chips{};  // [0] master, [1] slave
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>);
  static constexpr const char* kName = "pic8259";

  // `intr` is the master's INT output (level: high while an unmasked request can be delivered).
  explicit Pic8259Pair(IrqLine intr);

  // Input line `irq` (0..15) changes level. IRQ 2 is the cascade and is ignored here.
  void set_irq(unsigned irq, bool level);
  // The INTR line as the CPU sees it.
  bool output() const { return pending_irq(0) >= 0; }
  // The INTA cycle: returns the vector and moves the request from IRR to ISR (unless AEOI).
  // With nothing to deliver it returns the spurious vector (master base + 7, or slave base + 7
  // when the master's request came from the cascade).
  int acknowledge();

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;

  // Power-on state (a machine reset). ELCR returns to 0, as the ICH's reset value.
  void reset();
  State save() const { return state_; }
  void restore(const State& s);

 private:
  uint8_t read_byte(uint16_t port);
  void write_byte(uint16_t port, uint8_t value);
  void write_command(Chip& c, uint8_t value);  // base+0
  void write_data(Chip& c, uint8_t value);     // base+1
  // The IR the chip would deliver now (0..7), or -1 (datasheet "Interrupt sequence",
  // priority resolver with rotation, special mask and special fully nested modes).
  int pending_irq(unsigned chip) const;
  void intack(Chip& c, int irq);
  void set_pin(Chip& c, unsigned pin, bool level);
  // Propagates the slave's INT to master IR2 and the master's INT to the CPU.
  void update();

  IrqLine intr_;
  State state_;
};

}  // namespace rwd
