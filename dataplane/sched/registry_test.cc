#include "dataplane/sched/registry.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/sched/scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::sched {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SchedulerRegistryTest, Names) {
  EXPECT_THAT(SchedulerNames(),
              ElementsAre("minrtt", "roundrobin", "redundant", "blest", "ecf"));
}

TEST(SchedulerRegistryTest, CreatesEachByName) {
  for (const std::string& name : SchedulerNames()) {
    auto scheduler = CreateScheduler(name);
    ASSERT_TRUE(scheduler.ok()) << scheduler.status();
    ASSERT_NE(*scheduler, nullptr);
    EXPECT_EQ((*scheduler)->name(), name);
    // Each call gives a distinct object (one per connection).
    auto other = CreateScheduler(name);
    ASSERT_TRUE(other.ok());
    EXPECT_NE(scheduler->get(), other->get());
  }
}

TEST(SchedulerRegistryTest, DefaultIsMinRtt) {
  auto scheduler = CreateScheduler(kDefaultScheduler);
  ASSERT_TRUE(scheduler.ok());
  EXPECT_STREQ((*scheduler)->name(), "minrtt");
}

TEST(SchedulerRegistryTest, RejectsUnknownNameListingKnownOnes) {
  auto scheduler = CreateScheduler("foo");
  ASSERT_FALSE(scheduler.ok());
  EXPECT_EQ(scheduler.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(scheduler.status().message(), HasSubstr("\"foo\""));
  EXPECT_THAT(scheduler.status().message(),
              HasSubstr("known: minrtt, roundrobin, redundant, blest, ecf"));
  EXPECT_FALSE(CreateScheduler("MinRTT").ok());
  EXPECT_FALSE(CreateScheduler("default").ok());
  EXPECT_FALSE(CreateScheduler("").ok());
}

}  // namespace
}  // namespace plait::sched
