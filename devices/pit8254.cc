// SPDX-License-Identifier: MIT
#include "devices/pit8254.h"

#include <algorithm>
#include <limits>

#include "base/log.h"

namespace rwd {
namespace {
constexpr int64_t kNoTick = std::numeric_limits<int64_t>::max();
constexpr uint64_t kNsPerSecond = 1000000000;

// Modes 6 and 7 are "don't care" aliases of 2 and 3 (datasheet, "Control Word Format").
unsigned mode_of(const Pit8254::Counter& c) {
  return c.mode_bits >= 6 ? c.mode_bits - 4u : c.mode_bits;
}
uint32_t modulus(const Pit8254::Counter& c) {
  return c.bcd ? 10000 : 0x10000;
}

uint16_t to_bcd(uint32_t v) {
  return uint16_t((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}
uint32_t from_bcd(uint32_t v) {
  return ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
}
}  // namespace

int64_t Pit8254::tick_at(uint64_t ns) {
  return int64_t((unsigned __int128)ns * kFrequencyHz / kNsPerSecond);
}

uint64_t Pit8254::ns_of_tick(int64_t tick) {
  if (tick <= 0) return 0;
  // ceil(tick * 1e9 / f): the first ns whose floor(ns * f / 1e9) reaches `tick`.
  const unsigned __int128 ns =
      ((unsigned __int128)tick * kNsPerSecond + kFrequencyHz - 1) / kFrequencyHz;
  return ns >= kNever ? kNever : uint64_t(ns);
}

Pit8254::Pit8254(Clock& clock, Clock::TimerId irq0_timer, IrqLine irq0)
    : clock_(clock), irq0_timer_(irq0_timer), irq0_(std::move(irq0)) {
  reset();
}

void Pit8254::reset() {
  const int64_t t = now_tick();
  state_ = State{};
  for (unsigned i = 0; i < 3; i++) {
    // As if a mode-3 control word had just been written: OUT high, waiting for a count.
    Counter& c = state_.counters[i];
    c.mode_bits = 3;
    c.access = 3;
    c.gate = i != 2;
    c.start_tick = t;
    c.held_value = 0x10000;
    c.held_out = 1;
    c.null_count = 1;
    c.load_tick = kNoTick;
  }
  update_irq0();
}

void Pit8254::restore(const State& s) {
  state_ = s;
  update_irq0();
}

// --- The counting element as a pure function of (state, tick) -------------------------------

void Pit8254::apply_pending(Counter& c, int64_t t) {
  if (!c.pending || t < c.pending_tick) return;
  // Mode 2 reloads at the cycle end; mode 3 at the half-cycle end, which may begin the low half
  // of the new count's square wave.
  c.n = c.v0 = c.cr;
  c.start_tick = c.pending_low ? c.pending_tick - int64_t((c.cr + 1) / 2) : c.pending_tick;
  c.pending = 0;
}

Pit8254::Output Pit8254::evaluate(const Counter& counter, int64_t t) {
  Counter c = counter;
  apply_pending(c, t);
  if (!c.running || t < c.start_tick) return {c.held_value, bool(c.held_out)};
  const uint64_t d = uint64_t(t - c.start_tick);
  const uint32_t m = modulus(c);
  // Counting down from v0; past zero the CE wraps (modes 0, 1, 4, 5 keep counting).
  auto down = [&](uint32_t from) -> uint32_t {
    if (d < from) return uint32_t(from - d);
    return uint32_t((m - (d - from) % m) % m);
  };
  switch (mode_of(c)) {
    case 0:  // interrupt on terminal count: OUT low until the CE reaches 0
    case 1:  // hardware one-shot: OUT low from the trigger until the CE reaches 0
      return {down(c.v0), c.terminal_done || d >= c.v0};
    case 4:  // software strobe / 5: hardware strobe: OUT low for the one tick the CE is 0
    case 5:
      return {down(c.v0), c.terminal_done || d != c.v0};
    case 2: {  // rate generator: OUT low for the tick the CE is 1, then reload
      const uint64_t p = d % c.n;
      return {uint32_t(c.n - p), p != c.n - 1};
    }
    default: {  // 3, square wave: even N counts N, N-2, .. 2 per half; odd N counts from N-1
      //           and its high half lasts one tick longer ("Mode 3", odd counts).
      const uint64_t hi = (c.n + 1) / 2;
      const uint64_t p = d % c.n;
      const uint32_t top = (c.n & 1) ? c.n - 1 : c.n;
      const uint64_t k = p < hi ? p : p - hi;
      return {uint32_t(top - 2 * k), p < hi};
    }
  }
}

int64_t Pit8254::next_event(const Counter& counter, int64_t t) {
  Counter c = counter;
  apply_pending(c, t);
  if (!c.running) return kNoTick;
  if (t < c.start_tick) return c.start_tick;
  const int64_t d = t - c.start_tick;
  int64_t next = kNoTick;
  switch (mode_of(c)) {
    case 0:
    case 1:
      if (!c.terminal_done && d < int64_t(c.v0)) next = c.start_tick + c.v0;
      break;
    case 4:
    case 5:
      if (!c.terminal_done && d <= int64_t(c.v0)) next = c.start_tick + c.v0 + (d == c.v0);
      break;
    case 2:
      if (c.n > 1) {
        const int64_t p = d % c.n;
        next = p < int64_t(c.n) - 1 ? t - p + c.n - 1 : t + 1;
      }
      break;
    default:
      if (c.n > 1) {
        const int64_t hi = (c.n + 1) / 2;
        const int64_t p = d % c.n;
        next = p < hi ? t - p + hi : t - p + c.n;
      }
      break;
  }
  if (c.pending) next = std::min(next, c.pending_tick);
  return next;
}

// --- Programming --------------------------------------------------------------------------

void Pit8254::load_count(Counter& c, uint32_t raw, int64_t t) {
  apply_pending(c, t);
  uint32_t count = c.bcd ? from_bcd(raw) : raw;
  if (count == 0) count = modulus(c);  // 0 is the largest count (2^16, or 10^4 in BCD)
  c.cr = count;
  c.null_count = 1;
  c.has_count = 1;
  const unsigned mode = mode_of(c);
  switch (mode) {
    case 0:
    case 4: {
      // Loaded on the next CLK pulse; counting continues from the new count. Mode 0's OUT goes
      // low at once; mode 4's is unaffected.
      const Output o = evaluate(c, t);
      c.held_value = o.value;
      c.held_out = mode == 0 ? 0 : o.out;
      c.running = 1;
      c.start_tick = t + 1;
      c.v0 = c.n = count;
      c.terminal_done = 0;
      c.load_tick = t + 1;
      if (!c.gate) {
        // GATE low suspends counting but not the load (we load at once rather than on the
        // next CLK: the value is only observable through the held count).
        c.held_value = count;
        c.running = 0;
      }
      break;
    }
    case 1:
    case 5:
      // The new count is used at the next trigger; the current one-shot is not affected.
      c.load_tick = kNoTick;
      break;
    default:  // 2, 3
      if (c.running && t < c.start_tick) {
        c.n = c.v0 = count;  // not in the CE yet: the newer count is the one loaded
      } else if (c.running) {
        // Takes effect at the end of the current cycle (mode 2) or half-cycle (mode 3).
        if (!c.pending) {
          const int64_t d = t - c.start_tick;
          const int64_t p = d % c.n;
          if (mode == 2) {
            c.pending_tick = t - p + c.n;
            c.pending_low = 0;
          } else {
            const int64_t hi = (c.n + 1) / 2;
            c.pending_low = p < hi;
            c.pending_tick = p < hi ? t - p + hi : t - p + c.n;
          }
          c.pending = 1;
        }
        c.load_tick = c.pending_tick;
      } else if (c.gate) {
        // First count after the control word: loaded on the next CLK pulse, OUT stays high.
        c.held_value = evaluate(c, t).value;
        c.held_out = 1;
        c.running = 1;
        c.start_tick = t + 1;
        c.n = c.v0 = count;
        c.load_tick = t + 1;
      } else {
        c.load_tick = kNoTick;  // waits for GATE to rise
      }
      break;
  }
}

void Pit8254::set_gate(Counter& c, bool level, int64_t t) {
  if (bool(c.gate) == level) return;
  apply_pending(c, t);
  c.gate = level;
  const unsigned mode = mode_of(c);
  if (mode == 0 || mode == 4) {
    if (!level) {
      // GATE = 0 suspends counting; OUT is unaffected.
      if (!c.running) return;
      if (t < c.start_tick) {
        c.held_value = c.v0;
      } else {
        const Output o = evaluate(c, t);
        c.held_value = o.value;
        c.held_out = o.out;
        if (t - c.start_tick >= int64_t(c.v0)) c.terminal_done = 1;
      }
      c.running = 0;
    } else if (c.has_count && !c.running && !(mode == 0 && c.access == 3 && c.write_msb)) {
      // Counting resumes from the held value; the next CLK pulse decrements it.
      c.running = 1;
      c.start_tick = t;
      c.v0 = c.held_value;
    }
    return;
  }
  if (level) {
    // A rising edge is a trigger (modes 1, 2, 3, 5): the count register is loaded on the next
    // CLK pulse and counting starts over.
    if (!c.has_count) return;
    const Output o = evaluate(c, t);
    c.held_value = o.value;
    c.held_out = (mode == 2 || mode == 3) ? 1 : o.out;
    c.running = 1;
    c.start_tick = t + 1;
    c.n = c.v0 = c.cr;
    c.terminal_done = 0;
    c.pending = 0;
    c.load_tick = t + 1;
  } else if (mode == 2 || mode == 3) {
    // GATE low stops modes 2 and 3 and forces OUT high at once.
    const Output o = evaluate(c, t);
    c.held_value = o.value;
    c.held_out = 1;
    c.running = 0;
    if (c.pending) c.load_tick = kNoTick;
    c.pending = 0;
  }
}

void Pit8254::latch_count(Counter& c, int64_t t) {
  if (c.count_latched) return;  // a second latch before the read is ignored
  const uint32_t v = evaluate(c, t).value % modulus(c);
  c.latched_value = c.bcd ? to_bcd(v) : uint16_t(v);
  c.count_latched = c.access;
}

void Pit8254::latch_status(Counter& c, int64_t t) {
  if (c.status_latched) return;
  const bool null = c.null_count && t < c.load_tick;
  c.status =
      uint8_t(evaluate(c, t).out << 7 | null << 6 | c.access << 4 | c.mode_bits << 1 | c.bcd);
  c.status_latched = 1;
}

void Pit8254::write_control(uint8_t value, int64_t t) {
  const unsigned select = value >> 6;
  if (select == 3) {
    // Read-back: bit 5 = !COUNT, bit 4 = !STATUS, bits 3:1 select counters 2, 1, 0.
    for (unsigned i = 0; i < 3; i++) {
      if (!(value & (2u << i))) continue;
      Counter& c = state_.counters[i];
      if (!(value & 0x20)) latch_count(c, t);
      if (!(value & 0x10)) latch_status(c, t);
    }
    return;
  }
  Counter& c = state_.counters[select];
  const unsigned access = (value >> 4) & 3;
  if (access == 0) {
    latch_count(c, t);
    return;
  }
  // A control word resets the counter's control logic and puts OUT in its mode's initial
  // state (low for mode 0, high otherwise); counting waits for a count.
  apply_pending(c, t);
  const Output o = evaluate(c, t);
  c.mode_bits = (value >> 1) & 7;
  c.access = uint8_t(access);
  c.bcd = value & 1;
  c.held_value = o.value;
  c.held_out = mode_of(c) != 0;
  c.running = 0;
  c.has_count = 0;
  c.terminal_done = 0;
  c.pending = 0;
  c.null_count = 1;
  c.load_tick = kNoTick;
  c.count_latched = 0;
  c.status_latched = 0;
  c.read_msb = 0;
  c.write_msb = 0;
}

void Pit8254::write_counter(Counter& c, uint8_t value, int64_t t) {
  switch (c.access) {
    case 1:
      load_count(c, value, t);
      break;
    case 2:
      load_count(c, uint32_t(value) << 8, t);
      break;
    default:
      if (!c.write_msb) {
        c.write_lsb = value;
        c.write_msb = 1;
        if (mode_of(c) == 0) {
          // Mode 0: writing the first byte disables counting and sets OUT low at once.
          apply_pending(c, t);
          c.held_value = evaluate(c, t).value;
          c.held_out = 0;
          c.running = 0;
          c.terminal_done = 0;
        }
      } else {
        c.write_msb = 0;
        load_count(c, uint32_t(c.write_lsb) | uint32_t(value) << 8, t);
      }
      break;
  }
}

uint8_t Pit8254::read_counter(Counter& c, int64_t t) {
  if (c.status_latched) {  // status first when both are latched ("Read-Back Command")
    c.status_latched = 0;
    return c.status;
  }
  if (c.count_latched) {
    const uint16_t v = c.latched_value;
    switch (c.count_latched) {
      case 1:
        c.count_latched = 0;
        return uint8_t(v);
      case 2:
        c.count_latched = 0;
        return uint8_t(v >> 8);
      default:
        c.count_latched = 2;
        return uint8_t(v);
    }
  }
  const uint32_t raw = evaluate(c, t).value % modulus(c);
  const uint16_t v = c.bcd ? to_bcd(raw) : uint16_t(raw);
  switch (c.access) {
    case 1:
      return uint8_t(v);
    case 2:
      return uint8_t(v >> 8);
    default:
      c.read_msb ^= 1;
      return c.read_msb ? uint8_t(v) : uint8_t(v >> 8);
  }
}

// --- Ports, gate, IRQ0 --------------------------------------------------------------------

uint32_t Pit8254::port_read(uint16_t port, unsigned size) {
  const int64_t t = now_tick();
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++) {
    const uint16_t p = uint16_t(port + i);
    // The control word register is write-only: reads float.
    const uint8_t b = (p >= 0x40 && p <= 0x42) ? read_counter(state_.counters[p - 0x40], t) : 0xff;
    v |= uint32_t(b) << (8 * i);
  }
  update_irq0();
  return v;
}

void Pit8254::port_write(uint16_t port, unsigned size, uint32_t value) {
  const int64_t t = now_tick();
  for (unsigned i = 0; i < size; i++) {
    const uint16_t p = uint16_t(port + i);
    const uint8_t b = uint8_t(value >> (8 * i));
    if (p >= 0x40 && p <= 0x42) {
      write_counter(state_.counters[p - 0x40], b, t);
    } else if (p == 0x43) {
      write_control(b, t);
    } else {
      REWIND_LOG(kDebug, "pit", "write %#x to unhandled port %#x", b, p);
    }
  }
  update_irq0();
}

void Pit8254::set_gate2(bool level) {
  set_gate(state_.counters[2], level, now_tick());
}

bool Pit8254::out2() const {
  return evaluate(state_.counters[2], now_tick()).out;
}

void Pit8254::on_timer() {
  update_irq0();
}

void Pit8254::update_irq0() {
  // Pure in the State (no apply_pending here), so restore() followed by save() is exact.
  const Counter& c = state_.counters[0];
  const int64_t t = now_tick();
  irq0_.set(evaluate(c, t).out);
  const int64_t next = next_event(c, t);
  if (next == kNoTick) {
    clock_.disarm(irq0_timer_);
  } else {
    clock_.arm(irq0_timer_, Clock::position_from_ns(ns_of_tick(next)));
  }
}

}  // namespace rwd
