#include "dataplane/policy/policy_validator.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/cc/registry.h"
#include "dataplane/pm/registry.h"
#include "dataplane/policy/test_policies.h"
#include "dataplane/sched/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::policy {
namespace {

using ::plait::policy::testing::Ip;
using ::plait::policy::testing::kFullPolicy;
using ::plait::policy::testing::ParsePolicy;
using ::plait::policy::testing::TwoPaths;
using ::testing::HasSubstr;
using ::testing::StartsWith;

absl::Status Validate(absl::string_view text,
                      const PolicyContext& context = TwoPaths()) {
  return ValidatePolicy(ParsePolicy(text), context);
}

TEST(PolicyValidatorTest, AcceptsTheFullExample) {
  EXPECT_TRUE(Validate(kFullPolicy).ok()) << Validate(kFullPolicy);
}

TEST(PolicyValidatorTest, AcceptsTheEmptyPolicy) {
  EXPECT_TRUE(Validate("").ok());
}

TEST(PolicyValidatorTest, AcceptsEdgesOfEveryRange) {
  const absl::string_view text = R"pb(
    profiles {
      name: "a23456789012345678901234567890123456789012345678901234567890123"
      path_manager {
        mode: "ndiffports"
        ndiffports_subflows: 8
        limits { max_subflows: 8 max_add_addr_accepted: 0 }
      }
      options { add_addr_timeout_ms: 100 add_addr_retries: 0 }
    }
    profiles {
      name: "0_-z"
      path_manager {
        mode: "explicit"
        endpoints { id: 255 address: "10.0.2.1" }
      }
      options { add_addr_timeout_ms: 600000 add_addr_retries: 10 }
    }
    rules {
      name: "r"
      match {
        destination_prefixes: "0.0.0.0/0"
        destination_prefixes: "::/0"
        destination_prefixes: "10.0.0.1/32"
        destination_prefixes: "2001:db8::1/128"
        destination_ports { first: 1 last: 65535 }
        destination_ports { first: 65535 }
        destination_ports { first: 7 last: 7 }
        labels { key: "k" value: "" }
      }
      profile: "0_-z"
    }
  )pb";
  EXPECT_TRUE(Validate(text).ok()) << Validate(text);
}

TEST(PolicyValidatorTest, AcceptsIpv6EndpointsOnAnIpv6Node) {
  const PolicyContext v6{.paths = {Ip("fd00:1::1"), Ip("fd00:2::1")}};
  EXPECT_TRUE(
      Validate(R"pb(profiles {
                      name: "p"
                      path_manager {
                        endpoints { id: 1 address: "fd00:2:0::1" subflow: true }
                      }
                    })pb",
               v6)
          .ok());
}

// One rule of the validator: a policy that breaks it, and the start of the
// message (the field path and what is wrong).
struct Case {
  const char* name;
  std::string policy;
  std::string message;  // a prefix of the expected message
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class PolicyValidatorCaseTest : public ::testing::TestWithParam<Case> {};

TEST_P(PolicyValidatorCaseTest, ReportsTheFieldAndTheProblem) {
  const absl::Status status = Validate(GetParam().policy);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), StartsWith(GetParam().message));
}

// A policy with one profile whose body is `body`.
std::string Profile(absl::string_view body) {
  return absl::StrCat("profiles { name: \"p\" ", body, " }");
}

// A policy with one profile "p" and one rule whose match is `match`.
std::string RuleMatch(absl::string_view match) {
  return absl::StrCat(
      "profiles { name: \"p\" } rules { name: \"r\" profile: \"p\" match { ",
      match, " } }");
}

const std::string kNineEndpoints = [] {
  std::string body = "path_manager { ";
  for (int i = 1; i <= 9; ++i) {
    absl::StrAppend(&body, "endpoints { id: ", i, " address: \"10.0.2.1\" } ");
  }
  return body + "}";
}();

INSTANTIATE_TEST_SUITE_P(
    Profiles, PolicyValidatorCaseTest,
    ::testing::Values(
        Case{"NameEmpty", "profiles {}", "profiles[0].name: empty; "},
        Case{"NameTooLong",
             absl::StrCat("profiles { name: \"", std::string(64, 'a'), "\" }"),
             absl::StrCat("profiles[0].name: \"", std::string(64, 'a'),
                          "\" has 64 characters; at most 63")},
        Case{"NameUpperCase", "profiles { name: \"Bulk\" }",
             "profiles[0].name: \"Bulk\" has \"B\", which is not one of "
             "a-z, 0-9, _ and -"},
        Case{"NameDot", "profiles { name: \"a.b\" }",
             "profiles[0].name: \"a.b\" has \".\""},
        Case{"NameDuplicate",
             "profiles { name: \"a\" } profiles { name: \"b\" } "
             "profiles { name: \"a\" }",
             "profiles[2].name: \"a\" is already the name of profiles[0]"}));

INSTANTIATE_TEST_SUITE_P(
    PathManager, PolicyValidatorCaseTest,
    ::testing::Values(
        Case{"ModeUnknown", Profile("path_manager { mode: \"mesh\" }"),
             absl::StrCat("profiles[0].path_manager.mode: \"mesh\" is not a "
                          "path manager (",
                          absl::StrJoin(pm::PathManagerNames(), ", "), ")")},
        Case{"NineEndpoints", Profile(kNineEndpoints),
             "profiles[0].path_manager.endpoints: 9 endpoints; at most 8"},
        Case{"EndpointIdZero",
             Profile("path_manager { endpoints { address: \"10.0.1.1\" } }"),
             "profiles[0].path_manager.endpoints[0].id: 0 is outside 1 to 255"},
        Case{"EndpointIdTooBig",
             Profile("path_manager { endpoints { id: 256 address: "
                     "\"10.0.1.1\" } }"),
             "profiles[0].path_manager.endpoints[0].id: 256 is outside 1 to "
             "255"},
        Case{"EndpointIdDuplicate",
             Profile("path_manager { endpoints { id: 3 address: \"10.0.1.1\" "
                     "} endpoints { id: 3 address: \"10.0.2.1\" } }"),
             "profiles[0].path_manager.endpoints[1].id: 3 is already the id "
             "of endpoints[0]"},
        Case{"EndpointAddressUnparsable",
             Profile("path_manager { endpoints { id: 1 address: \"10.0.1\" } "
                     "}"),
             "profiles[0].path_manager.endpoints[0].address: \"10.0.1\" is "
             "not an IPv4 or IPv6 address"},
        Case{"EndpointAddressEmpty",
             Profile("path_manager { endpoints { id: 1 } }"),
             "profiles[0].path_manager.endpoints[0].address: \"\" is not an "
             "IPv4 or IPv6 address"},
        // The example of the brief, to the letter.
        Case{"EndpointNotAPath",
             "profiles { name: \"p\" path_manager { endpoints { id: 1 "
             "address: \"10.0.2.1\" } endpoints { id: 2 address: "
             "\"10.9.9.9\" } } }",
             "profiles[0].path_manager.endpoints[1].address: 10.9.9.9 is not "
             "one of this node's paths (10.0.1.1, 10.0.2.1)"},
        Case{"MaxSubflowsTooBig",
             Profile("path_manager { limits { max_subflows: 9 } }"),
             "profiles[0].path_manager.limits.max_subflows: 9 is more than 8"},
        Case{
            "MaxAddAddrTooBig",
            Profile("path_manager { limits { max_add_addr_accepted: 4000000000 "
                    "} }"),
            "profiles[0].path_manager.limits.max_add_addr_accepted: "
            "4000000000 is more than 8"},
        Case{"NdiffportsWithFullmesh",
             Profile("path_manager { mode: \"fullmesh\" ndiffports_subflows: "
                     "3 }"),
             "profiles[0].path_manager.ndiffports_subflows: only the "
             "ndiffports mode uses it, and mode is \"fullmesh\""},
        Case{"NdiffportsWithoutMode",
             Profile("path_manager { ndiffports_subflows: 3 }"),
             "profiles[0].path_manager.ndiffports_subflows: only the "
             "ndiffports mode uses it, and mode is not set"},
        Case{"NdiffportsOne",
             Profile("path_manager { mode: \"ndiffports\" "
                     "ndiffports_subflows: 1 }"),
             "profiles[0].path_manager.ndiffports_subflows: 1 is outside 2 "
             "to 8"},
        Case{"NdiffportsNine",
             Profile("path_manager { mode: \"ndiffports\" "
                     "ndiffports_subflows: 9 }"),
             "profiles[0].path_manager.ndiffports_subflows: 9 is outside 2 "
             "to 8"},
        Case{"NdiffportsAboveLimit",
             Profile("path_manager { mode: \"ndiffports\" "
                     "ndiffports_subflows: 5 limits { max_subflows: 2 } }"),
             "profiles[0].path_manager.ndiffports_subflows: 5 needs 4 extra "
             "subflows but limits.max_subflows is 2"},
        Case{"NdiffportsDefaultAboveLimit",
             Profile("path_manager { mode: \"ndiffports\" limits { "
                     "max_subflows: 0 } }"),
             "profiles[0].path_manager.limits.max_subflows: 0 leaves no room "
             "for ndiffports' 1 extra subflow(s)"},
        // What pm::ValidateConfig finds comes under the path_manager field.
        Case{"FullmeshWithoutSubflow",
             Profile("path_manager { endpoints { id: 1 address: \"10.0.1.1\" "
                     "fullmesh: true } }"),
             "profiles[0].path_manager.endpoints[0].flags: fullmesh needs "
             "subflow"},
        Case{"FullmeshWithSignal",
             Profile("path_manager { endpoints { id: 1 address: \"10.0.1.1\" "
                     "subflow: true fullmesh: true signal: true } }"),
             "profiles[0].path_manager.endpoints[0].flags: fullmesh excludes "
             "signal"},
        Case{"DuplicateAddress",
             Profile("path_manager { endpoints { id: 1 address: \"10.0.2.1\" "
                     "} endpoints { id: 2 address: \"10.0.2.1\" } }"),
             "profiles[0].path_manager.endpoints[1].address: 10.0.2.1 "
             "duplicates endpoints[0]"}));

INSTANTIATE_TEST_SUITE_P(
    SchedulerAndCongestionControl, PolicyValidatorCaseTest,
    ::testing::Values(
        Case{"SchedulerUnknown",
             "profiles { name: \"a\" } profiles { name: \"b\" scheduler { "
             "name: \"fastest\" } }",
             absl::StrCat("profiles[1].scheduler.name: \"fastest\" is not a "
                          "scheduler (",
                          absl::StrJoin(sched::SchedulerNames(), ", "), ")")},
        Case{"SchedulerCase", Profile("scheduler { name: \"MinRTT\" }"),
             "profiles[0].scheduler.name: \"MinRTT\" is not a scheduler"},
        Case{"SchedulerParameter",
             Profile("scheduler { name: \"minrtt\" parameters { key: \"x\" "
                     "value: 1 } }"),
             "profiles[0].scheduler.parameters[\"x\"]: minrtt takes no "
             "parameters"},
        Case{"SchedulerParametersFirstByKey",
             Profile("scheduler { name: \"ecf\" parameters { key: \"z\" "
                     "value: 1 } parameters { key: \"b\" value: 2 } }"),
             "profiles[0].scheduler.parameters[\"b\"]: ecf takes no "
             "parameters"},
        Case{"SchedulerParameterWithoutName",
             Profile("scheduler { parameters { key: \"x\" value: 1 } }"),
             "profiles[0].scheduler.parameters[\"x\"]: the daemon's default "
             "scheduler takes no parameters"},
        Case{"CongestionControlUnknown",
             Profile("congestion_control { name: \"bbr\" }"),
             absl::StrCat("profiles[0].congestion_control.name: \"bbr\" is "
                          "not a congestion control algorithm (",
                          absl::StrJoin(cc::CongestionControlNames(), ", "),
                          ")")},
        Case{"CongestionControlParameter",
             Profile("congestion_control { name: \"cubic\" parameters { key: "
                     "\"beta\" value: 0.7 } }"),
             "profiles[0].congestion_control.parameters[\"beta\"]: cubic "
             "takes no parameters"}));

INSTANTIATE_TEST_SUITE_P(
    Options, PolicyValidatorCaseTest,
    ::testing::Values(
        Case{"AddAddrTimeoutTooShort",
             Profile("options { add_addr_timeout_ms: 99 }"),
             "profiles[0].options.add_addr_timeout_ms: 99 is outside 100 to "
             "600000 ms"},
        Case{"AddAddrTimeoutZero",
             Profile("options { add_addr_timeout_ms: 0 }"),
             "profiles[0].options.add_addr_timeout_ms: 0 is outside"},
        Case{"AddAddrTimeoutTooLong",
             Profile("options { add_addr_timeout_ms: 600001 }"),
             "profiles[0].options.add_addr_timeout_ms: 600001 is outside"},
        Case{"AddAddrRetries", Profile("options { add_addr_retries: 11 }"),
             "profiles[0].options.add_addr_retries: 11 is outside 0 to 10"},
        Case{"FallbackUnknown", Profile("options { fallback: 7 }"),
             "profiles[0].options.fallback: 7 is not a FallbackBehaviour"}));

INSTANTIATE_TEST_SUITE_P(
    Rules, PolicyValidatorCaseTest,
    ::testing::Values(
        Case{"NameEmpty", "profiles { name: \"p\" } rules { profile: \"p\" }",
             "rules[0].name: empty; "},
        Case{"NameDuplicate",
             "profiles { name: \"p\" } rules { name: \"r\" profile: \"p\" } "
             "rules { name: \"r\" profile: \"p\" }",
             "rules[1].name: \"r\" is already the name of rules[0]"},
        Case{"ProfileEmpty", "rules { name: \"r\" }",
             "rules[0].profile: empty; a rule must name a profile"},
        // The example of the brief, to the letter.
        Case{"ProfileUnknown",
             "profiles { name: \"fast\" } rules { name: \"r\" profile: "
             "\"bulk\" }",
             "rules[0].profile: \"bulk\" names no profile of the policy"},
        Case{"DefaultProfileUnknown",
             "profiles { name: \"fast\" } default_profile: \"bulk\"",
             "default_profile: \"bulk\" names no profile of the policy"}));

INSTANTIATE_TEST_SUITE_P(
    Matches, PolicyValidatorCaseTest,
    ::testing::Values(
        // The example of the brief, to the letter.
        Case{"PrefixTooLong",
             "profiles { name: \"p\" } rules { name: \"a\" profile: \"p\" } "
             "rules { name: \"b\" profile: \"p\" } rules { name: \"c\" "
             "profile: \"p\" match { destination_prefixes: \"10.0.0.0/33\" } "
             "}",
             "rules[2].match.destination_prefixes[0]: \"10.0.0.0/33\": prefix "
             "length 33 is more than 32"},
        Case{"Ipv6PrefixTooLong",
             RuleMatch("destination_prefixes: \"10.0.0.0/8\" "
                       "destination_prefixes: \"2001:db8::/129\""),
             "rules[0].match.destination_prefixes[1]: \"2001:db8::/129\": "
             "prefix length 129 is more than 128"},
        Case{"PrefixHostBits",
             RuleMatch("destination_prefixes: \"10.0.0.1/8\""),
             "rules[0].match.destination_prefixes[0]: \"10.0.0.1/8\": host "
             "bits are set (the prefix is 10.0.0.0/8)"},
        Case{"Ipv6PrefixHostBits",
             RuleMatch("destination_prefixes: \"2001:db8::1/32\""),
             "rules[0].match.destination_prefixes[0]: \"2001:db8::1/32\": "
             "host bits are set (the prefix is 2001:db8::/32)"},
        Case{"PrefixWithoutLength",
             RuleMatch("destination_prefixes: \"10.0.0.0\""),
             "rules[0].match.destination_prefixes[0]: \"10.0.0.0\": not a "
             "CIDR prefix"},
        Case{"PrefixBadAddress",
             RuleMatch("destination_prefixes: \"10.0.0/8\""),
             "rules[0].match.destination_prefixes[0]: \"10.0.0/8\": "
             "\"10.0.0\" is not an IPv4 or IPv6 address"},
        Case{"PrefixBadLength",
             RuleMatch("destination_prefixes: \"10.0.0.0/+8\""),
             "rules[0].match.destination_prefixes[0]: \"10.0.0.0/+8\": prefix "
             "length \"+8\" is not a number"},
        Case{"PortZero", RuleMatch("destination_ports { first: 0 last: 80 }"),
             "rules[0].match.destination_ports[0].first: 0 is not a port (1 "
             "to 65535)"},
        Case{"PortTooBig",
             RuleMatch("destination_ports { first: 80 } destination_ports { "
                       "first: 65536 }"),
             "rules[0].match.destination_ports[1].first: 65536 is not a port"},
        Case{"LastTooBig",
             RuleMatch("destination_ports { first: 80 last: 70000 }"),
             "rules[0].match.destination_ports[0].last: 70000 is not a port"},
        Case{"LastBeforeFirst",
             RuleMatch("destination_ports { first: 443 last: 80 }"),
             "rules[0].match.destination_ports[0].last: 80 is less than first "
             "(443)"},
        Case{"ListenerEmpty",
             RuleMatch("listeners: \"serve:80\" listeners: \"\""),
             "rules[0].match.listeners[1]: empty; "},
        Case{"LabelKeyEmpty",
             RuleMatch("labels { key: \"site\" value: \"a\" } labels { key: "
                       "\"\" value: \"b\" }"),
             "rules[0].match.labels[\"\"]: empty key"}));

INSTANTIATE_TEST_SUITE_P(
    FirstErrorInFieldOrder, PolicyValidatorCaseTest,
    ::testing::Values(
        Case{"ProfilesBeforeRules",
             "profiles { name: \"p\" scheduler { name: \"x\" } } rules { }",
             "profiles[0].scheduler.name: "},
        Case{"SchedulerBeforeCongestionControl",
             Profile("congestion_control { name: \"x\" } scheduler { name: "
                     "\"y\" }"),
             "profiles[0].scheduler.name: \"y\""},
        Case{"EarlierProfileFirst",
             "profiles { name: \"a\" options { add_addr_retries: 99 } } "
             "profiles { name: \"B\" }",
             "profiles[0].options.add_addr_retries: "},
        Case{"RuleNameBeforeMatch",
             "profiles { name: \"p\" } rules { profile: \"nope\" match { "
             "destination_prefixes: \"x\" } }",
             "rules[0].name: "},
        Case{"MatchBeforeProfile",
             "rules { name: \"r\" profile: \"nope\" match { "
             "destination_ports { first: 0 } } }",
             "rules[0].match.destination_ports[0].first: "},
        Case{"RulesBeforeDefaultProfile",
             "rules { name: \"r\" profile: \"nope\" } default_profile: "
             "\"nope\"",
             "rules[0].profile: "}));

TEST(PolicyValidatorTest, NamesEveryPathWhenAnEndpointIsNotOne) {
  const absl::Status status =
      Validate(Profile("path_manager { endpoints { id: 1 address: "
                       "\"10.0.1.1\" } }"),
               PolicyContext{});
  EXPECT_EQ(std::string(status.message()),
            "profiles[0].path_manager.endpoints[0].address: 10.0.1.1 is not "
            "one of this node's paths (it has none)");
}

TEST(PolicyValidatorTest, EscapesWhatItQuotes) {
  const absl::Status status = Validate("profiles { name: \"a\\nb\" }");
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"a\\nb\""));
}

}  // namespace
}  // namespace plait::policy
