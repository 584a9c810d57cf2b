// SPDX-License-Identifier: MIT
// A bare CPU on flat RAM for instruction-level unit tests: no devices, ports and MMIO read as
// all ones, and helpers to enter real mode, 32-bit protected mode or 64-bit long mode with
// identity-mapped memory. Tests write code bytes, run a number of instructions, and inspect
// CpuState.
//
//   CpuHarness h(CpuHarness::Mode::kLong64);
//   h.load_code({0x48, 0x01, 0xd8});  // add rax, rbx
//   h.state().gpr[kRax] = 1; h.state().gpr[kRbx] = 2;
//   h.run(1);
//   EXPECT_EQ(h.cpu().state.gpr[kRax], 3u);
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "jit/cpu.h"

namespace rwd::test {

class CpuHarness : public CpuHost {
 public:
  enum class Mode { kReal, kProtected32, kLong64 };
  static constexpr uint64_t kRamSize = 8ull << 20;
  static constexpr uint64_t kCodeAddress = 0x100000;  // code is loaded here (real mode: 0x7c00)
  static constexpr uint64_t kStackTop = 0x200000;
  static constexpr uint64_t kGdtAddress = 0x1000;
  static constexpr uint64_t kIdtAddress = 0x2000;
  static constexpr uint64_t kPageTables = 0x10000;  // PML4, PDPT, PD (2 MiB pages, first 1 GiB)
  static constexpr uint64_t kHandlerBase = 0x3000;  // exception handler stubs: one `hlt` each

  explicit CpuHarness(Mode mode, const std::string& model = "max")
      : ram_(kRamSize, 0), cpu_(*this, make_model(model), {{0, kRamSize, ram_.data()}}) {
    set_mode(mode);
  }

  Cpu& cpu() { return cpu_; }
  CpuState& state() { return staged_; }
  uint8_t* ram() { return ram_.data(); }
  std::vector<uint64_t> port_writes;  // (port << 32 | value) for each OUT
  int triple_faults = 0;

  // Places code at the code address (plus a trailing hlt) and points RIP at it.
  void load_code(const std::vector<uint8_t>& code) {
    uint64_t at = code_address();
    std::memcpy(&ram_[at], code.data(), code.size());
    ram_[at + code.size()] = 0xf4;
    staged_.rip = mode_ == Mode::kReal ? at & 0xffff : at;
    if (mode_ == Mode::kReal) {
      staged_.seg[kCs] = Segment{at & ~0xffffull, 0xffff, uint16_t(at >> 4), 0x9b};
      staged_.rip = at & 0xffff;
    }
  }
  uint64_t code_address() const { return mode_ == Mode::kReal ? 0x7c00 : kCodeAddress; }

  // Loads the staged state and retires up to n instructions.
  StopReason run(uint64_t n) {
    cpu_.load_state(staged_);
    StopReason r = cpu_.run_until(cpu_.position() + n);
    staged_ = cpu_.state;
    return r;
  }
  // Continues without reloading state.
  StopReason step(uint64_t n) {
    StopReason r = cpu_.run_until(cpu_.position() + n);
    staged_ = cpu_.state;
    return r;
  }

  // After an exception reached the handler stubs: which vector (or -1).
  int delivered_vector() const {
    uint64_t rip = cpu_.state.rip;
    if (mode_ == Mode::kReal) rip += cpu_.state.seg[kCs].base;
    if (rip < kHandlerBase || rip >= kHandlerBase + 32 * 16) return -1;
    return int((rip - kHandlerBase) / 16);
  }

  template <typename T>
  T read(uint64_t addr) const {
    T v;
    std::memcpy(&v, &ram_[addr], sizeof v);
    return v;
  }
  template <typename T>
  void write(uint64_t addr, T v) {
    std::memcpy(&ram_[addr], &v, sizeof v);
  }

  // CpuHost.
  uint64_t mmio_read(uint64_t, unsigned size) override {
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
  }
  void mmio_write(uint64_t, unsigned, uint64_t) override {}
  uint32_t port_read(uint16_t, unsigned size) override {
    return size >= 4 ? ~0u : (1u << (size * 8)) - 1;
  }
  void port_write(uint16_t port, unsigned, uint32_t value) override {
    port_writes.push_back((uint64_t(port) << 32) | value);
  }
  uint64_t tsc_ticks() override { return cpu_.position(); }
  void triple_fault(const std::string&) override { triple_faults++; }

 private:
  static CpuModel make_model(const std::string& name) {
    std::string error;
    return *cpu_model_from_spec(name, &error);
  }

  void set_mode(Mode mode) {
    mode_ = mode;
    CpuState s = cpu_.state;
    // Handler stubs: a `hlt` per vector, 16 bytes apart, in every mode.
    for (unsigned v = 0; v < 32; v++) ram_[kHandlerBase + v * 16] = 0xf4;
    if (mode == Mode::kReal) {
      for (unsigned v = 0; v < 32; v++) write<uint32_t>(v * 4, uint32_t(kHandlerBase + v * 16));
      s.idtr = DescriptorTable{0, 0x3ff};
      for (unsigned seg = 0; seg < kNumSegs; seg++) s.seg[seg] = Segment{0, 0xffff, 0, 0x93};
      s.gpr[kRsp] = 0x7000;
      staged_ = s;
      return;
    }
    // GDT: null, code64 (0x08), data (0x10), code32 (0x18), user code64 (0x23), user data (0x2b).
    const uint64_t gdt[] = {0,
                            0x00af9b000000ffffull,
                            0x00cf93000000ffffull,
                            0x00cf9b000000ffffull,
                            0x00affb000000ffffull,
                            0x00cff3000000ffffull};
    std::memcpy(&ram_[kGdtAddress], gdt, sizeof gdt);
    s.gdtr = DescriptorTable{kGdtAddress, sizeof gdt - 1};
    s.cr0 = cr0::kPe | cr0::kEt | cr0::kMp | cr0::kNe;
    s.cr4 = cr4::kOsfxsr | cr4::kOsxmmexcpt;
    s.gpr[kRsp] = kStackTop;
    for (unsigned seg = 0; seg < kNumSegs; seg++)
      s.seg[seg] = Segment{0, 0xffffffff, 0x10, 0xc093};
    if (mode == Mode::kProtected32) {
      s.seg[kCs] = Segment{0, 0xffffffff, 0x18, 0xc09b};
      for (unsigned v = 0; v < 32; v++) {
        uint64_t h = kHandlerBase + v * 16;
        uint64_t gate = (h & 0xffff) | (0x18ull << 16) | (0x8eull << 40) | ((h >> 16) << 48);
        write<uint64_t>(kIdtAddress + v * 8, gate);
      }
      s.idtr = DescriptorTable{kIdtAddress, 32 * 8 - 1};
    } else {
      // 4-level identity map of the first 1 GiB with 2 MiB pages, supervisor RW.
      write<uint64_t>(kPageTables, (kPageTables + 0x1000) | 0x7);
      write<uint64_t>(kPageTables + 0x1000, (kPageTables + 0x2000) | 0x7);
      for (uint64_t i = 0; i < 512; i++)
        write<uint64_t>(kPageTables + 0x2000 + i * 8, (i << 21) | 0x83);
      s.cr3 = kPageTables;
      s.cr4 |= cr4::kPae;
      s.efer = efer::kLme | efer::kLma | efer::kSce | efer::kNxe;
      s.cr0 |= cr0::kPg;
      s.seg[kCs] = Segment{0, 0xffffffff, 0x08, 0xa09b};
      for (unsigned v = 0; v < 32; v++) {
        uint64_t h = kHandlerBase + v * 16;
        uint64_t lo = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | (((h >> 16) & 0xffff) << 48);
        write<uint64_t>(kIdtAddress + v * 16, lo);
        write<uint64_t>(kIdtAddress + v * 16 + 8, h >> 32);
      }
      s.idtr = DescriptorTable{kIdtAddress, 32 * 16 - 1};
    }
    staged_ = s;
  }

  Mode mode_;
  std::vector<uint8_t> ram_;
  Cpu cpu_;
  CpuState staged_;
};

}  // namespace rwd::test
