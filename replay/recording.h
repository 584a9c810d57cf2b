// SPDX-License-Identifier: MIT
// The recording container (format in replay/format.h): an append-only writer and a verifying
// reader. Errors name the block and position; nothing a file contains can crash the reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "replay/format.h"

namespace rwd {

class RecordingWriter {
 public:
  RecordingWriter() = default;
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Creates `path`.partial (the final name appears only when finish() succeeds).
  bool open(const std::string& path, std::string* error);
  // Compresses `raw` into one zstd frame and appends it as a block.
  bool append(format::BlockType type, uint8_t flags, uint64_t first_position,
              uint64_t last_position, const std::vector<uint8_t>& raw, std::string* error);
  // Flushes to disk and renames to the final name.
  bool finish(std::string* error);
  uint64_t bytes_written() const { return offset_; }
  uint64_t raw_bytes(format::BlockType type) const { return raw_by_type_[uint8_t(type)]; }
  uint64_t compressed_bytes(format::BlockType type) const {
    return compressed_by_type_[uint8_t(type)];
  }
  const std::string& partial_path() const { return partial_; }

 private:
  int fd_ = -1;
  std::string path_, partial_;
  uint64_t offset_ = 0;
  uint64_t raw_by_type_[8] = {};
  uint64_t compressed_by_type_[8] = {};
};

struct BlockInfo {
  format::BlockType type;
  uint8_t flags;
  uint64_t first_position;
  uint64_t last_position;
  uint64_t offset;  // of the header in the file
  uint32_t compressed_len;
  uint32_t raw_len;
};

class RecordingReader {
 public:
  RecordingReader() = default;
  ~RecordingReader();
  RecordingReader(const RecordingReader&) = delete;
  RecordingReader& operator=(const RecordingReader&) = delete;

  // Reads the header and verifies every block (header and payload CRCs, order). A damaged or
  // incomplete block at the end of the file is a truncation (the writer was killed): the
  // blocks before it are usable and truncation() says where it ends. Damage followed by more
  // data, blocks out of order, or a wrong version are errors.
  bool open(const std::string& path, std::string* error);
  const std::vector<BlockInfo>& blocks() const { return blocks_; }
  uint32_t version() const { return version_; }
  uint64_t file_size() const { return file_size_; }
  // Empty for an intact file; otherwise why and where reading stopped.
  const std::string& truncation() const { return truncation_; }
  bool has_end() const;
  // Decompresses block `index` (verifying its CRC and length again).
  bool read_block(size_t index, std::vector<uint8_t>* raw, std::string* error) const;
  // Position up to which the journal is known complete.
  uint64_t covered_position() const;

 private:
  bool valid_header_after(uint64_t from) const;

  int fd_ = -1;
  std::string path_;
  uint32_t version_ = 0;
  uint64_t file_size_ = 0;
  std::vector<BlockInfo> blocks_;
  std::string truncation_;
};

// "12 (journal, positions 1000..2000)" for messages.
std::string describe_block(size_t index, const BlockInfo& b);

}  // namespace rwd
