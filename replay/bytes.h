// SPDX-License-Identifier: MIT
// Little-endian byte encoding for recordings and snapshots. The reader never reads past its
// buffer: every accessor returns false once the input is exhausted or malformed, and the first
// error is kept for the message ("snapshot section 'uart16550': truncated").
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace rwd {

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(uint8_t(v | 0x80));
      v >>= 7;
    }
    out_.push_back(uint8_t(v));
  }
  void raw(const void* data, size_t size) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + size);
  }
  void bytes(const void* data, size_t size) {
    varint(size);
    raw(data, size);
  }
  void string(const std::string& s) { bytes(s.data(), s.size()); }
  template <typename T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof v);
  }
  const std::vector<uint8_t>& data() const { return out_; }
  std::vector<uint8_t>& data() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  explicit ByteReader(const std::vector<uint8_t>& v) : ByteReader(v.data(), v.size()) {}

  bool u8(uint8_t* v) { return raw(v, 1); }
  bool u32(uint32_t* v) { return raw(v, 4); }
  bool u64(uint64_t* v) { return raw(v, 8); }
  bool varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return fail("truncated varint");
      uint8_t b = *p_++;
      result |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *v = result;
        return true;
      }
    }
    return fail("overlong varint");
  }
  bool raw(void* out, size_t size) {
    if (size_t(end_ - p_) < size) return fail("truncated");
    std::memcpy(out, p_, size);
    p_ += size;
    return true;
  }
  // A length-prefixed byte string, at most `max` bytes.
  bool bytes(std::vector<uint8_t>* out, size_t max = size_t(1) << 30) {
    uint64_t n;
    if (!varint(&n)) return false;
    if (n > max || n > size_t(end_ - p_)) return fail("length out of range");
    out->assign(p_, p_ + n);
    p_ += n;
    return true;
  }
  bool string(std::string* out, size_t max = 1 << 20) {
    std::vector<uint8_t> b;
    if (!bytes(&b, max)) return false;
    out->assign(b.begin(), b.end());
    return true;
  }
  template <typename T>
  bool pod(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    uint64_t n;
    if (!varint(&n)) return false;
    if (n != sizeof(T)) return fail("size mismatch");
    return raw(v, sizeof(T));
  }
  // Points at the next `size` bytes and skips them (no copy); nullptr when too few remain.
  const uint8_t* take(size_t size) {
    if (size_t(end_ - p_) < size) {
      fail("truncated");
      return nullptr;
    }
    const uint8_t* at = p_;
    p_ += size;
    return at;
  }
  bool at_end() const { return p_ == end_; }
  size_t remaining() const { return size_t(end_ - p_); }
  const std::string& error() const { return error_; }
  bool fail(const std::string& why) {
    if (error_.empty()) error_ = why;
    p_ = end_;
    return false;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  std::string error_;
};

}  // namespace rwd
