// SPDX-License-Identifier: MIT
// A small ACPI Machine Language (AML) byte-code builder (ACPI 6.4 §20 "ACPI Machine Language
// Specification", §6.4 "Resource Data Types for ACPI"). Just enough to hand-build the DSDT the
// Machine needs — no parser, no ASL compiler. Every function returns the finished bytes of one
// AML object; composite objects (Scope, Device, Method, Package, Buffer) take their already
// encoded contents and wrap them with the opcode and PkgLength. Example, the ASL
//
//   Scope (\_SB) { Device (HPET) { Name (_HID, EisaId ("PNP0103")) } }
//
// is built as
//
//   aml::scope("\\_SB", aml::device("HPET", aml::name("_HID", aml::eisa_id("PNP0103"))));
//
// Integers use the shortest encoding (ZeroOp, OneOp, BytePrefix, WordPrefix, DWordPrefix,
// QWordPrefix); the DSDT is revision 2, so 64-bit integers are legal.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace rwd::aml {

using Bytes = std::vector<uint8_t>;

// Concatenates encoded objects into one TermList / element list.
template <typename... Parts>
Bytes cat(const Parts&... parts) {
  Bytes out;
  (out.insert(out.end(), parts.begin(), parts.end()), ...);
  return out;
}

// PkgLength (§20.2.4) for an object whose PkgLength-covered part is `payload_length` bytes
// *excluding* the PkgLength itself: 1 byte up to 63 total, then 2, 3 or 4 bytes (bits 7:6 of
// the lead byte count the extra bytes, its bits 3:0 are the low nibble).
Bytes pkg_length(size_t payload_length);
// Encodes `total_length` (which already includes the PkgLength bytes) in exactly
// `encoded_bytes` bytes; exposed for tests of the boundary cases.
Bytes pkg_length_exact(uint32_t total_length, unsigned encoded_bytes);

// ComputationalData.
Bytes integer(uint64_t value);        // shortest form
Bytes dword(uint32_t value);          // always DWordPrefix (e.g. EISA IDs, by convention)
Bytes string(std::string_view text);  // StringPrefix, ASCII, NUL

// A NameString (§20.2.2): "\\_SB.PCI0", "^FOO", "_HID", "\\". Segments shorter than four
// characters are padded with '_' as ASL does ("LPC" → "LPC_").
Bytes name_string(std::string_view path);

// EISAID("PNP0A08") packed as the 32-bit value the spec defines (three 5-bit letters and four
// hex digits, big-endian byte order): 0x080AD041.
uint32_t eisa_id_value(std::string_view id);
Bytes eisa_id(std::string_view id);

// Named objects and namespace modifiers.
Bytes name(std::string_view name, const Bytes& value);   // Name (X, value)
Bytes scope(std::string_view path, const Bytes& body);   // Scope (path) { body }
Bytes device(std::string_view name, const Bytes& body);  // Device (name) { body }
// Method (name, arg_count, Serialized|NotSerialized) { body }
Bytes method(std::string_view name, unsigned arg_count, bool serialized, const Bytes& body);
// Processor (name, id, pblk_address, pblk_length) { body } — deprecated since ACPI 6.0 but
// what the SeaBIOS/QEMU tables of OS X's era used and what XNU's CPU enumeration expects.
Bytes processor(std::string_view name, uint8_t id, uint32_t pblk_address, uint8_t pblk_length,
                const Bytes& body = {});
Bytes return_value(const Bytes& value);  // Return (value)

// Package (n) { elements } — `elements` is the concatenation of `count` encoded objects; at
// most 255 (VarPackageOp is not needed by our tables).
Bytes package(unsigned count, const Bytes& elements);
// Buffer (size) { bytes }
Bytes buffer(const Bytes& data);

// ResourceTemplate () { ... } (§6.4): descriptors appended in order; buffer() adds the End Tag
// (checksum 0, "the checksum field is ignored") and wraps everything in a Buffer.
class ResourceTemplate {
 public:
  // Small descriptors.
  // IO (Decode16, min, max, alignment, length)
  ResourceTemplate& io(uint16_t minimum, uint16_t maximum, uint8_t alignment, uint8_t length);
  // IO with a fixed base: IO (Decode16, base, base, 1, length)
  ResourceTemplate& io_fixed(uint16_t base, uint8_t length) { return io(base, base, 1, length); }
  // IRQNoFlags () {irq}: edge-triggered, active-high, exclusive.
  ResourceTemplate& irq_no_flags(unsigned irq);

  // Large descriptors.
  // Memory32Fixed (ReadWrite|ReadOnly, base, length)
  ResourceTemplate& memory32_fixed(bool read_write, uint32_t base, uint32_t length);
  // WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, len)
  ResourceTemplate& word_bus_number(uint16_t minimum, uint16_t maximum);
  // WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, len)
  ResourceTemplate& word_io(uint16_t minimum, uint16_t maximum);
  // DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable|NonCacheable,
  // ReadWrite, 0, min, max, 0, len)
  ResourceTemplate& dword_memory(bool cacheable, uint32_t minimum, uint32_t maximum);
  // QWordMemory, the same for windows above 4 GiB.
  ResourceTemplate& qword_memory(bool cacheable, uint64_t minimum, uint64_t maximum);

  // The descriptors followed by the End Tag, without the Buffer wrapping (tests use this).
  Bytes descriptors() const;
  // Buffer (size) { descriptors, End Tag }
  Bytes buffer() const;

 private:
  void large(uint8_t item_name, const Bytes& data);
  Bytes bytes_;
};

}  // namespace rwd::aml
