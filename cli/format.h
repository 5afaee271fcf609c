// What plaitctl prints for each answer of the API: a human-readable form,
// or the proto's JSON mapping (--json) for scripts.
#ifndef PLAIT_CLI_FORMAT_H_
#define PLAIT_CLI_FORMAT_H_

#include <string>

#include "google/protobuf/message.h"
#include "proto/plait/v1/dataplane.pb.h"

namespace plait::cli {

// One line, no trailing newline, proto field names (bytes_sent, not
// bytesSent); fields at their defaults are left out, as the mapping says.
std::string ToJson(const google::protobuf::Message& message);

// "2026-11-30T00:37:57.123Z"; "-" for 0.
std::string FormatUnixTime(double unix_seconds);
// "3d 4h 5m 6s", "12.5s".
std::string FormatDuration(double seconds);

// Each ends with a newline.
std::string FormatStatus(const plait::v1::Status& status);
std::string FormatConnectionDetail(const plait::v1::Connection& connection);
// The policy in text format, after comment lines on its state: the output
// can be edited and given back to `policy set`.
std::string FormatPolicyState(const plait::v1::PolicyState& state);
std::string FormatSetPolicyResponse(
    const plait::v1::SetPolicyResponse& response, bool dry_run);

// One line, no trailing newline: time, sequence, type, then key=value for
// the fields the event carries.
std::string FormatEvent(const plait::v1::Event& event);

}  // namespace plait::cli

#endif  // PLAIT_CLI_FORMAT_H_
