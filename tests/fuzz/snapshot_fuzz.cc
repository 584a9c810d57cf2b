// SPDX-License-Identifier: MIT
// libFuzzer target: the checkpoint (machine snapshot) reader, Machine::restore_checkpoint.
// Input: raw snapshot bytes as stored in checkpoint blocks (seeds come from real recordings
// via fuzz_seeds). A malformed snapshot must be refused with an error and leave the machine
// as it was.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/check.h"
#include "devices/machine/machine.h"

namespace {

// A minimal a.out-kludge multiboot kernel (header, then `hlt`), held in memory.
std::vector<uint8_t> tiny_kernel() {
  std::vector<uint8_t> img(64, 0xf4);
  const uint32_t load = 0x100000;
  uint32_t h[8] = {0x1badb002, 0x10000, uint32_t(-(0x1badb002 + 0x10000)), load, load, 0,
                   load + 64, load + 32};
  std::memcpy(img.data(), h, sizeof h);
  return img;
}

struct Fixture {
  rwd::LiveInputPort input{-1};
  std::unique_ptr<rwd::Machine> machine;
  Fixture() {
    rwd::MachineConfig cfg = rwd::default_machine_config();
    cfg.kernel = "tiny";
    cfg.ram_size = 4ull << 20;
    cfg.file_contents["tiny"] = tiny_kernel();
    std::string error;
    machine = rwd::Machine::create(cfg, input, nullptr, &error);
    REWIND_CHECK_MSG(machine != nullptr, error.c_str());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  std::vector<uint8_t> bytes(data, data + size);
  std::string error;
  const uint64_t before = f.machine->state_hash().total;
  for (bool full : {true, false}) {
    if (!f.machine->restore_checkpoint(bytes, full, &error)) {
      // Refused: nothing may have changed.
      REWIND_CHECK(f.machine->state_hash().total == before);
    } else {
      f.machine->run(f.machine->position() + 100);  // and the restored machine runs
    }
  }
  return 0;
}
