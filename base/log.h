// SPDX-License-Identifier: MIT
// The one logger. Levels per module, configured from REWIND_LOG ("cpu=debug,bus=trace,all=warn")
// or the CLI's -d flag. Messages go to stderr so guest serial output on stdout stays clean.
//
//   REWIND_LOG(kWarn, "bus", "unassigned port %#x written", port);
#pragma once

#include <cstdarg>
#include <string>

namespace rwd {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };

// Parses "module=level,..." (level names: error warn info debug trace). Returns an error text or
// an empty string.
std::string log_configure(const std::string& spec);
bool log_enabled(LogLevel level, const char* module);
void log_write(LogLevel level, const char* module, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace rwd

#define REWIND_LOG(level, module, ...)                                          \
  do {                                                                          \
    if (::rwd::log_enabled(::rwd::LogLevel::level, module))               \
      ::rwd::log_write(::rwd::LogLevel::level, module, __VA_ARGS__);      \
  } while (0)
