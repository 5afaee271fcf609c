#include "cli/app.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/channel.h"
#include "cli/exit_codes.h"
#include "cli/usage.h"

namespace plait::cli {
namespace {

int UsageError(std::ostream& err, const std::string& message,
               const std::string& synopsis) {
  err << "plaitctl: " << message << "\n";
  if (!synopsis.empty()) err << "usage: " << synopsis << "\n";
  err << "Run 'plaitctl --help' for every command and flag.\n";
  return kExitUsage;
}

}  // namespace

int RunPlaitctl(const std::vector<std::string>& args,
                const Environment& environment, std::ostream& out,
                std::ostream& err, CallCanceller* canceller) {
  ParsedArgs parsed = ParseArgs(args);
  if (!parsed.error.empty()) {
    return UsageError(err, parsed.error, parsed.synopsis);
  }
  Invocation& invocation = parsed.invocation;
  if (invocation.command == CommandKind::kHelp) {
    out << UsageText();
    return kExitOk;
  }
  GlobalOptions& global = invocation.global;
  global.api = ResolveApiAddress(global.api, environment.plaitctl_api,
                                 environment.default_api);
  if (absl::Status valid = ValidateApiAddress(global.api); !valid.ok()) {
    return UsageError(err, absl::StrCat("--api: ", valid.message()), "");
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(global);
  if (!channel.ok()) {
    return UsageError(err, std::string(channel.status().message()), "");
  }
  std::unique_ptr<plait::v1::DataplaneService::Stub> stub =
      plait::v1::DataplaneService::NewStub(*channel);
  Commands commands(stub.get(), global, out, err, canceller);
  return commands.Run(invocation);
}

}  // namespace plait::cli
