// SPDX-License-Identifier: MIT
#include "devices/rtc_cmos.h"

#include <algorithm>
#include <limits>

#include "base/log.h"

namespace rwd {
namespace {
constexpr int64_t kNsPerSecond = 1000000000;
constexpr int64_t kDivider = 32768;  // 32.768 kHz time base, cycles per second
constexpr int64_t kUipCycles = 8;    // UIP leads the update by 244 us = 8 cycles
constexpr int64_t kNoTime = std::numeric_limits<int64_t>::max();

constexpr uint8_t kRegA = 0x0a, kRegB = 0x0b, kRegC = 0x0c, kRegD = 0x0d, kCentury = 0x32;
constexpr uint8_t kASetMask = 0x7f;  // UIP is read-only
constexpr uint8_t kBSet = 0x80, kBPie = 0x40, kBAie = 0x20, kBUie = 0x10, kBBinary = 0x04,
                  kB24Hour = 0x02;
constexpr uint8_t kCIrqf = 0x80, kCPf = 0x40, kCAf = 0x20, kCUf = 0x10;
constexpr uint8_t kDVrt = 0x80;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
int64_t floor_mod(int64_t a, int64_t b) {
  return a - floor_div(a, b) * b;
}

bool is_time_register(uint8_t i) {
  return i == 0 || i == 2 || i == 4 || i == 6 || i == 7 || i == 8 || i == 9 || i == kCentury;
}

// Register encodings in the format chosen by register B (DM: binary or BCD; 24/12).
uint8_t encode(unsigned v, uint8_t reg_b) {
  v %= 100;
  return (reg_b & kBBinary) ? uint8_t(v) : uint8_t((v / 10) << 4 | (v % 10));
}
unsigned decode(uint8_t v, uint8_t reg_b) {
  return (reg_b & kBBinary) ? v : (v >> 4) * 10u + (v & 15u);
}
uint8_t encode_hour(unsigned h, uint8_t reg_b) {
  if (reg_b & kB24Hour) return encode(h, reg_b);
  const unsigned h12 = h % 12 == 0 ? 12 : h % 12;  // 12-hour mode: 1..12, bit 7 = PM
  return uint8_t(encode(h12, reg_b) | (h >= 12 ? 0x80 : 0));
}
unsigned decode_hour(uint8_t v, uint8_t reg_b) {
  if (reg_b & kB24Hour) return decode(v, reg_b);
  return decode(v & 0x7f, reg_b) % 12 + ((v & 0x80) ? 12 : 0);
}
}  // namespace

// --- Calendar -------------------------------------------------------------------------------

int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  // March-based years put the leap day last, so month lengths follow a fixed pattern
  // (153 days per 5 months) and leap years are just the 4/100/400 rule in the era arithmetic.
  const int64_t y = year - (month <= 2);
  const int64_t era = floor_div(y, 400);
  const int64_t yoe = y - era * 400;  // [0, 399]
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // [0, 146096]
  return era * 146097 + doe - 719468;
}

CivilTime civil_from_unix(int64_t unix_seconds) {
  CivilTime t;
  const int64_t days = floor_div(unix_seconds, 86400);
  const int64_t tod = unix_seconds - days * 86400;
  t.hour = unsigned(tod / 3600);
  t.minute = unsigned(tod / 60 % 60);
  t.second = unsigned(tod % 60);
  t.weekday = unsigned(floor_mod(days + 4, 7));  // 1970-01-01 was a Thursday
  const int64_t z = days + 719468;
  const int64_t era = floor_div(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  t.day = unsigned(doy - (153 * mp + 2) / 5 + 1);
  t.month = unsigned(mp < 10 ? mp + 3 : mp - 9);
  t.year = yoe + era * 400 + (t.month <= 2);
  return t;
}

int64_t unix_from_civil(const CivilTime& t) {
  // Days past the end of the month carry over linearly (what an RTC with a bad date does is
  // undefined; this at least never fails).
  return (days_from_civil(t.year, t.month, 1) + int64_t(t.day) - 1) * 86400 + t.hour * 3600 +
         t.minute * 60 + t.second;
}

// --- Construction ---------------------------------------------------------------------------

RtcCmos::RtcCmos(Clock& clock, Clock::TimerId timer, IrqLine irq8, int64_t base_unix_seconds,
                 uint64_t low_ram_bytes, uint64_t high_ram_bytes, unsigned cpu_count)
    : clock_(clock), timer_(timer), irq8_(std::move(irq8)) {
  constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB;
  auto& m = state_.cmos;
  state_.base_seconds = base_unix_seconds;
  state_.origin_ns = now_ns();  // the first update completes one second after power-on
  state_.flags_until_ns = now_ns();
  m[kRegA] = 0x26;  // DV = 010 (32.768 kHz), RS = 0110 (1024 Hz)
  m[kRegB] = kB24Hour;
  m[kRegD] = kDVrt;
  m[0x10] = 0;     // no floppy drives
  m[0x12] = 0;     // no AT hard disks
  m[0x14] = 0x02;  // equipment: math coprocessor; no floppy; display with its own BIOS
  const uint64_t base_kib = std::min<uint64_t>(low_ram_bytes / kKiB, 640);
  m[0x15] = uint8_t(base_kib);
  m[0x16] = uint8_t(base_kib >> 8);
  const uint64_t ext_kib =
      low_ram_bytes > kMiB ? std::min<uint64_t>((low_ram_bytes - kMiB) / kKiB, 0xffff) : 0;
  m[0x17] = m[0x30] = uint8_t(ext_kib);
  m[0x18] = m[0x31] = uint8_t(ext_kib >> 8);
  const uint64_t above_16m =
      low_ram_bytes > 16 * kMiB
          ? std::min<uint64_t>((low_ram_bytes - 16 * kMiB) / (64 * kKiB), 0xffff)
          : 0;
  m[0x34] = uint8_t(above_16m);
  m[0x35] = uint8_t(above_16m >> 8);
  const uint64_t above_4g = std::min<uint64_t>(high_ram_bytes / (64 * kKiB), 0xffffff);
  m[0x5b] = uint8_t(above_4g);
  m[0x5c] = uint8_t(above_4g >> 8);
  m[0x5d] = uint8_t(above_4g >> 16);
  m[0x5f] = uint8_t(cpu_count ? cpu_count - 1 : 0);
  unsigned sum = 0;  // IBM PC/AT: 16-bit sum of 0x10-0x2D, high byte first
  for (unsigned i = 0x10; i <= 0x2d; i++) sum += m[i];
  m[0x2e] = uint8_t(sum >> 8);
  m[0x2f] = uint8_t(sum);
  encode_time(base_unix_seconds, m[kRegB], m);  // so the bytes are meaningful if SET is used
  update_outputs();
}

void RtcCmos::reset() {
  advance(now_ns());
  state_.cmos[kRegB] &= uint8_t(~(kBPie | kBAie | kBUie | 0x08));
  state_.cmos[kRegC] = 0;
  update_outputs();
}

void RtcCmos::restore(const State& s) {
  state_ = s;
  update_outputs();
}

// --- Time and events --------------------------------------------------------------------------

bool RtcCmos::divider_running() const {
  // DV = 000, 001, 010 select a time base; 11x hold the divider in reset (and the others are
  // test modes, which we treat as stopped).
  return (state_.cmos[kRegA] & 0x70) <= 0x20;
}
bool RtcCmos::running() const {
  return divider_running() && !(state_.cmos[kRegB] & kBSet);
}

int64_t RtcCmos::seconds_at(int64_t ns) const {
  if (!running()) return state_.base_seconds;
  return state_.base_seconds + floor_div(ns - state_.origin_ns, kNsPerSecond);
}

int64_t RtcCmos::now_seconds() const {
  if (state_.cmos[kRegB] & kBSet) return decode_time(state_.cmos, state_.cmos[kRegB]);
  return seconds_at(now_ns());
}

int64_t RtcCmos::cycles_at(int64_t ns) const {
  const __int128 elapsed = __int128(ns) - state_.origin_ns;
  const __int128 scaled = elapsed * kDivider;
  // Floor division for the (never expected) negative case too.
  __int128 q = scaled / kNsPerSecond;
  if (scaled % kNsPerSecond != 0 && scaled < 0) q--;
  return int64_t(q);
}

bool RtcCmos::update_in_progress(int64_t ns) const {
  if (!running()) return false;  // SET inhibits updates and clears UIP
  return floor_mod(cycles_at(ns), kDivider) >= kDivider - kUipCycles;
}

uint64_t RtcCmos::periodic_cycles() const {
  // Register A RS3-RS0 with the 32.768 kHz time base: 0 = off, 1 and 2 repeat 8 and 9
  // (256 and 128 Hz), 3..15 = 8192 Hz down to 2 Hz (datasheet, "Periodic Interrupt Rate").
  const unsigned rs = state_.cmos[kRegA] & 0x0f;
  if (rs == 0) return 0;
  if (rs <= 2) return uint64_t(1) << (rs + 6);
  return uint64_t(1) << (rs - 1);
}

std::optional<int64_t> RtcCmos::next_alarm_second(int64_t after) const {
  // The chip compares the alarm bytes with the time bytes at each update; 0xC0-0xFF is
  // "don't care". Skip whole hours and minutes that cannot match; two days always suffice.
  const uint8_t b = state_.cmos[kRegB];
  const uint8_t alarm_s = state_.cmos[1], alarm_m = state_.cmos[3], alarm_h = state_.cmos[5];
  auto any = [](uint8_t v) { return (v & 0xc0) == 0xc0; };
  for (int64_t t = after + 1; t <= after + 2 * 86400;) {
    const int64_t tod = floor_mod(t, 86400);
    const unsigned h = unsigned(tod / 3600), m = unsigned(tod / 60 % 60), s = unsigned(tod % 60);
    if (!any(alarm_h) && alarm_h != encode_hour(h, b)) {
      t += 3600 - tod % 3600;
    } else if (!any(alarm_m) && alarm_m != encode(m, b)) {
      t += 60 - s;
    } else if (!any(alarm_s) && alarm_s != encode(s, b)) {
      t += 1;
    } else {
      return t;
    }
  }
  return std::nullopt;
}

void RtcCmos::encode_time(int64_t seconds, uint8_t reg_b, std::array<uint8_t, 128>& regs) const {
  const CivilTime t = civil_from_unix(seconds);
  regs[0] = encode(t.second, reg_b);
  regs[2] = encode(t.minute, reg_b);
  regs[4] = encode_hour(t.hour, reg_b);
  regs[6] = encode(t.weekday + 1, reg_b);
  regs[7] = encode(t.day, reg_b);
  regs[8] = encode(t.month, reg_b);
  regs[9] = encode(unsigned(floor_mod(t.year, 100)), reg_b);
  regs[kCentury] = encode(unsigned(floor_div(t.year, 100)), reg_b);
}

int64_t RtcCmos::decode_time(const std::array<uint8_t, 128>& regs, uint8_t reg_b) const {
  CivilTime t;
  t.second = decode(regs[0], reg_b);
  t.minute = decode(regs[2], reg_b);
  t.hour = decode_hour(regs[4], reg_b);
  t.day = std::max(1u, decode(regs[7], reg_b));
  t.month = std::clamp(decode(regs[8], reg_b), 1u, 12u);
  t.year = int64_t(decode(regs[kCentury], reg_b)) * 100 + decode(regs[9], reg_b);
  return unix_from_civil(t);
}

void RtcCmos::rebase(int64_t seconds, int64_t ns) {
  state_.base_seconds = seconds;
  if (divider_running()) {
    // The divider keeps its phase: the next update still comes at the next second boundary.
    state_.origin_ns = ns - floor_mod(ns - state_.origin_ns, kNsPerSecond);
  }
}

void RtcCmos::advance(int64_t ns) {
  const int64_t from = state_.flags_until_ns;
  if (ns <= from) return;
  uint8_t& c = state_.cmos[kRegC];
  // Flags are set whether or not their interrupt is enabled (datasheet, "Register C").
  if (const uint64_t period = periodic_cycles(); period && divider_running()) {
    if (floor_div(cycles_at(ns), int64_t(period)) > floor_div(cycles_at(from), int64_t(period)))
      c |= kCPf;
  }
  if (running()) {
    const int64_t k_from = floor_div(from - state_.origin_ns, kNsPerSecond);
    const int64_t k_to = floor_div(ns - state_.origin_ns, kNsPerSecond);
    if (k_to > k_from) {
      c |= kCUf;
      const std::optional<int64_t> alarm = next_alarm_second(state_.base_seconds + k_from);
      if (alarm && *alarm <= state_.base_seconds + k_to) c |= kCAf;
    }
  }
  state_.flags_until_ns = ns;
  refresh_irqf();
}

void RtcCmos::refresh_irqf() {
  // IRQF = PF.PIE + AF.AIE + UF.UIE; the flag and enable bits share positions in C and B.
  uint8_t& c = state_.cmos[kRegC];
  c = uint8_t((c & 0x70) | ((c & state_.cmos[kRegB] & 0x70) ? kCIrqf : 0));
}

void RtcCmos::update_outputs() {
  const auto& m = state_.cmos;
  irq8_.set(m[kRegC] & kCIrqf);
  // Only events that could raise IRQ8 need a timer; other flags are computed when read. A
  // flag already set cannot change until register C is read, so it needs no timer either.
  const int64_t ns = now_ns();
  int64_t next = kNoTime;
  if (running() && (m[kRegB] & kBUie) && !(m[kRegC] & kCUf)) {
    next = std::min(next, state_.origin_ns +
                              (floor_div(ns - state_.origin_ns, kNsPerSecond) + 1) * kNsPerSecond);
  }
  if (running() && (m[kRegB] & kBAie) && !(m[kRegC] & kCAf)) {
    if (const auto s = next_alarm_second(seconds_at(ns)))
      next = std::min(next, state_.origin_ns + (*s - state_.base_seconds) * kNsPerSecond);
  }
  const uint64_t period = periodic_cycles();
  if (period && divider_running() && (m[kRegB] & kBPie) && !(m[kRegC] & kCPf)) {
    const __int128 j = floor_div(cycles_at(ns), int64_t(period)) + 1;
    const __int128 cycles = j * __int128(period);
    next = std::min(next,
                    int64_t(state_.origin_ns + (cycles * kNsPerSecond + kDivider - 1) / kDivider));
  }
  if (next == kNoTime) {
    clock_.disarm(timer_);
  } else {
    clock_.arm(timer_, Clock::position_from_ns(uint64_t(std::max<int64_t>(next, 0))));
  }
}

void RtcCmos::on_timer() {
  advance(now_ns());
  update_outputs();
}

// --- Registers ------------------------------------------------------------------------------

uint8_t RtcCmos::read_register(uint8_t index) {
  auto& m = state_.cmos;
  const int64_t ns = now_ns();
  if (is_time_register(index)) {
    if (m[kRegB] & kBSet) return m[index];
    std::array<uint8_t, 128> regs{};
    encode_time(seconds_at(ns), m[kRegB], regs);
    return regs[index];
  }
  switch (index) {
    case kRegA:
      return uint8_t((m[kRegA] & kASetMask) | (update_in_progress(ns) ? 0x80 : 0));
    case kRegC: {
      const uint8_t v = m[kRegC];
      m[kRegC] = 0;  // reading C acknowledges every flag and drops IRQ8
      return v;
    }
    case kRegD:
      return kDVrt;
    default:
      return m[index];
  }
}

void RtcCmos::write_register(uint8_t index, uint8_t value) {
  auto& m = state_.cmos;
  const int64_t ns = now_ns();
  if (is_time_register(index)) {
    if (m[kRegB] & kBSet) {
      m[index] = value;
    } else {
      // Writing one field of a running clock: the other fields keep their current values.
      std::array<uint8_t, 128> regs = m;
      encode_time(seconds_at(ns), m[kRegB], regs);
      regs[index] = value;
      rebase(decode_time(regs, m[kRegB]), ns);
      m[index] = value;
    }
    return;
  }
  switch (index) {
    case kRegA: {
      const bool was_running = divider_running();
      const int64_t now = seconds_at(ns);
      m[kRegA] = value & kASetMask;
      if (was_running && !divider_running()) {
        state_.base_seconds = now;  // divider reset: time stops
      } else if (!was_running && divider_running()) {
        // Releasing the divider reset: the first update comes half a second later.
        state_.origin_ns = ns - kNsPerSecond / 2;
      }
      break;
    }
    case kRegB: {
      const uint8_t old = m[kRegB];
      // SET inhibits updates and clears UIE (datasheet, "Register B").
      if (value & kBSet) value &= uint8_t(~kBUie);
      if (!(old & kBSet) && (value & kBSet)) {
        state_.base_seconds = seconds_at(ns);
        m[kRegB] = value;
        encode_time(state_.base_seconds, value, m);  // the registers now hold the stopped time
      } else if ((old & kBSet) && !(value & kBSet)) {
        const int64_t seconds = decode_time(m, value);
        m[kRegB] = value;
        rebase(seconds, ns);
      } else {
        m[kRegB] = value;
      }
      refresh_irqf();
      break;
    }
    case kRegC:
    case kRegD:  // read-only
      break;
    default:
      m[index] = value;
      break;
  }
}

uint32_t RtcCmos::port_read(uint16_t port, unsigned size) {
  advance(now_ns());
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++) {
    const uint16_t p = uint16_t(port + i);
    // The index register is write-only; reads float.
    const uint8_t b = p == 0x71 ? read_register(state_.index) : 0xff;
    v |= uint32_t(b) << (8 * i);
  }
  update_outputs();
  return v;
}

void RtcCmos::port_write(uint16_t port, unsigned size, uint32_t value) {
  advance(now_ns());
  for (unsigned i = 0; i < size; i++) {
    const uint16_t p = uint16_t(port + i);
    const uint8_t b = uint8_t(value >> (8 * i));
    if (p == 0x70) {
      state_.index = b & 0x7f;
      state_.nmi_disabled = b >> 7;
    } else if (p == 0x71) {
      write_register(state_.index, b);
    } else {
      REWIND_LOG(kDebug, "rtc", "write %#x to unhandled port %#x", b, p);
    }
  }
  update_outputs();
}

}  // namespace rwd
