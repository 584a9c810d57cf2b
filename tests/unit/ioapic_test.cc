// SPDX-License-Identifier: MIT
// IOAPIC unit tests: reset values and read-only bits, edge and level delivery, remote IRR and
// redelivery on EOI, the polarity bit being ignored (OS X programs it wrong), destination
// filtering, odd-size MMIO, the IOAPIC → LAPIC → EOI round trip, and save → restore → compare.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "replay/clock.h"

namespace rwd {
namespace {

constexpr unsigned kIoregsel = 0x00, kIowin = 0x10, kEoiRegister = 0x40;
constexpr uint32_t kMasked = 1u << 16, kLevel = 1u << 15, kRemoteIrr = 1u << 14,
                   kActiveLow = 1u << 13, kLogical = 1u << 11;

struct IoapicFixture {
  std::vector<std::pair<uint8_t, bool>> delivered;  // (vector, level-triggered)
  Ioapic ioapic{[this](uint8_t v, bool level) { delivered.push_back({v, level}); }};

  uint32_t rd(unsigned index) {
    ioapic.mmio_write(kIoregsel, 4, index);
    return uint32_t(ioapic.mmio_read(kIowin, 4));
  }
  void wr(unsigned index, uint32_t v) {
    ioapic.mmio_write(kIoregsel, 4, index);
    ioapic.mmio_write(kIowin, 4, v);
  }
  void route(unsigned pin, uint32_t low, uint32_t high = 0) {
    wr(0x11 + 2 * pin, high);
    wr(0x10 + 2 * pin, low);
  }
};

TEST(Ioapic, ResetValuesAndReadOnlyBits) {
  IoapicFixture f;
  EXPECT_EQ(f.rd(0x00), 0u);
  EXPECT_EQ(f.rd(0x01), 0x00170020u);  // 24 pins, version 0x20
  EXPECT_EQ(f.rd(0x02), 0u);
  for (unsigned pin = 0; pin < Ioapic::kPins; pin++) {
    EXPECT_EQ(f.rd(0x10 + 2 * pin), kMasked);
    EXPECT_EQ(f.rd(0x11 + 2 * pin), 0u);
  }
  f.wr(0x00, 0xffffffff);
  EXPECT_EQ(f.rd(0x00), 0x0f000000u);  // 4-bit ID
  EXPECT_EQ(f.rd(0x02), 0x0f000000u);  // arbitration ID follows it
  f.wr(0x01, 0);
  EXPECT_EQ(f.rd(0x01), 0x00170020u);
  // Delivery status (12), remote IRR (14) and reserved bits do not take writes.
  f.wr(0x10, 0xffffffff);
  EXPECT_EQ(f.rd(0x10), 0x0001afffu);
  f.wr(0x11, 0xffffffff);
  EXPECT_EQ(f.rd(0x11), 0xff000000u);
  EXPECT_EQ(f.ioapic.mmio_read(kIoregsel, 4), 0x11u);
  EXPECT_EQ(f.rd(0x50), 0u);  // past the table
  EXPECT_TRUE(f.delivered.empty());
}

TEST(Ioapic, EdgeTriggeredDeliversOnRisingEdge) {
  IoapicFixture f;
  f.route(4, 0x34);
  f.ioapic.set_irq(4, true);
  f.ioapic.set_irq(4, true);
  EXPECT_EQ(f.delivered, (std::vector<std::pair<uint8_t, bool>>{{0x34, false}}));
  f.ioapic.set_irq(4, false);
  f.ioapic.set_irq(4, true);
  EXPECT_EQ(f.delivered.size(), 2u);
  EXPECT_EQ(f.rd(0x18) & kRemoteIrr, 0u);
  // An edge while masked is lost, and unmasking does not bring it back.
  f.ioapic.set_irq(4, false);
  f.route(4, kMasked | 0x34);
  f.ioapic.set_irq(4, true);
  f.route(4, 0x34);
  EXPECT_EQ(f.delivered.size(), 2u);
}

TEST(Ioapic, LevelTriggeredUsesRemoteIrrAndRedeliversOnEoi) {
  IoapicFixture f;
  f.route(10, kLevel | 0x3a);
  f.ioapic.set_irq(10, true);
  EXPECT_EQ(f.delivered, (std::vector<std::pair<uint8_t, bool>>{{0x3a, true}}));
  EXPECT_NE(f.rd(0x10 + 20) & kRemoteIrr, 0u);
  f.ioapic.set_irq(10, true);
  f.ioapic.set_irq(10, false);
  f.ioapic.set_irq(10, true);
  EXPECT_EQ(f.delivered.size(), 1u);  // waiting for the EOI
  f.ioapic.eoi(0x3b);                 // another vector: nothing
  EXPECT_EQ(f.delivered.size(), 1u);
  f.ioapic.eoi(0x3a);  // still asserted: delivered again
  EXPECT_EQ(f.delivered.size(), 2u);
  EXPECT_NE(f.rd(0x10 + 20) & kRemoteIrr, 0u);
  f.ioapic.set_irq(10, false);
  f.ioapic.mmio_write(kEoiRegister, 4, 0x3a);  // the version-0x20 EOI register
  EXPECT_EQ(f.rd(0x10 + 20) & kRemoteIrr, 0u);
  EXPECT_EQ(f.delivered.size(), 2u);
  // Unmasking an asserted level line delivers it.
  f.route(10, kMasked | kLevel | 0x3a);
  f.ioapic.set_irq(10, true);
  EXPECT_EQ(f.delivered.size(), 2u);
  f.route(10, kLevel | 0x3a);
  EXPECT_EQ(f.delivered.size(), 3u);
  // Switching the entry to edge drops remote IRR.
  f.route(10, 0x3a);
  EXPECT_EQ(f.rd(0x10 + 20) & kRemoteIrr, 0u);
}

TEST(Ioapic, PolarityBitIsIgnored) {
  // OS X hard-codes ActiveLow; levels stay logical, as in KVM (seed osx-on-qemu-kvm.txt).
  IoapicFixture f;
  f.route(11, kActiveLow | kLevel | 0x4b);
  EXPECT_EQ(f.rd(0x10 + 22), kActiveLow | kLevel | 0x4bu);  // stored and read back
  EXPECT_TRUE(f.delivered.empty());                         // deasserted line: quiet
  f.ioapic.set_irq(11, true);
  EXPECT_EQ(f.delivered, (std::vector<std::pair<uint8_t, bool>>{{0x4b, true}}));
  f.ioapic.set_irq(11, false);
  f.ioapic.eoi(0x4b);
  EXPECT_EQ(f.delivered.size(), 1u);
  // Edge-triggered with ActiveLow: the logical rising edge still delivers.
  f.route(12, kActiveLow | 0x4c);
  f.ioapic.set_irq(12, true);
  f.ioapic.set_irq(12, false);
  EXPECT_EQ(f.delivered.size(), 2u);
  EXPECT_EQ(f.delivered.back().first, 0x4c);
}

TEST(Ioapic, DestinationFiltering) {
  IoapicFixture f;
  f.route(1, 0x31, 0x01000000);  // physical APIC ID 1: nobody
  f.ioapic.set_irq(1, true);
  EXPECT_TRUE(f.delivered.empty());
  f.route(2, 0x32, 0xff000000);  // physical broadcast
  f.ioapic.set_irq(2, true);
  EXPECT_EQ(f.delivered.size(), 1u);
  f.route(3, kLogical | (1u << 8) | 0x33, 0x01000000);  // logical, lowest priority
  f.ioapic.set_irq(3, true);
  EXPECT_EQ(f.delivered.size(), 2u);
  // NMI / ExtINT delivery modes are not modelled: dropped, never a crash.
  f.route(5, (4u << 8) | 0x00);
  f.route(6, (7u << 8) | 0x00);
  f.ioapic.set_irq(5, true);
  f.ioapic.set_irq(6, true);
  EXPECT_EQ(f.delivered.size(), 2u);
  f.ioapic.set_irq(99, true);  // no such pin: logged
}

TEST(Ioapic, OddSizeAndUnalignedAccesses) {
  IoapicFixture f;
  f.ioapic.mmio_write(kIoregsel, 1, 0x01);
  EXPECT_EQ(f.ioapic.mmio_read(kIowin + 2, 1), 0x17u);
  EXPECT_EQ(f.ioapic.mmio_read(kIowin, 2), 0x0020u);
  EXPECT_EQ(f.ioapic.mmio_read(kIowin, 8), 0x00170020u);
  EXPECT_EQ(f.ioapic.mmio_read(kIoregsel, 8), 0x01u);
  // A byte write to the top of a redirection entry sets the destination only.
  f.ioapic.mmio_write(kIoregsel, 4, 0x11);
  f.ioapic.mmio_write(kIowin + 3, 1, 0x0f);
  EXPECT_EQ(f.rd(0x11), 0x0f000000u);
  f.ioapic.mmio_write(kIoregsel, 4, 0x10);
  f.ioapic.mmio_write(kIowin, 1, 0x55);  // vector only; still masked
  EXPECT_EQ(f.rd(0x10), kMasked | 0x55u);
  f.ioapic.mmio_read(0xffe, 8);
  f.ioapic.mmio_write(0xffe, 8, ~0ull);
}

// The whole path: a level-triggered line through the IOAPIC into the LAPIC, EOI broadcast back,
// redelivery while the line is still asserted.
TEST(Ioapic, RoundTripWithLapic) {
  uint64_t position = 0;
  Clock clock;
  clock.set_position_source([&] { return position; });
  std::unique_ptr<Lapic> lapic;
  std::unique_ptr<Ioapic> ioapic;
  const Clock::TimerId timer = clock.add_timer("lapic", [&] { lapic->timer_expired(); });
  lapic = std::make_unique<Lapic>(Lapic::Wiring{
      .clock = &clock,
      .timer = timer,
      .eoi_broadcast = [&](uint8_t v) { ioapic->eoi(v); },
  });
  ioapic = std::make_unique<Ioapic>(
      [&](uint8_t v, bool level) { lapic->accept(v, level); },
      [&](uint8_t dest, bool logical) { return lapic->accepts_destination(dest, logical); });
  lapic->mmio_write(0xf0, 4, 0x1ff);
  lapic->mmio_write(0x350, 4, 0x10000);
  lapic->mmio_write(0xd0, 4, 0x01000000);  // logical ID 1 (flat)

  ioapic->mmio_write(0x00, 4, 0x10 + 2 * 9 + 1);
  ioapic->mmio_write(0x10, 4, 0x01000000);
  ioapic->mmio_write(0x00, 4, 0x10 + 2 * 9);
  ioapic->mmio_write(0x10, 4, kLogical | kLevel | kActiveLow | 0x49);  // as OS X writes it
  ioapic->set_irq(9, true);
  EXPECT_TRUE(lapic->intr_asserted());
  EXPECT_EQ(lapic->acknowledge(), 0x49);
  lapic->mmio_write(0xb0, 4, 0);  // EOI: broadcast, line still up → delivered again
  EXPECT_EQ(lapic->acknowledge(), 0x49);
  ioapic->set_irq(9, false);
  lapic->mmio_write(0xb0, 4, 0);
  EXPECT_EQ(lapic->acknowledge(), -1);
  EXPECT_EQ(ioapic->redirection_entry(9) & kRemoteIrr, 0u);
  // A logical destination the LAPIC does not match is not delivered.
  ioapic->mmio_write(0x00, 4, 0x10 + 2 * 9 + 1);
  ioapic->mmio_write(0x10, 4, 0x02000000);
  ioapic->set_irq(9, true);
  EXPECT_FALSE(lapic->intr_asserted());
}

TEST(Ioapic, SaveRestoreCompare) {
  IoapicFixture a;
  a.wr(0x00, 0x02000000);
  a.route(10, kLevel | 0x3a);
  a.route(4, 0x34, 0xff000000);
  a.ioapic.set_irq(10, true);
  a.ioapic.set_irq(4, true);
  a.ioapic.mmio_write(kIoregsel, 4, 0x18);

  const Ioapic::State s = a.ioapic.save();
  IoapicFixture b;
  b.ioapic.restore(s);
  const Ioapic::State t = b.ioapic.save();
  EXPECT_EQ(std::memcmp(&s, &t, sizeof s), 0);
  EXPECT_TRUE(b.delivered.empty());  // nothing re-sent by restore
  EXPECT_EQ(b.ioapic.mmio_read(kIowin, 4), 0x34u);

  for (IoapicFixture* f : {&a, &b}) {
    f->delivered.clear();
    f->ioapic.eoi(0x3a);         // still asserted: redelivered
    f->ioapic.set_irq(4, true);  // already high: no edge
  }
  EXPECT_EQ(a.delivered, b.delivered);
  EXPECT_EQ(a.delivered.size(), 1u);
  const Ioapic::State sa = a.ioapic.save(), sb = b.ioapic.save();
  EXPECT_EQ(std::memcmp(&sa, &sb, sizeof sa), 0);
}

}  // namespace
}  // namespace rwd
