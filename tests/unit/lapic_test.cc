// SPDX-License-Identifier: MIT
// Local APIC unit tests: reset values and read-only registers, priority logic (IRR/ISR/TPR/PPR),
// EOI and its broadcast for level-triggered vectors, ESR, virtual-wire ExtINT passthrough, self
// IPIs, the timer in one-shot, periodic and TSC-deadline modes firing at exact virtual times,
// odd-size MMIO, and save → restore → compare.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "devices/lapic.h"
#include "replay/clock.h"

namespace rwd {
namespace {

constexpr unsigned kId = 0x20, kVersion = 0x30, kTpr = 0x80, kApr = 0x90, kPpr = 0xa0, kEoi = 0xb0,
                   kLdr = 0xd0, kDfr = 0xe0, kSvr = 0xf0, kIsr = 0x100, kTmr = 0x180, kIrr = 0x200,
                   kEsr = 0x280, kIcrLow = 0x300, kIcrHigh = 0x310, kLvtTimer = 0x320,
                   kLvtLint0 = 0x350, kLvtLint1 = 0x360, kLvtError = 0x370, kInitialCount = 0x380,
                   kCurrentCount = 0x390, kDivide = 0x3e0;

struct LapicFixture {
  uint64_t position = 0;
  Clock clock;
  Clock::TimerId timer;
  bool intr = false;
  int pic_vector = 0x08;
  int pic_acks = 0;
  int nmis = 0;
  uint64_t tsc_adjust = 0;
  std::vector<uint8_t> eois;
  std::unique_ptr<Lapic> lapic;

  LapicFixture() {
    clock.set_position_source([this] { return position; });
    timer = clock.add_timer("lapic", [this] { lapic->timer_expired(); });
    lapic = std::make_unique<Lapic>(Lapic::Wiring{
        .apic_id = 0,
        .clock = &clock,
        .timer = timer,
        .intr = IrqLine([this](bool level) { intr = level; }),
        .pic_acknowledge =
            [this] {
              pic_acks++;
              return pic_vector;
            },
        .eoi_broadcast = [this](uint8_t v) { eois.push_back(v); },
        .nmi = [this] { nmis++; },
        .tsc_offset = [this] { return tsc_adjust; },
    });
  }
  uint32_t rd(unsigned offset) { return uint32_t(lapic->mmio_read(offset, 4)); }
  void wr(unsigned offset, uint32_t v) { lapic->mmio_write(offset, 4, v); }
  // Runs virtual time to `p` the way the Machine does: stop at each deadline, fire, go on.
  void advance_to(uint64_t p) {
    for (uint64_t d = clock.next_deadline(); d <= p; d = clock.next_deadline()) {
      position = d;
      clock.run_due(d);
    }
    position = p;
  }
  // Software-enables the APIC and takes the 8259 out of the picture.
  void enable() {
    wr(kSvr, 0x1ff);
    wr(kLvtLint0, 0x10000);
  }
  bool irr(unsigned v) { return rd(kIrr + (v / 32) * 16) >> (v % 32) & 1; }
  bool isr(unsigned v) { return rd(kIsr + (v / 32) * 16) >> (v % 32) & 1; }
  bool tmr(unsigned v) { return rd(kTmr + (v / 32) * 16) >> (v % 32) & 1; }
};

TEST(Lapic, ResetValuesAndReadOnlyRegisters) {
  LapicFixture f;
  EXPECT_EQ(f.rd(kVersion), 0x00050014u);  // version 0x14, max LVT 5 (XNU needs 0x14)
  EXPECT_EQ(f.rd(kId), 0u);
  EXPECT_EQ(f.rd(kSvr), 0xffu);
  EXPECT_EQ(f.rd(kDfr), 0xffffffffu);
  EXPECT_EQ(f.rd(kTpr), 0u);
  EXPECT_EQ(f.rd(kPpr), 0u);
  EXPECT_EQ(f.rd(kLvtTimer), 0x10000u);
  EXPECT_EQ(f.rd(kLvtLint0), 0x700u);  // ExtINT, as firmware leaves the BSP (virtual wire)
  EXPECT_EQ(f.rd(kLvtLint1), 0x10000u);
  EXPECT_EQ(f.rd(kLvtError), 0x10000u);
  EXPECT_EQ(f.rd(kDivide), 0u);
  EXPECT_EQ(f.lapic->mmio_base(), 0xfee00000u);
  for (unsigned i = 0; i < 8; i++) EXPECT_EQ(f.rd(kIrr + i * 16), 0u);

  f.wr(kVersion, 0);
  f.wr(kPpr, 0xff);
  f.wr(kIrr, 0xffffffff);
  EXPECT_EQ(f.rd(kVersion), 0x00050014u);
  EXPECT_EQ(f.rd(kPpr), 0u);
  EXPECT_EQ(f.rd(kIrr), 0u);
  // Writable fields only.
  f.wr(kId, 0xffffffff);
  EXPECT_EQ(f.rd(kId), 0xff000000u);
  f.wr(kLdr, 0xffffffff);
  EXPECT_EQ(f.rd(kLdr), 0xff000000u);
  f.wr(kDfr, 0);
  EXPECT_EQ(f.rd(kDfr), 0x0fffffffu);
  f.wr(kTpr, 0xffffffff);
  EXPECT_EQ(f.rd(kTpr), 0xffu);
  f.wr(kDivide, 0xffffffff);
  EXPECT_EQ(f.rd(kDivide), 0xbu);
  // While software-disabled, LVT mask bits stay set.
  f.wr(kLvtTimer, 0x20);
  EXPECT_EQ(f.rd(kLvtTimer), 0x10020u);
  f.wr(kSvr, 0x1ff);
  f.wr(kLvtTimer, 0x20);
  EXPECT_EQ(f.rd(kLvtTimer), 0x20u);
  // Delivery status and remote IRR are read-only.
  f.wr(kLvtLint0, 0xffffffff);
  EXPECT_EQ(f.rd(kLvtLint0), 0x1a7ffu);
}

TEST(Lapic, PrioritiesFollowIsrAndTpr) {
  LapicFixture f;
  f.enable();
  f.lapic->accept(0x31, false);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.lapic->acknowledge(), 0x31);
  EXPECT_FALSE(f.intr);
  EXPECT_TRUE(f.isr(0x31));
  EXPECT_FALSE(f.irr(0x31));
  EXPECT_EQ(f.rd(kPpr), 0x30u);

  f.lapic->accept(0x35, false);  // same class as in service: held
  EXPECT_FALSE(f.intr);
  EXPECT_TRUE(f.irr(0x35));
  f.lapic->accept(0x41, false);  // higher class: nests
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.lapic->acknowledge(), 0x41);
  EXPECT_EQ(f.rd(kPpr), 0x40u);
  EXPECT_FALSE(f.intr);

  f.wr(kEoi, 0);  // retires 0x41, the highest in service
  EXPECT_FALSE(f.isr(0x41));
  EXPECT_TRUE(f.isr(0x31));
  EXPECT_FALSE(f.intr);
  f.wr(kEoi, 0);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.lapic->acknowledge(), 0x35);
  f.wr(kEoi, 0);
  EXPECT_EQ(f.lapic->acknowledge(), -1);
  EXPECT_TRUE(f.eois.empty());  // all edge-triggered: no broadcast

  // TPR masks classes at or below it.
  f.wr(kTpr, 0x50);
  EXPECT_EQ(f.rd(kPpr), 0x50u);
  f.lapic->accept(0x45, false);
  EXPECT_FALSE(f.intr);
  EXPECT_EQ(f.rd(kApr), 0x50u);
  f.lapic->accept(0x61, false);
  EXPECT_TRUE(f.intr);
  f.wr(kTpr, 0x70);
  EXPECT_FALSE(f.intr);
  f.lapic->set_task_priority(0);  // CR8 path
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.lapic->acknowledge(), 0x61);
  f.wr(kEoi, 0);
  EXPECT_EQ(f.lapic->acknowledge(), 0x45);
}

TEST(Lapic, LevelTriggeredEoiIsBroadcast) {
  LapicFixture f;
  f.enable();
  f.lapic->accept(0x50, true);
  EXPECT_TRUE(f.tmr(0x50));
  f.lapic->accept(0x60, false);
  EXPECT_FALSE(f.tmr(0x60));
  EXPECT_EQ(f.lapic->acknowledge(), 0x60);
  f.wr(kEoi, 0);
  EXPECT_TRUE(f.eois.empty());
  EXPECT_EQ(f.lapic->acknowledge(), 0x50);
  f.wr(kEoi, 0);
  EXPECT_EQ(f.eois, std::vector<uint8_t>{0x50});
  f.wr(kEoi, 0);  // nothing in service: no effect
  EXPECT_EQ(f.eois.size(), 1u);
}

TEST(Lapic, SoftwareDisabledHoldsInterrupts) {
  LapicFixture f;
  f.wr(kLvtLint0, 0x10000);
  f.lapic->accept(0x40, false);
  EXPECT_TRUE(f.irr(0x40));
  EXPECT_FALSE(f.intr);
  EXPECT_EQ(f.lapic->acknowledge(), -1);
  f.wr(kSvr, 0x1ff);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.lapic->acknowledge(), 0x40);
  // Software disable masks every LVT.
  f.wr(kLvtTimer, 0x20);
  f.wr(kSvr, 0xff);
  EXPECT_EQ(f.rd(kLvtTimer), 0x10020u);
}

TEST(Lapic, ErrorStatusIsWriteThenRead) {
  LapicFixture f;
  f.enable();
  f.wr(kLvtError, 0xfe);
  f.lapic->accept(5, false);  // vectors 0-15 are illegal
  EXPECT_FALSE(f.irr(5));
  EXPECT_EQ(f.rd(kEsr), 0u);  // not latched until ESR is written
  EXPECT_TRUE(f.irr(0xfe));   // the error LVT fired
  f.wr(kEsr, 0);
  EXPECT_EQ(f.rd(kEsr), 0x40u);  // received illegal vector
  f.wr(kEsr, 0);
  EXPECT_EQ(f.rd(kEsr), 0u);
  f.wr(kIcrLow, 0x00040003);  // self IPI, vector 3: send illegal vector
  f.rd(0x400);                // reserved register: illegal register address
  f.wr(kEsr, 0);
  EXPECT_EQ(f.rd(kEsr), 0xa0u);
}

TEST(Lapic, Lint0PassesThePicThroughInVirtualWireMode) {
  LapicFixture f;
  // After reset: software-disabled, LINT0 ExtINT: the 8259 reaches the CPU.
  f.lapic->lint0(true);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.lapic->acknowledge(), 0x08);
  EXPECT_EQ(f.pic_acks, 1);
  // Enabled with LINT0 still ExtINT: still passes.
  f.wr(kSvr, 0x1ff);
  EXPECT_TRUE(f.intr);
  // Masked: blocked.
  f.wr(kLvtLint0, 0x10700);
  EXPECT_FALSE(f.intr);
  // APIC vectors take precedence over the 8259.
  f.wr(kLvtLint0, 0x700);
  f.lapic->accept(0x80, false);
  EXPECT_EQ(f.lapic->acknowledge(), 0x80);
  EXPECT_EQ(f.pic_acks, 1);
  EXPECT_EQ(f.lapic->acknowledge(), 0x08);
  EXPECT_EQ(f.pic_acks, 2);
  f.lapic->lint0(false);
  EXPECT_FALSE(f.intr);
  // Globally disabled: passes through again, MMIO reads as open bus, messages are dropped.
  f.wr(kLvtLint0, 0x10000);
  f.lapic->set_base_msr(0xfee00000 | Lapic::kBaseBsp);
  EXPECT_FALSE(f.lapic->hardware_enabled());
  f.lapic->lint0(true);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.lapic->mmio_read(kVersion, 4), 0xffffffffu);
  f.lapic->lint0(false);
  f.lapic->accept(0x90, false);
  EXPECT_FALSE(f.intr);
  // Re-enabled (and moved): software-disabled until the SVR is written again.
  f.lapic->set_base_msr(0xfed00000 | Lapic::kBaseBsp | Lapic::kBaseEnable);
  EXPECT_EQ(f.lapic->mmio_base(), 0xfed00000u);
  EXPECT_FALSE(f.lapic->software_enabled());
}

TEST(Lapic, Lint0FixedLevelUsesRemoteIrr) {
  LapicFixture f;
  f.wr(kSvr, 0x1ff);
  f.wr(kLvtLint0, 0x8000 | 0x55);  // fixed, level-triggered
  f.lapic->lint0(true);
  EXPECT_EQ(f.rd(kLvtLint0) & 0x4000, 0x4000u);  // remote IRR
  EXPECT_EQ(f.lapic->acknowledge(), 0x55);
  f.wr(kEoi, 0);
  // Still asserted: delivered again after the EOI.
  EXPECT_EQ(f.lapic->acknowledge(), 0x55);
  f.lapic->lint0(false);
  f.wr(kEoi, 0);
  EXPECT_EQ(f.rd(kLvtLint0) & 0x4000, 0u);
  EXPECT_EQ(f.lapic->acknowledge(), -1);
}

TEST(Lapic, Lint1NmiAndSelfIpis) {
  LapicFixture f;
  f.enable();
  f.wr(kLvtLint1, 0x400);  // NMI
  f.lapic->lint1(true);
  f.lapic->lint1(true);
  EXPECT_EQ(f.nmis, 1);  // edge
  // Shorthand self.
  f.wr(kIcrLow, 0x00040041);
  EXPECT_TRUE(f.irr(0x41));
  EXPECT_EQ(f.rd(kIcrLow) & 0x1000, 0u);  // delivery status idle
  // Physical destination = own ID.
  f.wr(kIcrHigh, 0x00000000);
  f.wr(kIcrLow, 0x00000042);
  EXPECT_TRUE(f.irr(0x42));
  // Another APIC ID: nobody there.
  f.wr(kIcrHigh, 0x01000000);
  f.wr(kIcrLow, 0x00000043);
  EXPECT_FALSE(f.irr(0x43));
  // Logical flat destination matching the LDR.
  f.wr(kLdr, 0x02000000);
  f.wr(kIcrHigh, 0x02000000);
  f.wr(kIcrLow, 0x00000844);
  EXPECT_TRUE(f.irr(0x44));
  EXPECT_TRUE(f.lapic->accepts_destination(0x03, true));
  EXPECT_FALSE(f.lapic->accepts_destination(0x01, true));
  // Cluster model: cluster 0, member bit 1.
  f.wr(kDfr, 0x0fffffff);
  EXPECT_TRUE(f.lapic->accepts_destination(0x02, true));
  EXPECT_FALSE(f.lapic->accepts_destination(0x12, true));
  // NMI to self; INIT and SIPI to the others are ignored.
  f.wr(kIcrLow, 0x00040400);
  EXPECT_EQ(f.nmis, 2);
  f.wr(kIcrLow, 0x000c4500);
  f.wr(kIcrLow, 0x000c4608);
  EXPECT_FALSE(f.irr(0x08));
}

TEST(Lapic, OneShotTimerFiresAtExactTime) {
  LapicFixture f;
  f.enable();
  f.wr(kDivide, 0xb);  // divide by 1: one count per virtual ns
  f.wr(kLvtTimer, 0x20);
  f.position = 1000;
  f.wr(kInitialCount, 500);
  EXPECT_EQ(f.clock.deadline(f.timer), 1500u);
  f.advance_to(1499);
  EXPECT_FALSE(f.irr(0x20));
  EXPECT_EQ(f.rd(kCurrentCount), 1u);
  f.advance_to(1500);
  EXPECT_TRUE(f.irr(0x20));
  EXPECT_EQ(f.rd(kCurrentCount), 0u);
  EXPECT_FALSE(f.clock.armed(f.timer));
  EXPECT_EQ(f.rd(kInitialCount), 500u);

  // Divide by 2: 100 counts take 200 ns.
  f.wr(kDivide, 0x0);
  f.position = 2000;
  f.wr(kInitialCount, 100);
  f.advance_to(2050);
  EXPECT_EQ(f.rd(kCurrentCount), 75u);
  EXPECT_EQ(f.clock.deadline(f.timer), 2200u);
  // Changing the divider keeps the count and continues at the new rate (divide by 16).
  f.wr(kDivide, 0x3);
  EXPECT_EQ(f.rd(kCurrentCount), 75u);
  EXPECT_EQ(f.clock.deadline(f.timer), 2050u + 75 * 16);
  // Writing 0 stops the timer.
  f.wr(kInitialCount, 0);
  EXPECT_FALSE(f.clock.armed(f.timer));
  EXPECT_EQ(f.rd(kCurrentCount), 0u);
}

TEST(Lapic, MaskedTimerKeepsCountingWithoutInterrupts) {
  LapicFixture f;
  f.enable();
  f.wr(kDivide, 0xb);
  f.wr(kLvtTimer, 0x10021);
  f.wr(kInitialCount, 100);
  EXPECT_FALSE(f.clock.armed(f.timer));
  f.advance_to(40);
  EXPECT_EQ(f.rd(kCurrentCount), 60u);
  f.wr(kLvtTimer, 0x21);  // unmasked before expiry: fires on time
  EXPECT_EQ(f.clock.deadline(f.timer), 100u);
  f.advance_to(100);
  EXPECT_TRUE(f.irr(0x21));
}

TEST(Lapic, PeriodicTimerReloads) {
  LapicFixture f;
  f.enable();
  f.wr(kDivide, 0x1);                  // divide by 4
  f.wr(kLvtTimer, (1u << 17) | 0x30);  // periodic
  f.position = 100;
  f.wr(kInitialCount, 10);  // period 40 ns
  std::vector<uint64_t> fired;
  for (uint64_t t = 100; t <= 260; t++) {
    f.advance_to(t);
    if (f.lapic->acknowledge() == 0x30) {
      fired.push_back(t);
      f.wr(kEoi, 0);
    }
  }
  EXPECT_EQ(fired, (std::vector<uint64_t>{140, 180, 220, 260}));
  f.advance_to(270);
  EXPECT_EQ(f.rd(kCurrentCount), 8u);  // 10 ns = 2 counts into the period
}

TEST(Lapic, TscDeadlineTimer) {
  LapicFixture f;
  f.enable();
  uint64_t v = 1;
  // Outside TSC-deadline mode the MSR reads 0 and ignores writes.
  EXPECT_TRUE(f.lapic->write_msr(Lapic::kTscDeadlineMsr, 5000));
  EXPECT_TRUE(f.lapic->read_msr(Lapic::kTscDeadlineMsr, &v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(f.lapic->write_msr(0x10, 0));  // not a LAPIC MSR

  f.wr(kLvtTimer, (2u << 17) | 0x40);
  f.position = 1000;
  f.wr(kInitialCount, 100);  // ignored in TSC-deadline mode
  EXPECT_EQ(f.rd(kInitialCount), 0u);
  f.lapic->write_msr(Lapic::kTscDeadlineMsr, 5000);
  f.lapic->read_msr(Lapic::kTscDeadlineMsr, &v);
  EXPECT_EQ(v, 5000u);
  EXPECT_EQ(f.rd(kCurrentCount), 0u);
  f.advance_to(4999);
  EXPECT_FALSE(f.irr(0x40));
  f.advance_to(5000);
  EXPECT_TRUE(f.irr(0x40));
  f.lapic->read_msr(Lapic::kTscDeadlineMsr, &v);
  EXPECT_EQ(v, 0u);  // cleared on expiry

  // The guest TSC runs ahead of virtual ns by TSC_ADJUST.
  f.tsc_adjust = 1000;
  f.lapic->write_msr(Lapic::kTscDeadlineMsr, 8000);
  EXPECT_EQ(f.clock.deadline(f.timer), 7000u);
  // Writing 0 disarms; leaving the mode disarms and clears.
  f.lapic->write_msr(Lapic::kTscDeadlineMsr, 0);
  EXPECT_FALSE(f.clock.armed(f.timer));
  f.lapic->write_msr(Lapic::kTscDeadlineMsr, 8000);
  f.wr(kLvtTimer, 0x40);
  EXPECT_FALSE(f.clock.armed(f.timer));
  f.wr(kLvtTimer, (2u << 17) | 0x40);
  f.lapic->read_msr(Lapic::kTscDeadlineMsr, &v);
  EXPECT_EQ(v, 0u);
  // A deadline in the past fires at the next instruction boundary.
  f.lapic->write_msr(Lapic::kTscDeadlineMsr, 10);
  EXPECT_EQ(f.clock.deadline(f.timer), f.position + 1);
}

TEST(Lapic, OddSizeAndUnalignedAccesses) {
  LapicFixture f;
  EXPECT_EQ(f.lapic->mmio_read(kVersion + 2, 1), 0x05u);
  EXPECT_EQ(f.lapic->mmio_read(kVersion, 2), 0x0014u);
  EXPECT_EQ(f.lapic->mmio_read(kVersion, 8), 0x00050014u);  // bytes 4-7 of a slot read 0
  EXPECT_EQ(f.lapic->mmio_read(kVersion + 2, 4), 0x0005u);
  f.lapic->mmio_write(kTpr, 1, 0x20);
  EXPECT_EQ(f.rd(kTpr), 0x20u);
  f.lapic->mmio_write(kTpr + 1, 1, 0xff);  // not a writable byte
  EXPECT_EQ(f.rd(kTpr), 0x20u);
  f.lapic->mmio_write(kTpr + 4, 4, 0xffffffff);  // padding: dropped
  EXPECT_EQ(f.rd(kTpr), 0x20u);
  f.lapic->mmio_write(kTpr, 8, 0x1111111100000030ull);
  EXPECT_EQ(f.rd(kTpr), 0x30u);
  // At the end of the page: must not crash.
  f.lapic->mmio_read(0xffd, 8);
  f.lapic->mmio_write(0xfff, 8, ~0ull);
}

TEST(Lapic, SaveRestoreCompare) {
  LapicFixture a;
  a.enable();
  a.wr(kTpr, 0x10);
  a.wr(kLdr, 0x01000000);
  a.wr(kDivide, 0x0);
  a.wr(kLvtTimer, (1u << 17) | 0x30);
  a.position = 500;
  a.wr(kInitialCount, 50);  // period 100 ns
  a.lapic->accept(0x70, true);
  a.lapic->accept(0x52, false);
  EXPECT_EQ(a.lapic->acknowledge(), 0x70);
  a.advance_to(650);

  const Lapic::State s = a.lapic->save();
  LapicFixture b;
  b.position = a.position;
  b.lapic->restore(s);
  const Lapic::State t = b.lapic->save();
  EXPECT_EQ(std::memcmp(&s, &t, sizeof s), 0);
  EXPECT_EQ(b.clock.deadline(b.timer), a.clock.deadline(a.timer));
  EXPECT_EQ(b.intr, a.intr);
  EXPECT_EQ(b.rd(kCurrentCount), a.rd(kCurrentCount));

  // Both behave identically afterwards.
  for (LapicFixture* f : {&a, &b}) {
    f->advance_to(1000);
    f->wr(kEoi, 0);
  }
  EXPECT_EQ(a.eois, std::vector<uint8_t>{0x70});
  EXPECT_EQ(b.eois, std::vector<uint8_t>{0x70});
  EXPECT_EQ(a.lapic->acknowledge(), b.lapic->acknowledge());
  const Lapic::State sa = a.lapic->save(), sb = b.lapic->save();
  EXPECT_EQ(std::memcmp(&sa, &sb, sizeof sa), 0);
}

}  // namespace
}  // namespace rwd
