// SPDX-License-Identifier: MIT
#include "devices/uart16550.h"

namespace rwd {
namespace {
constexpr uint8_t kLsrDataReady = 0x01, kLsrOverrun = 0x02, kLsrThrEmpty = 0x20,
                  kLsrTxEmpty = 0x40;
constexpr uint8_t kIerRxData = 0x01, kIerThrEmpty = 0x02, kIerLineStatus = 0x04,
                  kIerModemStatus = 0x08;
constexpr uint8_t kMcrLoopback = 0x10, kMcrOut2 = 0x08;
}  // namespace

Uart16550::Uart16550(uint16_t base, IrqLine irq, std::function<void(uint8_t)> output)
    : base_(base), irq_(std::move(irq)), output_(std::move(output)) {}

uint8_t Uart16550::interrupt_id() const {
  // Priority order (16550 datasheet, IIR): line status, received data, THR empty, modem status.
  if ((state_.ier & kIerLineStatus) && (state_.lsr & kLsrOverrun)) return 0x06;
  if ((state_.ier & kIerRxData) && state_.rx_count) return 0x04;
  if ((state_.ier & kIerThrEmpty) && state_.thr_interrupt) return 0x02;
  if ((state_.ier & kIerModemStatus) && (state_.msr & 0x0f)) return 0x00;
  return 0x01;  // none pending
}

bool Uart16550::irq_wanted() const {
  // On a PC the UART's interrupt reaches the PIC only when OUT2 is set.
  return interrupt_id() != 0x01 && (state_.mcr & kMcrOut2);
}

void Uart16550::update_irq() { irq_.set(irq_wanted()); }

bool Uart16550::receive(uint8_t byte) {
  if (rx_full()) {
    state_.lsr |= kLsrOverrun;
    update_irq();
    return false;
  }
  state_.rx_fifo[(state_.rx_head + state_.rx_count) % kFifoSize] = byte;
  state_.rx_count++;
  state_.lsr |= kLsrDataReady;
  update_irq();
  return true;
}

uint32_t Uart16550::port_read(uint16_t port, unsigned size) {
  const bool dlab = state_.lcr & 0x80;
  uint8_t v = 0xff;
  switch (port - base_) {
    case 0:
      if (dlab) {
        v = state_.dll;
      } else {
        v = 0;
        if (state_.rx_count) {
          v = state_.rx_fifo[state_.rx_head];
          state_.rx_head = uint8_t((state_.rx_head + 1) % kFifoSize);
          state_.rx_count--;
        }
        if (!state_.rx_count) state_.lsr &= ~kLsrDataReady;
      }
      break;
    case 1: v = dlab ? state_.dlm : state_.ier; break;
    case 2: {
      v = interrupt_id() | (fifo_enabled() ? 0xc0 : 0);
      // Reading IIR while it reports THR-empty acknowledges that interrupt.
      if ((v & 0x0f) == 0x02) state_.thr_interrupt = 0;
      break;
    }
    case 3: v = state_.lcr; break;
    case 4: v = state_.mcr; break;
    case 5:
      v = state_.lsr;
      state_.lsr &= ~kLsrOverrun;  // cleared by reading
      break;
    case 6:
      if (state_.mcr & kMcrLoopback) {
        // Loopback: modem control outputs appear on the status inputs.
        uint8_t m = state_.mcr;
        v = uint8_t(((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) |
                    ((m & 0x08) << 4) | (state_.msr & 0x0f));
      } else {
        v = state_.msr;
      }
      state_.msr &= 0xf0;  // delta bits clear on read
      break;
    case 7: v = state_.scr; break;
  }
  update_irq();
  (void)size;
  return v;
}

void Uart16550::port_write(uint16_t port, unsigned size, uint32_t value) {
  const bool dlab = state_.lcr & 0x80;
  const uint8_t v = uint8_t(value);
  switch (port - base_) {
    case 0:
      if (dlab) {
        state_.dll = v;
      } else {
        if (state_.mcr & kMcrLoopback)
          receive(v);
        else if (output_)
          output_(v);
        // The byte leaves at once: THR is empty again, which raises THRE if enabled.
        state_.lsr |= kLsrThrEmpty | kLsrTxEmpty;
        state_.thr_interrupt = 1;
      }
      break;
    case 1:
      if (dlab) {
        state_.dlm = v;
      } else {
        // Enabling the THRE interrupt while THR is empty raises it at once.
        if ((v & kIerThrEmpty) && !(state_.ier & kIerThrEmpty)) state_.thr_interrupt = 1;
        state_.ier = v & 0x0f;
      }
      break;
    case 2:
      state_.fcr = v & 0xc9;
      if (v & 0x02) {  // clear receive FIFO
        state_.rx_count = 0;
        state_.rx_head = 0;
        state_.lsr &= ~kLsrDataReady;
      }
      break;
    case 3: state_.lcr = v; break;
    case 4: state_.mcr = v & 0x1f; break;
    case 5: break;  // LSR is read-only
    case 6: break;
    case 7: state_.scr = v; break;
  }
  update_irq();
  (void)size;
}

}  // namespace rwd
