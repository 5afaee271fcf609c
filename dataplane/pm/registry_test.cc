#include "dataplane/pm/registry.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "dataplane/pm/path_manager.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::pm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RegistryTest, Names) {
  EXPECT_THAT(PathManagerNames(),
              ElementsAre("fullmesh", "ndiffports", "explicit"));
}

TEST(RegistryTest, CreatesEachByName) {
  for (const std::string& name : PathManagerNames()) {
    auto pm = CreatePathManager(name, PathManagerConfig{});
    ASSERT_TRUE(pm.ok()) << name << ": " << pm.status();
    EXPECT_EQ((*pm)->name(), name);
    EXPECT_EQ((*pm)->next_deadline(), kNever);
  }
}

TEST(RegistryTest, UnknownNameListsKnownOnes) {
  auto pm = CreatePathManager("binder", PathManagerConfig{});
  EXPECT_EQ(pm.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pm.status().message(), HasSubstr("\"binder\""));
  EXPECT_THAT(pm.status().message(),
              HasSubstr("known: fullmesh, ndiffports, explicit"));
  EXPECT_FALSE(CreatePathManager("Fullmesh", PathManagerConfig{}).ok());
}

TEST(RegistryTest, InvalidConfigRejected) {
  PathManagerConfig config;
  config.limits.max_subflows = 9;
  auto pm = CreatePathManager("fullmesh", config);
  EXPECT_EQ(pm.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pm.status().message(), HasSubstr("limits.max_subflows"));
}

}  // namespace
}  // namespace plait::pm
