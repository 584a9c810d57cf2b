// SPDX-License-Identifier: MIT
#include "devices/fw_cfg.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "base/check.h"
#include "base/log.h"

namespace rwd {
namespace {

// The write-channel bit (14) does not change which item is selected (QEMU masks the key with
// FW_CFG_ENTRY_MASK and keeps the arch-local bit).
uint16_t item_key(uint16_t key) {
  return uint16_t(key & ~FwCfg::kWriteChannel);
}

bool is_file_key(uint16_t key) {
  return !(key & FwCfg::kArchLocal) && key >= FwCfg::kFileFirst;
}

void put_be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (24 - 8 * i));
}
void put_be16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
uint32_t get_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint64_t get_be64(const uint8_t* p) {
  return uint64_t(get_be32(p)) << 32 | get_be32(p + 4);
}

}  // namespace

FwCfg::FwCfg(const Config& config, DmaAccess dma) : dma_(std::move(dma)) {
  set_item(kSignature, {'Q', 'E', 'M', 'U'});
  set_item_u32(kId, kFeatureTraditional | kFeatureDma);
  set_item_u64(kRamSize, config.ram_size);
  set_item_u16(kNbCpus, config.cpus);
  set_item_u16(kMaxCpus, config.max_cpus);
  rebuild_file_dir();
}

void FwCfg::set_item(uint16_t key, std::vector<uint8_t> bytes) {
  key = item_key(key);
  REWIND_CHECK_MSG(!is_file_key(key), "fw_cfg keys from 0x20 are file slots: use add_file");
  items_[key] = std::move(bytes);
}

void FwCfg::set_item_u16(uint16_t key, uint16_t value) {
  set_item(key, {uint8_t(value), uint8_t(value >> 8)});
}

void FwCfg::set_item_u32(uint16_t key, uint32_t value) {
  std::vector<uint8_t> b(4);
  for (int i = 0; i < 4; i++) b[i] = uint8_t(value >> (8 * i));
  set_item(key, std::move(b));
}

void FwCfg::set_item_u64(uint16_t key, uint64_t value) {
  std::vector<uint8_t> b(8);
  for (int i = 0; i < 8; i++) b[i] = uint8_t(value >> (8 * i));
  set_item(key, std::move(b));
}

void FwCfg::add_file(const std::string& name, std::vector<uint8_t> bytes) {
  REWIND_CHECK_MSG(!name.empty() && name.size() <= kMaxFileName, "fw_cfg file name length");
  REWIND_CHECK_MSG(
      files_.size() < size_t(kArchLocal - kWriteChannel - kFileFirst) || files_.count(name),
      "too many fw_cfg files");
  files_[name] = std::move(bytes);
  rebuild_file_dir();
}

void FwCfg::rebuild_file_dir() {
  // FW_CFG_FILE_DIR: be32 count, then { be32 size; be16 select; be16 reserved; char name[56] }
  // per file, sorted by name (QEMU's fw_cfg_add_file_callback keeps the array sorted and
  // renumbers the keys to match).
  std::vector<uint8_t> dir(4 + kFileDirEntrySize * files_.size(), 0);
  put_be32(dir.data(), uint32_t(files_.size()));
  file_slots_.clear();
  uint8_t* entry = dir.data() + 4;
  for (const auto& [name, contents] : files_) {
    put_be32(entry, uint32_t(contents.size()));
    put_be16(entry + 4, uint16_t(kFileFirst + file_slots_.size()));
    std::memcpy(entry + 8, name.data(), name.size());
    file_slots_.push_back(&contents);
    entry += kFileDirEntrySize;
  }
  items_[kFileDir] = std::move(dir);
}

std::optional<uint16_t> FwCfg::file_key(const std::string& name) const {
  const auto it = files_.find(name);
  if (it == files_.end()) return std::nullopt;
  return uint16_t(kFileFirst + std::distance(files_.begin(), it));
}

const std::vector<uint8_t>* FwCfg::item(uint16_t key) const {
  key = item_key(key);
  if (is_file_key(key)) {
    const size_t slot = key - kFileFirst;
    return slot < file_slots_.size() ? file_slots_[slot] : nullptr;
  }
  const auto it = items_.find(key);
  return it == items_.end() ? nullptr : &it->second;
}

void FwCfg::select(uint16_t key) {
  state_.selector = key;
  state_.offset = 0;
}

uint8_t FwCfg::read_data_byte() {
  const std::vector<uint8_t>* data = item(state_.selector);
  // Past the end (or no such item) reads 0 and the offset stops (QEMU fw_cfg_data_read).
  if (!data || state_.offset >= data->size()) return 0;
  return (*data)[state_.offset++];
}

uint32_t FwCfg::port_read(uint16_t port, unsigned size) {
  const uint32_t ones = size >= 4 ? ~0u : (1u << (8 * size)) - 1;
  if (port == kSelectorPort || port == kDataPort) {
    // QEMU's combined 0x510-0x511 region: byte reads at either port read data; the selector
    // is write-only.
    if (size != 1) return ones;
    return read_data_byte();
  }
  if (port >= kDmaPort && port < kDmaPort + 8) {
    // The DMA address register reads as the signature, byte n of "QEMU CFG" at 0x514 + n.
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
      const unsigned n = port - kDmaPort + i;
      const uint32_t b = n < 8 ? uint32_t(kDmaSignature >> (56 - 8 * n)) & 0xff : 0xff;
      v |= b << (8 * i);
    }
    return v;
  }
  return ones;
}

void FwCfg::port_write(uint16_t port, unsigned size, uint32_t value) {
  if (port == kSelectorPort && size == 2) {
    select(uint16_t(value));
    return;
  }
  if ((port == kSelectorPort || port == kDataPort) && size == 1) {
    REWIND_LOG(kDebug, "fw_cfg", "data port write ignored (read-only since QEMU 2.4)");
    return;
  }
  if (size == 4 && (port == kDmaPort || port == kDmaPort + 4)) {
    // The register is big-endian: the guest writes cpu_to_be32(half) with outl, so the value
    // arriving here is byte-swapped.
    const uint64_t half = __builtin_bswap32(value);
    if (port == kDmaPort) {
      state_.dma_address = half << 32;
    } else {
      state_.dma_address |= half;
      dma_transfer();
    }
    return;
  }
  REWIND_LOG(kDebug, "fw_cfg", "%u-byte write of %#x to port %#x ignored", size, value, port);
}

void FwCfg::dma_transfer() {
  // Follows QEMU's fw_cfg_dma_transfer step by step, so guests see the same results.
  const uint64_t descriptor = state_.dma_address;
  state_.dma_address = 0;  // reset before the next access
  uint8_t raw[16];
  auto write_control = [&](uint32_t control) {
    uint8_t be[4];
    put_be32(be, control);
    if (!dma_ || !dma_(descriptor, be, 4, true))
      REWIND_LOG(kDebug, "fw_cfg", "DMA descriptor at %#llx outside RAM",
                 (unsigned long long)descriptor);
  };
  if (!dma_ || !dma_(descriptor, raw, sizeof raw, false)) {
    write_control(kDmaError);
    return;
  }
  uint32_t control = get_be32(raw);
  uint32_t length = get_be32(raw + 4);
  uint64_t address = get_be64(raw + 8);

  if (control & kDmaSelect) select(uint16_t(control >> 16));
  bool read = false, write = false;
  if (control & kDmaRead) {
    read = true;
  } else if (control & kDmaWrite) {
    write = true;
  } else if (!(control & kDmaSkip)) {
    length = 0;
  }

  control = 0;
  const std::vector<uint8_t>* data = item(state_.selector);
  std::array<uint8_t, 4096> zeros{};  // zero-fill source (DmaAccess takes a mutable buffer)
  // Guest memory access with an explicit wrap check, so a descriptor near 2^64 cannot make the
  // Machine's bounds check overflow.
  auto to_guest = [&](uint64_t addr, const uint8_t* src, size_t len) {
    if (addr + len < addr) return false;
    return dma_(addr, const_cast<uint8_t*>(src), len, true);
  };
  while (length > 0 && !(control & kDmaError)) {
    uint32_t len;
    if (!data || state_.offset >= data->size()) {
      // Past the end: reads fill with zeros, skips just advance, writes fail.
      len = length;
      if (read) {
        for (uint32_t done = 0; done < len && !(control & kDmaError);) {
          const uint32_t chunk = std::min<uint32_t>(len - done, uint32_t(zeros.size()));
          if (!to_guest(address + done, zeros.data(), chunk)) control |= kDmaError;
          done += chunk;
        }
      }
      if (write) control |= kDmaError;
    } else {
      len = std::min<uint32_t>(length, uint32_t(data->size() - state_.offset));
      if (read && !to_guest(address, data->data() + state_.offset, len)) control |= kDmaError;
      if (write) control |= kDmaError;  // no item is writable
      state_.offset += len;
    }
    address += len;
    length -= len;
  }
  write_control(control);
}

}  // namespace rwd
