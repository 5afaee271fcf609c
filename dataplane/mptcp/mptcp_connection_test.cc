#include "dataplane/mptcp/mptcp_connection.h"

#include <optional>
#include <string>
#include <vector>

#include "dataplane/cc/coupled_controller.h"
#include "dataplane/crypto/keys.h"
#include "dataplane/mptcp/testing/mptcp_loopback.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/tcp_header.h"
#include "gtest/gtest.h"

namespace plait::mptcp {
namespace {

using mptcp_testing::MptcpLoopback;
using mptcp_testing::Pattern;
using wire::TcpHeader;

constexpr uint64_t kClientKey = 0x0123456789abcdef;
constexpr uint64_t kServerKey = 0xfedcba9876543210;

wire::Segment Parse(const MptcpLoopback::Packet& p) {
  auto s = wire::ParseSegment(p.bytes);
  EXPECT_TRUE(s.ok());
  return *s;
}

template <typename T>
std::optional<T> FindOption(const wire::Segment& s) {
  for (const auto& o : s.mptcp_options()) {
    if (const T* t = std::get_if<T>(&o)) return *t;
  }
  return std::nullopt;
}

bool BothEstablished(MptcpLoopback& loop) {
  return loop.apps[0].established && loop.server && loop.apps[1].established;
}

// Runs the handshake and a few bytes each way so that both sides are fully
// established (the client has seen a DATA_ACK).
void Open(MptcpLoopback& loop) {
  loop.Connect();
  ASSERT_TRUE(loop.RunUntil([&] { return BothEstablished(loop); }, Seconds(5)));
}

void TransferBothWays(MptcpLoopback& loop, size_t up, size_t down,
                      Duration limit = Seconds(120)) {
  const auto a = Pattern(up, 1);
  const auto b = Pattern(down, 2);
  loop.apps[0].received.clear();
  loop.apps[1].received.clear();
  size_t sent[2] = {0, 0};
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        const std::vector<uint8_t>* data[2] = {&a, &b};
        for (int i = 0; i < 2; ++i) {
          MptcpConnection* c = loop.host(i);
          if (c != nullptr && sent[i] < data[i]->size()) {
            sent[i] += c->Write(absl::MakeConstSpan(*data[i]).subspan(sent[i]),
                                loop.now);
          }
        }
        return loop.apps[1].received.size() == a.size() &&
               loop.apps[0].received.size() == b.size();
      },
      limit))
      << "sent " << sent[0] << "/" << sent[1] << " received "
      << loop.apps[1].received.size() << "/" << loop.apps[0].received.size()
      << " subflows " << loop.client->subflow_count() << " active "
      << loop.client->active_subflows() << "/" << loop.server->active_subflows()
      << " client readable " << loop.client->readable_bytes()
      << " sf0 readable " << loop.client->subflow(0).readable_bytes()
      << " server sf0 readable " << loop.server->subflow(0).readable_bytes()
      << " resets " << loop.client->stats().subflow_resets << "/"
      << loop.server->stats().subflow_resets;
  EXPECT_TRUE(loop.apps[1].received == a) << "client -> server bytes differ";
  EXPECT_TRUE(loop.apps[0].received == b) << "server -> client bytes differ";
}

TEST(MptcpConnectionTest, HandshakeCarriesMpCapableV1) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.record = true;
  Open(loop);
  ASSERT_GE(loop.log.size(), 3u);

  const wire::Segment syn = Parse(loop.log[0]);
  ASSERT_TRUE(syn.tcp.has(TcpHeader::kSyn));
  auto mpc = FindOption<wire::MpCapable>(syn);
  ASSERT_TRUE(mpc.has_value());
  EXPECT_EQ(*mpc, wire::MpCapable::Syn(wire::kMpcFlagH));

  const wire::Segment syn_ack = Parse(loop.log[1]);
  ASSERT_TRUE(syn_ack.tcp.has(TcpHeader::kSyn | TcpHeader::kAck));
  mpc = FindOption<wire::MpCapable>(syn_ack);
  ASSERT_TRUE(mpc.has_value());
  EXPECT_EQ(*mpc, wire::MpCapable::SynAck(wire::kMpcFlagH, kServerKey));

  const wire::Segment third = Parse(loop.log[2]);
  EXPECT_FALSE(third.tcp.has(TcpHeader::kSyn));
  mpc = FindOption<wire::MpCapable>(third);
  ASSERT_TRUE(mpc.has_value());
  EXPECT_EQ(*mpc,
            wire::MpCapable::Ack(wire::kMpcFlagH, kClientKey, kServerKey));

  EXPECT_FALSE(loop.client->fallback());
  EXPECT_FALSE(loop.server->fallback());
  EXPECT_EQ(loop.client->remote_key(), kServerKey);
  EXPECT_EQ(loop.server->remote_key(), kClientKey);
  EXPECT_FALSE(loop.client->checksums_enabled());
}

TEST(MptcpConnectionTest, FirstDataCarriesMpCapableThenDss) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.record = true;
  Open(loop);
  TransferBothWays(loop, 5000, 0);
  // The client's first data segment: MP_CAPABLE with both keys and a length.
  bool saw_mpc_data = false;
  bool saw_dss_ack = false;
  for (const auto& p : loop.log) {
    const wire::Segment s = Parse(p);
    if (p.from == 0 && !s.tcp.payload.empty() && !saw_mpc_data) {
      auto mpc = FindOption<wire::MpCapable>(s);
      ASSERT_TRUE(mpc.has_value());
      EXPECT_EQ(mpc->sender_key, kClientKey);
      EXPECT_EQ(mpc->receiver_key, kServerKey);
      ASSERT_TRUE(mpc->data_level_length.has_value());
      EXPECT_GE(*mpc->data_level_length, s.tcp.payload.size());
      EXPECT_FALSE(mpc->checksum.has_value());
      saw_mpc_data = true;
    }
    if (p.from == 1) {
      if (auto dss = FindOption<wire::Dss>(s); dss && dss->data_ack) {
        saw_dss_ack = true;
      }
    }
  }
  EXPECT_TRUE(saw_mpc_data);
  EXPECT_TRUE(saw_dss_ack);
}

TEST(MptcpConnectionTest, TransfersMegabytesBothWays) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  Open(loop);
  TransferBothWays(loop, 4 << 20, 3 << 20);
  EXPECT_EQ(loop.server->stats().checksum_failures, 0u);
  EXPECT_EQ(loop.client->stats().subflow_resets, 0u);
  EXPECT_EQ(loop.server->stats().subflow_resets, 0u);
}

TEST(MptcpConnectionTest, TransfersWithLossAndMappingsStayExact) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  int n = 0;
  loop.filter = [&](const MptcpLoopback::Packet&, const wire::Segment& s) {
    return s.tcp.payload.empty() || ++n % 37 != 0;  // drop some data
  };
  Open(loop);
  TransferBothWays(loop, 2 << 20, 1 << 20);
}

TEST(MptcpConnectionTest, FallsBackToTcpWhenServerDoesNotSpeakMptcp) {
  MptcpConfig server;
  server.enabled = false;
  MptcpLoopback loop(MptcpConfig{}, server);
  loop.record = true;
  Open(loop);
  EXPECT_TRUE(loop.client->fallback());
  const wire::Segment syn_ack = Parse(loop.log[1]);
  EXPECT_EQ(syn_ack.mptcp_count, 0);
  TransferBothWays(loop, 1 << 20, 300000);
  for (size_t i = 1; i < loop.log.size(); ++i) {
    EXPECT_EQ(Parse(loop.log[i]).mptcp_count, 0) << "packet " << i;
  }
  // Close still works as plain TCP.
  loop.client->Close(loop.now);
  ASSERT_TRUE(
      loop.RunUntil([&] { return loop.apps[1].end_of_stream; }, Seconds(5)));
  loop.server->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(5)));
  EXPECT_EQ(loop.apps[0].close_reason, MptcpCloseReason::kNormal);
}

TEST(MptcpConnectionTest, DataFinClosesTheConnection) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.record = true;
  Open(loop);
  TransferBothWays(loop, 100000, 50000);
  loop.client->Close(loop.now);
  ASSERT_TRUE(
      loop.RunUntil([&] { return loop.apps[1].end_of_stream; }, Seconds(5)));
  EXPECT_FALSE(loop.apps[0].closed);
  loop.server->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(5)));
  EXPECT_EQ(loop.apps[0].close_reason, MptcpCloseReason::kNormal);
  EXPECT_EQ(loop.apps[1].close_reason, MptcpCloseReason::kNormal);
  EXPECT_TRUE(loop.apps[0].end_of_stream);

  // The client's DATA_FIN sits right after its 100000 bytes, and the server
  // acknowledged it with DATA_ACK = DATA_FIN + 1.
  const uint64_t client_fin =
      crypto::DeriveFromKey(kClientKey).idsn + 1 + 100000;
  bool fin_sent = false;
  bool fin_acked = false;
  for (const auto& p : loop.log) {
    const wire::Segment s = Parse(p);
    auto dss = FindOption<wire::Dss>(s);
    if (!dss) continue;
    if (p.from == 0 && dss->data_fin) {
      ASSERT_TRUE(dss->mapping.has_value());
      EXPECT_EQ(dss->mapping->dsn + dss->mapping->data_level_length - 1,
                client_fin);
      fin_sent = true;
    }
    if (p.from == 1 && dss->data_ack && *dss->data_ack == client_fin + 1) {
      fin_acked = true;
    }
  }
  EXPECT_TRUE(fin_sent);
  EXPECT_TRUE(fin_acked);
}

TEST(MptcpConnectionTest, CloseRightAfterSmallWrite) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.Connect();
  const auto data = Pattern(3000);
  ASSERT_EQ(loop.client->Write(data, loop.now), data.size());
  loop.client->Close(loop.now);
  ASSERT_TRUE(
      loop.RunUntil([&] { return loop.apps[1].end_of_stream; }, Seconds(5)));
  EXPECT_TRUE(loop.apps[1].received == data);
  loop.server->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(5)));
}

TEST(MptcpConnectionTest, ChecksumsNegotiatedAndVerified) {
  MptcpConfig client;
  client.checksums = true;
  MptcpLoopback loop(client, MptcpConfig{});
  loop.record = true;
  Open(loop);
  EXPECT_TRUE(loop.client->checksums_enabled());
  EXPECT_TRUE(loop.server->checksums_enabled());
  auto mpc = FindOption<wire::MpCapable>(Parse(loop.log[0]));
  ASSERT_TRUE(mpc.has_value());
  EXPECT_EQ(mpc->flags, wire::kMpcFlagH | wire::kMpcFlagA);
  mpc = FindOption<wire::MpCapable>(Parse(loop.log[1]));
  ASSERT_TRUE(mpc.has_value());
  EXPECT_EQ(mpc->flags, wire::kMpcFlagH | wire::kMpcFlagA);
  TransferBothWays(loop, 1 << 20, 1 << 20);
  EXPECT_EQ(loop.client->stats().checksum_failures, 0u);
  EXPECT_EQ(loop.server->stats().checksum_failures, 0u);
  bool checksummed = false;
  for (const auto& p : loop.log) {
    auto dss = FindOption<wire::Dss>(Parse(p));
    if (dss && dss->mapping) {
      EXPECT_TRUE(dss->mapping->checksum.has_value());
      checksummed = true;
    }
  }
  EXPECT_TRUE(checksummed);
}

// A middlebox rewrites one payload byte of the first packet of at least
// 200 bytes from `from` on `path` (any path if -1), fixing the TCP checksum.
void CorruptOnePacket(MptcpLoopback& loop, int from, bool& done) {
  loop.mutate = [&loop, from, &done](int sender, std::vector<uint8_t>& bytes) {
    if (sender != from || done || bytes.size() < 200) return;
    done = true;
    bytes.back() ^= 0xff;
    const auto s = *wire::ParseSegment(bytes);
    ASSERT_TRUE(wire::FillTcpChecksum(s.ip.src, s.ip.dst,
                                      absl::MakeSpan(bytes).subspan(20))
                    .ok());
  };
}

// RFC 8684 3.7 with one subflow: the receiver answers the failed checksum
// with MP_FAIL and both ends fall back to TCP, the sender marking it with
// an infinite mapping. The stream goes on as plain TCP would carry it,
// with the middlebox's change in it, and closes normally.
TEST(MptcpConnectionTest, ChecksumFailureOnTheOnlySubflowFallsBackWithMpFail) {
  MptcpConfig client;
  client.checksums = true;
  MptcpLoopback loop(client, MptcpConfig{});
  loop.record = true;
  Open(loop);
  TransferBothWays(loop, 20000, 0);
  loop.apps[1].received.clear();
  bool done = false;
  CorruptOnePacket(loop, 0, done);
  const auto data = Pattern(10000);
  ASSERT_EQ(loop.client->Write(data, loop.now), data.size());
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return loop.apps[1].received.size() == data.size() &&
               loop.client->fallback();
      },
      Seconds(5)));
  EXPECT_EQ(loop.server->stats().checksum_failures, 1u);
  EXPECT_EQ(loop.server->stats().mp_fail_sent, 1u);
  EXPECT_EQ(loop.client->stats().mp_fail_received, 1u);
  EXPECT_TRUE(loop.server->fallback());
  EXPECT_TRUE(loop.client->fallback());
  size_t changed = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    if (loop.apps[1].received[i] != data[i]) {
      ++changed;
      EXPECT_EQ(loop.apps[1].received[i], data[i] ^ 0xff) << i;
    }
  }
  EXPECT_EQ(changed, 1u);
  // The server's MP_FAIL names the DSN of the mapping that failed, and the
  // client's infinite mapping (length 0) answers it.
  bool mp_fail = false, infinite = false;
  for (const auto& p : loop.log) {
    const wire::Segment s = Parse(p);
    if (p.from == 1 && FindOption<wire::MpFail>(s)) mp_fail = true;
    auto dss = FindOption<wire::Dss>(s);
    if (p.from == 0 && dss && dss->mapping &&
        dss->mapping->data_level_length == 0) {
      infinite = true;
    }
  }
  EXPECT_TRUE(mp_fail);
  EXPECT_TRUE(infinite);

  // Plain TCP both ways from here on, and a normal close.
  TransferBothWays(loop, 30000, 30000);
  loop.client->Close(loop.now);
  loop.server->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(30)));
  EXPECT_EQ(loop.apps[0].close_reason, MptcpCloseReason::kNormal);
  EXPECT_EQ(loop.apps[1].close_reason, MptcpCloseReason::kNormal);
}

// With two subflows the one whose data failed its checksum is reset, its
// RST carrying MP_FAIL and MP_TCPRST; its data goes again on the other, so
// nothing the middlebox changed is delivered.
TEST(MptcpConnectionTest, ChecksumFailureWithAnotherSubflowResetsTheSubflow) {
  MptcpConfig config;
  config.checksums = true;
  config.scheduler = "roundrobin";
  MptcpLoopback loop(config, config, {Milliseconds(10), Milliseconds(10)});
  loop.record = true;
  Open(loop);
  TransferBothWays(loop, 1000, 1000);
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.server->subflow_count() == 2; },
                            Seconds(1)));
  TransferBothWays(loop, 200000, 0);
  ASSERT_EQ(loop.client->active_subflows(), 2u);
  bool done = false;
  CorruptOnePacket(loop, 0, done);
  TransferBothWays(loop, 500000, 0);  // asserts the bytes are intact
  EXPECT_TRUE(done);
  EXPECT_EQ(loop.server->stats().checksum_failures, 1u);
  EXPECT_EQ(loop.server->stats().mp_fail_sent, 1u);
  EXPECT_FALSE(loop.server->fallback());
  EXPECT_EQ(loop.client->active_subflows(), 1u);
  bool rst_with_fail = false;
  for (const auto& p : loop.log) {
    const wire::Segment s = Parse(p);
    if (p.from == 1 && s.tcp.has(TcpHeader::kRst) &&
        FindOption<wire::MpFail>(s)) {
      auto rst = FindOption<wire::MpTcpRst>(s);
      ASSERT_TRUE(rst.has_value());
      EXPECT_EQ(rst->reason, static_cast<uint8_t>(
                                 wire::TcpRstReason::kMiddleboxInterference));
      rst_with_fail = true;
    }
  }
  EXPECT_TRUE(rst_with_fail);
}

TEST(MptcpConnectionTest, AbortSendsFastclose) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.record = true;
  Open(loop);
  TransferBothWays(loop, 10000, 10000);
  loop.client->Abort(loop.now);
  ASSERT_TRUE(loop.RunUntil([&] { return loop.apps[1].closed; }, Seconds(1)));
  EXPECT_EQ(loop.apps[0].close_reason, MptcpCloseReason::kAborted);
  EXPECT_EQ(loop.apps[1].close_reason, MptcpCloseReason::kFastclose);
  const wire::Segment rst = Parse(loop.log.back());
  EXPECT_TRUE(rst.tcp.has(TcpHeader::kRst));
  auto fc = FindOption<wire::MpFastclose>(rst);
  ASSERT_TRUE(fc.has_value());
  EXPECT_EQ(fc->receiver_key, kServerKey);
}

// --- MP_JOIN -------------------------------------------------------------

TEST(MptcpConnectionTest, JoinOpensASecondSubflowThatCarriesData) {
  MptcpConfig config;
  config.scheduler = "roundrobin";
  MptcpLoopback loop(config, config, {Milliseconds(10), Milliseconds(15)});
  loop.record = true;
  Open(loop);
  TransferBothWays(loop, 1000, 1000);
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.server->subflow_count() == 2; },
                            Seconds(1)));
  // The MP_JOIN SYN names the server's token.
  bool saw_join = false;
  for (const auto& p : loop.log) {
    if (p.path != 1) continue;
    if (auto join = FindOption<wire::MpJoinSyn>(Parse(p))) {
      EXPECT_EQ(join->token, crypto::DeriveFromKey(kServerKey).token);
      saw_join = true;
    }
  }
  EXPECT_TRUE(saw_join);
  TransferBothWays(loop, 4 << 20, 4 << 20);
  EXPECT_EQ(loop.client->active_subflows(), 2u);
  for (int host = 0; host < 2; ++host) {
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_GT(loop.host(host)->subflow(i).stats().bytes_sent, 100000u)
          << "host " << host << " subflow " << i;
    }
  }
}

uint64_t SubflowBytesSent(const MptcpConnection& c) {
  uint64_t total = 0;
  for (size_t i = 0; i < c.subflow_count(); ++i) {
    total += c.subflow(i).stats().bytes_sent;
  }
  return total;
}

// The scheduler is replaced on a live connection and the next bytes follow
// the new one: round-robin sends each byte once, redundant on both subflows
// (two equal paths, so neither subflow's copy is acknowledged through the
// other before it is sent).
TEST(MptcpConnectionTest, SchedulerSwitchesOnALiveConnection) {
  MptcpConfig config;
  config.scheduler = "roundrobin";
  MptcpLoopback loop(config, config, {Milliseconds(10), Milliseconds(10)});
  Open(loop);
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(1)));
  constexpr size_t kBytes = 1 << 20;
  const uint64_t before = SubflowBytesSent(*loop.client);
  TransferBothWays(loop, kBytes, 0);
  const uint64_t round_robin = SubflowBytesSent(*loop.client) - before;
  EXPECT_LT(round_robin, kBytes * 11 / 10);

  const absl::Status bad = loop.client->SetScheduler("fastest", loop.now);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("minrtt"), std::string::npos) << bad;
  EXPECT_STREQ(loop.client->scheduler_name(), "roundrobin");

  ASSERT_TRUE(loop.client->SetScheduler("redundant", loop.now).ok());
  EXPECT_STREQ(loop.client->scheduler_name(), "redundant");
  EXPECT_EQ(loop.client->scheduler_switches(), 1u);
  TransferBothWays(loop, kBytes, 0);
  const uint64_t redundant =
      SubflowBytesSent(*loop.client) - before - round_robin;
  EXPECT_GT(redundant, kBytes * 18 / 10)
      << loop.client->subflow(0).stats().bytes_sent << " "
      << loop.client->subflow(1).stats().bytes_sent;
}

TEST(MptcpConnectionTest, CongestionControlSwitchesOnALiveConnection) {
  MptcpConfig config;
  config.scheduler = "roundrobin";  // both subflows always carry data
  config.tcp.congestion_control = "cubic";
  MptcpLoopback loop(config, config, {Milliseconds(10), Milliseconds(30)});
  Open(loop);
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(1)));
  MptcpConnection& c = *loop.client;
  ASSERT_STREQ(c.subflow(1).congestion_control().name(), "cubic");

  const absl::Status bad = c.SetCongestionControl("bbr", loop.now);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("known: reno, cubic, lia, olia, balia"),
            std::string::npos)
      << bad;
  EXPECT_EQ(c.congestion_control_name(), "cubic");
  EXPECT_STREQ(c.subflow(0).congestion_control().name(), "cubic");
  EXPECT_EQ(c.congestion_control_switches(), 0u);

  // Each switch happens with data in flight on both subflows; every
  // subflow's new controller starts from the window the old one left.
  const std::vector<uint8_t> data = Pattern(4 << 20, 7);
  loop.apps[1].received.clear();
  size_t sent = 0;
  const std::vector<std::string> switches = {"lia", "reno"};
  size_t next = 0;
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        if (sent < data.size()) {
          sent += c.Write(absl::MakeConstSpan(data).subspan(sent), loop.now);
        }
        const size_t got = loop.apps[1].received.size();
        if (next < switches.size() && got > (next + 1) * data.size() / 3) {
          EXPECT_GT(c.subflow(0).bytes_in_flight(), 0u);
          EXPECT_GT(c.subflow(1).bytes_in_flight(), 0u);
          uint64_t cwnd[2];
          for (int i = 0; i < 2; ++i) {
            cwnd[i] = c.subflow(i).congestion_control().congestion_window();
          }
          EXPECT_TRUE(c.SetCongestionControl(switches[next], loop.now).ok());
          for (int i = 0; i < 2; ++i) {
            EXPECT_STREQ(c.subflow(i).congestion_control().name(),
                         switches[next].c_str());
            EXPECT_EQ(c.subflow(i).congestion_control().congestion_window(),
                      cwnd[i]);
          }
          if (switches[next] == "lia") {
            // Coupled: both subflows in the connection's one group, which
            // sees their windows.
            const auto* a = dynamic_cast<const cc::CoupledCongestionControl*>(
                &c.subflow(0).congestion_control());
            const auto* b = dynamic_cast<const cc::CoupledCongestionControl*>(
                &c.subflow(1).congestion_control());
            EXPECT_TRUE(a != nullptr && b != nullptr);
            if (a != nullptr && b != nullptr) {
              EXPECT_EQ(&a->group(), &b->group());
              EXPECT_EQ(a->group().size(), 2u);
              EXPECT_EQ(a->group().total_window(), cwnd[0] + cwnd[1]);
            }
          }
          ++next;
        }
        return loop.apps[1].received.size() == data.size();
      },
      Seconds(120)));
  EXPECT_TRUE(loop.apps[1].received == data) << "bytes differ";
  EXPECT_EQ(next, switches.size());
  EXPECT_EQ(c.congestion_control_switches(), 2u);
  EXPECT_EQ(c.congestion_control_name(), "reno");  // for later subflows
  EXPECT_STREQ(c.subflow(0).congestion_control().name(), "reno");
}

// A one-way transfer: the server has no data to carry the fourth ACK, so it
// sends one on its own; and the client's third ACK, lost once, is sent again.
TEST(MptcpConnectionTest, JoinCompletesOneWayEvenIfTheThirdAckIsLost) {
  MptcpConfig config;
  config.scheduler = "roundrobin";
  MptcpLoopback loop(config, config, {Milliseconds(10), Milliseconds(10)});
  Open(loop);
  TransferBothWays(loop, 1000, 1000);
  int dropped = 0;
  loop.filter = [&](const MptcpLoopback::Packet& p, const wire::Segment& s) {
    if (p.from == 0 && p.path == 1 && dropped == 0 &&
        FindOption<wire::MpJoinAck>(s)) {
      ++dropped;
      return false;
    }
    return true;
  };
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.client->active_subflows() == 2; },
                            Seconds(5)));
  EXPECT_EQ(dropped, 1);
  // Data from the client only; both subflows carry some.
  TransferBothWays(loop, 2 << 20, 0);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GT(loop.client->subflow(i).stats().bytes_sent, 100000u) << i;
  }
}

TEST(MptcpConnectionTest, JoinWithUnknownTokenIsRefused) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{},
                     {Milliseconds(10), Milliseconds(10)});
  loop.record = true;
  Open(loop);
  TransferBothWays(loop, 1000, 1000);
  // The server forgets the connection: its token is unknown.
  std::unique_ptr<MptcpConnection> server = std::move(loop.server);
  ASSERT_TRUE(loop.Join(1));
  loop.RunUntil([&] { return loop.joins_refused > 0; }, Seconds(1));
  loop.server = std::move(server);
  EXPECT_EQ(loop.joins_refused, 1);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.client->subflow(1).state() == tcp::TcpState::kClosed; },
      Seconds(1)));
  const wire::Segment rst = Parse(loop.log.back());
  ASSERT_TRUE(rst.tcp.has(TcpHeader::kRst));
  auto reason = FindOption<wire::MpTcpRst>(rst);
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(reason->reason,
            static_cast<uint8_t>(wire::TcpRstReason::kMptcpSpecific));
  EXPECT_EQ(loop.server->subflow_count(), 1u);
  TransferBothWays(loop, 100000, 100000);  // the connection carries on
}

TEST(MptcpConnectionTest, JoinWithBadHmacIsReset) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{},
                     {Milliseconds(10), Milliseconds(10)});
  loop.record = true;
  Open(loop);
  TransferBothWays(loop, 1000, 1000);
  // Flip a bit of the 160-bit HMAC in the client's MP_JOIN third ACK.
  loop.mutate = [&](int from, std::vector<uint8_t>& bytes) {
    const auto s = *wire::ParseSegment(bytes);
    if (from != 0 || !FindOption<wire::MpJoinAck>(s)) return;
    for (size_t i = 20; i + 24 <= bytes.size(); ++i) {
      if (bytes[i] == 30 && bytes[i + 1] == 24 && (bytes[i + 2] >> 4) == 1) {
        bytes[i + 23] ^= 1;
        break;
      }
    }
    ASSERT_TRUE(wire::FillTcpChecksum(s.ip.src, s.ip.dst,
                                      absl::MakeSpan(bytes).subspan(20))
                    .ok());
  };
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        // The server drops the failed join at once (its buffers are
        // freed); the client's subflow is closed by the server's reset.
        return loop.server->stats().failed_joins_freed == 1 &&
               loop.server->subflow_count() == 1 &&
               loop.client->subflow(1).state() == tcp::TcpState::kClosed;
      },
      Seconds(2)));
  EXPECT_EQ(loop.server->stats().joins_refused, 1u);
  bool saw_reset = false;
  for (const auto& p : loop.log) {
    const wire::Segment s = Parse(p);
    if (p.from == 1 && p.path == 1 && s.tcp.has(TcpHeader::kRst)) {
      auto reason = FindOption<wire::MpTcpRst>(s);
      ASSERT_TRUE(reason.has_value());
      EXPECT_EQ(reason->reason, 1);
      saw_reset = true;
    }
  }
  EXPECT_TRUE(saw_reset);
  loop.mutate = nullptr;
  TransferBothWays(loop, 100000, 100000);
  EXPECT_FALSE(loop.apps[0].closed);
}

TEST(MptcpConnectionTest, SubflowKilledMidTransferLosesNothing) {
  MptcpConfig config;
  config.scheduler = "roundrobin";
  MptcpLoopback loop(config, config, {Milliseconds(10), Milliseconds(10)});
  Open(loop);
  TransferBothWays(loop, 1000, 1000);
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.server->subflow_count() == 2; },
                            Seconds(1)));
  // The client may use the joined subflow once the server's fourth ACK (a
  // DATA_ACK on it) arrives, which comes with the server's data there.
  TransferBothWays(loop, 1 << 20, 1 << 20);
  ASSERT_EQ(loop.client->active_subflows(), 2u);

  // 3 MB each way; after 1 MB has arrived, path 1 goes dark and both ends
  // reset their subflow on it.
  const auto a = Pattern(3 << 20, 7);
  const auto b = Pattern(3 << 20, 8);
  loop.apps[0].received.clear();
  loop.apps[1].received.clear();
  size_t sent[2] = {0, 0};
  bool killed = false;
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        const std::vector<uint8_t>* data[2] = {&a, &b};
        for (int i = 0; i < 2; ++i) {
          if (sent[i] < data[i]->size()) {
            sent[i] += loop.host(i)->Write(
                absl::MakeConstSpan(*data[i]).subspan(sent[i]), loop.now);
          }
        }
        if (!killed && loop.apps[1].received.size() > (1u << 20)) {
          killed = true;
          loop.paths[1].down = true;
          loop.client->ResetSubflow(1, loop.now);
          loop.server->ResetSubflow(1, loop.now);
        }
        return loop.apps[1].received.size() >= a.size() &&
               loop.apps[0].received.size() >= b.size();
      },
      Seconds(120)));
  EXPECT_TRUE(killed);
  EXPECT_TRUE(loop.apps[1].received == a);
  EXPECT_TRUE(loop.apps[0].received == b);
  EXPECT_EQ(loop.client->active_subflows(), 1u);
  EXPECT_GT(loop.client->stats().bytes_reinjected +
                loop.server->stats().bytes_reinjected,
            0u);
}

// Closing used to half-close every subflow as soon as the last byte was
// handed to one (the DATA_FIN rode on their FINs). A subflow that failed
// then with bytes not DATA_ACKed had them queued for reinjection, but no
// subflow could take data any more (a FIN was sent), so the connection
// never completed. Subflows now stay open until every byte is DATA_ACKed.
TEST(MptcpConnectionTest, SubflowLostAfterCloseStillDeliversEverything) {
  MptcpConfig config;
  config.scheduler = "roundrobin";
  MptcpLoopback loop(config, config, {Milliseconds(10), Milliseconds(10)});
  Open(loop);
  TransferBothWays(loop, 1000, 1000);
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.RunUntil([&] { return loop.server->subflow_count() == 2; },
                            Seconds(1)));
  // Warm both subflows up so that the next write goes out at once.
  TransferBothWays(loop, 1 << 20, 1 << 20);
  ASSERT_EQ(loop.client->active_subflows(), 2u);

  // Everything is handed to the two subflows at once, then the client
  // closes and path 1 dies with its share in flight.
  const auto data = Pattern(100000, 9);
  loop.apps[1].received.clear();
  ASSERT_EQ(loop.client->Write(data, loop.now), data.size());
  loop.client->Close(loop.now);
  ASSERT_GT(loop.client->subflow(1).bytes_in_flight(), 0u);
  loop.paths[1].down = true;
  loop.client->ResetSubflow(1, loop.now);
  loop.server->ResetSubflow(1, loop.now);
  ASSERT_TRUE(
      loop.RunUntil([&] { return loop.apps[1].end_of_stream; }, Seconds(30)))
      << "received " << loop.apps[1].received.size();
  EXPECT_TRUE(loop.apps[1].received == data);
  EXPECT_GT(loop.client->stats().bytes_reinjected, 0u);
  loop.server->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(30)));
  EXPECT_EQ(loop.apps[0].close_reason, MptcpCloseReason::kNormal);
  EXPECT_EQ(loop.apps[1].close_reason, MptcpCloseReason::kNormal);
}

// Found against the Linux kernel: its DATA_FIN came on a pure ACK (no
// payload, no FIN), which the subflow does not acknowledge, and nothing
// sent the DATA_ACK for it; the kernel resent its DATA_FIN for ever. The
// server's subflow FINs are dropped here, so only a pure ACK carries its
// DATA_FIN.
TEST(MptcpConnectionTest, DataFinOnAPureAckIsDataAckedAtOnce) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.record = true;
  Open(loop);
  TransferBothWays(loop, 1000, 1000);
  loop.filter = [](const MptcpLoopback::Packet& p, const wire::Segment& s) {
    return !(p.from == 1 && s.tcp.has(TcpHeader::kFin));
  };
  const size_t logged = loop.log.size();
  loop.server->Close(loop.now);
  ASSERT_TRUE(
      loop.RunUntil([&] { return loop.apps[0].end_of_stream; }, Seconds(1)));
  std::optional<uint64_t> fin_dsn;
  bool acked = false;
  for (size_t i = logged; i < loop.log.size(); ++i) {
    const wire::Segment s = Parse(loop.log[i]);
    const auto dss = FindOption<wire::Dss>(s);
    if (!dss) continue;
    if (loop.log[i].from == 1 && dss->data_fin && dss->mapping &&
        !s.tcp.has(TcpHeader::kFin)) {
      fin_dsn = dss->mapping->dsn;
    }
    if (loop.log[i].from == 0 && fin_dsn && dss->data_ack &&
        (*dss->data_ack & 0xffffffffu) == ((*fin_dsn + 1) & 0xffffffffu)) {
      acked = true;
    }
  }
  ASSERT_TRUE(fin_dsn.has_value());
  EXPECT_TRUE(acked);
}

// RFC 8684 3.3.4: the window in a segment carrying a DATA_ACK is the
// connection-level receive window, counted from the DATA_ACK. The server
// here advertises 64 << 7 = 8 KiB in every segment (as a Linux receiver
// with a nearly full MPTCP buffer would): the client never maps data past
// the furthest DATA_ACK + window it has seen, and the transfer completes.
// It used to keep its whole send buffer in flight; the kernel dropped what
// lay beyond (its NoDSSInWindow counter).
TEST(MptcpConnectionTest, SenderStaysWithinTheDataLevelWindow) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.record = true;
  constexpr uint16_t kWindow = 64;
  loop.mutate = [&](int from, std::vector<uint8_t>& bytes) {
    if (from != 1) return;
    const auto s = *wire::ParseSegment(bytes);
    if (s.tcp.has(TcpHeader::kSyn)) return;
    const size_t tcp =
        bytes.size() - s.tcp.payload.size() - s.tcp.header_length();
    bytes[tcp + 14] = kWindow >> 8;
    bytes[tcp + 15] = kWindow & 0xff;
    ASSERT_TRUE(wire::FillTcpChecksum(s.ip.src, s.ip.dst,
                                      absl::MakeSpan(bytes).subspan(tcp))
                    .ok());
  };
  Open(loop);
  TransferBothWays(loop, 300000, 0);
  uint64_t edge = 0;
  size_t mappings = 0;
  for (size_t i = 0; i < loop.log.size(); ++i) {
    const wire::Segment s = Parse(loop.log[i]);
    const auto dss = FindOption<wire::Dss>(s);
    if (!dss) continue;
    if (loop.log[i].from == 1 && dss->data_ack && dss->data_ack_64) {
      edge = std::max<uint64_t>(edge, *dss->data_ack + (kWindow << 7));
    }
    if (loop.log[i].from == 0 && dss->mapping && dss->mapping->dsn_64 &&
        dss->mapping->data_level_length > 0 && edge > 0) {
      ++mappings;
      EXPECT_LE(dss->mapping->dsn + dss->mapping->data_level_length, edge)
          << "packet " << i;
    }
  }
  EXPECT_GT(mappings, 20u);
  EXPECT_GT(loop.client->stats().data_window_limited, 0u);
}

// Found by the soak (seed 601): the client's last bytes were TCP-acked,
// but every segment carrying their DATA_ACK was lost. The subflow had
// nothing to retransmit, subflows stay open until the DATA_ACK comes, and
// nothing else would ever send one: the connection hung. The data-level
// timer sends the unacknowledged bytes again.
TEST(MptcpConnectionTest, LostDataAckIsRecoveredByTheDataLevelTimer) {
  MptcpConfig config;
  MptcpLoopback loop(config, config, {Milliseconds(10)});
  Open(loop);
  TransferBothWays(loop, 1000, 1000);
  loop.apps[1].received.clear();

  // From now on, lose what the server sends until the client's bytes are
  // acknowledged at the subflow level (a pure ACK whose DATA_ACK is lost).
  bool blackout = true;
  loop.filter = [&](const MptcpLoopback::Packet& p, const wire::Segment&) {
    return !(blackout && p.from == 1);
  };
  const auto data = Pattern(3000, 4);
  ASSERT_EQ(loop.client->Write(data, loop.now), data.size());
  loop.client->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[1].received.size() == data.size(); }, Seconds(1)));
  // The server's ACKs are lost meanwhile.
  loop.RunUntil([] { return false; }, Milliseconds(100));
  blackout = false;
  // Without a DATA_ACK the client keeps its subflow open; with one it
  // half-closes it (FIN-WAIT-2 once the FIN is acked), before the server
  // sends anything of its own.
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        return loop.client->subflow(0).state() == tcp::TcpState::kFinWait2;
      },
      Seconds(10)));
  EXPECT_TRUE(loop.apps[1].received == data);
  EXPECT_GT(loop.client->stats().data_retransmit_timeouts, 0u);
  loop.server->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(30)));
  EXPECT_EQ(loop.apps[0].close_reason, MptcpCloseReason::kNormal);
  EXPECT_EQ(loop.apps[1].close_reason, MptcpCloseReason::kNormal);
}

// The soak found small transfers that never ended: a write that fits one
// chunk goes out with MP_CAPABLE (the client has no DATA_ACK yet), and the
// subflow FIN that followed carried MP_CAPABLE again instead of the
// DATA_FIN. The engine never sends an acknowledged FIN again, so the server
// never saw the end of the stream.
TEST(MptcpConnectionTest, DataFinGoesOutBeforeThePeerConfirmsTheKeys) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.record = true;
  loop.Connect();
  ASSERT_TRUE(
      loop.RunUntil([&] { return loop.apps[0].established; }, Seconds(5)));
  const auto data = Pattern(500);
  ASSERT_EQ(loop.client->Write(data, loop.now), data.size());
  loop.client->Close(loop.now);
  ASSERT_TRUE(
      loop.RunUntil([&] { return loop.apps[1].end_of_stream; }, Seconds(5)));
  EXPECT_TRUE(loop.apps[1].received == data);
  bool data_fin_on_fin = false;
  for (const MptcpLoopback::Packet& p : loop.log) {
    const wire::Segment s = Parse(p);
    if (p.from != 0 || !s.tcp.has(TcpHeader::kFin)) continue;
    const std::optional<wire::Dss> dss = FindOption<wire::Dss>(s);
    data_fin_on_fin = data_fin_on_fin || (dss && dss->data_fin);
  }
  EXPECT_TRUE(data_fin_on_fin);
  loop.server->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(5)));
}

// The soak found transfers stuck behind a small receive buffer: a subflow
// held its bytes until the data level had room for the whole mapping, which
// never happens when the mapping is larger than the buffer.
TEST(MptcpConnectionTest, MappingLargerThanTheReceiveBufferIsTakenInParts) {
  MptcpConfig server;
  server.receive_buffer_bytes = 20000;
  server.tcp.receive_buffer_bytes = 20000;
  MptcpLoopback loop(MptcpConfig{}, server);
  Open(loop);
  TransferBothWays(loop, 400000, 0);
}

// The same in the other direction: once fallen back, Write moves bytes into
// the subflow at once and frees room, and OnWritable came from inside
// Write, before the application had counted the bytes Write took.
TEST(MptcpConnectionTest, WriteDoesNotCallOnWritableFromInside) {
  MptcpConfig server;
  server.enabled = false;
  MptcpLoopback loop(MptcpConfig{}, server);
  Open(loop);
  ASSERT_TRUE(loop.client->fallback());
  const auto data = Pattern(3 << 20);
  const int before = loop.apps[0].writable_events;
  const size_t taken = loop.client->Write(data, loop.now);
  ASSERT_LT(taken, data.size());
  EXPECT_EQ(loop.apps[0].writable_events, before);
  // It comes with a later event instead.
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].writable_events > before; }, Seconds(5)));
}

}  // namespace
}  // namespace plait::mptcp
