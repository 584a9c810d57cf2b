// SPDX-License-Identifier: MIT
// The Q35 chipset as QEMU's `-machine q35` presents it: the MCH host bridge at 00:00.0
// (Intel 3 Series Express Chipset Family datasheet, "82Q35 GMCH"), the ICH9 LPC bridge at
// 00:1F.0 with its PIRQ router (Intel I/O Controller Hub 9 datasheet §13.1), the ACPI power
// management I/O block at PMBASE (ICH9 §13.8.3, ACPI 6.5 §4.8) and the reset control register
// at 0xCF9 (ICH9 §13.7.5).
//
// Wiring (given by the Machine; not in any State):
//
//   Q35Host mch(/*low_ram_end=*/below_4g_ram,
//               /*ecam_changed=*/[&](const Q35Host::EcamWindow& w) {
//                 mmio.unmap(&pci);
//                 if (w.enabled) mmio.map(w.base, w.size, &pci, "pci_ecam");
//               });
//   Ich9Lpc lpc(Ich9Lpc::Wiring{
//       .set_ioapic_pin = [&](unsigned pin, bool level) { ioapic.set_irq(pin, level); },
//       .set_isa_irq = [&](unsigned irq, bool level) { pic.set_irq(irq, level); },
//       .pm_io_changed = [&](bool enabled, uint16_t base) {
//         /* unmap the PM block; if enabled: ports.map(base, AcpiPm::kIoSize, &pm, "acpi_pm") */
//       },
//   });
//   AcpiPm pm(AcpiPm::Wiring{
//       .clock = &clock,
//       .timer = clock.add_timer("acpi_pm_timer", [&] { pm.timer_expired(); }),
//       .sci = IrqLine([&](bool level) { lpc.set_sci(level); }),
//       .power_off = [&] { /* end the run: Outcome::kPowerOff */ },
//   });
//   ResetControl reset_control([&] { /* reset the machine */ });
//   ports.map(ResetControl::kPort, 1, &reset_control, "reset_control");
//   pci.attach(Q35Host::kSlot, 0, &mch);
//   pci.attach(Ich9Lpc::kSlot, 0, &lpc);
//   // Without firmware (direct kernel boot) the Machine does what SeaBIOS would:
//   mch.enable_ecam(Q35Host::kEcamDefaultBase);
//   lpc.enable_pm_io(AcpiPm::kDefaultBase);
//
// Interrupts, as in QEMU's ich9_lpc: PIRQA..H always drive IOAPIC pins 16..23; a PIRQ whose
// PIRQx_ROUT register is enabled also drives that 8259 input (several PIRQs on one IRQ are
// ORed). The SCI enters the LPC bridge (set_sci), which drives the IRQ selected by ACPI_CNTL
// (9 at reset) on both the IOAPIC and, below 16, the 8259, ORed with any PIRQ routed there.
// PCI interrupts are level-triggered: the guest marks their 8259 inputs level in the ELCR. No
// other standard PC device uses IRQs 9-11, so the ISA outputs need no further ORing.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "devices/bus.h"
#include "devices/device.h"
#include "devices/pci.h"
#include "replay/clock.h"

namespace rwd {

// --- MCH host bridge, 00:00.0 ------------------------------------------------------------------
//
// Registers (3 Series datasheet, D0:F0 registers; QEMU include/hw/pci-host/q35.h): PCIEXBAR (0x60)
// moves and enables ECAM; PAM0-6 (0x90-0x96), SMRAM (0x9D) and ESMRAMC (0x9E) are plain storage
// (ROM shadowing and SMRAM are not modelled: the BIOS area is always RAM); TOLUD (0xB0)
// reports the end of RAM below 4 GiB and is read-only.
class Q35Host : public PciDevice {
 public:
  static constexpr unsigned kSlot = 0;
  static constexpr uint64_t kEcamDefaultBase = 0xb0000000;    // QEMU's PCIEXBAR default
  static constexpr uint64_t kEcamDefaultSize = 256ull << 20;  // 256 buses
  static constexpr unsigned kPciexbar = 0x60, kPam0 = 0x90, kSmram = 0x9d, kEsmramc = 0x9e,
                            kTolud = 0xb0;

  struct EcamWindow {
    bool enabled = false;
    uint64_t base = 0;
    uint64_t size = 0;
    unsigned buses() const { return unsigned(size >> 20); }
    bool operator==(const EcamWindow&) const = default;
  };
  struct State {
    ConfigBytes config{};
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>, "no hidden padding");
  static constexpr const char* kName = "q35_mch";

  // `low_ram_end`: the end of RAM below 4 GiB (TOLUD, rounded down to 1 MiB). `ecam_changed` is
  // called whenever the ECAM window moves, is enabled or disabled, and once from restore().
  Q35Host(uint64_t low_ram_end, std::function<void(const EcamWindow&)> ecam_changed);

  EcamWindow ecam() const;
  // What firmware does (SeaBIOS mch_mmconfig_setup): PCIEXBAR = base, 256 MiB, enabled.
  void enable_ecam(uint64_t base);

  State save() const { return State{config_bytes()}; }
  void restore(const State& s);
  void reset();

 protected:
  void config_written(unsigned offset, unsigned size) override;

 private:
  void report_ecam(bool force);
  std::function<void(const EcamWindow&)> ecam_changed_;
  EcamWindow reported_;
};

// --- ICH9 LPC bridge, 00:1F.0 ------------------------------------------------------------------
//
// Registers (ICH9 datasheet §13.1): PMBASE (0x40; bits 15:7, 128-byte I/O block) and ACPI_CNTL
// (0x44; bit 7 ACPI_EN, bits 2:0 SCI_IRQ_SEL) place the PM block; PIRQA-D_ROUT (0x60-0x63) and
// PIRQE-H_ROUT (0x68-0x6B): bit 7 IRQEN (1 = not routed to the 8259), bits 3:0 the ISA IRQ.
// GPIOBASE, GC, LPC_IO_DEC, LPC_EN, GENx_DEC, GEN_PMCON_1-3 and RCBA are storage only (no GPIO
// block, no chipset-configuration MMIO).
class Ich9Lpc : public PciDevice {
 public:
  static constexpr unsigned kSlot = 31;
  static constexpr unsigned kPmBase = 0x40, kAcpiCntl = 0x44, kGpioBase = 0x48, kGc = 0x4c,
                            kPirqARout = 0x60, kPirqERout = 0x68, kLpcIoDec = 0x80, kLpcEn = 0x82,
                            kGen1Dec = 0x84, kGenPmcon1 = 0xa0, kGenPmcon2 = 0xa2,
                            kGenPmcon3 = 0xa4, kGenPmconLock = 0xa6, kRcba = 0xf0;
  static constexpr uint8_t kAcpiEnable = 0x80;        // ACPI_CNTL.ACPI_EN
  static constexpr uint8_t kPirqRouteDisable = 0x80;  // PIRQx_ROUT.IRQEN

  struct State {
    ConfigBytes config{};
    uint8_t pirq_levels = 0;  // input: PIRQ line levels from the PCI bus, bit per PIRQ
    uint8_t sci_level = 0;    // input: the PM block's SCI
    uint8_t reserved[2] = {};
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>, "no hidden padding");
  static constexpr const char* kName = "ich9_lpc";

  struct Wiring {
    std::function<void(unsigned ioapic_pin, bool level)> set_ioapic_pin{};
    std::function<void(unsigned isa_irq, bool level)> set_isa_irq{};  // the 8259 inputs
    // The PM I/O block's decode changed; also called once from restore().
    std::function<void(bool enabled, uint16_t base)> pm_io_changed{};
  };
  explicit Ich9Lpc(Wiring wiring);

  // Inputs.
  void set_pirq(unsigned pirq, bool level);
  void set_sci(bool level);

  // The 8259 IRQ PIRQ `pirq` is routed to, or -1 when PIRQx_ROUT disables it (or names one of
  // the reserved IRQs 0, 1, 2, 8, 13).
  int pirq_route(unsigned pirq) const;
  // The interrupt the SCI is delivered on (ACPI_CNTL.SCI_IRQ_SEL): 9, 10, 11, 20 or 21; -1 for
  // the reserved encodings.
  int sci_irq() const;
  bool pm_io_enabled() const { return get(kAcpiCntl, 1) & kAcpiEnable; }
  uint16_t pm_io_base() const { return uint16_t(get(kPmBase, 4) & 0xff80); }
  // What firmware does (SeaBIOS mch_isa_bridge_setup): PMBASE = base, ACPI_EN.
  void enable_pm_io(uint16_t base);

  State save() const;
  void restore(const State& s);
  void reset();

 protected:
  void config_written(unsigned offset, unsigned size) override;

 private:
  uint8_t pirq_route_register(unsigned pirq) const;
  // The levels every output should have now: bit n = IOAPIC pin n / 8259 IRQ n.
  uint32_t wanted_ioapic_pins() const;
  uint16_t wanted_isa_irqs() const;
  void update_outputs();
  void report_pm_io(bool force);

  Wiring wiring_;
  uint8_t pirq_levels_ = 0;
  bool sci_level_ = false;
  // Wiring-side caches, re-derived silently on restore.
  uint32_t driven_ioapic_ = 0;
  uint16_t driven_isa_ = 0;
  bool reported_pm_enabled_ = false;
  uint16_t reported_pm_base_ = 0;
};

// --- ACPI PM I/O block at PMBASE -----------------------------------------------------------------
//
// The ICH9's 128-byte power-management block (ICH9 §13.8.3; ACPI 6.5 §4.8, the fixed hardware
// registers). Offsets from PMBASE:
//   0x00 PM1_STS (16): TMR_STS 0, BM_STS 4, GBL_STS 5, PWRBTN_STS 8, RTC_STS 10, WAK_STS 15;
//                      write 1 to clear
//   0x02 PM1_EN  (16): TMR_EN 0, GBL_EN 5, PWRBTN_EN 8, RTC_EN 10
//   0x04 PM1_CNT (32): SCI_EN 0, BM_RLD 1, GBL_RLS 2 (write-only), SLP_TYP 12:10, SLP_EN 13
//                      (write-only)
//   0x08 PM1_TMR (32): 24-bit 3.579545 MHz counter, read-only
//   0x20 GPE0_STS (64, write 1 to clear), 0x28 GPE0_EN (64)
//   0x30 SMI_EN (32): storage (there is no SMM)
// Everything else reads 0 and ignores writes. There is no SMI_CMD port: the FADT says SMI_CMD
// = 0, which means the system is always in ACPI mode (ACPI 6.5 §5.2.9, FADT SMI_CMD), so SCI_EN is
// 1 from reset. The SCI is asserted while SCI_EN and (PM1_STS & PM1_EN) or (GPE0_STS & GPE0_EN).
//
// PM timer: value = floor(now_ns * 3579545 / 10^9) mod 2^24, a pure function of virtual time.
// TMR_STS is set whenever bit 23 of the counter toggles; it is derived from the time too (the
// number of toggles since it was last cleared), and a clock timer is armed for the next toggle
// only while TMR_EN is set and TMR_STS is clear, i.e. only when the toggle can raise an SCI.
class AcpiPm : public PortHandler {
 public:
  // For the FADT builder.
  static constexpr uint16_t kDefaultBase = 0x600;  // PMBASE as SeaBIOS / QEMU program it
  static constexpr uint16_t kIoSize = 0x80;
  static constexpr uint16_t kPm1EventOffset = 0x00, kPm1EventLength = 4;
  static constexpr uint16_t kPm1ControlOffset = 0x04, kPm1ControlLength = 2;
  static constexpr uint16_t kPmTimerOffset = 0x08, kPmTimerLength = 4;
  static constexpr uint16_t kGpe0Offset = 0x20, kGpe0Length = 16;
  static constexpr unsigned kTimerBits = 24;
  static constexpr bool kTimerValExt = false;  // FADT flag TMR_VAL_EXT: the timer is 24-bit
  static constexpr uint64_t kTimerHz = 3'579'545;
  static constexpr uint8_t kSlpTypS5 = 0;  // the DSDT's \_S5 package must say 0 (as QEMU's)
  static constexpr unsigned kSciIrq = 9;   // FADT SCI_INT (ACPI_CNTL.SCI_IRQ_SEL reset value)

  // PM1 bits.
  static constexpr uint16_t kTmrSts = 1 << 0, kBmSts = 1 << 4, kGblSts = 1 << 5,
                            kPwrbtnSts = 1 << 8, kRtcSts = 1 << 10, kWakSts = 1 << 15;
  static constexpr uint16_t kTmrEn = 1 << 0, kGblEn = 1 << 5, kPwrbtnEn = 1 << 8, kRtcEn = 1 << 10;
  static constexpr uint16_t kSciEn = 1 << 0, kSlpEn = 1 << 13;

  struct State {
    uint64_t timer_toggles_seen = 0;  // TMR_STS = toggles(now) > this (set when it is cleared)
    uint64_t timer_deadline_ns = kNever;
    std::array<uint8_t, 8> gpe0_status{};
    std::array<uint8_t, 8> gpe0_enable{};
    uint16_t pm1_status = 0;  // without TMR_STS, which is derived
    uint16_t pm1_enable = 0;
    uint16_t pm1_control = kSciEn;
    uint16_t reserved16 = 0;
    uint32_t smi_enable = 0;
    uint32_t reserved32 = 0;
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>, "no hidden padding");
  static constexpr const char* kName = "acpi_pm";

  struct Wiring {
    Clock* clock = nullptr;
    Clock::TimerId timer = 0;           // calls timer_expired()
    IrqLine sci{};                      // level-triggered; to Ich9Lpc::set_sci
    std::function<void()> power_off{};  // SLP_EN with SLP_TYP = kSlpTypS5
  };
  explicit AcpiPm(Wiring wiring);

  // `port` is absolute; the block is 128-byte aligned, so port & 0x7F is the offset.
  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;

  void timer_expired();
  uint32_t pm_timer() const;
  uint16_t pm1_status() const;
  // Events from the Machine: the power button (PWRBTN_STS) and general-purpose events.
  void press_power_button();
  void raise_gpe(unsigned bit);

  State save() const { return state_; }
  void restore(const State& s);
  void reset();

 private:
  uint64_t timer_toggles(uint64_t ns) const;
  bool timer_status() const;
  uint32_t read_dword(unsigned offset) const;
  void write_dword(unsigned offset, uint32_t value, uint32_t mask);
  void write_control(uint32_t value, uint32_t mask);
  bool sci_wanted() const;
  void update_sci();
  void schedule_timer();

  Wiring wiring_;
  State state_;
};

// --- Reset control register, port 0xCF9 --------------------------------------------------------
//
// ICH9 §13.7.5 RST_CNT: bit 1 SYS_RST (hard vs soft reset), bit 2 RST_CPU (a write with it set
// resets), bit 3 FULL_RST. As in QEMU, any write with RST_CPU resets the machine (the guest
// wrote 0→1 by construction: the bit is never stored); SYS_RST and FULL_RST read back.
// Byte accesses only, as the datasheet requires.
class ResetControl : public PortHandler {
 public:
  static constexpr uint16_t kPort = 0xcf9;
  static constexpr uint8_t kResetValue = 0x06;  // FADT RESET_VALUE (SYS_RST | RST_CPU)
  static constexpr uint8_t kSysRst = 1 << 1, kRstCpu = 1 << 2, kFullRst = 1 << 3;

  struct State {
    uint8_t value = 0;
  };
  static_assert(std::has_unique_object_representations_v<State>, "no hidden padding");
  static constexpr const char* kName = "reset_control";

  explicit ResetControl(std::function<void()> request_reset);

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;

  State save() const { return state_; }
  void restore(const State& s) { state_ = s; }
  void reset() { state_ = State{}; }

 private:
  std::function<void()> request_reset_;
  State state_;
};

}  // namespace rwd
