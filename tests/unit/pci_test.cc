// SPDX-License-Identifier: MIT
// PCI and Q35 chipset unit tests: configuration mechanism #1 (sub-dword accesses, the enable
// bit, absent devices) and ECAM, BAR sizing for I/O, 32- and 64-bit memory BARs with the
// mapping callback, the capability list, INTx → PIRQ → IOAPIC / 8259 routing with shared lines,
// the MCH (PCIEXBAR, PAM, SMRAM, TOLUD), the ICH9 LPC bridge (PMBASE, SCI routing), the ACPI PM
// block (PM timer against virtual time, PM1 status/enable and the SCI, GPE0, S5), the 0xCF9
// reset register, and save → restore → compare for every device.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "devices/pci.h"
#include "devices/q35.h"
#include "replay/clock.h"

namespace rwd {
namespace {

template <typename S>
bool same_bytes(const S& a, const S& b) {
  return std::memcmp(&a, &b, sizeof(S)) == 0;
}

uint32_t address(unsigned bus, unsigned slot, unsigned fn, unsigned reg) {
  return 0x80000000u | bus << 16 | slot << 11 | fn << 8 | (reg & 0xfc);
}

// A network-card-like function with every kind of BAR and two capabilities.
class TestDevice : public PciDevice {
 public:
  struct State {
    ConfigBytes config{};
  };
  explicit TestDevice(uint8_t pin = 1)
      : PciDevice(Identity{.vendor_id = 0x1234,
                           .device_id = 0x5678,
                           .class_code = 0x020000,
                           .revision = 7,
                           .subsystem_vendor_id = 0x1af4,
                           .subsystem_id = 0x1100,
                           .interrupt_pin = pin}) {
    declare_bar(0, BarKind::kIo, 0x20);
    declare_bar(1, BarKind::kMem32, 0x1000);
    declare_bar(2, BarKind::kMem64, 0x4000, /*prefetchable=*/true);  // BARs 2 and 3
    add_capability(0x40, 0x05, 0x0c);                                // MSI
    add_capability(0x50, 0x10, 0x3c);                                // PCI Express
  }
  State save() const { return State{config_bytes()}; }
  void restore(const State& s) { restore_config(s.config); }
  void reset() { reset_config(); }
};

struct BusFixture {
  std::vector<std::pair<unsigned, bool>> pirq_events;
  PciBus pci{[this](unsigned pirq, bool level) { pirq_events.push_back({pirq, level}); }};
  TestDevice dev;
  std::vector<std::pair<unsigned, PciDevice::BarMapping>> bar_events;

  BusFixture() {
    pci.attach(3, 0, &dev);
    dev.set_bar_changed([this](unsigned bar, const PciDevice::BarMapping& m) {
      bar_events.push_back({bar, m});
    });
  }
  uint32_t rd(unsigned slot, unsigned fn, unsigned reg, unsigned size, unsigned bus = 0) {
    pci.port_write(0xcf8, 4, address(bus, slot, fn, reg));
    return pci.port_read(uint16_t(0xcfc + (reg & 3)), size);
  }
  void wr(unsigned slot, unsigned fn, unsigned reg, unsigned size, uint32_t v) {
    pci.port_write(0xcf8, 4, address(0, slot, fn, reg));
    pci.port_write(uint16_t(0xcfc + (reg & 3)), size, v);
  }
};

// --- Configuration mechanism #1 and ECAM -------------------------------------------------------

TEST(PciBus, ConfigAddressRegister) {
  BusFixture f;
  EXPECT_EQ(f.pci.port_read(0xcf8, 4), 0u);
  f.pci.port_write(0xcf8, 4, 0x80000000);  // Linux's type-1 probe
  EXPECT_EQ(f.pci.port_read(0xcf8, 4), 0x80000000u);
  f.pci.port_write(0xcf8, 4, 0xffffffff);  // reserved 30:24 and read-only 1:0 stay 0
  EXPECT_EQ(f.pci.port_read(0xcf8, 4), 0x80fffffcu);
  // Only dword accesses at 0xCF8 are CONFIG_ADDRESS.
  f.pci.port_write(0xcfb, 1, 0x01);
  f.pci.port_write(0xcf8, 2, 0x1234);
  EXPECT_EQ(f.pci.port_read(0xcf8, 4), 0x80fffffcu);
  EXPECT_EQ(f.pci.port_read(0xcf8, 1), 0xffu);
  EXPECT_EQ(f.pci.port_read(0xcfa, 2), 0xffffu);
}

TEST(PciBus, DataPortSubDwordAccesses) {
  BusFixture f;
  EXPECT_EQ(f.rd(3, 0, 0x00, 4), 0x56781234u);
  EXPECT_EQ(f.rd(3, 0, 0x02, 2), 0x5678u);      // word at 0xCFE
  EXPECT_EQ(f.rd(3, 0, 0x03, 1), 0x56u);        // byte at 0xCFF
  EXPECT_EQ(f.rd(3, 0, 0x08, 4), 0x02000007u);  // class 02 00 00, revision 7
  EXPECT_EQ(f.rd(3, 0, 0x2c, 4), 0x11001af4u);
  EXPECT_EQ(f.rd(3, 0, 0x3d, 1), 1u);  // INTA#
  // Interrupt Line is a read/write scratch byte; Interrupt Pin is read-only.
  f.wr(3, 0, 0x3c, 2, 0x050b);
  EXPECT_EQ(f.rd(3, 0, 0x3c, 2), 0x010bu);
  // A dword access at 0xCFE runs on into the next register, as in QEMU.
  EXPECT_EQ(f.rd(3, 0, 0x3e, 4) & 0xffff, 0u);
  // Vendor ID is read-only.
  f.wr(3, 0, 0x00, 4, 0);
  EXPECT_EQ(f.rd(3, 0, 0x00, 4), 0x56781234u);
}

TEST(PciBus, EnableBitGatesDataPort) {
  BusFixture f;
  f.pci.port_write(0xcf8, 4, address(0, 3, 0, 0x3c) & ~0x80000000u);
  EXPECT_EQ(f.pci.port_read(0xcfc, 4), 0xffffffffu);
  f.pci.port_write(0xcfc, 1, 0x0a);  // not a configuration cycle: dropped
  EXPECT_EQ(f.rd(3, 0, 0x3c, 1), 0u);
}

TEST(PciBus, AbsentDevicesReadAllOnes) {
  BusFixture f;
  EXPECT_EQ(f.rd(4, 0, 0x00, 4), 0xffffffffu);
  EXPECT_EQ(f.rd(4, 0, 0x00, 2), 0xffffu);
  EXPECT_EQ(f.rd(3, 1, 0x00, 4), 0xffffffffu);     // other function of a present slot
  EXPECT_EQ(f.rd(3, 0, 0x00, 4, 1), 0xffffffffu);  // bus 1 does not exist
  f.wr(4, 0, 0x3c, 1, 5);                          // master abort: dropped, no crash
  EXPECT_EQ(f.pci.mmio_read(1u << 20 | 3u << 15, 4), 0xffffffffu);
}

TEST(PciBus, EcamReachesTheSameSpace) {
  BusFixture f;
  const uint64_t fn = 3u << 15;
  EXPECT_EQ(f.pci.mmio_read(fn + 0x00, 4), 0x56781234u);
  EXPECT_EQ(f.pci.mmio_read(fn + 0x02, 2), 0x5678u);
  EXPECT_EQ(f.pci.mmio_read(fn + 0x09, 1), 0x00u);
  EXPECT_EQ(f.pci.mmio_read(fn + 0x00, 8), 0x0010000056781234ull);  // status: capabilities
  f.pci.mmio_write(fn + 0x3c, 1, 0x0b);
  EXPECT_EQ(f.rd(3, 0, 0x3c, 1), 0x0bu);
  // The PCIe extended space of a conventional function reads 0 and ignores writes; an absent
  // function reads all ones there too.
  EXPECT_EQ(f.pci.mmio_read(fn + 0x100, 4), 0u);
  f.pci.mmio_write(fn + 0x100, 4, 0xdeadbeef);
  EXPECT_EQ(f.pci.mmio_read(fn + 0xffc, 4), 0u);
  EXPECT_EQ(f.pci.mmio_read((4u << 15) + 0x100, 4), 0xffffffffu);
}

TEST(PciBus, MultiFunctionBitFollowsAttachedFunctions) {
  BusFixture f;
  EXPECT_EQ(f.rd(3, 0, 0x0e, 1), 0x00u);
  TestDevice second;
  f.pci.attach(3, 2, &second);
  EXPECT_EQ(f.rd(3, 0, 0x0e, 1), 0x80u);
  EXPECT_EQ(f.rd(3, 0, 0x0c, 4) >> 16 & 0xff, 0x80u);
  EXPECT_EQ(f.rd(3, 2, 0x0e, 1), 0x00u);
}

TEST(PciDevice, CapabilityList) {
  BusFixture f;
  EXPECT_TRUE(f.rd(3, 0, 0x06, 2) & PciDevice::kStatusCapabilities);
  EXPECT_EQ(f.rd(3, 0, 0x34, 1), 0x50u);
  EXPECT_EQ(f.rd(3, 0, 0x50, 2), 0x4010u);  // PCIe, next 0x40
  EXPECT_EQ(f.rd(3, 0, 0x40, 2), 0x0005u);  // MSI, end of list
}

// --- BARs ---------------------------------------------------------------------------------------

TEST(PciBar, SizingReadsBackSizeMasks) {
  BusFixture f;
  EXPECT_EQ(f.rd(3, 0, 0x10, 4), 0x1u);  // I/O
  EXPECT_EQ(f.rd(3, 0, 0x14, 4), 0x0u);  // 32-bit memory
  EXPECT_EQ(f.rd(3, 0, 0x18, 4), 0xcu);  // 64-bit prefetchable memory
  for (unsigned reg = 0x10; reg < 0x28; reg += 4) f.wr(3, 0, reg, 4, 0xffffffff);
  EXPECT_EQ(f.rd(3, 0, 0x10, 4), 0xffffffe1u);  // 32 bytes of I/O
  EXPECT_EQ(f.rd(3, 0, 0x14, 4), 0xfffff000u);  // 4 KiB
  EXPECT_EQ(f.rd(3, 0, 0x18, 4), 0xffffc00cu);  // 16 KiB, 64-bit, prefetchable
  EXPECT_EQ(f.rd(3, 0, 0x1c, 4), 0xffffffffu);  // upper half
  EXPECT_EQ(f.rd(3, 0, 0x20, 4), 0u);           // unimplemented BARs read 0
  EXPECT_EQ(f.rd(3, 0, 0x24, 4), 0u);
  EXPECT_EQ(f.rd(3, 0, 0x30, 4), 0u);  // no expansion ROM
  // Decoding is off (COMMAND = 0): sizing never reported a mapping.
  EXPECT_TRUE(f.bar_events.empty());
}

TEST(PciBar, MappingCallbackFollowsAddressAndCommand) {
  BusFixture f;
  f.wr(3, 0, 0x10, 4, 0xc000);
  f.wr(3, 0, 0x14, 4, 0xfebf1000);
  f.wr(3, 0, 0x18, 4, 0x00000000);
  f.wr(3, 0, 0x1c, 4, 0x00000008);  // 0x8_0000_0000
  EXPECT_TRUE(f.bar_events.empty());
  EXPECT_FALSE(f.dev.bar_mapping(0).mapped);

  f.wr(3, 0, 0x04, 2, PciDevice::kCommandIo);
  ASSERT_EQ(f.bar_events.size(), 1u);
  EXPECT_EQ(f.bar_events[0].first, 0u);
  EXPECT_EQ(f.bar_events[0].second,
            (PciDevice::BarMapping{PciDevice::BarKind::kIo, true, false, 0xc000, 0x20}));
  f.bar_events.clear();
  f.wr(3, 0, 0x04, 2, PciDevice::kCommandIo | PciDevice::kCommandMemory);
  ASSERT_EQ(f.bar_events.size(), 2u);
  EXPECT_EQ(f.bar_events[0].first, 1u);
  EXPECT_EQ(f.bar_events[0].second,
            (PciDevice::BarMapping{PciDevice::BarKind::kMem32, true, false, 0xfebf1000, 0x1000}));
  EXPECT_EQ(f.bar_events[1].first, 2u);
  EXPECT_EQ(f.bar_events[1].second, (PciDevice::BarMapping{PciDevice::BarKind::kMem64, true, true,
                                                           0x800000000ull, 0x4000}));
  // Moving a BAR reports it; rewriting the same address does not.
  f.bar_events.clear();
  f.wr(3, 0, 0x14, 4, 0xfebf1000);
  EXPECT_TRUE(f.bar_events.empty());
  f.wr(3, 0, 0x14, 4, 0xfebf2abc);  // low bits below the size are ignored
  ASSERT_EQ(f.bar_events.size(), 1u);
  EXPECT_EQ(f.bar_events[0].second.base, 0xfebf2000u);
  // Sizing while decoding: all ones is never a usable mapping (QEMU's rule).
  f.bar_events.clear();
  f.wr(3, 0, 0x14, 4, 0xffffffff);
  ASSERT_EQ(f.bar_events.size(), 1u);
  EXPECT_FALSE(f.bar_events[0].second.mapped);
  f.wr(3, 0, 0x14, 4, 0xfebf2000);
  // The I/O enable off unmaps only the I/O BAR.
  f.bar_events.clear();
  f.wr(3, 0, 0x04, 1, PciDevice::kCommandMemory);
  ASSERT_EQ(f.bar_events.size(), 1u);
  EXPECT_EQ(f.bar_events[0].first, 0u);
  EXPECT_FALSE(f.bar_events[0].second.mapped);
  // Address 0 is "unused".
  f.bar_events.clear();
  f.wr(3, 0, 0x18, 4, 0);
  f.wr(3, 0, 0x1c, 4, 0);
  ASSERT_EQ(f.bar_events.size(), 1u);
  EXPECT_FALSE(f.bar_events[0].second.mapped);
}

TEST(PciBar, IoBarAbove64KiBIsNotMapped) {
  BusFixture f;
  f.wr(3, 0, 0x04, 2, PciDevice::kCommandIo);
  f.wr(3, 0, 0x10, 4, 0x10000);
  EXPECT_FALSE(f.dev.bar_mapping(0).mapped);
  f.wr(3, 0, 0x10, 4, 0xffe0);  // ends at 0xFFFF: QEMU refuses that too
  EXPECT_FALSE(f.dev.bar_mapping(0).mapped);
  f.wr(3, 0, 0x10, 4, 0xffc0);
  EXPECT_TRUE(f.dev.bar_mapping(0).mapped);
}

// --- INTx routing -------------------------------------------------------------------------------

TEST(PciIntx, PirqMappingMatchesQemuQ35) {
  EXPECT_EQ(pirq_for(31, 0), 0u);  // D31IR default: INTA → PIRQA
  EXPECT_EQ(pirq_for(31, 3), 3u);
  EXPECT_EQ(pirq_for(25, 1), 1u);
  EXPECT_EQ(pirq_for(29, 2), 2u);
  EXPECT_EQ(pirq_for(30, 0), 4u);  // DMI-to-PCI bridge: PIRQE-H
  EXPECT_EQ(pirq_for(0, 0), 4u);   // other slots: E + (slot + pin) mod 4
  EXPECT_EQ(pirq_for(1, 0), 5u);
  EXPECT_EQ(pirq_for(2, 1), 7u);
  EXPECT_EQ(pirq_for(3, 1), 4u);
  EXPECT_EQ(pirq_for(24, 3), 7u);
  EXPECT_EQ(pirq_ioapic_pin(0), 16u);
  EXPECT_EQ(pirq_ioapic_pin(7), 23u);
}

struct ChipsetFixture {
  std::array<bool, 24> ioapic{};
  std::array<bool, 16> isa{};
  unsigned ioapic_edges = 0, isa_edges = 0;
  std::vector<std::pair<bool, uint16_t>> pm_io_events;
  std::vector<Q35Host::EcamWindow> ecam_events;
  std::unique_ptr<Ich9Lpc> lpc;
  std::unique_ptr<PciBus> pci;
  Q35Host mch{0x80000000, [this](const Q35Host::EcamWindow& w) { ecam_events.push_back(w); }};
  TestDevice a{1}, b{1}, c{2};

  ChipsetFixture() {
    lpc = std::make_unique<Ich9Lpc>(Ich9Lpc::Wiring{
        .set_ioapic_pin =
            [this](unsigned pin, bool level) {
              ioapic_edges += level;
              ioapic[pin] = level;
            },
        .set_isa_irq =
            [this](unsigned irq, bool level) {
              isa_edges += level;
              isa[irq] = level;
            },
        .pm_io_changed =
            [this](bool on, uint16_t base) {
              pm_io_events.push_back({on, base});
            },
    });
    pci =
        std::make_unique<PciBus>([this](unsigned pirq, bool level) { lpc->set_pirq(pirq, level); });
    pci->attach(0, 0, &mch);
    pci->attach(31, 0, lpc.get());
    pci->attach(2, 0, &a);  // INTA: PIRQ E + (2 + 0) mod 4 = PIRQG
    pci->attach(6, 0, &b);  // INTA: PIRQ E + (6 + 0) mod 4 = PIRQG as well
    pci->attach(5, 0, &c);  // INTB: PIRQ E + (5 + 1) mod 4 = PIRQG, too
  }
  uint32_t rd(unsigned slot, unsigned reg, unsigned size) {
    pci->port_write(0xcf8, 4, address(0, slot, 0, reg));
    return pci->port_read(uint16_t(0xcfc + (reg & 3)), size);
  }
  void wr(unsigned slot, unsigned reg, unsigned size, uint32_t v) {
    pci->port_write(0xcf8, 4, address(0, slot, 0, reg));
    pci->port_write(uint16_t(0xcfc + (reg & 3)), size, v);
  }
};

TEST(PciIntx, SharedPirqLinesAreOred) {
  ChipsetFixture f;
  const unsigned pin = pirq_ioapic_pin(6);  // PIRQG → GSI 22
  f.a.set_intx(true);
  EXPECT_TRUE(f.ioapic[pin]);
  EXPECT_TRUE(f.rd(2, 0x06, 2) & PciDevice::kStatusInterrupt);
  f.b.set_intx(true);
  f.c.set_intx(true);
  EXPECT_EQ(f.ioapic_edges, 1u);  // one rising edge for the shared line
  f.a.set_intx(false);
  f.c.set_intx(false);
  EXPECT_TRUE(f.ioapic[pin]);  // b still holds it
  f.b.set_intx(false);
  EXPECT_FALSE(f.ioapic[pin]);
  // Not routed to the 8259 at reset (PIRQx_ROUT = 0x80).
  for (bool level : f.isa) EXPECT_FALSE(level);
}

TEST(PciIntx, InterruptDisableMasksTheOutput) {
  ChipsetFixture f;
  const unsigned pin = pirq_ioapic_pin(6);
  f.a.set_intx(true);
  EXPECT_TRUE(f.ioapic[pin]);
  f.wr(2, 0x04, 2, PciDevice::kCommandIntxDisable);
  EXPECT_FALSE(f.ioapic[pin]);
  EXPECT_TRUE(f.rd(2, 0x06, 2) & PciDevice::kStatusInterrupt);  // status still shows it
  f.wr(2, 0x04, 2, 0);
  EXPECT_TRUE(f.ioapic[pin]);
}

TEST(PciIntx, PirqRouteRegistersDriveThe8259) {
  ChipsetFixture f;
  f.wr(31, 0x6a, 1, 0x0b);  // PIRQG → IRQ 11
  EXPECT_EQ(f.lpc->pirq_route(6), 11);
  f.a.set_intx(true);
  EXPECT_TRUE(f.isa[11]);
  EXPECT_TRUE(f.ioapic[22]);  // the IOAPIC side follows regardless
  // Routing changes move the level.
  f.wr(31, 0x6a, 1, 0x0a);
  EXPECT_FALSE(f.isa[11]);
  EXPECT_TRUE(f.isa[10]);
  // Two PIRQs on one IRQ: ORed. PIRQA (slot 31 INTA) → IRQ 10 too.
  TestDevice d{1};
  f.pci->attach(29, 0, &d);  // INTA → PIRQA
  f.wr(31, 0x60, 1, 0x0a);
  d.set_intx(true);
  EXPECT_TRUE(f.ioapic[16]);
  f.a.set_intx(false);
  EXPECT_TRUE(f.isa[10]);
  d.set_intx(false);
  EXPECT_FALSE(f.isa[10]);
  // Disabled and reserved routes reach nothing.
  f.wr(31, 0x6a, 1, 0x8b);
  EXPECT_EQ(f.lpc->pirq_route(6), -1);
  f.wr(31, 0x6a, 1, 0x08);  // IRQ 8 is reserved
  EXPECT_EQ(f.lpc->pirq_route(6), -1);
  EXPECT_EQ(f.rd(31, 0x68, 4), 0x80088080u);  // storage reads back
}

TEST(PciIntx, SaveRestoreBusAndDevice) {
  ChipsetFixture f;
  f.wr(2, 0x04, 2, PciDevice::kCommandIo | PciDevice::kCommandMemory);
  f.wr(2, 0x10, 4, 0xc100);
  f.a.set_intx(true);
  f.pci->port_write(0xcf8, 4, address(0, 2, 0, 0x3c));

  std::vector<std::pair<unsigned, PciDevice::BarMapping>> events;
  unsigned pirq_calls = 0;
  PciBus bus2([&](unsigned, bool) { pirq_calls++; });
  TestDevice a2{1};
  bus2.attach(2, 0, &a2);
  a2.set_bar_changed([&](unsigned bar, const PciDevice::BarMapping& m) {
    events.push_back({bar, m});
  });
  bus2.restore(f.pci->save());
  a2.restore(f.a.save());
  EXPECT_TRUE(same_bytes(bus2.save(), f.pci->save()));
  EXPECT_TRUE(same_bytes(a2.save(), f.a.save()));
  EXPECT_EQ(pirq_calls, 0u);  // restore never reaches into the consumer
  EXPECT_TRUE(bus2.pirq_level(6));
  EXPECT_TRUE(a2.intx_output());
  // Every declared BAR is reported so the Machine can map what the State says.
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].second, a2.bar_mapping(0));
  EXPECT_TRUE(events[0].second.mapped);
  EXPECT_EQ(events[0].second.base, 0xc100u);
  // Behaves the same afterwards: CONFIG_ADDRESS survived, deasserting drops the PIRQ.
  EXPECT_EQ(bus2.port_read(0xcfc, 1), 0u);
  a2.set_intx(false);
  EXPECT_EQ(pirq_calls, 1u);
  EXPECT_FALSE(bus2.pirq_level(6));
}

// --- Q35 MCH ------------------------------------------------------------------------------------

TEST(Q35Host, IdentityAndStorageRegisters) {
  ChipsetFixture f;
  EXPECT_EQ(f.rd(0, 0x00, 4), 0x29c08086u);
  EXPECT_EQ(f.rd(0, 0x08, 4), 0x06000000u);
  EXPECT_EQ(f.rd(0, 0x0e, 1), 0x00u);
  EXPECT_EQ(f.rd(0, 0xb0, 2), 0x8000u);  // TOLUD: 2 GiB
  f.wr(0, 0xb0, 2, 0x1230);
  EXPECT_EQ(f.rd(0, 0xb0, 2), 0x8000u);  // read-only
  f.wr(0, 0x90, 4, 0xffffffff);
  EXPECT_EQ(f.rd(0, 0x90, 4), 0x33333330u);  // PAM0 high half only
  f.wr(0, 0x9d, 1, 0xff);
  EXPECT_EQ(f.rd(0, 0x9d, 1), 0x7au);  // C_BASE_SEG hardwired 010b
  EXPECT_EQ(f.rd(0, 0x9e, 1), 0x38u);
}

TEST(Q35Host, PciexbarMovesAndEnablesEcam) {
  ChipsetFixture f;
  EXPECT_FALSE(f.mch.ecam().enabled);
  EXPECT_EQ(f.rd(0, 0x60, 4), 0xb0000000u);  // QEMU's default, disabled
  f.mch.enable_ecam(Q35Host::kEcamDefaultBase);
  ASSERT_EQ(f.ecam_events.size(), 1u);
  EXPECT_EQ(f.ecam_events[0], (Q35Host::EcamWindow{true, 0xb0000000, 256ull << 20}));
  EXPECT_EQ(f.ecam_events[0].buses(), 256u);
  // Through ECAM now: the MCH sees the same register.
  EXPECT_EQ(f.pci->mmio_read(0x60, 4), 0xb0000001u);
  // 64 MiB at 0xE0000000 (length 2), then disabled, then the reserved length.
  f.wr(0, 0x60, 4, 0xe0000005);
  ASSERT_EQ(f.ecam_events.size(), 2u);
  EXPECT_EQ(f.ecam_events[1], (Q35Host::EcamWindow{true, 0xe0000000, 64ull << 20}));
  EXPECT_EQ(f.ecam_events[1].buses(), 64u);
  f.wr(0, 0x60, 1, 0x04);
  ASSERT_EQ(f.ecam_events.size(), 3u);
  EXPECT_FALSE(f.ecam_events[2].enabled);
  f.wr(0, 0x60, 1, 0x07);
  EXPECT_EQ(f.ecam_events.size(), 3u);  // still nothing decoded
  // Base bits above 4 GiB (35:32).
  f.wr(0, 0x64, 4, 0xffffffff);
  EXPECT_EQ(f.rd(0, 0x64, 4), 0xfu);
}

TEST(Q35Host, SaveRestore) {
  ChipsetFixture f;
  f.mch.enable_ecam(0xc0000000);
  f.wr(0, 0x91, 1, 0x11);
  std::vector<Q35Host::EcamWindow> events;
  Q35Host m2(0x80000000, [&](const Q35Host::EcamWindow& w) { events.push_back(w); });
  m2.restore(f.mch.save());
  EXPECT_TRUE(same_bytes(m2.save(), f.mch.save()));
  ASSERT_EQ(events.size(), 1u);  // reported once so the Machine maps ECAM where it was
  EXPECT_EQ(events[0], f.mch.ecam());
  m2.config_write(0x60, 1, 0x00);
  f.mch.config_write(0x60, 1, 0x00);
  EXPECT_TRUE(same_bytes(m2.save(), f.mch.save()));
  EXPECT_FALSE(events.back().enabled);
}

// --- ICH9 LPC -----------------------------------------------------------------------------------

TEST(Q35Lpc, IdentityPmBaseAndStorage) {
  ChipsetFixture f;
  EXPECT_EQ(f.rd(31, 0x00, 4), 0x29188086u);
  EXPECT_EQ(f.rd(31, 0x08, 4), 0x06010002u);
  EXPECT_EQ(f.rd(31, 0x40, 4), 0x1u);  // PMBASE: I/O indicator only
  EXPECT_EQ(f.rd(31, 0x44, 1), 0x0u);
  EXPECT_EQ(f.rd(31, 0x60, 4), 0x80808080u);
  // SeaBIOS's sequence: PMBASE, then ACPI_EN.
  f.wr(31, 0x40, 4, 0x600);
  EXPECT_TRUE(f.pm_io_events.empty() || !f.pm_io_events.back().first);
  f.wr(31, 0x44, 1, 0x80);
  ASSERT_FALSE(f.pm_io_events.empty());
  EXPECT_EQ(f.pm_io_events.back(), (std::pair<bool, uint16_t>{true, 0x600}));
  EXPECT_EQ(f.rd(31, 0x40, 4), 0x601u);
  // Moving the block while enabled reports the new base; low bits are not decoded.
  f.wr(31, 0x40, 4, 0xb07f);
  EXPECT_EQ(f.pm_io_events.back(), (std::pair<bool, uint16_t>{true, 0xb000}));
  f.wr(31, 0x44, 1, 0x00);
  EXPECT_EQ(f.pm_io_events.back(), (std::pair<bool, uint16_t>{false, 0xb000}));
  const size_t n = f.pm_io_events.size();
  f.lpc->enable_pm_io(AcpiPm::kDefaultBase);
  EXPECT_EQ(f.pm_io_events.size(), n + 2);
  EXPECT_EQ(f.pm_io_events.back(), (std::pair<bool, uint16_t>{true, 0x600}));
  // Storage registers.
  f.wr(31, 0xf0, 4, 0xfed1c001);
  EXPECT_EQ(f.rd(31, 0xf0, 4), 0xfed1c001u);
  f.wr(31, 0xa0, 2, 0x0204);
  EXPECT_EQ(f.rd(31, 0xa0, 2), 0x0204u);
}

TEST(Q35Lpc, SciRouting) {
  ChipsetFixture f;
  EXPECT_EQ(f.lpc->sci_irq(), 9);
  f.lpc->set_sci(true);
  EXPECT_TRUE(f.ioapic[9]);
  EXPECT_TRUE(f.isa[9]);
  // A PIRQ routed to IRQ 9 shares the 8259 input with the SCI.
  f.wr(31, 0x6a, 1, 0x09);
  f.a.set_intx(true);
  f.lpc->set_sci(false);
  EXPECT_FALSE(f.ioapic[9]);
  EXPECT_TRUE(f.isa[9]);
  f.a.set_intx(false);
  EXPECT_FALSE(f.isa[9]);
  // SCI_IRQ_SEL = IRQ 20 goes to the IOAPIC only.
  f.wr(31, 0x44, 1, 0x04);
  EXPECT_EQ(f.lpc->sci_irq(), 20);
  f.lpc->set_sci(true);
  EXPECT_TRUE(f.ioapic[20]);
  EXPECT_FALSE(f.isa[9]);
}

TEST(Q35Lpc, SaveRestore) {
  ChipsetFixture f;
  f.lpc->enable_pm_io(0x600);
  f.wr(31, 0x6a, 1, 0x0b);
  f.a.set_intx(true);
  f.lpc->set_sci(true);

  unsigned calls = 0;
  std::vector<std::pair<bool, uint16_t>> pm_events;
  Ich9Lpc l2(Ich9Lpc::Wiring{
      .set_ioapic_pin = [&](unsigned, bool) { calls++; },
      .set_isa_irq = [&](unsigned, bool) { calls++; },
      .pm_io_changed =
          [&](bool on, uint16_t base) {
            pm_events.push_back({on, base});
          },
  });
  l2.restore(f.lpc->save());
  EXPECT_TRUE(same_bytes(l2.save(), f.lpc->save()));
  EXPECT_EQ(calls, 0u);
  EXPECT_EQ(pm_events, (std::vector<std::pair<bool, uint16_t>>{{true, 0x600}}));
  // Identical behaviour afterwards: dropping PIRQG lowers GSI 22 and IRQ 11 only.
  std::vector<std::pair<unsigned, bool>> ioapic2, isa2;
  Ich9Lpc l3(Ich9Lpc::Wiring{
      .set_ioapic_pin =
          [&](unsigned pin, bool level) {
            ioapic2.push_back({pin, level});
          },
      .set_isa_irq =
          [&](unsigned irq, bool level) {
            isa2.push_back({irq, level});
          },
  });
  l3.restore(f.lpc->save());
  l3.set_pirq(6, false);
  f.a.set_intx(false);
  EXPECT_EQ(ioapic2, (std::vector<std::pair<unsigned, bool>>{{22, false}}));
  EXPECT_EQ(isa2, (std::vector<std::pair<unsigned, bool>>{{11, false}}));
  EXPECT_FALSE(f.ioapic[22]);
  EXPECT_FALSE(f.isa[11]);
  EXPECT_TRUE(same_bytes(l3.save(), f.lpc->save()));
}

// --- ACPI PM block ------------------------------------------------------------------------------

constexpr uint16_t kPm = 0x600;
constexpr uint64_t kToggle1Ns = 2343484438;  // ceil(2^23 * 10^9 / 3579545)
constexpr uint64_t kToggle2Ns = 4686968875;

struct PmFixture {
  uint64_t position = 0;
  Clock clock;
  Clock::TimerId timer;
  bool sci = false;
  unsigned power_offs = 0;
  std::unique_ptr<AcpiPm> pm;

  PmFixture() {
    clock.set_position_source([this] { return position; });
    timer = clock.add_timer("acpi_pm", [this] { pm->timer_expired(); });
    pm = std::make_unique<AcpiPm>(AcpiPm::Wiring{
        .clock = &clock,
        .timer = timer,
        .sci = IrqLine([this](bool level) { sci = level; }),
        .power_off = [this] { power_offs++; },
    });
  }
  uint32_t rd(unsigned offset, unsigned size) {
    return pm->port_read(uint16_t(kPm + offset), size);
  }
  void wr(unsigned offset, unsigned size, uint32_t v) {
    pm->port_write(uint16_t(kPm + offset), size, v);
  }
  void advance_to(uint64_t p) {
    for (uint64_t d = clock.next_deadline(); d <= p; d = clock.next_deadline()) {
      position = d;
      clock.run_due(d);
    }
    position = p;
  }
};

TEST(AcpiPm, ResetValues) {
  PmFixture f;
  EXPECT_EQ(f.rd(0x00, 2), 0u);
  EXPECT_EQ(f.rd(0x02, 2), 0u);
  EXPECT_EQ(f.rd(0x04, 2), AcpiPm::kSciEn);  // always in ACPI mode: no SMI_CMD
  EXPECT_EQ(f.rd(0x08, 4), 0u);
  EXPECT_EQ(f.rd(0x20, 4), 0u);
  EXPECT_EQ(f.rd(0x40, 4), 0u);  // not modelled: reads 0
  EXPECT_FALSE(f.sci);
  EXPECT_FALSE(f.clock.armed(f.timer));
}

TEST(AcpiPm, TimerIsAFunctionOfVirtualTime) {
  PmFixture f;
  f.position = 1'000'000'000;  // 1 s = 3,579,545 ticks
  EXPECT_EQ(f.rd(0x08, 4), 3579545u);
  EXPECT_EQ(f.pm->pm_timer(), 3579545u);
  f.position = 5'000'000'000;  // 17,897,725 ticks: wraps at 24 bits
  EXPECT_EQ(f.rd(0x08, 4), 17897725u & 0xffffff);
  EXPECT_EQ(f.rd(0x08, 4) >> 24, 0u);  // TMR_VAL_EXT = 0
  EXPECT_EQ(f.rd(0x0a, 2), (17897725u & 0xffffff) >> 16);
  // Large times do not overflow (128-bit intermediate).
  f.position = 1ull << 62;
  const uint64_t ticks = uint64_t((unsigned __int128)(1ull << 62) * 3579545 / 1000000000);
  EXPECT_EQ(f.rd(0x08, 4), uint32_t(ticks & 0xffffff));
}

TEST(AcpiPm, TimerStatusOnBit23ToggleWithoutTimer) {
  PmFixture f;
  f.position = kToggle1Ns - 1;
  EXPECT_EQ(f.rd(0x00, 2) & AcpiPm::kTmrSts, 0u);
  EXPECT_FALSE(f.clock.armed(f.timer));  // TMR_EN clear: nothing scheduled
  f.position = kToggle1Ns;
  EXPECT_EQ(f.rd(0x08, 4), 1u << 23);
  EXPECT_EQ(f.rd(0x00, 2) & AcpiPm::kTmrSts, AcpiPm::kTmrSts);
  EXPECT_FALSE(f.sci);             // not enabled
  f.wr(0x00, 2, AcpiPm::kTmrSts);  // write 1 to clear
  EXPECT_EQ(f.rd(0x00, 2) & AcpiPm::kTmrSts, 0u);
  f.position = kToggle2Ns;
  EXPECT_EQ(f.rd(0x00, 2) & AcpiPm::kTmrSts, AcpiPm::kTmrSts);
}

TEST(AcpiPm, TimerEnableArmsNextToggleAndRaisesSci) {
  PmFixture f;
  f.position = 1000;
  f.wr(0x02, 2, AcpiPm::kTmrEn);  // 16-bit write to PM1_EN leaves PM1_STS alone
  ASSERT_TRUE(f.clock.armed(f.timer));
  EXPECT_EQ(f.clock.deadline(f.timer), kToggle1Ns);
  f.advance_to(kToggle1Ns - 1);
  EXPECT_FALSE(f.sci);
  f.advance_to(kToggle1Ns);
  EXPECT_TRUE(f.sci);
  EXPECT_FALSE(f.clock.armed(f.timer));  // status set: the next toggle cannot add anything
  // Clearing TMR_STS drops the SCI and arms the following toggle.
  f.position = kToggle1Ns + 50;
  f.wr(0x00, 4, AcpiPm::kTmrSts | uint32_t(AcpiPm::kTmrEn) << 16);  // dword: STS and EN
  EXPECT_FALSE(f.sci);
  EXPECT_EQ(f.clock.deadline(f.timer), kToggle2Ns);
  f.advance_to(kToggle2Ns);
  EXPECT_TRUE(f.sci);
  // Disabling TMR_EN drops the SCI (status stays).
  f.wr(0x02, 2, 0);
  EXPECT_FALSE(f.sci);
  EXPECT_EQ(f.rd(0x00, 2) & AcpiPm::kTmrSts, AcpiPm::kTmrSts);
}

TEST(AcpiPm, PowerButtonStatusEnableAndSci) {
  PmFixture f;
  f.pm->press_power_button();
  EXPECT_EQ(f.rd(0x00, 2), AcpiPm::kPwrbtnSts);
  EXPECT_FALSE(f.sci);
  f.wr(0x02, 2, AcpiPm::kPwrbtnEn);
  EXPECT_TRUE(f.sci);
  EXPECT_EQ(f.rd(0x00, 4), AcpiPm::kPwrbtnSts | uint32_t(AcpiPm::kPwrbtnEn) << 16);
  // SCI_EN gates the interrupt (the event would be an SMI).
  f.wr(0x04, 2, 0);
  EXPECT_FALSE(f.sci);
  f.wr(0x04, 2, AcpiPm::kSciEn);
  EXPECT_TRUE(f.sci);
  // Writing 0 clears nothing; writing 1 to another bit clears nothing; 1 to the bit clears it.
  f.wr(0x00, 2, 0);
  f.wr(0x00, 2, AcpiPm::kWakSts);
  EXPECT_TRUE(f.sci);
  f.wr(0x01, 1, AcpiPm::kPwrbtnSts >> 8);  // byte write to the high status byte
  EXPECT_FALSE(f.sci);
  EXPECT_EQ(f.rd(0x00, 2), 0u);
  // Reserved PM1_EN bits do not stick.
  f.wr(0x02, 2, 0xffff);
  EXPECT_EQ(f.rd(0x02, 2), 0x4521u);
}

TEST(AcpiPm, Gpe0StatusEnableAndSci) {
  PmFixture f;
  f.pm->raise_gpe(9);
  EXPECT_EQ(f.rd(0x20, 4), 0x200u);
  EXPECT_FALSE(f.sci);
  f.wr(0x29, 1, 0x02);  // GPE0_EN bit 9
  EXPECT_TRUE(f.sci);
  EXPECT_EQ(f.rd(0x28, 2), 0x200u);
  f.wr(0x20, 4, 0x100);  // wrong bit: no change
  EXPECT_TRUE(f.sci);
  f.wr(0x20, 4, 0x200);
  EXPECT_FALSE(f.sci);
  f.pm->raise_gpe(63);
  f.wr(0x2c, 4, 0x80000000);
  EXPECT_TRUE(f.sci);
  EXPECT_EQ(f.rd(0x24, 4), 0x80000000u);
}

TEST(AcpiPm, SleepS5PowersOff) {
  PmFixture f;
  // SLP_TYP = 1 (S3 in QEMU's numbering) is not advertised: ignored.
  f.wr(0x04, 2, 1u << 10 | AcpiPm::kSlpEn | AcpiPm::kSciEn);
  EXPECT_EQ(f.power_offs, 0u);
  EXPECT_EQ(f.rd(0x04, 2), (1u << 10) | AcpiPm::kSciEn);  // SLP_EN reads 0
  // Writing SLP_TYP first and SLP_EN afterwards, as ACPICA does.
  f.wr(0x04, 2, uint32_t(AcpiPm::kSlpTypS5) << 10 | AcpiPm::kSciEn);
  EXPECT_EQ(f.power_offs, 0u);
  f.wr(0x04, 2, uint32_t(AcpiPm::kSlpTypS5) << 10 | AcpiPm::kSlpEn | AcpiPm::kSciEn);
  EXPECT_EQ(f.power_offs, 1u);
  // A byte write to the low byte does not contain SLP_EN.
  f.wr(0x04, 1, 0x01);
  EXPECT_EQ(f.power_offs, 1u);
}

TEST(AcpiPm, SaveRestoreRearmsTimer) {
  PmFixture f;
  f.position = 777;
  f.wr(0x02, 2, AcpiPm::kTmrEn | AcpiPm::kPwrbtnEn);
  f.pm->raise_gpe(3);
  f.wr(0x30, 4, 0x20);
  const AcpiPm::State saved = f.pm->save();

  PmFixture g;
  g.position = 777;
  g.pm->restore(saved);
  EXPECT_TRUE(same_bytes(g.pm->save(), saved));
  EXPECT_FALSE(g.sci);
  EXPECT_EQ(g.clock.deadline(g.timer), kToggle1Ns);
  EXPECT_EQ(g.rd(0x30, 4), 0x20u);
  // Identical afterwards.
  f.advance_to(kToggle1Ns);
  g.advance_to(kToggle1Ns);
  EXPECT_TRUE(f.sci);
  EXPECT_TRUE(g.sci);
  EXPECT_TRUE(same_bytes(g.pm->save(), f.pm->save()));
  // A restored asserted SCI is re-derived silently: the consumer is not called, but the line
  // knows it is high, so clearing the status reports the falling edge.
  PmFixture h;
  std::vector<bool> h_levels;
  h.pm = std::make_unique<AcpiPm>(AcpiPm::Wiring{
      .clock = &h.clock,
      .timer = h.timer,
      .sci = IrqLine([&](bool level) { h_levels.push_back(level); }),
  });
  h.position = kToggle1Ns;
  h.pm->restore(f.pm->save());
  EXPECT_TRUE(h_levels.empty());
  h.wr(0x00, 2, AcpiPm::kTmrSts);
  EXPECT_EQ(h_levels, std::vector<bool>{false});
}

// --- Reset control -------------------------------------------------------------------------------

TEST(Q35ResetControl, Cf9ResetsOnRstCpu) {
  unsigned resets = 0;
  ResetControl rc([&] { resets++; });
  EXPECT_EQ(rc.port_read(0xcf9, 1), 0u);
  rc.port_write(0xcf9, 1, 0x02);  // SYS_RST alone: stored, no reset
  EXPECT_EQ(resets, 0u);
  EXPECT_EQ(rc.port_read(0xcf9, 1), 0x02u);
  rc.port_write(0xcf9, 1, 0x06);  // Linux reboot=pci, the FADT reset value
  EXPECT_EQ(resets, 1u);
  rc.port_write(0xcf9, 1, 0x0e);  // with FULL_RST
  EXPECT_EQ(resets, 2u);
  rc.port_write(0xcf9, 1, 0x0a);
  EXPECT_EQ(rc.port_read(0xcf9, 1), 0x0au);
  rc.port_write(0xcf9, 2, 0x06);  // not a byte access: ignored
  EXPECT_EQ(resets, 2u);

  unsigned resets2 = 0;
  ResetControl rc2([&] { resets2++; });
  rc2.restore(rc.save());
  EXPECT_TRUE(same_bytes(rc2.save(), rc.save()));
  EXPECT_EQ(rc2.port_read(0xcf9, 1), 0x0au);
  rc2.port_write(0xcf9, 1, ResetControl::kResetValue);
  EXPECT_EQ(resets2, 1u);
}

}  // namespace
}  // namespace rwd
