#include "dataplane/policy/profile_config.h"

#include <memory>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/pm/registry.h"
#include "dataplane/policy/compiled_policy.h"
#include "dataplane/policy/test_policies.h"
#include "gtest/gtest.h"

namespace plait::policy {
namespace {

using ::plait::policy::testing::Ip;
using ::plait::policy::testing::kFullPolicy;
using ::plait::policy::testing::ParsePolicy;
using ::plait::policy::testing::TwoPaths;

// What plaitd builds from its flags for two paths (daemon.cc).
mptcp::MptcpConfig DaemonDefaults() {
  mptcp::MptcpConfig config;
  config.scheduler = "minrtt";
  config.tcp.congestion_control = "cubic";
  config.path_manager = "fullmesh";
  pm::Endpoint e;
  e.id = 1;
  e.address = Ip("10.0.2.1");
  e.subflow = true;
  config.path_manager_config.endpoints.push_back(e);
  config.path_manager_config.limits.max_subflows = 2;
  return config;
}

v1::Profile ProfileOf(absl::string_view policy_text, int index = 0) {
  return ParsePolicy(policy_text).profiles(index);
}

TEST(ApplyProfileTest, AnEmptyProfileChangesNothing) {
  mptcp::MptcpConfig config = DaemonDefaults();
  ApplyProfile(ProfileOf(R"pb(profiles { name: "p" })pb"), TwoPaths().paths,
               &config);
  const mptcp::MptcpConfig defaults = DaemonDefaults();
  EXPECT_EQ(config.scheduler, defaults.scheduler);
  EXPECT_EQ(config.tcp.congestion_control, defaults.tcp.congestion_control);
  EXPECT_EQ(config.path_manager, defaults.path_manager);
  EXPECT_EQ(config.path_manager_config.endpoints,
            defaults.path_manager_config.endpoints);
  EXPECT_EQ(config.path_manager_config.limits.max_subflows, 2);
  EXPECT_EQ(config.path_manager_config.limits.max_add_addr_accepted, 0);
  EXPECT_EQ(config.path_manager_config.ndiffports.subflows,
            defaults.path_manager_config.ndiffports.subflows);
  EXPECT_EQ(config.checksums, defaults.checksums);
  EXPECT_EQ(config.add_addr_timeout, defaults.add_addr_timeout);
  EXPECT_EQ(config.add_addr_retries, defaults.add_addr_retries);
}

TEST(ApplyProfileTest, SetsEverythingTheProfileSets) {
  mptcp::MptcpConfig config = DaemonDefaults();
  ApplyProfile(ProfileOf(kFullPolicy), TwoPaths().paths, &config);
  EXPECT_EQ(config.scheduler, "roundrobin");
  EXPECT_EQ(config.tcp.congestion_control, "olia");
  EXPECT_EQ(config.path_manager, "fullmesh");
  ASSERT_EQ(config.path_manager_config.endpoints.size(), 2u);
  const pm::Endpoint& first = config.path_manager_config.endpoints[0];
  EXPECT_EQ(first.id, 1);
  EXPECT_EQ(first.address, Ip("10.0.1.1"));
  EXPECT_TRUE(first.signal);
  EXPECT_FALSE(first.subflow);
  const pm::Endpoint& second = config.path_manager_config.endpoints[1];
  EXPECT_EQ(second.id, 2);
  EXPECT_EQ(second.address, Ip("10.0.2.1"));
  EXPECT_TRUE(second.subflow);
  EXPECT_TRUE(second.fullmesh);
  EXPECT_FALSE(second.backup);
  EXPECT_EQ(config.path_manager_config.limits.max_subflows, 4);
  EXPECT_EQ(config.path_manager_config.limits.max_add_addr_accepted, 2);
  EXPECT_TRUE(config.checksums);
  EXPECT_EQ(config.add_addr_timeout, Milliseconds(500));
  EXPECT_EQ(config.add_addr_retries, 5);
  EXPECT_TRUE(pm::ValidateConfig(config.path_manager_config).ok());
}

TEST(ApplyProfileTest, FalseAndZeroAreSettingsToo) {
  mptcp::MptcpConfig config = DaemonDefaults();
  config.checksums = true;
  ApplyProfile(
      ProfileOf(R"pb(profiles {
                       name: "p"
                       path_manager { limits { max_subflows: 0 } }
                       options { dss_checksums: false add_addr_retries: 0 }
                     })pb"),
      TwoPaths().paths, &config);
  EXPECT_FALSE(config.checksums);
  EXPECT_EQ(config.add_addr_retries, 0);
  EXPECT_EQ(config.path_manager_config.limits.max_subflows, 0);
}

TEST(ApplyProfileTest, BackupEndpoints) {
  mptcp::MptcpConfig config = DaemonDefaults();
  ApplyProfile(ProfileOf(R"pb(profiles {
                                name: "p"
                                path_manager {
                                  mode: "explicit"
                                  endpoints {
                                    id: 7
                                    address: "10.0.2.1"
                                    subflow: true
                                    backup: true
                                  }
                                }
                              })pb"),
               TwoPaths().paths, &config);
  EXPECT_EQ(config.path_manager, "explicit");
  ASSERT_EQ(config.path_manager_config.endpoints.size(), 1u);
  EXPECT_EQ(config.path_manager_config.endpoints[0].id, 7);
  EXPECT_TRUE(config.path_manager_config.endpoints[0].backup);
}

TEST(ApplyProfileTest, NdiffportsRaisesTheDaemonsLimitToFit) {
  mptcp::MptcpConfig config = DaemonDefaults();
  ApplyProfile(ProfileOf(kFullPolicy, 1), TwoPaths().paths, &config);
  EXPECT_EQ(config.path_manager, "ndiffports");
  EXPECT_EQ(config.path_manager_config.ndiffports.subflows, 4);
  EXPECT_EQ(config.path_manager_config.limits.max_subflows, 3);
  // The connection gets the path manager it asked for, not the fallback.
  auto manager =
      pm::CreatePathManager(config.path_manager, config.path_manager_config);
  ASSERT_TRUE(manager.ok()) << manager.status();
  EXPECT_STREQ((*manager)->name(), "ndiffports");
}

TEST(ApplyProfileTest, NdiffportsKeepsALargerDaemonLimit) {
  mptcp::MptcpConfig config = DaemonDefaults();
  config.path_manager_config.limits.max_subflows = 8;
  ApplyProfile(ProfileOf(kFullPolicy, 1), TwoPaths().paths, &config);
  EXPECT_EQ(config.path_manager_config.limits.max_subflows, 8);
}

TEST(ApplyProfileTest, LeavesOutEndpointsThatAreNotPaths) {
  // Only an unvalidated profile can have one; it must not reach the path
  // manager.
  mptcp::MptcpConfig config = DaemonDefaults();
  v1::Profile profile =
      ProfileOf(R"pb(profiles {
                       name: "p"
                       path_manager {
                         endpoints { id: 1 address: "10.9.9.9" }
                         endpoints { id: 2 address: "nonsense" }
                         endpoints { id: 3 address: "10.0.1.1" }
                       }
                     })pb");
  ApplyProfile(profile, TwoPaths().paths, &config);
  ASSERT_EQ(config.path_manager_config.endpoints.size(), 1u);
  EXPECT_EQ(config.path_manager_config.endpoints[0].id, 3);
}

TEST(ApplyProfileTest, EveryProfileOfAValidPolicyGivesAValidConfig) {
  auto compiled = CompilePolicy(ParsePolicy(kFullPolicy), TwoPaths());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  for (const v1::Profile& profile : (*compiled)->policy().profiles()) {
    mptcp::MptcpConfig config = DaemonDefaults();
    ApplyProfile(profile, TwoPaths().paths, &config);
    auto manager =
        pm::CreatePathManager(config.path_manager, config.path_manager_config);
    EXPECT_TRUE(manager.ok()) << profile.name() << ": " << manager.status();
  }
}

TEST(FallbackOfTest, ResetOnlyWhenAsked) {
  EXPECT_EQ(FallbackOf(nullptr), v1::FALLBACK_BEHAVIOUR_ALLOW);
  v1::Profile profile;
  EXPECT_EQ(FallbackOf(&profile), v1::FALLBACK_BEHAVIOUR_ALLOW);
  profile.mutable_options()->set_fallback(v1::FALLBACK_BEHAVIOUR_ALLOW);
  EXPECT_EQ(FallbackOf(&profile), v1::FALLBACK_BEHAVIOUR_ALLOW);
  profile.mutable_options()->set_fallback(v1::FALLBACK_BEHAVIOUR_RESET);
  EXPECT_EQ(FallbackOf(&profile), v1::FALLBACK_BEHAVIOUR_RESET);
}

}  // namespace
}  // namespace plait::policy
