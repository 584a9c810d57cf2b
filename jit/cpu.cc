// SPDX-License-Identifier: MIT
// Cpu: memory access slow paths, the page walk (SDM Vol. 3 §4), control registers and MSRs.
// Exception delivery and far transfers live in exceptions.cc, the run loop in interp/.
#include "jit/cpu.h"

#include <algorithm>

#include "base/check.h"
#include "base/log.h"

namespace rwd {

Cpu::Cpu(CpuHost& host, const CpuModel& model, std::vector<RamRegion> ram)
    : host_(host), model_(model), decoder_(model_.features), ram_(std::move(ram)) {
  reset();
}

Cpu::~Cpu() = default;

void Cpu::reset() {
  state = CpuState{};
  // Real mode at the reset vector: CS.base = 0xffff0000, IP = 0xfff0 (SDM Vol. 3 Table 9-1).
  for (unsigned s = 0; s < kNumSegs; s++) {
    state.seg[s] = Segment{0, 0xffff, 0, 0x93};
  }
  state.seg[kCs] = Segment{0xffff0000, 0xffff, 0xf000, 0x9b};
  state.ldtr = Segment{0, 0xffff, 0, 0x82};
  state.tr = Segment{0, 0xffff, 0, 0x8b};
  state.rip = 0xfff0;
  state.gpr[kRdx] = 0x600 | (model_.family << 8) | (model_.model << 4) | model_.stepping;
  invalidate_all_code();
  flush_tlb(true);
}

void Cpu::load_state(const CpuState& s) {
  state = s;
  skip_breakpoint_at_ = ~0ull;
  invalidate_all_code();
  flush_tlb(true);
  exit_block_ = true;
}

uint8_t* Cpu::ram_pointer(uint64_t phys) const {
  for (const RamRegion& r : ram_)
    if (phys - r.phys < r.size) return r.host + (phys - r.phys);
  return nullptr;
}

void Cpu::flush_tlb(bool include_global) {
  for (auto& table : tlb_)
    for (TlbEntry& e : table)
      if (include_global || !e.global) e = TlbEntry{};
  for (JumpCacheEntry& j : jump_cache_) j = JumpCacheEntry{};
  code_generation_++;
}

// --- Segmentation --------------------------------------------------------------------------

uint64_t Cpu::legacy_linear_address(unsigned seg, uint64_t offset, unsigned size,
                                    Access access) {
  const Segment& s = state.seg[seg];
  // Legacy and compatibility modes: limit and type checks (SDM Vol. 3 §5.3, §5.4).
  uint64_t last = offset + size - 1;
  uint8_t fault = seg == kSs ? vec::kSs : vec::kGp;
  if (protected_mode() && !v86_mode()) {
    if (!s.present()) raise(fault, 0);  // null or unusable segment
    bool is_code = s.is_code();
    if (access == Access::kWrite && (is_code || !(s.type() & 2))) raise(fault, 0);
    if (access == Access::kRead && is_code && !(s.type() & 2)) raise(fault, 0);
    if (!is_code && (s.type() & 4)) {
      // Expand-down: valid offsets are (limit, 0xffff or 0xffffffff].
      uint64_t upper = s.default_big() ? 0xffffffffull : 0xffff;
      if (offset <= s.limit || last > upper) raise(fault, 0);
    } else if (last > s.limit) {
      raise(fault, 0);
    }
  } else if (last > s.limit) {
    raise(fault, 0);
  }
  return (s.base + offset) & 0xffffffffull;
}

void Cpu::read_bytes(unsigned seg, uint64_t offset, void* out, unsigned size) {
  uint64_t linear = linear_address(seg, offset, size, Access::kRead);
  uint8_t* o = static_cast<uint8_t*>(out);
  bool user = user_mode();
  // Probe both ends first so a fault leaves nothing half-done.
  translate(linear, Access::kRead, user);
  translate(linear + size - 1, Access::kRead, user);
  for (unsigned i = 0; i < size; i++) o[i] = uint8_t(read_linear(linear + i, 1, user));
}

void Cpu::write_bytes(unsigned seg, uint64_t offset, const void* in, unsigned size) {
  uint64_t linear = linear_address(seg, offset, size, Access::kWrite);
  const uint8_t* p = static_cast<const uint8_t*>(in);
  bool user = user_mode();
  translate(linear, Access::kWrite, user);
  translate(linear + size - 1, Access::kWrite, user);
  for (unsigned i = 0; i < size; i++) write_linear(linear + i, 1, p[i], user);
}

uint64_t Cpu::stack_pointer() const { return gpr(kRsp, stack_size()); }

void Cpu::set_stack_pointer(uint64_t sp) {
  unsigned size = stack_size();
  set_gpr(kRsp, size == 4 ? 4 : size, sp);
}

void Cpu::push(uint64_t value, unsigned size) {
  unsigned ss = stack_size();
  uint64_t mask = ss == 8 ? ~0ull : ss == 4 ? 0xffffffffull : 0xffff;
  uint64_t sp = (state.gpr[kRsp] - size) & mask;
  write(kSs, sp, size, value);
  if (ss == 2)
    set_gpr(kRsp, 2, sp);
  else
    set_gpr(kRsp, ss, sp);
}

uint64_t Cpu::pop(unsigned size) {
  unsigned ss = stack_size();
  uint64_t mask = ss == 8 ? ~0ull : ss == 4 ? 0xffffffffull : 0xffff;
  uint64_t sp = state.gpr[kRsp] & mask;
  uint64_t v = read(kSs, sp, size);
  set_gpr(kRsp, ss, (sp + size) & mask);
  return v;
}

// --- Paging ----------------------------------------------------------------------------------

uint64_t Cpu::read_pte(uint64_t phys, bool wide) const {
  uint8_t* p = ram_pointer(phys);
  if (!p) return 0;  // tables outside RAM read as not-present
  if (wide) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void Cpu::write_pte(uint64_t phys, bool wide, uint64_t value) const {
  uint8_t* p = ram_pointer(phys);
  if (!p) return;
  if (dirty_log_) dirty_log_->mark(p);
  if (wide)
    std::memcpy(p, &value, 8);
  else {
    uint32_t v = uint32_t(value);
    std::memcpy(p, &v, 4);
  }
}

bool Cpu::walk(uint64_t linear, Access access, bool user, bool set_bits, uint64_t* phys,
               bool* global, uint32_t* fault_error) const {
  *global = false;
  if (!(state.cr0 & cr0::kPg)) {
    *phys = long_mode() ? linear : (linear & 0xffffffff);
    return true;
  }
  const bool write = access == Access::kWrite;
  const bool exec = access == Access::kExec;
  const bool nxe = state.efer & efer::kNxe;
  uint32_t error = (write ? 2 : 0) | (user ? 4 : 0) | (exec && nxe ? 16 : 0);
  bool allow_write = true, allow_user = true, allow_exec = true;
  uint64_t entry_addr[4];
  bool entry_wide = true;
  unsigned used = 0;
  uint64_t leaf = 0;
  uint64_t page_size = 4096;

  auto check_entry = [&](uint64_t e) -> bool {
    if (!(e & 1)) {
      *fault_error = error;
      return false;
    }
    if (entry_wide && (e >> 63) && !nxe) {
      *fault_error = error | 1 | 8;  // reserved bit set
      return false;
    }
    allow_write &= (e & 2) != 0;
    allow_user &= (e & 4) != 0;
    if (nxe && (e >> 63)) allow_exec = false;
    return true;
  };

  if (long_mode()) {
    uint64_t table = state.cr3 & 0x000ffffffffff000ull;
    for (int level = 4; level >= 1; level--) {
      unsigned shift = 12 + 9 * (level - 1);
      uint64_t addr = table + ((linear >> shift) & 511) * 8;
      uint64_t e = read_pte(addr, true);
      entry_addr[used++] = addr;
      if (!check_entry(e)) return false;
      if (level == 1 || ((level == 2 || level == 3) && (e & 0x80))) {
        leaf = e;
        page_size = 1ull << shift;
        break;
      }
      table = e & 0x000ffffffffff000ull;
    }
  } else if (state.cr4 & cr4::kPae) {
    uint64_t pdpte = read_pte((state.cr3 & 0xffffffe0) + ((linear >> 30) & 3) * 8, true);
    if (!(pdpte & 1)) {
      *fault_error = error;
      return false;
    }
    uint64_t table = pdpte & 0x000ffffffffff000ull;
    for (int level = 2; level >= 1; level--) {
      unsigned shift = 12 + 9 * (level - 1);
      uint64_t addr = table + ((linear >> shift) & 511) * 8;
      uint64_t e = read_pte(addr, true);
      entry_addr[used++] = addr;
      if (!check_entry(e)) return false;
      if (level == 1 || (e & 0x80)) {
        leaf = e;
        page_size = 1ull << shift;
        break;
      }
      table = e & 0x000ffffffffff000ull;
    }
  } else {
    entry_wide = false;
    uint64_t table = state.cr3 & 0xfffff000;
    for (int level = 2; level >= 1; level--) {
      unsigned shift = 12 + 10 * (level - 1);
      uint64_t addr = table + ((linear >> shift) & 1023) * 4;
      uint64_t e = read_pte(addr, false);
      entry_addr[used++] = addr;
      if (!check_entry(e)) return false;
      if (level == 1 || ((e & 0x80) && (state.cr4 & cr4::kPse))) {
        leaf = e;
        page_size = 1ull << shift;
        break;
      }
      table = e & 0xfffff000;
    }
  }

  // Permission checks (SDM Vol. 3 §4.6): no SMEP/SMAP in the models we offer.
  if (user && !allow_user) {
    *fault_error = error | 1;
    return false;
  }
  if (write && !allow_write && (user || (state.cr0 & cr0::kWp))) {
    *fault_error = error | 1;
    return false;
  }
  if (exec && !allow_exec) {
    *fault_error = error | 1;
    return false;
  }
  if (set_bits) {
    for (unsigned i = 0; i < used; i++) {
      uint64_t e = read_pte(entry_addr[i], entry_wide);
      uint64_t updated = e | 0x20;  // accessed
      if (i == used - 1 && write) updated |= 0x40;  // dirty, leaf only
      if (updated != e) write_pte(entry_addr[i], entry_wide, updated);
    }
  }
  uint64_t frame_mask = entry_wide ? 0x000ffffffffff000ull : 0xfffff000ull;
  uint64_t frame = leaf & frame_mask & ~(page_size - 1);
  *phys = frame | (linear & (page_size - 1));
  *global = (leaf & 0x100) && (state.cr4 & cr4::kPge);
  return true;
}

void Cpu::set_breakpoints(std::vector<uint64_t> addresses) {
  std::sort(addresses.begin(), addresses.end());
  breakpoints_ = std::move(addresses);
  debugging_ = !breakpoints_.empty() || !watchpoints_.empty();
  flush_tlb(true);
}

void Cpu::set_watchpoints(std::vector<Watchpoint> watchpoints) {
  watchpoints_ = std::move(watchpoints);
  debugging_ = !breakpoints_.empty() || !watchpoints_.empty();
  flush_tlb(true);  // watched pages must take the slow path from now on
}

bool Cpu::breakpoint_in(uint64_t start, uint64_t length) const {
  auto it = std::lower_bound(breakpoints_.begin(), breakpoints_.end(), start);
  return it != breakpoints_.end() && *it < start + length;
}

bool Cpu::watched_page(uint64_t linear_page, Access access) const {
  for (const Watchpoint& w : watchpoints_) {
    bool kind = access == Access::kWrite ? (uint8_t(w.kind) & 1) : (uint8_t(w.kind) & 2);
    if (kind && w.address < linear_page + 4096 && linear_page < w.address + w.length) return true;
  }
  return false;
}

void Cpu::check_watch(uint64_t linear, unsigned size, Access access) {
  for (const Watchpoint& w : watchpoints_) {
    bool kind = access == Access::kWrite ? (uint8_t(w.kind) & 1) : (uint8_t(w.kind) & 2);
    if (!kind || !(w.address < linear + size && linear < w.address + w.length)) continue;
    if (debug_stop_.kind == DebugStop::Kind::kNone) {
      debug_stop_ = DebugStop{DebugStop::Kind::kWatchpoint, std::max(linear, w.address),
                              access == Access::kWrite ? WatchKind::kWrite : WatchKind::kRead,
                              position_};
      exit_block_ = true;
    }
  }
}

const Cpu::TlbEntry& Cpu::translate(uint64_t linear, Access access, bool user) {
  unsigned kind = unsigned(access);
  TlbEntry& e = tlb_[kind][(linear >> 12) & (kTlbSize - 1)];
  if (e.tag == tlb_tag(linear, user)) return e;
  uint64_t phys;
  bool global;
  uint32_t error;
  if (!walk(linear, access, user, true, &phys, &global, &error)) {
    state.cr2 = linear;
    raise(vec::kPf, error);
  }
  uint64_t page = phys & ~0xfffull;
  e.tag = tlb_tag(linear, user);
  e.phys_page = page;
  e.global = global;
  e.host = ram_pointer(page);
  // Watched pages take the slow path, which checks every access against the watchpoints.
  if (debugging_ && !watchpoints_.empty() && access != Access::kExec &&
      watched_page(linear & ~0xfffull, access))
    e.host = nullptr;
  if (access == Access::kWrite && e.host) {
    if (dirty_log_) dirty_log_->mark(e.host);
    // Writes to pages holding translated code take the slow path so they invalidate it.
    if (is_code_page(page)) e.host = nullptr;
  }
  return e;
}

std::optional<uint64_t> Cpu::debug_translate(uint64_t linear) const {
  uint64_t phys;
  bool global;
  uint32_t error;
  if (!walk(linear, Access::kRead, false, false, &phys, &global, &error)) return std::nullopt;
  return phys;
}

uint64_t Cpu::phys_read(uint64_t phys, unsigned size) {
  if (uint8_t* p = ram_pointer(phys)) return load(p, size);
  return host_.mmio_read(phys, size);
}

void Cpu::phys_write(uint64_t phys, unsigned size, uint64_t value) {
  if (uint8_t* p = ram_pointer(phys)) {
    if (dirty_log_) dirty_log_->mark(p);
    note_write_to_code(phys, size);
    store(p, size, value);
    return;
  }
  host_.mmio_write(phys, size, value);
  // A device write may raise an interrupt or stop the machine: look at it before going on.
  exit_block_ = true;
}

uint64_t Cpu::read_linear_slow(uint64_t linear, unsigned size, bool user) {
  if (!long_mode()) linear &= 0xffffffff;
  if (debugging_ && !watchpoints_.empty()) check_watch(linear, size, Access::kRead);
  if ((linear & 0xfff) + size > 4096) {
    // Split access: translate both pages before reading anything.
    translate(linear, Access::kRead, user);
    translate(linear + size - 1, Access::kRead, user);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
      const TlbEntry& e = translate(linear + i, Access::kRead, user);
      v |= phys_read(e.phys_page | ((linear + i) & 0xfff), 1) << (8 * i);
    }
    return v;
  }
  const TlbEntry& e = translate(linear, Access::kRead, user);
  if (e.host) return load(e.host + (linear & 0xfff), size);
  return phys_read(e.phys_page | (linear & 0xfff), size);
}

void Cpu::write_linear_slow(uint64_t linear, unsigned size, uint64_t value, bool user) {
  if (!long_mode()) linear &= 0xffffffff;
  if (debugging_ && !watchpoints_.empty()) check_watch(linear, size, Access::kWrite);
  if ((linear & 0xfff) + size > 4096) {
    translate(linear, Access::kWrite, user);
    translate(linear + size - 1, Access::kWrite, user);
    for (unsigned i = 0; i < size; i++) {
      const TlbEntry& e = translate(linear + i, Access::kWrite, user);
      phys_write(e.phys_page | ((linear + i) & 0xfff), 1, value >> (8 * i));
    }
    return;
  }
  const TlbEntry& e = translate(linear, Access::kWrite, user);
  if (e.host) {
    store(e.host + (linear & 0xfff), size, value);
    return;
  }
  phys_write(e.phys_page | (linear & 0xfff), size, value);
}

// --- Control registers, RFLAGS, EFER -------------------------------------------------------

void Cpu::set_cr0(uint64_t value) {
  uint64_t old = state.cr0;
  value |= cr0::kEt;
  // Enabling paging with EFER.LME activates long mode (SDM Vol. 3 §9.8.5).
  if ((value & cr0::kPg) && !(old & cr0::kPg) && (state.efer & efer::kLme)) {
    if (!(state.cr4 & cr4::kPae)) raise(vec::kGp, 0);
    state.efer |= efer::kLma;
  }
  if (!(value & cr0::kPg) && (old & cr0::kPg)) state.efer &= ~efer::kLma;
  state.cr0 = value;
  if ((old ^ value) & (cr0::kPg | cr0::kWp | cr0::kPe)) flush_tlb(true);
  end_block();
}

void Cpu::set_cr3(uint64_t value) {
  state.cr3 = long_mode() ? value & 0x000fffffffffffffull : value & 0xffffffff;
  flush_tlb(false);
  end_block();
}

void Cpu::set_cr4(uint64_t value) {
  // Bits beyond what our models support are reserved (#GP): VMXE, SMXE, FSGSBASE, PCIDE,
  // OSXSAVE, SMEP, SMAP, ...
  constexpr uint64_t kSupported = cr4::kVme | cr4::kPvi | cr4::kTsd | cr4::kDe | cr4::kPse |
                                  cr4::kPae | cr4::kMce | cr4::kPge | cr4::kPce | cr4::kOsfxsr |
                                  cr4::kOsxmmexcpt;
  if (value & ~kSupported) raise(vec::kGp, 0);
  if (long_mode() && !(value & cr4::kPae)) raise(vec::kGp, 0);
  uint64_t old = state.cr4;
  state.cr4 = value;
  if ((old ^ value) & (cr4::kPae | cr4::kPse | cr4::kPge)) flush_tlb(true);
  end_block();
}

void Cpu::set_efer(uint64_t value) {
  uint64_t allowed = efer::kSce | efer::kLme | efer::kLma | (model_.features.nx ? efer::kNxe : 0);
  if (value & ~allowed) raise(vec::kGp, 0);
  // LMA is read-only; LME may not change while paging is on.
  if ((state.cr0 & cr0::kPg) && ((value ^ state.efer) & efer::kLme)) raise(vec::kGp, 0);
  uint64_t old = state.efer;
  state.efer = (value & ~efer::kLma) | (state.efer & efer::kLma);
  if ((old ^ state.efer) & efer::kNxe) flush_tlb(true);
  end_block();
}

void Cpu::set_rflags(uint64_t value) {
  state.rflags = (value & 0x3f7fd5) | flags::kFixed1;
  end_block();  // IF/TF/DF changes matter to the run loop
}

void Cpu::update_cpl() {
  if (!protected_mode())
    state.cpl = 0;
  else if (v86_mode())
    state.cpl = 3;
  else
    state.cpl = state.seg[kCs].selector & 3;
}

// --- MSRs ------------------------------------------------------------------------------------

namespace msr {
constexpr uint32_t kTsc = 0x10, kApicBase = 0x1b, kFeatureControl = 0x3a, kTscAdjust = 0x3b,
                   kBiosSignId = 0x8b, kMtrrCap = 0xfe, kSysenterCs = 0x174,
                   kSysenterEsp = 0x175, kSysenterEip = 0x176, kMcgCap = 0x179,
                   kMcgStatus = 0x17a, kMiscEnable = 0x1a0, kMtrrPhysBase0 = 0x200,
                   kMtrrFix64k = 0x250, kMtrrFix16k0 = 0x258, kMtrrFix16k1 = 0x259,
                   kMtrrFix4kFirst = 0x268, kMtrrFix4kLast = 0x26f, kPat = 0x277,
                   kMtrrDefType = 0x2ff, kEfer = 0xc0000080, kStar = 0xc0000081,
                   kLstar = 0xc0000082, kCstar = 0xc0000083, kSfmask = 0xc0000084,
                   kFsBase = 0xc0000100, kGsBase = 0xc0000101, kKernelGsBase = 0xc0000102,
                   kTscAux = 0xc0000103, kPlatformId = 0x17, kPerfStatus = 0x198;
}

static bool canonical(uint64_t v) { return uint64_t(int64_t(v << 16) >> 16) == v; }

uint64_t Cpu::read_msr(uint32_t index, bool* ok) {
  *ok = true;
  uint64_t device_value;
  if (host_.read_device_msr(index, &device_value)) return device_value;
  switch (index) {
    case msr::kTsc: return tsc();
    case msr::kApicBase: return state.apic_base;
    case msr::kFeatureControl: return 1;  // locked, VMX off
    case msr::kTscAdjust: return state.tsc_adjust;
    case msr::kBiosSignId: return 0;
    case msr::kPlatformId: return 0;
    case msr::kMtrrCap: return 0x508;  // 8 variable ranges, fixed ranges, write-combining
    case msr::kSysenterCs: return state.sysenter_cs;
    case msr::kSysenterEsp: return state.sysenter_esp;
    case msr::kSysenterEip: return state.sysenter_eip;
    case msr::kMcgCap: return 0;
    case msr::kMcgStatus: return 0;
    case msr::kMiscEnable: return state.misc_enable;
    case msr::kPat: return state.pat;
    case msr::kMtrrDefType: return state.mtrr_def_type;
    case msr::kMtrrFix64k: return state.mtrr_fixed[0];
    case msr::kMtrrFix16k0: return state.mtrr_fixed[1];
    case msr::kMtrrFix16k1: return state.mtrr_fixed[2];
    case msr::kEfer: return state.efer;
    case msr::kStar: return state.star;
    case msr::kLstar: return state.lstar;
    case msr::kCstar: return state.cstar;
    case msr::kSfmask: return state.sfmask;
    case msr::kFsBase: return state.seg[kFs].base;
    case msr::kGsBase: return state.seg[kGs].base;
    case msr::kKernelGsBase: return state.kernel_gs_base;
    case msr::kTscAux:
      if (model_.features.rdtscp) return state.tsc_aux;
      break;
    default:
      if (index >= msr::kMtrrPhysBase0 && index < msr::kMtrrPhysBase0 + 16)
        return state.mtrr_var[index - msr::kMtrrPhysBase0];
      if (index >= msr::kMtrrFix4kFirst && index <= msr::kMtrrFix4kLast)
        return state.mtrr_fixed[3 + index - msr::kMtrrFix4kFirst];
      break;
  }
  if (model_.features.ignore_msrs) {
    REWIND_LOG(kInfo, "cpu", "ignored read of unknown MSR %#x (ignore-msrs)", index);
    return 0;
  }
  REWIND_LOG(kDebug, "cpu", "read of unknown MSR %#x: #GP", index);
  *ok = false;
  return 0;
}

bool Cpu::write_msr(uint32_t index, uint64_t value) {
  if (host_.write_device_msr(index, value)) return true;
  switch (index) {
    case msr::kTsc: state.tsc_adjust = value - host_.tsc_ticks(); return true;
    case msr::kApicBase: state.apic_base = value & 0xfffff0d00ull; return true;
    case msr::kTscAdjust: state.tsc_adjust = value; return true;
    case msr::kBiosSignId: return true;
    case msr::kSysenterCs: state.sysenter_cs = value & 0xffff; return true;
    case msr::kSysenterEsp:
      if (!canonical(value)) return false;
      state.sysenter_esp = value;
      return true;
    case msr::kSysenterEip:
      if (!canonical(value)) return false;
      state.sysenter_eip = value;
      return true;
    case msr::kMcgStatus: return true;
    case msr::kMiscEnable: state.misc_enable = value; return true;
    case msr::kPat: state.pat = value; return true;
    case msr::kMtrrDefType: state.mtrr_def_type = value & 0xcff; return true;
    case msr::kMtrrFix64k: state.mtrr_fixed[0] = value; return true;
    case msr::kMtrrFix16k0: state.mtrr_fixed[1] = value; return true;
    case msr::kMtrrFix16k1: state.mtrr_fixed[2] = value; return true;
    case msr::kEfer: set_efer(value); return true;
    case msr::kStar: state.star = value; return true;
    case msr::kLstar:
      if (!canonical(value)) return false;
      state.lstar = value;
      return true;
    case msr::kCstar:
      if (!canonical(value)) return false;
      state.cstar = value;
      return true;
    case msr::kSfmask: state.sfmask = value & 0xffffffff; return true;
    case msr::kFsBase:
      if (!canonical(value)) return false;
      state.seg[kFs].base = value;
      return true;
    case msr::kGsBase:
      if (!canonical(value)) return false;
      state.seg[kGs].base = value;
      return true;
    case msr::kKernelGsBase:
      if (!canonical(value)) return false;
      state.kernel_gs_base = value;
      return true;
    case msr::kTscAux:
      if (!model_.features.rdtscp) break;
      state.tsc_aux = value & 0xffffffff;
      return true;
    default:
      if (index >= msr::kMtrrPhysBase0 && index < msr::kMtrrPhysBase0 + 16) {
        state.mtrr_var[index - msr::kMtrrPhysBase0] = value;
        return true;
      }
      if (index >= msr::kMtrrFix4kFirst && index <= msr::kMtrrFix4kLast) {
        state.mtrr_fixed[3 + index - msr::kMtrrFix4kFirst] = value;
        return true;
      }
      break;
  }
  if (model_.features.ignore_msrs) {
    REWIND_LOG(kInfo, "cpu", "ignored write of %#llx to unknown MSR %#x (ignore-msrs)",
               (unsigned long long)value, index);
    return true;
  }
  REWIND_LOG(kDebug, "cpu", "write to unknown MSR %#x: #GP", index);
  return false;
}

}  // namespace rwd
