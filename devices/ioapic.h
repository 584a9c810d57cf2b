// SPDX-License-Identifier: MIT
// I/O APIC (Intel 82093AA datasheet; the register file of the ICH/PIIX IOAPIC, version 0x20),
// at 0xFEC00000: IOREGSEL at offset 0x00 selects a register, IOWIN at 0x10 reads/writes it, and
// the version-0x20 EOI register at 0x40 clears remote IRR for a vector (EOIR, Intel 82801BA ICH2
// datasheet §9.5.5). 24 input pins, one 64-bit redirection entry each.
//
// Line levels are *logical* levels (1 = asserted) and the polarity bit is stored but ignored —
// see set_irq() for why.
//
// Wiring (given by the Machine; not in the State):
//
//   Ioapic ioapic(
//       /*deliver=*/[&](uint8_t vector, bool level) { lapic.accept(vector, level); },
//       /*accepts_destination=*/[&](uint8_t dest, bool logical) {
//         return lapic.accepts_destination(dest, logical);
//       },
//       /*id=*/0);
//   mmio.map(Ioapic::kDefaultBase, Ioapic::kMmioSize, &ioapic, "ioapic");
//   device interrupt outputs → ioapic.set_irq(pin, level)
//   Lapic::Wiring::eoi_broadcast → ioapic.eoi(vector)
//
// `accepts_destination` may be empty: then physical destination 0 or 0xFF and any logical
// destination reach the one CPU.
//
// Not modelled: NMI, SMI, INIT and ExtINT delivery modes (logged and dropped — the 8259 reaches
// the CPU through the LAPIC's LINT0 instead), more than one CPU (lowest priority = fixed).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "devices/bus.h"

namespace rwd {

class Ioapic : public MmioHandler {
 public:
  static constexpr uint64_t kDefaultBase = 0xfec00000;
  static constexpr uint64_t kMmioSize = 0x1000;
  static constexpr unsigned kPins = 24;

  struct State {
    std::array<uint64_t, kPins> redirection{};  // reset: masked (set in the constructor)
    uint32_t id = 0;                            // register form: ID in bits 27:24
    uint32_t ioregsel = 0;
    uint32_t pin_levels = 0;  // logical input levels, bit per pin
    uint32_t pad = 0;         // explicit, so State bytes compare exactly
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>, "no hidden padding");

  Ioapic(std::function<void(uint8_t vector, bool level_triggered)> deliver,
         std::function<bool(uint8_t destination, bool logical)> accepts_destination = nullptr,
         uint8_t id = 0);

  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, unsigned size, uint64_t value) override;

  // Input pin `pin` now has logical level `level` (1 = asserted).
  void set_irq(unsigned pin, bool level);
  // The LAPIC's EOI broadcast for a level-triggered vector.
  void eoi(uint8_t vector);

  uint64_t redirection_entry(unsigned pin) const { return state_.redirection[pin]; }

  State save() const { return state_; }
  // Delivery is message-based, so there are no outputs to re-derive: a level interrupt in
  // flight is remembered in remote IRR here and in the LAPIC's IRR/ISR there.
  void restore(const State& s) { state_ = s; }
  static constexpr const char* kName = "ioapic";

 private:
  uint32_t register_value(unsigned index) const;
  void write_register(unsigned index, uint32_t value, uint32_t byte_mask);
  // Sends pin's interrupt if it is asserted and deliverable (level: remote IRR clear).
  void service(unsigned pin);
  void send(unsigned pin);

  std::function<void(uint8_t, bool)> deliver_;
  std::function<bool(uint8_t, bool)> accepts_destination_;
  State state_;
};

}  // namespace rwd
