// SPDX-License-Identifier: MIT
#include "devices/hpet.h"

#include "base/check.h"
#include "base/log.h"

namespace rwd {
namespace {

// Register slots: MMIO offset / 8 (HPET spec 1.0a §2.3.1, Table 3 "Memory-Mapped Registers").
constexpr unsigned kSlotCapabilities = 0x000 / 8, kSlotConfig = 0x010 / 8,
                   kSlotInterruptStatus = 0x020 / 8, kSlotCounter = 0x0f0 / 8,
                   kSlotTimerFirst = 0x100 / 8;  // + 4 per timer: config, comparator, FSB route

// General capabilities (§2.3.4): REV_ID 1, NUM_TIM_CAP = timers - 1, COUNT_SIZE_CAP (64-bit),
// LEG_RT_CAP, VENDOR_ID 0x8086, COUNTER_CLK_PERIOD in femtoseconds.
constexpr uint64_t kCapabilities = 0x01 | uint64_t(Hpet::kTimers - 1) << 8 | 1ull << 13 |
                                   1ull << 15 | 0x8086ull << 16 | Hpet::kPeriodFs << 32;

// General configuration (§2.3.5).
constexpr uint64_t kEnable = 1, kLegacyRoute = 2;

// Timer n configuration and capabilities (§2.3.8).
constexpr uint64_t kTnLevel = 1 << 1, kTnIntEnable = 1 << 2, kTnPeriodic = 1 << 3,
                   kTnPeriodicCap = 1 << 4, kTnSize64Cap = 1 << 5, kTnValSet = 1 << 6,
                   kTn32Bit = 1 << 8, kTnRouteShift = 9, kTnRouteMask = 0x1full << 9;
// Tn_FSB_EN_CNF (14) and Tn_FSB_INT_DEL_CAP (15) stay 0: no FSB delivery.
constexpr uint64_t kTnWritable =
    kTnLevel | kTnIntEnable | kTnPeriodic | kTnValSet | kTn32Bit | kTnRouteMask;

constexpr uint64_t kWrap32 = 1ull << 32;

}  // namespace

Hpet::Hpet(Wiring wiring) : wiring_(std::move(wiring)) {
  REWIND_CHECK_MSG(wiring_.clock, "the HPET needs the machine's clock");
}

// --- Time -------------------------------------------------------------------------------------

uint64_t Hpet::main_counter() const {
  if (!enabled()) return state_.counter_base;
  return state_.counter_base + (wiring_.clock->now_ns() - state_.base_ns) / kNsPerTick;
}

void Hpet::set_counter(uint64_t value) {
  state_.counter_base = value;
  state_.base_ns = wiring_.clock->now_ns();
}

bool Hpet::timer_32bit(unsigned n) const {
  return state_.timers[n].config & kTn32Bit;
}

uint64_t Hpet::next_match_ns(unsigned n) const {
  // A match is the counter *reaching* the comparator value, so the earliest candidate is the
  // next tick: a comparator equal to the current count does not fire until it comes round again
  // (after 2^32 ticks in 32-bit mode, never in 64-bit mode). Software that sets a deadline that
  // is already due must check the counter afterwards, as Linux does.
  if (!enabled()) return kNever;
  const uint64_t counter = main_counter();
  const uint64_t now = wiring_.clock->now_ns();
  // Virtual time at which the counter took its current value.
  const uint64_t tick_start = state_.base_ns + (counter - state_.counter_base) * kNsPerTick;
  const TimerState& t = state_.timers[n];
  uint64_t delta;
  if (timer_32bit(n)) {
    delta = uint32_t(uint32_t(t.comparator) - uint32_t(counter));
    if (delta == 0) delta = kWrap32;
  } else {
    delta = t.comparator - counter;
    if (delta == 0) return kNever;
  }
  if (delta > (kNever - 1 - tick_start) / kNsPerTick) return kNever;  // beyond uint64 ns
  const uint64_t deadline = tick_start + delta * kNsPerTick;
  return deadline > now ? deadline : kNever;
}

void Hpet::schedule(unsigned n) {
  // Timers run whether or not their interrupt is enabled: §2.3.8 Tn_INT_ENB_CNF says a disabled
  // timer "will still operate and generate appropriate status bits", and periodic comparators
  // keep accumulating.
  const uint64_t deadline = next_match_ns(n);
  state_.timers[n].deadline_ns = deadline;
  if (deadline == kNever)
    wiring_.clock->disarm(wiring_.timers[n]);
  else
    wiring_.clock->arm(wiring_.timers[n], Clock::position_from_ns(deadline));
}

void Hpet::schedule_all() {
  for (unsigned n = 0; n < kTimers; n++) schedule(n);
}

void Hpet::timer_expired(unsigned n) {
  if (n >= kTimers) return;
  TimerState& t = state_.timers[n];
  const uint64_t matched_at = t.deadline_ns;
  t.deadline_ns = kNever;
  if (!enabled() || matched_at == kNever) {
    schedule(n);
    return;
  }
  if ((t.config & kTnPeriodic) && t.period != 0) {
    // §2.3.9 periodic mode: each match adds the period to the comparator. If the clock ran
    // past several periods (only possible when the caller skips time), land on the first
    // match after now; the interrupt for the missed ones is the one raised here.
    const uint64_t now = wiring_.clock->now_ns();
    uint64_t periods = 1;
    if (t.period <= kNever / kNsPerTick) periods += (now - matched_at) / (t.period * kNsPerTick);
    t.comparator += periods * t.period;
    if (timer_32bit(n)) t.comparator = uint32_t(t.comparator);
  }
  fire(n);
  schedule(n);
}

// --- Interrupt outputs ------------------------------------------------------------------------

uint64_t Hpet::timer_capabilities(unsigned n) const {
  // Only timer 0 can be periodic (Tn_PER_INT_CAP); all are 64-bit capable (Tn_SIZE_CAP).
  return uint64_t(kRouteCapability) << 32 | kTnSize64Cap | (n == 0 ? kTnPeriodicCap : 0);
}

Hpet::Target Hpet::target(unsigned n) const {
  // §2.3.5 LEG_RT_CNF: timer 0 → IRQ0 (IOAPIC pin 2), timer 1 → IRQ8; Tn_INT_ROUTE_CNF does not
  // apply to them then.
  if (legacy_replacement() && n == 0) return {Target::kIrq0, 0};
  if (legacy_replacement() && n == 1) return {Target::kIrq8, 8};
  const unsigned pin = unsigned((state_.timers[n].config & kTnRouteMask) >> kTnRouteShift);
  if (!(kRouteCapability >> pin & 1)) return {};  // e.g. the reset value 0: not connected
  return {Target::kIoapic, pin};
}

void Hpet::update_outputs() {
  uint32_t pins = 0;
  bool irq0 = false, irq8 = false;
  for (unsigned n = 0; n < kTimers; n++) {
    const uint64_t config = state_.timers[n].config;
    const bool asserted = enabled() && (config & kTnLevel) && (config & kTnIntEnable) &&
                          (state_.interrupt_status >> n & 1);
    if (!asserted) continue;
    const Target t = target(n);
    switch (t.kind) {
      case Target::kIoapic:
        pins |= 1u << t.pin;
        break;
      case Target::kIrq0:
        irq0 = true;
        break;
      case Target::kIrq8:
        irq8 = true;
        break;
      case Target::kNone:
        break;
    }
  }
  const uint32_t changed = pins ^ driven_pins_;
  driven_pins_ = pins;
  for (unsigned pin = 0; pin < 32; pin++)
    if ((changed >> pin & 1) && wiring_.set_ioapic_pin)
      wiring_.set_ioapic_pin(pin, pins >> pin & 1);
  wiring_.irq0.set(irq0);
  wiring_.irq8.set(irq8);
}

void Hpet::pulse(const Target& t) {
  // An edge on a line that another (level) timer holds high is no edge at all.
  switch (t.kind) {
    case Target::kIoapic:
      if ((driven_pins_ >> t.pin & 1) || !wiring_.set_ioapic_pin) return;
      wiring_.set_ioapic_pin(t.pin, true);
      wiring_.set_ioapic_pin(t.pin, false);
      break;
    case Target::kIrq0:
      if (!wiring_.irq0.level()) wiring_.irq0.pulse();
      break;
    case Target::kIrq8:
      if (!wiring_.irq8.level()) wiring_.irq8.pulse();
      break;
    case Target::kNone:
      REWIND_LOG(kDebug, "hpet", "timer interrupt with no valid route dropped");
      break;
  }
}

void Hpet::fire(unsigned n) {
  const uint64_t config = state_.timers[n].config;
  if (config & kTnLevel) {
    // §2.3.6: level-triggered timers latch their status bit even with the interrupt disabled.
    state_.interrupt_status |= 1ull << n;
    update_outputs();
  } else if (config & kTnIntEnable) {
    pulse(target(n));
  }
}

// --- Registers --------------------------------------------------------------------------------

uint64_t Hpet::register_value(unsigned slot) const {
  switch (slot) {
    case kSlotCapabilities:
      return kCapabilities;
    case kSlotConfig:
      return state_.config;
    case kSlotInterruptStatus:
      return state_.interrupt_status;
    case kSlotCounter:
      return main_counter();
  }
  if (slot >= kSlotTimerFirst && slot < kSlotTimerFirst + 4 * kTimers) {
    const unsigned n = (slot - kSlotTimerFirst) / 4;
    switch ((slot - kSlotTimerFirst) % 4) {
      case 0:
        return state_.timers[n].config | timer_capabilities(n);
      case 1:
        return state_.timers[n].comparator;
      case 2:
        return 0;  // Tn_FSB_INT_ROUTE: no FSB delivery
    }
  }
  return 0;  // reserved
}

void Hpet::write_timer_config(unsigned n, uint64_t value) {
  TimerState& t = state_.timers[n];
  uint64_t next = value & kTnWritable;
  if (n != 0) next &= ~kTnPeriodic;  // Tn_PER_INT_CAP = 0
  // §2.3.8 Tn_INT_ROUTE_CNF: an unsupported route does not read back; keep the old one.
  const unsigned route = unsigned((next & kTnRouteMask) >> kTnRouteShift);
  if (!(kRouteCapability >> route & 1)) {
    if (route != unsigned((t.config & kTnRouteMask) >> kTnRouteShift))
      REWIND_LOG(kDebug, "hpet", "timer %u: route to pin %u not supported", n, route);
    next = (next & ~kTnRouteMask) | (t.config & kTnRouteMask);
  }
  // Forcing 32-bit mode loads 0 into the comparator's upper half (ICH datasheets).
  if ((next & kTn32Bit) && !(t.config & kTn32Bit)) {
    t.comparator = uint32_t(t.comparator);
    t.period = uint32_t(t.period);
  }
  // §2.3.6: in edge mode the status bit is meaningless; drop it so it cannot assert the line.
  if (!(next & kTnLevel)) state_.interrupt_status &= ~(1ull << n);
  t.config = next;
  schedule(n);
  update_outputs();
}

void Hpet::write_comparator(unsigned n, uint64_t value, uint64_t mask) {
  TimerState& t = state_.timers[n];
  const bool periodic = t.config & kTnPeriodic;
  const bool set_accumulator = t.config & kTnValSet;
  // §2.3.9 and Tn_VAL_SET_CNF (§2.3.8): in periodic mode a write sets the period; with
  // VAL_SET it also sets the comparator itself. VAL_SET clears after one write. This is QEMU's
  // reading, which Linux relies on (it writes the comparator with VAL_SET, then the period).
  if (!periodic || set_accumulator) t.comparator = (t.comparator & ~mask) | (value & mask);
  if (periodic) t.period = (t.period & ~mask) | (value & mask);
  if (timer_32bit(n)) {
    t.comparator = uint32_t(t.comparator);
    t.period = uint32_t(t.period);
  }
  t.config &= ~kTnValSet;
  schedule(n);
}

void Hpet::write_register(unsigned slot, uint64_t value, uint64_t mask) {
  const uint64_t merged = (register_value(slot) & ~mask) | (value & mask);
  switch (slot) {
    case kSlotConfig: {
      const bool was_enabled = enabled(), was_legacy = legacy_replacement();
      // Halting stores the count; starting continues from it (§2.3.5 ENABLE_CNF).
      if (was_enabled && !(merged & kEnable)) state_.counter_base = main_counter();
      if (!was_enabled && (merged & kEnable)) state_.base_ns = wiring_.clock->now_ns();
      state_.config = merged & (kEnable | kLegacyRoute);
      schedule_all();
      update_outputs();
      if (was_legacy != legacy_replacement() && wiring_.legacy_changed)
        wiring_.legacy_changed(legacy_replacement());
      return;
    }
    case kSlotInterruptStatus:
      // Write 1 to clear; only the bytes written count (a 32-bit write must not clear bits it
      // did not name).
      state_.interrupt_status &= ~(value & mask);
      update_outputs();
      return;
    case kSlotCounter:
      // Software should halt the counter first (§2.3.7); a write while running rebases it.
      if (enabled()) REWIND_LOG(kDebug, "hpet", "main counter written while running");
      set_counter(merged);
      schedule_all();
      return;
  }
  if (slot >= kSlotTimerFirst && slot < kSlotTimerFirst + 4 * kTimers) {
    const unsigned n = (slot - kSlotTimerFirst) / 4;
    switch ((slot - kSlotTimerFirst) % 4) {
      case 0:
        write_timer_config(n, merged);
        return;
      case 1:
        write_comparator(n, value, mask);
        return;
    }
  }
  // Capabilities, FSB routes and reserved space: read-only.
}

// --- MMIO -------------------------------------------------------------------------------------

// Registers are 64 bits wide at 8-byte offsets. Any access (1/2/4/8 bytes, aligned or not, e.g.
// a 64-bit register as two 32-bit halves on 32-bit paths) is split by register and served with
// a byte mask, so partial writes touch only the bytes written.
uint64_t Hpet::mmio_read(uint64_t offset, unsigned size) {
  uint64_t result = 0;
  unsigned cached_slot = ~0u;
  uint64_t cached = 0;
  for (unsigned i = 0; i < size; i++) {
    const uint64_t byte_offset = (offset + i) & (kMmioSize - 1);
    const unsigned slot = unsigned(byte_offset >> 3);
    if (slot != cached_slot) {
      cached = register_value(slot);  // one read per register, so halves are consistent
      cached_slot = slot;
    }
    result |= ((cached >> (8 * (byte_offset & 7))) & 0xff) << (8 * i);
  }
  return result;
}

void Hpet::mmio_write(uint64_t offset, unsigned size, uint64_t value) {
  unsigned i = 0;
  while (i < size) {
    const unsigned slot = unsigned(((offset + i) & (kMmioSize - 1)) >> 3);
    uint64_t v = 0, mask = 0;
    for (; i < size && unsigned(((offset + i) & (kMmioSize - 1)) >> 3) == slot; i++) {
      const unsigned b = unsigned((offset + i) & 7);
      v |= ((value >> (8 * i)) & 0xff) << (8 * b);
      mask |= 0xffull << (8 * b);
    }
    write_register(slot, v, mask);
  }
}

void Hpet::restore(const State& s) {
  state_ = s;
  for (unsigned n = 0; n < kTimers; n++) {
    const uint64_t deadline = state_.timers[n].deadline_ns;
    if (deadline == kNever)
      wiring_.clock->disarm(wiring_.timers[n]);
    else
      wiring_.clock->arm(wiring_.timers[n], Clock::position_from_ns(deadline));
  }
  update_outputs();
  if (wiring_.legacy_changed) wiring_.legacy_changed(legacy_replacement());
}

}  // namespace rwd
