// SPDX-License-Identifier: MIT
// Unit tests for the 8259A pair: initialization words, priorities and nesting, the cascade,
// EOI flavours and rotation, edge vs level (ELCR), spurious IRQ 7/15, poll and special mask
// modes, and save -> restore -> compare.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "devices/pic8259.h"

namespace rwd {
namespace {

struct PicFixture {
  bool intr = false;
  std::vector<bool> intr_changes;
  Pic8259Pair pic{IrqLine([this](bool level) {
    intr = level;
    intr_changes.push_back(level);
  })};

  void out(uint16_t port, uint8_t v) { pic.port_write(port, 1, v); }
  uint8_t in(uint16_t port) { return uint8_t(pic.port_read(port, 1)); }
  // What Linux's init_8259A does: vectors 0x30/0x38 here so they differ from the defaults.
  void init(bool auto_eoi = false) {
    out(0x20, 0x11);                    // ICW1: edge, cascade, ICW4 needed
    out(0x21, 0x30);                    // ICW2
    out(0x21, 0x04);                    // ICW3: slave on IR2
    out(0x21, auto_eoi ? 0x03 : 0x01);  // ICW4: 8086 mode (+ AEOI)
    out(0xa0, 0x11);
    out(0xa1, 0x38);
    out(0xa1, 0x02);
    out(0xa1, 0x01);
    out(0x21, 0x00);  // unmask everything
    out(0xa1, 0x00);
  }
  uint8_t isr(uint16_t base) {
    out(base, 0x0b);  // OCW3: read ISR
    const uint8_t v = in(base);
    out(base, 0x0a);  // back to IRR
    return v;
  }
  uint8_t irr(uint16_t base) {
    out(base, 0x0a);
    return in(base);
  }
};

TEST(Pic8259, PowerOnIsMaskedAndInitClearsMask) {
  PicFixture f;
  EXPECT_EQ(f.in(0x21), 0xffu);
  f.pic.set_irq(1, true);
  EXPECT_FALSE(f.intr);
  f.pic.set_irq(1, false);
  f.init();
  EXPECT_EQ(f.in(0x21), 0x00u);
  EXPECT_EQ(f.in(0xa1), 0x00u);
  EXPECT_FALSE(f.intr);
}

TEST(Pic8259, DeliversVectorAndEoi) {
  PicFixture f;
  f.init();
  f.pic.set_irq(1, true);
  EXPECT_TRUE(f.intr);
  EXPECT_TRUE(f.pic.output());
  EXPECT_EQ(f.pic.acknowledge(), 0x31);
  EXPECT_FALSE(f.intr);  // in service: the same level cannot interrupt again
  EXPECT_EQ(f.isr(0x20), 0x02u);
  EXPECT_EQ(f.irr(0x20), 0x00u);  // edge request consumed by INTA
  f.out(0x20, 0x20);              // non-specific EOI
  EXPECT_EQ(f.isr(0x20), 0x00u);
  EXPECT_FALSE(f.intr);  // the line is still high, but an edge input needs a new edge
  f.pic.set_irq(1, false);
  f.pic.set_irq(1, true);
  EXPECT_TRUE(f.intr);
}

TEST(Pic8259, PriorityAndNesting) {
  PicFixture f;
  f.init();
  f.pic.set_irq(3, true);
  f.pic.set_irq(5, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x33);  // IR3 beats IR5
  EXPECT_FALSE(f.intr);                  // IR5 is lower than the in-service IR3
  f.pic.set_irq(1, true);
  EXPECT_TRUE(f.intr);  // IR1 is higher: it nests
  EXPECT_EQ(f.pic.acknowledge(), 0x31);
  EXPECT_EQ(f.isr(0x20), 0x0au);
  f.out(0x20, 0x20);  // EOI ends the highest in-service level, IR1
  EXPECT_EQ(f.isr(0x20), 0x08u);
  EXPECT_FALSE(f.intr);
  f.out(0x20, 0x63);  // specific EOI for IR3
  EXPECT_EQ(f.isr(0x20), 0x00u);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.pic.acknowledge(), 0x35);
}

TEST(Pic8259, MaskAndRegisterReads) {
  PicFixture f;
  f.init();
  f.out(0x21, 0x10);
  EXPECT_EQ(f.in(0x21), 0x10u);
  f.pic.set_irq(4, true);
  EXPECT_FALSE(f.intr);
  EXPECT_EQ(f.irr(0x20), 0x10u);  // requested but masked
  f.out(0x21, 0x00);
  EXPECT_TRUE(f.intr);
  // A 16-bit read of 0x20 returns IRR and IMR, as two byte accesses would.
  EXPECT_EQ(f.pic.port_read(0x20, 2), 0x0010u);
}

TEST(Pic8259, SlaveThroughCascade) {
  PicFixture f;
  f.init();
  f.pic.set_irq(10, true);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.pic.acknowledge(), 0x3a);
  EXPECT_EQ(f.isr(0x20), 0x04u);
  EXPECT_EQ(f.isr(0xa0), 0x04u);
  f.pic.set_irq(8, true);  // higher than IRQ 10 on the slave, but master IR2 is in service
  EXPECT_FALSE(f.intr);
  f.out(0xa0, 0x20);  // Linux: EOI the slave, then the master
  f.out(0x20, 0x20);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.pic.acknowledge(), 0x38);
}

TEST(Pic8259, SpecialFullyNestedLetsSlaveNest) {
  PicFixture f;
  f.init();
  f.out(0x20, 0x11);
  f.out(0x21, 0x30);
  f.out(0x21, 0x04);
  f.out(0x21, 0x11);  // ICW4: SFNM
  f.pic.set_irq(12, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x3c);
  f.pic.set_irq(9, true);  // higher priority on the slave
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.pic.acknowledge(), 0x39);
}

TEST(Pic8259, ElcrMasksAndLevelSemantics) {
  PicFixture f;
  f.init();
  f.out(0x4d0, 0xff);
  f.out(0x4d1, 0xff);
  EXPECT_EQ(f.in(0x4d0), 0xf8u);  // IRQ 0, 1, 2 are edge-only
  EXPECT_EQ(f.in(0x4d1), 0xdeu);  // IRQ 8, 13 are edge-only
  // Level: the request stays while the line is high, even after EOI.
  f.pic.set_irq(11, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x3b);
  f.out(0xa0, 0x20);
  f.out(0x20, 0x20);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.pic.acknowledge(), 0x3b);
  f.pic.set_irq(11, false);
  f.out(0xa0, 0x20);
  f.out(0x20, 0x20);
  EXPECT_FALSE(f.intr);
  // Edge on IRQ 0 (always edge): a zero-width pulse is latched.
  f.pic.set_irq(0, true);
  f.pic.set_irq(0, false);
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.pic.acknowledge(), 0x30);
}

TEST(Pic8259, SpuriousWhenLevelRequestGoesAway) {
  PicFixture f;
  f.init();
  f.out(0x4d0, 0x20);  // IRQ 5 level
  f.pic.set_irq(5, true);
  EXPECT_TRUE(f.intr);
  f.pic.set_irq(5, false);  // gone before INTA
  EXPECT_FALSE(f.intr);
  EXPECT_EQ(f.pic.acknowledge(), 0x37);  // IRQ 7's vector, ISR untouched
  EXPECT_EQ(f.isr(0x20), 0x00u);
  // Through the slave: master IR2 latched the slave's edge, the slave's request vanished.
  f.out(0x4d1, 0x08);  // IRQ 11 level
  f.pic.set_irq(11, true);
  f.pic.set_irq(11, false);
  EXPECT_EQ(f.pic.acknowledge(), 0x3f);  // IRQ 15's vector
  EXPECT_EQ(f.isr(0x20), 0x04u);         // the master did service IR2 (Linux EOIs it)
  EXPECT_EQ(f.isr(0xa0), 0x00u);
}

TEST(Pic8259, AutoEoiAndRotation) {
  PicFixture f;
  f.init(/*auto_eoi=*/true);
  f.pic.set_irq(3, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x33);
  EXPECT_EQ(f.isr(0x20), 0x00u);  // AEOI: never in service
  // Set priority: IR3 lowest, so IR4 is highest and IR1 comes after IR5.
  f.out(0x20, 0xc3);
  f.pic.set_irq(1, true);
  f.pic.set_irq(5, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x35);
  EXPECT_EQ(f.pic.acknowledge(), 0x31);
  // Rotate in AEOI mode: the serviced level becomes the lowest.
  f.out(0x20, 0x80);
  f.pic.set_irq(1, false);
  f.pic.set_irq(5, false);
  f.pic.set_irq(6, true);
  f.pic.set_irq(0, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x36);  // order from IR4: 4 5 6 7 0 ...
  // IR6 is now lowest: IR7 highest, then IR0.
  f.pic.set_irq(7, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x37);
  EXPECT_EQ(f.pic.acknowledge(), 0x30);
}

TEST(Pic8259, RotateOnNonSpecificEoi) {
  PicFixture f;
  f.init();
  f.pic.set_irq(1, true);
  f.pic.set_irq(0, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x30);
  f.out(0x20, 0xa0);  // rotate on non-specific EOI: IR0 becomes the lowest
  f.pic.set_irq(0, false);
  f.pic.set_irq(0, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x31);  // IR1 now outranks IR0
  f.out(0x20, 0xe1);                     // rotate on specific EOI of IR1
  EXPECT_EQ(f.pic.acknowledge(), 0x30);
}

TEST(Pic8259, PollMode) {
  PicFixture f;
  f.init();
  f.out(0x21, 0xff);  // polling works with the INTR output unused
  f.out(0x21, 0x00);
  f.pic.set_irq(6, true);
  f.out(0x20, 0x0c);  // OCW3: poll
  EXPECT_EQ(f.in(0x20), 0x86u);
  EXPECT_EQ(f.isr(0x20), 0x40u);  // the poll read acted as INTA
  f.out(0x20, 0x0c);
  EXPECT_EQ(f.in(0x21), 0x00u);  // nothing pending: bit 7 clear
  EXPECT_EQ(f.in(0x21), 0x00u);  // and the next read is the IMR again
}

TEST(Pic8259, SpecialMaskMode) {
  PicFixture f;
  f.init();
  f.pic.set_irq(3, true);
  EXPECT_EQ(f.pic.acknowledge(), 0x33);
  f.pic.set_irq(5, true);
  EXPECT_FALSE(f.intr);
  f.out(0x21, 0x08);  // the IR3 handler masks itself ...
  f.out(0x20, 0x68);  // ... and enables special mask mode
  EXPECT_TRUE(f.intr);
  EXPECT_EQ(f.pic.acknowledge(), 0x35);
  f.out(0x20, 0x48);  // reset special mask mode
  f.out(0x20, 0x65);
  f.out(0x20, 0x63);
  EXPECT_EQ(f.isr(0x20), 0x00u);
}

TEST(Pic8259, InitResetsEdgeSense) {
  PicFixture f;
  f.init();
  f.pic.set_irq(4, true);
  EXPECT_TRUE(f.intr);
  f.init();  // re-initialization clears the latched edge; the line must go low and high again
  EXPECT_FALSE(f.intr);
  f.pic.set_irq(4, false);
  f.pic.set_irq(4, true);
  EXPECT_TRUE(f.intr);
}

TEST(Pic8259, SaveRestoreCompare) {
  PicFixture a;
  a.init();
  a.out(0x4d1, 0x0c);
  a.pic.set_irq(3, true);
  a.pic.set_irq(4, true);
  EXPECT_EQ(a.pic.acknowledge(), 0x33);
  a.pic.set_irq(10, true);  // level-triggered, through the cascade
  a.out(0x20, 0x0b);        // leave ISR selected for reads
  const Pic8259Pair::State s = a.pic.save();
  PicFixture b;
  b.pic.restore(s);
  const Pic8259Pair::State t = b.pic.save();
  EXPECT_EQ(std::memcmp(&s, &t, sizeof s), 0);
  EXPECT_EQ(b.intr, a.intr);
  EXPECT_TRUE(b.intr);  // IR2 (slave IRQ 10) outranks the in-service IR3
  for (PicFixture* f : {&a, &b}) {
    EXPECT_EQ(f->in(0x20), 0x08u);
    EXPECT_EQ(f->pic.acknowledge(), 0x3a);
    f->out(0xa0, 0x20);
    f->out(0x20, 0x20);
    f->out(0x20, 0x20);
    EXPECT_EQ(f->pic.acknowledge(), 0x3a);  // level-triggered IRQ 10 is still high
    f->pic.set_irq(10, false);
    f->out(0xa0, 0x20);
    f->out(0x20, 0x20);
    EXPECT_EQ(f->pic.acknowledge(), 0x34);
  }
  const Pic8259Pair::State sa = a.pic.save(), sb = b.pic.save();
  EXPECT_EQ(std::memcmp(&sa, &sb, sizeof sa), 0);
}

}  // namespace
}  // namespace rwd
