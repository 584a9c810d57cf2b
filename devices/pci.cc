// SPDX-License-Identifier: MIT
#include "devices/pci.h"

#include <bit>

#include "base/check.h"
#include "base/log.h"

namespace rwd {

// --- PciDevice ---------------------------------------------------------------------------------

PciDevice::PciDevice(const Identity& id) {
  set_initial(kVendorId, 2, id.vendor_id);
  set_initial(kDeviceId, 2, id.device_id);
  set_initial(kRevision, 1, id.revision);
  set_initial(kClassCode, 3, id.class_code);
  set_initial(kSubsystemVendorId, 2, id.subsystem_vendor_id);
  set_initial(kSubsystemId, 2, id.subsystem_id);
  set_initial(kInterruptPin, 1, id.interrupt_pin);
  // Header type 0 (§6.2.1); the bus adds the multi-function bit when it sees other functions.
  set_initial(kHeaderType, 1, 0x00);
  // QEMU's writable COMMAND bits: I/O, memory, bus master, interrupt disable. The rest are
  // hardwired 0 for a device that implements none of them (§6.2.2).
  set_writable(kCommand, 2, kCommandIo | kCommandMemory | kCommandBusMaster | kCommandIntxDisable);
  // STATUS error bits are write-1-to-clear (§6.2.3): master data parity error (8), signaled /
  // received target abort, received master abort, signaled system error, detected parity error.
  set_write_one_to_clear(kStatus, 2, 0xf900);
  set_writable(kCacheLineSize, 1, 0xff);
  set_writable(kLatencyTimer, 1, 0xff);
  set_writable(kInterruptLine, 1, 0xff);  // scratch for software (§6.2.4)
}

uint32_t PciDevice::get(unsigned offset, unsigned size) const {
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++)
    if (offset + i < kConfigSize) v |= uint32_t(config_[offset + i]) << (8 * i);
  return v;
}

void PciDevice::set(unsigned offset, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; i++)
    if (offset + i < kConfigSize) config_[offset + i] = uint8_t(value >> (8 * i));
}

void PciDevice::set_initial(unsigned offset, unsigned size, uint32_t value) {
  REWIND_CHECK(offset + size <= kConfigSize);
  set(offset, size, value);
  for (unsigned i = 0; i < size; i++) power_on_[offset + i] = uint8_t(value >> (8 * i));
}

void PciDevice::set_writable(unsigned offset, unsigned size, uint32_t mask) {
  REWIND_CHECK(offset + size <= kConfigSize);
  for (unsigned i = 0; i < size; i++) writable_[offset + i] = uint8_t(mask >> (8 * i));
}

void PciDevice::set_write_one_to_clear(unsigned offset, unsigned size, uint32_t mask) {
  REWIND_CHECK(offset + size <= kConfigSize);
  for (unsigned i = 0; i < size; i++) write_clear_[offset + i] = uint8_t(mask >> (8 * i));
}

void PciDevice::declare_bar(unsigned bar, BarKind kind, uint64_t size, bool prefetchable) {
  REWIND_CHECK(bar < kBars && kind != BarKind::kNone && std::has_single_bit(size));
  REWIND_CHECK(kind != BarKind::kMem64 || bar + 1 < kBars);
  const unsigned offset = kBar0 + 4 * bar;
  bar_kind_[bar] = kind;
  bar_size_[bar] = size;
  bar_prefetchable_[bar] = prefetchable && kind != BarKind::kIo;
  // §6.2.5.1: the low bits say what the BAR is and are read-only; the address bits below the
  // size are hardwired 0, which is what makes writing all ones return the size.
  switch (kind) {
    case BarKind::kIo:
      REWIND_CHECK(size >= 4);
      set_initial(offset, 4, 0x1);
      set_writable(offset, 4, uint32_t(~(size - 1)) & ~3u);
      break;
    case BarKind::kMem32:
      REWIND_CHECK(size >= 16 && size <= (1ull << 31));
      set_initial(offset, 4, prefetchable ? 0x8 : 0x0);
      set_writable(offset, 4, uint32_t(~(size - 1)) & ~0xfu);
      break;
    case BarKind::kMem64: {
      REWIND_CHECK(size >= 16);
      const uint64_t mask = ~(size - 1) & ~0xfull;
      set_initial(offset, 4, 0x4 | (prefetchable ? 0x8 : 0x0));
      set_initial(offset + 4, 4, 0);
      set_writable(offset, 4, uint32_t(mask));
      set_writable(offset + 4, 4, uint32_t(mask >> 32));
      bar_kind_[bar + 1] = BarKind::kNone;  // the upper half belongs to `bar`
      break;
    }
    case BarKind::kNone:
      break;
  }
  reported_[bar] = bar_mapping(bar);
}

void PciDevice::add_capability(uint8_t offset, uint8_t id, uint8_t length) {
  REWIND_CHECK(offset >= 0x40 && (offset & 3) == 0 && offset + length <= kConfigSize);
  // New capabilities go at the head of the list; order does not matter to software.
  set_initial(offset, 1, id);
  set_initial(offset + 1, 1, config_[kCapabilitiesPointer]);
  set_initial(kCapabilitiesPointer, 1, offset);
  set_initial(kStatus, 2, get(kStatus, 2) | kStatusCapabilities);
}

uint32_t PciDevice::config_read(unsigned offset, unsigned size) const {
  return get(offset, size);  // bytes beyond the 256-byte space read 0
}

void PciDevice::config_write(unsigned offset, unsigned size, uint32_t value) {
  if (offset >= kConfigSize) return;  // PCIe extended space: nothing implemented
  for (unsigned i = 0; i < size && offset + i < kConfigSize; i++) {
    const unsigned o = offset + i;
    const uint8_t b = uint8_t(value >> (8 * i));
    uint8_t v = uint8_t((config_[o] & ~writable_[o]) | (b & writable_[o]));
    v &= uint8_t(~(b & write_clear_[o]));
    config_[o] = v;
  }
  if (overlaps(offset, size, kCommand, 2) || overlaps(offset, size, kBar0, 4 * kBars))
    update_mappings(false);
  if (overlaps(offset, size, kCommand, 2)) update_intx();
  config_written(offset, size);
}

PciDevice::BarMapping PciDevice::bar_mapping(unsigned bar) const {
  BarMapping m;
  if (bar >= kBars || bar_kind_[bar] == BarKind::kNone) return m;
  m.kind = bar_kind_[bar];
  m.size = bar_size_[bar];
  m.prefetchable = bar_prefetchable_[bar];
  const unsigned offset = kBar0 + 4 * bar;
  const uint16_t command = uint16_t(get(kCommand, 2));
  uint64_t limit;  // highest usable last byte
  bool enabled;
  switch (m.kind) {
    case BarKind::kIo:
      m.base = get(offset, 4) & ~3u & ~(m.size - 1);
      enabled = command & kCommandIo;
      limit = 0xfffe;
      break;
    case BarKind::kMem32:
      m.base = get(offset, 4) & ~0xfu & ~(m.size - 1);
      enabled = command & kCommandMemory;
      limit = 0xfffffffe;
      break;
    default:
      m.base = get64(offset) & ~0xfull & ~(m.size - 1);
      enabled = command & kCommandMemory;
      limit = ~0ull - 1;
      break;
  }
  const uint64_t last = m.base + m.size - 1;
  // Address 0 is where software parks a BAR it does not use; decoding it would shadow the
  // interrupt vector table or the DMA controller's ports.
  m.mapped = enabled && m.base != 0 && last > m.base && last <= limit;
  return m;
}

void PciDevice::update_mappings(bool report_all) {
  for (unsigned bar = 0; bar < kBars; bar++) {
    if (bar_kind_[bar] == BarKind::kNone) continue;
    const BarMapping m = bar_mapping(bar);
    // Only decoding changes matter to the Machine: an unmapped BAR's address is not reported
    // while software sizes or moves it with decoding off.
    const BarMapping& old = reported_[bar];
    const bool same = m.mapped == old.mapped && (!m.mapped || m.base == old.base);
    if (!report_all && same) continue;
    reported_[bar] = m;
    if (bar_changed_) bar_changed_(bar, m);
  }
}

bool PciDevice::intx_wanted() const {
  const uint16_t status = uint16_t(get(kStatus, 2)), command = uint16_t(get(kCommand, 2));
  return interrupt_pin() != 0 && (status & kStatusInterrupt) && !(command & kCommandIntxDisable);
}

bool PciDevice::intx_output() const {
  return intx_driven_;
}

void PciDevice::update_intx() {
  const bool wanted = intx_wanted();
  if (wanted == intx_driven_) return;
  intx_driven_ = wanted;
  if (intx_sink_) intx_sink_(wanted);
}

void PciDevice::set_intx(bool level) {
  const uint16_t status = uint16_t(get(kStatus, 2));
  set(kStatus, 2, level ? status | kStatusInterrupt : status & ~kStatusInterrupt);
  update_intx();
}

void PciDevice::restore_config(const ConfigBytes& bytes) {
  config_ = bytes;
  intx_driven_ = intx_wanted();
  update_mappings(true);
}

void PciDevice::reset_config() {
  config_ = power_on_;
  update_mappings(false);
  update_intx();
}

// --- PciBus ------------------------------------------------------------------------------------

PciBus::PciBus(std::function<void(unsigned pirq, bool level)> set_pirq)
    : set_pirq_(std::move(set_pirq)) {}

void PciBus::attach(unsigned slot, unsigned function, PciDevice* device) {
  REWIND_CHECK(slot < 32 && function < 8 && device);
  const unsigned devfn = slot << 3 | function;
  REWIND_CHECK_MSG(!devices_[devfn], "two PCI functions at one address");
  devices_[devfn] = device;
  device->intx_sink_ = [this, devfn](bool level) { intx_changed(devfn, level); };
  if (device->intx_output()) intx_changed(devfn, true);
}

PciDevice* PciBus::device(unsigned slot, unsigned function) const {
  if (slot >= 32 || function >= 8) return nullptr;
  return devices_[slot << 3 | function];
}

uint32_t PciBus::config_read(unsigned bus, unsigned devfn, unsigned offset, unsigned size) {
  const uint32_t ones = size >= 4 ? ~0u : (1u << (8 * size)) - 1;
  PciDevice* dev = bus == 0 && devfn < 256 ? devices_[devfn] : nullptr;
  // PCI 3.0 §6.1: reads of an absent function end in a master abort, which returns all ones
  // (vendor ID 0xFFFF is how software finds empty slots).
  if (!dev) return ones;
  uint32_t v = dev->config_read(offset, size);
  // Header Type bit 7 (§6.2.1): function 0 of a slot with other functions is multi-function.
  if ((devfn & 7) == 0 && offset <= PciDevice::kHeaderType &&
      PciDevice::kHeaderType < offset + size) {
    for (unsigned f = 1; f < 8; f++)
      if (devices_[devfn | f]) v |= 0x80u << (8 * (PciDevice::kHeaderType - offset));
  }
  return v;
}

void PciBus::config_write(unsigned bus, unsigned devfn, unsigned offset, unsigned size,
                          uint32_t value) {
  PciDevice* dev = bus == 0 && devfn < 256 ? devices_[devfn] : nullptr;
  if (!dev) return;  // master abort: the write is dropped
  dev->config_write(offset, size, value);
}

uint32_t PciBus::read_bytes(unsigned bus, unsigned devfn, unsigned offset, unsigned size,
                            unsigned limit) {
  if ((offset & (size - 1)) == 0 && offset + size <= limit)
    return config_read(bus, devfn, offset, size);
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++) {
    // Bytes beyond the space float (QEMU clips the access at the end of the space).
    const uint32_t b = offset + i < limit ? config_read(bus, devfn, offset + i, 1) : 0xff;
    v |= b << (8 * i);
  }
  return v;
}

void PciBus::write_bytes(unsigned bus, unsigned devfn, unsigned offset, unsigned size,
                         uint32_t value, unsigned limit) {
  if ((offset & (size - 1)) == 0 && offset + size <= limit) {
    config_write(bus, devfn, offset, size, value);
    return;
  }
  for (unsigned i = 0; i < size && offset + i < limit; i++)
    config_write(bus, devfn, offset + i, 1, uint8_t(value >> (8 * i)));
}

uint32_t PciBus::port_read(uint16_t port, unsigned size) {
  const uint32_t ones = size >= 4 ? ~0u : (1u << (8 * size)) - 1;
  if (port >= kConfigAddressPort && port < kConfigDataPort) {
    // CONFIG_ADDRESS answers only whole-dword accesses at 0xCF8 (§3.2.2.3.2); anything else in
    // 0xCF8-0xCFB is not this register.
    if (port == kConfigAddressPort && size == 4) return state_.config_address;
    return ones;
  }
  if (port < kConfigDataPort || port > kConfigDataPort + 3) return ones;
  const uint32_t address = state_.config_address;
  if (!(address & kConfigEnable)) return ones;  // not a configuration cycle
  const unsigned bus = address >> 16 & 0xff, devfn = address >> 8 & 0xff;
  const unsigned offset = (address & 0xfc) + (port & 3);
  return read_bytes(bus, devfn, offset, size, PciDevice::kConfigSize);
}

void PciBus::port_write(uint16_t port, unsigned size, uint32_t value) {
  if (port >= kConfigAddressPort && port < kConfigDataPort) {
    if (port == kConfigAddressPort && size == 4) {
      // Bits 30:24 are reserved and bits 1:0 read-only 0 (§3.2.2.3.2). Linux's type-1 probe
      // writes 0x80000000 and expects to read it back.
      state_.config_address = value & 0x80fffffcu;
    } else {
      REWIND_LOG(kDebug, "pci", "%u-byte write of %#x to port %#x ignored", size, value, port);
    }
    return;
  }
  if (port < kConfigDataPort || port > kConfigDataPort + 3) return;
  const uint32_t address = state_.config_address;
  if (!(address & kConfigEnable)) return;
  const unsigned bus = address >> 16 & 0xff, devfn = address >> 8 & 0xff;
  const unsigned offset = (address & 0xfc) + (port & 3);
  write_bytes(bus, devfn, offset, size, value, PciDevice::kConfigSize);
}

uint64_t PciBus::mmio_read(uint64_t offset, unsigned size) {
  const unsigned bus = unsigned(offset >> 20 & 0xff), devfn = unsigned(offset >> 12 & 0xff);
  const unsigned reg = unsigned(offset & 0xfff);
  if (size == 8) {
    // PCIe §7.2.2: ECAM accesses wider than a dword are not required; answer as two dwords.
    return read_bytes(bus, devfn, reg, 4, PciDevice::kExtendedConfigSize) |
           uint64_t(read_bytes(bus, devfn, reg + 4, 4, PciDevice::kExtendedConfigSize)) << 32;
  }
  return read_bytes(bus, devfn, reg, size, PciDevice::kExtendedConfigSize);
}

void PciBus::mmio_write(uint64_t offset, unsigned size, uint64_t value) {
  const unsigned bus = unsigned(offset >> 20 & 0xff), devfn = unsigned(offset >> 12 & 0xff);
  const unsigned reg = unsigned(offset & 0xfff);
  if (size == 8) {
    write_bytes(bus, devfn, reg, 4, uint32_t(value), PciDevice::kExtendedConfigSize);
    write_bytes(bus, devfn, reg + 4, 4, uint32_t(value >> 32), PciDevice::kExtendedConfigSize);
    return;
  }
  write_bytes(bus, devfn, reg, size, uint32_t(value), PciDevice::kExtendedConfigSize);
}

void PciBus::intx_changed(unsigned devfn, bool level) {
  uint32_t& word = state_.intx_levels[devfn / 32];
  const uint32_t bit = 1u << (devfn % 32);
  word = level ? word | bit : word & ~bit;
  update_pirqs();
}

uint8_t PciBus::wanted_pirqs() const {
  uint8_t pirqs = 0;
  for (unsigned devfn = 0; devfn < 256; devfn++) {
    if (!(state_.intx_levels[devfn / 32] >> (devfn % 32) & 1) || !devices_[devfn]) continue;
    const unsigned pin = devices_[devfn]->interrupt_pin();
    if (pin < 1 || pin > 4) continue;
    pirqs |= uint8_t(1u << pirq_for(devfn >> 3, pin - 1));  // several devices on a PIRQ: OR
  }
  return pirqs;
}

void PciBus::update_pirqs() {
  const uint8_t wanted = wanted_pirqs();
  const uint8_t changed = wanted ^ driven_pirqs_;
  driven_pirqs_ = wanted;
  for (unsigned pirq = 0; pirq < kPirqCount; pirq++)
    if ((changed >> pirq & 1) && set_pirq_) set_pirq_(pirq, wanted >> pirq & 1);
}

void PciBus::restore(const State& s) {
  state_ = s;
  driven_pirqs_ = wanted_pirqs();  // the LPC bridge's own State holds what it saw
}

void PciBus::reset() {
  // Devices reset themselves and deassert their INTx through intx_changed.
  state_.config_address = 0;
}

}  // namespace rwd
