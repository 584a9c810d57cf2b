// SPDX-License-Identifier: MIT
// The recording format, in one place (STYLE practices 4–5). `rewind dump` reads every part of
// it; the dumper test proves these facts on real recordings.
//
// A recording is one file:
//
//   FileHeader                      magic "RWDREC\r\n", format version
//   Block*                          each: BlockHeader + a zstd frame of `compressed_len` bytes
//
// Blocks are appended in position order and are independent (each its own zstd frame with its
// own CRC), so a recording whose writer was killed is readable up to its last complete block.
// The writer works on NAME.partial and renames it to NAME when the recording is complete.
//
// Block payloads (after decompression):
//   kManifest    text, one "key value" per line (format version, machine flags, image hashes)
//   kJournal     events: varint(position - block.first_position), u8 EventKind, varint(len),
//                payload; the block covers [first_position, last_position]: no event in that
//                range is missing
//   kCheckpoint  a machine snapshot (replay/snapshot.h sections) at first_position;
//                full or incremental (dirty RAM pages since the previous checkpoint)
//   kEnd         how the run ended: outcome kind, exit status, message, final state hash
//   kFile        an embedded image (rewind pack): name, content hash, bytes
#pragma once

#include <cstdint>

namespace rwd::format {

// Bump on any change that can alter a recording's bytes or its guest-visible meaning.
constexpr uint32_t kVersion = 2;  // 2: manifest carries the machine layout

constexpr char kFileMagic[8] = {'R', 'W', 'D', 'R', 'E', 'C', '\r', '\n'};
constexpr uint32_t kBlockMagic = 0x42445752;  // "RWDB"

// Caps against malicious or corrupt input.
constexpr uint32_t kMaxBlockRaw = 256u << 20;
constexpr uint32_t kMaxBlockCompressed = 256u << 20;

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
};
static_assert(sizeof(FileHeader) == 16);

enum class BlockType : uint8_t {
  kManifest = 1,
  kJournal = 2,
  kCheckpoint = 3,
  kEnd = 4,
  kFile = 5,
};

struct BlockHeader {
  uint32_t magic;
  uint8_t type;          // BlockType
  uint8_t flags;         // kCheckpoint: 1 = full
  uint16_t reserved;
  uint32_t compressed_len;
  uint32_t raw_len;
  uint64_t first_position;
  uint64_t last_position;
  uint32_t payload_crc;  // CRC-32 of the compressed payload
  uint32_t header_crc;   // CRC-32 of the bytes above
};
static_assert(sizeof(BlockHeader) == 40);

constexpr uint8_t kCheckpointFull = 1;

// Journal event kinds: a closed set. Every nondeterministic input is one of these.
enum class EventKind : uint8_t {
  kSerialRx = 1,   // bytes delivered to COM1's receiver
  kWallClock = 2,  // u64 host UNIX time (s) read once at machine start
  kRandom = 3,     // u64 RDRAND/RDSEED value
};
constexpr uint8_t kMaxEventKind = 3;

const char* block_type_name(uint8_t type);
const char* event_kind_name(uint8_t kind);

}  // namespace rwd::format
