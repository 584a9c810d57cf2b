// SPDX-License-Identifier: MIT
//
// Emulator side of the differential test.  The guest "machine" is a single
// 64 KiB RAM region holding page tables, the three snippet pages and a
// small supervisor area:
//
//   phys     what                     virtual
//   0x0000   PML4
//   0x1000   PDPT
//   0x2000   PD (first GiB)
//   0x3000   PT for the code page
//   0x4000   PT for the data page
//   0x5000   PT for the stack page
//   0x6000   PT for the supervisor area
//   0x7000   code page   (user, R-X)   kCodeAddress
//   0x8000   data page   (user, RW-)   kDataAddress
//   0x9000   stack page  (user, RW-)   kStackAddress
//   0xa000   GDT, TSS, IDT, stubs      kKernelBase      (supervisor)
//   0xb000   kernel stack              kKernelBase+4K   (supervisor)
//
// The snippet runs at CPL 3.  Every exception goes through an interrupt
// gate to a stub that is a lone `hlt`; HLT at CPL 0 stops run_until(), and
// the architectural state at the fault is: the GPRs/XMM/MXCSR as they are
// (the stub changes nothing), RIP/RFLAGS/RSP from the exception frame.
// Completion: the byte after the snippet is `int3` (gate DPL 3, as on
// Linux), so a trap with frame RIP == end + 1 means "reached the end".
#include "tests/diff/rewind_runner.h"

#include <cstring>
#include <stdexcept>

#include "jit/cpu.h"
#include "jit/cpu_model.h"

namespace rwd::diff {
namespace {

constexpr uint64_t kPml4 = 0x0000, kPdpt = 0x1000, kPd = 0x2000;
constexpr uint64_t kPtCode = 0x3000, kPtData = 0x4000, kPtStack = 0x5000, kPtKernel = 0x6000;
constexpr uint64_t kCodePhys = 0x7000, kDataPhys = 0x8000, kStackPhys = 0x9000;
constexpr uint64_t kKernelPhys = 0xa000, kKernelStackPhys = 0xb000;
constexpr uint64_t kRamSize = 0x10000;

// Last 2 MiB of the first GiB: same PD as the snippet pages, far from them.
constexpr uint64_t kKernelBase = 0x3fe00000;
constexpr uint64_t kGdtOffset = 0x000, kTssOffset = 0x100, kIdtOffset = 0x200;
constexpr uint64_t kStubOffset = 0x800, kStubStride = 16;
constexpr uint64_t kKernelStackTop = kKernelBase + 2 * kPageSize;

constexpr uint16_t kKernelCs = 0x08, kUserSs = 0x1b, kUserCs = 0x23, kTssSel = 0x28;

constexpr uint64_t kPteP = 1, kPteRw = 2, kPteUs = 4, kPteNx = 1ull << 63;

// Generous: the longest generated snippets retire a few hundred steps.
constexpr uint64_t kStepLimit = 1u << 20;

bool has_error_code(int vector) {
  switch (vector) {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21: case 29: case 30:
      return true;
    default:
      return false;
  }
}

class DiffHost : public CpuHost {
 public:
  // No devices: unassigned reads float high, writes vanish.
  uint64_t mmio_read(uint64_t, unsigned size) override {
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
  }
  void mmio_write(uint64_t, unsigned, uint64_t) override {}
  uint32_t port_read(uint16_t, unsigned size) override {
    return size >= 4 ? ~0u : (1u << (size * 8)) - 1;
  }
  void port_write(uint16_t, unsigned, uint32_t) override {}
  uint64_t tsc_ticks() override { return 0; }
  void triple_fault(const std::string& why) override {
    triple_faulted = true;
    reason = why;
  }

  bool triple_faulted = false;
  std::string reason;
};

template <typename T>
void put(uint8_t* ram, uint64_t phys, T value) {
  std::memcpy(ram + phys, &value, sizeof(T));
}
template <typename T>
T get(const uint8_t* ram, uint64_t phys) {
  T value;
  std::memcpy(&value, ram + phys, sizeof(T));
  return value;
}

CpuModel model_or_throw(const std::string& spec) {
  std::string error;
  std::optional<CpuModel> model = cpu_model_from_spec(spec, &error);
  if (!model) throw std::runtime_error("RewindRunner: " + error);
  return *model;
}

}  // namespace

struct RewindRunner::Impl {
  explicit Impl(const std::string& spec)
      : ram(kRamSize, 0),
        cpu(host, model_or_throw(spec), {RamRegion{0, kRamSize, ram.data()}}) {
    build_tables();
    build_template_state();
  }

  void build_tables() {
    uint8_t* m = ram.data();
    const uint64_t table = kPteP | kPteRw | kPteUs;
    put<uint64_t>(m, kPml4, kPdpt | table);
    put<uint64_t>(m, kPdpt, kPd | table);
    auto pd_index = [](uint64_t va) { return (va >> 21) & 511; };
    put<uint64_t>(m, kPd + pd_index(kCodeAddress) * 8, kPtCode | table);
    put<uint64_t>(m, kPd + pd_index(kDataAddress) * 8, kPtData | table);
    put<uint64_t>(m, kPd + pd_index(kStackAddress) * 8, kPtStack | table);
    put<uint64_t>(m, kPd + pd_index(kKernelBase) * 8, kPtKernel | table);
    static_assert((kCodeAddress & 0x1fffff) == 0 && (kDataAddress & 0x1fffff) == 0 &&
                      (kStackAddress & 0x1fffff) == 0,
                  "each snippet page is entry 0 of its own page table");
    put<uint64_t>(m, kPtCode, kCodePhys | kPteP | kPteUs);  // read-only, executable
    put<uint64_t>(m, kPtData, kDataPhys | kPteP | kPteRw | kPteUs | kPteNx);
    put<uint64_t>(m, kPtStack, kStackPhys | kPteP | kPteRw | kPteUs | kPteNx);
    put<uint64_t>(m, kPtKernel, kKernelPhys | kPteP | kPteRw);
    put<uint64_t>(m, kPtKernel + 8, kKernelStackPhys | kPteP | kPteRw | kPteNx);

    // GDT: null, kernel code64, kernel data, user data, user code64, 64-bit TSS.
    const uint64_t gdt = kKernelPhys + kGdtOffset;
    put<uint64_t>(m, gdt + 0x08, 0x00af9b000000ffffull);
    put<uint64_t>(m, gdt + 0x10, 0x00cf93000000ffffull);
    put<uint64_t>(m, gdt + 0x18, 0x00cff3000000ffffull);
    put<uint64_t>(m, gdt + 0x20, 0x00affb000000ffffull);
    const uint64_t tss_base = kKernelBase + kTssOffset;
    const uint64_t tss_lo = 0x67 | ((tss_base & 0xffffff) << 16) | (0x8bull << 40) |
                            (((tss_base >> 24) & 0xff) << 56);
    put<uint64_t>(m, gdt + kTssSel, tss_lo);
    put<uint64_t>(m, gdt + kTssSel + 8, tss_base >> 32);
    put<uint64_t>(m, kKernelPhys + kTssOffset + 4, kKernelStackTop);  // RSP0

    // IDT: interrupt gates to the stubs.  #BP and #OF are DPL 3 so INT3/INTO
    // work from user mode, as under Linux; every other INT n raises #GP.
    for (uint64_t v = 0; v < 32; v++) {
      const uint64_t target = kKernelBase + kStubOffset + v * kStubStride;
      const uint64_t dpl = (v == 3 || v == 4) ? 3 : 0;
      const uint64_t lo = (target & 0xffff) | (uint64_t(kKernelCs) << 16) | (0xeull << 40) |
                          (dpl << 45) | (1ull << 47) | (((target >> 16) & 0xffff) << 48);
      put<uint64_t>(m, kKernelPhys + kIdtOffset + v * 16, lo);
      put<uint64_t>(m, kKernelPhys + kIdtOffset + v * 16 + 8, target >> 32);
    }
    std::memset(m + kKernelPhys + kStubOffset, 0xf4, 32 * kStubStride);  // hlt
  }

  void build_template_state() {
    CpuState& s = base;
    // AM as under Linux, so RFLAGS.AC means the same on both sides.
    s.cr0 = cr0::kPe | cr0::kMp | cr0::kEt | cr0::kNe | cr0::kWp | cr0::kAm | cr0::kPg;
    s.cr4 = cr4::kPae | cr4::kOsfxsr | cr4::kOsxmmexcpt | cr4::kPge;
    s.efer = efer::kLme | efer::kLma | efer::kSce | efer::kNxe;
    s.cr3 = kPml4;
    const Segment user_data{0, 0xffffffff, kUserSs, 0xc0f3};
    for (unsigned seg = 0; seg < kNumSegs; seg++) s.seg[seg] = user_data;
    s.seg[kCs] = Segment{0, 0xffffffff, kUserCs, 0xa0fb};
    s.seg[kFs] = Segment{0, 0, 0, 0};
    s.seg[kGs] = Segment{0, 0, 0, 0};
    s.ldtr = Segment{0, 0, 0, 0};
    s.tr = Segment{kKernelBase + kTssOffset, 0x67, kTssSel, 0x8b};
    s.gdtr = DescriptorTable{kKernelBase + kGdtOffset, 0x37};
    s.idtr = DescriptorTable{kKernelBase + kIdtOffset, 32 * 16 - 1};
    s.cpl = 3;
  }

  Result run(const Snippet& sn) {
    if (sn.code.size() > kMaxSnippetCode)
      throw std::runtime_error("RewindRunner: snippet code too long");
    uint8_t* m = ram.data();
    const uint64_t end = kCodeAddress + sn.code.size();
    std::memcpy(m + kCodePhys, sn.code.data(), sn.code.size());
    std::memset(m + kCodePhys + sn.code.size(), 0xcc, kCodeSize - sn.code.size());  // int3
    if (sn.data_init.empty())
      std::memset(m + kDataPhys, 0, kDataSize);
    else
      std::memcpy(m + kDataPhys, sn.data_init.data(), kDataSize);
    if (sn.stack_init.empty())
      std::memset(m + kStackPhys, 0, kStackSize);
    else
      std::memcpy(m + kStackPhys, sn.stack_init.data(), kStackSize);

    CpuState s = base;
    const MachineState& in = sn.input;
    std::memcpy(s.gpr, in.gpr, sizeof(s.gpr));
    // As if loaded by POPFQ at CPL 3: IF stays 1, IOPL 0, VM/RF/VIF/VIP clear.
    constexpr uint64_t kUserChangeable = flags::kArith | flags::kTf | flags::kDf | flags::kNt |
                                         flags::kAc | flags::kId;
    s.rflags = (in.rflags & kUserChangeable) | flags::kIf | flags::kFixed1;
    s.rip = kCodeAddress;
    for (int i = 0; i < 16; i++) std::memcpy(&s.fpu.xmm[i], in.xmm[i], 16);
    s.fpu.mxcsr = in.mxcsr;
    host.triple_faulted = false;
    cpu.load_state(s);

    Result r;
    StopReason why = cpu.run_until(cpu.position() + kStepLimit);
    const CpuState& o = cpu.state;
    const uint64_t stubs = kKernelBase + kStubOffset;
    const uint64_t stub_offset = o.rip - 1 - stubs;
    if (why == StopReason::kHalted && o.cpl == 0 && stub_offset < 32 * kStubStride &&
        stub_offset % kStubStride == 0) {
      const int vector = int(stub_offset / kStubStride);
      uint64_t sp = o.gpr[kRsp];
      if (has_error_code(vector)) sp += 8;
      auto frame = [&](unsigned k) {
        return get<uint64_t>(m, kKernelStackPhys + (sp - (kKernelBase + kPageSize)) + 8 * k);
      };
      MachineState& out = r.state;
      std::memcpy(out.gpr, o.gpr, sizeof(out.gpr));
      out.rip = frame(0);
      out.rflags = frame(2);
      out.gpr[kRsp] = frame(3);
      for (int i = 0; i < 16; i++) std::memcpy(out.xmm[i], &o.fpu.xmm[i], 16);
      out.mxcsr = o.fpu.mxcsr;
      if (vector == kVectorBp && out.rip == end + 1 && frame(1) == kUserCs) {
        out.exception_vector = kVectorNone;
        out.rip = end;
      } else {
        out.exception_vector = vector;
        if (vector == kVectorPf) out.fault_address = o.cr2;
      }
    } else {
      // Triple fault, step limit, or a stop we cannot explain: report it
      // like the host reports a dead sandbox.
      r.state = in;
      r.state.rip = o.rip;
      r.state.exception_vector =
          why == StopReason::kLimit ? kVectorTimeout : kVectorSandboxCrash;
    }
    r.data_out.assign(m + kDataPhys, m + kDataPhys + kDataSize);
    r.stack_out.assign(m + kStackPhys, m + kStackPhys + kStackSize);
    return r;
  }

  DiffHost host;
  std::vector<uint8_t> ram;
  Cpu cpu;
  CpuState base;
};

RewindRunner::RewindRunner(const std::string& cpu_spec)
    : impl_(std::make_unique<Impl>(cpu_spec)) {}
RewindRunner::~RewindRunner() = default;

Result RewindRunner::run(const Snippet& snippet) { return impl_->run(snippet); }

Result run_in_rewind(const Snippet& snippet) { return RewindRunner().run(snippet); }

std::vector<Result> run_in_rewind(const std::vector<Snippet>& snippets) {
  RewindRunner runner;
  std::vector<Result> results;
  results.reserve(snippets.size());
  for (const Snippet& s : snippets) results.push_back(runner.run(s));
  return results;
}

}  // namespace rwd::diff
