// SPDX-License-Identifier: MIT
#include "base/log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "base/check.h"

namespace rwd {
namespace {

// Logging configuration is process-wide by design: it describes what the user wants to see, not
// machine state, so it does not stop two Machines living in one process.
struct LogConfig {
  LogLevel default_level = LogLevel::kWarn;
  std::map<std::string, LogLevel, std::less<>> modules;
  bool initialised = false;
};

LogConfig& config() {
  static LogConfig c;
  if (!c.initialised) {
    c.initialised = true;
    if (const char* env = std::getenv("REWIND_LOG")) log_configure(env);
  }
  return c;
}

bool parse_level(std::string_view name, LogLevel* out) {
  static const std::pair<const char*, LogLevel> kNames[] = {
      {"error", LogLevel::kError}, {"warn", LogLevel::kWarn},   {"info", LogLevel::kInfo},
      {"debug", LogLevel::kDebug}, {"trace", LogLevel::kTrace},
  };
  for (auto& [n, l] : kNames)
    if (name == n) {
      *out = l;
      return true;
    }
  return false;
}

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kTrace: return "trace";
  }
  return "?";
}

}  // namespace

std::string log_configure(const std::string& spec) {
  LogConfig& c = config();
  size_t start = 0;
  while (start < spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    std::string item = spec.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string module = eq == std::string::npos ? "all" : item.substr(0, eq);
    std::string level = eq == std::string::npos ? item : item.substr(eq + 1);
    LogLevel l;
    if (!parse_level(level, &l)) return "unknown log level '" + level + "'";
    if (module == "all")
      c.default_level = l;
    else
      c.modules[module] = l;
  }
  return "";
}

bool log_enabled(LogLevel level, const char* module) {
  LogConfig& c = config();
  auto it = c.modules.find(std::string_view(module));
  LogLevel limit = it == c.modules.end() ? c.default_level : it->second;
  return level <= limit;
}

void log_write(LogLevel level, const char* module, const char* format, ...) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(stderr, "rewind: %s: %s: ", level_name(level), module);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
}

[[noreturn]] void check_failed(const char* expr, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "rewind: internal error: check failed: %s (%s:%d) %s\n", expr, file, line,
               msg);
  std::fflush(stderr);
  std::abort();
}

}  // namespace rwd
