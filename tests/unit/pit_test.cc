// SPDX-License-Identifier: MIT
// Unit tests for the 8254 PIT (tick arithmetic against virtual time, all six modes with the
// datasheet's timing, gates, latches, read-back, BCD, IRQ0 edges from clock timers) and for the
// system ports (port 0x61 gate/OUT2/refresh toggle, port 0x92, port 0x80), with
// save -> restore -> compare for both.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "devices/pit8254.h"
#include "devices/system_ports.h"
#include "replay/clock.h"

namespace rwd {
namespace {

uint64_t ns(int64_t tick) {
  return Pit8254::ns_of_tick(tick);
}

struct PitFixture {
  uint64_t now = 0;
  Clock clock;
  Clock::TimerId timer;
  bool level = false;
  std::vector<uint64_t> rises, falls;
  std::unique_ptr<Pit8254> pit;

  explicit PitFixture(uint64_t start = 0) : now(start) {
    clock.set_position_source([this] { return now; });
    timer = clock.add_timer("pit", [this] { pit->on_timer(); });
    pit = std::make_unique<Pit8254>(clock, timer, IrqLine([this](bool l) {
                                      level = l;
                                      (l ? rises : falls).push_back(now);
                                    }));
  }
  // Moves virtual time forward the way the Machine's run loop does: to each deadline in turn.
  void run_to(uint64_t t) {
    for (;;) {
      const uint64_t d = clock.next_deadline();
      if (d > t) break;
      now = std::max(now, d);
      clock.run_due(now);
    }
    now = t;
  }
  void at_tick(int64_t t) { run_to(ns(t)); }
  void out(uint16_t port, uint8_t v) { pit->port_write(port, 1, v); }
  uint8_t in(uint16_t port) { return uint8_t(pit->port_read(port, 1)); }
  // Counter latch command, then LSB and MSB (access mode 3).
  unsigned latched(unsigned counter) {
    out(0x43, uint8_t(counter << 6));
    const unsigned lsb = in(uint16_t(0x40 + counter));
    return lsb | unsigned(in(uint16_t(0x40 + counter))) << 8;
  }
  void program(unsigned counter, unsigned mode, unsigned count, bool bcd = false) {
    out(0x43, uint8_t(counter << 6 | 0x30 | mode << 1 | bcd));
    out(uint16_t(0x40 + counter), uint8_t(count));
    out(uint16_t(0x40 + counter), uint8_t(count >> 8));
  }
};

TEST(Pit8254, TickArithmeticHasNoDrift) {
  EXPECT_EQ(Pit8254::tick_at(0), 0);
  EXPECT_EQ(Pit8254::tick_at(838), 0);  // 0.99988 ticks
  EXPECT_EQ(Pit8254::tick_at(839), 1);
  EXPECT_EQ(Pit8254::tick_at(1000000000), 1193182);
  EXPECT_EQ(Pit8254::tick_at(3600ull * 1000000000), 3600ll * 1193182);
  // Far in the future, where ns * f overflows 64 bits.
  const uint64_t far = 1ull << 62;
  EXPECT_EQ(Pit8254::tick_at(far), int64_t((unsigned __int128)far * 1193182 / 1000000000));
  for (int64_t k : {int64_t(1), int64_t(2), int64_t(1193), int64_t(59659), int64_t(1193182),
                    int64_t(1) << 40}) {
    EXPECT_EQ(Pit8254::tick_at(ns(k)), k);
    EXPECT_EQ(Pit8254::tick_at(ns(k) - 1), k - 1);
  }
}

TEST(Pit8254, PowerOnCountersWaitForACount) {
  PitFixture f;
  EXPECT_TRUE(f.level);  // mode 3 selected: OUT high
  EXPECT_FALSE(f.clock.armed(f.timer));
  EXPECT_TRUE(f.pit->out2());
  f.out(0x43, 0xe2);  // read-back status of counter 0: OUT, NULL COUNT, LSB/MSB, mode 3
  EXPECT_EQ(f.in(0x40), 0xf6u);
  // A count alone starts it: 65536 in mode 3 is the PC's 18.2 Hz tick.
  f.out(0x40, 0);
  f.out(0x40, 0);
  f.run_to(ns(1 + 3 * 65536));
  ASSERT_EQ(f.falls.size(), 3u);
  EXPECT_EQ(f.falls[0], ns(1 + 32768));
  EXPECT_EQ(f.rises.back(), ns(1 + 3 * 65536));
}

TEST(Pit8254, Mode0OneShotOnIrq0IsExact) {
  PitFixture f(5000);  // tick 5
  f.program(0, 0, 100);
  EXPECT_FALSE(f.level);  // mode 0: OUT low from the control word on
  f.rises.clear();
  // Loaded on the next CLK (tick 6); OUT rises when the count reaches 0, N + 1 ticks after
  // the write.
  f.at_tick(56);
  EXPECT_EQ(f.latched(0), 50u);
  f.run_to(ns(106) - 1);
  EXPECT_FALSE(f.level);
  f.run_to(ns(106));
  EXPECT_TRUE(f.level);
  ASSERT_EQ(f.rises.size(), 1u);
  EXPECT_EQ(f.rises[0], ns(106));
  f.at_tick(108);
  EXPECT_EQ(f.latched(0), 0xfffeu);  // keeps counting after terminal count
  f.run_to(ns(100000));
  EXPECT_EQ(f.rises.size(), 1u);  // one-shot
  EXPECT_FALSE(f.clock.armed(f.timer));
}

TEST(Pit8254, Mode2PeriodicIrq0) {
  PitFixture f;
  f.program(0, 2, 1193);  // Linux's HZ=1000 periodic tick
  f.rises.clear();
  f.falls.clear();
  f.run_to(ns(1 + 10 * 1193));
  ASSERT_EQ(f.rises.size(), 10u);
  ASSERT_EQ(f.falls.size(), 10u);
  for (int k = 1; k <= 10; k++) {
    EXPECT_EQ(f.rises[k - 1], ns(1 + k * 1193));      // reload: OUT back high
    EXPECT_EQ(f.falls[k - 1], ns(1 + k * 1193 - 1));  // CE = 1: OUT low for one tick
  }
  f.at_tick(1 + 5 * 1193 + 300);
  EXPECT_EQ(f.latched(0), 1193u - 300);
}

TEST(Pit8254, Mode2NewCountTakesEffectAtCycleEnd) {
  PitFixture f;
  f.program(0, 2, 100);  // start at tick 1: reloads at 101, 201, ...
  f.rises.clear();
  f.at_tick(150);
  f.out(0x40, 50);  // new count without a control word
  f.out(0x40, 0);
  f.run_to(ns(302));
  ASSERT_EQ(f.rises.size(), 4u);
  EXPECT_EQ(f.rises[0], ns(101));
  EXPECT_EQ(f.rises[1], ns(201));  // the current cycle finishes with the old count
  EXPECT_EQ(f.rises[2], ns(251));
  EXPECT_EQ(f.rises[3], ns(301));
}

TEST(Pit8254, Mode3OddCountSquareWave) {
  PitFixture f;
  f.pit->set_gate2(true);
  f.at_tick(1000);
  f.program(2, 3, 5);
  for (int64_t t = 1001; t < 1021; t++) {
    f.at_tick(t);
    const int64_t p = (t - 1001) % 5;
    // Odd N: OUT high for (N+1)/2 ticks counting N-1, N-3, .. 0, low for (N-1)/2 ticks.
    EXPECT_EQ(f.pit->out2(), p < 3) << "tick " << t;
    EXPECT_EQ(f.latched(2), unsigned(p < 3 ? 4 - 2 * p : 4 - 2 * (p - 3))) << "tick " << t;
  }
}

TEST(Pit8254, Mode3EvenCountOnIrq0) {
  PitFixture f;
  f.program(0, 3, 1000);
  f.rises.clear();
  f.falls.clear();
  f.run_to(ns(1 + 3000));
  ASSERT_EQ(f.falls.size(), 3u);
  EXPECT_EQ(f.falls[0], ns(1 + 500));
  EXPECT_EQ(f.rises[0], ns(1 + 1000));
  f.at_tick(1 + 2000 + 10);
  EXPECT_EQ(f.latched(0), 1000u - 20);  // decrements by two
}

TEST(Pit8254, Mode1HardwareRetriggerableOneShot) {
  PitFixture f;
  f.at_tick(100);
  f.program(2, 1, 10);
  EXPECT_TRUE(f.pit->out2());
  f.at_tick(150);
  EXPECT_TRUE(f.pit->out2());  // waits for a trigger
  f.at_tick(200);
  f.pit->set_gate2(true);
  EXPECT_TRUE(f.pit->out2());
  f.at_tick(201);
  EXPECT_FALSE(f.pit->out2());  // low from the CLK after the trigger
  f.at_tick(205);
  f.pit->set_gate2(false);
  f.pit->set_gate2(true);  // retrigger: the full count starts over
  f.at_tick(211);
  EXPECT_FALSE(f.pit->out2());  // the first trigger alone would have ended here
  f.at_tick(215);
  EXPECT_EQ(f.latched(2), 1u);
  EXPECT_FALSE(f.pit->out2());
  f.at_tick(216);
  EXPECT_TRUE(f.pit->out2());
}

TEST(Pit8254, Mode4And5Strobes) {
  PitFixture f;
  f.pit->set_gate2(true);
  f.at_tick(300);
  f.program(2, 4, 4);  // software strobe: low for one tick, N + 1 after the write
  for (int64_t t = 300; t < 310; t++) {
    f.at_tick(t);
    EXPECT_EQ(f.pit->out2(), t != 305) << "tick " << t;
  }
  f.pit->set_gate2(false);
  f.program(2, 5, 4);  // hardware strobe: counts from the trigger
  f.at_tick(400);
  EXPECT_TRUE(f.pit->out2());
  f.pit->set_gate2(true);
  for (int64_t t = 400; t < 410; t++) {
    f.at_tick(t);
    EXPECT_EQ(f.pit->out2(), t != 405) << "tick " << t;
  }
}

TEST(Pit8254, GateSuspendsMode0AndStopsMode2) {
  PitFixture f;
  f.pit->set_gate2(true);
  f.at_tick(100);
  f.program(2, 0, 10);  // terminal count at 111 if not suspended
  f.at_tick(104);
  f.pit->set_gate2(false);
  f.at_tick(110);
  EXPECT_EQ(f.latched(2), 7u);
  f.at_tick(120);
  EXPECT_EQ(f.latched(2), 7u);
  f.pit->set_gate2(true);
  f.at_tick(126);
  EXPECT_FALSE(f.pit->out2());
  f.at_tick(127);
  EXPECT_TRUE(f.pit->out2());
  // Mode 2: GATE low forces OUT high and stops; a rising GATE reloads.
  f.program(2, 2, 10);  // starts at 128
  f.at_tick(137);
  EXPECT_FALSE(f.pit->out2());
  f.pit->set_gate2(false);
  EXPECT_TRUE(f.pit->out2());
  f.at_tick(150);
  EXPECT_EQ(f.latched(2), 1u);
  f.pit->set_gate2(true);
  f.at_tick(151);
  EXPECT_EQ(f.latched(2), 10u);
  f.at_tick(160);
  EXPECT_FALSE(f.pit->out2());
}

TEST(Pit8254, LatchAndReadBack) {
  PitFixture f;
  f.pit->set_gate2(true);
  f.at_tick(10);
  f.program(2, 2, 1000);
  // Read-back, status only, counter 2: OUT high, NULL COUNT (not loaded until tick 11),
  // RW = 3, mode 2, binary.
  f.out(0x43, 0xe8);
  EXPECT_EQ(f.in(0x42), 0xf4u);
  f.at_tick(11);
  f.out(0x43, 0xe8);
  EXPECT_EQ(f.in(0x42), 0xb4u);
  // Count and status together: status first, then the count.
  f.at_tick(111);
  f.out(0x43, 0xc8);
  EXPECT_EQ(f.in(0x42), 0xb4u);
  EXPECT_EQ(f.in(0x42), 900u & 0xff);
  EXPECT_EQ(f.in(0x42), 900u >> 8);
  // A second latch before the read is ignored.
  f.at_tick(200);
  f.out(0x43, 0x80);
  f.at_tick(300);
  f.out(0x43, 0x80);
  const unsigned lsb = f.in(0x42);
  EXPECT_EQ(lsb | unsigned(f.in(0x42)) << 8, 811u);
  // Unlatched reads follow the read flip-flop.
  f.at_tick(411);
  EXPECT_EQ(f.in(0x42), 600u & 0xff);
  f.at_tick(412);
  EXPECT_EQ(f.in(0x42), 599u >> 8);
  // Reads of the control port float.
  EXPECT_EQ(f.in(0x43), 0xffu);
}

TEST(Pit8254, AccessModesAndBcd) {
  PitFixture f;
  f.pit->set_gate2(true);
  f.at_tick(10);
  f.out(0x43, 0x90);  // counter 2, LSB only, mode 0
  f.out(0x42, 0x20);
  f.at_tick(13);
  EXPECT_EQ(f.in(0x42), 0x1eu);
  EXPECT_EQ(f.in(0x42), 0x1eu);  // no flip-flop in LSB-only mode
  f.out(0x43, 0xa0);             // MSB only
  f.out(0x42, 0x01);             // count 0x100, loaded at tick 14
  f.at_tick(14);
  EXPECT_EQ(f.in(0x42), 0x01u);
  f.at_tick(15);
  f.out(0x43, 0x80);
  EXPECT_EQ(f.in(0x42), 0x00u);  // the latched 0x00ff, MSB only
  f.at_tick(20);
  f.program(2, 0, 0x1000, /*bcd=*/true);  // 1000 decimal
  f.at_tick(31);
  EXPECT_EQ(f.latched(2), 0x0990u);
  f.program(2, 0, 0, /*bcd=*/true);  // 0 is 10000 in BCD
  f.at_tick(33);
  EXPECT_EQ(f.latched(2), 0x9999u);
}

TEST(Pit8254, SaveRestoreCompare) {
  PitFixture a;
  a.pit->set_gate2(true);
  a.program(0, 2, 997);
  a.program(2, 3, 77);
  a.at_tick(1500);
  a.out(0x40, 0x10);  // a pending mode-2 count change on counter 0 ...
  a.out(0x40, 0x02);
  a.out(0x43, 0x80);  // ... and a half-read latch on counter 2
  a.in(0x42);
  a.at_tick(1600);
  const Pit8254::State s = a.pit->save();
  PitFixture b(a.now);
  b.pit->restore(s);
  const Pit8254::State t = b.pit->save();
  EXPECT_EQ(std::memcmp(&s, &t, sizeof s), 0);
  EXPECT_EQ(b.level, a.level);
  EXPECT_EQ(b.clock.deadline(b.timer), a.clock.deadline(a.timer));
  a.rises.clear();
  b.rises.clear();
  for (PitFixture* f : {&a, &b}) f->run_to(ns(5000));
  EXPECT_EQ(a.rises, b.rises);
  EXPECT_EQ(a.rises.size(), 6u);
  EXPECT_EQ(a.in(0x42), 0u);  // the latched MSB
  EXPECT_EQ(b.in(0x42), 0u);
  EXPECT_EQ(a.latched(2), b.latched(2));
  EXPECT_EQ(a.pit->out2(), b.pit->out2());
  const Pit8254::State sa = a.pit->save(), sb = b.pit->save();
  EXPECT_EQ(std::memcmp(&sa, &sb, sizeof sa), 0);
}

// Random programming (any control word, count bytes, reads, gate changes, time steps): a copy
// restored half-way must agree with the original on every read, edge and final State byte.
TEST(Pit8254, RandomProgrammingAgreesAfterRestore) {
  uint64_t seed = 0x9e3779b97f4a7c15;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  PitFixture a;
  std::unique_ptr<PitFixture> b;
  for (int step = 0; step < 20000; step++) {
    if (step == 10000) {
      b = std::make_unique<PitFixture>(a.now);
      b->pit->restore(a.pit->save());
      // Only edges after the restore are compared (restoring may itself move b's line).
      for (PitFixture* f : {&a, b.get()}) {
        f->rises.clear();
        f->falls.clear();
      }
    }
    const uint64_t r = next();
    const uint8_t value = uint8_t(r >> 8);
    const uint16_t port = uint16_t(0x40 + (r >> 16) % 3);
    std::vector<PitFixture*> all = {&a};
    if (b) all.push_back(b.get());
    switch (r % 6) {
      case 0: {
        const uint64_t t = a.now + (r >> 24) % 20000;
        for (PitFixture* f : all) f->run_to(t);
        break;
      }
      case 1:
        for (PitFixture* f : all) f->out(0x43, value);
        break;
      case 2:
      case 3:
        for (PitFixture* f : all) f->out(port, value);
        break;
      case 4: {
        const uint8_t va = a.in(port);
        if (b) {
          ASSERT_EQ(b->in(port), va) << "step " << step;
        }
        break;
      }
      case 5:
        for (PitFixture* f : all) f->pit->set_gate2(value & 1);
        break;
    }
    if (b) {
      ASSERT_EQ(a.level, b->level) << "step " << step;
      ASSERT_EQ(a.pit->out2(), b->pit->out2()) << "step " << step;
    }
  }
  EXPECT_EQ(a.rises, b->rises);
  EXPECT_EQ(a.falls, b->falls);
  EXPECT_GT(a.rises.size(), 10u);
  const Pit8254::State sa = a.pit->save(), sb = b->pit->save();
  EXPECT_EQ(std::memcmp(&sa, &sb, sizeof sa), 0);
}

// --- System ports ---------------------------------------------------------------------------

struct SystemFixture {
  PitFixture pit;
  int resets = 0;
  std::vector<bool> a20;
  SystemPorts ports{pit.clock, [this](bool level) { pit.pit->set_gate2(level); },
                    [this] { return pit.pit->out2(); }, [this] { resets++; },
                    [this](bool on) { a20.push_back(on); }};
  uint8_t in(uint16_t port) { return uint8_t(ports.port_read(port, 1)); }
  void out(uint16_t port, uint8_t v) { ports.port_write(port, 1, v); }
};

TEST(SystemPorts, LinuxPitCalibrationThroughPort61) {
  SystemFixture f;
  f.pit.at_tick(1000);
  // arch/x86/kernel/tsc.c pit_calibrate_tsc(): gate high, speaker off, mode 0, 50 ms latch.
  f.out(0x61, uint8_t((f.in(0x61) & ~0x02) | 0x01));
  f.pit.out(0x43, 0xb0);
  const unsigned latch = 1193182 / 20;
  f.pit.out(0x42, uint8_t(latch));
  f.pit.out(0x42, uint8_t(latch >> 8));
  EXPECT_EQ(f.in(0x61) & 0x23, 0x01);  // OUT2 low, gate on, speaker off
  const uint64_t expire = ns(1000 + 1 + latch);
  f.pit.run_to(expire - 1);
  EXPECT_EQ(f.in(0x61) & 0x20, 0);
  f.pit.run_to(expire);
  EXPECT_EQ(f.in(0x61) & 0x20, 0x20);
  EXPECT_NEAR(double(expire - ns(1000)), 50e6, 2000);
}

TEST(SystemPorts, RefreshToggleFollowsVirtualTime) {
  SystemFixture f;
  EXPECT_EQ(f.in(0x61) & 0x10, 0);
  f.pit.now = 15084;
  EXPECT_EQ(f.in(0x61) & 0x10, 0);
  f.pit.now = 15085;
  EXPECT_EQ(f.in(0x61) & 0x10, 0x10);
  f.pit.now = 2 * 15085;
  EXPECT_EQ(f.in(0x61) & 0x10, 0);
  f.out(0x61, 0xff);
  EXPECT_EQ(f.in(0x61) & 0xcf, 0x0f);  // only bits 3:0 are writable; 7:6 read 0
}

TEST(SystemPorts, Port92A20AndFastReset) {
  SystemFixture f;
  f.out(0x92, 0x02);
  EXPECT_TRUE(f.ports.a20());
  EXPECT_EQ(f.a20, std::vector<bool>{true});
  EXPECT_EQ(f.in(0x92), 0x02u);
  EXPECT_EQ(f.resets, 0);
  f.out(0x92, 0x03);
  EXPECT_EQ(f.resets, 1);
  f.out(0x92, 0x03);
  EXPECT_EQ(f.resets, 1);  // only the 0 -> 1 edge resets
  f.out(0x92, 0x02);
  f.out(0x92, 0x03);
  EXPECT_EQ(f.resets, 2);
  f.out(0x80, 0x55);
  EXPECT_EQ(f.ports.post_code(), 0x55);
  EXPECT_EQ(f.in(0x80), 0xffu);
}

TEST(SystemPorts, SaveRestoreCompare) {
  SystemFixture a;
  a.out(0x61, 0x0d);
  a.out(0x92, 0x02);
  a.out(0x80, 0x42);
  const SystemPorts::State s = a.ports.save();
  SystemFixture b;
  b.ports.restore(s);
  const SystemPorts::State t = b.ports.save();
  EXPECT_EQ(std::memcmp(&s, &t, sizeof s), 0);
  EXPECT_TRUE(b.a20.empty());  // restore calls no callbacks
  EXPECT_EQ(b.in(0x92), a.in(0x92));
  EXPECT_EQ(b.in(0x61) & 0x0f, a.in(0x61) & 0x0f);
  for (SystemFixture* f : {&a, &b}) f->out(0x92, 0x03);
  EXPECT_EQ(a.resets, 1);
  EXPECT_EQ(b.resets, 1);
}

}  // namespace
}  // namespace rwd
