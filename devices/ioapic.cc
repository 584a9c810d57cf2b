// SPDX-License-Identifier: MIT
#include "devices/ioapic.h"

#include "base/log.h"

namespace rwd {
namespace {

// Indirect registers (82093AA datasheet §3.2): ID, version, arbitration, redirection table.
constexpr unsigned kRegId = 0x00, kRegVersion = 0x01, kRegArbitration = 0x02,
                   kRegRedirectionFirst = 0x10;
// 24 pins (max redirection entry 0x17 in bits 23:16), version 0x20 (the ICH IOAPIC, which has
// the EOI register).
constexpr uint32_t kVersion = 0x00170020;

// Direct registers: MMIO offset / 16.
constexpr unsigned kMmioIoregsel = 0x0, kMmioIowin = 0x1, kMmioEoi = 0x4;

// Redirection entry fields (82093AA datasheet §3.2.4). Delivery status (bit 12) always reads
// idle because delivery completes within the call; polarity (bit 13) is stored, never used.
constexpr uint64_t kDestinationLogical = 1ull << 11, kRemoteIrr = 1ull << 14,
                   kTriggerLevel = 1ull << 15, kMasked = 1ull << 16;
// Writable: vector, delivery mode, destination mode, polarity, trigger, mask; destination in
// 63:56. Delivery status and remote IRR are read-only.
constexpr uint64_t kEntryWritable = 0xff0000000001afffull;
constexpr uint32_t kModeFixed = 0, kModeLowest = 1;

bool level_triggered(uint64_t entry) {
  return entry & kTriggerLevel;
}

}  // namespace

Ioapic::Ioapic(std::function<void(uint8_t, bool)> deliver,
               std::function<bool(uint8_t, bool)> accepts_destination, uint8_t id)
    : deliver_(std::move(deliver)), accepts_destination_(std::move(accepts_destination)) {
  state_.id = uint32_t(id & 0xf) << 24;
  state_.redirection.fill(kMasked);  // every pin masked after reset
}

void Ioapic::send(unsigned pin) {
  const uint64_t entry = state_.redirection[pin];
  const uint32_t mode = uint32_t(entry >> 8) & 7;
  if (mode != kModeFixed && mode != kModeLowest) {
    REWIND_LOG(kInfo, "ioapic", "pin %u: delivery mode %u not modelled, interrupt dropped", pin,
               mode);
    return;
  }
  const uint8_t destination = uint8_t(entry >> 56);
  const bool logical = entry & kDestinationLogical;
  const bool addressed = accepts_destination_
                             ? accepts_destination_(destination, logical)
                             : (logical || destination == 0 || destination == 0xff);
  if (!addressed) {
    REWIND_LOG(kDebug, "ioapic", "pin %u: destination %#x (%s) addresses no CPU", pin, destination,
               logical ? "logical" : "physical");
    return;
  }
  // Remote IRR is set once the LAPIC has accepted a level-triggered interrupt and is cleared by
  // its EOI (82093AA §3.2.4, bit 14).
  if (level_triggered(entry)) state_.redirection[pin] |= kRemoteIrr;
  if (deliver_) deliver_(uint8_t(entry), level_triggered(entry));
}

void Ioapic::service(unsigned pin) {
  const uint64_t entry = state_.redirection[pin];
  if (!(state_.pin_levels >> pin & 1) || (entry & kMasked)) return;
  if (level_triggered(entry) && (entry & kRemoteIrr)) return;  // waiting for the EOI
  send(pin);
}

void Ioapic::set_irq(unsigned pin, bool level) {
  if (pin >= kPins) {
    REWIND_LOG(kWarn, "ioapic", "set_irq on nonexistent pin %u", pin);
    return;
  }
  // Polarity: the level given here is the *logical* level and the redirection entry's polarity
  // bit (13) is deliberately ignored, as KVM does. OS X programs the polarity bit wrong: it
  // hard-codes ActiveLow, ignoring the ACPI tables; honouring the bit would invert its
  // level-triggered lines and leave them unserviced ("still waiting for root device"). See the
  // seed osx-on-qemu-kvm.txt (Gabriel L. Somlo, "OS X on QEMU/KVM"), on the KVM patch removing
  // `irq_level ^= entry.fields.polarity;` from virt/kvm/ioapic.c.
  const bool old = state_.pin_levels >> pin & 1;
  if (level)
    state_.pin_levels |= 1u << pin;
  else
    state_.pin_levels &= ~(1u << pin);
  const uint64_t entry = state_.redirection[pin];
  if (level_triggered(entry)) {
    service(pin);  // delivered while asserted, once per EOI
  } else if (level && !old) {
    service(pin);  // edge-triggered: the rising edge only; an edge while masked is lost
  }
}

void Ioapic::eoi(uint8_t vector) {
  // Every level entry with this vector clears remote IRR and resamples its input: a line still
  // asserted is delivered again (82801BA ICH2 datasheet §9.5.5).
  for (unsigned pin = 0; pin < kPins; pin++) {
    uint64_t& entry = state_.redirection[pin];
    if (uint8_t(entry) != vector || !(entry & kRemoteIrr)) continue;
    entry &= ~kRemoteIrr;
    if (level_triggered(entry)) service(pin);
  }
}

uint32_t Ioapic::register_value(unsigned index) const {
  switch (index) {
    case kRegId:
      return state_.id;
    case kRegVersion:
      return kVersion;
    case kRegArbitration:
      return state_.id;  // the arbitration ID is loaded from the ID
  }
  if (index >= kRegRedirectionFirst && index < kRegRedirectionFirst + 2 * kPins) {
    const uint64_t entry = state_.redirection[(index - kRegRedirectionFirst) / 2];
    return (index & 1) ? uint32_t(entry >> 32) : uint32_t(entry);
  }
  return 0;
}

void Ioapic::write_register(unsigned index, uint32_t value, uint32_t byte_mask) {
  const uint32_t merged = (register_value(index) & ~byte_mask) | (value & byte_mask);
  if (index == kRegId) {
    state_.id = merged & 0x0f000000;  // 4-bit ID in bits 27:24
    return;
  }
  if (index < kRegRedirectionFirst || index >= kRegRedirectionFirst + 2 * kPins) {
    REWIND_LOG(kDebug, "ioapic", "write to read-only or reserved register %#x ignored", index);
    return;
  }
  const unsigned pin = (index - kRegRedirectionFirst) / 2;
  uint64_t& entry = state_.redirection[pin];
  uint64_t next = (index & 1) ? (entry & 0xffffffffull) | uint64_t(merged) << 32
                              : (entry & 0xffffffff00000000ull) | merged;
  next = (entry & ~kEntryWritable) | (next & kEntryWritable);
  // Remote IRR means nothing for edge-triggered entries; clear it when the guest switches one
  // to edge so a later switch back to level does not start out blocked (KVM does the same).
  if (!level_triggered(next)) next &= ~kRemoteIrr;
  entry = next;
  // An unmasked level-triggered entry whose line is asserted delivers now.
  if (level_triggered(entry)) service(pin);
}

// --- MMIO -------------------------------------------------------------------------------------

// The direct registers are 32 bits wide on 16-byte strides. Other sizes and unaligned accesses
// are served byte by byte (bytes 4-15 of each slot read as 0) so nothing the guest does crashes.
namespace {
uint32_t direct_read(const Ioapic::State& s, unsigned slot, uint32_t iowin) {
  switch (slot) {
    case kMmioIoregsel:
      return s.ioregsel;
    case kMmioIowin:
      return iowin;
  }
  return 0;  // EOI is write-only; the rest is reserved
}
}  // namespace

uint64_t Ioapic::mmio_read(uint64_t offset, unsigned size) {
  offset &= kMmioSize - 1;
  const uint32_t iowin = register_value(state_.ioregsel & 0xff);
  uint64_t result = 0;
  for (unsigned i = 0; i < size; i++) {
    const uint64_t byte_offset = (offset + i) & (kMmioSize - 1);
    if ((byte_offset & 0xf) >= 4) continue;
    const uint32_t v = direct_read(state_, unsigned(byte_offset >> 4), iowin);
    result |= uint64_t((v >> (8 * (byte_offset & 3))) & 0xff) << (8 * i);
  }
  return result;
}

void Ioapic::mmio_write(uint64_t offset, unsigned size, uint64_t value) {
  offset &= kMmioSize - 1;
  unsigned i = 0;
  while (i < size) {
    const unsigned slot = unsigned(((offset + i) & (kMmioSize - 1)) >> 4);
    uint32_t v = 0, mask = 0;
    for (; i < size && unsigned(((offset + i) & (kMmioSize - 1)) >> 4) == slot; i++) {
      const unsigned b = unsigned((offset + i) & 0xf);
      if (b >= 4) continue;
      v |= uint32_t((value >> (8 * i)) & 0xff) << (8 * b);
      mask |= 0xffu << (8 * b);
    }
    if (!mask) continue;
    switch (slot) {
      case kMmioIoregsel:
        state_.ioregsel = ((state_.ioregsel & ~mask) | (v & mask)) & 0xff;
        break;
      case kMmioIowin:
        write_register(state_.ioregsel & 0xff, v, mask);
        break;
      case kMmioEoi:
        if (mask & 0xff) eoi(uint8_t(v));
        break;
      default:
        REWIND_LOG(kDebug, "ioapic", "write to reserved offset %#x ignored", slot << 4);
        break;
    }
  }
}

}  // namespace rwd
