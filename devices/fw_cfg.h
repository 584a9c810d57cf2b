// SPDX-License-Identifier: MIT
// QEMU's firmware configuration device (QEMU docs/specs/fw_cfg.rst), x86 I/O port flavour, so
// SeaBIOS, OVMF and Linux's qemu_fw_cfg driver find what they expect:
//   0x510 selector (16-bit write; selecting resets the data offset to 0)
//   0x510/0x511 data (byte reads; each read returns the next byte of the selected item, 0 past
//         its end; data writes are ignored, as in QEMU since v2.4)
//   0x514-0x51B DMA address (two big-endian 32-bit halves; writing the low half at 0x518 starts
//         the transfer; reads return the signature "QEMU CFG")
// A DMA descriptor in guest memory is { be32 control; be32 length; be64 address } with control
// bits ERROR 0, READ 1, SKIP 2, SELECT 3 (selector in bits 31:16), WRITE 4. Transfers run to
// completion at once; the control word is written back as 0, or with ERROR set when guest
// memory could not be reached (never fatal) or a write was attempted (no item is writable, so
// every write fails, as QEMU does for read-only items).
//
// Items are configuration, not State: the Machine builds them from its config (set_item,
// add_file) and rebuilds them identically before restore(). The State holds only the guest's
// progress: selector, data offset and the DMA address register.
//
// Wiring (given by the Machine; not in the State):
//
//   FwCfg fw_cfg(FwCfg::Config{.ram_size = ram, .cpus = 1, .max_cpus = 1},
//                /*dma=*/[&](uint64_t addr, void* buf, size_t len, bool write) {
//                  return write ? machine.write_phys(addr, buf, len)
//                               : machine.read_phys(addr, buf, len);  // false outside RAM
//                });
//   fw_cfg.add_file("etc/e820", e820_entries);   // struct e820_entry { le64, le64, le32 }
//   fw_cfg.set_item(FwCfg::kCmdlineSize, ...);   // kernel, initrd, cmdline, setup items
//   ports.map(FwCfg::kSelectorPort, FwCfg::kPortCount, &fw_cfg, "fw_cfg");
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "devices/bus.h"

namespace rwd {

class FwCfg : public PortHandler {
 public:
  static constexpr uint16_t kSelectorPort = 0x510, kDataPort = 0x511, kDmaPort = 0x514;
  static constexpr uint16_t kPortCount = 0x0c;  // 0x510-0x51B

  // Item keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h).
  static constexpr uint16_t kSignature = 0x00, kId = 0x01, kUuid = 0x02, kRamSize = 0x03,
                            kNoGraphic = 0x04, kNbCpus = 0x05, kMachineId = 0x06,
                            kKernelAddr = 0x07, kKernelSize = 0x08, kKernelCmdline = 0x09,
                            kInitrdAddr = 0x0a, kInitrdSize = 0x0b, kBootDevice = 0x0c,
                            kNuma = 0x0d, kBootMenu = 0x0e, kMaxCpus = 0x0f, kKernelEntry = 0x10,
                            kKernelData = 0x11, kInitrdData = 0x12, kCmdlineAddr = 0x13,
                            kCmdlineSize = 0x14, kCmdlineData = 0x15, kSetupAddr = 0x16,
                            kSetupSize = 0x17, kSetupData = 0x18, kFileDir = 0x19,
                            kFileFirst = 0x20;
  static constexpr uint16_t kWriteChannel = 0x4000, kArchLocal = 0x8000;
  // x86 arch-local keys.
  static constexpr uint16_t kAcpiTables = 0x8000, kSmbiosEntries = 0x8001, kIrq0Override = 0x8002,
                            kE820Table = 0x8003, kHpet = 0x8004;
  // FW_CFG_ID feature bits.
  static constexpr uint32_t kFeatureTraditional = 1 << 0, kFeatureDma = 1 << 1;
  // DMA control bits.
  static constexpr uint32_t kDmaError = 1 << 0, kDmaRead = 1 << 1, kDmaSkip = 1 << 2,
                            kDmaSelect = 1 << 3, kDmaWrite = 1 << 4;
  static constexpr uint64_t kDmaSignature = 0x51454d5520434647ull;  // "QEMU CFG", big-endian
  static constexpr size_t kMaxFileName = 55;  // name[56] including the terminating NUL
  static constexpr size_t kFileDirEntrySize = 64;

  struct State {
    uint64_t dma_address = 0;
    uint32_t offset = 0;    // into the selected item
    uint16_t selector = 0;  // the key as written (including the write-channel bit)
    uint16_t reserved = 0;
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>, "no hidden padding");
  static constexpr const char* kName = "fw_cfg";

  struct Config {
    uint64_t ram_size = 0;  // FW_CFG_RAM_SIZE (le64)
    uint16_t cpus = 1;      // FW_CFG_NB_CPUS (le16)
    uint16_t max_cpus = 1;  // FW_CFG_MAX_CPUS (le16)
  };
  // Guest-memory access for DMA: `write` = device to guest memory (then `buf` is only read).
  // Returns false, touching nothing, when [addr, addr + len) is not all RAM.
  using DmaAccess = std::function<bool(uint64_t addr, void* buf, size_t len, bool write)>;

  FwCfg(const Config& config, DmaAccess dma);

  // Configuration (not State). Keys at or above kFileFirst (outside the arch-local range) are
  // the file slots, owned by add_file.
  void set_item(uint16_t key, std::vector<uint8_t> bytes);
  void set_item_u16(uint16_t key, uint16_t value);  // little-endian, as QEMU's fw_cfg_add_i16
  void set_item_u32(uint16_t key, uint32_t value);
  void set_item_u64(uint16_t key, uint64_t value);
  // Adds (or replaces) a named file. Files are kept sorted by name and take keys kFileFirst,
  // kFileFirst + 1, ... in that order (QEMU's behaviour), so a key may change as files are added;
  // look it up with file_key() once the configuration is complete.
  void add_file(const std::string& name, std::vector<uint8_t> bytes);
  std::optional<uint16_t> file_key(const std::string& name) const;
  // The item a key selects (the write-channel bit is ignored), or nullptr.
  const std::vector<uint8_t>* item(uint16_t key) const;

  uint32_t port_read(uint16_t port, unsigned size) override;
  void port_write(uint16_t port, unsigned size, uint32_t value) override;

  State save() const { return state_; }
  void restore(const State& s) { state_ = s; }
  void reset() { state_ = State{}; }

 private:
  void select(uint16_t key);
  uint8_t read_data_byte();
  void dma_transfer();
  void rebuild_file_dir();

  DmaAccess dma_;
  std::map<uint16_t, std::vector<uint8_t>> items_;       // non-file items
  std::map<std::string, std::vector<uint8_t>> files_;    // sorted by name
  std::vector<const std::vector<uint8_t>*> file_slots_;  // key - kFileFirst → contents
  State state_;
};

}  // namespace rwd
