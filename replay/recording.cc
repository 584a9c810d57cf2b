// SPDX-License-Identifier: MIT
#include "replay/recording.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "replay/checksum.h"

namespace rwd {
namespace format {

const char* block_type_name(uint8_t type) {
  switch (BlockType(type)) {
    case BlockType::kManifest: return "manifest";
    case BlockType::kJournal: return "journal";
    case BlockType::kCheckpoint: return "checkpoint";
    case BlockType::kEnd: return "end";
    case BlockType::kFile: return "file";
  }
  return "unknown";
}

const char* event_kind_name(uint8_t kind) {
  switch (EventKind(kind)) {
    case EventKind::kSerialRx: return "serial_rx";
    case EventKind::kWallClock: return "wall_clock";
    case EventKind::kRandom: return "random";
  }
  return "unknown";
}

}  // namespace format

namespace {

bool write_all(int fd, const void* data, size_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (size) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= size_t(n);
  }
  return true;
}

bool read_at(int fd, uint64_t offset, void* data, size_t size) {
  uint8_t* p = static_cast<uint8_t*>(data);
  while (size) {
    ssize_t n = ::pread(fd, p, size, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= size_t(n);
    offset += uint64_t(n);
  }
  return true;
}

}  // namespace

// Is there a valid block header anywhere at or after `from`? Scans in chunks for the magic.
bool RecordingReader::valid_header_after(uint64_t from) const {
  constexpr size_t kChunk = 1 << 20;
  const size_t header = sizeof(format::BlockHeader);
  std::vector<uint8_t> buf(kChunk + header);
  for (uint64_t base = from; base + header <= file_size_; base += kChunk) {
    size_t n = size_t(std::min<uint64_t>(kChunk + header, file_size_ - base));
    if (!read_at(fd_, base, buf.data(), n)) return false;
    for (size_t i = 0; i + header <= n; i++) {
      if (buf[i] != 'R' || buf[i + 1] != 'W' || buf[i + 2] != 'D' || buf[i + 3] != 'B') continue;
      format::BlockHeader probe;
      std::memcpy(&probe, &buf[i], header);
      if (probe.header_crc == crc32(&probe, offsetof(format::BlockHeader, header_crc))) return true;
    }
  }
  return false;
}

std::string describe_block(size_t index, const BlockInfo& b) {
  return std::to_string(index) + " (" + format::block_type_name(uint8_t(b.type)) +
         ", positions " + std::to_string(b.first_position) + ".." +
         std::to_string(b.last_position) + ")";
}

// --- Writer ----------------------------------------------------------------------------------

RecordingWriter::~RecordingWriter() {
  if (fd_ >= 0) ::close(fd_);
}

bool RecordingWriter::open(const std::string& path, std::string* error) {
  path_ = path;
  partial_ = path + ".partial";
  fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    *error = "cannot create '" + partial_ + "': " + std::strerror(errno);
    return false;
  }
  format::FileHeader h{};
  std::memcpy(h.magic, format::kFileMagic, 8);
  h.version = format::kVersion;
  if (!write_all(fd_, &h, sizeof h)) {
    *error = "cannot write '" + partial_ + "': " + std::strerror(errno);
    return false;
  }
  offset_ = sizeof h;
  return true;
}

bool RecordingWriter::append(format::BlockType type, uint8_t flags, uint64_t first_position,
                             uint64_t last_position, const std::vector<uint8_t>& raw,
                             std::string* error) {
  if (raw.size() > format::kMaxBlockRaw) {
    *error = "internal: block too large";
    return false;
  }
  std::vector<uint8_t> compressed(ZSTD_compressBound(raw.size()));
  size_t n = ZSTD_compress(compressed.data(), compressed.size(), raw.data(), raw.size(), 3);
  if (ZSTD_isError(n)) {
    *error = std::string("zstd: ") + ZSTD_getErrorName(n);
    return false;
  }
  compressed.resize(n);
  format::BlockHeader h{};
  h.magic = format::kBlockMagic;
  h.type = uint8_t(type);
  h.flags = flags;
  h.compressed_len = uint32_t(n);
  h.raw_len = uint32_t(raw.size());
  h.first_position = first_position;
  h.last_position = last_position;
  h.payload_crc = crc32(compressed.data(), compressed.size());
  h.header_crc = crc32(&h, offsetof(format::BlockHeader, header_crc));
  // Header and payload in one write: a kill leaves at most one incomplete block at the end.
  std::vector<uint8_t> out(sizeof h + n);
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + sizeof h, compressed.data(), n);
  if (!write_all(fd_, out.data(), out.size())) {
    *error = "cannot write '" + partial_ + "': " + std::strerror(errno);
    return false;
  }
  offset_ += out.size();
  raw_by_type_[uint8_t(type) & 7] += raw.size();
  compressed_by_type_[uint8_t(type) & 7] += out.size();
  return true;
}

bool RecordingWriter::finish(std::string* error) {
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    fd_ = -1;
    *error = "cannot flush '" + partial_ + "': " + std::strerror(errno);
    return false;
  }
  fd_ = -1;
  if (::rename(partial_.c_str(), path_.c_str()) != 0) {
    *error = "cannot rename '" + partial_ + "' to '" + path_ + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

// --- Reader ----------------------------------------------------------------------------------

RecordingReader::~RecordingReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool RecordingReader::open(const std::string& path, std::string* error) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    *error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = "'" + path + "' is not a regular file";
    return false;
  }
  file_size_ = uint64_t(st.st_size);
  format::FileHeader h;
  if (file_size_ < sizeof h || !read_at(fd_, 0, &h, sizeof h) ||
      std::memcmp(h.magic, format::kFileMagic, 8) != 0) {
    *error = "'" + path + "' is not a rewind recording (bad magic)";
    return false;
  }
  version_ = h.version;
  if (h.version != format::kVersion) {
    *error = "'" + path + "' has recording format version " + std::to_string(h.version) +
             "; this rewind reads version " + std::to_string(format::kVersion);
    return false;
  }
  uint64_t offset = sizeof h;
  uint64_t last_journal_end = 0, last_checkpoint = 0;
  bool seen_end = false;
  std::vector<uint8_t> payload;
  while (offset < file_size_) {
    const size_t index = blocks_.size();
    const std::string where = "block " + std::to_string(index) + " at byte " + std::to_string(offset);
    std::string damage;
    format::BlockHeader bh;
    if (file_size_ - offset < sizeof bh) {
      damage = where + ": incomplete header";
    } else if (!read_at(fd_, offset, &bh, sizeof bh)) {
      damage = where + ": read error";
    } else if (bh.magic != format::kBlockMagic ||
               bh.header_crc != crc32(&bh, offsetof(format::BlockHeader, header_crc))) {
      damage = where + ": corrupt header (CRC mismatch)";
    } else if (bh.compressed_len > format::kMaxBlockCompressed || bh.raw_len > format::kMaxBlockRaw) {
      damage = where + ": block length out of range";
    } else if (file_size_ - offset - sizeof bh < bh.compressed_len) {
      damage = where + ": incomplete payload (positions " + std::to_string(bh.first_position) +
               ".." + std::to_string(bh.last_position) + ")";
    } else {
      payload.resize(bh.compressed_len);
      if (!read_at(fd_, offset + sizeof bh, payload.data(), payload.size()) ||
          crc32(payload.data(), payload.size()) != bh.payload_crc)
        damage = where + ": corrupt payload (CRC mismatch, positions " +
                 std::to_string(bh.first_position) + ".." + std::to_string(bh.last_position) + ")";
    }
    if (!damage.empty()) {
      // Damage at the tail is what a killed writer leaves; anything after it is corruption.
      // We cannot tell where a damaged block ends, so damage is a truncation only if no valid
      // block header follows anywhere after it.
      const bool more = valid_header_after(offset + 1);
      if (more) {
        *error = "'" + path + "': " + damage + ", and valid blocks follow it: the recording is "
                 "corrupt";
        return false;
      }
      truncation_ = damage;
      break;
    }
    if (bh.type < 1 || bh.type > 5) {
      *error = "'" + path + "': " + where + ": unknown block type " + std::to_string(bh.type);
      return false;
    }
    BlockInfo info{format::BlockType(bh.type), bh.flags, bh.first_position, bh.last_position,
                   offset, bh.compressed_len, bh.raw_len};
    const std::string what = "'" + path + "': block " + describe_block(index, info);
    if (index == 0 && info.type != format::BlockType::kManifest) {
      *error = what + ": a recording starts with its manifest";
      return false;
    }
    if (seen_end) {
      *error = what + ": block after the end block";
      return false;
    }
    if (info.first_position > info.last_position) {
      *error = what + ": first position after last position";
      return false;
    }
    if (info.type == format::BlockType::kJournal) {
      if (info.first_position < last_journal_end) {
        *error = what + ": journal blocks out of order (previous ended at " +
                 std::to_string(last_journal_end) + ")";
        return false;
      }
      last_journal_end = info.last_position;
    } else if (info.type == format::BlockType::kCheckpoint) {
      if (info.first_position < last_checkpoint) {
        *error = what + ": checkpoints out of order";
        return false;
      }
      if (blocks_.size() == 1 && !(info.flags & format::kCheckpointFull)) {
        *error = what + ": the first checkpoint must be full";
        return false;
      }
      last_checkpoint = info.first_position;
    } else if (info.type == format::BlockType::kEnd) {
      seen_end = true;
    }
    blocks_.push_back(info);
    offset += sizeof bh + bh.compressed_len;
  }
  if (blocks_.empty()) {
    *error = "'" + path + "' holds no complete block" +
             (truncation_.empty() ? "" : " (" + truncation_ + ")");
    return false;
  }
  return true;
}

bool RecordingReader::has_end() const {
  return !blocks_.empty() && blocks_.back().type == format::BlockType::kEnd;
}

uint64_t RecordingReader::covered_position() const {
  uint64_t covered = 0;
  for (const BlockInfo& b : blocks_)
    if (b.type == format::BlockType::kJournal || b.type == format::BlockType::kEnd ||
        b.type == format::BlockType::kCheckpoint)
      covered = std::max(covered, b.last_position);
  return covered;
}

bool RecordingReader::read_block(size_t index, std::vector<uint8_t>* raw,
                                 std::string* error) const {
  if (index >= blocks_.size()) {
    *error = "no block " + std::to_string(index);
    return false;
  }
  const BlockInfo& b = blocks_[index];
  std::vector<uint8_t> compressed(b.compressed_len);
  format::BlockHeader bh;
  if (!read_at(fd_, b.offset, &bh, sizeof bh) ||
      !read_at(fd_, b.offset + sizeof bh, compressed.data(), compressed.size()) ||
      crc32(compressed.data(), compressed.size()) != bh.payload_crc) {
    *error = "block " + describe_block(index, b) + ": changed on disk or unreadable";
    return false;
  }
  raw->resize(b.raw_len);
  size_t n = ZSTD_decompress(raw->data(), raw->size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n) || n != b.raw_len) {
    *error = "block " + describe_block(index, b) + ": decompression failed" +
             (ZSTD_isError(n) ? std::string(" (") + ZSTD_getErrorName(n) + ")" : "");
    return false;
  }
  return true;
}

}  // namespace rwd
