// SPDX-License-Identifier: MIT
// The live input source: the one file under replay/ that reads host time and host entropy, and
// it does so only to produce inputs that the journal then records (DESIGN §2.3).
#include "replay/input_port.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace rwd {

LiveInputPort::LiveInputPort(int serial_fd) : serial_fd_(serial_fd) {}

uint64_t LiveInputPort::wall_clock(uint64_t) {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);  // input-port: the journaled boot wall clock
  return uint64_t(ts.tv_sec);
}

uint64_t LiveInputPort::random(uint64_t) {
  uint64_t v = 0;
  while (::getrandom(&v, sizeof v, 0) < 0 && errno == EINTR) {  // input-port: journaled
  }
  return v;
}

std::vector<uint8_t> LiveInputPort::serial_input(uint64_t, size_t space) {
  if (serial_fd_ >= 0 && pending_.size() < 4096) {
    struct pollfd p = {serial_fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) {
      uint8_t buf[256];
      ssize_t n = ::read(serial_fd_, buf, sizeof buf);
      if (n > 0)
        pending_.insert(pending_.end(), buf, buf + n);
      else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        serial_fd_ = -1;  // EOF: no more input will come
    }
  }
  size_t take = std::min(space, pending_.size());
  std::vector<uint8_t> out(pending_.begin(), pending_.begin() + long(take));
  pending_.erase(pending_.begin(), pending_.begin() + long(take));
  return out;
}

void LiveInputPort::wait_for_serial(int timeout_ms) {
  if (serial_fd_ < 0 || !pending_.empty()) return;
  struct pollfd p = {serial_fd_, POLLIN, 0};
  ::poll(&p, 1, timeout_ms);
}

}  // namespace rwd
