// SPDX-License-Identifier: MIT
// rewind record: runs a machine with a journaling input port and writes the recording.
#include "base/files.h"
#include <fstream>
#include <iterator>

#include "replay/checksum.h"
#include "replay/journal.h"
#include "replay/manifest.h"
#include "replay/session.h"

namespace rwd {
namespace {


StoredHash to_stored(const StateHash& h) { return StoredHash{h.total, h.cpu, h.ram, h.devices}; }

// Checkpoint payload: the stored hash, then the machine snapshot.
std::vector<uint8_t> checkpoint_payload(Machine& m, bool full) {
  std::vector<uint8_t> snapshot = m.checkpoint(full);
  ByteWriter w;
  encode_hash(w, to_stored(m.state_hash()));
  w.bytes(snapshot.data(), snapshot.size());
  return std::move(w.data());
}

const char* outcome_name(Outcome::Kind k) {
  switch (k) {
    case Outcome::Kind::kRunning: return "stopped";
    case Outcome::Kind::kExit: return "exit";
    case Outcome::Kind::kPowerOff: return "poweroff";
    case Outcome::Kind::kTripleFault: return "triple-fault";
    case Outcome::Kind::kHaltedForever: return "halted";
    case Outcome::Kind::kDebug: return "debug";
  }
  return "?";
}

}  // namespace

SessionResult record_session(const RecordOptions& options) {
  SessionResult result;
  auto fail = [&](const std::string& message) {
    result.exit_status = 2;
    result.message = message;
    return result;
  };
  MachineConfig cfg = default_machine_config();
  std::string error;
  for (size_t i = 0; i < options.machine_args.size();)
    if (!parse_machine_flag(options.machine_args, &i, &cfg, &error)) return fail(error);

  Manifest manifest;
  manifest.format_version = format::kVersion;
  manifest.rewind_version = kRewindVersion;
  manifest.machine_args = options.machine_args;
  manifest.checkpoint_interval = options.checkpoint_interval;
  std::vector<std::vector<uint8_t>> contents;
  for (auto& [role, path] : config_images(cfg)) {
    std::vector<uint8_t> bytes;
    if (!read_file_bytes(path, &bytes)) return fail("cannot read " + role + " '" + path + "'");
    manifest.images.push_back(ManifestImage{role, path, hash64(bytes.data(), bytes.size()),
                                            bytes.size()});
    contents.push_back(std::move(bytes));
  }

  LiveInputPort live(options.serial_in_fd);
  RecordingInputPort port(live);
  auto machine = Machine::create(cfg, port, options.serial_out, &error);
  if (!machine) return fail(error);
  Machine& m = *machine;
  manifest.machine_layout = m.layout_fingerprint();

  RecordingWriter writer;
  if (!writer.open(options.output, &error)) return fail(error);
  if (!writer.append(format::BlockType::kManifest, 0, 0, 0, encode_manifest(manifest), &error))
    return fail(error);
  if (options.pack) {
    for (size_t i = 0; i < manifest.images.size(); i++) {
      ByteWriter w;
      w.string(manifest.images[i].role);
      w.string(manifest.images[i].path);
      w.u64(manifest.images[i].hash);
      w.bytes(contents[i].data(), contents[i].size());
      if (!writer.append(format::BlockType::kFile, 0, 0, 0, w.data(), &error)) return fail(error);
    }
  }


  uint64_t journal_start = 0;
  auto flush_journal = [&](uint64_t position) {
    std::vector<Event> events = port.take_events();
    bool ok = writer.append(format::BlockType::kJournal, 0, journal_start, position,
                            encode_events(journal_start, events), &error);
    journal_start = position;
    return ok;
  };

  if (!writer.append(format::BlockType::kCheckpoint, format::kCheckpointFull, 0, 0,
                     checkpoint_payload(m, true), &error))
    return fail(error);
  result.checkpoints = 1;
  Outcome outcome;
  for (;;) {
    const uint64_t checkpoint_at =
        std::min(m.position() + options.checkpoint_interval, options.max_insns);
    if (options.pace) {
      // Paced: advance in 1 ms slices of virtual time up to the checkpoint.
      do {
        outcome = m.run(std::min(m.position() + 1'000'000, checkpoint_at));
        options.pace(m.position());
      } while (outcome.kind == Outcome::Kind::kRunning && m.position() < checkpoint_at);
    } else {
      outcome = m.run(checkpoint_at);
    }
    if (outcome.kind != Outcome::Kind::kRunning || m.position() >= options.max_insns) break;
    // A checkpoint: the journal up to here first, so a killed recording always has the events
    // that lead to its last checkpoint.
    if (!flush_journal(m.position()) ||
        !writer.append(format::BlockType::kCheckpoint, 0, m.position(), m.position(),
                       checkpoint_payload(m, false), &error))
      return fail(error);
    result.checkpoints++;
  }
  if (!flush_journal(m.position())) return fail(error);
  ByteWriter end;
  end.string(outcome_name(outcome.kind));
  end.u32(uint32_t(outcome.status));
  end.string(outcome.message);
  encode_hash(end, to_stored(m.state_hash()));
  if (!writer.append(format::BlockType::kEnd, 0, m.position(), m.position(), end.data(), &error) ||
      !writer.finish(&error))
    return fail(error);
  result.exit_status = outcome.status;
  result.position = m.position();
  result.journal_events = port.event_count();
  if (outcome.kind != Outcome::Kind::kExit && outcome.kind != Outcome::Kind::kPowerOff)
    result.message = outcome.message;
  return result;
}

}  // namespace rwd
