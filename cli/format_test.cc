#include "cli/format.h"

#include "cli/policy_file.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace plait::cli {
namespace {

TEST(ToJsonTest, UsesProtoFieldNamesOnOneLine) {
  plait::v1::Connection c;
  c.set_id(7);
  c.set_state(plait::v1::CONNECTION_STATE_ESTABLISHED);
  c.set_local_address("10.0.1.1:40000");
  c.set_bytes_sent(1234567);
  plait::v1::Subflow* s = c.add_subflows();
  s->set_id(1);
  s->set_backup(true);
  s->set_rtt_seconds(0.0125);
  // 64-bit integers are strings and defaults are left out, as the proto's
  // JSON mapping says.
  EXPECT_EQ(ToJson(c),
            R"({"id":"7","state":"CONNECTION_STATE_ESTABLISHED",)"
            R"("local_address":"10.0.1.1:40000","bytes_sent":"1234567",)"
            R"("subflows":[{"id":1,"backup":true,"rtt_seconds":0.0125}]})");
}

TEST(ToJsonTest, EventIsOneObject) {
  plait::v1::Event e;
  e.set_sequence(42);
  e.set_type(plait::v1::EVENT_TYPE_SUBFLOW_CLOSED);
  e.set_connection_id(7);
  e.set_subflow_id(1);
  EXPECT_EQ(ToJson(e), R"({"sequence":"42","type":"EVENT_TYPE_SUBFLOW_CLOSED",)"
                       R"("connection_id":"7","subflow_id":1})");
}

TEST(FormatTimeTest, UnixTimeIsUtcWithMilliseconds) {
  EXPECT_EQ(FormatUnixTime(1700000000.25), "2023-11-14T22:13:20.250Z");
  EXPECT_EQ(FormatUnixTime(0), "-");
}

TEST(FormatTimeTest, Durations) {
  EXPECT_EQ(FormatDuration(12.54), "12.5s");
  EXPECT_EQ(FormatDuration(3723), "1h 2m 3s");
  EXPECT_EQ(FormatDuration(2 * 86400 + 5), "2d 0h 0m 5s");
}

TEST(FormatEventTest, SubflowEvent) {
  plait::v1::Event e;
  e.set_sequence(42);
  e.set_unix_seconds(1700000000.25);
  e.set_type(plait::v1::EVENT_TYPE_SUBFLOW_ESTABLISHED);
  e.set_connection_id(7);
  e.set_subflow_id(0);
  e.set_local_address("10.0.1.1:40000");
  e.set_remote_address("10.0.1.2:8080");
  EXPECT_EQ(FormatEvent(e),
            "2023-11-14T22:13:20.250Z #42 SUBFLOW_ESTABLISHED conn=7 "
            "subflow=0 local=10.0.1.1:40000 remote=10.0.1.2:8080 backup=no");
}

TEST(FormatEventTest, QuotesReasonsAndSaysWhatWasDropped) {
  plait::v1::Event e;
  e.set_sequence(9);
  e.set_unix_seconds(1700000000);
  e.set_type(plait::v1::EVENT_TYPE_POLICY_REFUSED);
  e.set_policy_version("v2");
  e.set_reason("policy.rules[0].profile: no profile \"x\"");
  e.set_dropped_before(3);
  EXPECT_EQ(FormatEvent(e),
            "2023-11-14T22:13:20.000Z #9 POLICY_REFUSED policy=v2 "
            "reason=\"policy.rules[0].profile: no profile \\\"x\\\"\" "
            "dropped_before=3");
}

TEST(FormatStatusTest, KeyValueLinesThenPaths) {
  plait::v1::Status status;
  status.set_version("0.3.0");
  status.set_uptime_seconds(3723.5);
  status.set_io_mode("udp");
  status.set_policy_version("gen-2");
  status.set_policy_generation(2);
  status.set_open_connections(5);
  status.add_listeners("forward:127.0.0.1:8080");
  status.add_listeners("serve:9000");
  (*status.mutable_labels())["zone"] = "b";
  (*status.mutable_labels())["rack"] = "r1";
  status.set_scheduler("minrtt");
  status.set_congestion_control("olia");
  status.set_path_manager("fullmesh");
  status.set_event_loop_lag_max_seconds(0.0021);
  plait::v1::PathStatus* path = status.add_paths();
  path->set_address("10.0.1.1");
  path->set_state("up");
  path->set_via("10.0.1.1:5999");
  path->set_packets_sent(1200);
  path->set_packets_received(1100);
  path = status.add_paths();
  path->set_address("10.0.2.1");
  path->set_state("down");
  path->set_via("10.0.2.1:5999");
  EXPECT_EQ(FormatStatus(status), R"(version:            0.3.0
uptime:             1h 2m 3s
io mode:            udp
policy:             gen-2 (generation 2)
open connections:   5
scheduler:          minrtt
congestion control: olia
path manager:       fullmesh
event loop lag max: 2.1 ms
listeners:          forward:127.0.0.1:8080, serve:9000
labels:             rack=r1, zone=b
paths:
  ADDRESS   STATE  VIA            PACKETS SENT  PACKETS RECEIVED
  10.0.1.1  up     10.0.1.1:5999          1200              1100
  10.0.2.1  down   10.0.2.1:5999             0                 0
)");
}

TEST(FormatPolicyStateTest, CommentsThenTextFormat) {
  plait::v1::PolicyState state;
  state.set_generation(4);
  state.set_applied_unix_seconds(1700000000);
  state.set_last_refusal("policy.default_profile: no such profile");
  state.mutable_policy()->set_version("gen-4");
  state.mutable_policy()->set_default_profile("fast");
  plait::v1::Profile* profile = state.mutable_policy()->add_profiles();
  profile->set_name("fast");
  profile->mutable_scheduler()->set_name("minrtt");
  EXPECT_EQ(FormatPolicyState(state), R"(# generation: 4
# applied: 2023-11-14T22:13:20.000Z
# last refused: policy.default_profile: no such profile
version: "gen-4"
profiles {
  name: "fast"
  scheduler {
    name: "minrtt"
  }
}
default_profile: "fast"
)");
}

TEST(FormatPolicyStateTest, OutputIsAPolicyFileAgain) {
  // `plaitctl policy get > p.txtpb` then `plaitctl policy set p.txtpb`.
  plait::v1::PolicyState state;
  state.set_last_refusal("two\nlines");
  plait::v1::Rule* rule = state.mutable_policy()->add_rules();
  rule->set_name("web");
  rule->set_profile("fast");
  rule->mutable_match()->add_destination_prefixes("10.1.0.0/16");
  absl::StatusOr<plait::v1::Policy> parsed =
      ParsePolicy("p.txtpb", FormatPolicyState(state));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      *parsed, state.policy()));
}

TEST(FormatSetPolicyResponseTest, AppliedOrDryRun) {
  plait::v1::SetPolicyResponse response;
  response.set_version("gen-5");
  response.set_generation(5);
  response.set_applied(true);
  EXPECT_EQ(FormatSetPolicyResponse(response, false),
            "policy gen-5 applied (generation 5)\n");
  response.set_applied(false);
  EXPECT_EQ(FormatSetPolicyResponse(response, true),
            "policy is valid (dry run: nothing changed)\n");
  EXPECT_EQ(FormatSetPolicyResponse(response, false),
            "policy gen-5 accepted but not applied (generation 5)\n");
}

}  // namespace
}  // namespace plait::cli
