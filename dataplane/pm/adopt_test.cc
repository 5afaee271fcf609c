// PathManager::ExportState / Adopt: a manager taking over a live connection
// from another one (MptcpConnection::SetPathManager).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

// A client with wlan0 (10.0.1.1) and lte0 (10.0.2.1) besides its initial
// eth0 (10.0.0.1), as fullmesh subflow endpoints.
PathManagerConfig TwoFullmeshEndpoints() {
  PathManagerConfig config;
  Endpoint wlan = MakeEndpoint(1, "10.0.1.1", "wlan0");
  wlan.subflow = true;
  wlan.fullmesh = true;
  Endpoint lte = MakeEndpoint(2, "10.0.2.1", "lte0");
  lte.subflow = true;
  lte.fullmesh = true;
  config.endpoints = {wlan, lte};
  config.limits = {.max_subflows = 8, .max_add_addr_accepted = 8};
  config.retry = {.initial_backoff = Seconds(1),
                  .max_backoff = Seconds(4),
                  .max_retries = 3};
  return config;
}

RemoteAddress SecondServerAddress() {
  return RemoteAddress{.id = 5, .address = Ip("10.1.0.2")};
}

std::vector<std::string> Pairs(const std::vector<SubflowInfo>& subflows) {
  std::vector<std::string> out;
  for (const SubflowInfo& info : subflows) {
    out.push_back(std::to_string(info.id) + " " + info.local.ToString() + "->" +
                  info.remote.ToString());
  }
  return out;
}

// Explicit with two subflows opened by hand (wlan to the initial address,
// lte to the second one) switched to fullmesh over 2 endpoints x 2 remote
// addresses: exactly the two missing pairs are opened, with fresh ids.
TEST(AdoptTest, FullmeshOpensOnlyTheMissingSubflowsOfTheMesh) {
  auto old = MustCreate("explicit", TwoFullmeshEndpoints());
  old->OnConnectionEstablished(At(0), ClientInitial());
  old->OnAddAddr(At(0), SecondServerAddress());
  ASSERT_TRUE(old->OpenSubflow(At(0), {.local_id = 1, .remote_id = 0}).ok());
  ASSERT_TRUE(old->OpenSubflow(At(0), {.local_id = 2, .remote_id = 5}).ok());
  old->OnSubflowEstablished(At(1), 1);
  old->OnSubflowEstablished(At(1), 2);

  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints());
  const Actions actions = pm->Adopt(At(2), old->ExportState());
  EXPECT_THAT(Opened(actions),
              ElementsAre("10.0.1.1->10.1.0.2:80", "10.0.2.1->10.1.0.1:80"));
  EXPECT_EQ(actions.size(), 2u);
  const std::vector<OpenSubflowAction> opens = Only<OpenSubflowAction>(actions);
  ASSERT_THAT(opens, SizeIs(2));
  EXPECT_EQ(opens[0].id, 3u);  // ids 1 and 2 are the adopted ones
  EXPECT_EQ(opens[0].remote_id, 5);
  EXPECT_EQ(opens[1].id, 4u);
  EXPECT_THAT(Pairs(pm->Subflows()),
              ElementsAre("0 10.0.0.1->10.1.0.1", "1 10.0.1.1->10.1.0.1",
                          "2 10.0.2.1->10.1.0.2", "3 10.0.1.1->10.1.0.2",
                          "4 10.0.2.1->10.1.0.1"));
  EXPECT_EQ(pm->RemoteAddresses(), old->RemoteAddresses());
  EXPECT_EQ(pm->stats().subflows_opened, 2u);
  // An adopted subflow now belongs to the mesh: when it times out, fullmesh
  // re-creates it after its backoff, which explicit would not have done.
  EXPECT_THAT(pm->OnSubflowClosed(At(3), 1, {.reason = CloseReason::kTimeout}),
              IsEmpty());
  EXPECT_EQ(pm->next_deadline(), At(4));
  EXPECT_THAT(Opened(pm->OnTimer(At(4))), ElementsAre("10.0.1.1->10.1.0.1:80"));
  EXPECT_EQ(pm->stats().subflows_recreated, 1u);
}

// Fullmesh's mesh handed to explicit: nothing opened, nothing closed, and
// from then on nothing re-created.
TEST(AdoptTest, ExplicitOpensNothingAndKeepsEverySubflow) {
  auto old = MustCreate("fullmesh", TwoFullmeshEndpoints());
  old->OnConnectionEstablished(At(0), ClientInitial());
  old->OnAddAddr(At(0), SecondServerAddress());
  ASSERT_THAT(old->Subflows(), SizeIs(5));

  auto pm = MustCreate("explicit", TwoFullmeshEndpoints());
  EXPECT_THAT(pm->Adopt(At(1), old->ExportState()), IsEmpty());
  EXPECT_THAT(Pairs(pm->Subflows()),
              ElementsAre(Pairs(old->Subflows())[0], Pairs(old->Subflows())[1],
                          Pairs(old->Subflows())[2], Pairs(old->Subflows())[3],
                          Pairs(old->Subflows())[4]));
  EXPECT_EQ(pm->RemoteAddresses(), old->RemoteAddresses());
  // wlan0 goes down and comes back: its subflows (1 to the initial address,
  // 3 to the second one) are closed and not re-created.
  EXPECT_THAT(ClosedIds(pm->OnLocalPathDown(At(2), {.interface = "wlan0"})),
              ElementsAre(1, 3));
  EXPECT_THAT(pm->OnLocalPathUp(At(3), {.interface = "wlan0"}), IsEmpty());
  EXPECT_THAT(pm->OnTimer(At(100)), IsEmpty());
  EXPECT_EQ(pm->next_deadline(), kNever);
  // Ids are not reused: the next one follows the old manager's.
  auto opened = pm->OpenSubflow(At(4), {.local_id = 1, .remote_id = 0});
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(Only<OpenSubflowAction>(*opened).at(0).id, 5u);
}

// ndiffports fills its port slots with the adopted subflows over the initial
// pair, opens the rest, and keeps a subflow over another path.
TEST(AdoptTest, NdiffportsCountsTheSubflowsOverTheInitialPair) {
  PathManagerConfig two = TwoFullmeshEndpoints();
  two.endpoints[1].subflow = false;  // wlan only
  two.endpoints[1].fullmesh = false;
  two.ndiffports.subflows = 2;
  auto old = MustCreate("ndiffports", two);
  ASSERT_THAT(Opened(old->OnConnectionEstablished(At(0), ClientInitial())),
              ElementsAre("10.0.0.1->10.1.0.1:80"));
  ASSERT_TRUE(old->OpenSubflow(At(0), {.local_id = 1, .remote_id = 0}).ok());

  PathManagerConfig four = two;
  four.ndiffports.subflows = 4;
  auto pm = MustCreate("ndiffports", four);
  // Initial + 1 over the initial pair exist: 2 more for 4; wlan stays.
  EXPECT_THAT(Opened(pm->Adopt(At(1), old->ExportState())),
              ElementsAre("10.0.0.1->10.1.0.1:80", "10.0.0.1->10.1.0.1:80"));
  EXPECT_THAT(pm->Subflows(), SizeIs(5));

  // The same state into ndiffports asking for 2: already there.
  auto same = MustCreate("ndiffports", two);
  EXPECT_THAT(same->Adopt(At(1), old->ExportState()), IsEmpty());
}

// Announcements made by the old manager are not repeated; the new one
// announces its other signal endpoints and can withdraw the old ones.
TEST(AdoptTest, AnnouncementsAreNotRepeated) {
  PathManagerConfig config;
  Endpoint first = MakeEndpoint(1, "10.1.0.2");
  first.signal = true;
  Endpoint second = MakeEndpoint(2, "10.1.0.3");
  second.signal = true;
  config.endpoints = {first};
  auto old = MustCreate("fullmesh", config);
  ASSERT_THAT(Only<AnnounceAddressAction>(
                  old->OnConnectionEstablished(At(0), ClientInitial())),
              SizeIs(1));

  config.endpoints = {first, second};
  auto pm = MustCreate("fullmesh", config);
  const Actions actions = pm->Adopt(At(1), old->ExportState());
  EXPECT_THAT(
      Only<AnnounceAddressAction>(actions),
      ElementsAre(AnnounceAddressAction{.id = 2, .address = Ip("10.1.0.3")}));
  EXPECT_EQ(actions.size(), 1u);
  auto withdrawn = pm->WithdrawAnnouncement(At(2), 1);
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_THAT(Only<RemoveAddressAction>(*withdrawn),
              ElementsAre(RemoveAddressAction{.ids = {1}}));
}

// The old manager's backoff is dropped (the slot opens at once), but a path
// known to be down stays down until it comes up.
TEST(AdoptTest, BackoffIsDroppedAndDownPathsAreKept) {
  auto old = MustCreate("fullmesh", TwoFullmeshEndpoints());
  ASSERT_THAT(Opened(old->OnConnectionEstablished(At(0), ClientInitial())),
              ElementsAre("10.0.1.1->10.1.0.1:80", "10.0.2.1->10.1.0.1:80"));
  EXPECT_THAT(ClosedIds(old->OnLocalPathDown(At(1), {.interface = "wlan0"})),
              ElementsAre(1));
  EXPECT_THAT(old->OnJoinFailed(At(1), 2, {.reason = CloseReason::kTimeout}),
              IsEmpty());
  ASSERT_EQ(old->next_deadline(), At(2));

  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints());
  const Actions actions = pm->Adopt(At(1), old->ExportState());
  EXPECT_THAT(Opened(actions), ElementsAre("10.0.2.1->10.1.0.1:80"));
  EXPECT_EQ(Only<OpenSubflowAction>(actions).at(0).id, 3u);
  EXPECT_EQ(pm->next_deadline(), kNever);
  EXPECT_THAT(Opened(pm->OnLocalPathUp(At(5), {.interface = "wlan0"})),
              ElementsAre("10.0.1.1->10.1.0.1:80"));
}

// Remote addresses: one a kept subflow uses stays whatever the limit; the
// others are accepted within limits.max_add_addr_accepted.
TEST(AdoptTest, RemoteAddressesInUseStayBeyondTheLimit) {
  PathManagerState state;
  state.established = true;
  state.initial = ClientInitial();
  state.subflows = {SubflowInfo{.id = 0,
                                .local = Ip("10.0.0.1"),
                                .local_port = 40001,
                                .remote = Ip("10.1.0.1"),
                                .remote_port = 80,
                                .established = true},
                    SubflowInfo{.id = 1,
                                .local = Ip("10.0.0.1"),
                                .local_port = 40002,
                                .remote_id = 6,
                                .remote = Ip("10.1.0.6"),
                                .remote_port = 80,
                                .established = true}};
  state.remote_addresses = {
      RemoteAddress{.id = 5, .address = Ip("10.1.0.5")},
      RemoteAddress{.id = 6, .address = Ip("10.1.0.6")},
      RemoteAddress{.id = 7, .address = Ip("10.1.0.6")},  // same address
      RemoteAddress{.id = 8, .address = Ip("10.1.0.8")},
  };
  state.next_subflow_id = 2;
  PathManagerConfig config;
  config.limits = {.max_subflows = 8, .max_add_addr_accepted = 1};
  auto pm = MustCreate("explicit", config);
  EXPECT_THAT(pm->Adopt(At(0), state), IsEmpty());
  std::vector<uint8_t> ids;
  for (const RemoteAddress& remote : pm->RemoteAddresses()) {
    ids.push_back(remote.id);
  }
  // 5 takes the one place, 6 stays as subflow 1 uses it, 7 repeats 6's
  // address, and 8 finds no place.
  EXPECT_THAT(ids, ElementsAre(0, 5, 6));
  EXPECT_EQ(pm->stats().add_addr_ignored, 1u);
  // REMOVE_ADDR still finds the subflow to 6.
  EXPECT_THAT(ClosedIds(pm->OnRemoveAddr(At(1), std::vector<uint8_t>{6})),
              ElementsAre(1));
}

// Switching before establishment: only the down paths carry over; the new
// manager starts from OnConnectionEstablished as usual.
TEST(AdoptTest, BeforeEstablishmentOnlyDownPathsCarryOver) {
  auto old = MustCreate("explicit", TwoFullmeshEndpoints());
  EXPECT_THAT(old->OnLocalPathDown(At(0), {.interface = "wlan0"}), IsEmpty());
  auto pm = MustCreate("fullmesh", TwoFullmeshEndpoints());
  EXPECT_THAT(pm->Adopt(At(0), old->ExportState()), IsEmpty());
  EXPECT_THAT(pm->Subflows(), IsEmpty());
  EXPECT_THAT(Opened(pm->OnConnectionEstablished(At(1), ClientInitial())),
              ElementsAre("10.0.2.1->10.1.0.1:80"));
}

// An adopted subflow on a path whose endpoint is a backup one becomes a
// backup subflow (MP_PRIO), as fullmesh would have opened it.
TEST(AdoptTest, EndpointPriorityIsApplied) {
  auto old = MustCreate("explicit", TwoFullmeshEndpoints());
  old->OnConnectionEstablished(At(0), ClientInitial());
  ASSERT_TRUE(old->OpenSubflow(At(0), {.local_id = 2, .remote_id = 0}).ok());
  PathManagerConfig config = TwoFullmeshEndpoints();
  config.endpoints[1].backup = true;
  auto pm = MustCreate("fullmesh", config);
  const Actions actions = pm->Adopt(At(1), old->ExportState());
  EXPECT_THAT(Only<SetBackupAction>(actions),
              ElementsAre(SetBackupAction{.id = 1, .backup = true}));
  EXPECT_THAT(Opened(actions), ElementsAre("10.0.1.1->10.1.0.1:80"));
}

}  // namespace
}  // namespace plait::pm
