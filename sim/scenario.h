// Reading scenario files: protobuf text format (schema in
// proto/plait/v1/scenario.proto), checked field by field. Every error names
// the file, the line and the field, e.g.
//   lossy.textproto:14: links[1].a_to_b.loss: 1.5 is not a probability
#ifndef PLAIT_SIM_SCENARIO_H_
#define PLAIT_SIM_SCENARIO_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/plait/v1/scenario.pb.h"

namespace plait::sim {

// Parses and validates. `filename` is only used in messages.
absl::StatusOr<v1::Scenario> ParseScenario(absl::string_view text,
                                           absl::string_view filename);

// Defaults that validation allows to be left out.
inline constexpr uint32_t kDefaultServerPort = 5201;
inline constexpr char kDefaultCongestionControl[] = "cubic";

}  // namespace plait::sim

#endif  // PLAIT_SIM_SCENARIO_H_
