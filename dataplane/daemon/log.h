// plaitd's structured logs: one line per event on stderr, with the wall
// time, a level, the event name and key=value fields; or the same as one
// JSON object per line (--log-format=json), for log collectors.
#ifndef PLAIT_DATAPLANE_DAEMON_LOG_H_
#define PLAIT_DATAPLANE_DAEMON_LOG_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace plait::daemon {

enum class LogFormat { kText, kJson };
enum class LogLevel { kInfo, kWarning, kError };

struct LogField {
  LogField(std::string k, std::string v)
      : key(std::move(k)), value(std::move(v)) {}
  LogField(std::string k, const char* v) : key(std::move(k)), value(v) {}
  LogField(std::string k, uint64_t v)
      : key(std::move(k)), value(std::to_string(v)), number(true) {}
  LogField(std::string k, int v)
      : key(std::move(k)), value(std::to_string(v)), number(true) {}
  LogField(std::string k, double v);
  LogField(std::string k, bool v)
      : key(std::move(k)), value(v ? "true" : "false"), number(true) {}
  std::string key;
  std::string value;
  bool number = false;  // unquoted in JSON
};

class Logger {
 public:
  explicit Logger(LogFormat format, FILE* out = stderr)
      : format_(format), out_(out) {}
  void Log(LogLevel level, absl::string_view event,
           const std::vector<LogField>& fields = {});
  void Info(absl::string_view event, const std::vector<LogField>& fields = {}) {
    Log(LogLevel::kInfo, event, fields);
  }
  void Warning(absl::string_view event,
               const std::vector<LogField>& fields = {}) {
    Log(LogLevel::kWarning, event, fields);
  }
  void Error(absl::string_view event,
             const std::vector<LogField>& fields = {}) {
    Log(LogLevel::kError, event, fields);
  }

  // The line Log writes, without the newline (tests).
  std::string Format(const std::string& time, LogLevel level,
                     absl::string_view event,
                     const std::vector<LogField>& fields) const;

 private:
  LogFormat format_;
  FILE* out_;
};

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_LOG_H_
