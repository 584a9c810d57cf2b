// SPDX-License-Identifier: MIT
// The manifest: the first block of every recording. It says how to rebuild the machine (its
// QEMU-style flags) and names every image by content hash, so a replay with a changed file is
// refused instead of silently diverging.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "replay/bytes.h"

namespace rwd {

struct ManifestImage {
  std::string role;  // "kernel", "initrd"
  std::string path;
  uint64_t hash = 0;  // XXH64 of the contents
  uint64_t size = 0;
};

struct Manifest {
  uint32_t format_version = 0;
  std::string rewind_version;
  std::vector<std::string> machine_args;
  uint64_t checkpoint_interval = 0;
  std::vector<ManifestImage> images;
  // The machine's snapshot layout (devices, their state sizes, timers): a replay on a rewind
  // whose machine differs is refused before it can diverge.
  std::string machine_layout;
};

std::vector<uint8_t> encode_manifest(const Manifest& m);
bool decode_manifest(const std::vector<uint8_t>& raw, Manifest* m, std::string* error);

// The state hashes stored with each checkpoint and at the end.
struct StoredHash {
  uint64_t total = 0, cpu = 0, ram = 0;
  std::vector<std::pair<std::string, uint64_t>> devices;
};
void encode_hash(ByteWriter& w, const StoredHash& h);
bool decode_hash(ByteReader& r, StoredHash* h);

constexpr const char* kRewindVersion = "0.1";

}  // namespace rwd
