// SPDX-License-Identifier: MIT
// Unit tests for the i8042 keyboard controller: controller commands and the command byte,
// keyboard commands and their replies, IRQ1/IRQ12 per byte, the empty aux port, the reset and
// A20 paths, Linux's probe sequence, and save -> restore -> compare.
#include "devices/i8042.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace rwd {
namespace {

struct KbcFixture {
  int irq1_rises = 0, irq12_rises = 0, resets = 0;
  bool irq1 = false, irq12 = false;
  std::vector<bool> a20;
  I8042 kbc{IrqLine([this](bool l) {
              irq1 = l;
              irq1_rises += l;
            }),
            IrqLine([this](bool l) {
              irq12 = l;
              irq12_rises += l;
            }),
            [this] { resets++; }, [this](bool on) { a20.push_back(on); }};

  uint8_t status() { return uint8_t(kbc.port_read(0x64, 1)); }
  uint8_t data() { return uint8_t(kbc.port_read(0x60, 1)); }
  void command(uint8_t c) { kbc.port_write(0x64, 1, c); }
  void write(uint8_t v) { kbc.port_write(0x60, 1, v); }
  // Everything currently readable, the way Linux's i8042_flush() drains it.
  std::vector<uint8_t> drain() {
    std::vector<uint8_t> out;
    while (status() & 0x01) out.push_back(data());
    return out;
  }
};

using Bytes = std::vector<uint8_t>;

TEST(I8042, SelfTestAndInterfaceTests) {
  KbcFixture f;
  EXPECT_EQ(f.status(), 0x18u);  // command last, not inhibited, empty
  f.command(0xaa);
  EXPECT_EQ(f.status() & 0x05, 0x05u);  // OBF and the system flag
  EXPECT_EQ(f.data(), 0x55u);
  f.command(0xab);
  EXPECT_EQ(f.data(), 0x00u);
  f.command(0xa9);
  EXPECT_EQ(f.data(), 0x00u);
  f.command(0xa4);
  EXPECT_EQ(f.data(), 0xf1u);
  EXPECT_EQ(f.status() & 0x01, 0u);
  EXPECT_EQ(f.data(), 0xf1u);  // reading an empty buffer returns its stale contents
}

TEST(I8042, CommandByteAndPortEnables) {
  KbcFixture f;
  f.command(0x20);
  EXPECT_EQ(f.data(), 0x03u);
  f.command(0x60);
  f.write(0x65);
  EXPECT_EQ(f.status() & 0x08, 0u);  // the data write cleared the command flag
  f.command(0x20);
  EXPECT_EQ(f.data(), 0x65u);
  f.command(0xa8);  // aux enable clears bit 5
  f.command(0xad);  // keyboard disable sets bit 4
  f.command(0x20);
  EXPECT_EQ(f.data(), 0x55u);
  f.command(0xa7);
  f.command(0xae);
  f.command(0x20);
  EXPECT_EQ(f.data(), 0x65u);
  EXPECT_EQ(f.status() & 0x04, 0x04u);  // system flag mirrors command byte bit 2
}

TEST(I8042, KeyboardResetAndIdentifyRaiseIrq1PerByte) {
  KbcFixture f;
  f.write(0xff);
  EXPECT_TRUE(f.irq1);
  EXPECT_EQ(f.irq1_rises, 1);
  EXPECT_EQ(f.data(), 0xfau);
  EXPECT_TRUE(f.irq1);  // the next byte is a fresh edge
  EXPECT_EQ(f.irq1_rises, 2);
  EXPECT_EQ(f.data(), 0xaau);
  EXPECT_FALSE(f.irq1);
  f.write(0xf2);
  EXPECT_EQ(f.drain(), (Bytes{0xfa, 0xab, 0x83}));
  f.command(0x60);
  f.write(0x41);  // translation on: the controller turns 0x83 into 0x41
  f.write(0xf2);
  EXPECT_EQ(f.drain(), (Bytes{0xfa, 0xab, 0x41}));
  EXPECT_EQ(f.irq12_rises, 0);
}

TEST(I8042, KeyboardCommandsWithParameters) {
  KbcFixture f;
  f.write(0xed);
  f.write(0x07);
  EXPECT_EQ(f.drain(), (Bytes{0xfa, 0xfa}));
  f.write(0xf0);
  f.write(0x00);
  EXPECT_EQ(f.drain(), (Bytes{0xfa, 0xfa, 0x02}));
  f.write(0xf0);
  f.write(0x01);
  f.write(0xf0);
  f.write(0x00);
  EXPECT_EQ(f.drain(), (Bytes{0xfa, 0xfa, 0xfa, 0xfa, 0x01}));
  f.write(0xf3);
  f.write(0x20);
  f.write(0xf5);
  f.write(0xf4);
  f.write(0xee);
  EXPECT_EQ(f.drain(), (Bytes{0xfa, 0xfa, 0xfa, 0xfa, 0xee}));
  f.write(0x12);  // not a command
  EXPECT_EQ(f.drain(), (Bytes{0xfe}));
  f.write(0xfe);  // resend
  EXPECT_EQ(f.drain(), (Bytes{0xfe}));
}

TEST(I8042, DisabledKeyboardHoldsItsBytes) {
  KbcFixture f;
  f.write(0xff);
  f.command(0xad);
  EXPECT_EQ(f.data(), 0xfau);  // already in the output buffer
  EXPECT_EQ(f.status() & 0x01, 0u);
  f.command(0xae);
  EXPECT_EQ(f.status() & 0x01, 0x01u);
  EXPECT_EQ(f.data(), 0xaau);
}

TEST(I8042, InterruptsFollowTheCommandByte) {
  KbcFixture f;
  f.command(0x60);
  f.write(0x00);  // no interrupts
  f.command(0xaa);
  EXPECT_FALSE(f.irq1);
  EXPECT_EQ(f.status() & 0x01, 0x01u);
  f.command(0x60);  // the pending 0x55 now raises IRQ1 once enabled
  f.write(0x01);
  EXPECT_TRUE(f.irq1);
  EXPECT_EQ(f.data(), 0x55u);
  EXPECT_FALSE(f.irq1);
}

TEST(I8042, AuxPortHasNoDevice) {
  KbcFixture f;
  f.command(0xd3);  // controller loopback through the aux output buffer
  f.write(0x5a);
  EXPECT_EQ(f.status() & 0x21, 0x21u);
  EXPECT_TRUE(f.irq12);
  EXPECT_FALSE(f.irq1);
  EXPECT_EQ(f.data(), 0x5au);
  EXPECT_FALSE(f.irq12);
  f.command(0xd4);  // to the device: nobody answers
  f.write(0xf2);
  EXPECT_EQ(f.status() & 0x61, 0x61u);  // OBF, aux, timeout
  EXPECT_EQ(f.data(), 0xfeu);
  EXPECT_EQ(f.status() & 0x61, 0x00u);
  f.command(0xd2);  // keyboard output buffer write
  f.write(0x1c);
  EXPECT_EQ(f.status() & 0x21, 0x01u);
  EXPECT_TRUE(f.irq1);
  EXPECT_EQ(f.data(), 0x1cu);
}

TEST(I8042, ResetAndA20) {
  KbcFixture f;
  f.command(0xd0);
  EXPECT_EQ(f.data(), 0xcfu);  // reset line high, A20 on
  f.command(0xd1);
  f.write(0xcd);  // A20 off
  EXPECT_EQ(f.a20, std::vector<bool>{false});
  EXPECT_FALSE(f.kbc.a20());
  EXPECT_EQ(f.resets, 0);
  f.command(0xd0);
  EXPECT_EQ(f.data(), 0xcdu);
  f.command(0xdf);
  EXPECT_TRUE(f.kbc.a20());
  f.command(0xfe);  // pulse reset
  EXPECT_EQ(f.resets, 1);
  f.command(0xff);  // pulses nothing
  EXPECT_EQ(f.resets, 1);
  f.command(0xd1);
  f.write(0xce);  // bit 0 low: CPU reset
  EXPECT_EQ(f.resets, 2);
}

TEST(I8042, LinuxProbeSequence) {
  KbcFixture f;
  // drivers/input/serio/i8042.c: flush, read CTR twice, self test, write CTR, aux checks.
  EXPECT_TRUE(f.drain().empty());
  f.command(0x20);
  const uint8_t ctr = f.data();
  f.command(0x20);
  EXPECT_EQ(f.data(), ctr);
  f.command(0xaa);
  EXPECT_EQ(f.data(), 0x55u);
  f.command(0x60);
  f.write(uint8_t((ctr | 0x10) & ~0x01));  // keyboard disabled, no IRQ1
  EXPECT_TRUE(f.drain().empty());
  // i8042_check_aux(): loopback with the aux bit, then the mux probe's loopbacks.
  for (uint8_t v : {0x5a, 0xf0, 0x56, 0xa4}) {
    f.command(0xd3);
    f.write(v);
    ASSERT_EQ(f.status() & 0x21, 0x21u);
    EXPECT_EQ(f.data(), v);  // 0xa4 coming back unchanged means "no multiplexer"
  }
  f.command(0xa7);  // i8042_toggle_aux(): the CTR bit must follow
  f.command(0x20);
  EXPECT_EQ(f.data() & 0x20, 0x20u);
  f.command(0xa8);
  f.command(0x20);
  EXPECT_EQ(f.data() & 0x20, 0x00u);
  // atkbd: enable the port, reset and identify the keyboard.
  f.command(0x60);
  f.write(uint8_t((ctr & ~0x10) | 0x01));
  f.write(0xf2);
  EXPECT_EQ(f.drain(), (Bytes{0xfa, 0xab, 0x83}));
}

TEST(I8042, SaveRestoreCompare) {
  KbcFixture a;
  a.command(0x60);
  a.write(0x47);
  a.write(0xff);  // FA in the buffer, AA waiting in the keyboard
  a.command(0xad);
  a.command(0xd1);  // pending controller command
  const I8042::State s = a.kbc.save();
  KbcFixture b;
  b.kbc.restore(s);
  const I8042::State t = b.kbc.save();
  EXPECT_EQ(std::memcmp(&s, &t, sizeof s), 0);
  EXPECT_EQ(b.irq1, a.irq1);
  EXPECT_TRUE(b.irq1);
  EXPECT_TRUE(b.a20.empty());
  for (KbcFixture* f : {&a, &b}) {
    f->write(0xcf);
    EXPECT_EQ(f->data(), 0xfau);
    EXPECT_EQ(f->status() & 0x01, 0u);
    f->command(0xae);
    EXPECT_EQ(f->drain(), (Bytes{0xaa}));
    f->write(0xf2);
    EXPECT_EQ(f->drain(), (Bytes{0xfa, 0xab, 0x41}));
  }
  EXPECT_EQ(a.a20, b.a20);
  const I8042::State sa = a.kbc.save(), sb = b.kbc.save();
  EXPECT_EQ(std::memcmp(&sa, &sb, sizeof sa), 0);
}

}  // namespace
}  // namespace rwd
