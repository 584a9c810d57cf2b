// SPDX-License-Identifier: MIT
// Checksums for the recording format: CRC-32 (IEEE 802.3, the one zip/PNG use) guards each
// block on disk; a 64-bit XXH64 hash summarises machine state for divergence checks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rwd {

uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

// XXH64 (Yann Collet's xxHash, 64-bit variant), incremental.
class Hasher {
 public:
  explicit Hasher(uint64_t seed = 0);
  void update(const void* data, size_t size);
  template <typename T>
  void update_pod(const T& value) {
    update(&value, sizeof value);
  }
  uint64_t digest() const;

 private:
  uint64_t v_[4];
  uint64_t total_ = 0;
  uint8_t buffer_[32];
  size_t buffered_ = 0;
  uint64_t seed_;
};

uint64_t hash64(const void* data, size_t size, uint64_t seed = 0);

}  // namespace rwd
