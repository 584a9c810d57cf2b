// SPDX-License-Identifier: MIT
// NS16550A UART (the PC's COM1 at 0x3F8, IRQ 4). Transmission is instantaneous (THR is always
// empty again by the next access), which keeps it a pure function of register accesses.
// Received bytes come only from the Machine (which takes them from the InputPort).
//
// Register map (offset from base; DLAB = LCR bit 7):
//   0 RBR/THR (DLL)   1 IER (DLM)   2 IIR/FCR   3 LCR   4 MCR   5 LSR   6 MSR   7 SCR
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "devices/bus.h"
#include "devices/device.h"

namespace rwd {

class Uart16550 : public PortHandler {
 public:
  static constexpr unsigned kFifoSize = 16;
  struct State {
    std::array<uint8_t, kFifoSize> rx_fifo{};
    uint8_t rx_head = 0, rx_count = 0;
    uint8_t ier = 0, lcr = 0, mcr = 0, lsr = 0x60, msr = 0xb0, scr = 0, fcr = 0;
    uint8_t dll = 0x0c, dlm = 0;  // 9600 baud
    uint8_t thr_interrupt = 0;    // THR-empty interrupt pending (until IIR read or THR write)
  };

  // `output` receives every transmitted byte (not in loopback mode).
  Uart16550(uint16_t base, IrqLine irq, std::function<void(uint8_t)> output);

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;

  // A byte arrives on the wire. Returns false (and drops it) when the FIFO is full.
  bool receive(uint8_t byte);
  bool rx_full() const { return state_.rx_count >= (fifo_enabled() ? kFifoSize : 1); }

  State save() const { return state_; }
  void restore(const State& s) {
    state_ = s;
    irq_.restore_level(irq_wanted());
  }
  static constexpr const char* kName = "uart16550";

 private:
  bool fifo_enabled() const { return state_.fcr & 1; }
  uint8_t interrupt_id() const;
  bool irq_wanted() const;
  void update_irq();

  uint16_t base_;
  IrqLine irq_;
  std::function<void(uint8_t)> output_;
  State state_;
};

}  // namespace rwd
