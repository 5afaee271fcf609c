// plaitctl from its arguments to its exit status: parse, connect, run the
// command. main() only adds the process around it (signals, real streams),
// so tests drive the whole tool through this function.
#ifndef PLAIT_CLI_APP_H_
#define PLAIT_CLI_APP_H_

#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace plait::cli {

// What plaitctl reads from its environment, passed in so that tests do not
// depend on who runs them.
struct Environment {
  // $PLAITCTL_API, or null.
  const char* plaitctl_api = nullptr;
  // DefaultApiAddress().
  std::string default_api;
};

// `args` excludes argv[0]. Returns the exit status (exit_codes.h).
int RunPlaitctl(const std::vector<std::string>& args,
                const Environment& environment, std::ostream& out,
                std::ostream& err, CallCanceller* canceller = nullptr);

}  // namespace plait::cli

#endif  // PLAIT_CLI_APP_H_
