#include "dataplane/cc/registry.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/cubic.h"
#include "dataplane/cc/reno.h"

namespace plait::cc {
namespace {

struct Entry {
  const char* name;
  std::unique_ptr<CongestionControl> (*create)(
      uint64_t mss, uint64_t initial_window_segments);
};

template <typename T>
std::unique_ptr<CongestionControl> Make(uint64_t mss,
                                        uint64_t initial_window_segments) {
  return std::make_unique<T>(mss, initial_window_segments);
}

// One line per algorithm. The coupled MPTCP ones (lia, olia, balia) go here.
constexpr Entry kAlgorithms[] = {
    {"reno", &Make<NewReno>},
    {"cubic", &Make<Cubic>},
};

}  // namespace

absl::StatusOr<std::unique_ptr<CongestionControl>> CreateCongestionControl(
    absl::string_view name, uint64_t mss, uint64_t initial_window_segments) {
  if (mss == 0) {
    return absl::InvalidArgumentError("congestion control: mss must be > 0");
  }
  if (initial_window_segments == 0) {
    return absl::InvalidArgumentError(
        "congestion control: initial window must be >= 1 segment");
  }
  for (const Entry& entry : kAlgorithms) {
    if (name == entry.name) return entry.create(mss, initial_window_segments);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown congestion control \"", name,
      "\"; known: ", absl::StrJoin(CongestionControlNames(), ", ")));
}

std::vector<std::string> CongestionControlNames() {
  std::vector<std::string> names;
  for (const Entry& entry : kAlgorithms) names.emplace_back(entry.name);
  return names;
}

}  // namespace plait::cc
