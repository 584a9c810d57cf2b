// SPDX-License-Identifier: MIT
// Intel 8254 programmable interval timer at 0x40-0x43: counter 0 drives IRQ0, counter 1 is the
// (unused) refresh counter, counter 2's gate and output are reached through port 0x61
// (SystemPorts). The input clock is 1.193182 MHz derived from virtual time: the global tick
// number at virtual time t ns is floor(t * 1193182 / 1e9), computed in 128 bits, so there is no
// drift however long the machine runs and every count is a pure function of the position.
//
// Register model (Intel 8254 datasheet):
//   0x40-0x42 counter data: count writes and reads in the programmed access mode (LSB, MSB, or
//             LSB then MSB with the read/write flip-flops), latched counts and status first.
//   0x43      control word: SC1 SC0 RW1 RW0 M2 M1 M0 BCD ("Control Word Format"); RW = 00 is the
//             counter latch command; SC = 11 is the read-back command ("Read-Back Command").
// All six modes follow the datasheet's "Mode Definitions", including its timing: a count is
// loaded into the counting element on the CLK pulse after it is written (so mode 0 raises OUT
// N + 1 ticks after the write and mode 4 strobes at N + 1), modes 2 and 3 take a new count at
// the end of the current cycle / half-cycle, modes 1 and 5 wait for a gate trigger, and in
// mode 3 an odd count N gives OUT high for (N + 1) / 2 and low for (N - 1) / 2 ticks.
//
// Counter 0's OUT is an IrqLine that follows the output level exactly: a clock timer is armed
// at the next OUT transition (never polled), so mode 2 gives one rising edge per period and
// the PIC/IOAPIC see edges where real hardware has them.
//
// Wiring: `clock` gives virtual time; `irq0_timer` is a timer the Machine registered for this
// device whose callback must call on_timer(); `irq0` is counter 0's OUT (ISA IRQ 0). Counter
// 0's and 1's gates are tied high, counter 2's comes from set_gate2() (port 0x61 bit 0).
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "devices/bus.h"
#include "devices/device.h"
#include "replay/clock.h"

namespace rwd {

class Pit8254 : public PortHandler {
 public:
  static constexpr uint64_t kFrequencyHz = 1193182;

  // One counter. Times are in PIT ticks (see tick_at()). Fields are ordered by size with
  // explicit padding so the State's bytes are fully defined (they are hashed and compared).
  struct Counter {
    // The counting element (CE) runs a "segment": from start_tick on it counts from v0 (and
    // reloads n in modes 2 and 3). Before start_tick, or while not running, CE and OUT hold
    // held_value / held_out.
    int64_t start_tick = 0;
    int64_t pending_tick = 0;  // modes 2/3: the cycle end at which `cr` replaces `n`
    int64_t load_tick = 0;     // NULL COUNT clears at this tick (count register -> CE)
    uint32_t cr = 0x10000;     // count register (1..0x10000 binary, 1..10000 BCD)
    uint32_t n = 0x10000;      // count of the running segment
    uint32_t v0 = 0x10000;     // CE at start_tick
    uint32_t held_value = 0;
    uint16_t latched_value = 0;  // output latch (OL)
    uint8_t mode_bits = 0;       // M2 M1 M0 as programmed (6 and 7 alias modes 2 and 3)
    uint8_t access = 3;          // RW1 RW0: 1 LSB, 2 MSB, 3 LSB then MSB
    uint8_t bcd = 0;
    uint8_t gate = 0;
    uint8_t running = 0;
    uint8_t held_out = 0;
    uint8_t has_count = 0;      // a complete count was written since the control word
    uint8_t terminal_done = 0;  // modes 0/4: terminal count reached before start_tick
    uint8_t pending = 0;        // modes 2/3: a new count waits for the cycle end
    uint8_t pending_low = 0;    // mode 3: that cycle end starts the low half
    uint8_t null_count = 0;     // a written count is not yet in the CE (read-back status bit 6)
    uint8_t count_latched = 0;  // 0 none; 1 LSB next; 2 MSB next; 3 LSB then MSB
    uint8_t status_latched = 0;
    uint8_t status = 0;     // the latched status byte
    uint8_t read_msb = 0;   // read flip-flop (access 3): next unlatched read is the MSB
    uint8_t write_msb = 0;  // write flip-flop (access 3): next write is the MSB
    uint8_t write_lsb = 0;  // the LSB written so far
    uint8_t reserved[5]{};
  };
  struct State {
    std::array<Counter, 3> counters{};
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>);
  static constexpr const char* kName = "pit8254";

  // Power-on state: every counter as if a mode-3 control word had just been written (OUT high,
  // nothing counting until the guest writes a count). Real 8254s power up undefined and the
  // BIOS programs them; with no firmware, an idle PIT keeps the clock free of deadlines the
  // guest never asked for (so "halted with nothing armed" stays detectable).
  Pit8254(Clock& clock, Clock::TimerId irq0_timer, IrqLine irq0);

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;

  // The Machine's timer callback for `irq0_timer`.
  void on_timer();
  // Counter 2's GATE input and OUT output (port 0x61 bits 0 and 5).
  void set_gate2(bool level);
  bool out2() const;

  void reset();
  State save() const { return state_; }
  // Re-derives IRQ0 and re-arms the timer at the clock's current position, so the Machine
  // restores the CPU's position before the devices.
  void restore(const State& s);

  // PIT tick count at virtual time `ns`, and the first virtual ns at which `tick` has begun.
  static int64_t tick_at(uint64_t ns);
  static uint64_t ns_of_tick(int64_t tick);

 private:
  struct Output {
    uint32_t value;  // CE, binary (0..0x10000)
    bool out;
  };
  int64_t now_tick() const { return tick_at(clock_.now_ns()); }
  static Output evaluate(const Counter& c, int64_t t);
  static void apply_pending(Counter& c, int64_t t);
  static int64_t next_event(const Counter& c, int64_t t);
  uint8_t read_counter(Counter& c, int64_t t);
  void write_counter(Counter& c, uint8_t value, int64_t t);
  void write_control(uint8_t value, int64_t t);
  void load_count(Counter& c, uint32_t count, int64_t t);
  void set_gate(Counter& c, bool level, int64_t t);
  void latch_count(Counter& c, int64_t t);
  void latch_status(Counter& c, int64_t t);
  // Brings counter 0's IRQ line up to date and arms the timer at its next OUT transition.
  void update_irq0();

  Clock& clock_;
  Clock::TimerId irq0_timer_;
  IrqLine irq0_;
  State state_;
};

}  // namespace rwd
