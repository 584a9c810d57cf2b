// SPDX-License-Identifier: MIT
// Writes fuzzing seeds from real recordings: the recording itself (for recording_fuzz, with a
// leading mode byte) and each checkpoint's raw snapshot (for snapshot_fuzz).
//
//   fuzz_seeds OUT_RECORDINGS OUT_SNAPSHOTS RUN.rwd...
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "replay/bytes.h"
#include "replay/manifest.h"
#include "replay/recording.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_RECORDINGS OUT_SNAPSHOTS RUN.rwd...\n");
    return 2;
  }
  int n = 0;
  for (int a = 3; a < argc; a++) {
    std::ifstream in(argv[a], std::ios::binary);
    std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char mode : {char(0), char(1)}) {
      std::ofstream out(std::string(argv[1]) + "/rec" + std::to_string(n++), std::ios::binary);
      out.put(mode);
      out.write(file.data(), std::streamsize(file.size()));
    }
    rwd::RecordingReader reader;
    std::string error;
    if (!reader.open(argv[a], &error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    for (size_t i = 0; i < reader.blocks().size(); i++) {
      if (reader.blocks()[i].type != rwd::format::BlockType::kCheckpoint) continue;
      std::vector<uint8_t> raw, snapshot;
      if (!reader.read_block(i, &raw, &error)) continue;
      rwd::ByteReader r(raw);
      rwd::StoredHash h;
      if (!rwd::decode_hash(r, &h) || !r.bytes(&snapshot)) continue;
      std::ofstream out(std::string(argv[2]) + "/snap" + std::to_string(n++), std::ios::binary);
      out.write(reinterpret_cast<const char*>(snapshot.data()), std::streamsize(snapshot.size()));
    }
  }
  return 0;
}
