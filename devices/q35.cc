// SPDX-License-Identifier: MIT
#include "devices/q35.h"

#include "base/check.h"
#include "base/log.h"

namespace rwd {
namespace {

// QEMU gives every device its Red Hat subsystem IDs; guests do not care, but this keeps lspci
// output identical to QEMU's.
constexpr uint16_t kSubsystemVendor = 0x1af4, kSubsystem = 0x1100;

}  // namespace

// --- Q35Host -----------------------------------------------------------------------------------

Q35Host::Q35Host(uint64_t low_ram_end, std::function<void(const EcamWindow&)> ecam_changed)
    : PciDevice(Identity{.vendor_id = 0x8086,
                         .device_id = 0x29c0,
                         .class_code = 0x060000,  // host bridge
                         .revision = 0,
                         .subsystem_vendor_id = kSubsystemVendor,
                         .subsystem_id = kSubsystem}),
      ecam_changed_(std::move(ecam_changed)) {
  // PCIEXBAR (3 Series datasheet): bit 0 PCIEXBAREN, bits 2:1 LENGTH (0 = 256 MiB, 1 = 128 MiB,
  // 2 = 64 MiB), base in bits 35:26 depending on the length. Reset: QEMU's 0xB0000000, disabled.
  set_initial(kPciexbar, 4, uint32_t(kEcamDefaultBase));
  set_writable(kPciexbar, 4, 0xfc000007);
  set_writable(kPciexbar + 4, 4, 0x0000000f);
  // PAM0 has only the high half (0xF0000-0xFFFFF); PAM1-6 two 16 KiB halves.
  set_writable(kPam0, 1, 0x30);
  for (unsigned n = 1; n < 7; n++) set_writable(kPam0 + n, 1, 0x33);
  // SMRAM: D_OPEN, D_CLS, D_LCK, G_SMRAME; C_BASE_SEG hardwired to 010b.
  set_initial(kSmram, 1, 0x02);
  set_writable(kSmram, 1, 0x78);
  // ESMRAMC: H_SMRAME 7, TSEG_SZ 2:1, T_EN 0; SM_CACHE/SM_L1/SM_L2 read as 1.
  set_initial(kEsmramc, 1, 0x38);
  set_writable(kEsmramc, 1, 0x87);
  set_write_one_to_clear(kEsmramc, 1, 0x40);  // E_SMERR
  // TOLUD: bits 15:4 are address bits 31:20. Read-only here: firmware that locks it
  // would only ever write back the value it read.
  set_initial(kTolud, 2, uint32_t((low_ram_end >> 20) << 4) & 0xfff0);
  reported_ = ecam();
}

Q35Host::EcamWindow Q35Host::ecam() const {
  const uint64_t v = get64(kPciexbar);
  EcamWindow w;
  switch (v >> 1 & 3) {
    case 0:
      w.size = 256ull << 20;
      break;
    case 1:
      w.size = 128ull << 20;
      break;
    case 2:
      w.size = 64ull << 20;
      break;
    default:
      return w;  // reserved length: QEMU aborts; we decode nothing
  }
  w.base = v & 0xffc000000ull & ~(w.size - 1);
  w.enabled = v & 1;
  if (!w.enabled) return EcamWindow{};
  return w;
}

void Q35Host::enable_ecam(uint64_t base) {
  // High dword first so the window never appears at a half-written address.
  config_write(kPciexbar + 4, 4, uint32_t(base >> 32));
  config_write(kPciexbar, 4, uint32_t(base) | 1);
}

void Q35Host::report_ecam(bool force) {
  const EcamWindow w = ecam();
  if (!force && w == reported_) return;
  reported_ = w;
  if (ecam_changed_) ecam_changed_(w);
}

void Q35Host::config_written(unsigned offset, unsigned size) {
  if (overlaps(offset, size, kPciexbar, 8)) report_ecam(false);
}

void Q35Host::restore(const State& s) {
  restore_config(s.config);
  report_ecam(true);
}

void Q35Host::reset() {
  reset_config();
  report_ecam(false);
}

// --- Ich9Lpc -----------------------------------------------------------------------------------

Ich9Lpc::Ich9Lpc(Wiring wiring)
    : PciDevice(Identity{.vendor_id = 0x8086,
                         .device_id = 0x2918,
                         .class_code = 0x060100,  // ISA bridge
                         .revision = 0x02,        // ICH9 A2, as QEMU
                         .subsystem_vendor_id = kSubsystemVendor,
                         .subsystem_id = kSubsystem}),
      wiring_(std::move(wiring)) {
  // ICH9 §13.1 PMBASE: bit 0 hardwired 1 (I/O space), bits 15:7 the 128-byte block.
  set_initial(kPmBase, 4, 0x1);
  set_writable(kPmBase, 4, 0xff80);
  // ACPI_CNTL: ACPI_EN and SCI_IRQ_SEL.
  set_writable(kAcpiCntl, 1, 0x87);
  // GPIOBASE (bit 0 hardwired 1, bits 15:7), GC (GPIO_EN bit 4): storage.
  set_initial(kGpioBase, 4, 0x1);
  set_writable(kGpioBase, 4, 0xff80);
  set_writable(kGc, 1, 0x10);
  // PIRQ[n]_ROUT: routing disabled at reset.
  for (unsigned n = 0; n < 4; n++) {
    set_initial(kPirqARout + n, 1, kPirqRouteDisable);
    set_writable(kPirqARout + n, 1, 0x8f);
    set_initial(kPirqERout + n, 1, kPirqRouteDisable);
    set_writable(kPirqERout + n, 1, 0x8f);
  }
  // LPC decode ranges: storage (the Machine's ports are always decoded).
  set_writable(kLpcIoDec, 2, 0x1377);
  set_writable(kLpcEn, 2, 0x3f0f);
  for (unsigned n = 0; n < 4; n++) set_writable(kGen1Dec + 4 * n, 4, 0x00fcfffd);
  // §13.8.1 GEN_PMCON_1..3 and the lock byte: storage.
  set_writable(kGenPmcon1, 2, 0xffff);
  set_writable(kGenPmcon2, 1, 0xff);
  set_writable(kGenPmcon3, 2, 0xffff);
  set_writable(kGenPmconLock, 1, 0xff);
  // RCBA: base in bits 31:14, enable bit 0; the 16 KiB block itself is not modelled.
  set_writable(kRcba, 4, 0xffffc001);
}

uint8_t Ich9Lpc::pirq_route_register(unsigned pirq) const {
  return uint8_t(get(pirq < 4 ? kPirqARout + pirq : kPirqERout + (pirq - 4), 1));
}

int Ich9Lpc::pirq_route(unsigned pirq) const {
  if (pirq >= kPirqCount) return -1;
  const uint8_t r = pirq_route_register(pirq);
  if (r & kPirqRouteDisable) return -1;
  const unsigned irq = r & 0x0f;
  // PIRQx_ROUT: 0, 1, 2, 8 and 13 are reserved encodings.
  if (irq <= 2 || irq == 8 || irq == 13) return -1;
  return int(irq);
}

int Ich9Lpc::sci_irq() const {
  switch (get(kAcpiCntl, 1) & 7) {
    case 0:
      return 9;
    case 1:
      return 10;
    case 2:
      return 11;
    case 4:
      return 20;
    case 5:
      return 21;
    default:
      return -1;  // reserved (QEMU drops the SCI too)
  }
}

uint32_t Ich9Lpc::wanted_ioapic_pins() const {
  uint32_t pins = uint32_t(pirq_levels_) << kPirqIoapicPinBase;
  const int sci = sci_irq();
  if (sci_level_ && sci >= 0) pins |= 1u << sci;
  return pins;
}

uint16_t Ich9Lpc::wanted_isa_irqs() const {
  uint16_t irqs = 0;
  for (unsigned pirq = 0; pirq < kPirqCount; pirq++) {
    const int irq = pirq_route(pirq);
    if (irq >= 0 && (pirq_levels_ >> pirq & 1)) irqs |= uint16_t(1u << irq);
  }
  const int sci = sci_irq();
  if (sci_level_ && sci >= 0 && sci < 16) irqs |= uint16_t(1u << sci);
  return irqs;
}

void Ich9Lpc::update_outputs() {
  const uint32_t pins = wanted_ioapic_pins();
  const uint32_t pins_changed = pins ^ driven_ioapic_;
  driven_ioapic_ = pins;
  const uint16_t irqs = wanted_isa_irqs();
  const uint16_t irqs_changed = irqs ^ driven_isa_;
  driven_isa_ = irqs;
  for (unsigned pin = 0; pin < 32; pin++)
    if ((pins_changed >> pin & 1) && wiring_.set_ioapic_pin)
      wiring_.set_ioapic_pin(pin, pins >> pin & 1);
  for (unsigned irq = 0; irq < 16; irq++)
    if ((irqs_changed >> irq & 1) && wiring_.set_isa_irq) wiring_.set_isa_irq(irq, irqs >> irq & 1);
}

void Ich9Lpc::set_pirq(unsigned pirq, bool level) {
  if (pirq >= kPirqCount) return;
  pirq_levels_ = uint8_t(level ? pirq_levels_ | 1u << pirq : pirq_levels_ & ~(1u << pirq));
  update_outputs();
}

void Ich9Lpc::set_sci(bool level) {
  sci_level_ = level;
  update_outputs();
}

void Ich9Lpc::enable_pm_io(uint16_t base) {
  config_write(kPmBase, 4, base);
  config_write(kAcpiCntl, 1, get(kAcpiCntl, 1) | kAcpiEnable);
}

void Ich9Lpc::report_pm_io(bool force) {
  const bool enabled = pm_io_enabled();
  const uint16_t base = pm_io_base();
  if (!force && enabled == reported_pm_enabled_ && base == reported_pm_base_) return;
  reported_pm_enabled_ = enabled;
  reported_pm_base_ = base;
  if (wiring_.pm_io_changed) wiring_.pm_io_changed(enabled, base);
}

void Ich9Lpc::config_written(unsigned offset, unsigned size) {
  if (overlaps(offset, size, kPmBase, 4) || overlaps(offset, size, kAcpiCntl, 1))
    report_pm_io(false);
  if (overlaps(offset, size, kAcpiCntl, 1) || overlaps(offset, size, kPirqARout, 4) ||
      overlaps(offset, size, kPirqERout, 4))
    update_outputs();
}

Ich9Lpc::State Ich9Lpc::save() const {
  State s;
  s.config = config_bytes();
  s.pirq_levels = pirq_levels_;
  s.sci_level = sci_level_;
  return s;
}

void Ich9Lpc::restore(const State& s) {
  restore_config(s.config);
  pirq_levels_ = s.pirq_levels;
  sci_level_ = s.sci_level != 0;
  // The interrupt controllers' restored States already hold these levels.
  driven_ioapic_ = wanted_ioapic_pins();
  driven_isa_ = wanted_isa_irqs();
  report_pm_io(true);
}

void Ich9Lpc::reset() {
  // The inputs are other devices' outputs and stay as they are; the routing goes back to
  // "disabled", which drops the 8259 side.
  reset_config();
  update_outputs();
  report_pm_io(false);
}

// --- AcpiPm ------------------------------------------------------------------------------------

namespace {

// PM1_STS bits that write-1-to-clear (ICH9 §13.8.3), PM1_EN bits that are writable
// and PM1_CNT bits that are stored (GBL_RLS and SLP_EN are write-only).
constexpr uint16_t kPm1StatusClearable = 0xcd31;
constexpr uint16_t kPm1EnableWritable = 0x4521;
constexpr uint16_t kPm1ControlStored = 0x1c03;
// PM1 events that raise an SCI (ACPI 6.5 §4.8, PM1 status/enable): timer, global lock, power
// button, RTC.
constexpr uint16_t kPm1SciEvents =
    AcpiPm::kTmrSts | AcpiPm::kGblSts | AcpiPm::kPwrbtnSts | AcpiPm::kRtcSts;
constexpr unsigned kOffsetPm1 = 0x00, kOffsetPm1Control = 0x04, kOffsetTimer = 0x08,
                   kOffsetGpe0Status = 0x20, kOffsetGpe0Enable = 0x28, kOffsetSmiEnable = 0x30;

constexpr uint64_t kTimerToggleTicks = 1ull << 23;  // TMR_STS: bit 23 of the counter toggles

uint64_t timer_ticks(uint64_t ns) {
  return uint64_t((unsigned __int128)ns * AcpiPm::kTimerHz / 1'000'000'000u);
}
// The first ns at which the counter (not reduced mod 2^24) reaches `ticks`.
uint64_t ns_for_ticks(uint64_t ticks) {
  const unsigned __int128 ns =
      ((unsigned __int128)ticks * 1'000'000'000u + AcpiPm::kTimerHz - 1) / AcpiPm::kTimerHz;
  return ns > kNever - 1 ? kNever : uint64_t(ns);
}

}  // namespace

AcpiPm::AcpiPm(Wiring wiring) : wiring_(std::move(wiring)) {
  REWIND_CHECK_MSG(wiring_.clock, "the ACPI PM block needs the machine's clock");
  state_.timer_toggles_seen = timer_toggles(wiring_.clock->now_ns());
}

uint64_t AcpiPm::timer_toggles(uint64_t ns) const {
  return timer_ticks(ns) / kTimerToggleTicks;
}

uint32_t AcpiPm::pm_timer() const {
  return uint32_t(timer_ticks(wiring_.clock->now_ns()) & ((1u << kTimerBits) - 1));
}

bool AcpiPm::timer_status() const {
  return timer_toggles(wiring_.clock->now_ns()) > state_.timer_toggles_seen;
}

uint16_t AcpiPm::pm1_status() const {
  return uint16_t(state_.pm1_status | (timer_status() ? kTmrSts : 0));
}

bool AcpiPm::sci_wanted() const {
  if (!(state_.pm1_control & kSciEn)) return false;  // events would be SMIs; there is no SMM
  if (pm1_status() & state_.pm1_enable & kPm1SciEvents) return true;
  for (unsigned i = 0; i < 8; i++)
    if (state_.gpe0_status[i] & state_.gpe0_enable[i]) return true;
  return false;
}

void AcpiPm::update_sci() {
  wiring_.sci.set(sci_wanted());
}

void AcpiPm::schedule_timer() {
  uint64_t deadline = kNever;
  if ((state_.pm1_enable & kTmrEn) && !timer_status()) {
    const uint64_t next = timer_toggles(wiring_.clock->now_ns()) + 1;
    deadline = ns_for_ticks(next * kTimerToggleTicks);
  }
  state_.timer_deadline_ns = deadline;
  if (deadline == kNever)
    wiring_.clock->disarm(wiring_.timer);
  else
    wiring_.clock->arm(wiring_.timer, Clock::position_from_ns(deadline));
}

void AcpiPm::timer_expired() {
  state_.timer_deadline_ns = kNever;
  update_sci();
  schedule_timer();
}

void AcpiPm::press_power_button() {
  state_.pm1_status |= kPwrbtnSts;
  update_sci();
}

void AcpiPm::raise_gpe(unsigned bit) {
  if (bit >= 64) return;
  state_.gpe0_status[bit / 8] |= uint8_t(1u << (bit % 8));
  update_sci();
}

uint32_t AcpiPm::read_dword(unsigned offset) const {
  switch (offset) {
    case kOffsetPm1:
      return pm1_status() | uint32_t(state_.pm1_enable) << 16;
    case kOffsetPm1Control:
      return state_.pm1_control;
    case kOffsetTimer:
      return pm_timer();
    case kOffsetGpe0Status:
    case kOffsetGpe0Status + 4:
    case kOffsetGpe0Enable:
    case kOffsetGpe0Enable + 4: {
      const auto& bytes = offset < kOffsetGpe0Enable ? state_.gpe0_status : state_.gpe0_enable;
      const unsigned first = offset & 4;
      return bytes[first] | bytes[first + 1] << 8 | bytes[first + 2] << 16 |
             uint32_t(bytes[first + 3]) << 24;
    }
    case kOffsetSmiEnable:
      return state_.smi_enable;
    default:
      return 0;
  }
}

void AcpiPm::write_control(uint32_t value, uint32_t mask) {
  state_.pm1_control = uint16_t((state_.pm1_control & ~(mask & kPm1ControlStored)) |
                                (value & mask & kPm1ControlStored));
  if ((mask & kSlpEn) && (value & kSlpEn)) {
    const unsigned slp_typ = value >> 10 & 7;
    if (slp_typ == kSlpTypS5) {
      REWIND_LOG(kInfo, "acpi", "S5: power off");
      if (wiring_.power_off) wiring_.power_off();
    } else {
      // Only \_S5 is advertised in the DSDT; other sleep states are not entered.
      REWIND_LOG(kWarn, "acpi", "sleep type %u requested; not supported, ignored", slp_typ);
    }
  }
  update_sci();
}

void AcpiPm::write_dword(unsigned offset, uint32_t value, uint32_t mask) {
  switch (offset) {
    case kOffsetPm1: {
      // PM1_STS: write 1 to clear, only in the bytes written.
      const uint16_t clear = uint16_t(value & mask) & kPm1StatusClearable;
      if (clear & kTmrSts) state_.timer_toggles_seen = timer_toggles(wiring_.clock->now_ns());
      state_.pm1_status &= uint16_t(~clear);
      const uint16_t en_mask = uint16_t(mask >> 16) & kPm1EnableWritable;
      state_.pm1_enable =
          uint16_t((state_.pm1_enable & ~en_mask) | (uint16_t(value >> 16) & en_mask));
      schedule_timer();
      update_sci();
      return;
    }
    case kOffsetPm1Control:
      write_control(value, mask);
      return;
    case kOffsetGpe0Status:
    case kOffsetGpe0Status + 4:
    case kOffsetGpe0Enable:
    case kOffsetGpe0Enable + 4: {
      const bool status = offset < kOffsetGpe0Enable;
      auto& bytes = status ? state_.gpe0_status : state_.gpe0_enable;
      const unsigned first = offset & 4;
      for (unsigned i = 0; i < 4; i++) {
        if (!(mask >> (8 * i) & 0xff)) continue;
        const uint8_t b = uint8_t(value >> (8 * i));
        bytes[first + i] = status ? uint8_t(bytes[first + i] & ~b) : b;
      }
      update_sci();
      return;
    }
    case kOffsetSmiEnable:
      state_.smi_enable = (state_.smi_enable & ~mask) | (value & mask);
      return;
    default:
      return;  // reserved or not modelled (TCO, GPE control, ...)
  }
}

// Registers are grouped by dword; any access (1/2/4 bytes, also straddling two dwords) is split
// by dword and served with a byte mask, so a 16-bit PM1_EN write does not touch PM1_STS.
uint32_t AcpiPm::port_read(uint16_t port, unsigned size) {
  uint32_t result = 0;
  for (unsigned i = 0; i < size; i++) {
    const unsigned offset = (port + i) & (kIoSize - 1);
    result |= (read_dword(offset & ~3u) >> (8 * (offset & 3)) & 0xff) << (8 * i);
  }
  return result;
}

void AcpiPm::port_write(uint16_t port, unsigned size, uint32_t value) {
  unsigned i = 0;
  while (i < size) {
    const unsigned dword = (port + i) & (kIoSize - 1) & ~3u;
    uint32_t v = 0, mask = 0;
    for (; i < size && (((port + i) & (kIoSize - 1)) & ~3u) == dword; i++) {
      const unsigned b = (port + i) & 3;
      v |= (value >> (8 * i) & 0xff) << (8 * b);
      mask |= 0xffu << (8 * b);
    }
    write_dword(dword, v, mask);
  }
}

void AcpiPm::restore(const State& s) {
  state_ = s;
  if (state_.timer_deadline_ns == kNever)
    wiring_.clock->disarm(wiring_.timer);
  else
    wiring_.clock->arm(wiring_.timer, Clock::position_from_ns(state_.timer_deadline_ns));
  wiring_.sci.restore_level(sci_wanted());
}

void AcpiPm::reset() {
  state_ = State{};
  state_.timer_toggles_seen = timer_toggles(wiring_.clock->now_ns());
  schedule_timer();
  update_sci();
}

// --- ResetControl ------------------------------------------------------------------------------

ResetControl::ResetControl(std::function<void()> request_reset)
    : request_reset_(std::move(request_reset)) {}

uint32_t ResetControl::port_read(uint16_t port, unsigned size) {
  if (port != kPort || size != 1) return size >= 4 ? ~0u : (1u << (8 * size)) - 1;
  return state_.value;
}

void ResetControl::port_write(uint16_t port, unsigned size, uint32_t value) {
  if (port != kPort || size != 1) {
    REWIND_LOG(kDebug, "q35", "%u-byte write to reset control ignored", size);
    return;
  }
  if (value & kRstCpu) {
    REWIND_LOG(kInfo, "q35", "reset requested through port 0xcf9 (%#x)", value);
    if (request_reset_) request_reset_();
    return;
  }
  state_.value = uint8_t(value & (kSysRst | kFullRst));
}

}  // namespace rwd
