#include "dataplane/pm/explicit_path_manager.h"

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
using ::plait::pm::testing::Opened;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

PathManagerConfig ExplicitConfig() {
  PathManagerConfig config;
  Endpoint wlan = MakeEndpoint(1, "10.0.1.1", "wlan0");
  wlan.subflow = true;
  wlan.fullmesh = true;
  Endpoint lte = MakeEndpoint(2, "10.0.2.1", "lte0");
  lte.subflow = true;
  lte.backup = true;
  Endpoint public_address = MakeEndpoint(3, "192.0.2.1");
  public_address.signal = true;
  config.endpoints = {wlan, lte, public_address};
  config.limits = {.max_subflows = 2, .max_add_addr_accepted = 1};
  return config;
}

TEST(ExplicitTest, DoesNothingOnItsOwn) {
  auto pm = MustCreate("explicit", ExplicitConfig());
  EXPECT_STREQ(pm->name(), "explicit");
  EXPECT_THAT(pm->OnConnectionEstablished(At(0), ClientInitial()), IsEmpty());
  EXPECT_THAT(
      pm->OnAddAddr(At(1), RemoteAddress{.id = 5, .address = Ip("10.1.0.2")}),
      IsEmpty());
  EXPECT_THAT(pm->OnLocalPathDown(At(2), {.interface = "wlan0"}), IsEmpty());
  EXPECT_THAT(pm->OnLocalPathUp(At(3), {.interface = "wlan0"}), IsEmpty());
  Endpoint eth1 = MakeEndpoint(4, "10.0.3.1");
  eth1.subflow = true;
  eth1.signal = true;
  auto added = pm->OnLocalEndpointAdded(At(4), eth1);
  ASSERT_TRUE(added.ok());
  EXPECT_THAT(*added, IsEmpty());
  EXPECT_THAT(pm->OnTimer(At(100)), IsEmpty());
  EXPECT_EQ(pm->next_deadline(), kNever);
  EXPECT_THAT(pm->Subflows(), SizeIs(1));
  EXPECT_EQ(pm->stats().subflows_opened, 0u);
  EXPECT_EQ(pm->stats().addresses_announced, 0u);
}

TEST(ExplicitTest, ObeysRequestsWithinLimits) {
  auto pm = MustCreate("explicit", ExplicitConfig());
  EXPECT_EQ(pm->OpenSubflow(At(0), {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pm->Announce(At(0), 3).status().code(),
            absl::StatusCode::kFailedPrecondition);
  pm->OnConnectionEstablished(At(0), ClientInitial());
  pm->OnAddAddr(At(1), RemoteAddress{.id = 5, .address = Ip("10.1.0.2")});

  auto first = pm->OpenSubflow(At(2), {.local_id = 1, .remote_id = 5});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(*first,
              ElementsAre(Action(OpenSubflowAction{.id = 1,
                                                   .local_id = 1,
                                                   .local = Ip("10.0.1.1"),
                                                   .interface = "wlan0",
                                                   .remote_id = 5,
                                                   .remote = Ip("10.1.0.2"),
                                                   .remote_port = 80})));
  // Backup from the endpoint's flag.
  auto second = pm->OpenSubflow(At(3), {.local_id = 2, .remote_id = 0});
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(Opened(*second), ElementsAre("10.0.2.1->10.1.0.1:80 backup"));

  // limits.max_subflows = 2 reached.
  auto third = pm->OpenSubflow(At(4), {.local_id = 0, .remote_id = 5});
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(third.status().message(), HasSubstr("limits.max_subflows"));
  EXPECT_EQ(pm->OnPeerJoin(At(4), PeerJoin{.local = Ip("10.0.0.1"),
                                           .remote = Ip("10.1.0.2"),
                                           .remote_id = 5})
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);

  // Bad ids.
  auto bad_local = pm->OpenSubflow(At(5), {.local_id = 9});
  EXPECT_EQ(bad_local.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_local.status().message(), HasSubstr("local_id"));
  auto bad_remote = pm->OpenSubflow(At(5), {.remote_id = 6});
  EXPECT_EQ(bad_remote.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_remote.status().message(), HasSubstr("remote_id"));

  // Close one: room again; no re-creation of it.
  auto closed = pm->CloseSubflow(At(6), 1, /*reset=*/false);
  ASSERT_TRUE(closed.ok());
  EXPECT_THAT(*closed, ElementsAre(Action(CloseSubflowAction{
                           .id = 1, .cause = CloseCause::kRequested})));
  EXPECT_EQ(pm->CloseSubflow(At(6), 1, false).status().code(),
            absl::StatusCode::kNotFound);
  auto join = pm->OnPeerJoin(At(7), PeerJoin{.local = Ip("10.0.1.1"),
                                             .remote = Ip("10.1.0.2"),
                                             .remote_port = 5000,
                                             .remote_id = 5});
  ASSERT_TRUE(join.ok());
  EXPECT_EQ(*join, 3u);
  EXPECT_EQ(pm->Subflows().back().local_id, 1);
  EXPECT_TRUE(pm->Subflows().back().peer_initiated);

  // A failed subflow is left to the controller.
  EXPECT_THAT(pm->OnSubflowClosed(At(8), 2, {.reason = CloseReason::kTimeout}),
              IsEmpty());
  EXPECT_EQ(pm->next_deadline(), kNever);
  EXPECT_THAT(pm->OnTimer(At(100)), IsEmpty());

  // MP_PRIO on request.
  auto prio = pm->SetBackup(At(9), 3, true);
  ASSERT_TRUE(prio.ok());
  EXPECT_THAT(*prio,
              ElementsAre(Action(SetBackupAction{.id = 3, .backup = true})));
  EXPECT_EQ(pm->SetBackup(At(9), 42, true).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ExplicitTest, AnnouncesOnlyOnRequest) {
  auto pm = MustCreate("explicit", ExplicitConfig());
  pm->OnConnectionEstablished(At(0), ClientInitial());
  auto announced = pm->Announce(At(1), 3);
  ASSERT_TRUE(announced.ok());
  EXPECT_THAT(*announced, ElementsAre(Action(AnnounceAddressAction{
                              .id = 3, .address = Ip("192.0.2.1")})));
  // Any endpoint may be announced, signal flag or not.
  EXPECT_TRUE(pm->Announce(At(1), 1).ok());
  EXPECT_EQ(pm->Announce(At(2), 3).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(pm->Announce(At(2), 9).status().code(),
            absl::StatusCode::kNotFound);
  auto withdrawn = pm->WithdrawAnnouncement(At(3), 3);
  ASSERT_TRUE(withdrawn.ok());
  EXPECT_THAT(*withdrawn, ElementsAre(Action(RemoveAddressAction{.ids = {3}})));
  EXPECT_EQ(pm->WithdrawAnnouncement(At(4), 3).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ExplicitTest, AddAddrLimitAppliesToRecordedAddresses) {
  auto pm = MustCreate("explicit", ExplicitConfig());
  pm->OnConnectionEstablished(At(0), ClientInitial());
  pm->OnAddAddr(At(1), RemoteAddress{.id = 5, .address = Ip("10.1.0.2")});
  pm->OnAddAddr(At(1), RemoteAddress{.id = 6, .address = Ip("10.1.0.3")});
  EXPECT_EQ(pm->stats().add_addr_ignored, 1u);
  EXPECT_EQ(pm->OpenSubflow(At(2), {.remote_id = 6}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // REMOVE_ADDR closes the subflows the controller opened to it.
  ASSERT_TRUE(pm->OpenSubflow(At(3), {.local_id = 1, .remote_id = 5}).ok());
  EXPECT_THAT(ClosedIds(pm->OnRemoveAddr(At(4), std::vector<uint8_t>{5})),
              ElementsAre(1));
}

}  // namespace
}  // namespace plait::pm
