// plaitctl's command line: global flags (anywhere on the line), then one
// command from the table in usage.h with its operands and its own flags.
#ifndef PLAIT_CLI_ARGS_H_
#define PLAIT_CLI_ARGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/invocation.h"

namespace plait::cli {

struct ParsedArgs {
  Invocation invocation;
  // Empty when the arguments are valid; else what is wrong with them.
  std::string error;
  // The synopsis of the command the error is about, when there is one.
  std::string synopsis;
};

// `args` excludes argv[0]. --api stays empty unless given (ResolveApiAddress
// fills it in), so that parsing does not depend on the environment.
ParsedArgs ParseArgs(const std::vector<std::string>& args);

// --api, else $PLAITCTL_API (when set and not empty), else `fallback`
// (DefaultApiAddress()).
std::string ResolveApiAddress(const std::string& flag,
                              const char* env_plaitctl_api,
                              const std::string& fallback);

// Accepts "unix:PATH", "HOST:PORT" and "[V6]:PORT"; anything else (a bare
// IPv6 address, a missing port) is a usage error rather than something
// gRPC would misread.
absl::Status ValidateApiAddress(const std::string& address);

// "subflow_closed", "SUBFLOW_CLOSED" or "EVENT_TYPE_SUBFLOW_CLOSED".
std::optional<plait::v1::EventType> ParseEventType(const std::string& text);

}  // namespace plait::cli

#endif  // PLAIT_CLI_ARGS_H_
