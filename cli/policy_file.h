// Policy files for `policy set` and `policy validate`: protobuf text format
// or JSON, told apart by the extension, with errors a person can act on
// ("policy.txtpb:3:7: Expected ...").
#ifndef PLAIT_CLI_POLICY_FILE_H_
#define PLAIT_CLI_POLICY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/plait/v1/policy.pb.h"

namespace plait::cli {

// .txtpb, .textproto or .pbtxt: text format; .json: the proto's JSON
// mapping. Errors (unreadable, unknown extension, syntax, unknown field)
// are InvalidArgument and name the file, and the line where there is one.
absl::StatusOr<plait::v1::Policy> LoadPolicyFile(const std::string& path);

// The same from text already read; `path` names it in errors and picks
// the format.
absl::StatusOr<plait::v1::Policy> ParsePolicy(const std::string& path,
                                              const std::string& contents);

}  // namespace plait::cli

#endif  // PLAIT_CLI_POLICY_FILE_H_
