#include "dataplane/daemon/log.h"

#include <time.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace plait::daemon {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// Text values are quoted only when they would not read as one word.
std::string TextValue(const std::string& v) {
  if (!v.empty() && v.find_first_of(" \"=\n\t") == std::string::npos) return v;
  return JsonString(v);
}

std::string WallTime() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc;
  gmtime_r(&ts.tv_sec, &utc);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  return absl::StrFormat("%s.%03dZ", buf,
                         static_cast<int>(ts.tv_nsec / 1000000));
}

}  // namespace

LogField::LogField(std::string k, double v)
    : key(std::move(k)), value(absl::StrFormat("%.3f", v)), number(true) {}

std::string Logger::Format(const std::string& time, LogLevel level,
                           absl::string_view event,
                           const std::vector<LogField>& fields) const {
  if (format_ == LogFormat::kJson) {
    std::string line = absl::StrCat("{\"time\":", JsonString(time),
                                    ",\"level\":", JsonString(LevelName(level)),
                                    ",\"event\":", JsonString(event));
    for (const LogField& f : fields) {
      absl::StrAppend(&line, ",", JsonString(f.key), ":",
                      f.number ? f.value : JsonString(f.value));
    }
    return line + "}";
  }
  std::string line = absl::StrCat(time, " ", LevelName(level), " ", event);
  for (const LogField& f : fields) {
    absl::StrAppend(&line, " ", f.key, "=", TextValue(f.value));
  }
  return line;
}

void Logger::Log(LogLevel level, absl::string_view event,
                 const std::vector<LogField>& fields) {
  const std::string line = Format(WallTime(), level, event, fields);
  fprintf(out_, "%s\n", line.c_str());
  fflush(out_);
}

}  // namespace plait::daemon
