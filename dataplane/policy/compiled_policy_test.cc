#include "dataplane/policy/compiled_policy.h"

#include <memory>

#include "absl/status/status.h"
#include "dataplane/policy/test_policies.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::policy {
namespace {

using ::plait::policy::testing::Ip;
using ::plait::policy::testing::kFullPolicy;
using ::plait::policy::testing::ParsePolicy;
using ::plait::policy::testing::TwoPaths;

std::shared_ptr<const CompiledPolicy> Compile(absl::string_view text) {
  auto compiled = CompilePolicy(ParsePolicy(text), TwoPaths());
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return compiled.value_or(nullptr);
}

ConnectionFacts Facts(absl::string_view destination, uint16_t port,
                      absl::string_view listener = "forward:10.0.1.1:8080") {
  return ConnectionFacts{.destination = Ip(destination),
                         .destination_port = port,
                         .listener = std::string(listener)};
}

// The selected profile's name, "" for none.
std::string ProfileOf(const Selection& selection) {
  return selection.profile == nullptr ? "" : selection.profile->name();
}

TEST(CompiledPolicyTest, RefusesAnInvalidPolicyWithTheValidatorsMessage) {
  auto compiled =
      CompilePolicy(ParsePolicy(R"pb(rules { name: "r" })pb"), TwoPaths());
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(compiled.status().message()),
              ::testing::StartsWith("rules[0].profile: empty"));
}

TEST(CompiledPolicyTest, KeepsThePolicy) {
  auto compiled = Compile(kFullPolicy);
  ASSERT_NE(compiled, nullptr);
  EXPECT_EQ(compiled->policy().SerializeAsString(),
            ParsePolicy(kFullPolicy).SerializeAsString());
  ASSERT_NE(compiled->FindProfile("bulk"), nullptr);
  EXPECT_EQ(compiled->FindProfile("bulk")->scheduler().name(), "roundrobin");
  EXPECT_EQ(compiled->FindProfile("nope"), nullptr);
}

TEST(CompiledPolicyTest, EmptyPolicySelectsTheDaemonDefaults) {
  auto compiled = Compile("");
  ASSERT_NE(compiled, nullptr);
  const Selection s = compiled->Select(Facts("10.1.0.1", 80), {});
  EXPECT_EQ(s.profile, nullptr);
  EXPECT_EQ(s.rule, "");
}

TEST(CompiledPolicyTest, NoRuleMatchingTakesTheDefaultProfile) {
  auto compiled = Compile(R"pb(
    profiles { name: "a" }
    profiles { name: "d" }
    rules {
      name: "r"
      match { destination_ports { first: 22 } }
      profile: "a"
    }
    default_profile: "d"
  )pb");
  ASSERT_NE(compiled, nullptr);
  const Selection s = compiled->Select(Facts("10.1.0.1", 80), {});
  EXPECT_EQ(ProfileOf(s), "d");
  EXPECT_EQ(s.rule, "");
  // The selection points into the compiled policy.
  EXPECT_EQ(s.profile, &compiled->policy().profiles(1));
}

TEST(CompiledPolicyTest, NoRuleMatchingAndNoDefaultSelectsNothing) {
  auto compiled = Compile(R"pb(
    profiles { name: "a" }
    rules {
      name: "r"
      match { destination_ports { first: 22 } }
      profile: "a"
    }
  )pb");
  ASSERT_NE(compiled, nullptr);
  EXPECT_EQ(compiled->Select(Facts("10.1.0.1", 80), {}).profile, nullptr);
  EXPECT_EQ(ProfileOf(compiled->Select(Facts("10.1.0.1", 22), {})), "a");
}

TEST(CompiledPolicyTest, FirstMatchingRuleWins) {
  auto compiled = Compile(R"pb(
    profiles { name: "a" }
    profiles { name: "b" }
    profiles { name: "c" }
    rules {
      name: "ssh"
      match { destination_ports { first: 22 } }
      profile: "a"
    }
    rules {
      name: "lan"
      match { destination_prefixes: "10.0.0.0/8" }
      profile: "b"
    }
    rules { name: "all" profile: "c" }
    rules { name: "never" profile: "a" }
  )pb");
  ASSERT_NE(compiled, nullptr);
  Selection s = compiled->Select(Facts("10.1.0.1", 22), {});
  EXPECT_EQ(ProfileOf(s), "a");
  EXPECT_EQ(s.rule, "ssh");
  s = compiled->Select(Facts("10.1.0.1", 80), {});
  EXPECT_EQ(ProfileOf(s), "b");
  EXPECT_EQ(s.rule, "lan");
  s = compiled->Select(Facts("192.0.2.1", 80), {});
  EXPECT_EQ(ProfileOf(s), "c");
  EXPECT_EQ(s.rule, "all");
}

TEST(CompiledPolicyTest, PrefixesOfBothFamilies) {
  auto compiled = Compile(R"pb(
    profiles { name: "p" }
    rules {
      name: "r"
      match {
        destination_prefixes: "10.1.0.0/16"
        destination_prefixes: "2001:db8::/32"
      }
      profile: "p"
    }
  )pb");
  ASSERT_NE(compiled, nullptr);
  EXPECT_EQ(compiled->Select(Facts("10.1.2.3", 1), {}).rule, "r");
  EXPECT_EQ(compiled->Select(Facts("10.2.0.1", 1), {}).rule, "");
  EXPECT_EQ(compiled->Select(Facts("2001:db8:1::5", 1), {}).rule, "r");
  EXPECT_EQ(compiled->Select(Facts("2001:db9::5", 1), {}).rule, "");
  // An IPv4 destination never falls in an IPv6 prefix, nor the reverse.
  EXPECT_EQ(compiled->Select(Facts("::ffff:10.1.2.3", 1), {}).rule, "");
}

TEST(CompiledPolicyTest, PortRanges) {
  auto compiled = Compile(R"pb(
    profiles { name: "p" }
    rules {
      name: "r"
      match {
        destination_ports { first: 80 }
        destination_ports { first: 8000 last: 8999 }
        destination_ports { first: 65535 last: 65535 }
      }
      profile: "p"
    }
  )pb");
  ASSERT_NE(compiled, nullptr);
  for (uint16_t port : {80, 8000, 8500, 8999, 65535}) {
    EXPECT_EQ(compiled->Select(Facts("10.0.0.1", port), {}).rule, "r") << port;
  }
  for (uint16_t port : {0, 79, 81, 7999, 9000, 65534}) {
    EXPECT_EQ(compiled->Select(Facts("10.0.0.1", port), {}).rule, "") << port;
  }
}

TEST(CompiledPolicyTest, Listeners) {
  auto compiled = Compile(R"pb(
    profiles { name: "p" }
    rules {
      name: "r"
      match { listeners: "serve:8080" listeners: "transparent:0.0.0.0:443" }
      profile: "p"
    }
  )pb");
  ASSERT_NE(compiled, nullptr);
  EXPECT_EQ(compiled->Select(Facts("10.0.0.1", 1, "serve:8080"), {}).rule, "r");
  EXPECT_EQ(
      compiled->Select(Facts("10.0.0.1", 1, "transparent:0.0.0.0:443"), {})
          .rule,
      "r");
  EXPECT_EQ(compiled->Select(Facts("10.0.0.1", 1, "serve:808"), {}).rule, "");
  EXPECT_EQ(compiled->Select(Facts("10.0.0.1", 1, ""), {}).rule, "");
}

TEST(CompiledPolicyTest, EveryLabelMustBeSetWithItsValue) {
  auto compiled = Compile(R"pb(
    profiles { name: "p" }
    rules {
      name: "r"
      match {
        labels { key: "site" value: "ams" }
        labels { key: "tier" value: "edge" }
      }
      profile: "p"
    }
  )pb");
  ASSERT_NE(compiled, nullptr);
  const ConnectionFacts facts = Facts("10.0.0.1", 1);
  EXPECT_EQ(compiled->Select(facts, {{"site", "ams"}, {"tier", "edge"}}).rule,
            "r");
  EXPECT_EQ(
      compiled->Select(facts, {{"site", "ams"}, {"tier", "edge"}, {"x", "y"}})
          .rule,
      "r");
  EXPECT_EQ(compiled->Select(facts, {{"site", "ams"}}).rule, "");
  EXPECT_EQ(compiled->Select(facts, {{"site", "fra"}, {"tier", "edge"}}).rule,
            "");
  EXPECT_EQ(compiled->Select(facts, {}).rule, "");
}

TEST(CompiledPolicyTest, EveryCriterionMustHold) {
  auto compiled = Compile(kFullPolicy);
  ASSERT_NE(compiled, nullptr);
  const Labels ams = {{"site", "ams"}};
  EXPECT_EQ(compiled->Select(Facts("10.1.0.9", 8080), ams).rule, "web");
  EXPECT_EQ(compiled->Select(Facts("2001:db8::9", 80), ams).rule, "web");
  // Each criterion failing alone sends it to the catch-all rule.
  EXPECT_EQ(compiled->Select(Facts("10.2.0.9", 8080), ams).rule, "rest");
  EXPECT_EQ(compiled->Select(Facts("10.1.0.9", 9000), ams).rule, "rest");
  EXPECT_EQ(compiled->Select(Facts("10.1.0.9", 80, "serve:80"), ams).rule,
            "rest");
  EXPECT_EQ(compiled->Select(Facts("10.1.0.9", 80), {}).rule, "rest");
  EXPECT_EQ(ProfileOf(compiled->Select(Facts("10.1.0.9", 80), {})), "ndiff_2");
}

TEST(CompiledPolicyTest, OutlivesTheProtoItWasCompiledFrom) {
  std::shared_ptr<const CompiledPolicy> compiled;
  {
    v1::Policy policy = ParsePolicy(kFullPolicy);
    compiled = CompilePolicy(policy, TwoPaths()).value();
    policy.Clear();
  }
  EXPECT_EQ(
      ProfileOf(compiled->Select(Facts("10.1.0.9", 80), {{"site", "ams"}})),
      "bulk");
}

}  // namespace
}  // namespace plait::policy
