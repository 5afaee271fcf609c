#include "dataplane/wire/ip_header.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/checksum.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/test_util.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

using testing_util::FromHex;

IpAddress Addr(absl::string_view text) { return *IpAddress::Parse(text); }

// The classic IPv4 header example (checksum b1e6), total length 60.
constexpr absl::string_view kIpv4Header =
    "45 00 00 3c 1c 46 40 00 40 06 b1 e6 ac 10 0a 63 ac 10 0a 0c";

std::vector<uint8_t> ClassicIpv4Packet() {
  std::vector<uint8_t> p = FromHex(kIpv4Header);
  for (int i = 0; i < 40; ++i) p.push_back(static_cast<uint8_t>(i));
  return p;
}

// Recomputes the IPv4 header checksum after a test edited the header.
void FixIpv4Checksum(std::vector<uint8_t>& p) {
  const size_t ihl = (p[0] & 0x0f) * 4;
  p[10] = p[11] = 0;
  InternetChecksum sum;
  sum.Add(absl::MakeConstSpan(p).subspan(0, ihl));
  StoreBe16(&p[10], sum.Finish());
}

TEST(ParseIpv4Test, ClassicHeader) {
  const std::vector<uint8_t> p = ClassicIpv4Packet();
  absl::StatusOr<Ipv4Header> h = ParseIpv4(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->ihl, 5);
  EXPECT_EQ(h->tos, 0);
  EXPECT_EQ(h->total_length, 60);
  EXPECT_EQ(h->identification, 0x1c46);
  EXPECT_EQ(h->flags, Ipv4Header::kDontFragment);
  EXPECT_TRUE(h->dont_fragment());
  EXPECT_FALSE(h->more_fragments());
  EXPECT_EQ(h->fragment_offset, 0);
  EXPECT_FALSE(h->is_fragment());
  EXPECT_EQ(h->ttl, 64);
  EXPECT_EQ(h->protocol, kIpProtocolTcp);
  EXPECT_EQ(h->header_checksum, 0xb1e6);
  EXPECT_EQ(h->src, Addr("172.16.10.99"));
  EXPECT_EQ(h->dst, Addr("172.16.10.12"));
  EXPECT_TRUE(h->options.empty());
  ASSERT_EQ(h->payload.size(), 40u);
  EXPECT_EQ(h->payload.data(), p.data() + 20);  // zero-copy
  EXPECT_EQ(h->payload[39], 39);
}

TEST(ParseIpv4Test, PayloadBoundedByTotalLengthNotBuffer) {
  std::vector<uint8_t> p = ClassicIpv4Packet();
  p.resize(p.size() + 6, 0xee);  // Ethernet padding
  absl::StatusOr<Ipv4Header> h = ParseIpv4(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->payload.size(), 40u);
}

TEST(ParseIpv4Test, OptionsSpan) {
  // IHL 6: one 4-byte option word (NOP NOP NOP EOL).
  std::vector<uint8_t> p = FromHex(
      "46 00 00 1c 00 01 00 00 40 06 00 00 0a 00 00 01 0a 00 00 02"
      "01 01 01 00 aa bb cc dd");
  FixIpv4Checksum(p);
  absl::StatusOr<Ipv4Header> h = ParseIpv4(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->ihl, 6);
  EXPECT_EQ(std::vector<uint8_t>(h->options.begin(), h->options.end()),
            FromHex("01 01 01 00"));
  EXPECT_EQ(std::vector<uint8_t>(h->payload.begin(), h->payload.end()),
            FromHex("aa bb cc dd"));
}

TEST(ParseIpv4Test, TooShort) {
  const std::vector<uint8_t> p = FromHex("45 00 00 14 00 00");
  EXPECT_EQ(ParseIpv4(p).status().message(),
            "IPv4 header: 6 bytes, need at least 20");
}

TEST(ParseIpv4Test, WrongVersion) {
  std::vector<uint8_t> p = ClassicIpv4Packet();
  p[0] = 0x65;
  EXPECT_EQ(ParseIpv4(p).status().message(),
            "IPv4 header: version 6, expected 4");
}

TEST(ParseIpv4Test, IhlBelowMinimum) {
  std::vector<uint8_t> p = ClassicIpv4Packet();
  p[0] = 0x44;
  FixIpv4Checksum(p);
  absl::Status s = ParseIpv4(p).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "IPv4 header: IHL 4 is below the minimum 5");
}

TEST(ParseIpv4Test, IhlBeyondBuffer) {
  std::vector<uint8_t> p = FromHex(kIpv4Header);
  p[0] = 0x4f;  // 60-byte header in a 20-byte buffer
  EXPECT_EQ(ParseIpv4(p).status().message(),
            "IPv4 header: IHL 15 (60 bytes) exceeds the 20 bytes available");
}

TEST(ParseIpv4Test, TotalLengthLargerThanBuffer) {
  std::vector<uint8_t> p = ClassicIpv4Packet();
  p.pop_back();
  EXPECT_EQ(ParseIpv4(p).status().message(),
            "IPv4 header: total length 60 exceeds the 59 bytes available");
}

TEST(ParseIpv4Test, TotalLengthBelowHeaderLength) {
  std::vector<uint8_t> p = ClassicIpv4Packet();
  StoreBe16(&p[2], 19);
  FixIpv4Checksum(p);
  EXPECT_EQ(ParseIpv4(p).status().message(),
            "IPv4 header: total length 19 is below the header length 20");
  StoreBe16(&p[2], 20);  // exactly the header: empty payload
  FixIpv4Checksum(p);
  absl::StatusOr<Ipv4Header> h = ParseIpv4(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->payload.empty());
}

TEST(ParseIpv4Test, BadHeaderChecksum) {
  std::vector<uint8_t> p = ClassicIpv4Packet();
  p[11] ^= 0x01;  // b1e6 -> b1e7
  EXPECT_EQ(ParseIpv4(p).status().message(),
            "IPv4 header: checksum 0xb1e7 does not match the computed 0xb1e6");
  p = ClassicIpv4Packet();
  p[8] = 63;  // TTL changed without updating the checksum
  EXPECT_FALSE(ParseIpv4(p).ok());
}

TEST(ParseIpv4Test, PayloadIsNotCoveredByHeaderChecksum) {
  std::vector<uint8_t> p = ClassicIpv4Packet();
  p[30] ^= 0xff;
  EXPECT_TRUE(ParseIpv4(p).ok());
}

TEST(ParseIpv4Test, Fragments) {
  std::vector<uint8_t> p = ClassicIpv4Packet();
  StoreBe16(&p[6], 0x2000);  // MF, offset 0: first fragment
  FixIpv4Checksum(p);
  absl::StatusOr<Ipv4Header> h = ParseIpv4(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->more_fragments());
  EXPECT_FALSE(h->dont_fragment());
  EXPECT_TRUE(h->is_fragment());

  StoreBe16(&p[6], 0x00b9);  // last fragment at offset 185 * 8
  FixIpv4Checksum(p);
  h = ParseIpv4(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->more_fragments());
  EXPECT_EQ(h->fragment_offset, 0xb9);
  EXPECT_TRUE(h->is_fragment());

  StoreBe16(&p[6], 0x1fff | 0x2000);
  FixIpv4Checksum(p);
  h = ParseIpv4(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->fragment_offset, 0x1fff);
  EXPECT_EQ(h->flags, Ipv4Header::kMoreFragments);
}

TEST(ParseIpv4Test, EveryPrefixFailsExceptTheWhole) {
  const std::vector<uint8_t> p = ClassicIpv4Packet();
  for (size_t n = 0; n < p.size(); ++n) {
    EXPECT_FALSE(ParseIpv4(absl::MakeConstSpan(p).subspan(0, n)).ok()) << n;
    EXPECT_FALSE(ParseIpPacket(absl::MakeConstSpan(p).subspan(0, n)).ok()) << n;
  }
  EXPECT_TRUE(ParseIpv4(p).ok());
}

TEST(ParseIpv4Test, EveryIhlAndTotalLengthIsHandled) {
  // Whatever IHL and total length say, parsing either fails or yields spans
  // inside the buffer.
  std::vector<uint8_t> p = ClassicIpv4Packet();
  for (int ihl = 0; ihl < 16; ++ihl) {
    for (int total = 0; total < 80; ++total) {
      p[0] = static_cast<uint8_t>(0x40 | ihl);
      StoreBe16(&p[2], static_cast<uint16_t>(total));
      FixIpv4Checksum(p);
      absl::StatusOr<Ipv4Header> h = ParseIpv4(p);
      const bool valid = ihl >= 5 && total >= ihl * 4 && total <= 60;
      ASSERT_EQ(h.ok(), valid) << ihl << " " << total << " " << h.status();
      if (h.ok()) {
        EXPECT_EQ(h->options.size(), size_t(ihl * 4 - 20));
        EXPECT_EQ(h->payload.size(), size_t(total - ihl * 4));
        EXPECT_LE(h->payload.data() + h->payload.size(), p.data() + p.size());
      }
    }
  }
}

TEST(WriteIpv4HeaderTest, MatchesClassicHeader) {
  Ipv4HeaderFields f;
  f.identification = 0x1c46;
  f.src = Addr("172.16.10.99");
  f.dst = Addr("172.16.10.12");
  uint8_t buf[20];
  ByteWriter w(absl::MakeSpan(buf));
  ASSERT_TRUE(WriteIpv4Header(f, 40, w).ok());
  EXPECT_EQ(w.written(), 20u);
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + 20), FromHex(kIpv4Header));
}

TEST(WriteIpv4HeaderTest, RoundTrip) {
  Ipv4HeaderFields f;
  f.tos = 0xb9;
  f.identification = 0xfedc;
  f.dont_fragment = false;
  f.ttl = 1;
  f.protocol = kIpProtocolUdp;
  f.src = Addr("10.1.2.3");
  f.dst = Addr("192.168.255.254");
  std::vector<uint8_t> buf(20 + 7, 0x5a);
  ByteWriter w(absl::MakeSpan(buf));
  ASSERT_TRUE(WriteIpv4Header(f, 7, w).ok());
  absl::StatusOr<Ipv4Header> h = ParseIpv4(buf);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->tos, 0xb9);
  EXPECT_EQ(h->total_length, 27);
  EXPECT_EQ(h->identification, 0xfedc);
  EXPECT_EQ(h->flags, 0);
  EXPECT_EQ(h->ttl, 1);
  EXPECT_EQ(h->protocol, kIpProtocolUdp);
  EXPECT_EQ(h->src, f.src);
  EXPECT_EQ(h->dst, f.dst);
  EXPECT_EQ(h->payload.size(), 7u);
}

TEST(WriteIpv4HeaderTest, Errors) {
  uint8_t buf[20];
  Ipv4HeaderFields f;
  f.src = Addr("10.0.0.1");
  f.dst = Addr("fd00::1");
  ByteWriter w1(absl::MakeSpan(buf));
  EXPECT_EQ(WriteIpv4Header(f, 0, w1).message(),
            "IPv4 header: cannot write addresses 10.0.0.1 -> fd00::1: both "
            "must be IPv4");
  EXPECT_EQ(w1.written(), 0u);

  f.dst = Addr("10.0.0.2");
  ByteWriter w2(absl::MakeSpan(buf));
  EXPECT_EQ(WriteIpv4Header(f, 65516, w2).message(),
            "IPv4 header: payload length 65516 exceeds the maximum 65515");
  ByteWriter w3(absl::MakeSpan(buf));
  EXPECT_TRUE(WriteIpv4Header(f, 65515, w3).ok());

  ByteWriter small(absl::MakeSpan(buf, 19));
  absl::Status s = WriteIpv4Header(f, 0, small);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "IPv4 header: output has 19 bytes left, need 20");
  EXPECT_FALSE(small.ok());
}

// fixed header: version 6, traffic class 0xb8, flow label 0x12345,
// payload length, next header, hop limit 64, fd00::1 -> fd00::2
std::vector<uint8_t> Ipv6Packet(uint8_t next_header,
                                const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> p = FromHex(
      "6b 81 23 45 00 00 00 40"
      "fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"
      "fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02");
  StoreBe16(&p[4], static_cast<uint16_t>(payload.size()));
  p[6] = next_header;
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

TEST(ParseIpv6Test, NoExtensionHeaders) {
  const std::vector<uint8_t> p =
      Ipv6Packet(kIpProtocolTcp, FromHex("01 02 03 04 05"));
  absl::StatusOr<Ipv6Header> h = ParseIpv6(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->traffic_class, 0xb8);
  EXPECT_EQ(h->flow_label, 0x12345u);
  EXPECT_EQ(h->payload_length, 5);
  EXPECT_EQ(h->next_header, kIpProtocolTcp);
  EXPECT_EQ(h->hop_limit, 64);
  EXPECT_EQ(h->src, Addr("fd00::1"));
  EXPECT_EQ(h->dst, Addr("fd00::2"));
  EXPECT_EQ(h->protocol, kIpProtocolTcp);
  EXPECT_EQ(h->payload.data(), p.data() + 40);
  EXPECT_EQ(h->payload.size(), 5u);
  EXPECT_FALSE(h->has_fragment_header);
  EXPECT_FALSE(h->is_fragment());
}

TEST(ParseIpv6Test, PayloadBoundedByPayloadLength) {
  std::vector<uint8_t> p = Ipv6Packet(kIpProtocolTcp, FromHex("01 02 03"));
  p.push_back(0xee);
  absl::StatusOr<Ipv6Header> h = ParseIpv6(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->payload.size(), 3u);
}

// hop-by-hop (8 bytes) -> destination options (16) -> routing (8) -> TCP
std::vector<uint8_t> ChainPayload() {
  return FromHex(
      "3c 00 01 04 00 00 00 00"                          // HBH, next 60
      "2b 01 01 0c 00 00 00 00 00 00 00 00 00 00 00 00"  // dest opts, next 43
      "06 00 00 00 00 00 00 00"                          // routing, next 6
      "aa bb cc");
}

TEST(ParseIpv6Test, WalksExtensionHeaders) {
  const std::vector<uint8_t> p =
      Ipv6Packet(kIpProtocolHopByHop, ChainPayload());
  absl::StatusOr<Ipv6Header> h = ParseIpv6(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->next_header, kIpProtocolHopByHop);
  EXPECT_EQ(h->protocol, kIpProtocolTcp);
  EXPECT_EQ(h->payload.data(), p.data() + 40 + 32);
  EXPECT_EQ(std::vector<uint8_t>(h->payload.begin(), h->payload.end()),
            FromHex("aa bb cc"));
  EXPECT_FALSE(h->is_fragment());
}

TEST(ParseIpv6Test, HopByHopMustBeFirst) {
  const std::vector<uint8_t> p =
      Ipv6Packet(kIpProtocolIpv6DestinationOptions,
                 FromHex("00 00 00 00 00 00 00 00 06 00 00 00 00 00 00 00"));
  EXPECT_EQ(ParseIpv6(p).status().message(),
            "IPv6 header: hop-by-hop options header at offset 48 is not "
            "directly after the fixed header");
}

TEST(ParseIpv6Test, ExtensionHeaderPastPayloadLength) {
  // The destination options header says 16 bytes but the payload has 12,
  // even though the buffer has more bytes after it.
  std::vector<uint8_t> p =
      Ipv6Packet(kIpProtocolIpv6DestinationOptions,
                 FromHex("06 01 00 00 00 00 00 00 00 00 00 00"));
  p.resize(p.size() + 8, 0);
  EXPECT_EQ(ParseIpv6(p).status().message(),
            "IPv6 header: destination options header at offset 40: length 16 "
            "runs past the 12 bytes left in the payload");
  const std::vector<uint8_t> q =
      Ipv6Packet(kIpProtocolIpv6Routing, FromHex("06 00 00 00"));
  EXPECT_EQ(ParseIpv6(q).status().message(),
            "IPv6 header: routing header at offset 40: 4 bytes left in the "
            "payload, need 8");
}

TEST(ParseIpv6Test, NonFirstFragmentStopsAtFragmentHeader) {
  // fragment header: next 60, offset 185, M=1, id 0xdeadbeef; the fragment
  // data happens to look like a destination options header.
  const std::vector<uint8_t> p = Ipv6Packet(
      kIpProtocolIpv6Fragment,
      FromHex("3c 00 05 c9 de ad be ef 06 00 00 00 00 00 00 00 11 22"));
  absl::StatusOr<Ipv6Header> h = ParseIpv6(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->has_fragment_header);
  EXPECT_EQ(h->fragment_offset, 185);
  EXPECT_TRUE(h->more_fragments);
  EXPECT_EQ(h->fragment_identification, 0xdeadbeefu);
  EXPECT_TRUE(h->is_fragment());
  // Not walked further even though the data looks like a header.
  EXPECT_EQ(h->protocol, kIpProtocolIpv6DestinationOptions);
  EXPECT_EQ(h->payload.data(), p.data() + 48);
  EXPECT_EQ(h->payload.size(), 10u);
}

TEST(ParseIpv6Test, FirstFragmentWalksOn) {
  const std::vector<uint8_t> p = Ipv6Packet(
      kIpProtocolIpv6Fragment,
      FromHex("3c 00 00 01 00 00 00 07 06 00 00 00 00 00 00 00 11 22"));
  absl::StatusOr<Ipv6Header> h = ParseIpv6(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->fragment_offset, 0);
  EXPECT_TRUE(h->more_fragments);
  EXPECT_TRUE(h->is_fragment());
  EXPECT_EQ(h->protocol, kIpProtocolTcp);
  EXPECT_EQ(h->payload.size(), 2u);
}

TEST(ParseIpv6Test, AtomicFragmentIsNotAFragment) {
  const std::vector<uint8_t> p = Ipv6Packet(
      kIpProtocolIpv6Fragment, FromHex("06 00 00 00 00 00 00 07 11 22"));
  absl::StatusOr<Ipv6Header> h = ParseIpv6(p);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->has_fragment_header);
  EXPECT_FALSE(h->is_fragment());
  EXPECT_EQ(h->protocol, kIpProtocolTcp);
  EXPECT_EQ(h->payload.size(), 2u);
}

TEST(ParseIpv6Test, Errors) {
  std::vector<uint8_t> p = Ipv6Packet(kIpProtocolTcp, FromHex("01 02"));
  EXPECT_EQ(ParseIpv6(absl::MakeConstSpan(p).subspan(0, 39)).status().message(),
            "IPv6 header: 39 bytes, need at least 40");
  EXPECT_EQ(ParseIpv6(absl::MakeConstSpan(p).subspan(0, 41)).status().message(),
            "IPv6 header: payload length 2 exceeds the 1 bytes after the "
            "fixed header");
  p[0] = 0x4b;
  EXPECT_EQ(ParseIpv6(p).status().message(),
            "IPv6 header: version 4, expected 6");
}

TEST(ParseIpv6Test, EveryPrefixFailsExceptTheWhole) {
  const std::vector<uint8_t> p =
      Ipv6Packet(kIpProtocolHopByHop, ChainPayload());
  for (size_t n = 0; n < p.size(); ++n) {
    EXPECT_FALSE(ParseIpv6(absl::MakeConstSpan(p).subspan(0, n)).ok()) << n;
    EXPECT_FALSE(ParseIpPacket(absl::MakeConstSpan(p).subspan(0, n)).ok()) << n;
  }
  EXPECT_TRUE(ParseIpv6(p).ok());
}

TEST(ParseIpv6Test, EveryPayloadLengthIsHandled) {
  // Shrinking the payload length cuts the chain at every point: the parse
  // fails exactly when a header no longer fits.
  std::vector<uint8_t> p = Ipv6Packet(kIpProtocolHopByHop, ChainPayload());
  const size_t full = p.size() - 40;
  for (size_t len = 0; len <= full; ++len) {
    StoreBe16(&p[4], static_cast<uint16_t>(len));
    absl::StatusOr<Ipv6Header> h = ParseIpv6(p);
    ASSERT_EQ(h.ok(), len >= 32) << len << " " << h.status();
    if (h.ok()) {
      EXPECT_EQ(h->payload.size(), len - 32);
    }
  }
}

TEST(ParseIpPacketTest, ChoosesByVersion) {
  const std::vector<uint8_t> v4 = ClassicIpv4Packet();
  absl::StatusOr<IpPacket> a = ParseIpPacket(v4);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->src, Addr("172.16.10.99"));
  EXPECT_EQ(a->dst, Addr("172.16.10.12"));
  EXPECT_EQ(a->protocol, kIpProtocolTcp);
  EXPECT_EQ(a->payload.size(), 40u);
  EXPECT_FALSE(a->fragment);
  EXPECT_EQ(a->ttl_or_hop_limit, 64);

  const std::vector<uint8_t> v6 = Ipv6Packet(
      kIpProtocolIpv6Fragment, FromHex("06 00 00 01 00 00 00 07 11 22"));
  absl::StatusOr<IpPacket> b = ParseIpPacket(v6);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->src, Addr("fd00::1"));
  EXPECT_EQ(b->dst, Addr("fd00::2"));
  EXPECT_EQ(b->protocol, kIpProtocolTcp);
  EXPECT_EQ(b->payload.size(), 2u);
  EXPECT_TRUE(b->fragment);
  EXPECT_EQ(b->ttl_or_hop_limit, 64);
  EXPECT_EQ(b->tos_or_traffic_class, 0xb8);
}

TEST(ParseIpPacketTest, Errors) {
  EXPECT_EQ(ParseIpPacket({}).status().message(), "IP packet: empty buffer");
  std::vector<uint8_t> p = ClassicIpv4Packet();
  p[0] = 0x55;
  EXPECT_EQ(ParseIpPacket(p).status().message(),
            "IP packet: version 5 is neither 4 nor 6");
  p[0] = 0x44;
  EXPECT_EQ(ParseIpPacket(p).status().message(),
            "IPv4 header: IHL 4 is below the minimum 5");
}

TEST(WriteIpv6HeaderTest, KnownBytesAndRoundTrip) {
  Ipv6HeaderFields f;
  f.traffic_class = 0xb8;
  f.flow_label = 0x12345;
  f.next_header = kIpProtocolTcp;
  f.hop_limit = 64;
  f.src = Addr("fd00::1");
  f.dst = Addr("fd00::2");
  std::vector<uint8_t> buf(45, 0);
  ByteWriter w(absl::MakeSpan(buf));
  ASSERT_TRUE(WriteIpv6Header(f, 5, w).ok());
  EXPECT_EQ(w.written(), 40u);
  const std::vector<uint8_t> expected =
      Ipv6Packet(kIpProtocolTcp, std::vector<uint8_t>(5, 0));
  EXPECT_EQ(buf, expected);
  absl::StatusOr<Ipv6Header> h = ParseIpv6(buf);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->traffic_class, 0xb8);
  EXPECT_EQ(h->flow_label, 0x12345u);
  EXPECT_EQ(h->payload_length, 5);
  EXPECT_EQ(h->src, f.src);
  EXPECT_EQ(h->dst, f.dst);
}

TEST(WriteIpv6HeaderTest, Errors) {
  uint8_t buf[40];
  Ipv6HeaderFields f;
  f.src = Addr("fd00::1");
  f.dst = Addr("10.0.0.1");
  ByteWriter w1(absl::MakeSpan(buf));
  EXPECT_EQ(WriteIpv6Header(f, 0, w1).message(),
            "IPv6 header: cannot write addresses fd00::1 -> 10.0.0.1: both "
            "must be IPv6");
  f.dst = Addr("fd00::2");
  f.flow_label = 0x100000;
  ByteWriter w2(absl::MakeSpan(buf));
  EXPECT_EQ(WriteIpv6Header(f, 0, w2).message(),
            "IPv6 header: flow label 0x100000 does not fit in 20 bits");
  f.flow_label = 0;
  ByteWriter w3(absl::MakeSpan(buf));
  EXPECT_EQ(WriteIpv6Header(f, 65536, w3).message(),
            "IPv6 header: payload length 65536 exceeds the maximum 65535");
  ByteWriter small(absl::MakeSpan(buf, 39));
  EXPECT_EQ(WriteIpv6Header(f, 0, small).message(),
            "IPv6 header: output has 39 bytes left, need 40");
  EXPECT_FALSE(small.ok());
}

}  // namespace
}  // namespace plait::wire
