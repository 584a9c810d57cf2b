// SPDX-License-Identifier: MIT
// HPET unit tests: capability registers (clock period, timer count, routing capabilities),
// the main counter as a function of virtual time, one-shot and periodic comparators firing at
// exact virtual times, level-triggered status bits, 32-bit mode wraparound, legacy replacement
// routing, 32-bit halves and byte accesses, and save → restore → compare.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "devices/hpet.h"
#include "replay/clock.h"

namespace rwd {
namespace {

constexpr unsigned kCapabilities = 0x000, kConfig = 0x010, kStatus = 0x020, kCounter = 0x0f0;
constexpr unsigned timer_config(unsigned n) {
  return 0x100 + 0x20 * n;
}
constexpr unsigned comparator(unsigned n) {
  return 0x108 + 0x20 * n;
}
constexpr uint64_t kEnable = 1, kLegacy = 2;
constexpr uint64_t kLevel = 1 << 1, kIntEnable = 1 << 2, kPeriodic = 1 << 3, kValSet = 1 << 6,
                   k32Bit = 1 << 8;
constexpr uint64_t route(unsigned pin) {
  return uint64_t(pin) << 9;
}

struct HpetFixture {
  uint64_t position = 0;
  Clock clock;
  std::array<Clock::TimerId, Hpet::kTimers> timers{};
  std::vector<std::pair<unsigned, bool>> pin_events;  // (IOAPIC pin, level)
  std::array<bool, 24> pins{};
  unsigned irq0_edges = 0, irq8_edges = 0;
  bool irq0 = false, irq8 = false;
  std::vector<bool> legacy_calls;
  std::unique_ptr<Hpet> hpet;

  HpetFixture() {
    clock.set_position_source([this] { return position; });
    for (unsigned n = 0; n < Hpet::kTimers; n++)
      timers[n] = clock.add_timer("hpet", [this, n] { hpet->timer_expired(n); });
    hpet = std::make_unique<Hpet>(Hpet::Wiring{
        .clock = &clock,
        .timers = timers,
        .set_ioapic_pin =
            [this](unsigned pin, bool level) {
              pin_events.push_back({pin, level});
              pins[pin] = level;
            },
        .irq0 = IrqLine([this](bool level) {
          irq0_edges += level;
          irq0 = level;
        }),
        .irq8 = IrqLine([this](bool level) {
          irq8_edges += level;
          irq8 = level;
        }),
        .legacy_changed = [this](bool on) { legacy_calls.push_back(on); },
    });
  }
  uint64_t rd(unsigned offset) { return hpet->mmio_read(offset, 8); }
  void wr(unsigned offset, uint64_t v) { hpet->mmio_write(offset, 8, v); }
  void advance_to(uint64_t p) {
    for (uint64_t d = clock.next_deadline(); d <= p; d = clock.next_deadline()) {
      position = d;
      clock.run_due(d);
    }
    position = p;
  }
  unsigned rising_edges(unsigned pin) const {
    unsigned count = 0;
    for (const auto& [p, level] : pin_events) count += p == pin && level;
    return count;
  }
};

TEST(Hpet, CapabilitiesAndResetValues) {
  HpetFixture f;
  // Period 100,000,000 fs (10 MHz), vendor 8086, LEG_RT_CAP, 64-bit, 3 timers, revision 1.
  EXPECT_EQ(f.rd(kCapabilities), 0x05f5e1008086a201ull);
  EXPECT_EQ(f.hpet->mmio_read(kCapabilities, 4), 0x8086a201u);
  EXPECT_EQ(f.hpet->mmio_read(kCapabilities + 4, 4), 0x05f5e100u);
  EXPECT_EQ(f.rd(kConfig), 0u);
  EXPECT_EQ(f.rd(kStatus), 0u);
  EXPECT_EQ(f.rd(kCounter), 0u);
  // Routing capability (pins 20-23) in 63:32, 64-bit capable; periodic only on timer 0; no FSB.
  EXPECT_EQ(f.rd(timer_config(0)), 0x00f0000000000030ull);
  EXPECT_EQ(f.rd(timer_config(1)), 0x00f0000000000020ull);
  EXPECT_EQ(f.rd(timer_config(2)), 0x00f0000000000020ull);
  for (unsigned n = 0; n < Hpet::kTimers; n++) EXPECT_EQ(f.rd(comparator(n)), ~0ull);
  // Read-only fields ignore writes.
  f.wr(kCapabilities, 0);
  EXPECT_EQ(f.rd(kCapabilities), 0x05f5e1008086a201ull);
  f.wr(timer_config(1), ~0ull);
  EXPECT_EQ(f.rd(timer_config(1)) & 0xffff, 0x0146u | 0x20);  // no periodic, route kept at 0
  f.wr(timer_config(0), route(5));  // pin 5 is not in the capability: does not read back
  EXPECT_EQ(f.rd(timer_config(0)) & route(0x1f), 0u);
  f.wr(timer_config(0), route(22));
  EXPECT_EQ(f.rd(timer_config(0)) & route(0x1f), route(22));
  f.wr(kConfig, ~0ull);
  EXPECT_EQ(f.rd(kConfig), 3u);
}

TEST(Hpet, MainCounterIsAFunctionOfVirtualTime) {
  HpetFixture f;
  f.position = 1000;
  EXPECT_EQ(f.rd(kCounter), 0u);  // halted
  f.wr(kConfig, kEnable);
  f.position = 1000 + 250;
  EXPECT_EQ(f.rd(kCounter), 2u);  // 100 ns per tick
  f.position = 1550;
  f.wr(kConfig, 0);
  f.position = 5000;
  EXPECT_EQ(f.rd(kCounter), 5u);
  // Written while halted as two 32-bit halves; read back the same way.
  f.hpet->mmio_write(kCounter, 4, 0xfffffff0);
  f.hpet->mmio_write(kCounter + 4, 4, 0x1);
  EXPECT_EQ(f.rd(kCounter), 0x1fffffff0ull);
  f.wr(kConfig, kEnable);
  f.position = 5000 + 100 * 0x20;
  EXPECT_EQ(f.hpet->mmio_read(kCounter, 4), 0x10u);
  EXPECT_EQ(f.hpet->mmio_read(kCounter + 4, 4), 0x2u);
  EXPECT_EQ(f.hpet->mmio_read(kCounter + 3, 2), 0x0200u);  // unaligned: bytes 3 and 4
}

TEST(Hpet, OneShotEdgeFiresAtExactTime) {
  HpetFixture f;
  f.wr(timer_config(2), kIntEnable | route(21));
  f.wr(comparator(2), 50);
  f.wr(kConfig, kEnable);
  EXPECT_EQ(f.clock.deadline(f.timers[2]), 5000u);
  f.advance_to(4999);
  EXPECT_EQ(f.rising_edges(21), 0u);
  f.advance_to(5000);
  EXPECT_EQ(f.pin_events, (std::vector<std::pair<unsigned, bool>>{{21, true}, {21, false}}));
  EXPECT_EQ(f.rd(kStatus), 0u);              // edge mode: no status
  EXPECT_FALSE(f.clock.armed(f.timers[2]));  // 64-bit one-shot: next match after 2^64 ticks
  EXPECT_EQ(f.rd(comparator(2)), 50u);
  // A comparator at or behind the counter waits for the counter to come round.
  f.wr(comparator(2), 50);
  EXPECT_FALSE(f.clock.armed(f.timers[2]));
  // Interrupt disabled: the timer still matches but raises nothing.
  f.wr(timer_config(2), route(21));
  f.wr(comparator(2), 60);
  f.advance_to(6000);
  EXPECT_EQ(f.rising_edges(21), 1u);
}

TEST(Hpet, LevelTriggeredStatusHoldsTheLine) {
  HpetFixture f;
  f.wr(timer_config(1), kLevel | kIntEnable | route(23));
  f.wr(comparator(1), 3);
  f.wr(kConfig, kEnable);
  f.advance_to(300);
  EXPECT_EQ(f.rd(kStatus), 2u);
  EXPECT_TRUE(f.pins[23]);
  f.hpet->mmio_write(kStatus, 4, 0x5);  // writing 0 to bit 1 does not clear it
  EXPECT_EQ(f.rd(kStatus), 2u);
  f.hpet->mmio_write(kStatus + 4, 4, 0x2);  // the upper half names nothing
  EXPECT_EQ(f.rd(kStatus), 2u);
  f.hpet->mmio_write(kStatus, 4, 0x2);
  EXPECT_EQ(f.rd(kStatus), 0u);
  EXPECT_FALSE(f.pins[23]);
  // With the interrupt disabled the status bit still latches, the line stays low.
  f.wr(timer_config(1), kLevel | route(23));
  f.wr(comparator(1), 10);
  f.advance_to(1000);
  EXPECT_EQ(f.rd(kStatus), 2u);
  EXPECT_FALSE(f.pins[23]);
  f.wr(timer_config(1), kLevel | kIntEnable | route(23));  // enabling raises it now
  EXPECT_TRUE(f.pins[23]);
  f.wr(kConfig, 0);  // halting the HPET drops its interrupts
  EXPECT_FALSE(f.pins[23]);
}

TEST(Hpet, PeriodicAccumulatesThePeriod) {
  HpetFixture f;
  // Linux's sequence: VAL_SET, comparator = start, then the period with VAL_SET already clear.
  f.wr(timer_config(0), kPeriodic | kValSet | kIntEnable | route(20));
  EXPECT_EQ(f.rd(timer_config(0)) & kValSet, kValSet);
  f.wr(comparator(0), 100);
  EXPECT_EQ(f.rd(timer_config(0)) & kValSet, 0u);  // clears itself
  f.wr(comparator(0), 100);
  f.wr(kConfig, kEnable);
  std::vector<uint64_t> fired;
  for (uint64_t t = 0; t <= 30000; t += 100) {
    const unsigned before = f.rising_edges(20);
    f.advance_to(t);
    if (f.rising_edges(20) != before) fired.push_back(t);
  }
  EXPECT_EQ(fired, (std::vector<uint64_t>{10000, 20000, 30000}));
  EXPECT_EQ(f.rd(comparator(0)), 400u);
  // Without VAL_SET a write changes only the period: the next match is still at 400.
  f.wr(comparator(0), 50);
  EXPECT_EQ(f.rd(comparator(0)), 400u);
  f.advance_to(40000);
  EXPECT_EQ(f.rd(comparator(0)), 450u);
  EXPECT_EQ(f.clock.deadline(f.timers[0]), 45000u);
  // Timers 1 and 2 cannot be periodic.
  f.wr(timer_config(1), kPeriodic);
  EXPECT_EQ(f.rd(timer_config(1)) & kPeriodic, 0u);
}

TEST(Hpet, ThirtyTwoBitModeWrapsAround) {
  HpetFixture f;
  f.wr(kCounter, 0xfffffff0);
  f.wr(timer_config(1), k32Bit | kIntEnable | route(22));
  f.wr(comparator(1), 0xffffffff00000010ull);  // upper half ignored in 32-bit mode
  EXPECT_EQ(f.rd(comparator(1)), 0x10u);
  f.wr(kConfig, kEnable);
  EXPECT_EQ(f.clock.deadline(f.timers[1]), 0x20u * 100);
  f.advance_to(0x20 * 100);
  EXPECT_EQ(f.rising_edges(22), 1u);
  // One-shot in 32-bit mode matches again after a full 32-bit wrap.
  EXPECT_EQ(f.clock.deadline(f.timers[1]), (0x20ull + (1ull << 32)) * 100);
  // The same comparator in 64-bit mode is behind a counter that went past 2^32: never.
  f.wr(timer_config(1), kIntEnable | route(22));
  EXPECT_FALSE(f.clock.armed(f.timers[1]));

  // Periodic in 32-bit mode: the comparator wraps too.
  HpetFixture g;
  g.wr(kCounter, 0xffffff00);
  g.wr(timer_config(0), k32Bit | kPeriodic | kValSet | kIntEnable | route(20));
  g.wr(comparator(0), 0xfffffff8);
  g.wr(comparator(0), 0x10);
  g.wr(kConfig, kEnable);
  g.advance_to((0xf8 + 0x10) * 100);
  EXPECT_EQ(g.rising_edges(20), 2u);
  EXPECT_EQ(g.rd(comparator(0)), 0x18u);
}

TEST(Hpet, LegacyReplacementRouting) {
  HpetFixture f;
  f.wr(timer_config(0), kIntEnable | route(20));  // route ignored in legacy mode
  f.wr(timer_config(1), kIntEnable | route(21));
  f.wr(comparator(0), 10);
  f.wr(comparator(1), 20);
  f.wr(kConfig, kEnable | kLegacy);
  EXPECT_TRUE(f.hpet->legacy_replacement());
  EXPECT_EQ(f.legacy_calls, std::vector<bool>{true});
  f.advance_to(2000);
  EXPECT_EQ(f.irq0_edges, 1u);
  EXPECT_EQ(f.irq8_edges, 1u);
  EXPECT_FALSE(f.irq0);
  EXPECT_TRUE(f.pin_events.empty());
  // Level-triggered timer 1 holds IRQ8.
  f.wr(timer_config(1), kLevel | kIntEnable);
  f.wr(comparator(1), 30);
  f.advance_to(3000);
  EXPECT_TRUE(f.irq8);
  f.wr(kStatus, 2);
  EXPECT_FALSE(f.irq8);
  // Leaving legacy mode reconnects the PIT and RTC and uses the routes again.
  f.wr(kConfig, kEnable);
  EXPECT_EQ(f.legacy_calls, (std::vector<bool>{true, false}));
  f.wr(comparator(0), 40);
  f.advance_to(4000);
  EXPECT_EQ(f.rising_edges(20), 1u);
  EXPECT_EQ(f.irq0_edges, 1u);
}

TEST(Hpet, OddSizeAndUnalignedAccesses) {
  HpetFixture f;
  EXPECT_EQ(f.hpet->mmio_read(kCapabilities + 2, 1), 0x86u);
  EXPECT_EQ(f.hpet->mmio_read(kCapabilities + 3, 1), 0x80u);
  EXPECT_EQ(f.hpet->mmio_read(kCapabilities + 6, 4), 0x000005f5u);  // spans into 0x008
  EXPECT_EQ(f.hpet->mmio_read(kCapabilities + 4, 2), 0xe100u);
  // Comparator written as two halves.
  f.hpet->mmio_write(comparator(2), 4, 0x12345678);
  f.hpet->mmio_write(comparator(2) + 4, 4, 0x9);
  EXPECT_EQ(f.rd(comparator(2)), 0x912345678ull);
  f.hpet->mmio_write(comparator(2) + 1, 2, 0xabcd);
  EXPECT_EQ(f.rd(comparator(2)), 0x912abcd78ull);
  f.hpet->mmio_read(0x3fe, 8);  // wraps within the 1 KiB window, no crash
  f.hpet->mmio_write(0x3fd, 8, ~0ull);
  f.hpet->mmio_write(0x200, 4, 1);  // reserved
  EXPECT_EQ(f.rd(0x200), 0u);
}

TEST(Hpet, SaveRestoreCompare) {
  HpetFixture a;
  a.wr(timer_config(0), kPeriodic | kValSet | kIntEnable | kLevel | route(20));
  a.wr(comparator(0), 10);
  a.wr(comparator(0), 10);
  a.wr(timer_config(2), k32Bit | kIntEnable | route(23));
  a.wr(comparator(2), 55);
  a.wr(kConfig, kEnable | kLegacy);
  a.advance_to(1234);

  const Hpet::State s = a.hpet->save();
  HpetFixture b;
  b.position = a.position;
  b.hpet->restore(s);
  const Hpet::State t = b.hpet->save();
  EXPECT_EQ(std::memcmp(&s, &t, sizeof s), 0);
  for (unsigned n = 0; n < Hpet::kTimers; n++)
    EXPECT_EQ(b.clock.deadline(b.timers[n]), a.clock.deadline(a.timers[n]));
  EXPECT_TRUE(b.irq0);  // level output re-derived
  EXPECT_EQ(b.legacy_calls, std::vector<bool>{true});
  EXPECT_EQ(b.rd(kCounter), a.rd(kCounter));

  for (HpetFixture* f : {&a, &b}) {
    f->wr(kStatus, 1);
    f->advance_to(9000);
  }
  EXPECT_EQ(a.rd(kCounter), b.rd(kCounter));
  EXPECT_EQ(a.rd(comparator(0)), b.rd(comparator(0)));
  EXPECT_EQ(a.rising_edges(23), 1u);
  EXPECT_EQ(b.rising_edges(23), 1u);
  const Hpet::State sa = a.hpet->save(), sb = b.hpet->save();
  EXPECT_EQ(std::memcmp(&sa, &sb, sizeof sa), 0);
}

}  // namespace
}  // namespace rwd
