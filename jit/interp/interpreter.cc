// SPDX-License-Identifier: MIT
// The interpreter tier: decoded blocks cached by physical address, executed instruction by
// instruction with exact position accounting.
//
// Position rules (DESIGN §2.1): each retired instruction is one step; each iteration of a REP
// string instruction is one step (interrupts may land between iterations, as on hardware); each
// delivered exception or interrupt is one step (so a guest stuck in a fault loop still moves
// time forward). Interrupts are taken only at instruction boundaries, at the first boundary where
// "line asserted && IF && no interrupt shadow" holds — a function of architectural state and
// position alone, never of how code happened to be split into blocks.
#include <algorithm>

#include "base/check.h"
#include "base/log.h"
#include "jit/cpu.h"

namespace rwd {
namespace {
constexpr size_t kMaxBlockInsns = 64;

uint64_t line_mask(unsigned offset, unsigned len) {
  unsigned first = offset / 64, last = (offset + len - 1) / 64;
  if (last > 63) last = 63;
  uint64_t mask = 0;
  for (unsigned l = first; l <= last; l++) mask |= 1ull << l;
  return mask;
}

void raise_ud(Cpu& cpu, const Insn&) { cpu.raise(vec::kUd); }
}  // namespace

void Cpu::deliver_external_interrupt() {
  int vector = host_.acknowledge_interrupt();
  if (vector < 0) return;
  state.halted = 0;
  stats_.interrupts++;
  deliver(uint8_t(vector), false, 0, false, state.rip);
  position_++;
}

void Cpu::handle_exception(const CpuException& e) {
  stats_.exceptions++;
  state.rip = insn_start_;
  REWIND_LOG(kTrace, "cpu", "exception %u (error %#x) at rip %#llx", e.vector, e.error,
             (unsigned long long)insn_start_);
  deliver(e.vector, e.has_error, e.error, false, insn_start_);
  position_++;
}

void Cpu::retire_blocks() { retired_blocks_.clear(); }

bool Cpu::is_code_page(uint64_t phys_page) const { return code_lines_.count(phys_page) != 0; }

void Cpu::note_write_to_code(uint64_t phys, unsigned size) {
  uint64_t page = phys & ~0xfffull;
  auto lines = code_lines_.find(page);
  if (lines == code_lines_.end()) return;
  unsigned offset = phys & 0xfff;
  if (!(lines->second & line_mask(offset, std::min(size, 4096 - offset)))) return;
  // Self-modifying code: drop every translation from this page. The block being executed
  // stays alive in retired_blocks_ until the run loop is back at its top.
  code_lines_.erase(lines);
  auto pb = page_blocks_.find(page);
  if (pb != page_blocks_.end()) {
    for (Block* b : pb->second) {
      auto it = blocks_.find((b->phys << 2) | uint64_t(b->size));
      if (it != blocks_.end()) {
        retired_blocks_.push_back(std::move(it->second));
        blocks_.erase(it);
        stats_.blocks_invalidated++;
      }
    }
    page_blocks_.erase(pb);
  }
  for (JumpCacheEntry& j : jump_cache_) j = JumpCacheEntry{};
  code_generation_++;
  // The page holds no code any more: writes may use the fast path again.
  for (TlbEntry& e : tlb_[unsigned(Access::kWrite)])
    if (e.tag != kInvalidTag && e.phys_page == page) e.host = ram_pointer(page);
  exit_block_ = true;
}

void Cpu::invalidate_code(uint64_t phys, uint64_t len) {
  for (uint64_t p = phys & ~0xfffull; p < phys + len; p += 4096) {
    uint64_t start = std::max(p, phys), end = std::min(p + 4096, phys + len);
    if (code_lines_.count(p)) note_write_to_code(start, unsigned(end - start));
  }
}

void Cpu::invalidate_all_code() {
  for (auto& [key, block] : blocks_) retired_blocks_.push_back(std::move(block));
  blocks_.clear();
  page_blocks_.clear();
  code_lines_.clear();
  for (JumpCacheEntry& j : jump_cache_) j = JumpCacheEntry{};
  code_generation_++;
  for (TlbEntry& e : tlb_[unsigned(Access::kWrite)])
    if (e.tag != kInvalidTag) e.host = ram_pointer(e.phys_page);
}

Cpu::Block* Cpu::find_block() {
  const CodeSize size = code_size();
  if (size != CodeSize::k64 && state.rip > state.seg[kCs].limit) raise(vec::kGp, 0);
  const uint64_t linear =
      size == CodeSize::k64 ? state.rip : (state.seg[kCs].base + state.rip) & 0xffffffff;
  const bool user = user_mode();
  const uint64_t meta = uint64_t(size) | (user ? 4 : 0) | 8;
  JumpCacheEntry& jc = jump_cache_[(linear ^ (linear >> 12)) & 4095];
  if (jc.linear == linear && jc.meta == meta) return jc.block;

  const TlbEntry& e = translate(linear, Access::kExec, user);
  if (!e.host) return nullptr;  // executing from MMIO: not cached
  const uint64_t phys = e.phys_page | (linear & 0xfff);
  Block* block;
  auto it = blocks_.find((phys << 2) | uint64_t(size));
  if (it != blocks_.end()) {
    block = it->second.get();
  } else {
    block = decode_block(linear, phys, size);
    if (!block) return nullptr;
  }
  jc.linear = linear;
  jc.meta = meta;
  jc.block = block;
  return block;
}

Cpu::Block* Cpu::decode_block(uint64_t linear, uint64_t phys, CodeSize size) {
  const uint64_t page = phys & ~0xfffull;
  const uint8_t* host = ram_pointer(page);
  auto block = std::make_unique<Block>();
  block->phys = phys;
  block->linear = linear;
  block->size = size;
  unsigned offset = phys & 0xfff;
  while (block->insns.size() < kMaxBlockInsns && offset < 4096) {
    Insn insn;
    bool needs_more;
    if (!decoder_.decode(size, host + offset, 4096 - offset, &insn, &needs_more)) {
      if (needs_more) break;  // crosses into the next page: run_uncached_insn handles it
      insn = Insn{};
      insn.handler = raise_ud;
      insn.length = 1;
      block->insns.push_back(insn);
      block->code_mask |= line_mask(offset, 1);
      break;
    }
    block->insns.push_back(insn);
    block->code_mask |= line_mask(offset, insn.length);
    block->bytes += insn.length;
    offset += insn.length;
    if (insn.flags & insn_flags::kEndsBlock) break;
  }
  if (block->insns.empty()) return nullptr;
  stats_.blocks_decoded++;
  Block* raw = block.get();
  page_blocks_[page].push_back(raw);
  bool was_code = code_lines_.count(page);
  code_lines_[page] |= block->code_mask;
  if (!was_code) {
    for (TlbEntry& e : tlb_[unsigned(Access::kWrite)])
      if (e.tag != kInvalidTag && e.phys_page == page) e.host = nullptr;
  }
  blocks_[(phys << 2) | uint64_t(size)] = std::move(block);
  return raw;
}

void Cpu::run_uncached_insn() {
  // Fetch up to 15 bytes, possibly from two pages (translating the second page may fault,
  // which is the architecturally correct #PF for a page-crossing instruction).
  const CodeSize size = code_size();
  const uint64_t linear =
      size == CodeSize::k64 ? state.rip : (state.seg[kCs].base + state.rip) & 0xffffffff;
  const bool user = user_mode();
  uint8_t bytes[15];
  unsigned have = 0;
  Insn insn;
  bool ok = false;
  insn_start_ = state.rip;
  try {
    while (have < 15) {
      const TlbEntry& e = translate(linear + have, Access::kExec, user);
      uint64_t phys = e.phys_page | ((linear + have) & 0xfff);
      bytes[have] = uint8_t(phys_read(phys, 1));
      have++;
      bool needs_more;
      if (decoder_.decode(size, bytes, have, &insn, &needs_more)) {
        ok = true;
        break;
      }
      if (!needs_more) break;
    }
    if (!ok) raise(vec::kUd);
    state.rip = insn_start_ + insn.length;
    insn.handler(*this, insn);
    position_++;
  } catch (const CpuException& e) {
    handle_exception(e);
  }
}

void Cpu::run_block(Block* block, uint64_t limit) {
  const Insn* insn = block->insns.data();
  const Insn* const end = insn + block->insns.size();
  for (;;) {
    const uint64_t start = state.rip;
    const uint64_t next = start + insn->length;
    insn_start_ = start;
    state.rip = next;
    try {
      insn->handler(*this, *insn);
    } catch (const CpuException& e) {
      handle_exception(e);
      return;
    }
    position_++;
    if (exit_block_ || position_ >= limit) return;
    if (state.rip != next) {
      // A REP iteration leaves RIP on the instruction: run it again without a lookup.
      if (state.rip == start) continue;
      return;
    }
    if (++insn == end) return;
  }
}

void Cpu::run_single_step_trap() {
  // TF set before an instruction: a #DB trap follows it (SDM Vol. 3 §17.3.1.4), with DR6.BS.
  // An instruction that faults takes its fault instead; one that delivers an event (INT n,
  // SYSCALL) clears TF on the way, so the trap belongs to the handler's first instruction only
  // when TF survives.
  const uint64_t before = position_;
  const uint64_t exceptions = stats_.exceptions;
  insn_start_ = state.rip;
  Block* block;
  try {
    block = find_block();
  } catch (const CpuException& e) {
    handle_exception(e);
    return;
  }
  if (block)
    run_block(block, position_ + 1);
  else
    run_uncached_insn();
  if (stop_requested_ || position_ != before + 1 || stats_.exceptions != exceptions) return;
  state.dr[6] |= 0x4000;
  deliver(vec::kDb, false, 0, false, state.rip);
  position_++;
}

StopReason Cpu::run_until(uint64_t limit) {
  stop_requested_ = false;
  debug_stop_ = DebugStop{};
  while (position_ < limit) {
    retire_blocks();
    exit_block_ = false;
    uint64_t block_limit = limit;
    if (state.interrupt_shadow) {
      // STI / MOV SS: exactly one more instruction before interrupts are looked at.
      state.interrupt_shadow = 0;
      block_limit = position_ + 1;
    } else if (interrupt_line_ && (state.rflags & flags::kIf)) {
      deliver_external_interrupt();
      if (stop_requested_) return StopReason::kRequested;
      continue;
    }
    if (state.halted) return StopReason::kHalted;
    if (state.rflags & flags::kTf) {
      run_single_step_trap();
      if (stop_requested_) return StopReason::kRequested;
      continue;
    }
    Block* block;
    insn_start_ = state.rip;
    try {
      block = find_block();
    } catch (const CpuException& e) {
      handle_exception(e);
      if (stop_requested_) return StopReason::kRequested;
      continue;
    }
    if (debugging_) {
      // Breakpoints: checked before each instruction of a block that contains one (blocks
      // without breakpoints run normally).
      const uint64_t linear = code_size() == CodeSize::k64
                                  ? state.rip
                                  : (state.seg[kCs].base + state.rip) & 0xffffffff;
      if (position_ == skip_breakpoint_at_) {
        skip_breakpoint_at_ = ~0ull;  // one-shot: only the stop the debugger resumes from
      } else if (!breakpoints_.empty() && breakpoint_in(linear, 1)) {
        debug_stop_ = DebugStop{DebugStop::Kind::kBreakpoint, linear, WatchKind::kWrite, position_};
        return StopReason::kDebug;
      }
      if (block && !breakpoints_.empty() && breakpoint_in(linear, block->bytes))
        block_limit = std::min(block_limit, position_ + 1);
    }
    if (!block) {
      run_uncached_insn();
      if (stop_requested_) return StopReason::kRequested;
      if (debug_stop_.kind == DebugStop::Kind::kWatchpoint) return StopReason::kDebug;
      continue;
    }
    // Chained execution: go from block to block without the top-of-loop checks while nothing
    // happened that they look at (exit_block_ covers interrupts, mode changes and faults).
    for (;;) {
      run_block(block, block_limit);
      // While debugging, every block entry goes through the breakpoint check above.
      if (exit_block_ || position_ >= block_limit || debugging_) break;
      Block* next = nullptr;
      for (const BlockLink& link : block->links)
        if (link.rip == state.rip && link.generation == code_generation_) next = link.block;
      if (!next) {
        insn_start_ = state.rip;
        try {
          next = find_block();
        } catch (const CpuException& e) {
          handle_exception(e);
          break;
        }
        if (!next) break;
        block->links[block->next_link] = BlockLink{state.rip, code_generation_, next};
        block->next_link ^= 1;
      }
      block = next;
    }
    if (stop_requested_) return StopReason::kRequested;
    if (debug_stop_.kind == DebugStop::Kind::kWatchpoint) return StopReason::kDebug;
  }
  return StopReason::kLimit;
}

}  // namespace rwd
