// MptcpConnection driving its path manager, and the address signals:
// ADD_ADDR (HMAC, echo, retransmission), REMOVE_ADDR, MP_PRIO, limits, and
// subflows closed and re-created as local paths go down and up.
#include <optional>
#include <string>
#include <vector>

#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/mptcp/testing/mptcp_loopback.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/tcp_header.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::mptcp {
namespace {

using mptcp_testing::MptcpLoopback;
using mptcp_testing::Pattern;

template <typename T>
std::optional<T> FindOption(const wire::Segment& s) {
  for (const auto& o : s.mptcp_options()) {
    if (const T* t = std::get_if<T>(&o)) return *t;
  }
  return std::nullopt;
}

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

// The server announces its second address; the client accepts it and joins.
MptcpConfig ServerAnnouncing(const MptcpLoopback::Path& path) {
  MptcpConfig config;
  config.path_manager = "fullmesh";
  config.path_manager_config.endpoints = {
      pm::Endpoint{.id = 1, .address = path.server, .signal = true}};
  return config;
}

MptcpConfig ClientAccepting() {
  MptcpConfig config;
  config.scheduler = "roundrobin";
  config.path_manager_config.limits = {.max_subflows = 2,
                                       .max_add_addr_accepted = 2};
  return config;
}

std::vector<MptcpLoopback::Path> TwoPaths() {
  return {{*wire::IpAddress::Parse("10.0.1.1"),
           *wire::IpAddress::Parse("10.1.1.2"), Milliseconds(10)},
          {*wire::IpAddress::Parse("10.0.2.1"),
           *wire::IpAddress::Parse("10.1.2.2"), Milliseconds(10)}};
}

TEST(MptcpPathManagementTest, AnnouncedAddressIsEchoedAndJoined) {
  const auto paths = TwoPaths();
  MptcpLoopback loop(ClientAccepting(), ServerAnnouncing(paths[1]),
                     {Milliseconds(10), Milliseconds(10)});
  loop.record = true;
  Open(loop);
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(2)))
      << "sent " << loop.server->stats().add_addr_sent << " received "
      << loop.client->stats().add_addr_received << " rejected "
      << loop.client->stats().add_addr_rejected << " subflows "
      << loop.client->subflow_count() << " opened "
      << loop.client->path_manager().stats().subflows_opened << " failures "
      << loop.client->stats().subflow_open_failures << " accepted "
      << loop.client->path_manager().stats().add_addr_accepted << " ignored "
      << loop.client->path_manager().stats().add_addr_ignored;
  EXPECT_EQ(loop.server->stats().add_addr_sent, 1u);
  EXPECT_EQ(loop.client->stats().add_addr_received, 1u);
  EXPECT_EQ(loop.server->stats().add_addr_echoes, 1u);
  EXPECT_EQ(loop.server->stats().add_addr_retransmitted, 0u);
  // The join goes to the announced address, with the path manager's ids.
  const tcp::TcpEndpoints& joined = loop.client->subflow(1).endpoints();
  EXPECT_EQ(joined.remote, paths[1].server);
  EXPECT_EQ(loop.client->subflow_pm_id(1), std::optional<pm::SubflowId>(1));
  // On the wire: ADD_ADDR with an HMAC, then its echo without one.
  int announces = 0;
  int echoes = 0;
  for (const auto& p : loop.log) {
    const auto s = *wire::ParseSegment(p.bytes);
    if (auto add = FindOption<wire::AddAddr>(s)) {
      EXPECT_EQ(add->address, paths[1].server);
      EXPECT_EQ(add->address_id, 1);
      if (add->echo) {
        ++echoes;
        EXPECT_FALSE(add->truncated_hmac.has_value());
      } else {
        ++announces;
        EXPECT_TRUE(add->truncated_hmac.has_value());
      }
    }
  }
  EXPECT_EQ(announces, 1);
  EXPECT_EQ(echoes, 1);
  // Both subflows carry data.
  const auto data = Pattern(1 << 20, 3);
  loop.apps[1].received.clear();
  ASSERT_TRUE(loop.Send(0, data, Seconds(10)));
  ASSERT_TRUE(
      loop.RunUntil([&] { return loop.apps[1].received.size() == data.size(); },
                    Seconds(10)));
  EXPECT_TRUE(loop.apps[1].received == data);
  EXPECT_GT(loop.client->subflow(1).stats().bytes_sent, 100000u);
}

TEST(MptcpPathManagementTest, AddAddrIsSentAgainUntilEchoed) {
  const auto paths = TwoPaths();
  MptcpLoopback loop(ClientAccepting(), ServerAnnouncing(paths[1]),
                     {Milliseconds(10), Milliseconds(10)});
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
  EXPECT_EQ(echoes_dropped, 1);
  EXPECT_EQ(loop.server->stats().add_addr_retransmitted, 1u);
  // The client saw it twice, echoed it twice, and used it once.
  EXPECT_EQ(loop.client->stats().add_addr_received, 2u);
  EXPECT_EQ(loop.client->path_manager().stats().add_addr_accepted, 1u);
  EXPECT_EQ(loop.client->path_manager().stats().add_addr_duplicates, 1u);
}

// A forged ADD_ADDR (its HMAC altered on the way) is dropped, counted, not
// echoed and not used; the genuine one sent again later is.
TEST(MptcpPathManagementTest, ForgedAddAddrIsRejectedAndChangesNothing) {
  const auto paths = TwoPaths();
  MptcpLoopback loop(ClientAccepting(), ServerAnnouncing(paths[1]),
                     {Milliseconds(10), Milliseconds(10)});
  int forged = 0;
  int echoes = 0;
  loop.mutate = [&](int from, std::vector<uint8_t>& bytes) {
    const auto s = *wire::ParseSegment(bytes);
    auto add = FindOption<wire::AddAddr>(s);
    if (from == 0 && add && add->echo) ++echoes;
    if (from != 1 || !add || add->echo || forged > 0) return;
    // ADD_ADDR (kind 30, subtype 3) for IPv4 with an HMAC: 16 bytes, the
    // HMAC last.
    for (size_t i = 40; i + 16 <= bytes.size(); ++i) {
      if (bytes[i] == 30 && bytes[i + 1] == 16 && (bytes[i + 2] >> 4) == 3) {
        bytes[i + 15] ^= 0x01;
        ++forged;
        break;
      }
    }
    ASSERT_TRUE(wire::FillTcpChecksum(s.ip.src, s.ip.dst,
                                      absl::MakeSpan(bytes).subspan(20))
                    .ok());
  };
  Open(loop);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.client->stats().add_addr_rejected == 1; }, Seconds(1)));
  EXPECT_EQ(forged, 1);
  // Before the retransmission (2 s): nothing echoed, learnt or opened.
  ASSERT_FALSE(loop.RunUntil([&] { return echoes > 0; }, Milliseconds(1500)));
  EXPECT_EQ(loop.client->stats().add_addr_received, 0u);
  EXPECT_EQ(loop.client->path_manager().RemoteAddresses().size(), 1u);
  EXPECT_EQ(loop.client->subflow_count(), 1u);
  // The genuine retransmission is accepted.
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(3)));
  EXPECT_EQ(loop.client->stats().add_addr_received, 1u);
  EXPECT_EQ(loop.client->stats().add_addr_rejected, 1u);
}

// The server withdraws its address: the client closes the subflow to it and
// carries on over the initial one.
TEST(MptcpPathManagementTest, RemoveAddrClosesTheSubflowsToIt) {
  const auto paths = TwoPaths();
  MptcpLoopback loop(ClientAccepting(), ServerAnnouncing(paths[1]),
                     {Milliseconds(10), Milliseconds(10)});
  Open(loop);
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(2)));
  EXPECT_EQ(loop.server->WithdrawAddress(7, loop.now).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(loop.server->WithdrawAddress(1, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 1; },
                            Seconds(2)));
  EXPECT_EQ(loop.client->stats().remove_addr_received, 1u);
  EXPECT_EQ(loop.client->path_manager().RemoteAddresses().size(), 1u);
  const auto data = Pattern(200000, 4);
  loop.apps[1].received.clear();
  ASSERT_TRUE(loop.Send(0, data, Seconds(5)));
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[1].received.size() == data.size(); }, Seconds(5)));
  EXPECT_TRUE(loop.apps[1].received == data);
}

// MP_PRIO: the client marks its second subflow backup; the server, which
// hears it, stops sending on it, and so does the client.
TEST(MptcpPathManagementTest, MpPrioMakesTheSubflowABackupForBothSides) {
  MptcpConfig client = ClientAccepting();
  client.path_manager_config.endpoints = {
      pm::Endpoint{.id = 1, .address = TwoPaths()[1].client, .subflow = true}};
  MptcpConfig server;
  server.scheduler = "roundrobin";
  MptcpLoopback loop(client, server, {Milliseconds(10), Milliseconds(10)});
  Open(loop);
  ASSERT_TRUE(loop.RunUntil([&] { return loop.server->active_subflows() == 2; },
                            Seconds(2)));
  EXPECT_EQ(loop.client->SetSubflowBackup(9, true, loop.now).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(loop.client->SetSubflowBackup(1, true, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.server->stats().mp_prio_received == 1; }, Seconds(1)))
      << "client backup " << loop.client->subflow_backup(1);
  EXPECT_TRUE(loop.client->subflow_backup(1));
  EXPECT_TRUE(loop.server->subflow_backup(1));
  const uint64_t server_before = loop.server->subflow(1).stats().bytes_sent;
  const uint64_t client_before = loop.client->subflow(1).stats().bytes_sent;
  const auto data = Pattern(500000, 5);
  loop.apps[0].received.clear();
  loop.apps[1].received.clear();
  ASSERT_TRUE(loop.Send(1, data, Seconds(5)));
  ASSERT_TRUE(loop.Send(0, data, Seconds(5)));
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return loop.apps[0].received.size() == data.size() &&
               loop.apps[1].received.size() == data.size();
      },
      Seconds(5)));
  EXPECT_EQ(loop.server->subflow(1).stats().bytes_sent, server_before);
  EXPECT_EQ(loop.client->subflow(1).stats().bytes_sent, client_before);
}

// limits.max_subflows on the server: a join beyond it is refused with
// MP_TCPRST "lack of resources" and creates nothing.
TEST(MptcpPathManagementTest, JoinBeyondTheLimitIsRefused) {
  MptcpConfig server;
  server.path_manager_config.limits.max_subflows = 1;
  MptcpLoopback loop(MptcpConfig{}, server,
                     {Milliseconds(10), Milliseconds(10), Milliseconds(10)});
  loop.record = true;
  Open(loop);
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.server->subflow_count() == 2; },
                            Seconds(1)));
  ASSERT_TRUE(loop.Join(2));
  ASSERT_TRUE(
      loop.RunUntil([&] { return loop.joins_refused == 1; }, Seconds(1)));
  EXPECT_EQ(loop.server->subflow_count(), 2u);
  EXPECT_EQ(loop.server->stats().joins_refused, 1u);
  bool saw_reason = false;
  for (const auto& p : loop.log) {
    const auto s = *wire::ParseSegment(p.bytes);
    if (p.from != 1 || !s.tcp.has(wire::TcpHeader::kRst)) continue;
    if (auto rst = FindOption<wire::MpTcpRst>(s)) {
      saw_reason = rst->reason ==
                   static_cast<uint8_t>(wire::TcpRstReason::kLackOfResources);
    }
  }
  EXPECT_TRUE(saw_reason);
}

// The client's second address goes away and comes back: the path manager
// closes its subflow (the data it held is sent again on the first) and
// opens a new one from it, which carries data.
TEST(MptcpPathManagementTest, SubflowIsRecreatedWhenItsPathReturns) {
  MptcpConfig client = ClientAccepting();
  const auto paths = TwoPaths();
  client.path_manager_config.endpoints = {
      pm::Endpoint{.id = 1, .address = paths[1].client, .subflow = true}};
  MptcpLoopback loop(client, MptcpConfig{},
                     {Milliseconds(10), Milliseconds(10)});
  Open(loop);
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(2)));
  const auto data = Pattern(16 << 20, 6);
  loop.apps[1].received.clear();
  size_t sent = 0;
  bool went_down = false;
  bool came_back = false;
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        sent += loop.client->Write(absl::MakeConstSpan(data).subspan(sent),
                                   loop.now);
        const size_t got = loop.apps[1].received.size();
        if (!went_down && got > data.size() / 8) {
          went_down = true;
          loop.paths[1].down = true;
          loop.client->OnLocalPathDown({.address = paths[1].client}, loop.now);
          EXPECT_EQ(loop.client->active_subflows(), 1u);
        }
        if (went_down && !came_back && got > data.size() / 4) {
          came_back = true;
          loop.paths[1].down = false;
          loop.client->OnLocalPathUp({.address = paths[1].client}, loop.now);
        }
        return got == data.size();
      },
      Seconds(20)));
  EXPECT_TRUE(loop.apps[1].received == data);
  ASSERT_EQ(loop.client->subflow_count(), 3u);
  EXPECT_EQ(loop.client->subflow(2).endpoints().local, paths[1].client);
  EXPECT_GT(loop.client->subflow(2).stats().bytes_sent, 100000u);
  EXPECT_GT(loop.client->stats().bytes_reinjected, 0u);
  EXPECT_EQ(loop.client->path_manager().stats().subflows_recreated, 1u);
}

// ---------------------------------------------------------------------------
// Switching the path manager on a live connection.

// The client's two addresses as fullmesh subflow endpoints (the initial one
// too, so that it also reaches the server's second address): with the
// server's two addresses, a 2 x 2 mesh.
pm::PathManagerConfig MeshConfig() {
  const auto paths = TwoPaths();
  pm::PathManagerConfig config;
  config.endpoints = {pm::Endpoint{.id = 1,
                                   .address = paths[1].client,
                                   .subflow = true,
                                   .fullmesh = true},
                      pm::Endpoint{.id = 2,
                                   .address = paths[0].client,
                                   .subflow = true,
                                   .fullmesh = true}};
  config.limits = {.max_subflows = 3, .max_add_addr_accepted = 2};
  return config;
}

// "10.0.1.1->10.1.2.2" for each established subflow.
std::vector<std::string> EstablishedPairs(const MptcpConnection& c) {
  std::vector<std::string> out;
  for (size_t i = 0; i < c.subflow_count(); ++i) {
    if (c.subflow(i).state() != tcp::TcpState::kEstablished) continue;
    out.push_back(c.subflow(i).endpoints().local.ToString() + "->" +
                  c.subflow(i).endpoints().remote.ToString());
  }
  return out;
}

// A client under "explicit" that knows the server's second address and has
// opened one subflow besides the initial one by request.
void OpenExplicitWithOneExtraSubflow(MptcpLoopback& loop) {
  Open(loop);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.client->path_manager().RemoteAddresses().size() == 2; },
      Seconds(2)));
  ASSERT_TRUE(loop.client->OpenSubflow({.local_id = 1}, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(2)));
}

// The announcing server, with room for the mesh's three joins.
MptcpConfig MeshServer() {
  MptcpConfig server = ServerAnnouncing(TwoPaths()[1]);
  server.path_manager_config.limits.max_subflows = 3;
  return server;
}

MptcpConfig ExplicitClient() {
  MptcpConfig client = ClientAccepting();
  client.path_manager = "explicit";
  client.path_manager_config = MeshConfig();
  return client;
}

// Switched to fullmesh in the middle of a transfer, the client opens exactly
// the two missing subflows of the mesh (not again the one it has) and the
// data arrives whole.
TEST(MptcpPathManagementTest, SwitchToFullmeshMidTransferCompletesTheMesh) {
  const auto paths = TwoPaths();
  MptcpLoopback loop(ExplicitClient(), MeshServer(),
                     {Milliseconds(10), Milliseconds(10)});
  OpenExplicitWithOneExtraSubflow(loop);
  ASSERT_STREQ(loop.client->path_manager().name(), "explicit");
  EXPECT_EQ(loop.client->subflow_count(), 2u);

  const auto data = Pattern(8 << 20, 7);
  loop.apps[1].received.clear();
  size_t sent = 0;
  bool switched = false;
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        sent += loop.client->Write(absl::MakeConstSpan(data).subspan(sent),
                                   loop.now);
        const size_t got = loop.apps[1].received.size();
        if (!switched && got > data.size() / 4) {
          switched = true;
          EXPECT_TRUE(
              loop.client->SetPathManager("fullmesh", MeshConfig(), loop.now)
                  .ok());
          // Opened at once: the two missing pairs only.
          EXPECT_EQ(loop.client->subflow_count(), 4u);
        }
        return got == data.size();
      },
      Seconds(20)));
  EXPECT_TRUE(loop.apps[1].received == data);
  EXPECT_STREQ(loop.client->path_manager().name(), "fullmesh");
  EXPECT_EQ(loop.client->config().path_manager, "fullmesh");
  EXPECT_EQ(loop.client->stats().path_manager_switches, 1u);
  EXPECT_EQ(loop.client->path_manager().stats().subflows_opened, 2u);
  ASSERT_EQ(loop.client->subflow_count(), 4u);
  EXPECT_EQ(loop.client->active_subflows(), 4u);
  EXPECT_THAT(EstablishedPairs(*loop.client),
              ::testing::UnorderedElementsAre(
                  "10.0.1.1->10.1.1.2", "10.0.2.1->10.1.1.2",
                  "10.0.1.1->10.1.2.2", "10.0.2.1->10.1.2.2"));
  // The new manager knows every subflow, the adopted ones under their ids.
  EXPECT_EQ(loop.client->path_manager().Subflows().size(), 4u);
  for (size_t i = 2; i < 4; ++i) {
    EXPECT_GT(loop.client->subflow(i).stats().bytes_sent, 100000u) << i;
  }
}

// Back to explicit: nothing closes at the switch, and a path that goes away
// and comes back is not re-created, as fullmesh would have done.
TEST(MptcpPathManagementTest, SwitchBackToExplicitStopsRecreation) {
  const auto paths = TwoPaths();
  MptcpLoopback loop(ExplicitClient(), MeshServer(),
                     {Milliseconds(10), Milliseconds(10)});
  OpenExplicitWithOneExtraSubflow(loop);
  ASSERT_TRUE(
      loop.client->SetPathManager("fullmesh", MeshConfig(), loop.now).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 4; },
                            Seconds(2)));
  ASSERT_TRUE(
      loop.client->SetPathManager("explicit", MeshConfig(), loop.now).ok());
  EXPECT_STREQ(loop.client->path_manager().name(), "explicit");
  EXPECT_EQ(loop.client->stats().path_manager_switches, 2u);
  EXPECT_EQ(loop.client->path_manager().Subflows().size(), 4u);

  const auto data = Pattern(8 << 20, 8);
  loop.apps[1].received.clear();
  size_t sent = 0;
  bool went_down = false;
  bool came_back = false;
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        sent += loop.client->Write(absl::MakeConstSpan(data).subspan(sent),
                                   loop.now);
        const size_t got = loop.apps[1].received.size();
        EXPECT_EQ(loop.client->subflow_count(), 4u);
        if (!went_down && got > data.size() / 8) {
          went_down = true;
          // The client's second address goes away (the harness routes by
          // source address, so only the client hears of it): both subflows
          // from it close.
          loop.client->OnLocalPathDown({.address = paths[1].client}, loop.now);
          EXPECT_EQ(loop.client->active_subflows(), 2u);
        }
        if (went_down && !came_back && got > data.size() / 4) {
          came_back = true;
          loop.client->OnLocalPathUp({.address = paths[1].client}, loop.now);
        }
        return got == data.size();
      },
      Seconds(20)));
  EXPECT_TRUE(loop.apps[1].received == data);
  ASSERT_TRUE(came_back);
  // Well past fullmesh's immediate re-creation and any backoff: nothing.
  loop.RunUntil([] { return false; }, Seconds(5));
  EXPECT_EQ(loop.client->subflow_count(), 4u);
  EXPECT_EQ(loop.client->active_subflows(), 2u);
  EXPECT_EQ(loop.client->path_manager().stats().subflows_opened, 0u);
  EXPECT_THAT(EstablishedPairs(*loop.client),
              ::testing::UnorderedElementsAre("10.0.1.1->10.1.1.2",
                                              "10.0.1.1->10.1.2.2"));
}

// An unknown name or an invalid config is refused with an error naming it,
// and the connection keeps its manager, config and subflows.
TEST(MptcpPathManagementTest, InvalidSwitchChangesNothing) {
  const auto paths = TwoPaths();
  MptcpLoopback loop(ExplicitClient(), MeshServer(),
                     {Milliseconds(10), Milliseconds(10)});
  OpenExplicitWithOneExtraSubflow(loop);

  const absl::Status unknown =
      loop.client->SetPathManager("meshfull", MeshConfig(), loop.now);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), ::testing::HasSubstr("meshfull"));

  pm::PathManagerConfig too_many = MeshConfig();
  too_many.limits.max_subflows = 9;
  const absl::Status invalid =
      loop.client->SetPathManager("fullmesh", too_many, loop.now);
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(invalid.message(), ::testing::HasSubstr("limits.max_subflows"));

  pm::PathManagerConfig ports = MeshConfig();
  ports.ndiffports.subflows = 5;  // needs 4 places, the limit is 3
  const absl::Status ndiffports =
      loop.client->SetPathManager("ndiffports", ports, loop.now);
  EXPECT_EQ(ndiffports.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ndiffports.message(),
              ::testing::HasSubstr("ndiffports.subflows"));

  EXPECT_STREQ(loop.client->path_manager().name(), "explicit");
  EXPECT_EQ(loop.client->config().path_manager, "explicit");
  EXPECT_EQ(loop.client->config().path_manager_config.limits.max_subflows, 3);
  EXPECT_EQ(loop.client->stats().path_manager_switches, 0u);
  // Fullmesh would have opened two subflows by now; explicit opens none.
  loop.RunUntil([] { return false; }, Seconds(3));
  EXPECT_EQ(loop.client->subflow_count(), 2u);
  EXPECT_EQ(loop.client->active_subflows(), 2u);
}

// The ADD_ADDR retransmission lives in the connection: an announcement whose
// echo was lost is still sent again after the server switches managers, and
// the new manager knows it was announced (it can withdraw it).
TEST(MptcpPathManagementTest, AddAddrRetransmissionSurvivesASwitch) {
  const auto paths = TwoPaths();
  MptcpLoopback loop(ClientAccepting(), ServerAnnouncing(paths[1]),
                     {Milliseconds(10), Milliseconds(10)});
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
  ASSERT_TRUE(loop.RunUntil([&] { return echoes_dropped == 1; }, Seconds(1)));
  ASSERT_EQ(loop.server->stats().add_addr_retransmitted, 0u);
  ASSERT_EQ(loop.server->stats().add_addr_echoes, 0u);
  pm::PathManagerConfig config = ServerAnnouncing(paths[1]).path_manager_config;
  ASSERT_TRUE(loop.server->SetPathManager("explicit", config, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.server->stats().add_addr_echoes == 1; }, Seconds(5)));
  EXPECT_EQ(loop.server->stats().add_addr_retransmitted, 1u);
  EXPECT_EQ(loop.server->stats().add_addr_sent, 1u);  // not announced again
  ASSERT_TRUE(loop.server->WithdrawAddress(1, loop.now).ok());
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.client->stats().remove_addr_received == 1; },
      Seconds(2)));
}

}  // namespace
}  // namespace plait::mptcp
