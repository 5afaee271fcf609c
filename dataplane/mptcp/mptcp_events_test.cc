// MptcpEventSink: the exact events each side reports, once per fact, for
// joins, priorities, the peer's address signals, subflows lost, fallback,
// and none without a sink.
#include "dataplane/mptcp/mptcp_events.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/mptcp/testing/mptcp_loopback.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/tcp_header.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::mptcp {
namespace {

using mptcp_testing::MptcpLoopback;
using mptcp_testing::Pattern;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Every event as one line, with what the connection says at that moment.
class RecordingSink : public MptcpEventSink {
 public:
  void OnEstablished(const MptcpConnection& conn, Time) override {
    Add(conn, "established");
  }
  void OnFallback(const MptcpConnection& conn, Time) override {
    Add(conn, "fallback");
    // The connection already says so.
    EXPECT_TRUE(conn.fallback());
  }
  void OnSubflowEstablished(const MptcpConnection& conn, Time,
                            const SubflowEvent& sf) override {
    Add(conn, absl::StrCat("subflow_established ", Describe(sf)));
  }
  void OnSubflowClosed(const MptcpConnection& conn, Time,
                       const SubflowEvent& sf,
                       const SubflowCloseReason& reason) override {
    Add(conn, absl::StrCat("subflow_closed ", Describe(sf), " (",
                           SubflowCloseReasonText(reason), ")"));
  }
  void OnSubflowPriority(const MptcpConnection& conn, Time,
                         const SubflowEvent& sf) override {
    Add(conn, absl::StrCat("priority ", Describe(sf)));
  }
  void OnAddressAnnounced(const MptcpConnection& conn, Time, uint8_t id,
                          const wire::IpAddress& address,
                          uint16_t port) override {
    Add(conn,
        absl::StrCat("announced ", id, " ", address.ToString(), ":", port));
  }
  void OnAddressRemoved(const MptcpConnection& conn, Time,
                        uint8_t id) override {
    Add(conn, absl::StrCat("removed ", id));
  }

  std::vector<std::string> events;
  const MptcpConnection* connection = nullptr;

 private:
  static std::string Describe(const SubflowEvent& sf) {
    return absl::StrCat(sf.id ? absl::StrCat(*sf.id) : std::string("-"), " ",
                        sf.endpoints.local.ToString(), ":",
                        sf.endpoints.local_port, ">",
                        sf.endpoints.remote.ToString(), ":",
                        sf.endpoints.remote_port, sf.backup ? " backup" : "");
  }
  void Add(const MptcpConnection& conn, std::string event) {
    // One connection per sink here: the reference is always the same one.
    if (connection == nullptr) connection = &conn;
    EXPECT_EQ(connection, &conn);
    events.push_back(std::move(event));
  }
};

void Open(MptcpLoopback& loop) {
  loop.Connect();
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return loop.apps[0].established && loop.server &&
               loop.apps[1].established;
      },
      Seconds(5)));
  // A few bytes each way: both sides fully established.
  const auto up = Pattern(1000, 1);
  ASSERT_TRUE(loop.Send(0, up, Seconds(1)));
  ASSERT_TRUE(loop.Send(1, up, Seconds(1)));
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return loop.apps[1].received.size() == 1000 &&
               loop.apps[0].received.size() == 1000;
      },
      Seconds(1)));
}

template <typename T>
std::optional<T> FindOption(const wire::Segment& s) {
  for (const auto& o : s.mptcp_options()) {
    if (const T* t = std::get_if<T>(&o)) return *t;
  }
  return std::nullopt;
}

std::vector<Duration> TwoPathDelays() {
  return {Milliseconds(10), Milliseconds(10)};
}

// The client's path manager opens a subflow from its second address.
MptcpConfig ClientJoining() {
  MptcpConfig config;
  config.path_manager_config.limits = {.max_subflows = 2,
                                       .max_add_addr_accepted = 2};
  config.path_manager_config.endpoints = {
      pm::Endpoint{.id = 1,
                   .address = *wire::IpAddress::Parse("10.0.2.1"),
                   .subflow = true}};
  return config;
}

// The server announces its second address; the client accepts it.
MptcpConfig ServerAnnouncing() {
  MptcpConfig config;
  config.path_manager_config.endpoints = {pm::Endpoint{
      .id = 1, .address = *wire::IpAddress::Parse("10.1.2.2"), .signal = true}};
  return config;
}

MptcpConfig ClientAccepting() {
  MptcpConfig config;
  config.path_manager_config.limits = {.max_subflows = 2,
                                       .max_add_addr_accepted = 2};
  return config;
}

// The initial subflow is the connection's OnEstablished; the join is a
// subflow event on each side (the server's ids come from its own path
// manager). Our backup request and the peer's MP_PRIO are priority events;
// asking again for what is already so is none.
TEST(MptcpEventsTest, JoinAndPriorityOnBothSides) {
  RecordingSink client_sink, server_sink;
  MptcpLoopback loop(ClientJoining(), MptcpConfig{}, TwoPathDelays());
  loop.event_sinks[0] = &client_sink;
  loop.event_sinks[1] = &server_sink;
  Open(loop);
  ASSERT_TRUE(loop.RunUntil([&] { return loop.server->active_subflows() == 2; },
                            Seconds(2)));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(2)));
  EXPECT_THAT(client_sink.events,
              ElementsAre("established",
                          "subflow_established 1 10.0.2.1:41000>10.1.1.2:80"));
  EXPECT_THAT(server_sink.events,
              ElementsAre("established",
                          "subflow_established 1 10.1.1.2:80>10.0.2.1:41000"));

  ASSERT_TRUE(loop.client->SetSubflowBackup(1, true, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.server->stats().mp_prio_received == 1; }, Seconds(1)));
  // Asked again: no change on either side, no event (an MP_PRIO may still
  // go out).
  (void)loop.client->SetSubflowBackup(1, true, loop.now);
  loop.RunUntil([] { return false; }, Milliseconds(200));
  EXPECT_THAT(client_sink.events,
              ElementsAre("established",
                          "subflow_established 1 10.0.2.1:41000>10.1.1.2:80",
                          "priority 1 10.0.2.1:41000>10.1.1.2:80 backup"));
  EXPECT_THAT(server_sink.events,
              ElementsAre("established",
                          "subflow_established 1 10.1.1.2:80>10.0.2.1:41000",
                          "priority 1 10.1.1.2:80>10.0.2.1:41000 backup"));

  // Back to regular: once more on each side.
  ASSERT_TRUE(loop.client->SetSubflowBackup(1, false, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return !loop.server->subflow_backup(1); },
                            Seconds(1)));
  EXPECT_EQ(client_sink.events.back(), "priority 1 10.0.2.1:41000>10.1.1.2:80");
  EXPECT_EQ(server_sink.events.back(), "priority 1 10.1.1.2:80>10.0.2.1:41000");
  EXPECT_EQ(client_sink.events.size(), 4u);
  EXPECT_EQ(server_sink.events.size(), 4u);
}

// The server announces an address (its first ADD_ADDR's echo is lost, so
// the client hears it twice: one event), then withdraws it.
TEST(MptcpEventsTest, AddressAnnouncedOnceThenRemoved) {
  RecordingSink client_sink, server_sink;
  MptcpLoopback loop(ClientAccepting(), ServerAnnouncing(), TwoPathDelays());
  loop.event_sinks[0] = &client_sink;
  loop.event_sinks[1] = &server_sink;
  int echoes_dropped = 0;
  loop.filter = [&](const MptcpLoopback::Packet& p, const wire::Segment& s) {
    auto add = FindOption<wire::AddAddr>(s);
    if (p.from == 0 && add && add->echo && echoes_dropped == 0) {
      ++echoes_dropped;
      return false;
    }
    return true;
  };
  Open(loop);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.server->stats().add_addr_echoes == 1; }, Seconds(5)));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.server->active_subflows() == 2; },
                            Seconds(2)));
  EXPECT_EQ(echoes_dropped, 1);
  EXPECT_EQ(loop.client->stats().add_addr_received, 2u);
  const std::vector<std::string> opened = {
      "established", "announced 1 10.1.2.2:0",
      "subflow_established 1 10.0.1.1:41000>10.1.2.2:80"};
  EXPECT_EQ(client_sink.events, opened);
  EXPECT_THAT(server_sink.events,
              ElementsAre("established",
                          "subflow_established 1 10.1.2.2:80>10.0.1.1:41000"));

  ASSERT_TRUE(loop.server->WithdrawAddress(1, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.client->stats().remove_addr_received == 1; },
      Seconds(1)));
  ASSERT_GE(client_sink.events.size(), 4u);
  EXPECT_EQ(client_sink.events[3], "removed 1");
  // The client's path manager resets the subflow to it (as Linux does), on
  // its own: a reset on request for the client, by the peer for the server.
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return client_sink.events.size() >= 5 && server_sink.events.size() >= 3;
      },
      Seconds(5)))
      << testing::PrintToString(client_sink.events)
      << testing::PrintToString(server_sink.events);
  EXPECT_EQ(client_sink.events[4],
            "subflow_closed 1 10.0.1.1:41000>10.1.2.2:80 "
            "(reset (unspecified))");
  EXPECT_EQ(server_sink.events[2],
            "subflow_closed 1 10.1.2.2:80>10.0.1.1:41000 "
            "(reset by peer (unspecified))");
  loop.RunUntil([] { return false; }, Seconds(2));
  EXPECT_EQ(client_sink.events.size(), 5u);
  EXPECT_EQ(server_sink.events.size(), 3u);
}

// A subflow reset on request (CloseSubflow sends MP_TCPRST "administratively
// prohibited", as Linux's does): the reason on each side, once; the
// connection's own end later reports no subflow events.
TEST(MptcpEventsTest, SubflowResetReportsTheReasonOnBothSides) {
  RecordingSink client_sink, server_sink;
  MptcpLoopback loop(ClientJoining(), MptcpConfig{}, TwoPathDelays());
  loop.event_sinks[0] = &client_sink;
  loop.event_sinks[1] = &server_sink;
  Open(loop);
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return loop.server->active_subflows() == 2 &&
               loop.client->active_subflows() == 2;
      },
      Seconds(2)));
  ASSERT_TRUE(loop.client->CloseSubflow(1, /*reset=*/true, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return server_sink.events.size() == 3; },
                            Seconds(2)));
  EXPECT_THAT(client_sink.events,
              ElementsAre("established",
                          "subflow_established 1 10.0.2.1:41000>10.1.1.2:80",
                          "subflow_closed 1 10.0.2.1:41000>10.1.1.2:80 "
                          "(reset (administratively_prohibited))"));
  EXPECT_THAT(server_sink.events,
              ElementsAre("established",
                          "subflow_established 1 10.1.1.2:80>10.0.2.1:41000",
                          "subflow_closed 1 10.1.1.2:80>10.0.2.1:41000 "
                          "(reset by peer (administratively_prohibited))"));

  // A normal close of the connection: no subflow event for its end.
  loop.client->Close(loop.now);
  loop.server->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(5)));
  loop.RunUntil([] { return false; }, Seconds(5));
  EXPECT_EQ(client_sink.events.size(), 3u);
  EXPECT_EQ(server_sink.events.size(), 3u);
}

// A subflow closed with a FIN on request is closed by the peer too (not
// left half-open in CLOSE-WAIT, counting against its limit): a new join
// then fits a server that allows one subflow besides the initial one.
TEST(MptcpEventsTest, SubflowClosedWithFinIsClosedOnBothSides) {
  RecordingSink client_sink, server_sink;
  MptcpConfig server;
  server.path_manager_config.limits.max_subflows = 1;
  MptcpLoopback loop(ClientJoining(), server, TwoPathDelays());
  loop.event_sinks[0] = &client_sink;
  loop.event_sinks[1] = &server_sink;
  Open(loop);
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return loop.server->active_subflows() == 2 &&
               loop.client->active_subflows() == 2;
      },
      Seconds(2)));
  ASSERT_TRUE(loop.client->CloseSubflow(1, /*reset=*/false, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return server_sink.events.size() == 3 &&
               loop.server->active_subflows() == 1 &&
               loop.client->active_subflows() == 1;
      },
      Seconds(2)))
      << "server subflow 1: "
      << tcp::TcpStateName(loop.server->subflow(1).state());
  EXPECT_EQ(server_sink.events.back(),
            "subflow_closed 1 10.1.1.2:80>10.0.2.1:41000 (closed by peer)");
  const absl::Status reopened =
      loop.client->OpenSubflow(pm::SubflowRequest{.local_id = 1}, loop.now);
  ASSERT_TRUE(reopened.ok()) << reopened;
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return loop.server->active_subflows() == 2 &&
               loop.client->active_subflows() == 2;
      },
      Seconds(2)));
  // Data still goes through, both ways.
  const auto more = Pattern(200000, 7);
  ASSERT_TRUE(loop.Send(0, more, Seconds(5)));
  ASSERT_TRUE(loop.Send(1, more, Seconds(5)));
}

// The last subflow lost is reported before the connection closes, with the
// reason the peer gave.
TEST(MptcpEventsTest, LastSubflowLostIsReported) {
  RecordingSink client_sink, server_sink;
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.event_sinks[0] = &client_sink;
  loop.event_sinks[1] = &server_sink;
  Open(loop);
  loop.client->ResetSubflow(0, loop.now);
  ASSERT_TRUE(loop.RunUntil([&] { return loop.apps[1].closed; }, Seconds(2)));
  EXPECT_THAT(client_sink.events,
              ElementsAre("established",
                          "subflow_closed 0 10.0.1.1:40000>10.1.1.2:80 "
                          "(reset (unspecified))"));
  EXPECT_THAT(server_sink.events,
              ElementsAre("established",
                          "subflow_closed 0 10.1.1.2:80>10.0.1.1:40000 "
                          "(reset by peer (unspecified))"));
  EXPECT_EQ(loop.apps[1].close_reason, MptcpCloseReason::kSubflowsLost);
}

// The server speaks no MPTCP: the client falls back at the handshake, then
// is established; the server never tried: it is only established.
TEST(MptcpEventsTest, FallbackWhenThePeerHasNoMptcp) {
  RecordingSink client_sink, server_sink;
  MptcpConfig plain;
  plain.enabled = false;
  MptcpLoopback loop(MptcpConfig{}, plain);
  loop.event_sinks[0] = &client_sink;
  loop.event_sinks[1] = &server_sink;
  Open(loop);
  EXPECT_TRUE(loop.client->fallback());
  EXPECT_THAT(client_sink.events, ElementsAre("fallback", "established"));
  EXPECT_THAT(server_sink.events, ElementsAre("established"));
}

// The client speaks no MPTCP: the server falls back on its SYN.
TEST(MptcpEventsTest, FallbackWhenTheClientHasNoMptcp) {
  RecordingSink client_sink, server_sink;
  MptcpConfig plain;
  plain.enabled = false;
  MptcpLoopback loop(plain, MptcpConfig{});
  loop.event_sinks[0] = &client_sink;
  loop.event_sinks[1] = &server_sink;
  Open(loop);
  EXPECT_THAT(client_sink.events, ElementsAre("established"));
  EXPECT_THAT(server_sink.events, ElementsAre("fallback", "established"));
}

// After the handshake: a middlebox changes one payload byte; the server's
// checksum fails, it falls back and sends MP_FAIL, and the client falls
// back on it. One event on each side, however many segments follow.
TEST(MptcpEventsTest, FallbackAfterTheHandshakeIsReportedOnce) {
  RecordingSink client_sink, server_sink;
  MptcpConfig client;
  client.checksums = true;
  MptcpLoopback loop(client, MptcpConfig{});
  loop.event_sinks[0] = &client_sink;
  loop.event_sinks[1] = &server_sink;
  Open(loop);
  bool done = false;
  loop.mutate = [&](int from, std::vector<uint8_t>& bytes) {
    if (from != 0 || done || bytes.size() < 200) return;
    done = true;
    bytes.back() ^= 0xff;
    const auto s = *wire::ParseSegment(bytes);
    ASSERT_TRUE(wire::FillTcpChecksum(s.ip.src, s.ip.dst,
                                      absl::MakeSpan(bytes).subspan(20))
                    .ok());
  };
  const auto data = Pattern(10000);
  loop.apps[1].received.clear();
  ASSERT_EQ(loop.client->Write(data, loop.now), data.size());
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return loop.apps[1].received.size() == data.size() &&
               loop.client->fallback();
      },
      Seconds(5)));
  ASSERT_TRUE(loop.Send(1, Pattern(50000, 7), Seconds(5)));
  loop.RunUntil([] { return false; }, Seconds(1));
  EXPECT_THAT(client_sink.events, ElementsAre("established", "fallback"));
  EXPECT_THAT(server_sink.events, ElementsAre("established", "fallback"));
}

// Without a sink nothing is reported, including what was learnt while a
// sink was set and then removed; the connection works as before.
TEST(MptcpEventsTest, NoSinkNoEvents) {
  RecordingSink sink;
  MptcpLoopback loop(ClientJoining(), MptcpConfig{}, TwoPathDelays());
  loop.client->set_event_sink(&sink);
  EXPECT_EQ(loop.client->event_sink(), &sink);
  loop.client->set_event_sink(nullptr);
  Open(loop);
  EXPECT_EQ(loop.server->event_sink(), nullptr);
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(2)));
  ASSERT_TRUE(loop.client->SetSubflowBackup(1, true, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.server->stats().mp_prio_received == 1; }, Seconds(1)));
  loop.client->ResetSubflow(1, loop.now);
  loop.RunUntil([] { return false; }, Milliseconds(500));
  const auto data = Pattern(100000, 2);
  loop.apps[1].received.clear();
  ASSERT_TRUE(loop.Send(0, data, Seconds(5)));
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[1].received.size() == data.size(); }, Seconds(5)));
  EXPECT_THAT(sink.events, IsEmpty());
}

}  // namespace
}  // namespace plait::mptcp
