#include "dataplane/pm/fullmesh.h"

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/base/time.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/pm/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::pm {
namespace {

using ::plait::pm::testing::At;
using ::plait::pm::testing::ClientInitial;
using ::plait::pm::testing::ClosedIds;
using ::plait::pm::testing::Ip;
using ::plait::pm::testing::MakeEndpoint;
using ::plait::pm::testing::MustCreate;
using ::plait::pm::testing::Only;
using ::plait::pm::testing::Opened;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Two fullmesh subflow endpoints (wlan0, lte0) on a client whose initial
// subflow runs over eth0.
PathManagerConfig TwoFullmeshEndpoints(int max_subflows,
                                       int max_add_addr_accepted) {
  PathManagerConfig config;
  Endpoint wlan = MakeEndpoint(1, "10.0.1.1", "wlan0");
  wlan.subflow = true;
  wlan.fullmesh = true;
  Endpoint lte = MakeEndpoint(2, "10.0.2.1", "lte0");
  lte.subflow = true;
  lte.fullmesh = true;
  config.endpoints = {wlan, lte};
  config.limits = {.max_subflows = max_subflows,
                   .max_add_addr_accepted = max_add_addr_accepted};
  config.retry = {.initial_backoff = Seconds(1),
                  .max_backoff = Seconds(4),
                  .max_retries = 3};
  return config;
}

RemoteAddress SecondServerAddress() {
  return RemoteAddress{.id = 5, .address = Ip("10.1.0.2")};
}

TEST(FullmeshTest, NothingBeforeEstablishment) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  EXPECT_STREQ(pm->name(), "fullmesh");
  EXPECT_THAT(pm->OnAddAddr(At(0), SecondServerAddress()), IsEmpty());
  EXPECT_THAT(pm->OnTimer(At(0)), IsEmpty());
  EXPECT_EQ(pm->stats().events_before_established, 1u);
  EXPECT_EQ(pm->next_deadline(), kNever);
  EXPECT_THAT(pm->Subflows(), IsEmpty());
}

TEST(FullmeshTest, TwoEndpointsTimesTwoRemoteAddresses) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  const Actions established =
      pm->OnConnectionEstablished(At(0), ClientInitial());
  EXPECT_THAT(Opened(established),
              ElementsAre("10.0.1.1->10.1.0.1:80", "10.0.2.1->10.1.0.1:80"));
  const std::vector<OpenSubflowAction> first =
      Only<OpenSubflowAction>(established);
  ASSERT_THAT(first, SizeIs(2));
  EXPECT_EQ(first[0], (OpenSubflowAction{.id = 1,
                                         .local_id = 1,
                                         .local = Ip("10.0.1.1"),
                                         .local_port = 0,
                                         .interface = "wlan0",
                                         .remote_id = 0,
                                         .remote = Ip("10.1.0.1"),
                                         .remote_port = 80,
                                         .backup = false}));
  EXPECT_EQ(first[1].id, 2u);
  EXPECT_EQ(first[1].local_id, 2);
  EXPECT_EQ(first[1].interface, "lte0");

  const Actions added = pm->OnAddAddr(At(1), SecondServerAddress());
  EXPECT_THAT(Opened(added),
              ElementsAre("10.0.1.1->10.1.0.2:80", "10.0.2.1->10.1.0.2:80"));
  for (const OpenSubflowAction& open : Only<OpenSubflowAction>(added)) {
    EXPECT_EQ(open.remote_id, 5);
  }
  EXPECT_EQ(added.size(), 2u);  // nothing else (no announcements, no L0 path)
  // Initial + 4; the same ADD_ADDR again (a retransmission) changes nothing.
  EXPECT_THAT(pm->Subflows(), SizeIs(5));
  EXPECT_THAT(pm->OnAddAddr(At(2), SecondServerAddress()), IsEmpty());
  EXPECT_EQ(pm->stats().add_addr_duplicates, 1u);
  EXPECT_EQ(pm->stats().subflows_opened, 4u);
  for (SubflowId id = 1; id <= 4; ++id) {
    EXPECT_THAT(pm->OnSubflowEstablished(At(3), id), IsEmpty());
  }
  EXPECT_THAT(pm->OnTimer(At(100)), IsEmpty());
  EXPECT_EQ(pm->next_deadline(), kNever);
}

TEST(FullmeshTest, AnnouncedPortIsUsed) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  pm->OnConnectionEstablished(At(0), ClientInitial());
  EXPECT_THAT(
      Opened(pm->OnAddAddr(
          At(1),
          RemoteAddress{.id = 7, .address = Ip("10.1.0.9"), .port = 8443})),
      ElementsAre("10.0.1.1->10.1.0.9:8443", "10.0.2.1->10.1.0.9:8443"));
}

TEST(FullmeshTest, WithoutFullmeshEndpointsAddAddrUsesInitialAddress) {
  PathManagerConfig config;
  Endpoint wlan = MakeEndpoint(1, "10.0.1.1", "wlan0");
  wlan.subflow = true;  // not fullmesh: only towards the initial address
  config.endpoints = {wlan};
  config.limits = {.max_subflows = 8, .max_add_addr_accepted = 8};
  auto pm = MustCreate("fullmesh", config);
  EXPECT_THAT(Opened(pm->OnConnectionEstablished(At(0), ClientInitial())),
              ElementsAre("10.0.1.1->10.1.0.1:80"));
  EXPECT_THAT(Opened(pm->OnAddAddr(At(1), SecondServerAddress())),
              ElementsAre("10.0.0.1->10.1.0.2:80"));
}

TEST(FullmeshTest, SkipsOtherAddressFamily) {
  PathManagerConfig config = TwoFullmeshEndpoints(8, 8);
  config.endpoints[1].address = Ip("fd00::2");
  auto pm = MustCreate("fullmesh", config);
  EXPECT_THAT(Opened(pm->OnConnectionEstablished(At(0), ClientInitial())),
              ElementsAre("10.0.1.1->10.1.0.1:80"));
  EXPECT_THAT(Opened(pm->OnAddAddr(
                  At(1), RemoteAddress{.id = 6, .address = Ip("fd01::1")})),
              ElementsAre("fd00::2->fd01::1:80"));
}

TEST(FullmeshTest, SubflowLimitIsEnforced) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(3, 8));
  EXPECT_THAT(Opened(pm->OnConnectionEstablished(At(0), ClientInitial())),
              SizeIs(2));
  // Room for one more: the first of the two new pairs.
  EXPECT_THAT(Opened(pm->OnAddAddr(At(1), SecondServerAddress())),
              ElementsAre("10.0.1.1->10.1.0.2:80"));
  EXPECT_THAT(pm->Subflows(), SizeIs(4));  // initial + 3
  // A peer join does not fit either.
  auto join = pm->OnPeerJoin(At(2), PeerJoin{.local = Ip("10.0.0.1"),
                                             .local_port = 40001,
                                             .remote = Ip("10.1.0.2"),
                                             .remote_port = 5555,
                                             .remote_id = 5});
  EXPECT_EQ(join.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(join.status().message(),
              ::testing::HasSubstr("limits.max_subflows"));
  EXPECT_EQ(pm->stats().peer_joins_rejected, 1u);
  // The peer closes subflow 1 for good (FIN): the waiting pair takes its
  // place; subflow 1's pair is not re-created.
  EXPECT_THAT(Opened(pm->OnSubflowClosed(At(3), 1,
                                         {.reason = CloseReason::kPeerClosed})),
              ElementsAre("10.0.2.1->10.1.0.2:80"));
  EXPECT_THAT(pm->Subflows(), SizeIs(4));
  EXPECT_THAT(pm->OnTimer(At(100)), IsEmpty());
}

TEST(FullmeshTest, ZeroSubflowLimitOpensNothing) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(0, 8));
  EXPECT_THAT(pm->OnConnectionEstablished(At(0), ClientInitial()), IsEmpty());
  EXPECT_THAT(pm->OnAddAddr(At(1), SecondServerAddress()), IsEmpty());
  EXPECT_THAT(pm->Subflows(), SizeIs(1));
}

TEST(FullmeshTest, AddAddrAcceptedLimitIsEnforced) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 1));
  pm->OnConnectionEstablished(At(0), ClientInitial());
  EXPECT_THAT(Opened(pm->OnAddAddr(At(1), SecondServerAddress())), SizeIs(2));
  // The second address is over the limit: ignored and counted.
  EXPECT_THAT(
      pm->OnAddAddr(At(2), RemoteAddress{.id = 6, .address = Ip("10.1.0.3")}),
      IsEmpty());
  EXPECT_EQ(pm->stats().add_addr_accepted, 1u);
  EXPECT_EQ(pm->stats().add_addr_ignored, 1u);
  EXPECT_THAT(pm->RemoteAddresses(), SizeIs(2));
  // REMOVE_ADDR of the accepted one frees the place.
  EXPECT_THAT(ClosedIds(pm->OnRemoveAddr(At(3), std::vector<uint8_t>{5})),
              ElementsAre(3, 4));
  EXPECT_THAT(Opened(pm->OnAddAddr(
                  At(4), RemoteAddress{.id = 6, .address = Ip("10.1.0.3")})),
              ElementsAre("10.0.1.1->10.1.0.3:80", "10.0.2.1->10.1.0.3:80"));
  EXPECT_EQ(pm->stats().add_addr_accepted, 2u);
}

TEST(FullmeshTest, DefaultLimitsIgnoreAddAddr) {
  PathManagerConfig config = TwoFullmeshEndpoints(8, 8);
  config.limits = Limits{};  // Linux defaults: 2 subflows, 0 add_addr
  auto pm = MustCreate("fullmesh", config);
  EXPECT_THAT(Opened(pm->OnConnectionEstablished(At(0), ClientInitial())),
              SizeIs(2));
  EXPECT_THAT(pm->OnAddAddr(At(1), SecondServerAddress()), IsEmpty());
  EXPECT_EQ(pm->stats().add_addr_ignored, 1u);
}

TEST(FullmeshTest, SignalEndpointsAnnouncedOnceOnEstablishment) {
  PathManagerConfig config;
  Endpoint second = MakeEndpoint(3, "10.1.0.2");
  second.signal = true;
  Endpoint with_port = MakeEndpoint(4, "10.1.0.3");
  with_port.signal = true;
  with_port.port = 8443;
  Endpoint not_signal = MakeEndpoint(5, "10.1.0.4");
  Endpoint initial_again = MakeEndpoint(6, "10.1.0.1");  // the peer knows it
  initial_again.signal = true;
  config.endpoints = {second, with_port, not_signal, initial_again};
  auto pm = MustCreate("fullmesh", config);
  // Server side: the initial subflow arrived on 10.1.0.1:80.
  const InitialSubflow initial{.local = Ip("10.1.0.1"),
                               .local_port = 80,
                               .remote = Ip("10.0.0.1"),
                               .remote_port = 40001};
  const Actions actions = pm->OnConnectionEstablished(At(0), initial);
  EXPECT_THAT(
      actions,
      ElementsAre(
          Action(AnnounceAddressAction{.id = 3, .address = Ip("10.1.0.2")}),
          Action(AnnounceAddressAction{
              .id = 4, .address = Ip("10.1.0.3"), .port = 8443})));
  EXPECT_EQ(pm->stats().addresses_announced, 2u);
  // Never again: not on a second establishment, timers, path events.
  EXPECT_THAT(pm->OnConnectionEstablished(At(1), initial), IsEmpty());
  EXPECT_THAT(pm->OnTimer(At(2)), IsEmpty());
  EXPECT_THAT(pm->OnLocalPathUp(At(3), {.address = Ip("10.1.0.2")}), IsEmpty());
  EXPECT_EQ(pm->Announce(At(4), 3).status().code(),
            absl::StatusCode::kAlreadyExists);
  // A signal endpoint added later is announced then; a removed one withdrawn.
  Endpoint later = MakeEndpoint(7, "10.1.0.7");
  later.signal = true;
  auto added = pm->OnLocalEndpointAdded(At(5), later);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_THAT(*added, ElementsAre(Action(AnnounceAddressAction{
                          .id = 7, .address = Ip("10.1.0.7")})));
  auto removed = pm->OnLocalEndpointRemoved(At(6), 3);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, ElementsAre(Action(RemoveAddressAction{.ids = {3}})));
  EXPECT_EQ(pm->stats().addresses_announced, 3u);
}

TEST(FullmeshTest, BackupEndpointsOpenBackupSubflows) {
  PathManagerConfig config;
  Endpoint wlan = MakeEndpoint(1, "10.0.1.1", "wlan0");
  wlan.subflow = true;
  Endpoint lte = MakeEndpoint(2, "10.0.2.1", "lte0");
  lte.subflow = true;
  lte.backup = true;
  config.endpoints = {wlan, lte};
  auto pm = MustCreate("fullmesh", config);
  const Actions actions = pm->OnConnectionEstablished(At(0), ClientInitial());
  EXPECT_THAT(Opened(actions), ElementsAre("10.0.1.1->10.1.0.1:80",
                                           "10.0.2.1->10.1.0.1:80 backup"));
  // `ip mptcp endpoint change id 1 backup`: MP_PRIO on its subflow.
  auto changed = pm->SetEndpointBackup(At(1), 1, true);
  ASSERT_TRUE(changed.ok());
  EXPECT_THAT(*changed,
              ElementsAre(Action(SetBackupAction{.id = 1, .backup = true})));
  auto same = pm->SetEndpointBackup(At(2), 2, true);
  ASSERT_TRUE(same.ok());
  EXPECT_THAT(*same, IsEmpty());
  EXPECT_EQ(pm->SetEndpointBackup(At(3), 9, true).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(FullmeshTest, RemoveAddrClosesSubflowsToThatAddress) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  pm->OnConnectionEstablished(At(0), ClientInitial());
  pm->OnAddAddr(At(1), SecondServerAddress());  // subflows 3 and 4
  const Actions actions =
      pm->OnRemoveAddr(At(2), std::vector<uint8_t>{5, 42 /* unknown */});
  ASSERT_THAT(Only<CloseSubflowAction>(actions), SizeIs(2));
  EXPECT_EQ(
      Only<CloseSubflowAction>(actions)[0],
      (CloseSubflowAction{
          .id = 3, .cause = CloseCause::kRemoteAddressRemoved, .reset = true}));
  EXPECT_THAT(ClosedIds(actions), ElementsAre(3, 4));
  EXPECT_EQ(actions.size(), 2u);
  EXPECT_THAT(pm->Subflows(), SizeIs(3));
  EXPECT_THAT(pm->RemoteAddresses(), SizeIs(1));
  // The connection's late report of those closures changes nothing, and
  // nothing is re-created.
  EXPECT_THAT(pm->OnSubflowClosed(At(3), 3, {.reason = CloseReason::kTimeout}),
              IsEmpty());
  EXPECT_THAT(pm->OnLocalPathUp(At(4), {.interface = "wlan0"}), IsEmpty());
  EXPECT_THAT(pm->OnTimer(At(100)), IsEmpty());
  EXPECT_EQ(pm->next_deadline(), kNever);
}

TEST(FullmeshTest, PathDownSubflowRecreatedWithBackoffUntilPathRemoved) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  pm->OnConnectionEstablished(At(0), ClientInitial());
  pm->OnSubflowEstablished(At(1), 1);
  pm->OnSubflowEstablished(At(1), 2);

  // wlan0 disappears; the connection reports subflow 1 closed by it.
  EXPECT_THAT(
      pm->OnSubflowClosed(At(10), 1, {.reason = CloseReason::kPathDown}),
      IsEmpty());
  EXPECT_EQ(pm->next_deadline(), kNever);  // waits for the path
  EXPECT_THAT(pm->OnTimer(At(50)), IsEmpty());

  // wlan0 is back: re-created at once.
  Actions up = pm->OnLocalPathUp(At(60), {.interface = "wlan0"});
  ASSERT_THAT(Only<OpenSubflowAction>(up), SizeIs(1));
  EXPECT_THAT(Opened(up), ElementsAre("10.0.1.1->10.1.0.1:80"));
  SubflowId id = Only<OpenSubflowAction>(up)[0].id;
  EXPECT_EQ(id, 3u);
  EXPECT_EQ(pm->stats().subflows_recreated, 1u);

  // The join fails: retried after 1 s, then 2 s.
  EXPECT_THAT(pm->OnJoinFailed(At(61), id, {.reason = CloseReason::kTimeout}),
              IsEmpty());
  EXPECT_EQ(pm->next_deadline(), At(62));
  EXPECT_THAT(pm->OnTimer(At(61.5)), IsEmpty());
  Actions retry = pm->OnTimer(At(62));
  EXPECT_THAT(Opened(retry), ElementsAre("10.0.1.1->10.1.0.1:80"));
  id = Only<OpenSubflowAction>(retry)[0].id;
  EXPECT_THAT(pm->OnJoinFailed(At(63), id, {.reason = CloseReason::kReset}),
              IsEmpty());
  EXPECT_EQ(pm->next_deadline(), At(65));

  // The endpoint is removed: no more retries.
  auto removed = pm->OnLocalEndpointRemoved(At(64), 1);
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(*removed, IsEmpty());
  EXPECT_EQ(pm->next_deadline(), kNever);
  EXPECT_THAT(pm->OnTimer(At(65)), IsEmpty());
  EXPECT_THAT(pm->OnLocalPathUp(At(66), {.interface = "wlan0"}), IsEmpty());
  EXPECT_EQ(pm->stats().join_failures, 2u);
}

TEST(FullmeshTest, BackoffDoublesCapsAndGivesUp) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  pm->OnConnectionEstablished(At(0), ClientInitial());
  // max_retries 3, backoff 1 s doubling to at most 4 s.
  SubflowId id = 1;
  double now = 10;
  const double expected_delays[] = {1, 2, 4};
  for (double delay : expected_delays) {
    EXPECT_THAT(
        pm->OnJoinFailed(At(now), id, {.reason = CloseReason::kTimeout}),
        IsEmpty());
    EXPECT_EQ(pm->next_deadline(), At(now + delay));
    now += delay;
    Actions retry = pm->OnTimer(At(now));
    ASSERT_THAT(Only<OpenSubflowAction>(retry), SizeIs(1));
    id = Only<OpenSubflowAction>(retry)[0].id;
  }
  // The fourth consecutive failure exceeds max_retries.
  EXPECT_THAT(pm->OnJoinFailed(At(now), id, {.reason = CloseReason::kTimeout}),
              IsEmpty());
  EXPECT_EQ(pm->next_deadline(), kNever);
  EXPECT_EQ(pm->stats().retries_given_up, 1u);
  // The path coming up again restarts it.
  EXPECT_THAT(
      Opened(pm->OnLocalPathUp(At(now + 100), {.address = Ip("10.0.1.1")})),
      ElementsAre("10.0.1.1->10.1.0.1:80"));
}

TEST(FullmeshTest, SuccessResetsTheBackoff) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  pm->OnConnectionEstablished(At(0), ClientInitial());
  pm->OnJoinFailed(At(10), 1, {.reason = CloseReason::kTimeout});
  Actions retry = pm->OnTimer(At(11));
  const SubflowId id = Only<OpenSubflowAction>(retry)[0].id;
  pm->OnSubflowEstablished(At(11.1), id);
  // Later a NAT drops it (RST without MP_TCPRST): first delay again.
  EXPECT_THAT(pm->OnSubflowClosed(At(20), id, {.reason = CloseReason::kReset}),
              IsEmpty());
  EXPECT_EQ(pm->next_deadline(), At(21));
}

TEST(FullmeshTest, NonTransientResetIsNotRetried) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  pm->OnConnectionEstablished(At(0), ClientInitial());
  EXPECT_THAT(
      pm->OnSubflowClosed(
          At(1), 1, {.reason = CloseReason::kReset, .tcprst_reason = 0x03}),
      IsEmpty());
  EXPECT_EQ(pm->next_deadline(), kNever);
  // A transient one is.
  pm->OnSubflowClosed(At(1), 2,
                      {.reason = CloseReason::kReset,
                       .tcprst_reason = 0x02,
                       .tcprst_transient = true});
  EXPECT_EQ(pm->next_deadline(), At(2));
}

TEST(FullmeshTest, LocalPathDownClosesAndPathUpRecreatesInitialToo) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  pm->OnConnectionEstablished(At(0), ClientInitial());
  const Actions down = pm->OnLocalPathDown(At(5), {.interface = "eth0"});
  EXPECT_THAT(
      down,
      ElementsAre(Action(CloseSubflowAction{.id = kInitialSubflowId,
                                            .cause = CloseCause::kPathDown,
                                            .reset = true})));
  EXPECT_THAT(pm->OnLocalPathDown(At(6), {.address = Ip("10.0.2.1")}),
              ElementsAre(Action(CloseSubflowAction{
                  .id = 2, .cause = CloseCause::kPathDown, .reset = true})));
  EXPECT_THAT(pm->Subflows(), SizeIs(1));
  EXPECT_EQ(pm->next_deadline(), kNever);
  // While a path is down, OpenSubflow from it is refused.
  EXPECT_EQ(pm->OpenSubflow(At(7), {.local_id = 2}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const Actions up = pm->OnLocalPathUp(At(8), {.interface = "eth0"});
  ASSERT_THAT(Only<OpenSubflowAction>(up), SizeIs(1));
  EXPECT_EQ(Only<OpenSubflowAction>(up)[0].local_id, kInitialAddressId);
  EXPECT_THAT(Opened(up), ElementsAre("10.0.0.1->10.1.0.1:80"));
  EXPECT_THAT(Opened(pm->OnLocalPathUp(At(9), {.address = Ip("10.0.2.1")})),
              ElementsAre("10.0.2.1->10.1.0.1:80"));
}

TEST(FullmeshTest, EndpointAddedLaterIsUsed) {
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints(8, 8));
  pm->OnConnectionEstablished(At(0), ClientInitial());
  pm->OnAddAddr(At(1), SecondServerAddress());
  Endpoint eth1 = MakeEndpoint(3, "10.0.3.1", "eth1");
  eth1.subflow = true;
  eth1.fullmesh = true;
  auto added = pm->OnLocalEndpointAdded(At(2), eth1);
  ASSERT_TRUE(added.ok());
  EXPECT_THAT(Opened(*added),
              ElementsAre("10.0.3.1->10.1.0.1:80", "10.0.3.1->10.1.0.2:80"));
  EXPECT_EQ(pm->OnLocalEndpointAdded(At(3), eth1).status().code(),
            absl::StatusCode::kAlreadyExists);
  // Removing it closes its subflows (Linux keeps them, mptcp_net-next #302).
  auto removed = pm->OnLocalEndpointRemoved(At(4), 3);
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(ClosedIds(*removed), ElementsAre(5, 6));
  EXPECT_EQ(Only<CloseSubflowAction>(*removed)[0].tcprst_reason,
            kTcpRstAdministrativelyProhibited);
}

}  // namespace
}  // namespace plait::pm
