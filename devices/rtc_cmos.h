// SPDX-License-Identifier: MIT
// Motorola MC146818 real-time clock and its 128 bytes of CMOS RAM at 0x70 (index; bit 7
// disables NMI) and 0x71 (data), as in the ICH9 LPC bridge of a Q35 machine.
//
// Time is never read from the host here: the time of day is `base_unix_seconds` (read once by
// the Machine through its InputPort) plus the virtual time since construction. The divider
// chain is modelled by its phase `origin_ns`: update cycles complete at origin_ns + k * 1 s,
// periodic interrupts fall on the 32.768 kHz taps counted from the same origin, and UIP is
// high during the last 244 us (8 cycles of 32.768 kHz) before each update.
//
// Register map (MC146818A datasheet, "Address Map" and "Registers"):
//   0x00 seconds   0x01 seconds alarm   0x02 minutes   0x03 minutes alarm   0x04 hours
//   0x05 hours alarm   0x06 day of week (1 = Sunday)   0x07 date   0x08 month   0x09 year
//   0x0A A: UIP | DV2-0 | RS3-0      0x0B B: SET PIE AIE UIE SQWE DM 24/12 DSE
//   0x0C C: IRQF PF AF UF (read-only, cleared by reading)     0x0D D: VRT (read-only)
//   0x0E-0x7F: CMOS RAM; the IBM PC/AT layout fields are filled from the constructor:
//   0x10 floppy types, 0x12 disk types, 0x14 equipment, 0x15/16 base memory KiB, 0x17/18 and
//   0x30/31 extended memory KiB, 0x2E/2F checksum of 0x10-0x2D, 0x32 century, 0x34/35 memory
//   above 16 MiB in 64 KiB units, 0x5B-0x5D memory above 4 GiB in 64 KiB units, 0x5F CPUs - 1.
// The time registers and the century byte are derived from the time while the clock runs;
// while SET (register B bit 7) is 1 they are plain bytes that the guest writes, and clearing
// SET loads them back into the clock. Day of week is derived from the date.
// Not modelled: daylight saving (DSE), the square-wave pin (SQWE), the ICH's upper 128 bytes
// at 0x72/0x73.
//
// Wiring: `clock` gives virtual time; `timer` is a timer the Machine registered for this device
// whose callback must call on_timer(); `irq8` is the IRQ output (IRQF, active while an enabled
// flag is set: the PIC sees the rising edge and the guest reads register C to ack).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "devices/bus.h"
#include "devices/device.h"
#include "replay/clock.h"

namespace rwd {

// Proleptic Gregorian calendar, days since 1970-01-01 (negative before), written out by hand
// so no host time function is involved (H. Hinnant's days_from_civil / civil_from_days).
struct CivilTime {
  int64_t year = 1970;
  unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
  unsigned weekday = 4;  // 0 = Sunday
};
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
CivilTime civil_from_unix(int64_t unix_seconds);
int64_t unix_from_civil(const CivilTime& t);

class RtcCmos : public PortHandler {
 public:
  struct State {
    int64_t base_seconds = 0;    // while running: time at origin_ns; otherwise the frozen time
    int64_t origin_ns = 0;       // divider phase: updates complete at origin_ns + k * 1e9
    int64_t flags_until_ns = 0;  // register C holds every event at or before this time
    std::array<uint8_t, 128> cmos{};
    uint8_t index = 0;
    uint8_t nmi_disabled = 0;
    uint8_t reserved[6]{};
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>);
  static constexpr const char* kName = "rtc_cmos";

  // `low_ram_bytes`: RAM below 4 GiB (including the first MiB); `high_ram_bytes`: RAM mapped
  // from 4 GiB up; `cpu_count`: number of CPUs (CMOS 0x5F).
  RtcCmos(Clock& clock, Clock::TimerId timer, IrqLine irq8, int64_t base_unix_seconds,
          uint64_t low_ram_bytes, uint64_t high_ram_bytes, unsigned cpu_count);

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;

  // The Machine's timer callback for `timer`.
  void on_timer();
  // Port 0x70 bit 7: the Machine gates NMI delivery with it.
  bool nmi_disabled() const { return state_.nmi_disabled; }
  // The RTC's time now, in UNIX seconds (for tests and debugging; no side effects).
  int64_t now_seconds() const;

  // The RESET pin (machine reset): clears PIE, AIE, UIE, SQWE and register C. CMOS contents
  // and the time are battery-backed and survive.
  void reset();
  State save() const { return state_; }
  // Re-derives IRQ8 and re-arms the timer at the clock's current position, so the Machine
  // restores the CPU's position before the devices.
  void restore(const State& s);

 private:
  int64_t now_ns() const { return int64_t(clock_.now_ns()); }
  bool divider_running() const;
  bool running() const;  // updating: divider running and SET clear
  int64_t seconds_at(int64_t ns) const;
  bool update_in_progress(int64_t ns) const;
  uint64_t periodic_cycles() const;  // period in 32.768 kHz cycles, 0 = off
  int64_t cycles_at(int64_t ns) const;
  std::optional<int64_t> next_alarm_second(int64_t after) const;
  void encode_time(int64_t seconds, uint8_t reg_b, std::array<uint8_t, 128>& regs) const;
  int64_t decode_time(const std::array<uint8_t, 128>& regs, uint8_t reg_b) const;
  // Keeps the divider phase and makes `seconds` the time now.
  void rebase(int64_t seconds, int64_t ns);
  // Accumulates PF/UF/AF for the events in (flags_until_ns, ns].
  void advance(int64_t ns);
  void refresh_irqf();
  void update_outputs();  // IRQ8 from IRQF, timer at the next enabled event
  uint8_t read_register(uint8_t index);
  void write_register(uint8_t index, uint8_t value);

  Clock& clock_;
  Clock::TimerId timer_;
  IrqLine irq8_;
  State state_;
};

}  // namespace rwd
