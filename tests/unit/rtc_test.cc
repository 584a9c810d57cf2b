// SPDX-License-Identifier: MIT
// Unit tests for the MC146818 RTC/CMOS: the hand-written calendar, time registers in BCD/binary
// and 12/24-hour formats, UIP timing, SET, divider reset, periodic / update-ended / alarm
// interrupts against virtual time, register C semantics, the CMOS memory-size fields, and
// save -> restore -> compare.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "devices/rtc_cmos.h"
#include "replay/clock.h"

namespace rwd {
namespace {

constexpr int64_t kBase = 1709251198;  // 2024-02-29 23:59:58 UTC, a Thursday
constexpr uint64_t kSecond = 1000000000;
constexpr uint64_t kMiB = 1 << 20;

struct RtcFixture {
  uint64_t now;
  Clock clock;
  Clock::TimerId timer;
  bool irq = false;
  std::vector<uint64_t> rises;
  std::unique_ptr<RtcCmos> rtc;

  explicit RtcFixture(uint64_t start = 0, uint64_t low_ram = 512 * kMiB, uint64_t high_ram = 0,
                      unsigned cpus = 1)
      : now(start) {
    clock.set_position_source([this] { return now; });
    timer = clock.add_timer("rtc", [this] { rtc->on_timer(); });
    rtc = std::make_unique<RtcCmos>(clock, timer, IrqLine([this](bool l) {
                                      irq = l;
                                      if (l) rises.push_back(now);
                                    }),
                                    kBase, low_ram, high_ram, cpus);
  }
  void run_to(uint64_t t) {
    for (;;) {
      const uint64_t d = clock.next_deadline();
      if (d > t) break;
      now = std::max(now, d);
      clock.run_due(now);
    }
    now = t;
  }
  uint8_t reg(uint8_t index) {
    rtc->port_write(0x70, 1, index);
    return uint8_t(rtc->port_read(0x71, 1));
  }
  void set(uint8_t index, uint8_t value) {
    rtc->port_write(0x70, 1, index);
    rtc->port_write(0x71, 1, value);
  }
};

TEST(RtcCalendar, KnownDatesWeekdaysAndLeapYears) {
  CivilTime t = civil_from_unix(0);
  EXPECT_EQ(t.year, 1970);
  EXPECT_EQ(t.month, 1u);
  EXPECT_EQ(t.day, 1u);
  EXPECT_EQ(t.weekday, 4u);  // Thursday
  t = civil_from_unix(-1);
  EXPECT_EQ(t.year, 1969);
  EXPECT_EQ(t.month, 12u);
  EXPECT_EQ(t.day, 31u);
  EXPECT_EQ(t.hour, 23u);
  EXPECT_EQ(t.second, 59u);
  EXPECT_EQ(t.weekday, 3u);
  t = civil_from_unix(951782400);  // 2000 is a leap year (divisible by 400)
  EXPECT_EQ(t.month, 2u);
  EXPECT_EQ(t.day, 29u);
  EXPECT_EQ(t.weekday, 2u);  // Tuesday
  t = civil_from_unix(2147483647);
  EXPECT_EQ(t.year, 2038);
  EXPECT_EQ(t.month, 1u);
  EXPECT_EQ(t.day, 19u);
  EXPECT_EQ(t.hour, 3u);
  EXPECT_EQ(t.minute, 14u);
  EXPECT_EQ(t.second, 7u);
  t = civil_from_unix(253402300799);
  EXPECT_EQ(t.year, 9999);
  EXPECT_EQ(t.month, 12u);
  EXPECT_EQ(t.day, 31u);
  // February lengths: 1900 and 2100 are not leap years, 2000 and 2024 are.
  EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);
  EXPECT_EQ(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);
  EXPECT_EQ(days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28), 2);
  EXPECT_EQ(days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28), 1);
  for (int64_t s = -5000000000; s < 300000000000; s += 86400 * 37 + 3599) {
    EXPECT_EQ(unix_from_civil(civil_from_unix(s)), s) << s;
  }
}

TEST(RtcCmos, TimeRegistersBcd24Hour) {
  RtcFixture f;
  EXPECT_EQ(f.reg(0x00), 0x58u);
  EXPECT_EQ(f.reg(0x02), 0x59u);
  EXPECT_EQ(f.reg(0x04), 0x23u);
  EXPECT_EQ(f.reg(0x06), 0x05u);  // Thursday (Sunday = 1)
  EXPECT_EQ(f.reg(0x07), 0x29u);
  EXPECT_EQ(f.reg(0x08), 0x02u);
  EXPECT_EQ(f.reg(0x09), 0x24u);
  EXPECT_EQ(f.reg(0x32), 0x20u);
  EXPECT_EQ(f.reg(0x0a), 0x26u);
  EXPECT_EQ(f.reg(0x0b), 0x02u);
  EXPECT_EQ(f.reg(0x0d), 0x80u);
  f.run_to(2 * kSecond - 1);
  EXPECT_EQ(f.reg(0x00), 0x59u);
  f.run_to(2 * kSecond);  // over the leap day into March
  EXPECT_EQ(f.reg(0x00), 0x00u);
  EXPECT_EQ(f.reg(0x04), 0x00u);
  EXPECT_EQ(f.reg(0x06), 0x06u);
  EXPECT_EQ(f.reg(0x07), 0x01u);
  EXPECT_EQ(f.reg(0x08), 0x03u);
  EXPECT_EQ(f.rtc->now_seconds(), kBase + 2);
}

TEST(RtcCmos, BinaryAnd12HourModes) {
  RtcFixture f;
  f.set(0x0b, 0x04);  // binary, 12-hour
  EXPECT_EQ(f.reg(0x00), 58u);
  EXPECT_EQ(f.reg(0x04), 0x8bu);  // 11 PM
  EXPECT_EQ(f.reg(0x07), 29u);
  f.run_to(2 * kSecond);
  EXPECT_EQ(f.reg(0x04), 12u);  // 12 AM
  f.set(0x0b, 0x00);            // BCD, 12-hour
  f.set(0x04, 0x92);            // 12 PM -> noon
  EXPECT_EQ(f.rtc->now_seconds() % 86400, 12 * 3600);
}

TEST(RtcCmos, UpdateInProgressWindow) {
  RtcFixture f;
  // UIP rises 8 cycles of 32.768 kHz (244.14 us) before each update.
  f.run_to(999755859);
  EXPECT_EQ(f.reg(0x0a) & 0x80, 0u);
  f.run_to(999755860);
  EXPECT_EQ(f.reg(0x0a) & 0x80, 0x80u);
  EXPECT_EQ(f.reg(0x00), 0x58u);  // the update itself has not happened yet
  f.run_to(kSecond - 1);
  EXPECT_EQ(f.reg(0x0a) & 0x80, 0x80u);
  f.run_to(kSecond);
  EXPECT_EQ(f.reg(0x0a) & 0x80, 0u);
  EXPECT_EQ(f.reg(0x00), 0x59u);
  f.run_to(2 * kSecond - 100000);
  EXPECT_EQ(f.reg(0x0a) & 0x80, 0x80u);
  f.set(0x0b, 0x82);  // SET clears UIP
  EXPECT_EQ(f.reg(0x0a) & 0x80, 0u);
}

TEST(RtcCmos, SetBitHaltsUpdatesAndLoadsNewTime) {
  RtcFixture f;
  f.run_to(kSecond / 2);
  f.set(0x0b, 0x92);  // SET | UIE: SET clears UIE
  EXPECT_EQ(f.reg(0x0b), 0x82u);
  f.set(0x00, 0x56);
  f.set(0x02, 0x34);
  f.set(0x04, 0x12);
  f.set(0x07, 0x15);
  f.set(0x08, 0x06);
  f.set(0x09, 0x30);
  f.run_to(5 * kSecond + kSecond / 2);
  EXPECT_EQ(f.reg(0x00), 0x56u);  // halted
  EXPECT_EQ(f.reg(0x02), 0x34u);
  f.set(0x0b, 0x02);
  CivilTime expect;
  expect.year = 2030;
  expect.month = 6;
  expect.day = 15;
  expect.hour = 12;
  expect.minute = 34;
  expect.second = 56;
  EXPECT_EQ(f.rtc->now_seconds(), unix_from_civil(expect));
  EXPECT_EQ(f.reg(0x06), 0x07u);  // 2030-06-15 is a Saturday
  // The divider kept its phase: the next update is still on the whole second.
  f.run_to(6 * kSecond - 1);
  EXPECT_EQ(f.reg(0x00), 0x56u);
  f.run_to(6 * kSecond);
  EXPECT_EQ(f.reg(0x00), 0x57u);
}

TEST(RtcCmos, WritingOneFieldOfARunningClock) {
  RtcFixture f;
  f.run_to(kSecond / 3);
  f.set(0x02, 0x10);
  EXPECT_EQ(f.reg(0x02), 0x10u);
  EXPECT_EQ(f.reg(0x00), 0x58u);
  f.run_to(kSecond);
  EXPECT_EQ(f.reg(0x00), 0x59u);
  EXPECT_EQ(f.reg(0x02), 0x10u);
  EXPECT_EQ(f.reg(0x04), 0x23u);
}

TEST(RtcCmos, DividerResetAndFirstUpdateHalfASecondLater) {
  RtcFixture f;
  f.run_to(kSecond / 4);
  f.set(0x0a, 0x76);  // DV = 111: divider in reset
  f.run_to(3 * kSecond);
  EXPECT_EQ(f.reg(0x00), 0x58u);
  EXPECT_EQ(f.reg(0x0a) & 0x80, 0u);
  f.set(0x0a, 0x26);
  f.run_to(3 * kSecond + kSecond / 2 - 1);
  EXPECT_EQ(f.reg(0x00), 0x58u);
  f.run_to(3 * kSecond + kSecond / 2);
  EXPECT_EQ(f.reg(0x00), 0x59u);
}

TEST(RtcCmos, PeriodicInterrupt) {
  RtcFixture f;
  f.set(0x0b, 0x42);  // PIE; RS = 6 (1024 Hz) from register A's default
  // 32 cycles of 32.768 kHz = 976562.5 ns: the first tap edge is at 976563 ns.
  f.run_to(976562);
  EXPECT_FALSE(f.irq);
  f.run_to(976563);
  EXPECT_TRUE(f.irq);
  EXPECT_EQ(f.reg(0x0c), 0xc0u);  // IRQF | PF, and the read acknowledges
  EXPECT_FALSE(f.irq);
  EXPECT_EQ(f.reg(0x0c), 0x00u);
  f.run_to(1953125);
  EXPECT_TRUE(f.irq);
  EXPECT_EQ(f.rises, (std::vector<uint64_t>{976563, 1953125}));
  // Unacknowledged, PF stays set and no timer is needed.
  EXPECT_FALSE(f.clock.armed(f.timer));
  f.run_to(10 * kSecond / 1000);
  EXPECT_EQ(f.rises.size(), 2u);
  // 2 Hz (RS = 15): every half second.
  f.set(0x0a, 0x2f);
  f.reg(0x0c);
  f.rises.clear();
  f.run_to(2 * kSecond);
  EXPECT_EQ(f.rises, (std::vector<uint64_t>{kSecond / 2}));
  f.reg(0x0c);
  f.run_to(2 * kSecond);
  f.run_to(3 * kSecond);
  EXPECT_EQ(f.rises, (std::vector<uint64_t>{kSecond / 2, 2 * kSecond + kSecond / 2}));
}

TEST(RtcCmos, UpdateEndedInterrupt) {
  RtcFixture f;
  f.set(0x0b, 0x12);  // UIE
  f.run_to(kSecond - 1);
  EXPECT_FALSE(f.irq);
  f.run_to(kSecond);
  EXPECT_TRUE(f.irq);
  EXPECT_EQ(f.reg(0x0c) & 0x90, 0x90u);
  f.run_to(2 * kSecond);
  EXPECT_EQ(f.rises, (std::vector<uint64_t>{kSecond, 2 * kSecond}));
}

TEST(RtcCmos, AlarmInterruptAndDontCare) {
  RtcFixture f;
  f.set(0x01, 0x05);  // 00:00:05
  f.set(0x03, 0x00);
  f.set(0x05, 0x00);
  f.set(0x0b, 0x22);  // AIE
  f.run_to(7 * kSecond - 1);
  EXPECT_FALSE(f.irq);
  f.run_to(7 * kSecond);  // 23:59:58 + 7 s
  EXPECT_TRUE(f.irq);
  EXPECT_EQ(f.reg(0x0c) & 0xa0, 0xa0u);
  EXPECT_EQ(f.clock.deadline(f.timer), 7 * kSecond + 86400 * kSecond);  // tomorrow
  // Hours and minutes "don't care": every minute at :30.
  f.set(0x01, 0x30);
  f.set(0x03, 0xc0);
  f.set(0x05, 0xff);
  f.rises.clear();
  f.run_to(160 * kSecond);
  // 00:00:30; then nothing while unacknowledged (AF stays set, IRQ8 stays high).
  EXPECT_EQ(f.rises, (std::vector<uint64_t>{32 * kSecond}));
  f.reg(0x0c);
  f.run_to(300 * kSecond);
  EXPECT_EQ(f.rises, (std::vector<uint64_t>{32 * kSecond, (2 + 3 * 60 + 30) * kSecond}));
}

TEST(RtcCmos, FlagsAreSetWithoutEnablesAndClearedByRead) {
  RtcFixture f;
  f.set(0x01, 0xc0);
  f.set(0x03, 0xc0);
  f.set(0x05, 0xc0);
  f.run_to(kSecond + kSecond / 2);
  EXPECT_FALSE(f.irq);
  EXPECT_EQ(f.reg(0x0c), 0x70u);  // PF | AF | UF, no IRQF
  EXPECT_EQ(f.reg(0x0c), 0x00u);
  f.set(0x0b, 0x42);  // enabling PIE while PF is set raises IRQ8 at once
  f.run_to(kSecond + kSecond / 2 + 976563);
  f.set(0x0b, 0x02);
  EXPECT_FALSE(f.irq);
  f.set(0x0b, 0x42);
  EXPECT_TRUE(f.irq);
  f.set(0x0c, 0x00);  // read-only
  f.set(0x0d, 0x00);
  EXPECT_EQ(f.reg(0x0d), 0x80u);
  EXPECT_TRUE(f.irq);
}

TEST(RtcCmos, CmosMemoryLayout) {
  RtcFixture f(0, 2048 * kMiB, 6144 * kMiB, 4);
  EXPECT_EQ(f.reg(0x10), 0x00u);
  EXPECT_EQ(f.reg(0x12), 0x00u);
  EXPECT_EQ(f.reg(0x14), 0x02u);
  EXPECT_EQ(f.reg(0x15) | f.reg(0x16) << 8, 640);
  EXPECT_EQ(f.reg(0x17) | f.reg(0x18) << 8, 0xffff);  // capped
  EXPECT_EQ(f.reg(0x30) | f.reg(0x31) << 8, 0xffff);
  EXPECT_EQ(f.reg(0x34) | f.reg(0x35) << 8, (2048 - 16) * 16);
  EXPECT_EQ(f.reg(0x5b) | f.reg(0x5c) << 8 | f.reg(0x5d) << 16, 6144 * 16);
  EXPECT_EQ(f.reg(0x5f), 3u);
  unsigned sum = 0;
  for (uint8_t i = 0x10; i <= 0x2d; i++) sum += f.reg(i);
  EXPECT_EQ(f.reg(0x2e) << 8 | f.reg(0x2f), int(sum));
  RtcFixture small(0, 32 * kMiB, 0, 1);
  EXPECT_EQ(small.reg(0x17) | small.reg(0x18) << 8, 31 * 1024);
  EXPECT_EQ(small.reg(0x34) | small.reg(0x35) << 8, 16 * 16);
  EXPECT_EQ(small.reg(0x5b) | small.reg(0x5c) | small.reg(0x5d), 0);
  EXPECT_EQ(small.reg(0x5f), 0u);
}

TEST(RtcCmos, IndexRegisterNmiBitAndRam) {
  RtcFixture f;
  f.rtc->port_write(0x70, 1, 0x8f);
  EXPECT_TRUE(f.rtc->nmi_disabled());
  f.rtc->port_write(0x71, 1, 0x5a);
  EXPECT_EQ(f.rtc->port_read(0x71, 1), 0x5au);
  EXPECT_EQ(f.rtc->port_read(0x70, 1), 0xffu);  // write-only index
  f.rtc->port_write(0x70, 1, 0x0f);
  EXPECT_FALSE(f.rtc->nmi_disabled());
  EXPECT_EQ(f.rtc->port_read(0x71, 1), 0x5au);
}

TEST(RtcCmos, SaveRestoreCompare) {
  RtcFixture a;
  a.set(0x0a, 0x2e);  // 4 Hz
  a.set(0x01, 0x03);
  a.set(0x03, 0xc0);
  a.set(0x05, 0xc0);
  a.set(0x0b, 0x62);  // PIE | AIE
  a.run_to(1300 * kSecond / 1000);
  a.set(0x40, 0x77);
  const RtcCmos::State s = a.rtc->save();
  RtcFixture b(a.now);
  b.rtc->restore(s);
  const RtcCmos::State t = b.rtc->save();
  EXPECT_EQ(std::memcmp(&s, &t, sizeof s), 0);
  EXPECT_EQ(b.irq, a.irq);
  EXPECT_TRUE(b.irq);
  EXPECT_EQ(b.clock.deadline(b.timer), a.clock.deadline(a.timer));
  a.rises.clear();
  b.rises.clear();
  for (RtcFixture* f : {&a, &b}) {
    EXPECT_EQ(f->reg(0x0c), 0xd0u);  // IRQF | PF, and UF from the update at 1 s
    f->run_to(4 * kSecond);
    EXPECT_EQ(f->reg(0x0c), 0xd0u);
    f->run_to(6 * kSecond);
    EXPECT_EQ(f->reg(0x0c), 0xf0u);  // the alarm at 00:00:03 (5 s) came in between
    EXPECT_EQ(f->reg(0x00), 0x04u);
    EXPECT_EQ(f->reg(0x40), 0x77u);
  }
  EXPECT_EQ(a.rises, b.rises);
  const RtcCmos::State sa = a.rtc->save(), sb = b.rtc->save();
  EXPECT_EQ(std::memcmp(&sa, &sb, sizeof sa), 0);
}

// Random register traffic (including SET, divider resets, rates, alarms) with time steps: a
// copy restored half-way must agree on every read, every IRQ8 edge and the final State.
TEST(RtcCmos, RandomTrafficAgreesAfterRestore) {
  uint64_t seed = 0x2545f4914f6cdd1d;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  static constexpr uint8_t kRegisters[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0a, 0x0b, 0x0c, 0x32};
  RtcFixture a;
  std::unique_ptr<RtcFixture> b;
  for (int step = 0; step < 6000; step++) {
    if (step == 3000) {
      b = std::make_unique<RtcFixture>(a.now);
      b->rtc->restore(a.rtc->save());
      a.rises.clear();
      b->rises.clear();
    }
    const uint64_t r = next();
    const uint8_t index = kRegisters[(r >> 8) % sizeof kRegisters];
    uint8_t value = uint8_t(r >> 16);
    if (index == 0x0a && (r >> 40) % 4) value = uint8_t(0x20 | (value & 0x0f));  // mostly running
    if (index == 0x0b && (r >> 40) % 4) value &= 0x7f;                           // mostly not SET
    std::vector<RtcFixture*> all = {&a};
    if (b) all.push_back(b.get());
    switch (r % 4) {
      case 0: {
        const uint64_t t = a.now + (r >> 24) % (kSecond / 2);
        for (RtcFixture* f : all) f->run_to(t);
        break;
      }
      case 1:
        for (RtcFixture* f : all) f->set(index, value);
        break;
      default: {
        const uint8_t va = a.reg(index);
        if (b) {
          ASSERT_EQ(b->reg(index), va) << "step " << step << " index " << int(index);
        }
        break;
      }
    }
    if (b) {
      ASSERT_EQ(a.irq, b->irq) << "step " << step;
    }
  }
  EXPECT_EQ(a.rises, b->rises);
  EXPECT_GT(a.rises.size(), 10u);
  const RtcCmos::State sa = a.rtc->save(), sb = b->rtc->save();
  EXPECT_EQ(std::memcmp(&sa, &sb, sizeof sa), 0);
}

}  // namespace
}  // namespace rwd
