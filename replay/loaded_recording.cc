// SPDX-License-Identifier: MIT
#include "replay/loaded_recording.h"

#include "base/files.h"
#include <cinttypes>
#include <fstream>
#include <iterator>

#include "replay/checksum.h"

namespace rwd {

// Opens a recording and checks that it can be replayed here: format, images, journal.
bool load_recording(const std::string& path, LoadedRecording* l, bool check_images, std::string* error) {
  if (!l->reader.open(path, error)) return false;
  std::vector<uint8_t> raw;
  if (!l->reader.read_block(0, &raw, error) || !decode_manifest(raw, &l->manifest, error)) {
    *error = "'" + path + "': " + *error;
    return false;
  }
  if (l->manifest.format_version != format::kVersion) {
    *error = "'" + path + "' was recorded with format version " +
             std::to_string(l->manifest.format_version) + "; this rewind replays version " +
             std::to_string(format::kVersion);
    return false;
  }
  l->config = default_machine_config();
  for (size_t i = 0; i < l->manifest.machine_args.size();)
    if (!parse_machine_flag(l->manifest.machine_args, &i, &l->config, error)) {
      *error = "'" + path + "': manifest machine flags: " + *error;
      return false;
    }
  for (size_t b = 1; b < l->reader.blocks().size(); b++) {
    const BlockInfo& info = l->reader.blocks()[b];
    if (info.type == format::BlockType::kCheckpoint) {
      l->checkpoints.push_back(b);
      continue;
    }
    if (!l->reader.read_block(b, &raw, error)) return false;
    if (info.type == format::BlockType::kJournal) {
      if (!decode_events(info.first_position, info.last_position, raw, &l->events, error)) {
        *error = "journal block " + describe_block(b, info) + ": " + *error;
        return false;
      }
    } else if (info.type == format::BlockType::kFile) {
      ByteReader r(raw);
      std::string role, file_path;
      uint64_t hash;
      std::vector<uint8_t> bytes;
      if (!r.string(&role) || !r.string(&file_path) || !r.u64(&hash) || !r.bytes(&bytes) ||
          hash64(bytes.data(), bytes.size()) != hash) {
        *error = "file block " + describe_block(b, info) + ": malformed or damaged";
        return false;
      }
      l->config.file_contents[file_path] = std::move(bytes);
    } else if (info.type == format::BlockType::kEnd) {
      ByteReader r(raw);
      if (!r.string(&l->end_kind) || !r.u32(&l->end_status) || !r.string(&l->end_message) ||
          !decode_hash(r, &l->end_hash)) {
        *error = "end block " + describe_block(b, info) + ": malformed";
        return false;
      }
      l->has_end = true;
    }
  }
  if (l->checkpoints.empty() || l->reader.blocks()[l->checkpoints[0]].first_position != 0) {
    *error = "'" + path + "' has no checkpoint at position 0";
    return false;
  }
  if (check_images) {
    for (const ManifestImage& img : l->manifest.images) {
      if (l->config.file_contents.count(img.path)) continue;
      std::vector<uint8_t> bytes;
      if (!read_file_bytes(img.path, &bytes)) {
        *error = "the recording needs " + img.role + " '" + img.path +
                 "', which cannot be read here (a packed recording carries its images: "
                 "rewind pack)";
        return false;
      }
      uint64_t h = hash64(bytes.data(), bytes.size());
      if (h != img.hash) {
        char msg[64];
        std::snprintf(msg, sizeof msg, "%016" PRIx64 ", recorded %016" PRIx64, h, img.hash);
        *error = img.role + " '" + img.path + "' has changed since the recording (hash " + msg +
                 "); replay it with the original file or a packed recording";
        return false;
      }
    }
  }
  return true;
}

bool read_checkpoint(const LoadedRecording& l, size_t k, StoredHash* hash, std::vector<uint8_t>* snapshot,
                     std::string* error) {
  std::vector<uint8_t> raw;
  size_t block = l.checkpoints[k];
  if (!l.reader.read_block(block, &raw, error)) return false;
  ByteReader r(raw);
  if (!decode_hash(r, hash) || !r.bytes(snapshot)) {
    *error = "checkpoint block " + describe_block(block, l.reader.blocks()[block]) + ": malformed";
    return false;
  }
  return true;
}


}  // namespace rwd
