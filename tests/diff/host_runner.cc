// SPDX-License-Identifier: MIT
//
// Native snippet execution.  The parent forks a sandbox per chunk of
// snippets so that a snippet which corrupts the process (or the generator
// producing a bad one) cannot take the test binary down; results travel
// back through a MAP_SHARED region.  Inside the sandbox a hand-written
// trampoline loads the complete machine state, jumps to the snippet, and a
// jump placed right after the snippet's bytes brings control back to code
// that stores the complete state again.  Faults are turned into results by
// a signal handler that reads the state out of the ucontext.
#include "tests/diff/host_runner.h"

#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace rwd::diff {

// The trampoline addresses MachineState fields by fixed offsets.
static_assert(offsetof(MachineState, gpr) == 0);
static_assert(offsetof(MachineState, rflags) == 128);
static_assert(offsetof(MachineState, xmm) == 144);
static_assert(offsetof(MachineState, mxcsr) == 400);

}  // namespace rwd::diff

// Trampoline state.  These live at namespace scope with C linkage because
// the assembly below references them by name; hidden visibility keeps the
// RIP-relative references link-time constants even in a shared library.
extern "C" {
__attribute__((visibility("hidden"))) alignas(64)
    rwd::diff::MachineState rewind_diff_in;
__attribute__((visibility("hidden"))) alignas(64)
    rwd::diff::MachineState rewind_diff_out;
__attribute__((visibility("hidden"))) uint64_t rewind_diff_host_rsp;
__attribute__((visibility("hidden"))) uint32_t rewind_diff_host_mxcsr;
__attribute__((visibility("hidden")))
uint64_t rewind_diff_entry = rwd::diff::kCodeAddress;
// Loads rewind_diff_in and jumps to the snippet; "returns" once the snippet
// reaches its epilogue, with the final state in rewind_diff_out.
__attribute__((visibility("hidden"))) void rewind_diff_enter();
// Target of the epilogue jump; not callable.
__attribute__((visibility("hidden"))) void rewind_diff_exit();
}

// Every register the snippet may change is either callee-saved by this
// code (rbx, rbp, r12-r15, rsp, MXCSR control bits, DF) or caller-saved by
// the ABI, so rewind_diff_enter() behaves like an ordinary call.  The exit
// path can rely on no register at all: it finds its storage RIP-relative
// and the host stack pointer in a global.
asm(R"(
  .intel_syntax noprefix
  .text
  .p2align 4
  .globl rewind_diff_enter
  .hidden rewind_diff_enter
  .type rewind_diff_enter, @function
rewind_diff_enter:
  push rbx
  push rbp
  push r12
  push r13
  push r14
  push r15
  mov qword ptr [rip + rewind_diff_host_rsp], rsp
  stmxcsr dword ptr [rip + rewind_diff_host_mxcsr]
  movdqa xmm0, xmmword ptr [rip + rewind_diff_in + 144 + 0 * 16]
  movdqa xmm1, xmmword ptr [rip + rewind_diff_in + 144 + 1 * 16]
  movdqa xmm2, xmmword ptr [rip + rewind_diff_in + 144 + 2 * 16]
  movdqa xmm3, xmmword ptr [rip + rewind_diff_in + 144 + 3 * 16]
  movdqa xmm4, xmmword ptr [rip + rewind_diff_in + 144 + 4 * 16]
  movdqa xmm5, xmmword ptr [rip + rewind_diff_in + 144 + 5 * 16]
  movdqa xmm6, xmmword ptr [rip + rewind_diff_in + 144 + 6 * 16]
  movdqa xmm7, xmmword ptr [rip + rewind_diff_in + 144 + 7 * 16]
  movdqa xmm8, xmmword ptr [rip + rewind_diff_in + 144 + 8 * 16]
  movdqa xmm9, xmmword ptr [rip + rewind_diff_in + 144 + 9 * 16]
  movdqa xmm10, xmmword ptr [rip + rewind_diff_in + 144 + 10 * 16]
  movdqa xmm11, xmmword ptr [rip + rewind_diff_in + 144 + 11 * 16]
  movdqa xmm12, xmmword ptr [rip + rewind_diff_in + 144 + 12 * 16]
  movdqa xmm13, xmmword ptr [rip + rewind_diff_in + 144 + 13 * 16]
  movdqa xmm14, xmmword ptr [rip + rewind_diff_in + 144 + 14 * 16]
  movdqa xmm15, xmmword ptr [rip + rewind_diff_in + 144 + 15 * 16]
  ldmxcsr dword ptr [rip + rewind_diff_in + 400]
  # RFLAGS goes in before the GPRs because POPFQ needs a stack; the MOVs
  # that follow leave the flags alone.
  push qword ptr [rip + rewind_diff_in + 128]
  popfq
  mov rax, qword ptr [rip + rewind_diff_in + 0 * 8]
  mov rcx, qword ptr [rip + rewind_diff_in + 1 * 8]
  mov rdx, qword ptr [rip + rewind_diff_in + 2 * 8]
  mov rbx, qword ptr [rip + rewind_diff_in + 3 * 8]
  mov rsp, qword ptr [rip + rewind_diff_in + 4 * 8]
  mov rbp, qword ptr [rip + rewind_diff_in + 5 * 8]
  mov rsi, qword ptr [rip + rewind_diff_in + 6 * 8]
  mov rdi, qword ptr [rip + rewind_diff_in + 7 * 8]
  mov r8, qword ptr [rip + rewind_diff_in + 8 * 8]
  mov r9, qword ptr [rip + rewind_diff_in + 9 * 8]
  mov r10, qword ptr [rip + rewind_diff_in + 10 * 8]
  mov r11, qword ptr [rip + rewind_diff_in + 11 * 8]
  mov r12, qword ptr [rip + rewind_diff_in + 12 * 8]
  mov r13, qword ptr [rip + rewind_diff_in + 13 * 8]
  mov r14, qword ptr [rip + rewind_diff_in + 14 * 8]
  mov r15, qword ptr [rip + rewind_diff_in + 15 * 8]
  jmp qword ptr [rip + rewind_diff_entry]
  .size rewind_diff_enter, . - rewind_diff_enter

  .p2align 4
  .globl rewind_diff_exit
  .hidden rewind_diff_exit
  .type rewind_diff_exit, @function
rewind_diff_exit:
  mov qword ptr [rip + rewind_diff_out + 0 * 8], rax
  mov qword ptr [rip + rewind_diff_out + 1 * 8], rcx
  mov qword ptr [rip + rewind_diff_out + 2 * 8], rdx
  mov qword ptr [rip + rewind_diff_out + 3 * 8], rbx
  mov qword ptr [rip + rewind_diff_out + 4 * 8], rsp
  mov qword ptr [rip + rewind_diff_out + 5 * 8], rbp
  mov qword ptr [rip + rewind_diff_out + 6 * 8], rsi
  mov qword ptr [rip + rewind_diff_out + 7 * 8], rdi
  mov qword ptr [rip + rewind_diff_out + 8 * 8], r8
  mov qword ptr [rip + rewind_diff_out + 9 * 8], r9
  mov qword ptr [rip + rewind_diff_out + 10 * 8], r10
  mov qword ptr [rip + rewind_diff_out + 11 * 8], r11
  mov qword ptr [rip + rewind_diff_out + 12 * 8], r12
  mov qword ptr [rip + rewind_diff_out + 13 * 8], r13
  mov qword ptr [rip + rewind_diff_out + 14 * 8], r14
  mov qword ptr [rip + rewind_diff_out + 15 * 8], r15
  # Back on the host stack (MOV leaves flags alone) before PUSHFQ.
  mov rsp, qword ptr [rip + rewind_diff_host_rsp]
  pushfq
  pop qword ptr [rip + rewind_diff_out + 128]
  stmxcsr dword ptr [rip + rewind_diff_out + 400]
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 0 * 16], xmm0
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 1 * 16], xmm1
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 2 * 16], xmm2
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 3 * 16], xmm3
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 4 * 16], xmm4
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 5 * 16], xmm5
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 6 * 16], xmm6
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 7 * 16], xmm7
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 8 * 16], xmm8
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 9 * 16], xmm9
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 10 * 16], xmm10
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 11 * 16], xmm11
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 12 * 16], xmm12
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 13 * 16], xmm13
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 14 * 16], xmm14
  movdqa xmmword ptr [rip + rewind_diff_out + 144 + 15 * 16], xmm15
  ldmxcsr dword ptr [rip + rewind_diff_host_mxcsr]
  # A snippet may leave DF, AC or ID set; the ABI (and unaligned host
  # accesses under AC) need a clean RFLAGS.
  push 0x202
  popfq
  pop r15
  pop r14
  pop r13
  pop r12
  pop rbp
  pop rbx
  ret
  .size rewind_diff_exit, . - rewind_diff_exit
  .att_syntax prefix
)");

namespace rwd::diff {
namespace {

constexpr uint32_t kMxcsrReservedMask = 0xffff0000u;

// `jmp qword ptr [rip+disp32]` followed by the absolute target at the next
// 8-aligned address: position independent, so it works at any snippet
// length, and aligned so that a snippet which leaves RFLAGS.AC set (Linux
// runs user code with CR0.AM=1) does not take #AC on the way out.
constexpr size_t kEpilogueSize = 6 + 7 + 8;

struct Slot {
  MachineState state;
  uint8_t data[kDataSize];
  uint8_t stack[kStackSize];
};

struct SharedHeader {
  uint64_t done;       // snippets of this chunk whose results are complete
  char error[256];     // sandbox setup failure, reported by the parent
};

size_t shared_bytes(size_t chunk) {
  size_t bytes = sizeof(SharedHeader) + 64 + chunk * sizeof(Slot);
  return (bytes + kPageSize - 1) & ~(kPageSize - 1);
}

Slot* slots_of(SharedHeader* header) {
  auto base = reinterpret_cast<uintptr_t>(header) + sizeof(SharedHeader);
  base = (base + 63) & ~uintptr_t{63};
  return reinterpret_cast<Slot*>(base);
}

// Sandbox-only globals (the sandbox is single threaded).
sigjmp_buf g_fault_jump;
volatile sig_atomic_t g_in_snippet = 0;

void reset_host_flags() {
  asm volatile("push $0x202\n\tpopfq" ::: "memory", "cc");
}

void load_host_mxcsr() {
  uint32_t mxcsr = rewind_diff_host_mxcsr;
  asm volatile("ldmxcsr %0" ::"m"(mxcsr));
}

void on_fault(int sig, siginfo_t* info, void* context) {
  (void)info;
  // The kernel hands the handler the snippet's AC (and DF): clear them
  // before any library code runs into an unaligned access.
  reset_host_flags();
  if (!g_in_snippet) {
    // A fault in the runner itself: let it kill the sandbox so the parent
    // reports a crash instead of silently producing garbage.
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, nullptr);
    return;
  }
  g_in_snippet = 0;
  auto* uc = static_cast<ucontext_t*>(context);
  const greg_t* g = uc->uc_mcontext.gregs;
  static constexpr int kGregOf[16] = {
      REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
      REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
  MachineState& out = rewind_diff_out;
  for (int i = 0; i < 16; ++i) out.gpr[i] = static_cast<uint64_t>(g[kGregOf[i]]);
  out.rflags = static_cast<uint64_t>(g[REG_EFL]);
  out.rip = static_cast<uint64_t>(g[REG_RIP]);
  if (uc->uc_mcontext.fpregs != nullptr) {
    const auto* fp = uc->uc_mcontext.fpregs;
    std::memcpy(out.xmm, fp->_xmm, sizeof(out.xmm));
    out.mxcsr = fp->mxcsr;
  }
  // The kernel records the hardware vector in trap_nr for every exception
  // it turns into a signal; the signal number alone cannot tell #GP from
  // #PF, or #DB from #BP.
  int vector = static_cast<int>(g[REG_TRAPNO]);
  if (vector < 0 || vector > 31) {
    switch (sig) {
      case SIGFPE: vector = kVectorDe; break;
      case SIGILL: vector = kVectorUd; break;
      case SIGTRAP: vector = kVectorBp; break;
      default: vector = kVectorGp; break;
    }
  }
  out.exception_vector = vector;
  out.fault_address = vector == kVectorPf ? static_cast<uint64_t>(g[REG_CR2]) : 0;
  siglongjmp(g_fault_jump, 1);
}

void fail_setup(SharedHeader* header, const char* what, uint64_t address) {
  std::snprintf(header->error, sizeof(header->error),
                "diff sandbox: %s at 0x%llx failed: %s", what,
                static_cast<unsigned long long>(address), std::strerror(errno));
  _exit(3);
}

void map_fixed(SharedHeader* header, uint64_t address, uint64_t size, int prot,
               const char* what) {
  void* want = reinterpret_cast<void*>(address);
  void* got = mmap(want, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0);
  if (got == MAP_FAILED) fail_setup(header, what, address);
  if (got != want) {  // pre-4.17 kernels treat the flag as a hint
    errno = EEXIST;
    fail_setup(header, what, address);
  }
}

// Runs snippets[first, first+count) and never returns.  Only async-signal
// safe work happens here (no allocation) because the parent may have had
// other threads when it forked.
[[noreturn]] void sandbox_main(const std::vector<Snippet>& snippets, size_t first,
                               size_t count, SharedHeader* header,
                               const HostRunOptions& options) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Writable and executable at once: the code is rewritten per snippet
  // and toggling protections would cost two syscalls each time.
  map_fixed(header, kCodeAddress, kCodeSize, PROT_READ | PROT_WRITE | PROT_EXEC,
            "mmap code page");
  map_fixed(header, kDataAddress, kDataSize, PROT_READ | PROT_WRITE, "mmap data page");
  map_fixed(header, kStackAddress, kStackSize, PROT_READ | PROT_WRITE,
            "mmap stack page");

  // The fault handler must not run on the snippet's stack: it points into
  // the stack page under test (or anywhere at all after a bad POP RSP).
  constexpr size_t kAltStackSize = 256 * 1024;
  void* alt = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (alt == MAP_FAILED) fail_setup(header, "mmap signal stack", 0);
  stack_t ss = {};
  ss.ss_sp = alt;
  ss.ss_size = kAltStackSize;
  if (sigaltstack(&ss, nullptr) != 0) fail_setup(header, "sigaltstack", 0);

  struct sigaction sa = {};
  sa.sa_sigaction = on_fault;
  // NODEFER: we leave the handler with siglongjmp without restoring the
  // signal mask (that would be a syscall per snippet).
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) {
    if (sigaction(sig, &sa, nullptr) != 0) fail_setup(header, "sigaction", 0);
  }

  auto* code = reinterpret_cast<uint8_t*>(kCodeAddress);
  auto* data = reinterpret_cast<uint8_t*>(kDataAddress);
  auto* stack = reinterpret_cast<uint8_t*>(kStackAddress);
  Slot* slots = slots_of(header);
  const auto exit_address = reinterpret_cast<uint64_t>(&rewind_diff_exit);

  for (size_t j = 0; j < count; ++j) {
    const Snippet& s = snippets[first + j];
    const size_t n = s.code.size();
    std::memcpy(code, s.code.data(), n);
    // int3 filler so a snippet running off its end cannot execute stale
    // bytes of an earlier snippet.
    std::memset(code + n, 0xcc, kCodeSize - n);
    const size_t target = (n + 6 + 7) & ~size_t{7};
    const uint8_t epilogue[6] = {0xff, 0x25, uint8_t(target - (n + 6)), 0, 0, 0};
    std::memcpy(code + n, epilogue, sizeof(epilogue));
    std::memcpy(code + target, &exit_address, 8);
    if (s.data_init.empty()) {
      std::memset(data, 0, kDataSize);
    } else {
      std::memcpy(data, s.data_init.data(), kDataSize);
    }
    if (s.stack_init.empty()) {
      std::memset(stack, 0, kStackSize);
    } else {
      std::memcpy(stack, s.stack_init.data(), kStackSize);
    }

    rewind_diff_in = s.input;
    rewind_diff_in.rflags |= kFlagFixed1;
    rewind_diff_out = MachineState{};
    alarm(options.timeout_seconds);
    if (sigsetjmp(g_fault_jump, 0) == 0) {
      g_in_snippet = 1;
      rewind_diff_enter();
      g_in_snippet = 0;
      rewind_diff_out.exception_vector = kVectorNone;
      rewind_diff_out.rip = kCodeAddress + n;
      rewind_diff_out.fault_address = 0;
    } else {
      // Back from on_fault: siglongjmp restored the callee-saved GPRs but
      // not MXCSR or RFLAGS.
      load_host_mxcsr();
      reset_host_flags();
    }
    Slot& slot = slots[j];
    slot.state = rewind_diff_out;
    std::memcpy(slot.data, data, kDataSize);
    if (options.capture_stack) std::memcpy(slot.stack, stack, kStackSize);
    header->done = j + 1;
  }
  alarm(0);
  _exit(0);
}

void validate(const Snippet& s, size_t index) {
  auto fail = [&](const std::string& why) {
    throw std::runtime_error("run_on_host: snippet " + std::to_string(index) + " (" +
                             s.category + " / " + s.name + "): " + why);
  };
  if (s.code.size() > kMaxSnippetCode) fail("code too long");
  if (!s.data_init.empty() && s.data_init.size() != kDataSize)
    fail("data_init must be empty or kDataSize bytes");
  if (!s.stack_init.empty() && s.stack_init.size() != kStackSize)
    fail("stack_init must be empty or kStackSize bytes");
  if (s.input.mxcsr & kMxcsrReservedMask) fail("reserved MXCSR bits set");
  // TF would single-step the trampoline itself.
  if (s.input.rflags & kFlagTf) fail("TF set in input rflags");
}

}  // namespace

void run_on_host(const std::vector<Snippet>& snippets,
                 const std::function<void(size_t, Result&&)>& sink,
                 const HostRunOptions& options) {
  for (size_t i = 0; i < snippets.size(); ++i) validate(snippets[i], i);
  if (snippets.empty()) return;
  const size_t chunk = std::max<size_t>(1, options.chunk_size);
  const size_t bytes = shared_bytes(chunk);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("run_on_host: mmap shared failed");
  auto* header = static_cast<SharedHeader*>(mem);
  Slot* slots = slots_of(header);

  try {
    size_t i = 0;
    while (i < snippets.size()) {
      const size_t count = std::min(chunk, snippets.size() - i);
      header->done = 0;
      header->error[0] = '\0';
      pid_t pid = fork();
      if (pid < 0) throw std::runtime_error("run_on_host: fork failed");
      if (pid == 0) sandbox_main(snippets, i, count, header, options);
      int status = 0;
      while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw std::runtime_error("run_on_host: waitpid failed");
      }
      if (header->error[0] != '\0') throw std::runtime_error(header->error);
      const size_t done = std::min<size_t>(header->done, count);
      for (size_t k = 0; k < done; ++k) {
        Result r;
        r.state = slots[k].state;
        r.data_out.assign(slots[k].data, slots[k].data + kDataSize);
        if (options.capture_stack) {
          r.stack_out.assign(slots[k].stack, slots[k].stack + kStackSize);
        }
        sink(i + k, std::move(r));
      }
      if (done == count) {
        i += count;
        continue;
      }
      // The sandbox died inside snippet i+done: report it and carry on
      // with a fresh sandbox after it.
      const Snippet& s = snippets[i + done];
      Result r;
      r.state = s.input;
      r.state.exception_vector = (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
                                     ? kVectorTimeout
                                     : kVectorSandboxCrash;
      r.data_out = s.data_init;
      r.stack_out = s.stack_init;
      sink(i + done, std::move(r));
      i += done + 1;
    }
  } catch (...) {
    munmap(mem, bytes);
    throw;
  }
  munmap(mem, bytes);
}

std::vector<Result> run_on_host(const std::vector<Snippet>& snippets,
                                const HostRunOptions& options) {
  std::vector<Result> results(snippets.size());
  run_on_host(
      snippets, [&](size_t index, Result&& r) { results[index] = std::move(r); },
      options);
  return results;
}

Result run_one_on_host(const Snippet& snippet) {
  return std::move(run_on_host(std::vector<Snippet>{snippet}).front());
}

bool host_has_feature(const std::string& feature) {
  if (feature.empty()) return true;
  unsigned a = 0, b = 0, c = 0, d = 0;
  unsigned c1 = 0, b7 = 0, c81 = 0;
  if (__get_cpuid(1, &a, &b, &c, &d)) c1 = c;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) b7 = b;
  if (__get_cpuid(0x80000001, &a, &b, &c, &d)) c81 = c;
  if (feature == "sse3") return c1 & (1u << 0);
  if (feature == "ssse3") return c1 & (1u << 9);
  if (feature == "cx16") return c1 & (1u << 13);
  if (feature == "sse4_1") return c1 & (1u << 19);
  if (feature == "sse4_2") return c1 & (1u << 20);
  if (feature == "popcnt") return c1 & (1u << 23);
  if (feature == "lahf_lm") return c81 & (1u << 0);
  if (feature == "lzcnt") return c81 & (1u << 5);  // "abm" in /proc/cpuinfo
  if (feature == "bmi1") return b7 & (1u << 3);
  return false;
}

}  // namespace rwd::diff
