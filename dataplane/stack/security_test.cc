// Forged MP_JOINs against two stacks joined back to back while an MPTCP
// connection carries data (RFC 8684 section 3.2): a join naming an unknown
// token, a third ACK with a wrong HMAC from an attacker who knows the token
// (it is on the wire in every MP_JOIN SYN), and a SYN/ACK with a wrong HMAC
// toward a client's join. Each must be answered with RST + MP_TCPRST, be
// counted, leave no usable subflow, and leave the transfer byte for byte
// intact; forged joins must not use up the connection's subflow limit.
#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/stack/stack.h"
#include "dataplane/tcp/packet_builder.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/checksum.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/option_writer.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/tcp_header.h"
#include "gtest/gtest.h"

namespace plait::stack {
namespace {

using wire::TcpHeader;

wire::IpAddress Ip(const char* text) { return *wire::IpAddress::Parse(text); }

template <typename T>
const T* FindOption(const wire::Segment& s) {
  for (const wire::MptcpOption& o : s.mptcp_options()) {
    if (const auto* t = std::get_if<T>(&o)) return t;
  }
  return nullptr;
}

// Recomputes the TCP checksum of an IPv4 packet after a test edited it.
void FixTcpChecksum(std::vector<uint8_t>& p) {
  const size_t tcp = (p[0] & 0x0f) * 4;
  const uint16_t total = wire::LoadBe16(p.data() + 2);
  p[tcp + 16] = p[tcp + 17] = 0;
  wire::InternetChecksum sum;
  sum.Add(absl::MakeConstSpan(p.data() + 12, 8));
  sum.AddU16(6);
  sum.AddU16(static_cast<uint16_t>(total - tcp));
  sum.Add(absl::MakeConstSpan(p.data() + tcp, total - tcp));
  wire::StoreBe16(p.data() + tcp + 16, sum.Finish());
}

// The byte offset of the first MPTCP option of `subtype` in an IPv4 packet.
std::optional<size_t> MptcpOptionAt(const std::vector<uint8_t>& p,
                                    uint8_t subtype) {
  const size_t tcp = (p[0] & 0x0f) * 4;
  const size_t end = tcp + (p[tcp + 12] >> 4) * 4;
  for (size_t i = tcp + 20; i < end;) {
    if (p[i] == 0) break;
    if (p[i] == 1) {
      ++i;
      continue;
    }
    if (p[i] == 30 && (p[i + 2] >> 4) == subtype) return i;
    i += std::max<size_t>(p[i + 1], 2);
  }
  return std::nullopt;
}

class SecurityTest : public ::testing::Test {
 protected:
  static constexpr uint8_t kMpJoin = 1;

  struct Out : tcp::TcpOutput {
    SecurityTest* test = nullptr;
    int from = 0;
    void SendPacket(absl::Span<const uint8_t> p) override {
      test->Transmit(from, std::vector<uint8_t>(p.begin(), p.end()));
    }
  };
  struct App : mptcp::MptcpOwner {
    mptcp::MptcpConnection* c = nullptr;
    std::vector<uint8_t> got;
    void OnReadable(Time now) override {
      uint8_t buf[16384];
      size_t n;
      while (c != nullptr && (n = c->Read(buf, now)) > 0) {
        got.insert(got.end(), buf, buf + n);
      }
    }
  };

  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      out_[i].test = this;
      out_[i].from = i;
    }
    StackConfig client_config;
    client_config.seed = 7;
    stack_[0] = std::make_unique<Stack>(client_config, &out_[0]);
    stack_[1] = std::make_unique<Stack>(StackConfig{}, &out_[1]);
    data_.resize(4 << 20);
    for (size_t i = 0; i < data_.size(); ++i) {
      data_[i] = static_cast<uint8_t>(i * 7 + (i >> 13));
    }
    stack_[1]->Listen(
        kServer, 80, mptcp::MptcpConfig{},
        Stack::Acceptor{[&](const tcp::TcpEndpoints&) { return &server_; },
                        [&](mptcp::MptcpConnection* c) { server_.c = c; }});
    auto c = stack_[0]->Connect(mptcp::MptcpConfig{}, kClient, kServer, 80,
                                &client_, now_);
    ASSERT_TRUE(c.ok()) << c.status();
    client_.c = *c;
    Pump(Milliseconds(50));
    ASSERT_NE(server_.c, nullptr);
    ASSERT_TRUE(client_.c->established());
    ASSERT_FALSE(client_.c->fallback());
    // Data is flowing when the attacks come.
    ASSERT_GT(server_.got.size(), 0u);
    ASSERT_LT(server_.got.size(), data_.size() / 2);
  }

  // Packets from stack `from`: to the attacker's inbox when addressed to it,
  // else through `mutate` onto the wire to the other stack.
  void Transmit(int from, std::vector<uint8_t> p) {
    auto s = wire::ParseSegment(p);
    ASSERT_TRUE(s.ok()) << s.status();
    if (s->ip.dst == kAttacker) {
      attacker_inbox_.push_back(std::move(p));
      return;
    }
    if (mutate_) mutate_(from, p);
    wire_[1 - from].push_back(std::move(p));
  }

  void Deliver() {
    for (bool any = true; any;) {
      any = false;
      for (int i = 0; i < 2; ++i) {
        while (!wire_[i].empty()) {
          std::vector<uint8_t> p = std::move(wire_[i].front());
          wire_[i].pop_front();
          stack_[i]->OnPacket(p, now_);
          any = true;
        }
      }
    }
  }

  // Runs the transfer for `d` of virtual time, in 1 ms steps.
  void Pump(Duration d) {
    const Time until = now_ + d;
    while (now_ < until) {
      if (written_ < data_.size()) {
        // An application writing 16 KB per ms (131 Mbit/s): the transfer
        // lasts long enough for the attacks to land in its middle.
        const size_t n = std::min<size_t>(16384, data_.size() - written_);
        written_ += client_.c->Write(
            absl::MakeConstSpan(data_).subspan(written_, n), now_);
      }
      Deliver();
      now_ += Milliseconds(1);
      for (auto& s : stack_) {
        if (s->next_deadline() <= now_) s->OnTimer(now_);
      }
      Deliver();
    }
  }

  void FinishTransfer() {
    for (int i = 0; i < 60000 && server_.got.size() < data_.size(); ++i) {
      Pump(Milliseconds(1));
    }
    EXPECT_EQ(written_, data_.size());
    ASSERT_EQ(server_.got.size(), data_.size());
    EXPECT_TRUE(server_.got == data_) << "the stream was altered";
    EXPECT_FALSE(client_.c->closed());
    EXPECT_FALSE(server_.c->closed());
  }

  // A segment from the attacker to the server's port 80.
  void SendFromAttacker(uint16_t port, uint32_t seq, uint32_t ack,
                        uint8_t flags, const wire::MptcpOption& option) {
    wire::OptionWriter writer;
    writer.Add(option);
    auto layout = writer.Finish();
    ASSERT_TRUE(layout.ok()) << layout.status();
    tcp::TcpPacketSpec spec;
    spec.src = kAttacker;
    spec.dst = kServer;
    spec.src_port = port;
    spec.dst_port = 80;
    spec.seq = seq;
    spec.ack = ack;
    spec.flags = flags;
    spec.window = 65535;
    spec.options = layout->option_bytes();
    std::vector<uint8_t> packet(120);
    auto built = tcp::BuildTcpPacket(
        spec, 0, [](uint8_t*) {}, absl::MakeSpan(packet));
    ASSERT_TRUE(built.ok()) << built.status();
    packet.resize(*built);
    stack_[1]->OnPacket(packet, now_);
    Deliver();
  }

  // The attacker's inbox, parsed and emptied.
  std::vector<wire::Segment> TakeInbox() {
    std::vector<wire::Segment> segments;
    for (const auto& p : attacker_inbox_) {
      auto s = wire::ParseSegment(p);
      EXPECT_TRUE(s.ok());
      if (s.ok()) segments.push_back(*s);
    }
    attacker_inbox_.clear();
    return segments;
  }

  static void ExpectMptcpReset(const wire::Segment& s) {
    EXPECT_TRUE(s.tcp.has(TcpHeader::kRst));
    const wire::MpTcpRst* rst = FindOption<wire::MpTcpRst>(s);
    ASSERT_NE(rst, nullptr) << "RST without MP_TCPRST";
    EXPECT_EQ(rst->reason,
              static_cast<uint8_t>(wire::TcpRstReason::kMptcpSpecific));
  }

  const wire::IpAddress kClient = Ip("10.0.0.1");
  const wire::IpAddress kClient2 = Ip("10.0.1.1");
  const wire::IpAddress kServer = Ip("10.0.0.2");
  const wire::IpAddress kAttacker = Ip("10.6.6.6");

  Out out_[2];
  std::unique_ptr<Stack> stack_[2];
  std::deque<std::vector<uint8_t>> wire_[2];  // wire_[i]: packets for stack i
  std::vector<std::vector<uint8_t>> attacker_inbox_;
  std::function<void(int from, std::vector<uint8_t>&)> mutate_;
  App client_, server_;
  std::vector<uint8_t> data_;
  size_t written_ = 0;
  Time now_ = TimeFromEpoch(Seconds(1));
};

TEST_F(SecurityTest, JoinWithUnknownTokenIsResetAndKeepsNoState) {
  const uint32_t token = server_.c->local_token() ^ 0x5a5a5a5a;
  ASSERT_FALSE(stack_[1]->TokenInUse(token));
  const Stack::Stats before = stack_[1]->stats();
  const size_t subflows = server_.c->subflow_count();

  SendFromAttacker(40000, 1000, 0, TcpHeader::kSyn,
                   wire::MpJoinSyn{.token = token, .nonce = 0x1234});
  std::vector<wire::Segment> replies = TakeInbox();
  ASSERT_EQ(replies.size(), 1u);
  ExpectMptcpReset(replies[0]);
  EXPECT_EQ(replies[0].tcp.ack, 1001u);  // RFC 9293: a RST the SYN accepts

  const Stack::Stats& after = stack_[1]->stats();
  EXPECT_EQ(after.joins_unknown_token, before.joins_unknown_token + 1);
  EXPECT_EQ(after.refused, before.refused + 1);
  EXPECT_EQ(after.joins, before.joins);
  EXPECT_EQ(server_.c->subflow_count(), subflows);
  EXPECT_EQ(stack_[1]->open_connections(), 1u);

  // Nothing was kept for that 4-tuple: its next segment meets no connection.
  SendFromAttacker(40000, 1001, 1, TcpHeader::kAck, wire::MpJoinAck{});
  replies = TakeInbox();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].tcp.has(TcpHeader::kRst));
  EXPECT_EQ(stack_[1]->stats().no_connection, before.no_connection + 1);

  FinishTransfer();
  EXPECT_EQ(server_.c->active_subflows(), 1u);
}

TEST_F(SecurityTest, ThirdAckWithWrongHmacIsResetAndNeverCarriesData) {
  const uint32_t token = server_.c->local_token();  // seen on the wire
  const mptcp::MptcpStats before = server_.c->stats();
  // More forged joins than limits.max_subflows (2) allows at once: a
  // refused join must give its place back.
  constexpr int kForged = 4;
  for (int k = 0; k < kForged; ++k) {
    const uint16_t port = static_cast<uint16_t>(41000 + k);
    SendFromAttacker(port, 5000, 0, TcpHeader::kSyn,
                     wire::MpJoinSyn{.token = token, .nonce = 0xabcd});
    std::vector<wire::Segment> replies = TakeInbox();
    ASSERT_EQ(replies.size(), 1u) << "join " << k;
    const wire::Segment& syn_ack = replies[0];
    ASSERT_TRUE(syn_ack.tcp.has(TcpHeader::kSyn | TcpHeader::kAck));
    ASSERT_NE(FindOption<wire::MpJoinSynAck>(syn_ack), nullptr);

    wire::MpJoinAck forged;
    forged.hmac.fill(0x42);  // the attacker does not know the keys
    SendFromAttacker(port, 5001, syn_ack.tcp.seq + 1, TcpHeader::kAck, forged);
    replies = TakeInbox();
    ASSERT_EQ(replies.size(), 1u) << "join " << k;
    ExpectMptcpReset(replies[0]);
    EXPECT_EQ(replies[0].tcp.seq, syn_ack.tcp.seq + 1);

    // Time passes with data flowing: nothing more goes to the attacker.
    Pump(Milliseconds(20));
    EXPECT_TRUE(TakeInbox().empty()) << "join " << k;
    EXPECT_EQ(server_.c->active_subflows(), 1u);
  }
  EXPECT_EQ(server_.c->stats().joins_refused, before.joins_refused + kForged);
  EXPECT_EQ(server_.c->stats().subflow_resets, before.subflow_resets + kForged);
  // Nothing of the forged joins is kept: no subflow, no buffers, and their
  // 4-tuples belong to no connection any more.
  EXPECT_EQ(server_.c->stats().failed_joins_freed,
            before.failed_joins_freed + kForged);
  EXPECT_EQ(server_.c->subflow_count(), 1u);
  const uint64_t no_connection = stack_[1]->stats().no_connection;
  SendFromAttacker(41000, 5001, 1, TcpHeader::kAck, wire::MpJoinAck{});
  std::vector<wire::Segment> late = TakeInbox();
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(late[0].tcp.has(TcpHeader::kRst));
  EXPECT_EQ(stack_[1]->stats().no_connection, no_connection + 1);

  // The real client can still join.
  ASSERT_TRUE(stack_[0]->AddSubflow(client_.c, kClient2, kServer, 80, now_));
  Pump(Milliseconds(50));
  EXPECT_EQ(client_.c->active_subflows(), 2u);
  EXPECT_EQ(server_.c->active_subflows(), 2u);
  FinishTransfer();
}

TEST_F(SecurityTest, SynAckWithWrongHmacMakesTheClientResetTheJoin) {
  int rewritten = 0;
  int client_resets = 0;
  mutate_ = [&](int from, std::vector<uint8_t>& p) {
    const auto join = MptcpOptionAt(p, kMpJoin);
    if (!join) return;
    if (from == 1 && p[*join + 1] == 16) {  // MP_JOIN SYN/ACK
      p[*join + 4] ^= 0x80;  // the first byte of the truncated HMAC
      FixTcpChecksum(p);
      ++rewritten;
    }
  };
  const mptcp::MptcpStats before = client_.c->stats();
  ASSERT_TRUE(stack_[0]->AddSubflow(client_.c, kClient2, kServer, 80, now_));
  // Watch what the client sends back on the join's 4-tuple.
  mutate_ = [&, inner = mutate_](int from, std::vector<uint8_t>& p) {
    inner(from, p);
    auto s = wire::ParseSegment(p);
    if (from == 0 && s.ok() && s->ip.src == kClient2) {
      if (s->tcp.has(TcpHeader::kRst)) {
        ++client_resets;
        ExpectMptcpReset(*s);
      }
      EXPECT_EQ(FindOption<wire::MpJoinAck>(*s), nullptr)
          << "the client answered a forged SYN/ACK with a third ACK";
      EXPECT_TRUE(s->tcp.payload.empty()) << "data on a failed join";
    }
  };
  Pump(Milliseconds(200));
  EXPECT_EQ(rewritten, 1);
  EXPECT_EQ(client_resets, 1);
  EXPECT_EQ(client_.c->stats().subflow_resets, before.subflow_resets + 1);
  EXPECT_EQ(client_.c->active_subflows(), 1u);
  EXPECT_EQ(server_.c->active_subflows(), 1u);
  FinishTransfer();
}

}  // namespace
}  // namespace plait::stack
