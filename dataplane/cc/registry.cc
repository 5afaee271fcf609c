#include "dataplane/cc/registry.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "dataplane/cc/balia.h"
#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_group.h"
#include "dataplane/cc/cubic.h"
#include "dataplane/cc/lia.h"
#include "dataplane/cc/olia.h"
#include "dataplane/cc/reno.h"

namespace plait::cc {
namespace {

struct Entry {
  const char* name;
  bool coupled;
  std::unique_ptr<CongestionControl> (*create)(
      uint64_t mss, uint64_t initial_window_segments,
      std::shared_ptr<CouplingGroup> group);
};

template <typename T>
std::unique_ptr<CongestionControl> Make(uint64_t mss,
                                        uint64_t initial_window_segments,
                                        std::shared_ptr<CouplingGroup> group) {
  return std::make_unique<T>(mss, initial_window_segments);
}

template <typename T>
std::unique_ptr<CongestionControl> MakeCoupled(
    uint64_t mss, uint64_t initial_window_segments,
    std::shared_ptr<CouplingGroup> group) {
  return std::make_unique<T>(std::move(group), mss, initial_window_segments);
}

// One line per algorithm.
constexpr Entry kAlgorithms[] = {
    {"reno", false, &Make<NewReno>},      {"cubic", false, &Make<Cubic>},
    {"lia", true, &MakeCoupled<Lia>},     {"olia", true, &MakeCoupled<Olia>},
    {"balia", true, &MakeCoupled<Balia>},
};

}  // namespace

absl::StatusOr<std::unique_ptr<CongestionControl>> CreateCongestionControl(
    absl::string_view name, uint64_t mss, uint64_t initial_window_segments,
    std::shared_ptr<CouplingGroup> group) {
  if (mss == 0) {
    return absl::InvalidArgumentError("congestion control: mss must be > 0");
  }
  if (initial_window_segments == 0) {
    return absl::InvalidArgumentError(
        "congestion control: initial window must be >= 1 segment");
  }
  for (const Entry& entry : kAlgorithms) {
    if (name != entry.name) continue;
    if (entry.coupled && group == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "congestion control \"", name,
          "\" is a coupled MPTCP algorithm and needs the connection's "
          "CouplingGroup; none was given"));
    }
    return entry.create(mss, initial_window_segments, std::move(group));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown congestion control \"", name,
      "\"; known: ", absl::StrJoin(CongestionControlNames(), ", ")));
}

bool IsCoupled(absl::string_view name) {
  for (const Entry& entry : kAlgorithms) {
    if (name == entry.name) return entry.coupled;
  }
  return false;
}

std::vector<std::string> CongestionControlNames() {
  std::vector<std::string> names;
  for (const Entry& entry : kAlgorithms) names.emplace_back(entry.name);
  return names;
}

}  // namespace plait::cc
