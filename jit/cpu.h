// SPDX-License-Identifier: MIT
// The Cpu's contract with the Machine (STYLE practice 6): one x86-64 vCPU that executes exactly
// up to a requested position, reaching physical memory, ports and interrupts only through the
// CpuHost the Machine provides. No globals: several Cpus and several Machines can coexist.
//
//   Cpu cpu(host, model, ram);
//   cpu.run_until(cpu.position() + 1000);   // retires exactly 1000 instructions (or stops early
//                                           // on HLT / a machine request)
//
// The public data members below are the semantics' working set (jit/semantics/*.h); the Machine
// uses the methods.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "jit/cpu_model.h"
#include "jit/decode/decoder.h"
#include "jit/decode/insn.h"
#include "jit/state.h"

namespace rwd {

// What the Machine gives a vCPU. Every call happens at an instruction boundary or inside the
// instruction that caused it; none may touch guest CPU state from another thread.
class CpuHost {
 public:
  virtual ~CpuHost() = default;
  virtual uint64_t mmio_read(uint64_t phys, unsigned size) = 0;
  virtual void mmio_write(uint64_t phys, unsigned size, uint64_t value) = 0;
  virtual uint32_t port_read(uint16_t port, unsigned size) = 0;
  virtual void port_write(uint16_t port, unsigned size, uint32_t value) = 0;
  // Acknowledges the highest-priority pending external interrupt (INTA cycle). Returns its
  // vector, or -1 if the request went away (spurious).
  virtual int acknowledge_interrupt() { return -1; }
  // Virtual-time ticks since machine start (the TSC source); a pure function of position.
  virtual uint64_t tsc_ticks() = 0;
  // MSRs that belong to devices (e.g. the LAPIC's TSC deadline). Return false when unhandled.
  virtual bool read_device_msr(uint32_t, uint64_t*) { return false; }
  virtual bool write_device_msr(uint32_t, uint64_t) { return false; }
  // RDRAND/RDSEED values: an input (DESIGN §2.3), journaled by the Machine's InputPort.
  virtual uint64_t random_input() { return 0; }
  // The CPU shut down (triple fault). The Machine resets or stops.
  virtual void triple_fault(const std::string& why) = 0;
};

// Which RAM pages were written since the last take(): the basis of incremental checkpoints and
// cheap state hashes. The CPU marks a page when it installs a write translation for it (so a
// page is marked at its first write after take(), whatever path writes it), on slow-path RAM
// writes and on page-table A/D updates; the Machine marks DMA and loader writes.
class DirtyLog {
 public:
  DirtyLog(const uint8_t* base, uint64_t size) : base_(base), bits_((size / 4096 + 63) / 64) {}
  void mark(const uint8_t* host) {
    uint64_t page = uint64_t(host - base_) >> 12;
    bits_[page / 64] |= 1ull << (page % 64);
  }
  void mark_range(const uint8_t* host, size_t len) {
    for (uint64_t p = uint64_t(host - base_) >> 12; p <= (uint64_t(host - base_) + len - 1) >> 12; p++)
      bits_[p / 64] |= 1ull << (p % 64);
  }
  void mark_all() {
    for (uint64_t& w : bits_) w = ~0ull;
  }
  // The dirty page numbers (offset in RAM / 4096), ascending, leaving the log as it is.
  std::vector<uint64_t> peek(uint64_t page_count) const {
    std::vector<uint64_t> pages;
    for (size_t w = 0; w < bits_.size(); w++)
      for (uint64_t word = bits_[w]; word; word &= word - 1) {
        uint64_t page = w * 64 + uint64_t(__builtin_ctzll(word));
        if (page < page_count) pages.push_back(page);
      }
    return pages;
  }
  // Returns the dirty page numbers (offset in RAM / 4096), ascending, and clears the log.
  std::vector<uint64_t> take(uint64_t page_count) {
    std::vector<uint64_t> pages;
    for (size_t w = 0; w < bits_.size(); w++) {
      uint64_t word = bits_[w];
      while (word) {
        uint64_t page = w * 64 + uint64_t(__builtin_ctzll(word));
        if (page < page_count) pages.push_back(page);
        word &= word - 1;
      }
      bits_[w] = 0;
    }
    return pages;
  }

 private:
  const uint8_t* base_;
  std::vector<uint64_t> bits_;
};

struct RamRegion {
  uint64_t phys = 0;
  uint64_t size = 0;
  uint8_t* host = nullptr;
};

// A guest exception raised by semantics; delivered by the Cpu at the instruction boundary.
struct CpuException {
  uint8_t vector;
  bool has_error;
  uint32_t error;
};

namespace vec {
constexpr uint8_t kDe = 0, kDb = 1, kNmi = 2, kBp = 3, kOf = 4, kBr = 5, kUd = 6, kNm = 7, kDf = 8,
                  kTs = 10, kNp = 11, kSs = 12, kGp = 13, kPf = 14, kMf = 16, kAc = 17, kMc = 18,
                  kXm = 19;
}

enum class StopReason { kLimit, kHalted, kRequested, kDebug };

// Debugger watchpoints on linear addresses (gdb's Z2/Z3/Z4).
enum class WatchKind : uint8_t { kWrite = 1, kRead = 2, kAccess = 3 };
struct Watchpoint {
  uint64_t address;
  uint64_t length;
  WatchKind kind;
};
// Why run_until returned kDebug.
struct DebugStop {
  enum class Kind : uint8_t { kNone, kBreakpoint, kWatchpoint } kind = Kind::kNone;
  uint64_t address = 0;         // breakpoint address, or the watched address accessed
  WatchKind access = WatchKind::kWrite;
  uint64_t insn_position = 0;   // watchpoints: the position of the accessing instruction
};

enum class Access : uint8_t { kRead = 0, kWrite = 1, kExec = 2 };

struct CpuStats {
  uint64_t blocks_decoded = 0;
  uint64_t blocks_invalidated = 0;
  uint64_t exceptions = 0;
  uint64_t interrupts = 0;
};

class Cpu {
 public:
  Cpu(CpuHost& host, const CpuModel& model, std::vector<RamRegion> ram);
  ~Cpu();
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  // --- The Machine's interface ------------------------------------------------------------
  // Runs until position() == limit, HLT, or request_stop(). Exact: never retires past limit.
  StopReason run_until(uint64_t limit);
  uint64_t position() const { return position_; }
  // Halted time and restores move the position without executing (DESIGN §2.1).
  void set_position(uint64_t p) { position_ = p; }
  // From inside a host callback: finish the current instruction and return kRequested.
  void request_stop() { stop_requested_ = true; exit_block_ = true; }
  // The interrupt controller's INTR output.
  void set_interrupt_line(bool asserted) {
    interrupt_line_ = asserted;
    exit_block_ = true;
  }
  bool interrupt_line() const { return interrupt_line_; }
  // Power-on / INIT reset (SDM Vol. 3 §9.1.1).
  void reset();
  // Replaces the whole architectural state (restore, loaders); drops all cached translations.
  void load_state(const CpuState& s);
  // Writes to RAM by devices (DMA) or loaders must invalidate translated code there.
  void invalidate_code(uint64_t phys, uint64_t len);
  void flush_tlb(bool include_global = true);
  // Side-effect-free virtual → physical translation for debuggers (no A/D updates, no faults).
  std::optional<uint64_t> debug_translate(uint64_t linear) const;
  const CpuModel& model() const { return model_; }
  const CpuStats& stats() const { return stats_; }
  // Pointer to RAM backing physical address `phys`, or nullptr for MMIO/unassigned.
  uint8_t* ram_pointer(uint64_t phys) const;

  CpuState state;

  // --- The semantics' interface ------------------------------------------------------------
  [[noreturn]] void raise(uint8_t vector) { throw CpuException{vector, false, 0}; }
  [[noreturn]] void raise(uint8_t vector, uint32_t error) { throw CpuException{vector, true, error}; }

  CodeSize code_size() const {
    if ((state.efer & efer::kLma) && state.seg[kCs].long_mode()) return CodeSize::k64;
    return state.seg[kCs].default_big() ? CodeSize::k32 : CodeSize::k16;
  }
  bool long_mode() const { return state.efer & efer::kLma; }
  bool in_64bit_code() const { return code_size() == CodeSize::k64; }
  bool protected_mode() const { return state.cr0 & cr0::kPe; }
  bool v86_mode() const { return state.rflags & flags::kVm; }
  bool user_mode() const { return state.cpl == 3; }

  // Segment + offset → linear address, with the mode's limit/canonical checks. 64-bit code
  // (the common case) is handled inline.
  uint64_t linear_address(unsigned seg, uint64_t offset, unsigned size, Access access) {
    if (in_64bit_code()) {
      uint64_t linear = offset;
      if (seg == kFs || seg == kGs) linear += state.seg[seg].base;
      // Canonical: bits 63..47 all equal, for the first and the last byte.
      if (((linear + (1ull << 47)) >> 48) | ((linear + size - 1 + (1ull << 47)) >> 48))
        raise(seg == kSs ? vec::kSs : vec::kGp, 0);
      return linear;
    }
    return legacy_linear_address(seg, offset, size, access);
  }
  uint64_t legacy_linear_address(unsigned seg, uint64_t offset, unsigned size, Access access);

  // Data accesses through a segment at the current privilege level. size ∈ {1,2,4,8}.
  uint64_t read(unsigned seg, uint64_t offset, unsigned size) {
    const uint64_t linear = linear_address(seg, offset, size, Access::kRead);
    const bool user = user_mode();
    if (user) check_alignment(linear, size);
    return read_linear(linear, size, user);
  }
  void write(unsigned seg, uint64_t offset, unsigned size, uint64_t value) {
    const uint64_t linear = linear_address(seg, offset, size, Access::kWrite);
    const bool user = user_mode();
    if (user) check_alignment(linear, size);
    write_linear(linear, size, value, user);
  }
  // #AC: misaligned data access at CPL 3 with CR0.AM and RFLAGS.AC set (SDM Vol. 3 §6.15).
  void check_alignment(uint64_t linear, unsigned size) {
    if ((linear & (size - 1)) && (state.cr0 & cr0::kAm) && (state.rflags & flags::kAc))
      raise(vec::kAc, 0);
  }
  void read_bytes(unsigned seg, uint64_t offset, void* out, unsigned size);
  void write_bytes(unsigned seg, uint64_t offset, const void* in, unsigned size);

  // Linear accesses; `user` selects the privilege checks (system structures use false).
  uint64_t read_linear(uint64_t linear, unsigned size, bool user) {
    if ((linear & 0xfff) <= 4096 - size) {
      const TlbEntry& e = tlb_[0][(linear >> 12) & (kTlbSize - 1)];
      if (e.tag == tlb_tag(linear, user) && e.host) return load(e.host + (linear & 0xfff), size);
    }
    return read_linear_slow(linear, size, user);
  }
  void write_linear(uint64_t linear, unsigned size, uint64_t value, bool user) {
    if ((linear & 0xfff) <= 4096 - size) {
      const TlbEntry& e = tlb_[1][(linear >> 12) & (kTlbSize - 1)];
      if (e.tag == tlb_tag(linear, user) && e.host) {
        store(e.host + (linear & 0xfff), size, value);
        return;
      }
    }
    write_linear_slow(linear, size, value, user);
  }

  // Stack helpers (SS, with the stack's address size).
  unsigned stack_size() const {
    if (in_64bit_code()) return 8;
    return state.seg[kSs].default_big() ? 4 : 2;
  }
  uint64_t stack_pointer() const;
  void set_stack_pointer(uint64_t sp);
  void push(uint64_t value, unsigned size);
  uint64_t pop(unsigned size);

  // Register file access. size in bytes; writes of 4 bytes zero-extend (SDM Vol. 1 §3.4.1.1).
  uint64_t gpr(unsigned index, unsigned size) const {
    uint64_t v = state.gpr[index];
    switch (size) {
      case 1: return v & 0xff;
      case 2: return v & 0xffff;
      case 4: return v & 0xffffffff;
      default: return v;
    }
  }
  void set_gpr(unsigned index, unsigned size, uint64_t value) {
    uint64_t& r = state.gpr[index];
    switch (size) {
      case 1: r = (r & ~0xffull) | (value & 0xff); break;
      case 2: r = (r & ~0xffffull) | (value & 0xffff); break;
      case 4: r = value & 0xffffffff; break;
      default: r = value; break;
    }
  }

  // Control transfers and system state changes that every tier shares.
  void set_cr0(uint64_t value);
  void set_cr3(uint64_t value);
  void set_cr4(uint64_t value);
  void set_efer(uint64_t value);
  void set_rflags(uint64_t value);  // raw write (callers apply privilege masks)
  void load_segment(unsigned seg, uint16_t selector);  // MOV/POP Sreg semantics with checks
  void load_code_segment_raw(uint16_t selector, const uint8_t desc[8], unsigned cpl);
  void set_segment_real(unsigned seg, uint16_t selector);
  bool read_descriptor(uint16_t selector, uint8_t out[8]);  // false if outside the table
  void far_transfer(uint16_t selector, uint64_t offset, unsigned op_size, bool is_call,
                    uint64_t return_rip);
  void far_return(unsigned op_size, uint16_t pop_extra, bool is_iret);
  void software_interrupt(uint8_t vector, uint64_t return_rip);  // INT n / INT3 / INTO
  void update_cpl();
  // Delivers an exception or interrupt through the IDT/IVT (SDM Vol. 3 §6.12), escalating to
  // #DF and triple fault as §6.15 Table 6-5 says.
  void deliver(uint8_t vector, bool has_error, uint32_t error, bool is_software,
               uint64_t return_rip);

  uint64_t read_msr(uint32_t index, bool* ok);
  bool write_msr(uint32_t index, uint64_t value);
  uint64_t tsc() { return host_.tsc_ticks() + state.tsc_adjust; }
  uint64_t random_input() { return host_.random_input(); }
  CpuHost& host() { return host_; }
  // Ends the current block after this instruction (state change that decoding depends on, or
  // an event the run loop must look at).
  void end_block() { exit_block_ = true; }
  void invalidate_all_code();
  // Debugging. Breakpoints stop *before* the instruction at that linear address executes;
  // watchpoints stop *after* the instruction that accessed the range retired (DebugStop says
  // which instruction). A breakpoint at the current RIP does not fire until RIP moves away, so
  // a debugger can continue from it. Changing either set flushes translations.
  void set_breakpoints(std::vector<uint64_t> addresses);
  void set_watchpoints(std::vector<Watchpoint> watchpoints);
  const DebugStop& debug_stop() const { return debug_stop_; }
  void ignore_breakpoint_here() { skip_breakpoint_at_ = position_; }
  // Dirty-page tracking (owned by the Machine). After the Machine takes the log it calls
  // restart_dirty_tracking() so that the next write to every page is seen again.
  void set_dirty_log(DirtyLog* log) { dirty_log_ = log; }
  void restart_dirty_tracking() {
    for (TlbEntry& e : tlb_[unsigned(Access::kWrite)]) e = TlbEntry{};
  }

  // The instruction being executed (for handlers that need the length or start address).
  uint64_t insn_start_ = 0;

 private:
  static constexpr unsigned kTlbSize = 256;
  static constexpr uint64_t kInvalidTag = ~0ull;
  struct TlbEntry {
    uint64_t tag = kInvalidTag;  // linear page | 1 (valid) | 2 (user)
    uint8_t* host = nullptr;     // RAM pointer for the page; nullptr = MMIO (slow path)
    uint64_t phys_page = 0;
    bool global = false;
  };
  // A successor seen before: valid while no code was invalidated and no mapping changed
  // (generation), and only when the block was left normally — mode and privilege changes always
  // end a block through exit_block_, so RIP alone identifies the successor.
  struct Block;
  struct BlockLink {
    uint64_t rip = kInvalidTag;
    uint64_t generation = 0;
    Block* block = nullptr;
  };
  struct Block {
    uint64_t phys = 0;
    uint64_t linear = 0;
    CodeSize size = CodeSize::k64;
    uint64_t code_mask = 0;  // 64-byte lines of the page the block's bytes occupy
    BlockLink links[2];
    uint8_t next_link = 0;
    uint32_t bytes = 0;  // length of the block's code
    std::vector<Insn> insns;
  };
  struct JumpCacheEntry {
    uint64_t linear = kInvalidTag;
    uint64_t meta = 0;  // code size | user << 2 | valid << 3
    Block* block = nullptr;
  };

  static uint64_t tlb_tag(uint64_t linear, bool user) {
    return (linear & ~0xfffull) | 1 | (user ? 2 : 0);
  }
  static uint64_t load(const uint8_t* p, unsigned size) {
    switch (size) {
      case 1: return *p;
      case 2: { uint16_t v; std::memcpy(&v, p, 2); return v; }
      case 4: { uint32_t v; std::memcpy(&v, p, 4); return v; }
      default: { uint64_t v; std::memcpy(&v, p, 8); return v; }
    }
  }
  static void store(uint8_t* p, unsigned size, uint64_t v) {
    switch (size) {
      case 1: *p = uint8_t(v); break;
      case 2: { uint16_t x = uint16_t(v); std::memcpy(p, &x, 2); break; }
      case 4: { uint32_t x = uint32_t(v); std::memcpy(p, &x, 4); break; }
      default: std::memcpy(p, &v, 8); break;
    }
  }

  uint64_t read_linear_slow(uint64_t linear, unsigned size, bool user);
  void write_linear_slow(uint64_t linear, unsigned size, uint64_t value, bool user);
  // Page walk (SDM Vol. 3 §4). Raises #PF. Fills the TLB for `access`.
  const TlbEntry& translate(uint64_t linear, Access access, bool user);
  bool walk(uint64_t linear, Access access, bool user, bool set_bits, uint64_t* phys,
            bool* global, uint32_t* fault_error) const;
  uint64_t phys_read(uint64_t phys, unsigned size);
  void phys_write(uint64_t phys, unsigned size, uint64_t value);
  uint64_t& phys_entry(uint64_t phys);  // page-table entry access (RAM only)
  uint64_t read_pte(uint64_t phys, bool wide) const;
  void write_pte(uint64_t phys, bool wide, uint64_t value) const;
  bool is_code_page(uint64_t phys_page) const;
  void note_write_to_code(uint64_t phys, unsigned size);

  Block* find_block();
  Block* decode_block(uint64_t linear, uint64_t phys, CodeSize size);
  void run_uncached_insn();  // page-crossing instructions and code outside RAM
  void run_block(Block* block, uint64_t limit);
  void run_single_step_trap();
  void handle_exception(const CpuException& e);
  void deliver_external_interrupt();
  void retire_blocks();

  CpuHost& host_;
  CpuModel model_;
  Decoder decoder_;
  std::vector<RamRegion> ram_;
  uint64_t position_ = 0;
  bool stop_requested_ = false;
  bool exit_block_ = false;
  bool interrupt_line_ = false;
  int delivering_depth_ = 0;  // nested exception delivery, for #DF / triple fault
  uint64_t code_generation_ = 1;  // bumped whenever translations or mappings may have changed
  bool debugging_ = false;
  std::vector<uint64_t> breakpoints_;  // sorted
  std::vector<Watchpoint> watchpoints_;
  DebugStop debug_stop_;
  uint64_t skip_breakpoint_at_ = ~0ull;
  bool breakpoint_in(uint64_t start, uint64_t length) const;
  bool watched_page(uint64_t linear_page, Access access) const;
  void check_watch(uint64_t linear, unsigned size, Access access);
  DirtyLog* dirty_log_ = nullptr;
  TlbEntry tlb_[3][kTlbSize];
  JumpCacheEntry jump_cache_[4096];
  std::unordered_map<uint64_t, std::unique_ptr<Block>> blocks_;  // key: phys << 2 | code size
  std::unordered_map<uint64_t, std::vector<Block*>> page_blocks_;
  std::unordered_map<uint64_t, uint64_t> code_lines_;  // phys page → mask of 64-byte code lines
  std::vector<std::unique_ptr<Block>> retired_blocks_;
  CpuStats stats_;

  friend class CpuTestPeer;
};

}  // namespace rwd
