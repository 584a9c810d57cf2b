// SPDX-License-Identifier: MIT
// Unit tests for the foundation's devices and machine plumbing: UART 16550 registers and
// interrupts, save → restore → compare, the clock's timer order, buses, config parsing, and the
// multiboot loader.
#include <gtest/gtest.h>

#include <cstring>

#include "devices/bus.h"
#include "devices/debug_exit.h"
#include "devices/loader/multiboot.h"
#include "devices/machine/config.h"
#include "devices/uart16550.h"
#include "replay/clock.h"

namespace rwd {
namespace {

struct UartFixture {
  std::string out;
  bool irq = false;
  Uart16550 uart{0x3f8, IrqLine([this](bool level) { irq = level; }),
                 [this](uint8_t b) { out.push_back(char(b)); }};
};

TEST(Uart16550, TransmitsAndReportsEmpty) {
  UartFixture f;
  f.uart.port_write(0x3f8, 1, 'h');
  f.uart.port_write(0x3f8, 1, 'i');
  EXPECT_EQ(f.out, "hi");
  EXPECT_EQ(f.uart.port_read(0x3fd, 1) & 0x60, 0x60);  // THRE | TEMT
}

TEST(Uart16550, ReceiveFifoAndDataReady) {
  UartFixture f;
  f.uart.port_write(0x3fa, 1, 0x01);  // FIFO on
  EXPECT_TRUE(f.uart.receive('a'));
  EXPECT_TRUE(f.uart.receive('b'));
  EXPECT_EQ(f.uart.port_read(0x3fd, 1) & 1, 1u);
  EXPECT_EQ(f.uart.port_read(0x3f8, 1), uint32_t('a'));
  EXPECT_EQ(f.uart.port_read(0x3f8, 1), uint32_t('b'));
  EXPECT_EQ(f.uart.port_read(0x3fd, 1) & 1, 0u);
  for (int i = 0; i < 16; i++) EXPECT_TRUE(f.uart.receive('x'));
  EXPECT_FALSE(f.uart.receive('y'));                 // full: overrun
  EXPECT_EQ(f.uart.port_read(0x3fd, 1) & 2, 2u);     // OE, cleared by the read
  EXPECT_EQ(f.uart.port_read(0x3fd, 1) & 2, 0u);
}

TEST(Uart16550, InterruptsNeedOut2AndFollowPriorities) {
  UartFixture f;
  f.uart.port_write(0x3f9, 1, 0x03);  // RX data + THR empty
  EXPECT_FALSE(f.irq);                // OUT2 clear: the line is gated off
  f.uart.port_write(0x3fc, 1, 0x08);  // OUT2
  EXPECT_TRUE(f.irq);                 // THR empty
  EXPECT_EQ(f.uart.port_read(0x3fa, 1) & 0x0f, 0x02u);  // reading IIR acknowledges THRE
  EXPECT_FALSE(f.irq);
  f.uart.receive('z');
  EXPECT_TRUE(f.irq);
  EXPECT_EQ(f.uart.port_read(0x3fa, 1) & 0x0f, 0x04u);  // received data
  f.uart.port_read(0x3f8, 1);
  EXPECT_FALSE(f.irq);
}

TEST(Uart16550, DivisorLatchAndScratch) {
  UartFixture f;
  f.uart.port_write(0x3fb, 1, 0x80);
  f.uart.port_write(0x3f8, 1, 0x01);
  f.uart.port_write(0x3f9, 1, 0x00);
  EXPECT_EQ(f.uart.port_read(0x3f8, 1), 1u);
  f.uart.port_write(0x3fb, 1, 0x03);
  EXPECT_TRUE(f.out.empty());  // the divisor write was not a transmit
  f.uart.port_write(0x3ff, 1, 0x5a);
  EXPECT_EQ(f.uart.port_read(0x3ff, 1), 0x5au);
}

TEST(Uart16550, LoopbackEchoesIntoReceiver) {
  UartFixture f;
  f.uart.port_write(0x3fc, 1, 0x10);
  f.uart.port_write(0x3f8, 1, 'L');
  EXPECT_TRUE(f.out.empty());
  EXPECT_EQ(f.uart.port_read(0x3f8, 1), uint32_t('L'));
}

TEST(Uart16550, SaveRestoreCompare) {
  UartFixture a;
  a.uart.port_write(0x3fa, 1, 0x01);
  a.uart.port_write(0x3fb, 1, 0x03);
  a.uart.port_write(0x3f9, 1, 0x01);
  a.uart.port_write(0x3fc, 1, 0x08);
  a.uart.receive('q');
  a.uart.receive('r');
  Uart16550::State s = a.uart.save();
  UartFixture b;
  b.uart.restore(s);
  EXPECT_EQ(std::memcmp(&s, &(const Uart16550::State&)b.uart.save(), sizeof s), 0);
  EXPECT_FALSE(b.irq);  // restore does not reach into the consumer (it restores its own view)
  // The restored device behaves exactly like the original from here on.
  for (Uart16550* u : {&a.uart, &b.uart}) {
    EXPECT_EQ(u->port_read(0x3f8, 1), uint32_t('q'));
    EXPECT_EQ(u->port_read(0x3f8, 1), uint32_t('r'));
  }
  EXPECT_FALSE(a.irq);
  b.uart.receive('s');
  EXPECT_TRUE(b.irq);  // the line follows the restored state
}

TEST(DebugExit, StatusIsValueShiftedOrOne) {
  int status = -1;
  DebugExit d([&](int s) { status = s; });
  d.port_write(0xf4, 4, 0x10);
  EXPECT_EQ(status, 33);
  d.port_write(0xf4, 4, 0x11);
  EXPECT_EQ(status, 35);
}

TEST(Clock, FiresInDeadlineThenRegistrationOrder) {
  Clock clock;
  std::string order;
  auto a = clock.add_timer("a", [&] { order += 'a'; });
  auto b = clock.add_timer("b", [&] { order += 'b'; });
  auto c = clock.add_timer("c", [&] { order += 'c'; });
  clock.arm(c, 100);
  clock.arm(b, 50);
  clock.arm(a, 100);
  EXPECT_EQ(clock.next_deadline(), 50u);
  clock.run_due(99);
  EXPECT_EQ(order, "b");
  clock.run_due(100);
  EXPECT_EQ(order, "bac");
  EXPECT_EQ(clock.next_deadline(), kNever);
  auto saved = clock.save();
  clock.arm(a, 7);
  clock.restore(saved);
  EXPECT_FALSE(clock.armed(a));
}

struct RecordingPorts : PortHandler {
  std::vector<std::pair<uint16_t, uint32_t>> writes;
  uint32_t port_read(uint16_t port, unsigned) override { return port; }
  void port_write(uint16_t port, unsigned, uint32_t v) override { writes.push_back({port, v}); }
};

TEST(Bus, UnassignedPortsAreOpenBusAndCounted) {
  PortBus bus;
  RecordingPorts dev;
  bus.map(0x60, 1, &dev, "dev");
  EXPECT_EQ(bus.read(0x60, 1), 0x60u);
  EXPECT_EQ(bus.read(0x61, 1), 0xffu);
  EXPECT_EQ(bus.read(0x1234, 2), 0xffffu);
  EXPECT_EQ(bus.read(0x1234, 4), 0xffffffffu);
  bus.write(0x99, 1, 1);
  EXPECT_EQ(bus.unassigned().accesses, 4u);
  EXPECT_EQ(bus.unassigned().first_address, 0x61u);
  MmioBus mmio;
  EXPECT_EQ(mmio.read(0xfed00000, 8), ~0ull);
}

TEST(MachineConfig, QemuSpellingsAndErrors) {
  MachineConfig cfg = default_machine_config();
  std::vector<std::string> args = {"-m", "2G", "-cpu", "penryn,ignore-msrs", "-device",
                                   "isa-debug-exit,iobase=0xf4,iosize=0x04", "-nographic",
                                   "-no-reboot", "-append", "a b"};
  std::string error;
  for (size_t i = 0; i < args.size();) ASSERT_TRUE(parse_machine_flag(args, &i, &cfg, &error)) << error;
  EXPECT_EQ(cfg.ram_size, 2ull << 30);
  EXPECT_EQ(cfg.cpu.name, "penryn");
  EXPECT_TRUE(cfg.cpu.features.ignore_msrs);
  ASSERT_EQ(cfg.debug_exits.size(), 1u);
  EXPECT_EQ(cfg.debug_exits[0].iobase, 0xf4);
  EXPECT_EQ(cfg.debug_exits[0].iosize, 4);
  EXPECT_TRUE(cfg.no_reboot);
  EXPECT_EQ(cfg.append, "a b");
  std::vector<std::string> bad = {"-frobnicate"};
  size_t i = 0;
  EXPECT_FALSE(parse_machine_flag(bad, &i, &cfg, &error));
  EXPECT_NE(error.find("-frobnicate"), std::string::npos);
  std::vector<std::string> bad_dev = {"-device", "e1000"};
  i = 0;
  EXPECT_FALSE(parse_machine_flag(bad_dev, &i, &cfg, &error));
  EXPECT_NE(error.find("e1000"), std::string::npos);
  std::vector<std::string> bad_cpu = {"-cpu", "skylake"};
  i = 0;
  EXPECT_FALSE(parse_machine_flag(bad_cpu, &i, &cfg, &error));
}

// A minimal a.out-kludge multiboot image: header at offset 0, code right after.
std::vector<uint8_t> kludge_image(uint32_t load_addr) {
  std::vector<uint8_t> img(64, 0x90);
  uint32_t h[8] = {0x1badb002, 0x10000, uint32_t(-(0x1badb002 + 0x10000)), load_addr, load_addr,
                   0, load_addr + 0x2000, load_addr + 32};
  std::memcpy(img.data(), h, sizeof h);
  return img;
}

TEST(Multiboot, LoadsKludgeImageModulesAndInfo) {
  std::vector<uint8_t> ram(16 << 20, 0xcc);
  PhysWriter write = [&](uint64_t addr, const void* d, size_t n) {
    if (addr + n > ram.size()) return false;
    std::memcpy(&ram[addr], d, n);
    return true;
  };
  CpuState s;
  std::string error;
  BootModule mod{{1, 2, 3, 4}, "initrd.img arg"};
  ASSERT_TRUE(load_multiboot(kludge_image(0x100000), "kernel iterations=3", {mod},
                             MemoryLayout{16 << 20, 0}, write, &s, &error))
      << error;
  EXPECT_EQ(s.rip, 0x100020u);
  EXPECT_EQ(s.gpr[kRax], 0x2badb002u);
  EXPECT_TRUE(s.cr0 & cr0::kPe);
  EXPECT_EQ(ram[0x100040 + 10], 0);  // bss zeroed
  uint32_t info[22];
  std::memcpy(info, &ram[s.gpr[kRbx]], sizeof info);
  EXPECT_TRUE(info[0] & 0x4);
  EXPECT_STREQ(reinterpret_cast<const char*>(&ram[info[4]]), "kernel iterations=3");
  EXPECT_EQ(info[5], 1u);
  uint32_t m[4];
  std::memcpy(m, &ram[info[6]], sizeof m);
  EXPECT_EQ(m[0] % 4096, 0u);
  EXPECT_EQ(ram[m[0] + 2], 3);
  EXPECT_STREQ(reinterpret_cast<const char*>(&ram[m[2]]), "initrd.img arg");
  EXPECT_EQ(info[2], uint32_t((16 << 20) - (1 << 20)) / 1024);
}

TEST(Multiboot, RejectsBadImagesWithMessages) {
  std::vector<uint8_t> ram(1 << 20);
  PhysWriter write = [&](uint64_t addr, const void* d, size_t n) {
    if (addr + n > ram.size()) return false;
    std::memcpy(&ram[addr], d, n);
    return true;
  };
  CpuState s;
  std::string error;
  EXPECT_FALSE(load_multiboot(std::vector<uint8_t>(100, 0), "", {}, MemoryLayout{1 << 20, 0},
                              write, &s, &error));
  EXPECT_NE(error.find("multiboot header"), std::string::npos);
  // Kernel that does not fit into RAM.
  EXPECT_FALSE(load_multiboot(kludge_image(0x200000), "", {}, MemoryLayout{1 << 20, 0}, write,
                              &s, &error));
  EXPECT_NE(error.find("RAM"), std::string::npos);
}

}  // namespace
}  // namespace rwd
