#include "sim/middlebox.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/option_writer.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/tcp_header.h"
#include "gtest/gtest.h"
#include "sim/test_packets.h"

namespace plait::sim {
namespace {

using testing::Addr;
using wire::TcpHeader;

class RecordingSink : public PacketSink {
 public:
  void Receive(Packet packet) override { packets.push_back(std::move(packet)); }
  std::vector<Packet> packets;
};

// The option bytes of an MPTCP SYN as Linux lays them out.
wire::OptionLayout SynOptions() {
  wire::OptionWriter writer;
  writer.Add(wire::TcpOption{wire::MssOption{1460}});
  writer.Add(wire::TcpOption{wire::SackPermittedOption{}});
  writer.Add(wire::TcpOption{wire::TimestampsOption{100, 0}});
  writer.Add(wire::TcpOption{wire::WindowScaleOption{7}});
  writer.Add(wire::MptcpOption{wire::MpCapable::Syn(wire::kMpcFlagH)});
  auto layout = writer.Finish();
  EXPECT_TRUE(layout.ok());
  return *layout;
}

std::vector<uint8_t> Build(const char* src, const char* dst, uint16_t sport,
                           uint16_t dport, uint8_t flags,
                           absl::Span<const uint8_t> options = {},
                           uint32_t seq = 1000, uint32_t ack = 0,
                           size_t payload = 0) {
  testing::TcpPacketSpec spec;
  spec.src = Addr(src);
  spec.dst = Addr(dst);
  spec.src_port = sport;
  spec.dst_port = dport;
  spec.flags = flags;
  spec.options = options;
  spec.seq = seq;
  spec.ack = ack;
  spec.payload_size = payload;
  return testing::BuildTcpPacket(spec);
}

wire::Segment Parse(const Packet& packet) {
  auto segment = wire::ParseSegment(packet.bytes);
  EXPECT_TRUE(segment.ok()) << segment.status();
  return segment.ok() ? *segment : wire::Segment{};
}

// `packet` with the bytes [from, from + n) set to NOP and the TCP checksum
// recomputed: what the stripper must produce.
std::vector<uint8_t> WithNops(std::vector<uint8_t> packet, size_t from,
                              size_t n, size_t tcp_offset) {
  std::fill_n(packet.begin() + from, n, wire::kTcpOptionNop);
  auto addresses = wire::ParseSegment(packet);
  EXPECT_TRUE(addresses.ok());
  const wire::IpAddress src = addresses->ip.src, dst = addresses->ip.dst;
  EXPECT_TRUE(wire::FillTcpChecksum(src, dst,
                                    absl::MakeSpan(packet).subspan(tcp_offset))
                  .ok());
  return packet;
}

// --- OptionStripper --------------------------------------------------------

TEST(OptionStripperTest, RemovesMptcpAndKeepsTheRest) {
  const wire::OptionLayout layout = SynOptions();
  for (const char* family : {"v4", "v6"}) {
    const bool v4 = family[1] == '4';
    const std::vector<uint8_t> original =
        Build(v4 ? "10.0.0.1" : "fd00::1", v4 ? "10.0.0.2" : "fd00::2", 40000,
              80, TcpHeader::kSyn, layout.option_bytes());
    // Where the MPTCP option sits in the original.
    auto before = wire::ParseSegment(original);
    ASSERT_TRUE(before.ok());
    ASSERT_EQ(before->mptcp_count, 1);
    const size_t mptcp_at =
        static_cast<size_t>(before->options.mptcp[0].data() - original.data());
    const size_t mptcp_len = before->options.mptcp[0].size();
    EXPECT_EQ(mptcp_len, 4u);

    RecordingSink sink;
    OptionStripper stripper(&sink);
    stripper.Receive(Packet{original, 1, Time{}});
    ASSERT_EQ(sink.packets.size(), 1u);
    const size_t ip = v4 ? 20 : 40;
    EXPECT_EQ(sink.packets[0].bytes,
              WithNops(original, mptcp_at, mptcp_len, ip));
    EXPECT_EQ(sink.packets[0].id, 1u);
    const wire::Segment after = Parse(sink.packets[0]);
    EXPECT_TRUE(after.checksum_valid);
    EXPECT_EQ(after.options.mptcp_count, 0);
    EXPECT_EQ(after.options.mss, 1460);
    EXPECT_TRUE(after.options.sack_permitted);
    EXPECT_EQ(after.options.window_scale, 7);
    ASSERT_TRUE(after.options.timestamps.has_value());
    EXPECT_EQ(after.options.timestamps->tsval, 100u);
    EXPECT_EQ(stripper.stats().options_stripped, 1u);
    EXPECT_EQ(stripper.stats().packets_stripped, 1u);
  }
}

TEST(OptionStripperTest, StripsUnknownKindsAndFastOpen) {
  const std::vector<uint8_t> options = {
      34,  2,              // TFO cookie request
      253, 4, 0xab, 0xcd,  // experimental kind 253
      2,   4, 0x05, 0xb4,  // MSS
      0,   0};             // EOL, padding
  const std::vector<uint8_t> original =
      Build("10.0.0.1", "10.0.0.2", 1, 2, TcpHeader::kSyn, options);
  RecordingSink sink;
  OptionStripper stripper(&sink);
  stripper.Receive(Packet{original, 1, Time{}});
  ASSERT_EQ(sink.packets.size(), 1u);
  EXPECT_EQ(sink.packets[0].bytes, WithNops(original, 40, 6, 20));
  const wire::Segment after = Parse(sink.packets[0]);
  EXPECT_TRUE(after.checksum_valid);
  EXPECT_FALSE(after.options.fastopen_cookie.has_value());
  EXPECT_EQ(after.options.unknown_count, 0);
  EXPECT_EQ(after.options.mss, 1460);
  EXPECT_EQ(stripper.stats().options_stripped, 2u);
}

TEST(OptionStripperTest, StripsOnlyAfterTheHandshake) {
  wire::OptionWriter writer;
  writer.Add(wire::TcpOption{wire::TimestampsOption{5, 6}});
  wire::Dss dss;
  dss.data_ack = 77;
  writer.Add(wire::MptcpOption{dss});
  const wire::OptionLayout data_options = *writer.Finish();
  const wire::OptionLayout syn_options = SynOptions();

  RecordingSink sink;
  OptionStripper stripper({.pass_first_packets = 3}, &sink);
  // SYN, SYN/ACK (the other direction, same connection), ACK: untouched.
  stripper.Receive(Packet{Build("10.0.0.1", "10.0.0.2", 40000, 80,
                                TcpHeader::kSyn, syn_options.option_bytes()),
                          1, Time{}});
  stripper.Receive(Packet{
      Build("10.0.0.2", "10.0.0.1", 80, 40000,
            TcpHeader::kSyn | TcpHeader::kAck, syn_options.option_bytes()),
      2, Time{}});
  stripper.Receive(Packet{Build("10.0.0.1", "10.0.0.2", 40000, 80,
                                TcpHeader::kAck, data_options.option_bytes()),
                          3, Time{}});
  // Then data: stripped.
  stripper.Receive(
      Packet{Build("10.0.0.1", "10.0.0.2", 40000, 80, TcpHeader::kAck,
                   data_options.option_bytes(), 1001, 1, 100),
             4, Time{}});
  // Another connection starts its own count.
  stripper.Receive(Packet{Build("10.0.0.1", "10.0.0.2", 40001, 80,
                                TcpHeader::kSyn, syn_options.option_bytes()),
                          5, Time{}});
  ASSERT_EQ(sink.packets.size(), 5u);
  std::vector<int> mptcp_counts;
  for (const Packet& p : sink.packets) {
    const wire::Segment s = Parse(p);
    EXPECT_TRUE(s.checksum_valid);
    mptcp_counts.push_back(s.options.mptcp_count);
  }
  EXPECT_EQ(mptcp_counts, (std::vector<int>{1, 1, 1, 0, 1}));
  const wire::Segment data = Parse(sink.packets[3]);
  EXPECT_EQ(data.tcp.payload.size(), 100u);
  EXPECT_EQ(data.options.timestamps, (wire::TimestampsOption{5, 6}));
  EXPECT_EQ(stripper.stats().packets_stripped, 1u);
}

TEST(OptionStripperTest, PassesNonTcpAndBadChecksumsUntouched) {
  RecordingSink sink;
  OptionStripper stripper(&sink);
  std::vector<uint8_t> bad =
      Build("10.0.0.1", "10.0.0.2", 1, 2, TcpHeader::kSyn,
            SynOptions().option_bytes());
  bad[20 + wire::kTcpChecksumOffset] ^= 0xff;  // a wrong TCP checksum
  const std::vector<uint8_t> junk = {1, 2, 3};
  stripper.Receive(Packet{bad, 1, Time{}});
  stripper.Receive(Packet{junk, 2, Time{}});
  ASSERT_EQ(sink.packets.size(), 2u);
  EXPECT_EQ(sink.packets[0].bytes, bad);
  EXPECT_EQ(sink.packets[1].bytes, junk);
  EXPECT_EQ(stripper.stats().passed_bad_checksum, 1u);
  EXPECT_EQ(stripper.stats().passed_unparsed, 1u);
  EXPECT_EQ(stripper.stats().packets, 2u);
}

// --- SequenceRewriter ------------------------------------------------------

TEST(SequenceRewriterTest, OffsetsSeqOneWayAndAckAndSackTheOther) {
  RecordingSink to_server, to_client;
  SequenceRewriter rewriter(SequenceRewriter::FixedOffset(0x10000000));
  rewriter.forward().set_next(&to_server);
  rewriter.reverse().set_next(&to_client);

  // Client -> server: seq 0xf0000010 becomes 0x00000010 (wrapping).
  wire::OptionWriter ts;
  ts.Add(wire::TcpOption{wire::TimestampsOption{1, 2}});
  const wire::OptionLayout ts_layout = *ts.Finish();
  const std::vector<uint8_t> request =
      Build("10.0.0.1", "10.0.0.2", 40000, 80, TcpHeader::kAck,
            ts_layout.option_bytes(), 0xf0000010, 500, 20);
  rewriter.forward().Receive(Packet{request, 1, Time{}});
  ASSERT_EQ(to_server.packets.size(), 1u);
  const wire::Segment out = Parse(to_server.packets[0]);
  EXPECT_TRUE(out.checksum_valid);
  EXPECT_EQ(out.tcp.seq, 0x00000010u);
  EXPECT_EQ(out.tcp.ack, 500u);  // the other direction's space: untouched
  EXPECT_EQ(out.options.timestamps, (wire::TimestampsOption{1, 2}));
  EXPECT_EQ(rewriter.OffsetFor(
                FlowKey{Addr("10.0.0.1"), Addr("10.0.0.2"), 40000, 80}),
            0x10000000u);

  // Server -> client: ack and SACK blocks are in the rewritten space.
  wire::OptionWriter sack_writer;
  wire::SackOption sack;
  sack.blocks[0] = {0x00000100, 0x00000200};
  sack.blocks[1] = {0x0fffff00, 0x10000100};
  sack.count = 2;
  sack_writer.Add(wire::TcpOption{sack});
  const wire::OptionLayout sack_layout = *sack_writer.Finish();
  const std::vector<uint8_t> reply =
      Build("10.0.0.2", "10.0.0.1", 80, 40000, TcpHeader::kAck,
            sack_layout.option_bytes(), 500, 0x00000024);
  rewriter.reverse().Receive(Packet{reply, 2, Time{}});
  ASSERT_EQ(to_client.packets.size(), 1u);
  const wire::Segment back = Parse(to_client.packets[0]);
  EXPECT_TRUE(back.checksum_valid);
  EXPECT_EQ(back.tcp.seq, 500u);
  EXPECT_EQ(back.tcp.ack, 0xf0000024u);
  ASSERT_EQ(back.options.sack_block_count, 2);
  EXPECT_EQ(back.options.sack_blocks[0],
            (wire::SackBlock{0xf0000100, 0xf0000200}));
  EXPECT_EQ(back.options.sack_blocks[1],
            (wire::SackBlock{0xffffff00, 0x00000100}));
  // Nothing else changed: the same bytes apart from ack, SACK and checksum.
  std::vector<uint8_t> expected = reply;
  wire::StoreBe32(expected.data() + 20 + 8, 0xf0000024);
  const size_t options_at = 40;
  for (size_t i = options_at; i + 10 <= options_at + sack_layout.length; ++i) {
    if (expected[i] == wire::kTcpOptionSack) {
      wire::StoreBe32(&expected[i + 2], 0xf0000100);
      wire::StoreBe32(&expected[i + 6], 0xf0000200);
      wire::StoreBe32(&expected[i + 10], 0xffffff00);
      wire::StoreBe32(&expected[i + 14], 0x00000100);
      break;
    }
  }
  ASSERT_TRUE(wire::FillTcpChecksum(Addr("10.0.0.2"), Addr("10.0.0.1"),
                                    absl::MakeSpan(expected).subspan(20))
                  .ok());
  EXPECT_EQ(to_client.packets[0].bytes, expected);
  EXPECT_EQ(rewriter.stats().forward_rewritten, 1u);
  EXPECT_EQ(rewriter.stats().reverse_rewritten, 1u);
}

TEST(SequenceRewriterTest, UnknownFlowsAndNonAckPassUntouched) {
  RecordingSink sink;
  SequenceRewriter rewriter(SequenceRewriter::FixedOffset(7));
  rewriter.reverse().set_next(&sink);
  const std::vector<uint8_t> reply =
      Build("10.0.0.2", "10.0.0.1", 80, 40000, TcpHeader::kAck, {}, 1, 2);
  rewriter.reverse().Receive(Packet{reply, 1, Time{}});
  ASSERT_EQ(sink.packets.size(), 1u);
  EXPECT_EQ(sink.packets[0].bytes, reply);
  EXPECT_EQ(rewriter.stats().passed, 1u);

  // A SYN (no ACK flag) in the forward direction: only seq moves.
  rewriter.forward().set_next(&sink);
  rewriter.forward().Receive(Packet{
      Build("10.0.0.1", "10.0.0.2", 40000, 80, TcpHeader::kSyn, {}, 100, 55), 2,
      Time{}});
  // A RST from the server without ACK: ack field left alone.
  rewriter.reverse().Receive(Packet{
      Build("10.0.0.2", "10.0.0.1", 80, 40000, TcpHeader::kRst, {}, 9, 55), 3,
      Time{}});
  ASSERT_EQ(sink.packets.size(), 3u);
  EXPECT_EQ(Parse(sink.packets[1]).tcp.seq, 107u);
  EXPECT_EQ(Parse(sink.packets[1]).tcp.ack, 55u);
  EXPECT_EQ(Parse(sink.packets[2]).tcp.ack, 55u);
  EXPECT_TRUE(Parse(sink.packets[2]).checksum_valid);
}

TEST(SequenceRewriterTest, RandomOffsetsPerFlowAreDeterministic) {
  auto offsets = [](uint64_t seed) {
    RecordingSink sink;
    SequenceRewriter rewriter(SequenceRewriter::RandomOffset(Random(seed)));
    rewriter.forward().set_next(&sink);
    for (uint16_t port : {1000, 1001, 1000}) {
      rewriter.forward().Receive(Packet{
          Build("10.0.0.1", "10.0.0.2", port, 80, TcpHeader::kSyn), 1, Time{}});
    }
    std::vector<uint32_t> out;
    for (const Packet& p : sink.packets) out.push_back(Parse(p).tcp.seq);
    return out;
  };
  const std::vector<uint32_t> a = offsets(3);
  EXPECT_EQ(a, offsets(3));
  EXPECT_NE(a, offsets(4));
  EXPECT_NE(a[0], a[1]);
  EXPECT_EQ(a[0], a[2]);  // the same flow keeps its offset
  Random reference(3);
  EXPECT_EQ(a[0], 1000u + reference.Next32());
}

// --- Nat -------------------------------------------------------------------

TEST(NatTest, TranslatesOutboundAndBack) {
  RecordingSink outside, inside;
  Nat nat(Addr("203.0.113.1"), 20000);
  nat.outbound().set_next(&outside);
  nat.inbound().set_next(&inside);

  nat.outbound().Receive(
      Packet{Build("10.0.0.5", "198.51.100.1", 40000, 80, TcpHeader::kSyn,
                   SynOptions().option_bytes()),
             1, Time{}});
  nat.outbound().Receive(
      Packet{Build("10.0.0.6", "198.51.100.1", 40000, 80, TcpHeader::kSyn), 2,
             Time{}});
  // Same private endpoint, another destination: the same mapping (RFC 4787
  // endpoint-independent mapping).
  nat.outbound().Receive(
      Packet{Build("10.0.0.5", "198.51.100.9", 40000, 443, TcpHeader::kSyn), 3,
             Time{}});
  ASSERT_EQ(outside.packets.size(), 3u);
  std::vector<uint16_t> ports;
  for (const Packet& p : outside.packets) {
    const wire::Segment s = Parse(p);  // parses: the IPv4 checksum is right
    EXPECT_TRUE(s.checksum_valid);
    EXPECT_EQ(s.ip.src, Addr("203.0.113.1"));
    ports.push_back(s.tcp.src_port);
  }
  EXPECT_EQ(ports, (std::vector<uint16_t>{20000, 20001, 20000}));
  EXPECT_EQ(Parse(outside.packets[0]).mptcp_count, 1);  // options untouched
  EXPECT_EQ(nat.PublicPort(Addr("10.0.0.6"), 40000), 20001);
  EXPECT_EQ(nat.mappings().size(), 2u);

  // The reply comes back to the private endpoint.
  nat.inbound().Receive(
      Packet{Build("198.51.100.1", "203.0.113.1", 80, 20001,
                   TcpHeader::kSyn | TcpHeader::kAck, {}, 7, 1001, 10),
             4, Time{}});
  ASSERT_EQ(inside.packets.size(), 1u);
  const wire::Segment reply = Parse(inside.packets[0]);
  EXPECT_TRUE(reply.checksum_valid);
  EXPECT_EQ(reply.ip.src, Addr("198.51.100.1"));
  EXPECT_EQ(reply.ip.dst, Addr("10.0.0.6"));
  EXPECT_EQ(reply.tcp.src_port, 80);
  EXPECT_EQ(reply.tcp.dst_port, 40000);
  EXPECT_EQ(reply.tcp.ack, 1001u);
  // Exactly the packet the host would have got without the NAT.
  EXPECT_EQ(inside.packets[0].bytes,
            Build("198.51.100.1", "10.0.0.6", 80, 40000,
                  TcpHeader::kSyn | TcpHeader::kAck, {}, 7, 1001, 10));

  // Unsolicited, or to another address: dropped.
  nat.inbound().Receive(
      Packet{Build("198.51.100.1", "203.0.113.1", 80, 20002, TcpHeader::kAck),
             5, Time{}});
  nat.inbound().Receive(
      Packet{Build("198.51.100.1", "203.0.113.2", 80, 20000, TcpHeader::kAck),
             6, Time{}});
  EXPECT_EQ(inside.packets.size(), 1u);
  EXPECT_EQ(nat.stats().dropped_no_mapping, 2u);
  EXPECT_EQ(nat.stats().translated_out, 3u);
  EXPECT_EQ(nat.stats().translated_in, 1u);
}

TEST(NatTest, Ipv6) {
  RecordingSink outside;
  Nat nat(Addr("2001:db8::1"));
  nat.outbound().set_next(&outside);
  nat.outbound().Receive(Packet{
      Build("fd00::5", "2001:db8:1::1", 5555, 80, TcpHeader::kSyn), 1, Time{}});
  ASSERT_EQ(outside.packets.size(), 1u);
  const wire::Segment s = Parse(outside.packets[0]);
  EXPECT_TRUE(s.checksum_valid);
  EXPECT_EQ(s.ip.src, Addr("2001:db8::1"));
  EXPECT_EQ(s.tcp.src_port, 20000);
  // An IPv4 packet cannot be translated to an IPv6 address.
  nat.outbound().Receive(
      Packet{Build("10.0.0.1", "10.0.0.2", 1, 2, TcpHeader::kSyn), 2, Time{}});
  EXPECT_EQ(nat.stats().dropped_untranslatable, 1u);
}

TEST(NatTest, PortsRunOut) {
  RecordingSink outside;
  Nat nat(Addr("203.0.113.1"), 65534);
  nat.outbound().set_next(&outside);
  for (uint16_t port = 1; port <= 3; ++port) {
    nat.outbound().Receive(
        Packet{Build("10.0.0.5", "198.51.100.1", port, 80, TcpHeader::kSyn),
               port, Time{}});
  }
  ASSERT_EQ(outside.packets.size(), 2u);
  EXPECT_EQ(Parse(outside.packets[0]).tcp.src_port, 65534);
  EXPECT_EQ(Parse(outside.packets[1]).tcp.src_port, 65535);
  EXPECT_EQ(nat.stats().dropped_ports_exhausted, 1u);
}

// A sink that notes when each packet arrived.
class TimedSink : public PacketSink {
 public:
  explicit TimedSink(Simulator* sim) : sim_(sim) {}
  void Receive(Packet packet) override {
    seqs.push_back(Parse(packet).tcp.seq);
    at.push_back(sim_->now());
  }
  std::vector<uint32_t> seqs;
  std::vector<Time> at;

 private:
  Simulator* sim_;
};

// Sends packets with seq 0..n-1, one per millisecond, through `replayer`.
void SendNumbered(Simulator& sim, Replayer& replayer, int n) {
  for (int i = 0; i < n; ++i) {
    sim.Schedule(Time() + Milliseconds(i), [&sim, &replayer, i] {
      replayer.Receive(
          Packet{Build("10.0.0.1", "10.0.0.2", 1000, 80, TcpHeader::kAck, {},
                       static_cast<uint32_t>(i), 1, 100),
                 sim.NextPacketId(), sim.now()});
    });
  }
  sim.RunUntilIdle();
}

TEST(ReplayerTest, PassesEverythingAndReplaysEarlierPacketsLater) {
  Simulator sim(1);
  TimedSink sink(&sim);
  Replayer replayer(&sim,
                    {.probability = 1, .delay = Milliseconds(10), .history = 4},
                    sim.random().Fork(1), &sink);
  SendNumbered(sim, replayer, 20);
  EXPECT_EQ(replayer.stats().packets, 20u);
  EXPECT_EQ(replayer.stats().replayed, 20u);
  ASSERT_EQ(sink.seqs.size(), 40u);
  // Originals pass at once (packet i at i ms) and in order; the copy drawn
  // while packet i passed arrives at i + 10 ms and is packet i or an
  // earlier one (never one that had not passed yet).
  std::vector<uint32_t> originals;
  for (size_t k = 0; k < sink.seqs.size(); ++k) {
    const int64_t ms = (sink.at[k] - Time()) / Milliseconds(1);
    if (sink.seqs[k] == ms) {
      EXPECT_EQ(sink.seqs[k], originals.size());
      originals.push_back(sink.seqs[k]);
    } else {
      EXPECT_GE(ms, 10);
      EXPECT_LE(sink.seqs[k], ms - 10) << "a copy of a later packet";
    }
  }
  EXPECT_EQ(originals.size(), 20u);
}

TEST(ReplayerTest, ReplaysOldPacketsNotOnlyRecentOnes) {
  // A reservoir, not a sliding window: packets far older than `history`
  // ones ago are still replayed.
  Simulator sim(1);
  TimedSink sink(&sim);
  Replayer replayer(&sim,
                    {.probability = 1, .delay = Milliseconds(1), .history = 8},
                    sim.random().Fork(2), &sink);
  SendNumbered(sim, replayer, 2000);
  int old = 0;
  for (size_t k = 0; k < sink.seqs.size(); ++k) {
    const int64_t ms = (sink.at[k] - Time()) / Milliseconds(1);
    if (sink.seqs[k] + 100 < ms) ++old;
  }
  EXPECT_GT(old, 1000);  // of 2000 copies; a window of 8 would give 0
}

TEST(ReplayerTest, ProbabilityZeroReplaysNothing) {
  Simulator sim(1);
  TimedSink sink(&sim);
  Replayer replayer(&sim, {.probability = 0}, sim.random().Fork(3), &sink);
  SendNumbered(sim, replayer, 100);
  EXPECT_EQ(sink.seqs.size(), 100u);
  EXPECT_EQ(replayer.stats().replayed, 0u);
}

}  // namespace
}  // namespace plait::sim
