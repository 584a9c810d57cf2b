// SPDX-License-Identifier: MIT
#include "replay/manifest.h"

namespace rwd {

std::vector<uint8_t> encode_manifest(const Manifest& m) {
  ByteWriter w;
  w.u32(m.format_version);
  w.string(m.rewind_version);
  w.varint(m.machine_args.size());
  for (const std::string& a : m.machine_args) w.string(a);
  w.u64(m.checkpoint_interval);
  w.varint(m.images.size());
  for (const ManifestImage& i : m.images) {
    w.string(i.role);
    w.string(i.path);
    w.u64(i.hash);
    w.u64(i.size);
  }
  w.string(m.machine_layout);
  return std::move(w.data());
}

bool decode_manifest(const std::vector<uint8_t>& raw, Manifest* m, std::string* error) {
  ByteReader r(raw);
  uint64_t n;
  bool ok = r.u32(&m->format_version) && r.string(&m->rewind_version) && r.varint(&n) &&
            n < 4096;
  for (uint64_t i = 0; ok && i < n; i++) {
    std::string a;
    ok = r.string(&a);
    m->machine_args.push_back(a);
  }
  ok = ok && r.u64(&m->checkpoint_interval) && r.varint(&n) && n < 256;
  for (uint64_t i = 0; ok && i < n; i++) {
    ManifestImage img;
    ok = r.string(&img.role) && r.string(&img.path) && r.u64(&img.hash) && r.u64(&img.size);
    m->images.push_back(img);
  }
  ok = ok && r.string(&m->machine_layout, 1 << 16);
  if (!ok || !r.at_end()) {
    *error = "malformed manifest" + (r.error().empty() ? std::string() : ": " + r.error());
    return false;
  }
  return true;
}

void encode_hash(ByteWriter& w, const StoredHash& h) {
  w.u64(h.total);
  w.u64(h.cpu);
  w.u64(h.ram);
  w.varint(h.devices.size());
  for (auto& [name, value] : h.devices) {
    w.string(name);
    w.u64(value);
  }
}

bool decode_hash(ByteReader& r, StoredHash* h) {
  uint64_t n;
  if (!r.u64(&h->total) || !r.u64(&h->cpu) || !r.u64(&h->ram) || !r.varint(&n) || n > 1024)
    return false;
  for (uint64_t i = 0; i < n; i++) {
    std::string name;
    uint64_t v;
    if (!r.string(&name) || !r.u64(&v)) return false;
    h->devices.push_back({name, v});
  }
  return true;
}

}  // namespace rwd
