// SPDX-License-Identifier: MIT
// rewind replay / dump / pack: re-executes a recording with the journal as the only input
// source, verifying every stored state hash, and explains the first divergence.
#include <cinttypes>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "base/files.h"
#include "replay/checksum.h"
#include "replay/journal.h"
#include "replay/loaded_recording.h"
#include "replay/manifest.h"
#include "replay/session.h"

namespace rwd {
namespace {


std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%#" PRIx64, v);
  return b;
}

// Names the registers that differ between two CPU states.
std::string describe_cpu_diff(const CpuState& want, const CpuState& got) {
  static const char* kGpr[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                 "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  static const char* kSeg[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
  std::string out;
  auto field = [&](const std::string& name, uint64_t a, uint64_t b) {
    if (a != b) out += " " + name + " recorded " + hex(a) + " replayed " + hex(b) + ";";
  };
  for (int i = 0; i < 16; i++) field(kGpr[i], want.gpr[i], got.gpr[i]);
  field("rip", want.rip, got.rip);
  field("rflags", want.rflags, got.rflags);
  for (int i = 0; i < 6; i++) {
    field(std::string(kSeg[i]) + ".selector", want.seg[i].selector, got.seg[i].selector);
    field(std::string(kSeg[i]) + ".base", want.seg[i].base, got.seg[i].base);
  }
  field("cr0", want.cr0, got.cr0);
  field("cr2", want.cr2, got.cr2);
  field("cr3", want.cr3, got.cr3);
  field("cr4", want.cr4, got.cr4);
  field("efer", want.efer, got.efer);
  if (std::memcmp(&want.fpu, &got.fpu, sizeof want.fpu) != 0) out += " x87/SSE state;";
  if (out.empty()) out = " system registers or descriptor state;";
  return out;
}

}  // namespace

SessionResult replay_session(const ReplayOptions& options) {
  SessionResult result;
  auto fail = [&](int status, const std::string& message) {
    result.exit_status = status;
    result.message = message;
    return result;
  };
  LoadedRecording l;
  std::string error;
  if (!load_recording(options.recording, &l, true, &error)) return fail(2, error);
  ReplayInputPort port(l.events);
  auto machine = Machine::create(l.config, port, options.serial_out, &error);
  if (!machine) return fail(2, error);
  Machine& m = *machine;
  if (m.layout_fingerprint() != l.manifest.machine_layout)
    return fail(2, "'" + options.recording + "' was recorded by a rewind whose machine differs "
                   "from this one (recorded layout: " + l.manifest.machine_layout + "; here: " +
                   m.layout_fingerprint() + ")");
  const uint64_t end_position =
      l.has_end ? l.reader.blocks().back().first_position : l.reader.covered_position();

  auto last_event_before = [&](uint64_t position) -> std::string {
    const Event* last = nullptr;
    for (const Event& e : l.events)
      if (e.position <= position) last = &e;
    if (!last) return "no journal event before it";
    return std::string("last journal event before it: ") +
           format::event_kind_name(uint8_t(last->kind)) + " at position " +
           std::to_string(last->position);
  };

  // Diagnose a mismatch at checkpoint k by rebuilding the recorded state in a second machine.
  auto diagnose = [&](size_t k, const StoredHash& want, const StateHash& got) {
    const uint64_t position = l.reader.blocks()[l.checkpoints[k]].first_position;
    const uint64_t previous = k ? l.reader.blocks()[l.checkpoints[k - 1]].first_position : 0;
    std::string msg = "replay diverged from the recording between positions " +
                      std::to_string(previous) + " and " + std::to_string(position) +
                      " (state hash mismatch at the checkpoint at position " +
                      std::to_string(position) + "):";
    std::string err;
    StoredHash h;
    std::vector<uint8_t> snapshot;
    if (want.cpu != got.cpu && read_checkpoint(l, k, &h, &snapshot, &err)) {
      std::vector<std::pair<std::string, std::vector<uint8_t>>> parts;
      if (Machine::split_checkpoint(snapshot, &parts, &err))
        for (auto& [name, bytes] : parts)
          if (name == "cpu" && bytes.size() == sizeof(CpuState)) {
            CpuState recorded;
            std::memcpy(&recorded, bytes.data(), sizeof recorded);
            msg += " cpu:" + describe_cpu_diff(recorded, m.cpu().state);
          }
    }
    for (size_t i = 0; i < want.devices.size() && i < got.devices.size(); i++)
      if (want.devices[i].second != got.devices[i].second)
        msg += " device '" + want.devices[i].first + "' differs;";
    if (want.ram != got.ram) {
      // Rebuild the recorded RAM at checkpoint k and find the first page that differs.
      ReplayInputPort scratch_port(l.events);
      auto scratch = Machine::create(l.config, scratch_port, nullptr, &err);
      bool ok = scratch != nullptr;
      for (size_t j = 0; ok && j <= k; j++) {
        StoredHash ignored;
        std::vector<uint8_t> snap;
        ok = read_checkpoint(l, j, &ignored, &snap, &err) &&
             scratch->restore_checkpoint(snap, j == 0, &err);
      }
      if (ok) {
        for (uint64_t p = 0; p < m.ram_pages(); p++) {
          const uint8_t* a = scratch->ram_page(p);
          const uint8_t* b = m.ram_page(p);
          if (std::memcmp(a, b, 4096) == 0) continue;
          size_t off = 0;
          while (a[off] == b[off]) off++;
          const uint64_t addr = m.ram_page_address(p) + off;
          msg += " RAM page " + hex(m.ram_page_address(p)) + " differs (first at physical " +
                 hex(addr) + ": recorded " + hex(a[off]) + ", replayed " + hex(b[off]) + ");";
          break;
        }
      } else {
        msg += " RAM differs (" + err + ");";
      }
    }
    msg += " " + last_event_before(position);
    return msg;
  };

  for (size_t k = 0; k < l.checkpoints.size(); k++) {
    const uint64_t position = l.reader.blocks()[l.checkpoints[k]].first_position;
    if (position > options.max_insns) break;
    if (options.corrupt_position < position && m.position() <= options.corrupt_position) {
      m.run(options.corrupt_position);
      uint8_t byte;
      if (m.read_phys(options.corrupt_address, &byte, 1)) {
        byte ^= 0xff;
        m.write_phys(options.corrupt_address, &byte, 1);
      }
    }
    Outcome o = m.run(position);
    if (o.kind != Outcome::Kind::kRunning)
      return fail(3, "replay diverged: the machine stopped at position " +
                         std::to_string(m.position()) + " (" + o.message +
                         ") before the recording's checkpoint at position " +
                         std::to_string(position));
    if (!port.error().empty()) return fail(3, "replay diverged: " + port.error());
    StoredHash want;
    std::vector<uint8_t> snapshot;
    if (!read_checkpoint(l, k, &want, &snapshot, &error)) return fail(2, error);
    StateHash got = m.state_hash();
    if (got.total != want.total) return fail(3, diagnose(k, want, got));
    result.checkpoints++;
    if (options.progress) options.progress(m.position(), end_position);
  }
  if (options.max_insns < end_position) {
    m.run(options.max_insns);
    result.position = m.position();
    char hash[24];
    std::snprintf(hash, sizeof hash, "%016" PRIx64, m.state_hash().total);
    result.message = "stopped at position " + std::to_string(m.position()) +
                     " as asked, state hash " + hash;
    return result;
  }
  Outcome o = m.run(end_position);
  result.position = m.position();
  result.journal_events = port.consumed();
  if (!port.error().empty()) return fail(3, "replay diverged: " + port.error());
  if (!l.has_end) {
    result.message = "the recording ends at position " + std::to_string(end_position) +
                     " without an end block (" +
                     (l.reader.truncation().empty() ? "its writer stopped early"
                                                    : l.reader.truncation()) +
                     "): replayed up to there";
    return result;
  }
  StateHash got = m.state_hash();
  const bool ended = o.kind != Outcome::Kind::kRunning;
  const bool recorded_ended = l.end_kind != "stopped";
  if (ended != recorded_ended || got.total != l.end_hash.total ||
      (ended && o.status != int(l.end_status)))
    return fail(3, "replay diverged at the end (position " + std::to_string(m.position()) +
                       "): recorded '" + l.end_kind + "' status " +
                       std::to_string(l.end_status) + ", replayed " +
                       (ended ? "status " + std::to_string(o.status) : std::string("still running")) +
                       (got.total != l.end_hash.total ? "; final state hash differs" : ""));
  result.exit_status = int(l.end_status);
  if (l.end_kind != "exit" && l.end_kind != "poweroff") result.message = l.end_message;
  return result;
}

SessionResult seek_session(const std::string& recording, uint64_t position,
                           const std::function<void(uint64_t, uint64_t)>& progress) {
  LoadedRecording l;
  std::string error;
  if (!load_recording(recording, &l, true, &error)) return SessionResult{2, error};
  ReplayInputPort port(l.events);
  auto machine = Machine::create(l.config, port, nullptr, &error);
  if (!machine) return SessionResult{2, error};
  const uint64_t end =
      l.has_end ? l.reader.blocks().back().first_position : l.reader.covered_position();
  position = std::min(position, end);
  for (size_t k = 0; k < l.checkpoints.size(); k++) {
    if (l.reader.blocks()[l.checkpoints[k]].first_position > position) break;
    StoredHash want;
    std::vector<uint8_t> snapshot;
    if (!read_checkpoint(l, k, &want, &snapshot, &error) ||
        !machine->restore_checkpoint(snapshot, k == 0, &error))
      return SessionResult{2, error};
  }
  port.seek(machine->position());
  // Run forward in slices so a long seek can report progress.
  while (machine->position() < position) {
    Outcome o = machine->run(std::min(position, machine->position() + 20'000'000));
    if (progress) progress(machine->position(), position);
    if (o.kind != Outcome::Kind::kRunning) break;
  }
  SessionResult r;
  r.position = machine->position();
  char buf[96];
  std::snprintf(buf, sizeof buf, "position %" PRIu64 ", state hash %016" PRIx64, r.position,
                machine->state_hash().total);
  r.message = buf;
  return r;
}

SessionResult verify_checkpoints(const std::string& recording) {
  SessionResult result;
  LoadedRecording l;
  std::string error;
  if (!load_recording(recording, &l, true, &error)) return SessionResult{2, error};
  // `recorded` accumulates checkpoints (full + incrementals); `runner` starts from each one.
  ReplayInputPort p1(l.events), p2(l.events);
  auto recorded = Machine::create(l.config, p1, nullptr, &error);
  auto runner = Machine::create(l.config, p2, nullptr, &error);
  if (!recorded || !runner) return SessionResult{2, error};
  for (size_t k = 0; k < l.checkpoints.size(); k++) {
    StoredHash want;
    std::vector<uint8_t> snapshot;
    if (!read_checkpoint(l, k, &want, &snapshot, &error) ||
        !recorded->restore_checkpoint(snapshot, k == 0, &error))
      return SessionResult{2, error};
    if (recorded->state_hash().total != want.total)
      return SessionResult{3, "checkpoint " + std::to_string(k) + " does not restore to its hash"};
    if (k + 1 == l.checkpoints.size()) break;
    if (!runner->restore_checkpoint(recorded->checkpoint(true), true, &error))
      return SessionResult{2, error};
    // Inputs resume after the checkpoint's position (those at it were delivered before it).
    p2.seek(runner->position());
    StoredHash next;
    if (!read_checkpoint(l, k + 1, &next, &snapshot, &error)) return SessionResult{2, error};
    uint64_t target = l.reader.blocks()[l.checkpoints[k + 1]].first_position;
    runner->run(target);
    if (runner->state_hash().total != next.total)
      return SessionResult{3, "running from checkpoint " + std::to_string(k) + " to position " +
                                  std::to_string(target) + " does not reach the stored hash"};
    result.checkpoints++;
  }
  result.position = l.reader.blocks()[l.checkpoints.back()].first_position;
  return result;
}

}  // namespace rwd

namespace rwd {

int dump_recording(const std::string& recording, const DumpOptions& options, std::FILE* out,
                   std::string* error) {
  LoadedRecording l;
  if (!load_recording(recording, &l, false, error)) return 2;
  const auto& blocks = l.reader.blocks();
  std::map<std::string, uint64_t> event_counts;
  for (const Event& e : l.events) event_counts[format::event_kind_name(uint8_t(e.kind))]++;
  uint64_t raw_total = 0, compressed_total = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_type;  // raw, compressed
  for (const BlockInfo& b : blocks) {
    raw_total += b.raw_len;
    compressed_total += b.compressed_len + sizeof(format::BlockHeader);
    auto& t = by_type[format::block_type_name(uint8_t(b.type))];
    t.first += b.raw_len;
    t.second += b.compressed_len + sizeof(format::BlockHeader);
  }
  const uint64_t end_position =
      l.has_end ? blocks.back().first_position : l.reader.covered_position();
  auto events_in_range = [&](auto&& each) {
    for (const Event& e : l.events)
      if (e.position >= options.events_from && e.position <= options.events_to) each(e);
  };
  auto payload_text = [](const Event& e) {
    std::string s;
    if (e.kind == format::EventKind::kSerialRx) {
      for (uint8_t c : e.payload) {
        char b[8];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
          s.push_back(char(c));
        else {
          std::snprintf(b, sizeof b, "\\u%04x", c);
          s += b;
        }
      }
    } else if (e.payload.size() == 8) {
      uint64_t v;
      std::memcpy(&v, e.payload.data(), 8);
      s = std::to_string(v);
    }
    return s;
  };
  if (options.json) {
    std::fprintf(out, "{\n  \"file\": \"%s\",\n  \"format_version\": %u,\n", recording.c_str(),
                 l.manifest.format_version);
    std::fprintf(out, "  \"rewind_version\": \"%s\",\n  \"machine_args\": [",
                 l.manifest.rewind_version.c_str());
    for (size_t i = 0; i < l.manifest.machine_args.size(); i++)
      std::fprintf(out, "%s\"%s\"", i ? ", " : "", l.manifest.machine_args[i].c_str());
    std::fprintf(out, "],\n  \"checkpoint_interval\": %" PRIu64 ",\n  \"images\": [",
                 l.manifest.checkpoint_interval);
    for (size_t i = 0; i < l.manifest.images.size(); i++) {
      const ManifestImage& img = l.manifest.images[i];
      std::fprintf(out, "%s{\"role\": \"%s\", \"path\": \"%s\", \"hash\": \"%016" PRIx64
                   "\", \"size\": %" PRIu64 ", \"packed\": %s}",
                   i ? ", " : "", img.role.c_str(), img.path.c_str(), img.hash, img.size,
                   l.config.file_contents.count(img.path) ? "true" : "false");
    }
    std::fprintf(out, "],\n  \"blocks\": %zu,\n  \"events\": {", blocks.size());
    size_t i = 0;
    for (auto& [kind, count] : event_counts)
      std::fprintf(out, "%s\"%s\": %" PRIu64, i++ ? ", " : "", kind.c_str(), count);
    std::fprintf(out, "},\n  \"checkpoints\": [");
    for (size_t k = 0; k < l.checkpoints.size(); k++) {
      const BlockInfo& b = blocks[l.checkpoints[k]];
      std::fprintf(out, "%s{\"position\": %" PRIu64 ", \"full\": %s, \"raw\": %u, \"stored\": %u}",
                   k ? ", " : "", b.first_position, (b.flags & format::kCheckpointFull) ? "true" : "false",
                   b.raw_len, b.compressed_len);
    }
    std::fprintf(out, "],\n  \"sizes\": {\"file\": %" PRIu64 ", \"raw\": %" PRIu64
                 ", \"stored\": %" PRIu64 ", \"ratio\": %.2f",
                 l.reader.file_size(), raw_total, compressed_total,
                 compressed_total ? double(raw_total) / double(compressed_total) : 0.0);
    for (auto& [type, sizes] : by_type)
      std::fprintf(out, ", \"%s\": {\"raw\": %" PRIu64 ", \"stored\": %" PRIu64 "}", type.c_str(),
                   sizes.first, sizes.second);
    std::fprintf(out, "},\n  \"end_position\": %" PRIu64 ",\n  \"complete\": %s,\n",
                 end_position, l.has_end ? "true" : "false");
    if (l.has_end)
      std::fprintf(out, "  \"outcome\": {\"kind\": \"%s\", \"status\": %u, \"final_hash\": \"%016" PRIx64 "\"},\n",
                   l.end_kind.c_str(), l.end_status, l.end_hash.total);
    else
      std::fprintf(out, "  \"truncation\": \"%s\",\n", l.reader.truncation().c_str());
    std::fprintf(out, "  \"listed_events\": [");
    size_t n = 0;
    events_in_range([&](const Event& e) {
      std::fprintf(out, "%s{\"position\": %" PRIu64 ", \"kind\": \"%s\", \"payload\": \"%s\"}",
                   n++ ? ", " : "", e.position, format::event_kind_name(uint8_t(e.kind)),
                   payload_text(e).c_str());
    });
    std::fprintf(out, "]\n}\n");
    return 0;
  }
  std::fprintf(out, "recording %s\n  format version %u, written by rewind %s\n", recording.c_str(),
               l.manifest.format_version, l.manifest.rewind_version.c_str());
  std::fprintf(out, "  machine layout: %s\n", l.manifest.machine_layout.c_str());
  std::fprintf(out, "  machine:");
  for (const std::string& a : l.manifest.machine_args) std::fprintf(out, " %s", a.c_str());
  std::fprintf(out, "\n  checkpoint interval: %" PRIu64 " instructions\n",
               l.manifest.checkpoint_interval);
  for (const ManifestImage& img : l.manifest.images)
    std::fprintf(out, "  %s: %s (%" PRIu64 " bytes, hash %016" PRIx64 "%s)\n", img.role.c_str(),
                 img.path.c_str(), img.size, img.hash,
                 l.config.file_contents.count(img.path) ? ", packed" : "");
  std::fprintf(out, "  blocks: %zu\n  events:", blocks.size());
  if (event_counts.empty()) std::fprintf(out, " none");
  for (auto& [kind, count] : event_counts) std::fprintf(out, " %s=%" PRIu64, kind.c_str(), count);
  std::fprintf(out, "\n  checkpoints: %zu\n", l.checkpoints.size());
  for (size_t k = 0; k < l.checkpoints.size(); k++) {
    const BlockInfo& b = blocks[l.checkpoints[k]];
    std::fprintf(out, "    %-14" PRIu64 " %-11s %10u bytes raw %10u stored\n", b.first_position,
                 (b.flags & format::kCheckpointFull) ? "full" : "incremental", b.raw_len,
                 b.compressed_len);
  }
  std::fprintf(out, "  sizes: file %" PRIu64 " bytes, raw %" PRIu64 ", stored %" PRIu64
               " (compression %.2fx)\n",
               l.reader.file_size(), raw_total, compressed_total,
               compressed_total ? double(raw_total) / double(compressed_total) : 0.0);
  for (auto& [type, sizes] : by_type)
    std::fprintf(out, "    %-11s raw %12" PRIu64 " stored %12" PRIu64 "\n", type.c_str(),
                 sizes.first, sizes.second);
  if (l.has_end)
    std::fprintf(out, "  end: position %" PRIu64 ", %s, status %u, final hash %016" PRIx64 "%s%s\n",
                 end_position, l.end_kind.c_str(), l.end_status, l.end_hash.total,
                 l.end_message.empty() ? "" : ": ", l.end_message.c_str());
  else
    std::fprintf(out, "  INCOMPLETE: the recording ends at position %" PRIu64 " (%s)\n",
                 end_position,
                 l.reader.truncation().empty() ? "no end block" : l.reader.truncation().c_str());
  if (options.events_from <= options.events_to) {
    std::fprintf(out, "  events in %" PRIu64 "..%" PRIu64 ":\n", options.events_from,
                 options.events_to);
    events_in_range([&](const Event& e) {
      std::fprintf(out, "    %-14" PRIu64 " %-11s %s\n", e.position,
                   format::event_kind_name(uint8_t(e.kind)), payload_text(e).c_str());
    });
  }
  return 0;
}

bool pack_recording(const std::string& recording, std::string* error) {
  LoadedRecording l;
  if (!load_recording(recording, &l, true, error)) return false;
  if (!l.has_end) {
    *error = "'" + recording + "' is incomplete; only finished recordings can be packed";
    return false;
  }
  // Rewrite the file with kFile blocks right after the manifest.
  RecordingWriter w;
  if (!w.open(recording, error)) return false;
  std::vector<uint8_t> raw;
  for (size_t b = 0; b < l.reader.blocks().size(); b++) {
    const BlockInfo& info = l.reader.blocks()[b];
    if (info.type == format::BlockType::kFile) continue;  // re-packed below
    if (!l.reader.read_block(b, &raw, error) ||
        !w.append(info.type, info.flags, info.first_position, info.last_position, raw, error))
      return false;
    if (b == 0) {
      for (const ManifestImage& img : l.manifest.images) {
        std::vector<uint8_t> bytes;
        auto packed = l.config.file_contents.find(img.path);
        if (packed != l.config.file_contents.end())
          bytes = packed->second;
        else if (!read_file_bytes(img.path, &bytes)) {
          *error = "cannot read '" + img.path + "'";
          return false;
        }
        ByteWriter fw;
        fw.string(img.role);
        fw.string(img.path);
        fw.u64(img.hash);
        fw.bytes(bytes.data(), bytes.size());
        if (!w.append(format::BlockType::kFile, 0, 0, 0, fw.data(), error)) return false;
      }
    }
  }
  return w.finish(error);
}

}  // namespace rwd
