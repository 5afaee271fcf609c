// Completion times of every MPTCP scheduler over heterogeneous paths (the
// topology of sim/scenarios/mptcp_heterogeneous.textproto: 20 Mbit/s with
// 10 ms one way, and 10 Mbit/s with 60 ms one way, 1-BDP queues, LIA), for
// transfers of 64 KB to 1 MB, across seeds. Prints a table of the mean, p50
// and p90 completion time per scheduler and size, and asserts that every
// transfer is intact and that blest and ecf are, averaged over the seeds,
// no slower than minrtt at each size.
//
// Randomness: the links get a uniform jitter (FIFO kept) of up to 1 ms on
// the 10 ms path and up to 3 ms on the 60 ms path, in both directions, so
// that each seed sees different arrival times (and ISNs and keys). There is
// no random loss: a loss is an event of the link's random stream, and since
// each scheduler puts different packets on each path, one scheduler's run
// would meet a loss (possibly a 200 ms timeout) that another's does not;
// the means would then compare loss luck, not scheduling. Losses still
// happen where they matter: slow start overflows the 1-BDP queues.
//
// Deterministic: the simulator runs on virtual time; nothing here measures
// the machine.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"
#include "sim/scenario_runner.h"

namespace plait::sim {
namespace {

constexpr uint64_t kSizes[] = {64 << 10, 128 << 10, 256 << 10, 512 << 10,
                               1 << 20};
const char* const kSchedulers[] = {"minrtt", "roundrobin", "redundant", "blest",
                                   "ecf"};
constexpr int kSeeds = 20;

v1::Scenario LoadHeterogeneous() {
  const std::string path = "sim/scenarios/mptcp_heterogeneous.textproto";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  auto scenario = ParseScenario(text.str(), path);
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  return scenario.ok() ? *scenario : v1::Scenario{};
}

// One transfer of `bytes` with `scheduler`.
v1::Scenario Transfer(const v1::Scenario& base, uint64_t bytes,
                      const std::string& scheduler) {
  v1::Scenario s = base;
  s.set_stop_s(30);
  s.set_warmup_s(0);
  for (v1::Link& link : *s.mutable_links()) {
    if (link.name() == "path1") link.mutable_a_to_b()->set_jitter_ms(1);
    if (link.name() == "path2") link.mutable_a_to_b()->set_jitter_ms(3);
  }
  v1::Flow& flow = *s.mutable_flows(0);
  flow.set_duration_s(0);
  flow.set_bytes(bytes);
  flow.mutable_mptcp()->set_scheduler(scheduler);
  return s;
}

struct Runs {
  std::vector<double> seconds;  // one completion time per seed
  uint64_t second_path_bytes = 0;
  uint64_t timeouts = 0;

  double Mean() const {
    double sum = 0;
    for (double s : seconds) sum += s;
    return seconds.empty() ? 0 : sum / seconds.size();
  }
  // Nearest rank.
  double Percentile(int p) const {
    if (seconds.empty()) return 0;
    std::vector<double> sorted = seconds;
    std::sort(sorted.begin(), sorted.end());
    const size_t rank = (p * sorted.size() + 99) / 100;
    return sorted[std::max<size_t>(rank, 1) - 1];
  }
};

std::string SizeName(uint64_t bytes) {
  return bytes >= (1 << 20) ? absl::StrCat(bytes >> 20, " MB")
                            : absl::StrCat(bytes >> 10, " KB");
}

TEST(SchedulerCompletionTest, BlestAndEcfNoSlowerThanMinRttOnAverage) {
  const v1::Scenario base = LoadHeterogeneous();
  ASSERT_EQ(base.flows_size(), 1);
  // (size, scheduler) -> runs.
  std::map<std::pair<uint64_t, std::string>, Runs> results;
  for (uint64_t bytes : kSizes) {
    for (const char* scheduler : kSchedulers) {
      const v1::Scenario scenario = Transfer(base, bytes, scheduler);
      Runs& runs = results[{bytes, scheduler}];
      for (int seed = 1; seed <= kSeeds; ++seed) {
        SCOPED_TRACE(
            absl::StrCat(SizeName(bytes), " ", scheduler, " seed ", seed));
        RunOptions options;
        options.seed = seed;
        auto result = RunScenario(scenario, options);
        ASSERT_TRUE(result.ok()) << result.status();
        ASSERT_EQ(result->report.flows.size(), 1u);
        const FlowReport& f = result->report.flows[0];
        ASSERT_TRUE(f.completed);
        ASSERT_TRUE(f.intact);
        ASSERT_EQ(f.bytes_delivered, bytes);
        EXPECT_FALSE(f.fallback);
        runs.seconds.push_back(f.completion_time_s);
        runs.timeouts += f.rto_count;
        if (f.subflows.size() > 1) {
          runs.second_path_bytes += f.subflows[1].bytes_acked;
        }
      }
    }
  }

  std::string table = absl::StrFormat(
      "completion time in ms over %d seeds (mean / p50 / p90; share of "
      "bytes acked on the 60 ms path; RTOs over all seeds)\n",
      kSeeds);
  absl::StrAppendFormat(&table, "%-7s", "size");
  for (const char* scheduler : kSchedulers) {
    absl::StrAppendFormat(&table, " | %-27s", scheduler);
  }
  table += "\n";
  for (uint64_t bytes : kSizes) {
    absl::StrAppendFormat(&table, "%-7s", SizeName(bytes));
    for (const char* scheduler : kSchedulers) {
      const Runs& runs = results[{bytes, scheduler}];
      const double share =
          static_cast<double>(runs.second_path_bytes) / (bytes * kSeeds);
      absl::StrAppendFormat(&table, " | %5.1f/%5.1f/%5.1f %3.0f%% %2d",
                            runs.Mean() * 1e3, runs.Percentile(50) * 1e3,
                            runs.Percentile(90) * 1e3, share * 100,
                            runs.timeouts);
    }
    table += "\n";
  }
  std::printf("%s", table.c_str());

  // No tolerance: the schedulers are deterministic functions of the same
  // inputs, and each mean is over the same seeds.
  for (uint64_t bytes : kSizes) {
    const double minrtt = results[{bytes, "minrtt"}].Mean();
    for (const char* scheduler : {"blest", "ecf"}) {
      const double mean = results[{bytes, scheduler}].Mean();
      EXPECT_LE(mean, minrtt) << scheduler << " at " << SizeName(bytes) << "\n"
                              << table;
    }
  }
}

}  // namespace
}  // namespace plait::sim
