// SPDX-License-Identifier: MIT
// Local APIC in xAPIC mode (Intel SDM Vol. 3A Chapter 11 "Advanced Programmable Interrupt
// Controller"), one per vCPU, 4 KiB of MMIO at IA32_APIC_BASE (0xFEE00000 after reset).
//
// Version register 0x00050014: version 0x14 with max LVT entry 5 (timer, thermal, perf, LINT0,
// LINT1, error; no CMCI). 0x14 rather than QEMU's old 0x11 because XNU asserts on older
// versions (seed puredarwin-on-qemu.txt, "apic version 14").
//
// Time: the timer's input clock is the 1 GHz virtual bus (1 tick = 1 virtual ns) divided by the
// divide configuration register; the current count is computed from virtual time, never stored
// as a ticking value. TSC-deadline mode compares against the guest TSC (virtual ns plus the
// CPU's IA32_TSC_ADJUST, supplied by `tsc_offset`).
//
// Wiring (all given by the Machine; none of it is in the State):
//
//   Lapic lapic(Lapic::Wiring{
//       .apic_id = 0,
//       .clock = &clock,
//       .timer = clock.add_timer("lapic-timer", [&] { lapic->timer_expired(); }),
//       .intr = IrqLine([&](bool level) { cpu.set_interrupt_line(level); }),
//       .pic_acknowledge = [&] { return pic.acknowledge(); },      // INTA for ExtINT (LINT0)
//       .eoi_broadcast = [&](uint8_t vector) { ioapic.eoi(vector); },
//       .nmi = [&] { /* NMI to the CPU */ },                      // optional
//       .tsc_offset = [&] { return cpu.state.tsc_adjust; },      // optional, default 0
//   });
//   mmio.map(lapic.mmio_base(), Lapic::kMmioSize, &lapic, "lapic");
//   pic INTR output   → lapic.lint0(level)       (virtual-wire mode, ExtINT)
//   CpuHost::acknowledge_interrupt()  → lapic.acknowledge()
//   CpuHost::write_device_msr(0x6e0) → lapic.write_msr(); read likewise with read_msr()
//   CpuHost::write_device_msr(0x1b)  → lapic.set_base_msr(value), then return false so the CPU
//       keeps IA32_APIC_BASE in CpuState; afterwards remap the MMIO at mmio_base() (unmap when
//       !hardware_enabled()). After restore() the Machine remaps likewise.
//   IOAPIC / MSI delivery → lapic.accept(vector, level_triggered); the IOAPIC's destination
//       filter may use lapic.accepts_destination().
//
// Not modelled: x2APIC, other CPUs (INIT/SIPI/IPIs to other APIC IDs are logged and dropped),
// SMI, thermal and performance-counter events (their LVTs are registers only), remote read,
// focus-processor checking, EOI-broadcast suppression (version bit 24 is clear).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "devices/bus.h"
#include "devices/device.h"
#include "replay/clock.h"

namespace rwd {

class Lapic : public MmioHandler {
 public:
  static constexpr uint64_t kDefaultBase = 0xfee00000;
  static constexpr uint64_t kMmioSize = 0x1000;
  static constexpr uint32_t kTscDeadlineMsr = 0x6e0;
  // IA32_APIC_BASE bits (SDM Vol. 3A §11.4.4, Figure 11-5): BSP flag, global enable, base.
  static constexpr uint64_t kBaseBsp = 1ull << 8, kBaseEnable = 1ull << 11;
  static constexpr uint64_t kBaseAddressMask = 0x0000000ffffff000ull;  // MAXPHYADDR 36

  // LVT indices, in register order 0x320..0x370 (SDM Vol. 3A §11.5.1, Figure 11-8).
  enum Lvt : unsigned {
    kLvtTimer,
    kLvtThermal,
    kLvtPerf,
    kLvtLint0,
    kLvtLint1,
    kLvtError,
    kLvtCount
  };

  struct State {
    uint64_t base_msr = kDefaultBase | kBaseBsp | kBaseEnable;
    uint64_t timer_start_ns = 0;          // virtual time the current count was (re)loaded
    uint64_t timer_deadline_ns = kNever;  // the clock timer's armed deadline
    uint64_t tsc_deadline = 0;            // IA32_TSC_DEADLINE (guest TSC units), 0 = disarmed
    uint32_t id = 0;                      // register form: APIC ID in bits 31:24
    uint32_t tpr = 0;
    uint32_t ldr = 0;
    uint32_t dfr = 0xffffffff;
    uint32_t svr = 0xff;  // software-disabled after reset
    std::array<uint32_t, 8> isr{}, tmr{}, irr{};
    uint32_t esr = 0;          // the value reads return (latched by the last write)
    uint32_t esr_pending = 0;  // errors detected since the last ESR write
    uint32_t icr_low = 0, icr_high = 0;
    std::array<uint32_t, kLvtCount> lvt{};
    uint32_t initial_count = 0;
    uint32_t divide_config = 0;
    uint8_t lint0_level = 0, lint1_level = 0;
    uint8_t pad[2] = {};  // explicit, so State bytes compare deterministically
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>, "no hidden padding");

  struct Wiring {
    uint8_t apic_id = 0;
    Clock* clock = nullptr;
    Clock::TimerId timer = 0;
    IrqLine intr{};                                       // the CPU's INTR input
    std::function<int()> pic_acknowledge{};               // 8259 INTA: vector, or -1 if none
    std::function<void(uint8_t vector)> eoi_broadcast{};  // EOI of a level-triggered vector
    std::function<void()> nmi{};                          // NMI to the CPU (optional)
    std::function<uint64_t()> tsc_offset{};               // guest TSC - virtual ns (optional)
  };

  explicit Lapic(Wiring wiring);

  // MmioHandler: offsets relative to mmio_base().
  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, unsigned size, uint64_t value) override;

  // IA32_APIC_BASE was written (SDM Vol. 3A §11.4.4). Clearing the global enable bit disables
  // the APIC (software-disables it too, so re-enabling needs the SVR written again).
  void set_base_msr(uint64_t value);
  uint64_t base_msr() const { return state_.base_msr; }
  uint64_t mmio_base() const { return state_.base_msr & kBaseAddressMask; }
  bool hardware_enabled() const { return state_.base_msr & kBaseEnable; }
  bool software_enabled() const { return state_.svr & 0x100; }

  // Device MSRs: IA32_TSC_DEADLINE only. Return false for any other index.
  bool read_msr(uint32_t index, uint64_t* value) const;
  bool write_msr(uint32_t index, uint64_t value);

  // An interrupt message from the IOAPIC or an MSI (fixed / lowest-priority delivery).
  void accept(uint8_t vector, bool level_triggered);
  // Whether a message with this destination addresses this APIC (SDM Vol. 3A §11.6.2).
  bool accepts_destination(uint8_t destination, bool logical) const;
  // The local interrupt pins: the 8259's INTR on LINT0, NMI on LINT1.
  void lint0(bool level);
  void lint1(bool level);
  // The CPU's INTA cycle: moves the highest deliverable IRR vector to the ISR and returns it,
  // or forwards to the 8259 when the request is its ExtINT. -1 when nothing is pending.
  int acknowledge();
  // The clock timer registered for this APIC fired.
  void timer_expired();

  // CR8 is an alias of TPR[7:4] (SDM Vol. 3A §11.8.6); the Machine may relay MOV CR8 here.
  // The value is the whole 8-bit TPR: set_task_priority(cr8 << 4), cr8 = task_priority() >> 4.
  uint8_t task_priority() const { return uint8_t(state_.tpr); }
  void set_task_priority(uint8_t tpr);

  // Read-only views for tests and debuggers.
  uint32_t current_count() const;
  uint8_t processor_priority() const;
  bool intr_asserted() const { return wiring_.intr.level(); }

  State save() const { return state_; }
  void restore(const State& s);
  static constexpr const char* kName = "lapic";

 private:
  enum class TimerMode { kOneShot, kPeriodic, kTscDeadline, kReserved };

  uint32_t register_value(unsigned index, bool* valid) const;
  void write_register(unsigned index, uint32_t value, uint32_t byte_mask);
  void write_lvt(unsigned lvt, uint32_t value);
  void send_ipi();
  void end_of_interrupt();
  void signal_error(uint32_t bits);
  // Delivers the local interrupt of `lvt` as its delivery mode says.
  void deliver_local(unsigned lvt);
  void lint_changed(unsigned lvt, bool old_level, bool new_level);
  void accept_internal(uint8_t vector, bool level_triggered);

  TimerMode timer_mode() const;
  uint32_t timer_divisor() const;
  void schedule_timer();
  uint64_t tsc_offset() const { return wiring_.tsc_offset ? wiring_.tsc_offset() : 0; }

  int highest_irr() const;
  int highest_isr() const;
  int deliverable_vector() const;
  bool pic_passthrough() const;
  void update_intr();

  Wiring wiring_;
  State state_;
};

}  // namespace rwd
