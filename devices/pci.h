// SPDX-License-Identifier: MIT
// PCI configuration space and the host side that reaches it (PCI Local Bus Specification 3.0,
// PCI Express Base 2.0 §7.2 for ECAM).
//
// - PciDevice: one function's 256-byte type-0 configuration header (PCI 3.0 §6.1): IDs, class,
//   COMMAND/STATUS, up to six BARs with sizing (§6.2.5.1), interrupt line/pin, a capability list
//   (§6.7). The 4 KiB PCIe extended space reads 0 and ignores writes. Concrete devices derive
//   from it, declare their BARs and writable registers in their constructor, and put
//   `config_bytes()` into their own State.
// - PciBus: bus 0 (other buses read as absent), reached through configuration mechanism #1
//   (CONFIG_ADDRESS 0xCF8, 32-bit accesses only; CONFIG_DATA 0xCFC-0xCFF, 1/2/4 bytes at any
//   offset, PCI 3.0 §3.2.2.3.2) and through ECAM (an MmioHandler: 1 MiB per bus, 4 KiB per
//   function). It also collects the INTx outputs of its devices and turns them into PIRQ
//   levels (pirq_for below); the ICH9 LPC bridge (devices/q35.h) routes PIRQs to interrupt
//   controllers.
//
// Wiring (given by the Machine; not in any State):
//
//   PciBus pci(/*set_pirq=*/[&](unsigned pirq, bool level) { lpc.set_pirq(pirq, level); });
//   pci.attach(Q35Host::kSlot, 0, &mch);
//   pci.attach(Ich9Lpc::kSlot, 0, &lpc);
//   // CONFIG_ADDRESS and CONFIG_DATA, leaving 0xCF9 (a byte port) to the ICH9 reset control:
//   ports.map(0xcf8, 1, &pci, "pci_config_address");
//   ports.map(0xcf9, 1, &reset_control, "reset_control");
//   ports.map(0xcfa, 2, &pci, "pci_config_address_hi");
//   ports.map(0xcfc, 4, &pci, "pci_config_data");
//   // ECAM where the MCH's PCIEXBAR puts it (Q35Host's ecam_changed callback):
//   mmio.unmap(&pci); if (w.enabled) mmio.map(w.base, w.size, &pci, "pci_ecam");
//   // Each device's BARs (PciDevice::set_bar_changed): unmap the old range, map the new one.
//
// PortBus dispatches an access by its first port, so a 32-bit access at 0xCF8 reaches the PCI
// bus and a byte access at 0xCF9 the reset control register, as on the ICH9.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "devices/bus.h"

namespace rwd {

// --- INTx → PIRQ routing (Q35 / ICH9) ----------------------------------------------------------
//
// Which PIRQ (0 = PIRQA .. 7 = PIRQH) the INTx pin `intx` (0 = INTA# .. 3 = INTD#, the numbering
// of an ACPI _PRT entry; the Interrupt Pin register holds intx + 1) of a bus-0 device in `slot`
// drives. This is QEMU's Q35 routing (hw/isa/lpc_ich9.c), which the ACPI _PRT must describe:
//   - slots 25-29 and 31 use the chipset's D25IR..D31IR registers at their reset value 0x3210
//     (ICH9 datasheet, chipset configuration registers D25IR-D31IR): INTA→PIRQA .. INTD→PIRQD;
//   - slot 30 (DMI-to-PCI bridge): INTA..INTD → PIRQE..PIRQH;
//   - every other slot: PIRQ (E + (slot + intx) mod 4), keeping PIRQA-D for the chipset.
// The RCBA chipset-configuration registers are not modelled, so this mapping is fixed.
constexpr unsigned kPirqCount = 8;
constexpr unsigned kPirqIoapicPinBase = 16;  // PIRQA..H → IOAPIC pins (GSIs) 16..23
constexpr unsigned pirq_for(unsigned slot, unsigned intx) {
  intx &= 3;
  if (slot == 30) return 4 + intx;
  if (slot >= 25 && slot <= 31) return intx;
  return 4 + ((slot + intx) & 3);
}
constexpr unsigned pirq_ioapic_pin(unsigned pirq) {
  return kPirqIoapicPinBase + pirq;
}

// --- PciDevice ---------------------------------------------------------------------------------

class PciDevice {
 public:
  static constexpr unsigned kConfigSize = 256;           // conventional configuration space
  static constexpr unsigned kExtendedConfigSize = 4096;  // PCIe (ECAM) configuration space
  static constexpr unsigned kBars = 6;
  using ConfigBytes = std::array<uint8_t, kConfigSize>;

  // Type-0 header registers (PCI 3.0 §6.1, Figure 6-1).
  static constexpr unsigned kVendorId = 0x00, kDeviceId = 0x02, kCommand = 0x04, kStatus = 0x06,
                            kRevision = 0x08, kClassCode = 0x09, kCacheLineSize = 0x0c,
                            kLatencyTimer = 0x0d, kHeaderType = 0x0e, kBar0 = 0x10,
                            kSubsystemVendorId = 0x2c, kSubsystemId = 0x2e, kExpansionRom = 0x30,
                            kCapabilitiesPointer = 0x34, kInterruptLine = 0x3c,
                            kInterruptPin = 0x3d;
  // COMMAND (§6.2.2) and STATUS (§6.2.3) bits.
  static constexpr uint16_t kCommandIo = 1 << 0, kCommandMemory = 1 << 1,
                            kCommandBusMaster = 1 << 2, kCommandIntxDisable = 1 << 10;
  static constexpr uint16_t kStatusInterrupt = 1 << 3, kStatusCapabilities = 1 << 4;

  struct Identity {
    uint16_t vendor_id = 0;
    uint16_t device_id = 0;
    uint32_t class_code = 0;  // base class << 16 | subclass << 8 | programming interface
    uint8_t revision = 0;
    uint16_t subsystem_vendor_id = 0;
    uint16_t subsystem_id = 0;
    uint8_t interrupt_pin = 0;  // 0: none, 1 = INTA# .. 4 = INTD#
  };

  enum class BarKind : uint8_t { kNone, kIo, kMem32, kMem64 };
  // What a BAR decodes right now. `mapped` needs the COMMAND enable for its space and a usable
  // address: not 0, not wrapping, below 64 KiB for I/O and below 4 GiB for 32-bit memory (QEMU's
  // pci_bar_address rules, so a BAR left all-ones after sizing never covers the top of memory).
  struct BarMapping {
    BarKind kind = BarKind::kNone;
    bool mapped = false;
    bool prefetchable = false;
    uint64_t base = 0;
    uint64_t size = 0;
    bool operator==(const BarMapping&) const = default;
  };
  // Called when a BAR's mapping changes (address written, COMMAND I/O or memory enable flipped)
  // and, for every declared BAR, from restore_config(). The Machine unmaps the BAR's previous
  // range and maps `mapping` if it is mapped.
  using BarChanged = std::function<void(unsigned bar, const BarMapping& mapping)>;

  explicit PciDevice(const Identity& identity);
  virtual ~PciDevice() = default;
  PciDevice(const PciDevice&) = delete;
  PciDevice& operator=(const PciDevice&) = delete;

  // Configuration accesses as the bus delivers them: 0 <= offset, offset + size <= 4096, size 1,
  // 2 or 4, little-endian. Bytes at 256 and above read 0 and ignore writes.
  uint32_t config_read(unsigned offset, unsigned size) const;
  void config_write(unsigned offset, unsigned size, uint32_t value);

  void set_bar_changed(BarChanged callback) { bar_changed_ = std::move(callback); }
  BarMapping bar_mapping(unsigned bar) const;

  // The device function asserts (true) or deasserts its INTx# pin. STATUS.Interrupt Status
  // follows it; the pin reaches the bus unless COMMAND.Interrupt Disable is set (§6.2.2/§6.2.3).
  void set_intx(bool level);
  bool intx_output() const;
  uint8_t interrupt_pin() const { return config_[kInterruptPin]; }

 protected:
  // Constructor-time declarations; they define the power-on image reset_config() returns to.
  // Sizes are powers of two (I/O >= 4 bytes, memory >= 16 bytes); a 64-bit BAR uses slots
  // bar and bar + 1.
  void declare_bar(unsigned bar, BarKind kind, uint64_t size, bool prefetchable = false);
  // Links a capability (PCI 3.0 §6.7) at `offset` (dword aligned, >= 0x40) into the list:
  // writes its ID and next pointer and sets STATUS.Capabilities List. The caller fills in and
  // declares the writable bits of the body.
  void add_capability(uint8_t offset, uint8_t id, uint8_t length);
  // Power-on value and write behaviour of bytes [offset, offset + size).
  void set_initial(unsigned offset, unsigned size, uint32_t value);
  void set_writable(unsigned offset, unsigned size, uint32_t mask);
  void set_write_one_to_clear(unsigned offset, unsigned size, uint32_t mask);

  // Raw access to the stored bytes (no masks, no side effects).
  uint32_t get(unsigned offset, unsigned size) const;
  uint64_t get64(unsigned offset) const {
    return get(offset, 4) | uint64_t(get(offset + 4, 4)) << 32;
  }
  void set(unsigned offset, unsigned size, uint32_t value);

  // Whether the access [offset, offset + size) touches the register [start, start + length).
  static bool overlaps(unsigned offset, unsigned size, unsigned start, unsigned length) {
    return offset < start + length && start < offset + size;
  }
  // Called after every configuration write has been stored, with the written range.
  virtual void config_written(unsigned offset, unsigned size) {}

  // For the derived device's save()/restore()/reset().
  const ConfigBytes& config_bytes() const { return config_; }
  // Replaces the bytes and re-derives everything from them: the INTx output level silently
  // (the bus holds what it saw in its own State), and bar_changed for every declared BAR.
  void restore_config(const ConfigBytes& bytes);
  // Back to the power-on image, reporting changed BAR mappings and INTx.
  void reset_config();

 private:
  friend class PciBus;
  void update_mappings(bool report_all);
  void update_intx();
  bool intx_wanted() const;

  ConfigBytes config_{};
  ConfigBytes power_on_{};
  ConfigBytes writable_{};     // per bit: written values are stored
  ConfigBytes write_clear_{};  // per bit: writing 1 clears
  std::array<BarKind, kBars> bar_kind_{};
  std::array<uint64_t, kBars> bar_size_{};
  std::array<bool, kBars> bar_prefetchable_{};
  // Wiring-side caches, re-derived on restore.
  std::array<BarMapping, kBars> reported_{};
  bool intx_driven_ = false;
  BarChanged bar_changed_;
  std::function<void(bool)> intx_sink_;  // installed by PciBus::attach
};

// --- PciBus ------------------------------------------------------------------------------------

class PciBus : public PortHandler, public MmioHandler {
 public:
  static constexpr uint16_t kConfigAddressPort = 0xcf8;
  static constexpr uint16_t kConfigDataPort = 0xcfc;
  static constexpr uint64_t kEcamBytesPerBus = 1 << 20;
  static constexpr uint32_t kConfigEnable = 0x80000000u;

  struct State {
    uint32_t config_address = 0;
    uint32_t reserved = 0;
    // The INTx output level each device function (bit = devfn) last reported to the bus.
    std::array<uint32_t, 8> intx_levels{};
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>, "no hidden padding");
  static constexpr const char* kName = "pci_bus";

  // `set_pirq` is called when a PIRQ line's level (the OR of every INTx routed to it) changes.
  explicit PciBus(std::function<void(unsigned pirq, bool level)> set_pirq);

  // Places a device function on bus 0. Wiring only; the device's INTx is connected here.
  void attach(unsigned slot, unsigned function, PciDevice* device);
  PciDevice* device(unsigned slot, unsigned function) const;

  // Configuration access by address; absent functions and buses other than 0 read all ones.
  uint32_t config_read(unsigned bus, unsigned devfn, unsigned offset, unsigned size);
  void config_write(unsigned bus, unsigned devfn, unsigned offset, unsigned size, uint32_t value);

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;
  // ECAM: offset = bus << 20 | device << 15 | function << 12 | register.
  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, unsigned size, uint64_t value) override;

  bool pirq_level(unsigned pirq) const { return driven_pirqs_ >> pirq & 1; }

  State save() const { return state_; }
  void restore(const State& s);
  void reset();

 private:
  void intx_changed(unsigned devfn, bool level);
  uint8_t wanted_pirqs() const;
  void update_pirqs();
  // Accesses that may straddle a dword or the end of the space go byte by byte.
  uint32_t read_bytes(unsigned bus, unsigned devfn, unsigned offset, unsigned size, unsigned limit);
  void write_bytes(unsigned bus, unsigned devfn, unsigned offset, unsigned size, uint32_t value,
                   unsigned limit);

  std::array<PciDevice*, 256> devices_{};
  std::function<void(unsigned, bool)> set_pirq_;
  uint8_t driven_pirqs_ = 0;  // wiring-side cache of the PIRQ levels last reported
  State state_;
};

}  // namespace rwd
