// SPDX-License-Identifier: MIT
// rewind's command line. Thin by design (DESIGN §1): parse flags, build a Machine, run it.
//
//   rewind run -kernel guest.elf -append 'iterations=3' -device isa-debug-exit,iobase=0xf4,iosize=4
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/log.h"
#include "devices/machine/machine.h"
#include "jit/llvm/orc_probe.h"

namespace rwd {
namespace {

constexpr const char* kUsage =
    "usage: rewind <command> [options]\n"
    "\n"
    "commands:\n"
    "  run [machine flags]     run a guest\n"
    "  version                 print version and toolchain information\n"
    "  help                    this text\n"
    "\n"
    "machine flags (QEMU spellings):\n"
    "  -kernel FILE            multiboot kernel (ELF32 or a.out kludge)\n"
    "  -initrd FILE[,FILE]     multiboot modules\n"
    "  -append STRING          kernel command line\n"
    "  -m SIZE                 guest RAM (default 128M)\n"
    "  -cpu MODEL[,ignore-msrs] CPU model: core2duo (default), penryn, max\n"
    "  -serial stdio|file:PATH|null|none\n"
    "  -device isa-debug-exit,iobase=N,iosize=N\n"
    "  -machine q35  -nographic  -display none  -monitor none  -no-reboot\n"
    "\n"
    "rewind options:\n"
    "  --stats                 print instruction count, speed and CPU statistics at exit\n"
    "  --max-insns N           stop after N instructions\n"
    "  -d SPEC                 logging, e.g. -d cpu=debug,bus=debug (also REWIND_LOG)\n";

int cmd_run(const std::vector<std::string>& args) {
  MachineConfig cfg = default_machine_config();
  bool stats = false;
  uint64_t max_insns = kNever;
  for (size_t i = 0; i < args.size();) {
    const std::string& a = args[i];
    if (a == "--stats") {
      stats = true;
      i++;
    } else if (a == "--max-insns" && i + 1 < args.size()) {
      max_insns = std::strtoull(args[i + 1].c_str(), nullptr, 0);
      i += 2;
    } else if (a == "-d" && i + 1 < args.size()) {
      std::string err = log_configure(args[i + 1]);
      if (!err.empty()) {
        std::fprintf(stderr, "rewind: %s\n", err.c_str());
        return 2;
      }
      i += 2;
    } else {
      std::string error;
      if (!parse_machine_flag(args, &i, &cfg, &error)) {
        std::fprintf(stderr, "rewind: %s\n", error.c_str());
        return 2;
      }
    }
  }
  std::FILE* serial = nullptr;
  bool close_serial = false;
  if (cfg.serial == "stdio") {
    serial = stdout;
  } else if (cfg.serial.rfind("file:", 0) == 0) {
    serial = std::fopen(cfg.serial.c_str() + 5, "wb");
    if (!serial) {
      std::fprintf(stderr, "rewind: cannot open serial output '%s'\n", cfg.serial.c_str() + 5);
      return 2;
    }
    close_serial = true;
  }
  LiveInputPort input(cfg.serial == "stdio" ? STDIN_FILENO : -1);
  std::string error;
  auto machine = Machine::create(cfg, input, serial, &error);
  if (!machine) {
    std::fprintf(stderr, "rewind: %s\n", error.c_str());
    return 2;
  }
  // Host time is measured here, in the CLI, only to report speed; the guest never sees it.
  auto start = std::chrono::steady_clock::now();
  Outcome outcome = machine->run(max_insns);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t position = machine->position();
  const CpuStats cpu_stats = machine->cpu().stats();
  const UnassignedStats ports = machine->ports().unassigned();
  machine.reset();  // flushes serial output
  if (close_serial) std::fclose(serial);
  if (outcome.kind != Outcome::Kind::kExit && outcome.kind != Outcome::Kind::kPowerOff)
    std::fprintf(stderr, "rewind: %s\n", outcome.message.c_str());
  if (ports.any)
    std::fprintf(stderr,
                 "rewind: note: the guest made %llu accesses to unassigned I/O ports (first: "
                 "%#x); they read as all ones and writes were dropped\n",
                 (unsigned long long)ports.accesses, ports.first_address);
  if (stats) {
    std::fprintf(stderr,
                 "rewind: stats: %llu instructions in %.3f s = %.1f MIPS; %llu blocks decoded, "
                 "%llu invalidated, %llu exceptions, %llu interrupts\n",
                 (unsigned long long)position, seconds, position / seconds / 1e6,
                 (unsigned long long)cpu_stats.blocks_decoded,
                 (unsigned long long)cpu_stats.blocks_invalidated,
                 (unsigned long long)cpu_stats.exceptions,
                 (unsigned long long)cpu_stats.interrupts);
  }
  return outcome.status;
}

}  // namespace
}  // namespace rwd

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(rwd::kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "run") return rwd::cmd_run(args);
  if (cmd == "version" || cmd == "--version") {
    std::printf("rewind 0.1\n%s\n", rwd::llvm_orc_description().c_str());
    return 0;
  }
  std::fprintf(stderr, "rewind: unknown command '%s'\n%s", cmd.c_str(), rwd::kUsage);
  return 2;
}
