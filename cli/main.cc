// SPDX-License-Identifier: MIT
// rewind's command line. Thin by design (DESIGN §1): parse flags, build a Machine, run it.
//
//   rewind run -kernel guest.elf -append 'iterations=3' -device isa-debug-exit,iobase=0xf4,iosize=4
#include <unistd.h>

#include <chrono>
#include <thread>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/log.h"
#include "devices/machine/machine.h"
#include "jit/llvm/orc_probe.h"
#include "debug/server.h"
#include "debug/timeline.h"
#include "replay/session.h"

namespace rwd {
namespace {

// --pace realtime: keeps virtual time (1 instruction = 1 ns) from running ahead of the wall
// clock, for interactive use. Only the CLI reads host time.
class Pacer {
 public:
  void operator()(uint64_t position) {
    auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = true;
      start_ = now;
      start_position_ = position;
      return;
    }
    auto virtual_elapsed = std::chrono::nanoseconds(position - start_position_);
    auto ahead = virtual_elapsed - (now - start_);
    if (ahead > std::chrono::milliseconds(1)) std::this_thread::sleep_for(ahead);
  }

 private:
  bool started_ = false;
  std::chrono::steady_clock::time_point start_;
  uint64_t start_position_ = 0;
};

bool parse_pace(const std::vector<std::string>& args, size_t* i, bool* pace) {
  if (args[*i] != "--pace") return false;
  if (*i + 1 >= args.size() || (args[*i + 1] != "realtime" && args[*i + 1] != "none")) {
    std::fprintf(stderr, "rewind: --pace takes 'realtime' or 'none'\n");
    std::exit(2);
  }
  *pace = args[*i + 1] == "realtime";
  *i += 2;
  return true;
}

constexpr const char* kUsage =
    "usage: rewind <command> [options]\n"
    "\n"
    "commands:\n"
    "  run [machine flags] [-gdb tcp:HOST:PORT | -s]\n"
    "                          run a guest (under gdb: forward only)\n"
    "  record -o RUN.rwd [--pack] [--checkpoint-interval N] [machine flags]\n"
    "                          run a guest and record it\n"
    "  replay RUN.rwd [--seek POSITION|end]\n"
    "                          re-execute a recording (no host input), verifying it;\n"
    "                          --seek restores the nearest checkpoint and runs to POSITION\n"
    "  replay RUN.rwd -gdb tcp:HOST:PORT | -s [-S]\n"
    "                          serve the recording to gdb, with reverse execution\n"
    "  dump RUN.rwd [--json] [--events FROM:TO]\n"
    "                          describe a recording\n"
    "  pack RUN.rwd            embed the images a recording refers to\n"
    "  verify RUN.rwd          restore every checkpoint and check it reaches the next one\n"
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
    "  --pace realtime|none    keep virtual time from running ahead of the wall clock\n"
    "  --max-insns N           stop after N instructions\n"
    "  -d SPEC                 logging, e.g. -d cpu=debug,bus=debug (also REWIND_LOG)\n";

int cmd_run(const std::vector<std::string>& args) {
  MachineConfig cfg = default_machine_config();
  bool stats = false;
  bool pace = false;
  bool gdb = false;
  GdbServerOptions gdb_options;
  uint64_t max_insns = kNever;
  for (size_t i = 0; i < args.size();) {
    const std::string& a = args[i];
    if (parse_pace(args, &i, &pace)) continue;
    if (a == "-gdb" && i + 1 < args.size()) {
      std::string error;
      if (!parse_gdb_address(args[i + 1], &gdb_options, &error)) {
        std::fprintf(stderr, "rewind: %s\n", error.c_str());
        return 2;
      }
      gdb = true;
      i += 2;
    } else if (a == "-s" || a == "-S") {
      gdb = gdb || a == "-s";
      i++;
    } else if (a == "--stats") {
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
  if (gdb) {
    // A live machine under gdb: forward only (reverse execution needs a recording).
    auto timeline = Timeline::live(std::move(machine));
    GdbServer server(*timeline);
    int status = server.serve(gdb_options, &error);
    if (status) std::fprintf(stderr, "rewind: %s\n", error.c_str());
    timeline.reset();
    if (close_serial) std::fclose(serial);
    return status;
  }
  // Host time is measured here, in the CLI, only to report speed; the guest never sees it.
  auto start = std::chrono::steady_clock::now();
  Outcome outcome;
  if (pace) {
    Pacer pacer;
    do {
      outcome = machine->run(std::min(machine->position() + 1'000'000, max_insns));
      pacer(machine->position());
    } while (outcome.kind == Outcome::Kind::kRunning && machine->position() < max_insns);
  } else {
    outcome = machine->run(max_insns);
  }
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

// Shows position, percentage and guest MIPS on a terminal once an operation passes a second.
class ProgressBar {
 public:
  ProgressBar() : enabled_(isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() {
    if (shown_) std::fputs("\r\033[K", stderr);
  }
  void update(uint64_t position, uint64_t end) {
    if (!enabled_) return;
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (t < 1.0) return;
    shown_ = true;
    double pct = end ? 100.0 * double(position) / double(end) : 100.0;
    std::fprintf(stderr, "\r\033[Kreplay: position %llu / %llu (%.1f%%), %.1f MIPS",
                 (unsigned long long)position, (unsigned long long)end, pct,
                 double(position) / t / 1e6);
    std::fflush(stderr);
  }

 private:
  bool enabled_, shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

int report(const SessionResult& r) {
  if (!r.message.empty()) std::fprintf(stderr, "rewind: %s\n", r.message.c_str());
  return r.exit_status;
}

int cmd_record(const std::vector<std::string>& args) {
  RecordOptions options;
  bool pace = false;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a == "--pace") {
      size_t j = i;
      parse_pace(args, &j, &pace);
      i = j - 1;
    } else if (a == "-o" && i + 1 < args.size()) {
      options.output = args[++i];
    } else if (a == "--pack") {
      options.pack = true;
    } else if (a == "--checkpoint-interval" && i + 1 < args.size()) {
      options.checkpoint_interval = std::strtoull(args[++i].c_str(), nullptr, 0);
      if (options.checkpoint_interval == 0) {
        std::fprintf(stderr, "rewind: --checkpoint-interval must be positive\n");
        return 2;
      }
    } else if (a == "--max-insns" && i + 1 < args.size()) {
      options.max_insns = std::strtoull(args[++i].c_str(), nullptr, 0);
    } else {
      options.machine_args.push_back(a);
    }
  }
  if (options.output.empty()) {
    std::fprintf(stderr, "rewind: record needs -o RUN.rwd\n");
    return 2;
  }
  // Serial input comes from stdin (journaled) unless serial output is elsewhere.
  bool serial_stdio = true;
  for (size_t i = 0; i + 1 < options.machine_args.size(); i++)
    if (options.machine_args[i] == "-serial" && options.machine_args[i + 1] != "stdio")
      serial_stdio = false;
  options.serial_in_fd = serial_stdio ? STDIN_FILENO : -1;
  options.serial_out = serial_stdio ? stdout : nullptr;
  Pacer pacer;
  if (pace) options.pace = [&pacer](uint64_t position) { pacer(position); };
  return report(record_session(options));
}

int cmd_replay(const std::vector<std::string>& args) {
  ReplayOptions options;
  uint64_t seek = kNever;
  bool gdb = false;
  GdbServerOptions gdb_options;
  for (size_t i = 0; i < args.size(); i++) {
    std::string error;
    if (args[i] == "-gdb" && i + 1 < args.size()) {
      if (!parse_gdb_address(args[++i], &gdb_options, &error)) {
        std::fprintf(stderr, "rewind: %s\n", error.c_str());
        return 2;
      }
      gdb = true;
    } else if (args[i] == "-s") {
      gdb = true;  // QEMU's shorthand for -gdb tcp::1234
    } else if (args[i] == "-S") {
      // QEMU's "do not start the CPU": a replay under gdb always waits for the debugger.
    } else if (args[i] == "--seek" && i + 1 < args.size())
      seek = args[i + 1] == "end" ? kNever - 1 : std::strtoull(args[i + 1].c_str(), nullptr, 0),
      i++;
    else if (args[i] == "--max-insns" && i + 1 < args.size())
      options.max_insns = std::strtoull(args[++i].c_str(), nullptr, 0);
    else if (args[i] == "--test-corrupt-ram" && i + 2 < args.size()) {
      // Test hook: flip the byte at physical address A when the position reaches P.
      options.corrupt_position = std::strtoull(args[++i].c_str(), nullptr, 0);
      options.corrupt_address = std::strtoull(args[++i].c_str(), nullptr, 0);
    } else if (options.recording.empty() && args[i][0] != '-')
      options.recording = args[i];
    else {
      std::fprintf(stderr, "rewind: unknown replay option '%s'\n", args[i].c_str());
      return 2;
    }
  }
  if (options.recording.empty()) {
    std::fprintf(stderr, "rewind: replay needs a recording\n");
    return 2;
  }
  if (gdb) {
    std::string error;
    auto timeline = Timeline::open(options.recording, nullptr, &error);
    if (!timeline) {
      std::fprintf(stderr, "rewind: %s\n", error.c_str());
      return 2;
    }
    GdbServer server(*timeline);
    int status = server.serve(gdb_options, &error);
    if (status) std::fprintf(stderr, "rewind: %s\n", error.c_str());
    return status;
  }
  if (seek != kNever) {
    ProgressBar seek_bar;
    SessionResult r = seek_session(options.recording, seek, [&seek_bar](uint64_t p, uint64_t end) {
      seek_bar.update(p, end);
    });
    if (r.exit_status == 0) std::printf("%s\n", r.message.c_str());
    else std::fprintf(stderr, "rewind: %s\n", r.message.c_str());
    return r.exit_status;
  }
  ProgressBar bar;
  options.progress = [&bar](uint64_t p, uint64_t end) { bar.update(p, end); };
  SessionResult r = replay_session(options);
  return report(r);
}

int cmd_dump(const std::vector<std::string>& args) {
  DumpOptions options;
  std::string recording;
  for (size_t i = 0; i < args.size(); i++) {
    if (args[i] == "--json") {
      options.json = true;
    } else if (args[i] == "--events" && i + 1 < args.size()) {
      const std::string& range = args[++i];
      size_t colon = range.find(':');
      options.events_from = std::strtoull(range.substr(0, colon).c_str(), nullptr, 0);
      options.events_to = colon == std::string::npos
                              ? ~0ull
                              : std::strtoull(range.substr(colon + 1).c_str(), nullptr, 0);
      if (colon != std::string::npos && range.substr(colon + 1).empty()) options.events_to = ~0ull;
    } else if (recording.empty() && args[i][0] != '-') {
      recording = args[i];
    } else {
      std::fprintf(stderr, "rewind: unknown dump option '%s'\n", args[i].c_str());
      return 2;
    }
  }
  std::string error;
  int status = dump_recording(recording, options, stdout, &error);
  if (status) std::fprintf(stderr, "rewind: %s\n", error.c_str());
  return status;
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
  if (cmd == "record") return rwd::cmd_record(args);
  if (cmd == "replay") return rwd::cmd_replay(args);
  if (cmd == "dump") return rwd::cmd_dump(args);
  if (cmd == "pack" || cmd == "verify") {
    if (args.size() != 1) {
      std::fprintf(stderr, "rewind: %s needs exactly one recording\n", cmd.c_str());
      return 2;
    }
    if (cmd == "verify") {
      rwd::SessionResult r = rwd::verify_checkpoints(args[0]);
      if (r.exit_status == 0)
        std::printf("verified %llu checkpoint intervals\n", (unsigned long long)r.checkpoints);
      return rwd::report(r);
    }
    std::string error;
    if (!rwd::pack_recording(args[0], &error)) {
      std::fprintf(stderr, "rewind: %s\n", error.c_str());
      return 2;
    }
    return 0;
  }
  if (cmd == "version" || cmd == "--version") {
    std::printf("rewind 0.1\n%s\n", rwd::llvm_orc_description().c_str());
    return 0;
  }
  std::fprintf(stderr, "rewind: unknown command '%s'\n%s", cmd.c_str(), rwd::kUsage);
  return 2;
}
