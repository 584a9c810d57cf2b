// SPDX-License-Identifier: MIT
#include "devices/lapic.h"

#include <algorithm>

#include "base/check.h"
#include "base/log.h"

namespace rwd {
namespace {

// Register indices: MMIO offset / 16 (SDM Vol. 3A §11.4.1, Table 11-1).
constexpr unsigned kRegId = 0x02, kRegVersion = 0x03, kRegTpr = 0x08, kRegApr = 0x09,
                   kRegPpr = 0x0a, kRegEoi = 0x0b, kRegRrd = 0x0c, kRegLdr = 0x0d, kRegDfr = 0x0e,
                   kRegSvr = 0x0f, kRegIsr = 0x10, kRegTmr = 0x18, kRegIrr = 0x20, kRegEsr = 0x28,
                   kRegIcrLow = 0x30, kRegIcrHigh = 0x31, kRegLvtFirst = 0x32,
                   kRegInitialCount = 0x38, kRegCurrentCount = 0x39, kRegDivideConfig = 0x3e;

// Version 0x14, max LVT entry 5 in bits 23:16 (SDM Vol. 3A §11.4.8, Figure 11-7).
constexpr uint32_t kVersion = 0x00050014;

// LVT fields (SDM Vol. 3A §11.5.1, Figure 11-8).
constexpr uint32_t kLvtMasked = 1u << 16, kLvtLevel = 1u << 15, kLvtRemoteIrr = 1u << 14;
constexpr uint32_t kLvtTimerModeShift = 17;
// Writable bits per LVT (delivery status and remote IRR are read-only).
constexpr uint32_t kLvtWritable[Lapic::kLvtCount] = {
    0x000700ff,  // timer: vector, mask, mode 18:17
    0x000107ff,  // thermal: vector, delivery mode, mask
    0x000107ff,  // perf
    0x0001a7ff,  // LINT0: vector, delivery mode, polarity, trigger, mask
    0x0001a7ff,  // LINT1
    0x000100ff,  // error: vector, mask
};

// Delivery modes (LVT bits 10:8 and ICR bits 10:8).
constexpr uint32_t kModeFixed = 0, kModeLowest = 1, kModeSmi = 2, kModeNmi = 4, kModeInit = 5,
                   kModeStartup = 6, kModeExtInt = 7;

// ESR bits (SDM Vol. 3A §11.5.3, Figure 11-9).
constexpr uint32_t kEsrSendIllegalVector = 1u << 5, kEsrReceiveIllegalVector = 1u << 6,
                   kEsrIllegalRegister = 1u << 7;

// ICR (SDM Vol. 3A §11.6.1, Figure 11-12). Delivery status (bit 12) always reads idle: the
// message is delivered within the write.
constexpr uint32_t kIcrLowWritable = 0x000ccfff;

uint32_t lvt_mode(uint32_t lvt) {
  return (lvt >> 8) & 7;
}

int highest_bit(const std::array<uint32_t, 8>& bits) {
  for (int word = 7; word >= 0; word--)
    if (bits[word]) return word * 32 + (31 - __builtin_clz(bits[word]));
  return -1;
}
bool test_bit(const std::array<uint32_t, 8>& bits, unsigned v) {
  return bits[v / 32] >> (v % 32) & 1;
}
void set_bit(std::array<uint32_t, 8>& bits, unsigned v) {
  bits[v / 32] |= 1u << (v % 32);
}
void clear_bit(std::array<uint32_t, 8>& bits, unsigned v) {
  bits[v / 32] &= ~(1u << (v % 32));
}

}  // namespace

Lapic::Lapic(Wiring wiring) : wiring_(std::move(wiring)) {
  REWIND_CHECK_MSG(wiring_.clock, "the LAPIC needs the machine's clock");
  state_.id = uint32_t(wiring_.apic_id) << 24;
  // SDM §11.4.7.1: every LVT is masked after reset. LINT0 is the exception: the BSP's LINT0 is
  // left as ExtINT, unmasked — what firmware programs for virtual-wire mode and what KVM and
  // QEMU reset it to — so a guest that enables the APIC without touching LINT0 still gets the
  // 8259's interrupts.
  state_.lvt.fill(kLvtMasked);
  state_.lvt[kLvtLint0] = kModeExtInt << 8;
}

// --- Priorities (SDM Vol. 3A §11.8.3) ---------------------------------------------------------

int Lapic::highest_irr() const {
  return highest_bit(state_.irr);
}
int Lapic::highest_isr() const {
  return highest_bit(state_.isr);
}

uint8_t Lapic::processor_priority() const {
  // §11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with the low nibble clear.
  const int isrv = std::max(highest_isr(), 0);
  if ((state_.tpr & 0xf0) >= uint32_t(isrv & 0xf0)) return uint8_t(state_.tpr);
  return uint8_t(isrv & 0xf0);
}

int Lapic::deliverable_vector() const {
  // §11.8.3: the highest IRR vector is dispatched when its priority class beats the PPR's.
  if (!hardware_enabled() || !software_enabled()) return -1;
  const int irrv = highest_irr();
  if (irrv < 0 || (irrv & 0xf0) <= (processor_priority() & 0xf0)) return -1;
  return irrv;
}

bool Lapic::pic_passthrough() const {
  // Virtual-wire mode (MP spec §3.6.2.2): the 8259's INTR reaches the CPU through LINT0 when
  // LINT0 is an unmasked ExtINT entry — and always while the APIC is globally or software
  // disabled, which is how a PC runs before the OS takes over the APIC.
  if (!hardware_enabled() || !software_enabled()) return true;
  const uint32_t lvt = state_.lvt[kLvtLint0];
  return !(lvt & kLvtMasked) && lvt_mode(lvt) == kModeExtInt;
}

void Lapic::update_intr() {
  wiring_.intr.set(deliverable_vector() >= 0 || (pic_passthrough() && state_.lint0_level));
}

int Lapic::acknowledge() {
  // APIC vectors first, then the 8259 (the order QEMU uses; a real CPU sees one INTA cycle).
  const int vector = deliverable_vector();
  if (vector >= 0) {
    clear_bit(state_.irr, unsigned(vector));
    set_bit(state_.isr, unsigned(vector));
    update_intr();
    return vector;
  }
  if (pic_passthrough() && state_.lint0_level && wiring_.pic_acknowledge) {
    const int pic_vector = wiring_.pic_acknowledge();
    update_intr();
    return pic_vector;
  }
  return -1;
}

// --- Accepting interrupts ---------------------------------------------------------------------

void Lapic::accept_internal(uint8_t vector, bool level_triggered) {
  // §11.5.3: vectors 0-15 are reserved for exceptions; receiving one is an error.
  if (vector < 16) {
    signal_error(kEsrReceiveIllegalVector);
    return;
  }
  set_bit(state_.irr, vector);
  // §11.8.4: TMR is set for level-triggered interrupts and cleared for edge-triggered ones on
  // acceptance into the IRR.
  if (level_triggered)
    set_bit(state_.tmr, vector);
  else
    clear_bit(state_.tmr, vector);
}

void Lapic::accept(uint8_t vector, bool level_triggered) {
  if (!hardware_enabled()) {
    REWIND_LOG(kDebug, "lapic", "vector %#x dropped: APIC globally disabled", vector);
    return;
  }
  accept_internal(vector, level_triggered);
  update_intr();
}

bool Lapic::accepts_destination(uint8_t destination, bool logical) const {
  if (!logical) return destination == 0xff || destination == (state_.id >> 24);
  if (destination == 0xff) return true;
  const uint8_t logical_id = uint8_t(state_.ldr >> 24);
  if ((state_.dfr >> 28) == 0xf) return destination & logical_id;  // flat model
  // Cluster model: high nibble = cluster, low nibble = members.
  return (destination >> 4) == (logical_id >> 4) && (destination & logical_id & 0x0f);
}

void Lapic::signal_error(uint32_t bits) {
  state_.esr_pending |= bits;
  // Deliver the error LVT, unless its own vector is illegal (that would loop).
  const uint32_t lvt = state_.lvt[kLvtError];
  if (!(lvt & kLvtMasked) && hardware_enabled() && uint8_t(lvt) >= 16) {
    accept_internal(uint8_t(lvt), false);
  }
  update_intr();
}

void Lapic::deliver_local(unsigned lvt_index) {
  const uint32_t lvt = state_.lvt[lvt_index];
  if ((lvt & kLvtMasked) || !hardware_enabled()) return;
  switch (lvt_mode(lvt)) {
    case kModeFixed: {
      // Only LINT0/LINT1 may be level-triggered (§11.5.1: the timer and error are edge).
      const bool level = (lvt_index == kLvtLint0 || lvt_index == kLvtLint1) && (lvt & kLvtLevel);
      accept_internal(uint8_t(lvt), level);
      break;
    }
    case kModeNmi:
      if (wiring_.nmi) wiring_.nmi();
      break;
    case kModeExtInt:
      break;  // the 8259's INTR, handled by pic_passthrough()
    default:
      REWIND_LOG(kDebug, "lapic", "LVT %u delivery mode %u not modelled", lvt_index, lvt_mode(lvt));
      break;
  }
  update_intr();
}

void Lapic::lint_changed(unsigned lvt_index, bool old_level, bool new_level) {
  uint32_t& lvt = state_.lvt[lvt_index];
  if (lvt_mode(lvt) == kModeFixed && (lvt & kLvtLevel)) {
    // Level-triggered fixed: deliver while asserted, once per EOI (remote IRR, §11.5.1).
    if (new_level && !(lvt & kLvtRemoteIrr) && !(lvt & kLvtMasked) && hardware_enabled()) {
      lvt |= kLvtRemoteIrr;
      deliver_local(lvt_index);
    }
  } else if (lvt_mode(lvt) == kModeExtInt) {
    // Follows the line level; nothing latched.
  } else if (new_level && !old_level) {
    deliver_local(lvt_index);  // edge-triggered: the rising edge
  }
  update_intr();
}

void Lapic::lint0(bool level) {
  const bool old = state_.lint0_level;
  state_.lint0_level = level;
  lint_changed(kLvtLint0, old, level);
}

void Lapic::lint1(bool level) {
  const bool old = state_.lint1_level;
  state_.lint1_level = level;
  lint_changed(kLvtLint1, old, level);
}

// --- EOI and IPIs -----------------------------------------------------------------------------

void Lapic::end_of_interrupt() {
  // §11.8.5: EOI retires the highest-priority in-service vector; for a level-triggered vector
  // (TMR set) the EOI is broadcast to the IOAPICs so they clear remote IRR.
  const int vector = highest_isr();
  if (vector < 0) return;
  clear_bit(state_.isr, unsigned(vector));
  const bool level = test_bit(state_.tmr, unsigned(vector));
  if (level) {
    // Level-triggered LINT entries with this vector are waiting for this EOI too.
    for (unsigned lint : {unsigned(kLvtLint0), unsigned(kLvtLint1)}) {
      uint32_t& lvt = state_.lvt[lint];
      if ((lvt & kLvtRemoteIrr) && uint8_t(lvt) == vector) lvt &= ~kLvtRemoteIrr;
    }
  }
  update_intr();
  // The IOAPIC may redeliver from inside this call (accept()), so the state is consistent now.
  if (level && wiring_.eoi_broadcast) wiring_.eoi_broadcast(uint8_t(vector));
  // A LINT pin still asserted redelivers after its EOI.
  if (level) {
    if (state_.lint0_level) lint_changed(kLvtLint0, true, true);
    if (state_.lint1_level) lint_changed(kLvtLint1, true, true);
  }
}

void Lapic::send_ipi() {
  const uint32_t low = state_.icr_low;
  const uint8_t vector = uint8_t(low);
  const uint32_t mode = (low >> 8) & 7;
  const bool logical = low & (1u << 11);
  const bool level_assert = low & (1u << 14);
  const bool level_triggered = low & (1u << 15);
  const uint32_t shorthand = (low >> 18) & 3;
  const uint8_t destination = uint8_t(state_.icr_high >> 24);

  bool to_self = false, to_others = false;
  switch (shorthand) {
    case 0:
      to_self = accepts_destination(destination, logical);
      // Any destination that is not only us addresses CPUs that do not exist (one vCPU).
      to_others = destination == 0xff || !to_self;
      break;
    case 1:
      to_self = true;
      break;  // self
    case 2:
      to_self = to_others = true;
      break;  // all including self
    case 3:
      to_others = true;
      break;  // all excluding self
  }

  switch (mode) {
    case kModeFixed:
    case kModeLowest:
      if (vector < 16) {
        signal_error(kEsrSendIllegalVector);
        return;
      }
      if (to_self) accept_internal(vector, level_triggered);
      break;
    case kModeNmi:
      if (to_self && wiring_.nmi) wiring_.nmi();
      break;
    case kModeInit:
      // INIT level de-assert (level 0, trigger level) is a no-op synchronisation message.
      if (!level_assert && level_triggered) break;
      REWIND_LOG(kInfo, "lapic", "INIT IPI (icr %#x:%#x) ignored: one vCPU", state_.icr_high, low);
      break;
    case kModeStartup:
      REWIND_LOG(kInfo, "lapic", "SIPI vector %#x ignored: one vCPU", vector);
      break;
    default:
      REWIND_LOG(kInfo, "lapic", "IPI delivery mode %u (icr %#x) not modelled", mode, low);
      break;
  }
  if (to_others && (mode == kModeFixed || mode == kModeLowest || mode == kModeNmi))
    REWIND_LOG(kDebug, "lapic", "IPI to other CPUs (icr %#x:%#x) dropped: one vCPU",
               state_.icr_high, low);
  update_intr();
}

// --- Timer (SDM Vol. 3A §11.5.4) --------------------------------------------------------------

Lapic::TimerMode Lapic::timer_mode() const {
  return TimerMode((state_.lvt[kLvtTimer] >> kLvtTimerModeShift) & 3);
}

uint32_t Lapic::timer_divisor() const {
  // Figure 11-10: DCR bits 3,1:0 select 2, 4, ... 128, and 0b111 = divide by 1.
  const uint32_t v = ((state_.divide_config & 8) >> 1) | (state_.divide_config & 3);
  return v == 7 ? 1 : 2u << v;
}

uint32_t Lapic::current_count() const {
  // §11.5.4: in TSC-deadline mode the current count always reads 0.
  const TimerMode mode = timer_mode();
  if (state_.initial_count == 0) return 0;
  if (mode != TimerMode::kOneShot && mode != TimerMode::kPeriodic) return 0;
  const uint64_t ticks = (wiring_.clock->now_ns() - state_.timer_start_ns) / timer_divisor();
  if (mode == TimerMode::kOneShot)
    return ticks >= state_.initial_count ? 0 : uint32_t(state_.initial_count - ticks);
  // Periodic: reloads from the initial count each time it reaches zero.
  return uint32_t(state_.initial_count - ticks % state_.initial_count);
}

void Lapic::schedule_timer() {
  Clock& clock = *wiring_.clock;
  const uint64_t now = clock.now_ns();
  uint64_t deadline = kNever;
  const bool masked = state_.lvt[kLvtTimer] & kLvtMasked;
  switch (timer_mode()) {
    case TimerMode::kOneShot:
    case TimerMode::kPeriodic: {
      // A masked count-down still runs (current count keeps moving) but has no visible event,
      // so the clock timer is armed only while unmasked.
      if (state_.initial_count == 0 || masked || !hardware_enabled()) break;
      const uint64_t period = uint64_t(state_.initial_count) * timer_divisor();
      const uint64_t elapsed = now - state_.timer_start_ns;  // wraps consistently
      if (timer_mode() == TimerMode::kOneShot) {
        if (elapsed < period) deadline = now + (period - elapsed);
      } else {
        deadline = now + (period - elapsed % period);  // the next reload strictly after now
      }
      break;
    }
    case TimerMode::kTscDeadline: {
      // Armed even while masked: expiry clears IA32_TSC_DEADLINE, which the guest can read.
      if (state_.tsc_deadline == 0 || !hardware_enabled()) break;
      const uint64_t offset = tsc_offset();
      const uint64_t ns = state_.tsc_deadline > offset ? state_.tsc_deadline - offset : 0;
      // A deadline already passed fires at the next instruction boundary.
      deadline = std::max(ns, now + 1);
      break;
    }
    case TimerMode::kReserved:
      break;
  }
  state_.timer_deadline_ns = deadline;
  if (deadline == kNever)
    clock.disarm(wiring_.timer);
  else
    clock.arm(wiring_.timer, Clock::position_from_ns(deadline));
}

void Lapic::timer_expired() {
  const uint64_t now = wiring_.clock->now_ns();
  state_.timer_deadline_ns = kNever;
  switch (timer_mode()) {
    case TimerMode::kOneShot: {
      const uint64_t period = uint64_t(state_.initial_count) * timer_divisor();
      if (state_.initial_count && now - state_.timer_start_ns >= period) deliver_local(kLvtTimer);
      break;
    }
    case TimerMode::kPeriodic:
      if (state_.initial_count) deliver_local(kLvtTimer);
      break;
    case TimerMode::kTscDeadline:
      // §11.5.4.1: on expiry the timer disarms itself and clears IA32_TSC_DEADLINE.
      if (state_.tsc_deadline) {
        state_.tsc_deadline = 0;
        deliver_local(kLvtTimer);
      }
      break;
    case TimerMode::kReserved:
      break;
  }
  schedule_timer();
}

bool Lapic::read_msr(uint32_t index, uint64_t* value) const {
  if (index != kTscDeadlineMsr) return false;
  // Reads return 0 outside TSC-deadline mode (§11.5.4.1).
  *value = timer_mode() == TimerMode::kTscDeadline ? state_.tsc_deadline : 0;
  return true;
}

bool Lapic::write_msr(uint32_t index, uint64_t value) {
  if (index != kTscDeadlineMsr) return false;
  // §11.5.4.1: writes are ignored outside TSC-deadline mode; writing 0 disarms.
  if (timer_mode() != TimerMode::kTscDeadline) return true;
  state_.tsc_deadline = value;
  schedule_timer();
  return true;
}

// --- Registers --------------------------------------------------------------------------------

void Lapic::set_task_priority(uint8_t tpr) {
  state_.tpr = tpr;
  update_intr();
}

void Lapic::set_base_msr(uint64_t value) {
  const bool was_enabled = hardware_enabled();
  // x2APIC (bit 10) is not modelled; keep BSP, enable and the base address.
  state_.base_msr = value & (kBaseAddressMask | kBaseBsp | kBaseEnable);
  if (was_enabled && !hardware_enabled()) {
    // SDM §11.4.3: a globally disabled APIC may lose its programming; as QEMU and KVM do, it
    // comes back software-disabled (which masks every LVT, §11.4.7.2).
    state_.svr &= ~0x100u;
    for (uint32_t& lvt : state_.lvt) lvt |= kLvtMasked;
  }
  schedule_timer();
  update_intr();
}

uint32_t Lapic::register_value(unsigned index, bool* valid) const {
  *valid = true;
  if (index >= kRegIsr && index < kRegIsr + 8) return state_.isr[index - kRegIsr];
  if (index >= kRegTmr && index < kRegTmr + 8) return state_.tmr[index - kRegTmr];
  if (index >= kRegIrr && index < kRegIrr + 8) return state_.irr[index - kRegIrr];
  if (index >= kRegLvtFirst && index < kRegLvtFirst + kLvtCount)
    return state_.lvt[index - kRegLvtFirst];
  switch (index) {
    case kRegId:
      return state_.id;
    case kRegVersion:
      return kVersion;
    case kRegTpr:
      return state_.tpr;
    case kRegApr: {
      // §11.8.3.1 Arbitration priority.
      const uint32_t tpr = state_.tpr, isrv = uint32_t(std::max(highest_isr(), 0)),
                     irrv = uint32_t(std::max(highest_irr(), 0));
      if ((tpr & 0xf0) >= (irrv & 0xf0) && (tpr & 0xf0) > (isrv & 0xf0)) return tpr;
      return std::max({tpr & 0xf0, isrv & 0xf0, irrv & 0xf0});
    }
    case kRegPpr:
      return processor_priority();
    case kRegEoi:
      return 0;  // write-only
    case kRegRrd:
      return 0;  // remote read is not modelled; reads as "invalid"
    case kRegLdr:
      return state_.ldr;
    case kRegDfr:
      return state_.dfr;
    case kRegSvr:
      return state_.svr;
    case kRegEsr:
      return state_.esr;
    case kRegIcrLow:
      return state_.icr_low;
    case kRegIcrHigh:
      return state_.icr_high;
    case kRegInitialCount:
      return state_.initial_count;
    case kRegCurrentCount:
      return current_count();
    case kRegDivideConfig:
      return state_.divide_config;
  }
  *valid = false;
  return 0;
}

void Lapic::write_lvt(unsigned lvt_index, uint32_t value) {
  uint32_t& lvt = state_.lvt[lvt_index];
  const TimerMode old_mode = timer_mode();
  uint32_t next = (lvt & ~kLvtWritable[lvt_index]) | (value & kLvtWritable[lvt_index]);
  // §11.4.7.2: while software-disabled the mask bits stay set.
  if (!software_enabled()) next |= kLvtMasked;
  lvt = next;
  if (lvt_index == kLvtTimer) {
    const TimerMode mode = timer_mode();
    // §11.5.4.1: changing the timer mode disarms the timer. As KVM does, only moves into or
    // out of TSC-deadline mode reset the counters; one-shot ⇄ periodic keeps counting.
    if (mode != old_mode &&
        (mode == TimerMode::kTscDeadline || old_mode == TimerMode::kTscDeadline)) {
      state_.initial_count = 0;
      state_.tsc_deadline = 0;
    }
    schedule_timer();
  } else if (lvt_index == kLvtLint0 || lvt_index == kLvtLint1) {
    // Unmasking a level-triggered LINT with its line asserted delivers it.
    const bool level = lvt_index == kLvtLint0 ? state_.lint0_level : state_.lint1_level;
    if (level) lint_changed(lvt_index, true, true);
  }
  update_intr();
}

void Lapic::write_register(unsigned index, uint32_t value, uint32_t byte_mask) {
  bool valid;
  const uint32_t old = register_value(index, &valid);
  const uint32_t merged = (old & ~byte_mask) | (value & byte_mask);
  if (index >= kRegLvtFirst && index < kRegLvtFirst + kLvtCount) {
    write_lvt(index - kRegLvtFirst, merged);
    return;
  }
  switch (index) {
    case kRegId:
      state_.id = merged & 0xff000000;
      break;
    case kRegTpr:
      state_.tpr = merged & 0xff;
      update_intr();
      break;
    case kRegEoi:
      end_of_interrupt();
      break;
    case kRegLdr:
      state_.ldr = merged & 0xff000000;
      break;
    case kRegDfr:
      state_.dfr = merged | 0x0fffffff;
      break;  // bits 27:0 read as ones
    case kRegSvr: {
      // Bits 7:0 spurious vector, 8 APIC software enable, 9 focus processor checking.
      const bool was_enabled = software_enabled();
      state_.svr = merged & 0x3ff;
      if (was_enabled && !software_enabled()) {
        for (uint32_t& lvt : state_.lvt) lvt |= kLvtMasked;  // §11.4.7.2
        schedule_timer();
      }
      update_intr();
      break;
    }
    case kRegEsr:
      // §11.5.3: a write latches the errors detected since the previous write and clears them.
      state_.esr = state_.esr_pending;
      state_.esr_pending = 0;
      break;
    case kRegIcrLow:
      state_.icr_low = merged & kIcrLowWritable;
      send_ipi();
      break;
    case kRegIcrHigh:
      state_.icr_high = merged & 0xff000000;
      break;
    case kRegInitialCount:
      // §11.5.4: writing the initial count (re)starts the count-down; ignored in TSC-deadline.
      if (timer_mode() == TimerMode::kTscDeadline) break;
      state_.initial_count = merged;
      state_.timer_start_ns = wiring_.clock->now_ns();
      schedule_timer();
      break;
    case kRegDivideConfig: {
      // Keep the current count where it is and continue at the new rate (sub-tick phase is
      // dropped, which no guest can observe through the count).
      const uint32_t old_divisor = timer_divisor();
      state_.divide_config = merged & 0xb;
      const uint64_t now = wiring_.clock->now_ns();
      uint64_t ticks = (now - state_.timer_start_ns) / old_divisor;
      if (timer_mode() == TimerMode::kOneShot)
        ticks = std::min<uint64_t>(ticks, state_.initial_count);
      if (timer_mode() == TimerMode::kPeriodic && state_.initial_count)
        ticks %= state_.initial_count;
      state_.timer_start_ns = now - ticks * timer_divisor();
      schedule_timer();
      break;
    }
    default:
      if (!valid) {
        REWIND_LOG(kDebug, "lapic", "write of reserved register %#x", index << 4);
        signal_error(kEsrIllegalRegister);
      }
      // Read-only registers (version, APR, PPR, ISR, TMR, IRR, current count): ignored.
      break;
  }
}

// --- MMIO -------------------------------------------------------------------------------------

// Registers are 32 bits wide on 16-byte strides (§11.4.1); bytes 4-15 of each slot read as 0.
// Other sizes and unaligned accesses are served byte by byte so nothing the guest does crashes.
uint64_t Lapic::mmio_read(uint64_t offset, unsigned size) {
  if (!hardware_enabled()) return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
  offset &= kMmioSize - 1;
  bool valid;
  if (size == 4 && (offset & 0xf) == 0) {
    const uint32_t v = register_value(unsigned(offset >> 4), &valid);
    if (!valid) signal_error(kEsrIllegalRegister);
    return v;
  }
  uint64_t result = 0;
  for (unsigned i = 0; i < size; i++) {
    const uint64_t byte_offset = (offset + i) & (kMmioSize - 1);
    if ((byte_offset & 0xf) >= 4) continue;
    const uint32_t v = register_value(unsigned(byte_offset >> 4), &valid);
    if (!valid) signal_error(kEsrIllegalRegister);
    result |= uint64_t((v >> (8 * (byte_offset & 3))) & 0xff) << (8 * i);
  }
  return result;
}

void Lapic::mmio_write(uint64_t offset, unsigned size, uint64_t value) {
  if (!hardware_enabled()) return;
  offset &= kMmioSize - 1;
  if (size == 4 && (offset & 0xf) == 0) {
    write_register(unsigned(offset >> 4), uint32_t(value), 0xffffffff);
    return;
  }
  REWIND_LOG(kDebug, "lapic", "%u-byte write at offset %#llx", size, (unsigned long long)offset);
  // Group the bytes by register and write each touched register once, merged.
  unsigned i = 0;
  while (i < size) {
    const uint64_t byte_offset = (offset + i) & (kMmioSize - 1);
    const unsigned index = unsigned(byte_offset >> 4);
    uint32_t v = 0, mask = 0;
    for (; i < size && unsigned(((offset + i) & (kMmioSize - 1)) >> 4) == index; i++) {
      const unsigned b = unsigned((offset + i) & 0xf);
      if (b >= 4) continue;
      v |= uint32_t((value >> (8 * i)) & 0xff) << (8 * b);
      mask |= 0xffu << (8 * b);
    }
    if (mask) write_register(index, v, mask);
  }
}

void Lapic::restore(const State& s) {
  state_ = s;
  Clock& clock = *wiring_.clock;
  if (state_.timer_deadline_ns == kNever)
    clock.disarm(wiring_.timer);
  else
    clock.arm(wiring_.timer, Clock::position_from_ns(state_.timer_deadline_ns));
  update_intr();
}

}  // namespace rwd
