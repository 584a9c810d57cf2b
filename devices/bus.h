// SPDX-License-Identifier: MIT
// Port I/O and MMIO buses. Unassigned ports and addresses behave like an open bus (reads return
// all ones, writes are dropped) and are counted and logged — never fatal (STYLE practice 10).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rwd {

class PortHandler {
 public:
  virtual ~PortHandler() = default;
  // `port` is the absolute port number; size is 1, 2 or 4.
  virtual uint32_t port_read(uint16_t port, unsigned size) = 0;
  virtual void port_write(uint16_t port, unsigned size, uint32_t value) = 0;
};

class MmioHandler {
 public:
  virtual ~MmioHandler() = default;
  // `offset` is relative to the mapped base; size is 1, 2, 4 or 8; offsets may be unaligned.
  virtual uint64_t mmio_read(uint64_t offset, unsigned size) = 0;
  virtual void mmio_write(uint64_t offset, unsigned size, uint64_t value) = 0;
};

struct UnassignedStats {
  uint64_t accesses = 0;
  uint32_t first_address = 0;
  bool any = false;
};

class PortBus {
 public:
  void map(uint16_t base, uint32_t length, PortHandler* handler, std::string name);
  void unmap(PortHandler* handler);
  uint32_t read(uint16_t port, unsigned size);
  void write(uint16_t port, unsigned size, uint32_t value);
  const UnassignedStats& unassigned() const { return unassigned_; }

 private:
  struct Range {
    uint16_t base;
    uint32_t length;
    PortHandler* handler;
    std::string name;
  };
  const Range* find(uint16_t port) const;
  std::vector<Range> ranges_;  // sorted by base
  UnassignedStats unassigned_;
};

class MmioBus {
 public:
  void map(uint64_t base, uint64_t length, MmioHandler* handler, std::string name);
  void unmap(MmioHandler* handler);
  uint64_t read(uint64_t addr, unsigned size);
  void write(uint64_t addr, unsigned size, uint64_t value);
  const UnassignedStats& unassigned() const { return unassigned_; }

 private:
  struct Range {
    uint64_t base;
    uint64_t length;
    MmioHandler* handler;
    std::string name;
  };
  const Range* find(uint64_t addr) const;
  std::vector<Range> ranges_;  // sorted by base
  UnassignedStats unassigned_;
};

}  // namespace rwd
