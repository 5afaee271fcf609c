#include "cli/args.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/usage.h"

namespace plait::cli {
namespace {

// Every flag plaitctl knows, and whether it takes a value.
const std::map<std::string, bool>& KnownFlags() {
  static const auto* const flags = new std::map<std::string, bool>{
      {"api", true},
      {"timeout", true},
      {"json", false},
      {"tls-ca", true},
      {"tls-cert", true},
      {"tls-key", true},
      {"tls-server-name", true},
      {"dry-run", false},
      {"remote-id", true},
      {"backup", false},
      {"reset", false},
      {"fast", false},
      {"type", true},
      {"conn", true},
  };
  return *flags;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isdigit(c) != 0;
  });
}

template <typename Int>
bool ParseUnsigned(const std::string& text, Int* out) {
  uint64_t value;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &value)) return false;
  if (value > static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
    return false;
  }
  *out = static_cast<Int>(value);
  return true;
}

std::string EventTypeNames() {
  std::vector<std::string> names;
  const auto* descriptor = plait::v1::EventType_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const std::string& name = descriptor->value(i)->name();
    if (descriptor->value(i)->number() == 0) continue;
    names.push_back(absl::AsciiStrToLower(name.substr(strlen("EVENT_TYPE_"))));
  }
  return absl::StrJoin(names, ", ");
}

// The spec whose words begin `positional`, the longest such.
const CommandSpec* MatchCommand(const std::vector<std::string>& positional) {
  const CommandSpec* best = nullptr;
  for (const CommandSpec& spec : CommandSpecs()) {
    if (spec.words.size() > positional.size()) continue;
    if (!std::equal(spec.words.begin(), spec.words.end(), positional.begin())) {
      continue;
    }
    if (best == nullptr || spec.words.size() > best->words.size()) {
      best = &spec;
    }
  }
  return best;
}

std::string UnknownCommandError(const std::vector<std::string>& positional) {
  std::vector<std::string> subcommands;
  for (const CommandSpec& spec : CommandSpecs()) {
    if (spec.words.size() > 1 && spec.words[0] == positional[0]) {
      subcommands.push_back(spec.words[1]);
    }
  }
  if (subcommands.empty()) {
    return absl::StrCat("unknown command '", positional[0], "'");
  }
  if (positional.size() == 1) {
    return absl::StrCat("'", positional[0],
                        "' needs one of: ", absl::StrJoin(subcommands, ", "));
  }
  return absl::StrCat("unknown command '", positional[0], " ", positional[1],
                      "' ('", positional[0],
                      "' takes: ", absl::StrJoin(subcommands, ", "), ")");
}

// The operands and flags of `spec`, into `invocation`; an error message or "".
std::string ApplyCommand(
    const CommandSpec& spec, const std::vector<std::string>& operands,
    const std::vector<std::pair<std::string, std::string>>& flags,
    Invocation* invocation) {
  invocation->command = spec.kind;
  const std::string command = absl::StrJoin(spec.words, " ");
  if (operands.size() < spec.operands.size()) {
    return absl::StrCat("'", command, "' needs ",
                        spec.operands[operands.size()]);
  }
  if (operands.size() > spec.operands.size()) {
    return absl::StrCat("unexpected argument '", operands[spec.operands.size()],
                        "'");
  }
  for (size_t i = 0; i < operands.size(); ++i) {
    const std::string& kind = spec.operands[i];
    const std::string& text = operands[i];
    if (kind == "ID") {
      if (!ParseUnsigned(text, &invocation->connection_id)) {
        return absl::StrCat("ID must be a connection id (a number), not '",
                            text, "'");
      }
    } else if (kind == "SUBFLOW_ID") {
      if (!ParseUnsigned(text, &invocation->subflow_id)) {
        return absl::StrCat("SUBFLOW_ID must be a subflow id (a number), not '",
                            text, "'");
      }
    } else if (kind == "NAME") {
      invocation->name = text;
    } else if (kind == "LOCAL_ADDR" || kind == "ADDR") {
      invocation->address = text;
    } else if (kind == "FILE") {
      invocation->file = text;
    } else if (kind == "backup|regular") {
      if (text != "backup" && text != "regular") {
        return absl::StrCat("expected 'backup' or 'regular', not '", text, "'");
      }
      invocation->backup = text == "backup";
    }
  }
  for (const auto& [name, value] : flags) {
    if (std::find(spec.flags.begin(), spec.flags.end(), name) ==
        spec.flags.end()) {
      return absl::StrCat("--", name, " does not apply to '", command, "'");
    }
    if (name == "dry-run") {
      invocation->dry_run = true;
    } else if (name == "backup") {
      invocation->backup = true;
    } else if (name == "reset") {
      invocation->reset = true;
    } else if (name == "fast") {
      invocation->fast = true;
    } else if (name == "remote-id") {
      if (!ParseUnsigned(value, &invocation->remote_address_id)) {
        return absl::StrCat(
            "--remote-id must be an address id (a number), "
            "not '",
            value, "'");
      }
    } else if (name == "conn") {
      if (!ParseUnsigned(value, &invocation->connection_id)) {
        return absl::StrCat("--conn must be a connection id (a number), not '",
                            value, "'");
      }
    } else if (name == "type") {
      std::optional<plait::v1::EventType> type = ParseEventType(value);
      if (!type.has_value()) {
        return absl::StrCat("unknown event type '", value,
                            "' (known: ", EventTypeNames(), ")");
      }
      invocation->event_types.push_back(*type);
    }
  }
  return "";
}

}  // namespace

std::optional<plait::v1::EventType> ParseEventType(const std::string& text) {
  std::string name =
      absl::AsciiStrToUpper(absl::StrReplaceAll(text, {{"-", "_"}}));
  if (!absl::StartsWith(name, "EVENT_TYPE_")) {
    name = absl::StrCat("EVENT_TYPE_", name);
  }
  plait::v1::EventType type;
  if (!plait::v1::EventType_Parse(name, &type) ||
      type == plait::v1::EVENT_TYPE_UNSPECIFIED) {
    return std::nullopt;
  }
  return type;
}

ParsedArgs ParseArgs(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  Invocation& invocation = parsed.invocation;
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> command_flags;
  bool help = false;
  bool only_operands = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_operands || arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_operands = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      parsed.error = absl::StrCat("unknown flag '", arg, "'");
      return parsed;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    auto known = KnownFlags().find(name);
    if (known == KnownFlags().end()) {
      parsed.error = absl::StrCat("unknown flag '--", name, "'");
      return parsed;
    }
    const bool takes_value = known->second;
    if (!takes_value && value.has_value()) {
      parsed.error = absl::StrCat("--", name, " takes no value");
      return parsed;
    }
    if (takes_value && !value.has_value()) {
      if (i + 1 == args.size()) {
        parsed.error = absl::StrCat("--", name, " needs a value");
        return parsed;
      }
      value = args[++i];
    }
    GlobalOptions& global = invocation.global;
    if (name == "api") {
      if (value->empty()) {
        parsed.error = "--api needs an address";
        return parsed;
      }
      global.api = *value;
    } else if (name == "timeout") {
      if (!absl::SimpleAtod(*value, &global.timeout_seconds) ||
          !std::isfinite(global.timeout_seconds) ||
          global.timeout_seconds <= 0) {
        parsed.error = absl::StrCat(
            "--timeout must be a positive number of seconds, not '", *value,
            "'");
        return parsed;
      }
    } else if (name == "json") {
      global.json = true;
    } else if (name == "tls-ca") {
      global.tls.ca_file = *value;
    } else if (name == "tls-cert") {
      global.tls.cert_file = *value;
    } else if (name == "tls-key") {
      global.tls.key_file = *value;
    } else if (name == "tls-server-name") {
      global.tls.server_name = *value;
    } else {
      command_flags.emplace_back(name, value.value_or(""));
    }
  }
  if (help || (!positional.empty() && positional[0] == "help")) {
    invocation.command = CommandKind::kHelp;
    return parsed;
  }
  if (positional.empty()) {
    parsed.error = "no command given";
    return parsed;
  }
  if (invocation.global.tls.cert_file.empty() !=
      invocation.global.tls.key_file.empty()) {
    parsed.error = "--tls-cert and --tls-key go together (mTLS)";
    return parsed;
  }
  const CommandSpec* spec = MatchCommand(positional);
  if (spec == nullptr) {
    parsed.error = UnknownCommandError(positional);
    return parsed;
  }
  std::vector<std::string> operands(positional.begin() + spec->words.size(),
                                    positional.end());
  parsed.error = ApplyCommand(*spec, operands, command_flags, &invocation);
  if (!parsed.error.empty()) parsed.synopsis = Synopsis(*spec);
  return parsed;
}

std::string ResolveApiAddress(const std::string& flag,
                              const char* env_plaitctl_api,
                              const std::string& fallback) {
  if (!flag.empty()) return flag;
  if (env_plaitctl_api != nullptr && env_plaitctl_api[0] != '\0') {
    return env_plaitctl_api;
  }
  return fallback;
}

absl::Status ValidateApiAddress(const std::string& address) {
  if (absl::StartsWith(address, "unix:")) {
    if (address.size() == strlen("unix:")) {
      return absl::InvalidArgumentError("unix: needs a socket path");
    }
    return absl::OkStatus();
  }
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", address, "' is not unix:PATH, HOST:PORT or [V6]:PORT"));
  }
  const std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  uint16_t port_number = 0;
  if (!ParseUnsigned(port, &port_number) || port_number == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' needs a port from 1 to 65535"));
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' needs a host before the port"));
  }
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", address, "': IPv6 addresses go in brackets"));
    }
  } else if (host.find(':') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "': write an IPv6 address as [V6]:PORT"));
  }
  return absl::OkStatus();
}

}  // namespace plait::cli
