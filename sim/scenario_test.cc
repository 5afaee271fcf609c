#include "sim/scenario.h"

#include <string>

#include "gtest/gtest.h"

namespace plait::sim {
namespace {

// The tests name lines and columns of this text: keep its layout.
// clang-format off
constexpr char kGood[] = R"pb(
  name: "two hosts"
  stop_s: 10
  nodes { name: "a" kind: HOST }
  nodes { name: "r" kind: ROUTER }
  nodes { name: "b" kind: HOST }
  links { name: "l1" a: "a" b: "r" a_address: "10.0.0.1" a_to_b { rate_mbps: 10 delay_ms: 5 } }
  links { name: "l2" a: "r" b: "b" b_address: "10.0.1.1" a_to_b { rate_mbps: 10 queue_bdp: 1 delay_ms: 5 } }
  flows { name: "f" client: "a" server: "b" bytes: 1000 }
  events { link: "l1" at_s: 1 up: false }
)pb";
// clang-format on

TEST(ParseScenarioTest, AcceptsAValidScenario) {
  auto scenario = ParseScenario(kGood, "good.textproto");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(scenario->links_size(), 2);
  EXPECT_EQ(scenario->flows(0).bytes(), 1000u);
}

// Each broken variant and the exact message it must produce.
struct Broken {
  std::string from;
  std::string to;
  std::string message;
};

class BrokenScenarioTest : public testing::TestWithParam<Broken> {};

TEST_P(BrokenScenarioTest, NamesLineAndField) {
  std::string text = kGood;
  const size_t at = text.find(GetParam().from);
  ASSERT_NE(at, std::string::npos) << GetParam().from;
  text.replace(at, GetParam().from.size(), GetParam().to);
  auto scenario = ParseScenario(text, "s.textproto");
  ASSERT_FALSE(scenario.ok());
  EXPECT_EQ(scenario.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BrokenScenarioTest,
    testing::Values(
        Broken{"bytes: 1000", "byts: 1000",
               "s.textproto:9:49: Message type \"plait.v1.Flow\" has no field "
               "named \"byts\"."},
        Broken{"client: \"a\"", "client: \"zz\"",
               "s.textproto:9: flows[0].client: no host named \"zz\""},
        Broken{"delay_ms: 5 }", "delay_ms: 5 loss: 1.5 }",
               "s.textproto:7: links[0].a_to_b.loss: 1.5 is not a "
               "probability"},
        Broken{"b_address: \"10.0.1.1\"", "b_address: \"10.0.0.1\"",
               "s.textproto:8: links[1].b_address: 10.0.0.1 is used twice"},
        Broken{"link: \"l1\"", "link: \"l9\"",
               "s.textproto:10: events[0].link: no link named \"l9\""},
        Broken{"bytes: 1000", "bytes: 1000 duration_s: 3",
               "s.textproto:9: flows[0].bytes: give exactly one of bytes and "
               "duration_s"},
        Broken{"stop_s: 10", "stop_s: 0",
               "s.textproto:3: stop_s: must be positive (seconds of virtual "
               "time)"},
        Broken{"a_address: \"10.0.0.1\"", "",
               "s.textproto:7: links[0].a_address: host \"a\" needs an "
               "address here"},
        Broken{"queue_bdp: 1 delay_ms: 5", "queue_bdp: 1 queue_bytes: 9",
               "s.textproto:8: links[1].a_to_b.queue_bdp: give queue_bytes or "
               "queue_bdp, not both"},
        Broken{"server: \"b\" bytes",
               "server: \"b\" congestion_control: \"bbr\" bytes",
               "s.textproto:9: flows[0].congestion_control: \"bbr\" is not one "
               "of: reno, cubic"},
        Broken{"server: \"b\" bytes",
               "server: \"b\" congestion_control: \"lia\" bytes",
               "s.textproto:9: flows[0].congestion_control: \"lia\" is not one "
               "of: reno, cubic"},
        Broken{"server: \"b\" bytes",
               "server: \"b\" mptcp { enabled: true scheduler: \"fifo\" } "
               "bytes",
               "s.textproto:9: flows[0].mptcp.scheduler: \"fifo\" is not one "
               "of: minrtt, roundrobin, redundant, blest, ecf"},
        Broken{"server: \"b\" bytes",
               "server: \"b\" mptcp { enabled: true "
               "congestion_control_switches { at_s: 1 congestion_control: "
               "\"bbr\" } } bytes",
               "s.textproto:9: flows[0].mptcp.congestion_control_switches[0]."
               "congestion_control: \"bbr\" is not one of: reno, cubic, lia, "
               "olia, balia"},
        Broken{"server: \"b\" bytes",
               "server: \"b\" mptcp { enabled: true "
               "congestion_control_switches { at_s: -1 congestion_control: "
               "\"reno\" } } bytes",
               "s.textproto:9: flows[0].mptcp.congestion_control_switches[0]."
               "at_s: must be at least 0"},
        Broken{"server: \"b\" bytes",
               "server: \"b\" mptcp { enabled: true "
               "path_manager_switches { at_s: 1 path_manager: \"mesh\" } } "
               "bytes",
               "s.textproto:9: flows[0].mptcp.path_manager_switches[0]."
               "path_manager: \"mesh\" is not one of: fullmesh, none"},
        Broken{"server: \"b\" bytes",
               "server: \"b\" mptcp { congestion_control_switches { at_s: 1 "
               "congestion_control: \"reno\" } } bytes",
               "s.textproto:9: flows[0].mptcp.enabled: is false but other "
               "mptcp fields are set"},
        Broken{"server: \"b\" bytes",
               "server: \"b\" mptcp { enabled: true path_manager: \"x\" } "
               "bytes",
               "s.textproto:9: flows[0].mptcp.path_manager: \"x\" is not one "
               "of: fullmesh, none"},
        Broken{"delay_ms: 5 } }",
               "delay_ms: 5 } middleboxes { replay { probability: 2 } } }",
               "s.textproto:7: links[0].middleboxes[0].replay.probability: 2 "
               "is not a probability"},
        Broken{"delay_ms: 5 } }",
               "delay_ms: 5 } middleboxes { replay { delay_ms: -1 } } }",
               "s.textproto:7: links[0].middleboxes[0].replay.delay_ms: must "
               "not be negative"}));

}  // namespace
}  // namespace plait::sim
