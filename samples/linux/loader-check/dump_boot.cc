// SPDX-License-Identifier: MIT
// Runs rewind's Linux loader on the host and writes what it produced, for stub.S to replay in
// QEMU: every region the loader wrote becomes a file chunkN.bin (a multiboot module), and the
// entry state becomes assembler constants in entry.inc.
//
//   dump_boot VMLINUZ INITRD CMDLINE RAM_MIB OUTDIR
//
// The e820 map given to the loader is a guess at the firmware's (RAM up to 1 MiB below the top
// of RAM, where SeaBIOS keeps its tables); stub.S replaces it in boot_params with the map SeaBIOS
// really reports, so only the initrd's placement depends on the guess.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>

#include "devices/loader/linux.h"

using namespace rwd;

namespace {

std::vector<uint8_t> read(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "dump_boot: cannot open %s\n", path);
    std::exit(1);
  }
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: dump_boot VMLINUZ INITRD CMDLINE RAM_MIB OUTDIR\n");
    return 2;
  }
  const uint64_t ram = std::strtoull(argv[4], nullptr, 0) << 20;
  const std::string out = argv[5];
  // QEMU's q35 puts RAM above 2816 MiB at 4 GiB; keep to the simple case.
  if (ram > 0xb0000000ull || ram < (64ull << 20)) {
    std::fprintf(stderr, "dump_boot: RAM_MIB must be 64..2816\n");
    return 2;
  }
  const uint64_t low_ram_end = ram - (1 << 20);
  std::map<uint64_t, std::vector<uint8_t>> chunks;
  PhysWriter write = [&](uint64_t addr, const void* data, size_t len) {
    if (addr + len > low_ram_end) return false;
    const uint8_t* p = static_cast<const uint8_t*>(data);
    chunks[addr].assign(p, p + len);
    return true;
  };
  LinuxBootLayout layout;
  layout.memory = MemoryLayout{low_ram_end, 0};
  CpuState cpu;
  std::string error;
  if (!load_linux(read(argv[1]), read(argv[2]), argv[3], layout, write, &cpu, &error)) {
    std::fprintf(stderr, "dump_boot: %s\n", error.c_str());
    return 1;
  }

  FILE* inc = std::fopen((out + "/entry.inc").c_str(), "w");
  if (!inc) return 1;
  auto set = [&](const char* name, uint64_t v) {
    std::fprintf(inc, ".set %s, %#llx\n", name, static_cast<unsigned long long>(v));
  };
  set("CR0", cpu.cr0);
  set("CR3", cpu.cr3);
  set("CR4", cpu.cr4);
  set("EFER", cpu.efer);
  set("RIP", cpu.rip);
  set("RSI", cpu.gpr[kRsi]);
  set("RSP", cpu.gpr[kRsp]);
  set("RFLAGS", cpu.rflags);
  set("GDT_BASE", cpu.gdtr.base);
  set("GDT_LIMIT", cpu.gdtr.limit);
  set("CS_SEL", cpu.seg[kCs].selector);
  set("DS_SEL", cpu.seg[kDs].selector);
  set("ES_SEL", cpu.seg[kEs].selector);
  set("SS_SEL", cpu.seg[kSs].selector);
  set("BOOT_PARAMS", cpu.gpr[kRsi]);
  set("NCHUNKS", chunks.size());
  std::fprintf(inc, ".macro DESTINATIONS\n");
  std::string modules;
  unsigned i = 0;
  for (const auto& [addr, data] : chunks) {
    const std::string name = out + "/chunk" + std::to_string(i++) + ".bin";
    std::ofstream(name, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    std::fprintf(inc, "  .long %#llx\n", static_cast<unsigned long long>(addr));
    std::printf("%s -> %#llx (%zu bytes)\n", name.c_str(), static_cast<unsigned long long>(addr),
                data.size());
    modules += (modules.empty() ? "" : ",") + name;
  }
  std::fprintf(inc, ".endm\n");
  std::fclose(inc);
  std::ofstream(out + "/modules.txt") << modules;
  return 0;
}
