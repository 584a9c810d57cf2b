// SPDX-License-Identifier: MIT
// AML encodings; section numbers refer to ACPI 6.4 (§20 for AML, §6.4 for resource descriptors).
#include "devices/acpi/aml.h"

#include <string>

#include "base/check.h"

namespace rwd::aml {
namespace {

// §20.2.5 opcodes.
constexpr uint8_t kZeroOp = 0x00, kOneOp = 0x01, kNameOp = 0x08, kBytePrefix = 0x0a,
                  kWordPrefix = 0x0b, kDWordPrefix = 0x0c, kStringPrefix = 0x0d,
                  kQWordPrefix = 0x0e, kScopeOp = 0x10, kBufferOp = 0x11, kPackageOp = 0x12,
                  kMethodOp = 0x14, kReturnOp = 0xa4, kExtOpPrefix = 0x5b, kDeviceOp = 0x82,
                  kProcessorOp = 0x83, kDualNamePrefix = 0x2e, kMultiNamePrefix = 0x2f,
                  kRootChar = 0x5c, kParentPrefixChar = 0x5e;

void put16(Bytes& out, uint16_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}
void put32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
void put64(Bytes& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

// A NameSeg: a lead character A-Z or '_', then A-Z, 0-9 or '_', padded to four with '_'.
void put_name_seg(Bytes& out, std::string_view seg) {
  REWIND_CHECK_MSG(!seg.empty() && seg.size() <= 4, "AML NameSeg must be 1-4 characters");
  for (size_t i = 0; i < 4; ++i) {
    char c = i < seg.size() ? seg[i] : '_';
    bool ok = (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    REWIND_CHECK_MSG(ok, "invalid character in AML NameSeg");
    out.push_back(uint8_t(c));
  }
}

// opcode(s) PkgLength contents
Bytes wrap(std::initializer_list<uint8_t> opcode, const Bytes& contents) {
  Bytes out(opcode);
  Bytes length = pkg_length(contents.size());
  out.insert(out.end(), length.begin(), length.end());
  out.insert(out.end(), contents.begin(), contents.end());
  return out;
}

}  // namespace

Bytes pkg_length_exact(uint32_t total_length, unsigned encoded_bytes) {
  REWIND_CHECK(encoded_bytes >= 1 && encoded_bytes <= 4);
  if (encoded_bytes == 1) {
    REWIND_CHECK(total_length <= 63);
    return {uint8_t(total_length)};
  }
  REWIND_CHECK(total_length < (1u << (4 + 8 * (encoded_bytes - 1))));
  Bytes out{uint8_t((encoded_bytes - 1) << 6 | (total_length & 0x0f))};
  for (unsigned i = 1; i < encoded_bytes; ++i) out.push_back(uint8_t(total_length >> (8 * i - 4)));
  return out;
}

Bytes pkg_length(size_t payload_length) {
  // The encoded value includes the PkgLength bytes themselves, so pick the smallest encoding
  // whose range holds payload + its own size.
  if (payload_length + 1 <= 63) return pkg_length_exact(uint32_t(payload_length + 1), 1);
  for (unsigned n = 2; n <= 4; ++n) {
    uint64_t total = payload_length + n;
    if (total < (1ull << (4 + 8 * (n - 1)))) return pkg_length_exact(uint32_t(total), n);
  }
  REWIND_CHECK_MSG(false, "AML object larger than PkgLength can encode (256 MiB)");
  return {};
}

Bytes integer(uint64_t value) {
  Bytes out;
  if (value == 0) return {kZeroOp};
  if (value == 1) return {kOneOp};
  if (value <= 0xff) return {kBytePrefix, uint8_t(value)};
  if (value <= 0xffff) {
    out.push_back(kWordPrefix);
    put16(out, uint16_t(value));
  } else if (value <= 0xffffffff) {
    out.push_back(kDWordPrefix);
    put32(out, uint32_t(value));
  } else {
    out.push_back(kQWordPrefix);
    put64(out, value);
  }
  return out;
}

Bytes dword(uint32_t value) {
  Bytes out{kDWordPrefix};
  put32(out, value);
  return out;
}

Bytes string(std::string_view text) {
  Bytes out{kStringPrefix};
  for (char c : text) {
    REWIND_CHECK_MSG(c > 0 && uint8_t(c) < 0x80, "AML strings are 7-bit ASCII without NUL");
    out.push_back(uint8_t(c));
  }
  out.push_back(0);
  return out;
}

Bytes name_string(std::string_view path) {
  Bytes out;
  size_t i = 0;
  if (i < path.size() && path[i] == '\\') {
    out.push_back(kRootChar);
    ++i;
  } else {
    while (i < path.size() && path[i] == '^') {
      out.push_back(kParentPrefixChar);
      ++i;
    }
  }
  std::vector<std::string_view> segs;
  while (i < path.size()) {
    size_t dot = path.find('.', i);
    if (dot == std::string_view::npos) dot = path.size();
    segs.push_back(path.substr(i, dot - i));
    i = dot + 1;
  }
  if (segs.empty()) {
    out.push_back(0x00);  // NullName: "\" alone
  } else if (segs.size() == 2) {
    out.push_back(kDualNamePrefix);
  } else if (segs.size() > 2) {
    REWIND_CHECK(segs.size() <= 255);
    out.push_back(kMultiNamePrefix);
    out.push_back(uint8_t(segs.size()));
  }
  for (std::string_view seg : segs) put_name_seg(out, seg);
  return out;
}

uint32_t eisa_id_value(std::string_view id) {
  REWIND_CHECK_MSG(id.size() == 7, "EISA ID is three letters and four hex digits");
  auto letter = [&](size_t i) {
    REWIND_CHECK(id[i] >= 'A' && id[i] <= 'Z');
    return uint32_t(id[i] - 0x40) & 0x1f;
  };
  auto hex = [&](size_t i) {
    char c = id[i];
    if (c >= '0' && c <= '9') return uint32_t(c - '0');
    REWIND_CHECK(c >= 'A' && c <= 'F');
    return uint32_t(c - 'A' + 10);
  };
  // Big-endian in memory: vendor (16 bits, 5-5-5) then product (16 bits, 4 hex digits).
  uint32_t vendor = letter(0) << 10 | letter(1) << 5 | letter(2);
  uint32_t product = hex(3) << 12 | hex(4) << 8 | hex(5) << 4 | hex(6);
  uint8_t b[4] = {uint8_t(vendor >> 8), uint8_t(vendor), uint8_t(product >> 8), uint8_t(product)};
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

Bytes eisa_id(std::string_view id) {
  return dword(eisa_id_value(id));
}

Bytes name(std::string_view object_name, const Bytes& value) {
  return cat(Bytes{kNameOp}, name_string(object_name), value);
}

Bytes scope(std::string_view path, const Bytes& body) {
  return wrap({kScopeOp}, cat(name_string(path), body));
}

Bytes device(std::string_view device_name, const Bytes& body) {
  return wrap({kExtOpPrefix, kDeviceOp}, cat(name_string(device_name), body));
}

Bytes method(std::string_view method_name, unsigned arg_count, bool serialized, const Bytes& body) {
  REWIND_CHECK(arg_count <= 7);
  uint8_t flags = uint8_t(arg_count | (serialized ? 0x08 : 0));
  return wrap({kMethodOp}, cat(name_string(method_name), Bytes{flags}, body));
}

Bytes processor(std::string_view processor_name, uint8_t id, uint32_t pblk_address,
                uint8_t pblk_length, const Bytes& body) {
  Bytes fixed{id};
  put32(fixed, pblk_address);
  fixed.push_back(pblk_length);
  return wrap({kExtOpPrefix, kProcessorOp}, cat(name_string(processor_name), fixed, body));
}

Bytes return_value(const Bytes& value) {
  return cat(Bytes{kReturnOp}, value);
}

Bytes package(unsigned count, const Bytes& elements) {
  REWIND_CHECK_MSG(count <= 255, "Package with more than 255 elements needs VarPackageOp");
  return wrap({kPackageOp}, cat(Bytes{uint8_t(count)}, elements));
}

Bytes buffer(const Bytes& data) {
  return wrap({kBufferOp}, cat(integer(data.size()), data));
}

// ---- ResourceTemplate (§6.4) ----

ResourceTemplate& ResourceTemplate::io(uint16_t minimum, uint16_t maximum, uint8_t alignment,
                                       uint8_t length) {
  // I/O Port Descriptor (§6.4.2.5): tag 0x47, information bit 0 = 16-bit decode.
  bytes_.push_back(0x47);
  bytes_.push_back(0x01);
  put16(bytes_, minimum);
  put16(bytes_, maximum);
  bytes_.push_back(alignment);
  bytes_.push_back(length);
  return *this;
}

ResourceTemplate& ResourceTemplate::irq_no_flags(unsigned irq) {
  // IRQ Descriptor without the information byte (§6.4.2.1): tag 0x22, 16-bit mask.
  REWIND_CHECK(irq < 16);
  bytes_.push_back(0x22);
  put16(bytes_, uint16_t(1u << irq));
  return *this;
}

void ResourceTemplate::large(uint8_t item_name, const Bytes& data) {
  bytes_.push_back(uint8_t(0x80 | item_name));
  put16(bytes_, uint16_t(data.size()));
  bytes_.insert(bytes_.end(), data.begin(), data.end());
}

ResourceTemplate& ResourceTemplate::memory32_fixed(bool read_write, uint32_t base,
                                                   uint32_t length) {
  Bytes d{uint8_t(read_write ? 1 : 0)};  // §6.4.3.4
  put32(d, base);
  put32(d, length);
  large(0x06, d);
  return *this;
}

// Address space descriptors (§6.4.3.5): resource type, general flags, type-specific flags,
// then granularity, minimum, maximum, translation offset, length. General flags 0x0C: producer
// (bit 0 = 0), positive decode, _MIF and _MAF set (a fixed window).
namespace {
constexpr uint8_t kMemoryRange = 0, kIoRange = 1, kBusNumberRange = 2;
constexpr uint8_t kFixedProducer = 0x0c;
// Memory type-specific flags: bit 0 read/write, bits 2:1 _MEM (0 non-cacheable, 1 cacheable).
uint8_t memory_flags(bool cacheable) {
  return uint8_t(0x01 | (cacheable ? 0x02 : 0));
}
}  // namespace

ResourceTemplate& ResourceTemplate::word_bus_number(uint16_t minimum, uint16_t maximum) {
  Bytes d{kBusNumberRange, kFixedProducer, 0};
  for (uint16_t v : {uint16_t(0), minimum, maximum, uint16_t(0), uint16_t(maximum - minimum + 1)})
    put16(d, v);
  large(0x08, d);
  return *this;
}

ResourceTemplate& ResourceTemplate::word_io(uint16_t minimum, uint16_t maximum) {
  Bytes d{kIoRange, kFixedProducer, 0x03};  // _RNG = 3: ISA and non-ISA ranges (EntireRange)
  for (uint16_t v : {uint16_t(0), minimum, maximum, uint16_t(0), uint16_t(maximum - minimum + 1)})
    put16(d, v);
  large(0x08, d);
  return *this;
}

ResourceTemplate& ResourceTemplate::dword_memory(bool cacheable, uint32_t minimum,
                                                 uint32_t maximum) {
  Bytes d{kMemoryRange, kFixedProducer, memory_flags(cacheable)};
  for (uint32_t v : {0u, minimum, maximum, 0u, maximum - minimum + 1}) put32(d, v);
  large(0x07, d);
  return *this;
}

ResourceTemplate& ResourceTemplate::qword_memory(bool cacheable, uint64_t minimum,
                                                 uint64_t maximum) {
  Bytes d{kMemoryRange, kFixedProducer, memory_flags(cacheable)};
  for (uint64_t v : {uint64_t(0), minimum, maximum, uint64_t(0), maximum - minimum + 1})
    put64(d, v);
  large(0x0a, d);
  return *this;
}

Bytes ResourceTemplate::descriptors() const {
  // End Tag (§6.4.2.9): a checksum of 0 means "treat as correct".
  return cat(bytes_, Bytes{0x79, 0x00});
}

Bytes ResourceTemplate::buffer() const {
  return aml::buffer(descriptors());
}

}  // namespace rwd::aml
