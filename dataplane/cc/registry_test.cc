#include "dataplane/cc/registry.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/cc/congestion_control.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::cc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RegistryTest, Names) {
  EXPECT_THAT(CongestionControlNames(), ElementsAre("reno", "cubic"));
}

TEST(RegistryTest, CreatesEachByName) {
  for (const std::string& name : CongestionControlNames()) {
    auto cc = CreateCongestionControl(name, 1460);
    ASSERT_TRUE(cc.ok()) << cc.status();
    EXPECT_EQ((*cc)->name(), name);
    EXPECT_EQ((*cc)->congestion_window(), 14600u);
  }
}

TEST(RegistryTest, PassesMssAndInitialWindow) {
  auto reno = CreateCongestionControl("reno", 1000, 4);
  ASSERT_TRUE(reno.ok());
  EXPECT_STREQ((*reno)->name(), "reno");
  EXPECT_EQ((*reno)->congestion_window(), 4000u);
  auto cubic = CreateCongestionControl("cubic", 1200, 3);
  ASSERT_TRUE(cubic.ok());
  EXPECT_STREQ((*cubic)->name(), "cubic");
  EXPECT_EQ((*cubic)->congestion_window(), 3600u);
  // The objects are the real algorithms: Cubic keeps 70 %, Reno half.
  (*cubic)->OnCongestionEvent(Time(), 3600);
  EXPECT_EQ((*cubic)->congestion_window(), 2520u);
  (*reno)->OnCongestionEvent(Time(), 4000);
  EXPECT_EQ((*reno)->congestion_window(), 2000u);
}

TEST(RegistryTest, RejectsUnknownNameListingKnownOnes) {
  auto cc = CreateCongestionControl("bbr", 1460);
  ASSERT_FALSE(cc.ok());
  EXPECT_EQ(cc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cc.status().message(), HasSubstr("\"bbr\""));
  EXPECT_THAT(cc.status().message(), HasSubstr("known: reno, cubic"));
  EXPECT_FALSE(CreateCongestionControl("Cubic", 1460).ok());
  EXPECT_FALSE(CreateCongestionControl("", 1460).ok());
}

TEST(RegistryTest, RejectsZeroMssOrWindow) {
  EXPECT_EQ(CreateCongestionControl("reno", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateCongestionControl("cubic", 1460, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plait::cc
