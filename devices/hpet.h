// SPDX-License-Identifier: MIT
// High Precision Event Timer (IA-PC HPET Specification 1.0a), 1 KiB of MMIO at 0xFED00000:
// a 64-bit main counter at 10 MHz (period 100,000,000 fs — Linux wants ≤ 100 ns) and 3
// comparators. Timer 0 is the only periodic-capable one; all three are 64-bit and can be forced
// to 32-bit mode. Interrupts go to IOAPIC pins 20-23 (advertised in Tn_INT_ROUTE_CAP) or, with
// legacy replacement routing, timer 0 → IRQ0 and timer 1 → IRQ8. FSB (MSI) delivery is not
// supported (Tn_FSB_INT_DEL_CAP = 0).
//
// Time: the main counter is a pure function of virtual time while enabled
// (counter = counter_base + (now_ns - base_ns) / 100); only the base is stored, at enable,
// disable and counter writes. Each comparator has one clock timer armed at the exact virtual
// time of its next match.
//
// Wiring (given by the Machine; not in the State):
//
//   Hpet hpet(Hpet::Wiring{
//       .clock = &clock,
//       .timers = {clock.add_timer("hpet0", [&] { hpet->timer_expired(0); }),
//                  clock.add_timer("hpet1", [&] { hpet->timer_expired(1); }),
//                  clock.add_timer("hpet2", [&] { hpet->timer_expired(2); })},
//       .set_ioapic_pin = [&](unsigned pin, bool level) { ioapic.set_irq(pin, level); },
//       .irq0 = IrqLine(...),   // legacy IRQ0: connect like the PIT's output (8259 IRQ0 and
//                               // IOAPIC pin 2, the usual MADT interrupt source override)
//       .irq8 = IrqLine(...),   // legacy IRQ8: like the RTC's output (8259 IRQ8, IOAPIC pin 8)
//       .legacy_changed = [&](bool on) { /* on: disconnect the PIT's and RTC's outputs */ },
//   });
//   mmio.map(Hpet::kDefaultBase, Hpet::kMmioSize, &hpet, "hpet");
//
// Legacy replacement follows LEG_RT_CNF alone (as the ICH datasheets and QEMU do, not gated by
// ENABLE_CNF): legacy_replacement() says whether the PIT and RTC interrupts are disconnected;
// legacy_changed is called on every change and once from restore().
//
// Edge-triggered timers pulse their output (set true, set false); level-triggered ones hold it
// while their general interrupt status bit is set. Several timers on one pin are ORed.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "devices/bus.h"
#include "devices/device.h"
#include "replay/clock.h"

namespace rwd {

class Hpet : public MmioHandler {
 public:
  static constexpr uint64_t kDefaultBase = 0xfed00000;
  static constexpr uint64_t kMmioSize = 0x400;
  static constexpr unsigned kTimers = 3;
  static constexpr uint64_t kPeriodFs = 100'000'000;  // 10 MHz
  static constexpr uint64_t kNsPerTick = kPeriodFs / 1'000'000;
  // IOAPIC pins each timer may be routed to (bit n = pin n).
  static constexpr uint32_t kRouteCapability = 0x00f00000;  // pins 20-23

  struct TimerState {
    uint64_t config = 0;            // the writable Tn_CONF bits (capabilities are constant)
    uint64_t comparator = ~0ull;    // reset: all ones
    uint64_t period = 0;            // periodic mode: added to the comparator on each match
    uint64_t deadline_ns = kNever;  // the clock timer's armed deadline
  };
  struct State {
    std::array<TimerState, kTimers> timers{};
    uint64_t config = 0;            // ENABLE_CNF, LEG_RT_CNF
    uint64_t interrupt_status = 0;  // level-triggered status, bit per timer
    uint64_t counter_base = 0;      // main counter value at base_ns (the value while halted)
    uint64_t base_ns = 0;
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>, "no hidden padding");

  struct Wiring {
    Clock* clock = nullptr;
    std::array<Clock::TimerId, kTimers> timers{};
    std::function<void(unsigned ioapic_pin, bool level)> set_ioapic_pin{};
    IrqLine irq0{};  // legacy replacement output of timer 0
    IrqLine irq8{};  // legacy replacement output of timer 1
    std::function<void(bool legacy_replacement)> legacy_changed{};
  };

  explicit Hpet(Wiring wiring);

  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, unsigned size, uint64_t value) override;

  // The clock timer of comparator n fired.
  void timer_expired(unsigned n);

  bool enabled() const { return state_.config & 1; }
  bool legacy_replacement() const { return state_.config & 2; }
  uint64_t main_counter() const;

  State save() const { return state_; }
  void restore(const State& s);
  static constexpr const char* kName = "hpet";

 private:
  // Where timer n's interrupt goes.
  struct Target {
    enum Kind { kNone, kIoapic, kIrq0, kIrq8 } kind = kNone;
    unsigned pin = 0;
  };

  uint64_t register_value(unsigned slot) const;
  void write_register(unsigned slot, uint64_t value, uint64_t mask);
  void write_timer_config(unsigned n, uint64_t value);
  void write_comparator(unsigned n, uint64_t value, uint64_t mask);
  void set_counter(uint64_t value);

  uint64_t timer_capabilities(unsigned n) const;
  bool timer_32bit(unsigned n) const;
  Target target(unsigned n) const;
  // The first virtual time strictly after now at which timer n's comparator matches.
  uint64_t next_match_ns(unsigned n) const;
  void schedule(unsigned n);
  void schedule_all();
  void fire(unsigned n);
  // Drives every output to the level the State implies.
  void update_outputs();
  void pulse(const Target& t);

  Wiring wiring_;
  State state_;
  uint32_t driven_pins_ = 0;  // IOAPIC pin levels last driven (wiring-side cache, not State)
};

}  // namespace rwd
