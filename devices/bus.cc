// SPDX-License-Identifier: MIT
#include "devices/bus.h"

#include <algorithm>

#include "base/check.h"
#include "base/log.h"

namespace rwd {
namespace {
uint64_t all_ones(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }
}  // namespace

void PortBus::map(uint16_t base, uint32_t length, PortHandler* handler, std::string name) {
  for (const Range& r : ranges_)
    REWIND_CHECK_MSG(base + length <= r.base || r.base + r.length <= base,
                     "overlapping port ranges in the machine description");
  ranges_.push_back(Range{base, length, handler, std::move(name)});
  std::sort(ranges_.begin(), ranges_.end(),
            [](const Range& a, const Range& b) { return a.base < b.base; });
}

void PortBus::unmap(PortHandler* handler) {
  std::erase_if(ranges_, [handler](const Range& r) { return r.handler == handler; });
}

const PortBus::Range* PortBus::find(uint16_t port) const {
  for (const Range& r : ranges_)
    if (port >= r.base && port < r.base + r.length) return &r;
  return nullptr;
}

uint32_t PortBus::read(uint16_t port, unsigned size) {
  if (const Range* r = find(port)) return r->handler->port_read(port, size);
  if (!unassigned_.any) unassigned_.first_address = port;
  unassigned_.any = true;
  unassigned_.accesses++;
  REWIND_LOG(kDebug, "bus", "read of unassigned port %#x (size %u)", port, size);
  return uint32_t(all_ones(size));
}

void PortBus::write(uint16_t port, unsigned size, uint32_t value) {
  if (const Range* r = find(port)) {
    r->handler->port_write(port, size, value);
    return;
  }
  if (!unassigned_.any) unassigned_.first_address = port;
  unassigned_.any = true;
  unassigned_.accesses++;
  REWIND_LOG(kDebug, "bus", "write of %#x to unassigned port %#x (size %u)", value, port, size);
}

void MmioBus::map(uint64_t base, uint64_t length, MmioHandler* handler, std::string name) {
  for (const Range& r : ranges_)
    REWIND_CHECK_MSG(base + length <= r.base || r.base + r.length <= base,
                     "overlapping MMIO ranges in the machine description");
  ranges_.push_back(Range{base, length, handler, std::move(name)});
  std::sort(ranges_.begin(), ranges_.end(),
            [](const Range& a, const Range& b) { return a.base < b.base; });
}

void MmioBus::unmap(MmioHandler* handler) {
  std::erase_if(ranges_, [handler](const Range& r) { return r.handler == handler; });
}

const MmioBus::Range* MmioBus::find(uint64_t addr) const {
  for (const Range& r : ranges_)
    if (addr - r.base < r.length) return &r;
  return nullptr;
}

uint64_t MmioBus::read(uint64_t addr, unsigned size) {
  if (const Range* r = find(addr)) return r->handler->mmio_read(addr - r->base, size);
  if (!unassigned_.any) unassigned_.first_address = uint32_t(addr);
  unassigned_.any = true;
  unassigned_.accesses++;
  REWIND_LOG(kDebug, "bus", "read of unassigned physical address %#llx (size %u)",
             (unsigned long long)addr, size);
  return all_ones(size);
}

void MmioBus::write(uint64_t addr, unsigned size, uint64_t value) {
  if (const Range* r = find(addr)) {
    r->handler->mmio_write(addr - r->base, size, value);
    return;
  }
  if (!unassigned_.any) unassigned_.first_address = uint32_t(addr);
  unassigned_.any = true;
  unassigned_.accesses++;
  REWIND_LOG(kDebug, "bus", "write to unassigned physical address %#llx (size %u)",
             (unsigned long long)addr, size);
}

}  // namespace rwd
