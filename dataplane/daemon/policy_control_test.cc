#include "dataplane/daemon/policy_control.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "dataplane/policy/policy_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace plait::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

wire::IpAddress Ip(const char* text) { return *wire::IpAddress::Parse(text); }

v1::Policy Parse(const std::string& text) {
  v1::Policy policy;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &policy));
  return policy;
}

constexpr char kBulkToWeb[] = R"pb(
  profiles {
    name: "bulk"
    scheduler { name: "roundrobin" }
    congestion_control { name: "olia" }
    options { fallback: FALLBACK_BEHAVIOUR_RESET fast_close_on_close: true }
  }
  rules {
    name: "web"
    match { destination_ports { first: 80 } }
    profile: "bulk"
  }
)pb";

std::string TempDir() {
  std::string base = getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp";
  std::string dir = base + "/policy_control_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir;
}

struct Recorded {
  std::vector<std::string> applied;
  std::vector<std::string> refused;
};

PolicyControl Make(Recorded* recorded) {
  mptcp::MptcpConfig defaults;
  defaults.scheduler = "minrtt";
  defaults.tcp.congestion_control = "cubic";
  PolicyControl::Hooks hooks;
  hooks.unix_now = [] { return 1700000000.0; };
  hooks.on_applied = [recorded](const std::string& v) {
    recorded->applied.push_back(v);
  };
  hooks.on_refused = [recorded](const std::string& r) {
    recorded->refused.push_back(r);
  };
  return PolicyControl(defaults, {Ip("10.0.1.1"), Ip("10.0.2.1")},
                       {{"zone", "edge"}}, hooks);
}

proxy::TcpAddress Target(const char* ip, uint16_t port) {
  return proxy::TcpAddress{Ip(ip), port};
}

TEST(PolicyControlTest, WithoutAPolicyEveryConnectionGetsTheDefaults) {
  Recorded r;
  PolicyControl control = Make(&r);
  proxy::ConnectionPlan plan = control.Plan("forward:127.0.0.1:8080",
                                            Target("10.9.0.1", 80));
  EXPECT_EQ(plan.config.scheduler, "minrtt");
  EXPECT_EQ(plan.rule, "");
  EXPECT_EQ(plan.profile, "");
  EXPECT_EQ(control.generation(), 0u);
}

TEST(PolicyControlTest, AnAppliedPolicyChoosesByRule) {
  Recorded r;
  PolicyControl control = Make(&r);
  auto set = control.Set(Parse(kBulkToWeb), /*dry_run=*/false);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->applied());
  EXPECT_EQ(set->generation(), 1u);
  EXPECT_EQ(set->version(), "gen-1");
  EXPECT_THAT(r.applied, ::testing::ElementsAre("gen-1"));
  proxy::ConnectionPlan web =
      control.Plan("forward:x", Target("10.9.0.1", 80));
  EXPECT_EQ(web.rule, "web");
  EXPECT_EQ(web.profile, "bulk");
  EXPECT_EQ(web.config.scheduler, "roundrobin");
  EXPECT_EQ(web.config.tcp.congestion_control, "olia");
  EXPECT_TRUE(web.reset_on_fallback);
  EXPECT_TRUE(web.fast_close_on_close);
  proxy::ConnectionPlan other =
      control.Plan("forward:x", Target("10.9.0.1", 443));
  EXPECT_EQ(other.config.scheduler, "minrtt");
  EXPECT_FALSE(other.reset_on_fallback);
  EXPECT_FALSE(other.fast_close_on_close);
}

TEST(PolicyControlTest, ARefusedPolicyLeavesTheOldOneInForce) {
  Recorded r;
  PolicyControl control = Make(&r);
  ASSERT_TRUE(control.Set(Parse(kBulkToWeb), false).ok());
  v1::Policy bad = Parse(kBulkToWeb);
  bad.mutable_rules(0)->set_profile("nope");
  auto refused = control.Set(bad, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              StartsWith("policy.rules[0].profile: "));
  EXPECT_EQ(control.generation(), 1u);
  EXPECT_EQ(control.refusals(), 1u);
  EXPECT_THAT(control.State().last_refusal(), HasSubstr("nope"));
  EXPECT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(control.Plan("forward:x", Target("10.9.0.1", 80)).profile,
            "bulk");
}

TEST(PolicyControlTest, DryRunAndValidateChangeNothing) {
  Recorded r;
  PolicyControl control = Make(&r);
  auto dry = control.Set(Parse(kBulkToWeb), /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  EXPECT_FALSE(dry->applied());
  // What it would get: the next generation, named after it.
  EXPECT_EQ(dry->generation(), 1u);
  EXPECT_EQ(dry->version(), "gen-1");
  EXPECT_EQ(control.generation(), 0u);
  EXPECT_TRUE(r.applied.empty());
  v1::Policy bad = Parse(kBulkToWeb);
  bad.mutable_profiles(0)->mutable_scheduler()->set_name("fastest");
  EXPECT_FALSE(control.Set(bad, /*dry_run=*/true).ok());
  EXPECT_EQ(control.refusals(), 0u);  // a dry run refuses nothing in force
  EXPECT_THAT(std::string(control.Validate(bad).message()),
              StartsWith("policy.profiles[0].scheduler.name: "));
}

TEST(PolicyControlTest, TheStateDirBringsThePolicyBack) {
  const std::string dir = TempDir();
  {
    Recorded r;
    PolicyControl control = Make(&r);
    ASSERT_TRUE(control.LoadState(dir).ok());
    v1::Policy policy = Parse(kBulkToWeb);
    policy.set_version("rev-9");
    ASSERT_TRUE(control.Set(policy, false).ok());
  }
  Recorded r;
  PolicyControl restarted = Make(&r);
  ASSERT_TRUE(restarted.LoadState(dir).ok());
  EXPECT_EQ(restarted.generation(), 1u);
  EXPECT_EQ(restarted.version(), "rev-9");
  EXPECT_THAT(r.applied, ::testing::ElementsAre("rev-9"));
  EXPECT_EQ(restarted.Plan("forward:x", Target("10.9.0.1", 80)).profile,
            "bulk");
  EXPECT_EQ(restarted.State().applied_unix_seconds(), 1700000000.0);
}

TEST(PolicyControlTest, ACorruptStateFileIsSetAsideAndTheDefaultsRun) {
  const std::string dir = TempDir();
  std::ofstream(dir + "/" + policy::kPolicyFileName) << "not a policy at all";
  Recorded r;
  PolicyControl control = Make(&r);
  ASSERT_TRUE(control.LoadState(dir).ok());
  EXPECT_EQ(control.generation(), 0u);
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_THAT(r.refused[0], HasSubstr("set aside as"));
  EXPECT_THAT(control.State().last_refusal(), HasSubstr(".corrupt-"));
  struct stat st;
  EXPECT_NE(stat((dir + "/" + policy::kPolicyFileName).c_str(), &st), 0);
  // The daemon still takes a new policy, and persists it.
  ASSERT_TRUE(control.Set(Parse(kBulkToWeb), false).ok());
  EXPECT_EQ(stat((dir + "/" + policy::kPolicyFileName).c_str(), &st), 0);
}

TEST(PolicyControlTest, APolicyThatCannotBePersistedIsNotApplied) {
  const std::string dir = TempDir();
  Recorded r;
  PolicyControl control = Make(&r);
  ASSERT_TRUE(control.LoadState(dir).ok());
  // The state directory becomes unusable (a file where it was).
  ASSERT_EQ(rmdir(dir.c_str()), 0);
  std::ofstream(dir) << "x";
  auto set = control.Set(Parse(kBulkToWeb), false);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(set.status().message()), HasSubstr("could not be persisted"));
  EXPECT_EQ(control.generation(), 0u);
  EXPECT_EQ(control.refusals(), 1u);
  EXPECT_EQ(control.Plan("forward:x", Target("10.9.0.1", 80)).profile, "");
}

}  // namespace
}  // namespace plait::daemon
