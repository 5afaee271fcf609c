// Runs one scenario: builds its network (hosts, routers, links with their
// impairments, middleboxes), starts its flows over the TCP engine, applies
// its link events, and reports what happened. Deterministic: the same
// scenario and seed give the same report, byte for byte.
#ifndef PLAIT_SIM_SCENARIO_RUNNER_H_
#define PLAIT_SIM_SCENARIO_RUNNER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/plait/v1/scenario.pb.h"
#include "sim/report.h"

namespace plait::sim {

struct RunOptions {
  std::optional<uint64_t> seed;  // overrides the scenario's
  bool capture = false;          // record every link direction as pcap
};

struct RunResult {
  ScenarioReport report;
  // File name ("<link>_<from>_to_<to>.pcap") and pcap bytes, when captured.
  std::vector<std::pair<std::string, std::string>> captures;
};

// The scenario must have passed ParseScenario's checks.
absl::StatusOr<RunResult> RunScenario(const v1::Scenario& scenario,
                                      const RunOptions& options = {});

}  // namespace plait::sim

#endif  // PLAIT_SIM_SCENARIO_RUNNER_H_
