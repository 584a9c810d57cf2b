// SPDX-License-Identifier: MIT
// libFuzzer target: the recording reader and every decoder behind it (manifest, journal
// events, stored hashes). Input: a recording file. To get past the CRCs, inputs whose first
// byte is odd have their block CRCs recomputed first, so mutations reach the zstd frames and
// the decoders.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "replay/bytes.h"
#include "replay/checksum.h"
#include "replay/format.h"
#include "replay/journal.h"
#include "replay/manifest.h"
#include "replay/recording.h"

namespace {

void repair_crcs(std::vector<uint8_t>& file) {
  size_t offset = sizeof(rwd::format::FileHeader);
  while (offset + sizeof(rwd::format::BlockHeader) <= file.size()) {
    rwd::format::BlockHeader h;
    std::memcpy(&h, &file[offset], sizeof h);
    size_t payload = offset + sizeof h;
    if (h.compressed_len > file.size() - payload) break;
    h.magic = rwd::format::kBlockMagic;
    h.payload_crc = rwd::crc32(&file[payload], h.compressed_len);
    h.header_crc = rwd::crc32(&h, offsetof(rwd::format::BlockHeader, header_crc));
    std::memcpy(&file[offset], &h, sizeof h);
    offset = payload + h.compressed_len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::vector<uint8_t> file(data + 1, data + size);
  if (data[0] & 1) repair_crcs(file);
  int fd = memfd_create("recording", 0);
  if (fd < 0) return 0;
  if (!file.empty() && write(fd, file.data(), file.size()) != ssize_t(file.size())) {
    close(fd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  rwd::RecordingReader reader;
  std::string error;
  if (reader.open(path, &error)) {
    std::vector<uint8_t> raw;
    std::vector<rwd::Event> events;
    for (size_t i = 0; i < reader.blocks().size(); i++) {
      const rwd::BlockInfo& b = reader.blocks()[i];
      if (!reader.read_block(i, &raw, &error)) continue;
      switch (b.type) {
        case rwd::format::BlockType::kManifest: {
          rwd::Manifest m;
          rwd::decode_manifest(raw, &m, &error);
          break;
        }
        case rwd::format::BlockType::kJournal:
          rwd::decode_events(b.first_position, b.last_position, raw, &events, &error);
          break;
        case rwd::format::BlockType::kCheckpoint:
        case rwd::format::BlockType::kEnd: {
          rwd::ByteReader r(raw);
          rwd::StoredHash h;
          rwd::decode_hash(r, &h);
          break;
        }
        default: break;
      }
    }
    reader.covered_position();
  }
  close(fd);
  return 0;
}
