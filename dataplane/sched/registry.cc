#include "dataplane/sched/registry.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "dataplane/sched/blest.h"
#include "dataplane/sched/ecf.h"
#include "dataplane/sched/minrtt.h"
#include "dataplane/sched/redundant.h"
#include "dataplane/sched/round_robin.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {
namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Scheduler> (*create)();
};

template <typename T>
std::unique_ptr<Scheduler> Make() {
  return std::make_unique<T>();
}

// One line per algorithm.
constexpr Entry kSchedulers[] = {
    {"minrtt", &Make<MinRttScheduler>},
    {"roundrobin", &Make<RoundRobinScheduler>},
    {"redundant", &Make<RedundantScheduler>},
    {"blest", &Make<BlestScheduler>},
    {"ecf", &Make<EcfScheduler>},
};

}  // namespace

absl::StatusOr<std::unique_ptr<Scheduler>> CreateScheduler(
    absl::string_view name) {
  for (const Entry& entry : kSchedulers) {
    if (name == entry.name) return entry.create();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown scheduler \"", name,
                   "\"; known: ", absl::StrJoin(SchedulerNames(), ", ")));
}

std::vector<std::string> SchedulerNames() {
  std::vector<std::string> names;
  for (const Entry& entry : kSchedulers) names.emplace_back(entry.name);
  return names;
}

}  // namespace plait::sched
