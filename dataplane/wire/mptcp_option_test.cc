#include "dataplane/wire/mptcp_option.h"

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/ip_address.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint64_t kKeyA = 0x0102030405060708ull;
constexpr uint64_t kKeyB = 0x1112131415161718ull;

// Writes `o` into a 40-byte buffer; fails the test if it cannot.
Bytes Encode(const MptcpOption& o) {
  uint8_t buf[kMaxMptcpOptionLength];
  ByteWriter w(absl::MakeSpan(buf));
  EXPECT_TRUE(WriteMptcpOption(o, w)) << Describe(o);
  EXPECT_EQ(w.written(), EncodedLength(o)) << Describe(o);
  return Bytes(buf, buf + w.written());
}

// write -> parse gives back an equal option, and writing that gives the same
// bytes.
void ExpectRoundTrip(const MptcpOption& o) {
  SCOPED_TRACE(Describe(o));
  const Bytes bytes = Encode(o);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes[0], 30);
  EXPECT_EQ(bytes[1], bytes.size());
  EXPECT_EQ(bytes[2] >> 4, static_cast<int>(SubtypeOf(o)));
  absl::StatusOr<MptcpOption> parsed = ParseMptcpOption(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->index(), o.index());
  EXPECT_TRUE(*parsed == o) << Describe(*parsed);
  EXPECT_EQ(Encode(*parsed), bytes);
}

template <typename T>
T ParseAs(const Bytes& bytes) {
  absl::StatusOr<MptcpOption> parsed = ParseMptcpOption(bytes);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return T{};
  const T* t = std::get_if<T>(&*parsed);
  EXPECT_NE(t, nullptr) << Describe(*parsed);
  return t ? *t : T{};
}

std::string ParseError(const Bytes& bytes) {
  absl::StatusOr<MptcpOption> parsed = ParseMptcpOption(bytes);
  EXPECT_FALSE(parsed.ok()) << Describe(*parsed);
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

// Appends a 64-bit big-endian value.
void Put64(Bytes& b, uint64_t v) {
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

IpAddress V4(const char* s) { return *IpAddress::Parse(s); }

const uint8_t kExperimentalData[] = {0x2a, 0x01, 0x02, 0x03, 0x04, 0x05};

// One valid option of every variant, used by the boundary loops.
std::vector<MptcpOption> Samples() {
  std::vector<MptcpOption> v;
  v.push_back(MpCapable::Syn(kMpcFlagH));
  v.push_back(MpCapable::SynAck(kMpcFlagA | kMpcFlagH, kKeyB));
  v.push_back(MpCapable::Ack(kMpcFlagH, kKeyA, kKeyB));
  v.push_back(MpCapable::AckWithData(kMpcFlagH, kKeyA, kKeyB, 1000));
  v.push_back(MpCapable::AckWithData(kMpcFlagA | kMpcFlagH, kKeyA, kKeyB, 1000,
                                     0xbeef));
  v.push_back(MpJoinSyn{true, 2, 0xdeadbeef, 0x01020304});
  v.push_back(MpJoinSynAck{false, 3, 0x0123456789abcdefull, 0x0a0b0c0d});
  MpJoinAck ack;
  for (size_t i = 0; i < ack.hmac.size(); ++i) ack.hmac[i] = 0xa0 + i;
  v.push_back(ack);
  for (int flags = 0; flags < 32; ++flags) {
    for (bool csum : {false, true}) {
      if (csum && !(flags & kDssFlagMapping)) continue;
      Dss dss;
      dss.data_fin = flags & kDssFlagDataFin;
      if (flags & kDssFlagAck) {
        dss.data_ack_64 = flags & kDssFlagAck64;
        dss.data_ack = dss.data_ack_64 ? 0x8877665544332211ull : 0x44332211u;
      }
      if (flags & kDssFlagMapping) {
        DssMapping m;
        m.dsn_64 = flags & kDssFlagDsn64;
        m.dsn = m.dsn_64 ? 0xf5a101d3d29d6f73ull : 0xd29d6f73u;
        m.subflow_seq = 0x00010203;
        m.data_level_length = 1400;
        if (csum) m.checksum = 0x1234;
        dss.mapping = m;
      }
      v.push_back(dss);
    }
  }
  v.push_back(AddAddr{false, 1, V4("10.0.0.2"), 8080, 0x1122334455667788ull});
  v.push_back(AddAddr{true, 1, V4("10.0.0.2"), std::nullopt, std::nullopt});
  v.push_back(
      AddAddr{false, 9, *IpAddress::Parse("fd00::1"), std::nullopt, 42});
  v.push_back(AddAddr{true, 9, *IpAddress::Parse("fd00::1"), 443, {}});
  v.push_back(*RemoveAddr::Of({5}));
  v.push_back(*RemoveAddr::Of({1, 2, 3, 4, 5, 6, 7, 8}));
  v.push_back(MpPrio{true, std::nullopt});
  v.push_back(MpPrio{false, 4});
  v.push_back(MpFail{0x0102030405060708ull});
  v.push_back(MpFastclose{kKeyB});
  v.push_back(MpTcpRst{true, 6});
  v.push_back(MpExperimental{0x3, kExperimentalData});
  return v;
}

// ---------------------------------------------------------------------------
// Known byte vectors.

TEST(MptcpOptionTest, MpCapableSynKnownBytes) {
  // packetdrill: <mpcapable v1 flags[flag_h] nokey>
  const Bytes syn = {0x1e, 0x04, 0x01, 0x01};
  EXPECT_EQ(Encode(MpCapable::Syn(kMpcFlagH)), syn);
  const MpCapable mpc = ParseAs<MpCapable>(syn);
  EXPECT_EQ(mpc.version, 1);
  EXPECT_EQ(mpc.flags, kMpcFlagH);
  EXPECT_FALSE(mpc.sender_key.has_value());
  EXPECT_FALSE(mpc.receiver_key.has_value());
}

TEST(MptcpOptionTest, MpCapableHandshakeKnownBytes) {
  Bytes synack = {0x1e, 0x0c, 0x01, 0x81};
  Put64(synack, kKeyB);
  EXPECT_EQ(Encode(MpCapable::SynAck(kMpcFlagA | kMpcFlagH, kKeyB)), synack);
  EXPECT_EQ(ParseAs<MpCapable>(synack).sender_key, kKeyB);

  // The third ACK puts the sender's own key first.
  Bytes ack = {0x1e, 0x14, 0x01, 0x01};
  Put64(ack, kKeyA);
  Put64(ack, kKeyB);
  EXPECT_EQ(Encode(MpCapable::Ack(kMpcFlagH, kKeyA, kKeyB)), ack);
  const MpCapable parsed = ParseAs<MpCapable>(ack);
  EXPECT_EQ(parsed.sender_key, kKeyA);
  EXPECT_EQ(parsed.receiver_key, kKeyB);
  EXPECT_FALSE(parsed.data_level_length.has_value());

  // packetdrill mpc_with_data_client.pkt: key[ckey, skey] mpcdatalen 1000.
  Bytes data = ack;
  data[1] = 22;
  data.push_back(0x03);
  data.push_back(0xe8);
  EXPECT_EQ(Encode(MpCapable::AckWithData(kMpcFlagH, kKeyA, kKeyB, 1000)),
            data);
  EXPECT_EQ(ParseAs<MpCapable>(data).data_level_length, 1000);
  EXPECT_FALSE(ParseAs<MpCapable>(data).checksum.has_value());

  Bytes csum = data;
  csum[1] = 24;
  csum[3] = 0x81;
  csum.push_back(0xab);
  csum.push_back(0xcd);
  EXPECT_EQ(Encode(MpCapable::AckWithData(kMpcFlagA | kMpcFlagH, kKeyA, kKeyB,
                                          1000, 0xabcd)),
            csum);
  EXPECT_EQ(ParseAs<MpCapable>(csum).checksum, 0xabcd);
}

TEST(MptcpOptionTest, MpCapableKeepsVersionAndFlagsUnjudged) {
  // A v0 SYN (12 bytes with a key) and a SYN with B set parse; rejecting them
  // is the connection logic's business (fallback to TCP).
  Bytes v0 = {0x1e, 0x0c, 0x00, 0x81};
  Put64(v0, kKeyA);
  const MpCapable mpc = ParseAs<MpCapable>(v0);
  EXPECT_EQ(mpc.version, 0);
  EXPECT_EQ(mpc.sender_key, kKeyA);
  EXPECT_EQ(ParseAs<MpCapable>({0x1e, 0x04, 0x01, 0x41}).flags, 0x41);
  EXPECT_EQ(ParseAs<MpCapable>({0x1e, 0x04, 0x0f, 0x00}).version, 15);
}

TEST(MptcpOptionTest, MpJoinKnownBytes) {
  const Bytes syn = {0x1e, 0x0c, 0x11, 0x02, 0xde, 0xad,
                     0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
  EXPECT_EQ(Encode(MpJoinSyn{true, 2, 0xdeadbeef, 0x01020304}), syn);
  const MpJoinSyn s = ParseAs<MpJoinSyn>(syn);
  EXPECT_TRUE(s.backup);
  EXPECT_EQ(s.address_id, 2);
  EXPECT_EQ(s.token, 0xdeadbeefu);
  EXPECT_EQ(s.nonce, 0x01020304u);

  Bytes synack = {0x1e, 0x10, 0x10, 0x03};
  Put64(synack, 0x0123456789abcdefull);
  for (uint8_t b : {0x0a, 0x0b, 0x0c, 0x0d}) synack.push_back(b);
  EXPECT_EQ(Encode(MpJoinSynAck{false, 3, 0x0123456789abcdefull, 0x0a0b0c0d}),
            synack);

  Bytes ack = {0x1e, 0x18, 0x10, 0x00};
  MpJoinAck join_ack;
  for (uint8_t i = 0; i < 20; ++i) {
    join_ack.hmac[i] = i + 1;
    ack.push_back(i + 1);
  }
  EXPECT_EQ(Encode(join_ack), ack);
  EXPECT_TRUE(ParseAs<MpJoinAck>(ack) == join_ack);
}

TEST(MptcpOptionTest, DssKnownBytes) {
  // packetdrill: <dss dack8=1001>
  const Bytes dack8 = {0x1e, 0x0c, 0x20, 0x03, 0, 0, 0, 0, 0, 0, 0x03, 0xe9};
  Dss d;
  d.data_ack = 1001;
  d.data_ack_64 = true;
  EXPECT_EQ(Encode(d), dack8);
  EXPECT_TRUE(ParseAs<Dss>(dack8) == d);

  // 32-bit ack 0x11223344, 32-bit DSN 0x55667788, SSN 1, length 1000,
  // checksum 0x1234, DATA_FIN: flags F|M|A = 0x15, length 4+4+10+2 = 20.
  const Bytes full = {0x1e, 0x14, 0x20, 0x15, 0x11, 0x22, 0x33,
                      0x44, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00,
                      0x00, 0x01, 0x03, 0xe8, 0x12, 0x34};
  const Dss p = ParseAs<Dss>(full);
  EXPECT_EQ(p.data_ack, 0x11223344u);
  EXPECT_FALSE(p.data_ack_64);
  ASSERT_TRUE(p.mapping.has_value());
  EXPECT_EQ(p.mapping->dsn, 0x55667788u);
  EXPECT_FALSE(p.mapping->dsn_64);
  EXPECT_EQ(p.mapping->subflow_seq, 1u);
  EXPECT_EQ(p.mapping->data_level_length, 1000);
  EXPECT_EQ(p.mapping->checksum, 0x1234);
  EXPECT_TRUE(p.data_fin);
  EXPECT_EQ(Encode(p), full);

  // Linux's 64-bit DATA_FIN-only mapping: M|m|F, SSN 0, length 1.
  Dss fin;
  fin.data_fin = true;
  fin.mapping = DssMapping{0x100, true, 0, 1, std::nullopt};
  Bytes fin_bytes = {0x1e, 0x12, 0x20, 0x1c};
  Put64(fin_bytes, 0x100);
  for (uint8_t b : {0, 0, 0, 0, 0, 1}) fin_bytes.push_back(b);
  EXPECT_EQ(Encode(fin), fin_bytes);
}

TEST(MptcpOptionTest, DssParsesEveryFlagByteBuiltByHand) {
  for (int flags = 0; flags < 32; ++flags) {
    for (bool csum : {false, true}) {
      if (csum && !(flags & kDssFlagMapping)) continue;
      SCOPED_TRACE(absl::StrCat("flags=", flags, " csum=", csum));
      Bytes b = {0x1e, 0, 0x20, static_cast<uint8_t>(flags)};
      if (flags & kDssFlagAck) {
        if (flags & kDssFlagAck64) {
          Put64(b, 0xa1a2a3a4a5a6a7a8ull);
        } else {
          for (uint8_t x : {0xa5, 0xa6, 0xa7, 0xa8}) b.push_back(x);
        }
      }
      if (flags & kDssFlagMapping) {
        if (flags & kDssFlagDsn64) {
          Put64(b, 0xb1b2b3b4b5b6b7b8ull);
        } else {
          for (uint8_t x : {0xb5, 0xb6, 0xb7, 0xb8}) b.push_back(x);
        }
        for (uint8_t x : {0xc1, 0xc2, 0xc3, 0xc4, 0x05, 0x78}) b.push_back(x);
        if (csum) {
          b.push_back(0xd1);
          b.push_back(0xd2);
        }
      }
      b[1] = static_cast<uint8_t>(b.size());
      const size_t expected_len =
          4 + ((flags & 1) ? ((flags & 2) ? 8 : 4) : 0) +
          ((flags & 4) ? ((flags & 8) ? 8 : 4) + 6 : 0) + (csum ? 2 : 0);
      ASSERT_EQ(b.size(), expected_len);
      EXPECT_EQ(DssLengthForFlags(flags) + (csum ? 2 : 0), expected_len);

      const Dss d = ParseAs<Dss>(b);
      EXPECT_EQ(d.data_fin, (flags & 0x10) != 0);
      if (flags & kDssFlagAck) {
        EXPECT_EQ(d.data_ack,
                  (flags & 2) ? 0xa1a2a3a4a5a6a7a8ull : 0xa5a6a7a8u);
        EXPECT_EQ(d.data_ack_64, (flags & 2) != 0);
      } else {
        EXPECT_FALSE(d.data_ack.has_value());
        EXPECT_FALSE(d.data_ack_64);  // a stray `a` is dropped
      }
      if (flags & kDssFlagMapping) {
        ASSERT_TRUE(d.mapping.has_value());
        EXPECT_EQ(d.mapping->dsn,
                  (flags & 8) ? 0xb1b2b3b4b5b6b7b8ull : 0xb5b6b7b8u);
        EXPECT_EQ(d.mapping->dsn_64, (flags & 8) != 0);
        EXPECT_EQ(d.mapping->subflow_seq, 0xc1c2c3c4u);
        EXPECT_EQ(d.mapping->data_level_length, 0x0578);
        if (csum) {
          EXPECT_EQ(d.mapping->checksum, 0xd1d2);
        } else {
          EXPECT_FALSE(d.mapping->checksum.has_value());
        }
      } else {
        EXPECT_FALSE(d.mapping.has_value());
      }
      // Re-encoding drops only `a` without A and `m` without M.
      uint8_t normalized = flags;
      if (!(flags & kDssFlagAck)) normalized &= ~kDssFlagAck64;
      if (!(flags & kDssFlagMapping)) normalized &= ~kDssFlagDsn64;
      EXPECT_EQ(d.flags(), normalized);
      const Bytes again = Encode(d);
      ASSERT_EQ(again.size(), b.size());
      EXPECT_EQ(again[3], normalized);
      EXPECT_TRUE(std::equal(again.begin() + 4, again.end(), b.begin() + 4));
    }
  }
}

TEST(MptcpOptionTest, DssIgnoresReservedBits) {
  const Dss d = ParseAs<Dss>({0x1e, 0x08, 0x2f, 0xe1, 0, 0, 0x10, 0});
  EXPECT_EQ(d.data_ack, 0x1000u);
  EXPECT_EQ(Encode(d), (Bytes{0x1e, 0x08, 0x20, 0x01, 0, 0, 0x10, 0}));
}

TEST(MptcpOptionTest, AddAddrKnownBytes) {
  const Bytes v4_hmac_port = {0x1e, 0x12, 0x30, 0x01, 10,   0,
                              0,    2,    0x1f, 0x90, 0x11, 0x22,
                              0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  EXPECT_EQ(
      Encode(AddAddr{false, 1, V4("10.0.0.2"), 8080, 0x1122334455667788ull}),
      v4_hmac_port);
  const AddAddr a = ParseAs<AddAddr>(v4_hmac_port);
  EXPECT_FALSE(a.echo);
  EXPECT_EQ(a.address_id, 1);
  EXPECT_EQ(a.address, V4("10.0.0.2"));
  EXPECT_EQ(a.port, 8080);
  EXPECT_EQ(a.truncated_hmac, 0x1122334455667788ull);

  const Bytes v4_echo = {0x1e, 0x08, 0x31, 0x01, 10, 0, 0, 2};
  EXPECT_EQ(Encode(AddAddr{true, 1, V4("10.0.0.2"), {}, {}}), v4_echo);

  Bytes v6_echo_port = {0x1e, 22, 0x31, 0x07, 0xfd};
  for (int i = 0; i < 14; ++i) v6_echo_port.push_back(0);
  v6_echo_port.push_back(1);
  v6_echo_port.push_back(0x01);
  v6_echo_port.push_back(0xbb);
  const AddAddr v6 = ParseAs<AddAddr>(v6_echo_port);
  EXPECT_TRUE(v6.echo);
  EXPECT_EQ(v6.address, *IpAddress::Parse("fd00::1"));
  EXPECT_EQ(v6.port, 443);
  EXPECT_FALSE(v6.truncated_hmac.has_value());
}

TEST(MptcpOptionTest, OtherSubtypesKnownBytes) {
  EXPECT_EQ(Encode(*RemoveAddr::Of({5})), (Bytes{0x1e, 0x04, 0x40, 0x05}));
  EXPECT_EQ(Encode(*RemoveAddr::Of({1, 2, 3})),
            (Bytes{0x1e, 0x06, 0x40, 1, 2, 3}));
  EXPECT_EQ(Encode(MpPrio{true, {}}), (Bytes{0x1e, 0x03, 0x51}));
  EXPECT_EQ(Encode(MpPrio{false, {}}), (Bytes{0x1e, 0x03, 0x50}));
  EXPECT_EQ(Encode(MpPrio{true, 7}), (Bytes{0x1e, 0x04, 0x51, 0x07}));
  EXPECT_EQ(Encode(MpFail{0x0102030405060708ull}),
            (Bytes{0x1e, 0x0c, 0x60, 0, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(Encode(MpFastclose{0x1112131415161718ull}),
            (Bytes{0x1e, 0x0c, 0x70, 0, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
                   0x17, 0x18}));
  EXPECT_EQ(Encode(MpTcpRst{true, 6}), (Bytes{0x1e, 0x04, 0x81, 0x06}));
  EXPECT_EQ(Encode(MpTcpRst{false, 1}), (Bytes{0x1e, 0x04, 0x80, 0x01}));
  const uint8_t one[] = {42};
  EXPECT_EQ(Encode(MpExperimental{0, one}), (Bytes{0x1e, 0x04, 0xf0, 42}));

  // Reserved bytes and bits are ignored when parsing.
  EXPECT_EQ(
      ParseAs<MpFail>({0x1e, 0x0c, 0x6f, 0xff, 0, 0, 0, 0, 0, 0, 0, 9}).dsn,
      9u);
  EXPECT_EQ(
      ParseAs<MpFastclose>({0x1e, 0x0c, 0x70, 0xff, 0, 0, 0, 0, 0, 0, 0, 7})
          .receiver_key,
      7u);
  const MpTcpRst rst = ParseAs<MpTcpRst>({0x1e, 0x04, 0x8e, 0x02});
  EXPECT_FALSE(rst.transient);
  EXPECT_EQ(rst.reason, 2);
  EXPECT_EQ(ParseAs<MpJoinAck>({0x1e, 0x18, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
                                0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 9})
                .hmac[19],
            9);
}

TEST(MptcpOptionTest, ExperimentalKeepsNibbleAndPayloadView) {
  const Bytes b = {0x1e, 0x06, 0xfa, 0x01, 0x02, 0x03};
  const MpExperimental e = ParseAs<MpExperimental>(b);
  EXPECT_EQ(e.nibble, 0xa);
  ASSERT_EQ(e.payload.size(), 3u);
  EXPECT_EQ(e.payload.data(), b.data() + 3);  // a view, no copy
  EXPECT_EQ(ParseAs<MpExperimental>({0x1e, 0x03, 0xf0}).payload.size(), 0u);
}

// ---------------------------------------------------------------------------
// Round trips.

TEST(MptcpOptionTest, RoundTripMpCapableEveryVariantAndFlag) {
  for (uint8_t flags : {0x00, 0x80, 0x40, 0x20, 0x01, 0x81, 0xe1, 0xff}) {
    ExpectRoundTrip(MpCapable::Syn(flags));
    ExpectRoundTrip(MpCapable::SynAck(flags, kKeyA));
    ExpectRoundTrip(MpCapable::Ack(flags, kKeyA, kKeyB));
    ExpectRoundTrip(MpCapable::AckWithData(flags, kKeyA, kKeyB, 1000));
    ExpectRoundTrip(MpCapable::AckWithData(flags, kKeyA, kKeyB, 1, 0xffff));
  }
  EXPECT_EQ(Encode(MpCapable::Syn(kMpcFlagH)).size(), 4u);
  EXPECT_EQ(Encode(MpCapable::SynAck(kMpcFlagH, 1)).size(), 12u);
  EXPECT_EQ(Encode(MpCapable::Ack(kMpcFlagH, 1, 2)).size(), 20u);
  EXPECT_EQ(Encode(MpCapable::AckWithData(kMpcFlagH, 1, 2, 3)).size(), 22u);
  EXPECT_EQ(Encode(MpCapable::AckWithData(kMpcFlagH, 1, 2, 3, 4)).size(), 24u);
}

TEST(MptcpOptionTest, RoundTripMpJoinWithAndWithoutBackup) {
  for (bool backup : {false, true}) {
    ExpectRoundTrip(MpJoinSyn{backup, 0, 0xffffffff, 0});
    ExpectRoundTrip(MpJoinSyn{backup, 255, 0x12345678, 0x9abcdef0});
    ExpectRoundTrip(MpJoinSynAck{backup, 7, 0xffffffffffffffffull, 1});
    EXPECT_EQ(Encode(MpJoinSyn{backup, 1, 2, 3})[2], backup ? 0x11 : 0x10);
    EXPECT_EQ(Encode(MpJoinSynAck{backup, 1, 2, 3})[2], backup ? 0x11 : 0x10);
  }
  MpJoinAck ack;
  ack.hmac.fill(0xff);
  ExpectRoundTrip(ack);
  ExpectRoundTrip(MpJoinAck{});
}

TEST(MptcpOptionTest, RoundTripDssAllFlagsWithAndWithoutChecksum) {
  int count = 0;
  for (int flags = 0; flags < 32; ++flags) {
    for (bool csum : {false, true}) {
      if (csum && !(flags & kDssFlagMapping)) continue;
      SCOPED_TRACE(absl::StrCat("flags=", flags, " csum=", csum));
      Dss d;
      d.data_fin = flags & kDssFlagDataFin;
      if (flags & kDssFlagAck) {
        d.data_ack_64 = flags & kDssFlagAck64;
        d.data_ack = d.data_ack_64 ? 0xfedcba9876543210ull : 0x76543210u;
      }
      if (flags & kDssFlagMapping) {
        d.mapping = DssMapping{
            (flags & kDssFlagDsn64) ? 0x0123456789abcdefull : 0x89abcdefu,
            (flags & kDssFlagDsn64) != 0, 0xffffffffu, 0, std::nullopt};
        if (csum) d.mapping->checksum = 0;
      }
      ExpectRoundTrip(d);
      const Bytes b = Encode(d);
      EXPECT_EQ(b.size(), DssLengthForFlags(d.flags()) + (csum ? 2 : 0));
      ++count;
    }
  }
  EXPECT_EQ(count, 48);  // 32 without checksum + 16 with M and a checksum
}

TEST(MptcpOptionTest, RoundTripAddAddrFamiliesPortsEcho) {
  const IpAddress v4 = V4("192.168.1.200");
  const IpAddress v6 = *IpAddress::Parse("2001:db8::ff00:42:8329");
  struct Case {
    const IpAddress* addr;
    bool port;
    bool echo;
    size_t length;
  };
  const Case cases[] = {
      {&v4, false, true, 8},   {&v4, true, true, 10},  {&v4, false, false, 16},
      {&v4, true, false, 18},  {&v6, false, true, 20}, {&v6, true, true, 22},
      {&v6, false, false, 28}, {&v6, true, false, 30},
  };
  for (const Case& c : cases) {
    AddAddr a;
    a.echo = c.echo;
    a.address_id = 200;
    a.address = *c.addr;
    if (c.port) a.port = 65535;
    if (!c.echo) a.truncated_hmac = 0x0102030405060708ull;
    ExpectRoundTrip(a);
    EXPECT_EQ(EncodedLength(a), c.length);
    EXPECT_EQ(Encode(a)[2], c.echo ? 0x31 : 0x30);
  }
}

TEST(MptcpOptionTest, RoundTripRemoveAddr) {
  ExpectRoundTrip(*RemoveAddr::Of({0}));
  ExpectRoundTrip(*RemoveAddr::Of({1, 2, 3, 4, 5, 6, 7, 8}));
  RemoveAddr full;
  for (uint8_t i = 0; i < kMaxRemoveAddrIds; ++i) ASSERT_TRUE(full.Add(i * 7));
  EXPECT_FALSE(full.Add(1));
  ExpectRoundTrip(full);
  EXPECT_EQ(Encode(full).size(), 40u);
  const RemoveAddr parsed = ParseAs<RemoveAddr>(Encode(full));
  EXPECT_EQ(parsed.count, 37);
  EXPECT_EQ(parsed.id_span()[36], 36 * 7);
}

TEST(MptcpOptionTest, RoundTripPrioFailFastcloseRst) {
  for (bool backup : {false, true}) {
    ExpectRoundTrip(MpPrio{backup, std::nullopt});
    ExpectRoundTrip(MpPrio{backup, 3});
  }
  ExpectRoundTrip(MpFail{0});
  ExpectRoundTrip(MpFail{0xffffffffffffffffull});
  ExpectRoundTrip(MpFastclose{kKeyA});
  for (uint8_t reason = 0; reason <= 6; ++reason) {
    for (bool transient : {false, true}) {
      ExpectRoundTrip(MpTcpRst{transient, reason});
      EXPECT_EQ(Encode(MpTcpRst{transient, reason})[2],
                transient ? 0x81 : 0x80);
      EXPECT_EQ(Encode(MpTcpRst{transient, reason})[3], reason);
    }
  }
  ExpectRoundTrip(MpTcpRst{false, 200});  // unassigned codes are kept
}

TEST(MptcpOptionTest, RoundTripExperimental) {
  uint8_t data[37];
  for (size_t i = 0; i < sizeof(data); ++i) data[i] = 0x80 + i;
  for (uint8_t nibble = 0; nibble < 16; ++nibble) {
    for (size_t n : {0, 1, 2, 36, 37}) {
      ExpectRoundTrip(MpExperimental{nibble, absl::MakeConstSpan(data, n)});
    }
  }
}

TEST(MptcpOptionTest, SamplesRoundTrip) {
  for (const MptcpOption& o : Samples()) ExpectRoundTrip(o);
}

// ---------------------------------------------------------------------------
// Boundaries and errors.

TEST(MptcpOptionTest, EveryTruncatedPrefixFails) {
  for (const MptcpOption& o : Samples()) {
    SCOPED_TRACE(Describe(o));
    const Bytes b = Encode(o);
    for (size_t n = 0; n < b.size(); ++n) {
      const Bytes prefix(b.begin(), b.begin() + n);
      EXPECT_FALSE(ParseMptcpOption(prefix).ok()) << n;
      // With the length byte patched to the prefix size some prefixes are
      // valid shorter variants (e.g. an MP_CAPABLE SYN); this only has to
      // stay within the span (run under ASan).
      if (n >= 2) {
        Bytes patched = prefix;
        patched[1] = static_cast<uint8_t>(n);
        (void)ParseMptcpOption(patched);  // must not crash or overread
      }
    }
  }
}

TEST(MptcpOptionTest, LengthByteMustMatchSpan) {
  for (const MptcpOption& o : Samples()) {
    SCOPED_TRACE(Describe(o));
    Bytes b = Encode(o);
    // Followed by more bytes (e.g. the next TCP option).
    Bytes longer = b;
    longer.push_back(0x01);
    EXPECT_FALSE(ParseMptcpOption(longer).ok());
    // The length byte one more or one less than the span.
    Bytes more = b;
    more[1]++;
    EXPECT_FALSE(ParseMptcpOption(more).ok());
    Bytes less = b;
    less[1]--;
    EXPECT_FALSE(ParseMptcpOption(less).ok());
  }
  EXPECT_EQ(ParseError({0x1e, 0x05, 0x01, 0x01}),
            "MPTCP option: length byte 5 disagrees with the 4 bytes given");
}

TEST(MptcpOptionTest, EveryLengthOffByOneFails) {
  // Grow or shrink the real option by one byte (length byte kept consistent).
  // For REMOVE_ADDR, MP_PRIO and MP_EXPERIMENTAL neighbouring lengths can be
  // valid; EveryLengthOfEverySubtype covers their limits.
  for (const MptcpOption& o : Samples()) {
    const MptcpSubtype st = SubtypeOf(o);
    if (st == MptcpSubtype::kRemoveAddr || st == MptcpSubtype::kMpPrio ||
        st == MptcpSubtype::kMpExperimental) {
      continue;
    }
    SCOPED_TRACE(Describe(o));
    Bytes b = Encode(o);
    Bytes grown = b;
    grown.push_back(0);
    grown[1]++;
    EXPECT_FALSE(ParseMptcpOption(grown).ok());
    Bytes shrunk(b.begin(), b.end() - 1);
    shrunk[1]--;
    EXPECT_FALSE(ParseMptcpOption(shrunk).ok());
  }
}

// Valid lengths per subtype, written out independently of the parser.
std::set<size_t> ValidLengths(uint8_t subtype, uint8_t nibble, uint8_t byte3) {
  switch (subtype) {
    case 0x0:
      return {4, 12, 20, 22, 24};
    case 0x1:
      return {12, 16, 24};
    case 0x2: {
      size_t len = 4;
      if (byte3 & 0x01) len += (byte3 & 0x02) ? 8 : 4;
      if (byte3 & 0x04)
        return {len + ((byte3 & 0x08) ? 14 : 10),
                len + ((byte3 & 0x08) ? 16 : 12)};
      return {len};
    }
    case 0x3:
      if (nibble & 1) return {8, 10, 20, 22};
      return {16, 18, 28, 30};
    case 0x4: {
      std::set<size_t> s;
      for (size_t n = 4; n <= 40; ++n) s.insert(n);
      return s;
    }
    case 0x5:
      return {3, 4};
    case 0x6:
      return {12};
    case 0x7:
      return {12};
    case 0x8:
      return {4};
    case 0xf: {
      std::set<size_t> s;
      for (size_t n = 3; n <= 40; ++n) s.insert(n);
      return s;
    }
    default:
      return {};
  }
}

TEST(MptcpOptionTest, EveryLengthOfEverySubtype) {
  int valid = 0;
  for (uint8_t subtype = 0; subtype < 16; ++subtype) {
    for (uint8_t nibble : {0x0, 0x1}) {
      for (int byte3 = 0; byte3 < 32; ++byte3) {
        if (subtype != 0x2 && byte3 > 1) continue;  // only DSS reads flags
        const std::set<size_t> ok = ValidLengths(subtype, nibble, byte3);
        for (size_t len = 0; len <= 48; ++len) {
          Bytes b(len, 0x5a);
          if (len > 0) b[0] = 30;
          if (len > 1) b[1] = static_cast<uint8_t>(len);
          if (len > 2) b[2] = static_cast<uint8_t>(subtype << 4 | nibble);
          if (len > 3) b[3] = static_cast<uint8_t>(byte3);
          const bool expect_ok = ok.count(len) > 0;
          absl::StatusOr<MptcpOption> p = ParseMptcpOption(b);
          EXPECT_EQ(p.ok(), expect_ok)
              << "subtype " << int{subtype} << " nibble " << int{nibble}
              << " byte3 " << byte3 << " len " << len << ": "
              << (p.ok() ? Describe(*p) : std::string(p.status().message()));
          if (p.ok()) {
            ++valid;
            EXPECT_EQ(static_cast<int>(SubtypeOf(*p)), subtype);
            // Everything that parses writes back to the same length.
            EXPECT_EQ(EncodedLength(*p), len) << Describe(*p);
          }
        }
      }
    }
  }
  EXPECT_GT(valid, 0);
}

TEST(MptcpOptionTest, ErrorMessagesNameSubtypeAndProblem) {
  EXPECT_EQ(ParseError({0x1e, 13, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
            "MP_JOIN: length 13 matches no variant (12 SYN, 16 SYN/ACK, 24 "
            "ACK)");
  EXPECT_EQ(ParseError({0x1e, 0x04, 0x90, 0x00}), "unknown MPTCP subtype 0x9");
  EXPECT_EQ(ParseError({0x1e, 0x04, 0xe0, 0x00}), "unknown MPTCP subtype 0xe");
  EXPECT_EQ(ParseError({0x1e, 0x05, 0x00, 0x01, 0x00}),
            "MP_CAPABLE: length 5 matches no variant (4 SYN, 12 SYN/ACK, 20 "
            "ACK, 22 ACK+data, 24 ACK+data+checksum)");
  // DSS with A and M (32-bit) needs 18 or 20; 19 is neither.
  Bytes dss(19, 0);
  dss[0] = 0x1e;
  dss[1] = 19;
  dss[2] = 0x20;
  dss[3] = 0x05;
  EXPECT_EQ(ParseError(dss),
            "DSS: flags 0x05 [M A] need length 18 (20 with checksum), got 19");
  // Without M no checksum may follow.
  EXPECT_EQ(ParseError({0x1e, 0x0a, 0x20, 0x01, 0, 0, 0, 0, 0, 0}),
            "DSS: flags 0x01 [A] need length 8, got 10");
  EXPECT_EQ(ParseError({0x1e, 0x03, 0x20}),
            "DSS: length 3 has no flags byte (at least 4)");
  // ADD_ADDR: echo set with an HMAC-sized option, and clear without one.
  Bytes echo_hmac(16, 0);
  echo_hmac[0] = 0x1e;
  echo_hmac[1] = 16;
  echo_hmac[2] = 0x31;
  EXPECT_EQ(ParseError(echo_hmac),
            "ADD_ADDR: echo bit set but length 16 carries an HMAC");
  EXPECT_EQ(ParseError({0x1e, 0x08, 0x30, 1, 10, 0, 0, 1}),
            "ADD_ADDR: echo bit clear but length 8 carries no HMAC");
  EXPECT_NE(ParseError({0x1e, 0x09, 0x31, 1, 10, 0, 0, 1, 0})
                .find("ADD_ADDR: length 9 matches no variant"),
            std::string::npos);
  EXPECT_EQ(ParseError({0x1e, 0x03, 0x40}),
            "REMOVE_ADDR: length 3 carries no address ID (needs 4 to 40)");
  Bytes rm41(41, 1);
  rm41[0] = 0x1e;
  rm41[1] = 41;
  rm41[2] = 0x40;
  EXPECT_EQ(ParseError(rm41),
            "REMOVE_ADDR: length 41 carries 38 IDs, more than the 37 that fit "
            "in 40 bytes");
  EXPECT_EQ(
      ParseError({0x1e, 0x05, 0x51, 0, 0}),
      "MP_PRIO: length 5 matches no variant (3 v1, 4 v0 with address ID)");
  EXPECT_EQ(ParseError({0x1e, 0x04, 0x60, 0}), "MP_FAIL: length 4 is not 12");
  EXPECT_EQ(ParseError({0x1e, 0x04, 0x70, 0}),
            "MP_FASTCLOSE: length 4 is not 12");
  EXPECT_EQ(ParseError({0x1e, 0x05, 0x80, 0, 0}),
            "MP_TCPRST: length 5 is not 4");
  EXPECT_EQ(ParseError({0x1d, 0x04, 0x01, 0x01}),
            "MPTCP option: kind 29 is not 30");
  EXPECT_EQ(ParseError({0x1e}),
            "MPTCP option: 1 bytes cannot hold kind and length");
  EXPECT_EQ(ParseError({0x1e, 0x02}),
            "MPTCP option: length 2 leaves no subtype byte");
}

TEST(MptcpOptionTest, RandomBytesNeverCrashAndReencodeConsistently) {
  std::mt19937 rng(8684);
  int parsed_ok = 0;
  for (int i = 0; i < 200000; ++i) {
    const size_t len = rng() % 42;
    Bytes b(len);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (len > 0 && rng() % 4 != 0) b[0] = 30;
    if (len > 1 && rng() % 4 != 0) b[1] = static_cast<uint8_t>(len);
    absl::StatusOr<MptcpOption> p = ParseMptcpOption(b);
    if (!p.ok()) continue;
    ++parsed_ok;
    const Bytes again = Encode(*p);
    ASSERT_EQ(again.size(), b.size());
    absl::StatusOr<MptcpOption> p2 = ParseMptcpOption(again);
    ASSERT_TRUE(p2.ok());
    EXPECT_TRUE(*p2 == *p) << Describe(*p);
    (void)Describe(*p);
  }
  EXPECT_GT(parsed_ok, 1000);
}

// ---------------------------------------------------------------------------
// Encoding refusals.

void ExpectUnencodable(const MptcpOption& o, const std::string& message) {
  EXPECT_EQ(CheckEncodable(o).message(), message);
  EXPECT_EQ(EncodedLength(o), 0u);
  uint8_t buf[64];
  ByteWriter w(absl::MakeSpan(buf));
  EXPECT_FALSE(WriteMptcpOption(o, w));
  EXPECT_EQ(w.written(), 0u);
}

TEST(MptcpOptionTest, RefusesUnencodableValues) {
  ExpectUnencodable(RemoveAddr{}, "REMOVE_ADDR: no address IDs");
  EXPECT_FALSE(RemoveAddr::Of({}).ok());
  const Bytes many(38, 1);
  EXPECT_FALSE(RemoveAddr::Of(many).ok());
  RemoveAddr too_many;
  too_many.count = 38;
  ExpectUnencodable(too_many, "REMOVE_ADDR: 38 IDs, more than 37");

  MpCapable mpc = MpCapable::Syn(kMpcFlagH);
  mpc.receiver_key = 1;
  ExpectUnencodable(mpc, "MP_CAPABLE: receiver key without sender key");
  mpc = MpCapable::SynAck(kMpcFlagH, 1);
  mpc.data_level_length = 10;
  ExpectUnencodable(mpc, "MP_CAPABLE: data-level length without both keys");
  mpc = MpCapable::Ack(kMpcFlagH, 1, 2);
  mpc.checksum = 10;
  ExpectUnencodable(mpc, "MP_CAPABLE: checksum without data-level length");
  ExpectUnencodable(MpCapable::Syn(kMpcFlagH, 16),
                    "MP_CAPABLE: version 16 does not fit in 4 bits");

  Dss dss;
  dss.data_ack = 0x100000000ull;
  ExpectUnencodable(dss,
                    "DSS: data ACK 4294967296 does not fit the 32-bit field");
  dss.data_ack_64 = true;
  EXPECT_TRUE(CheckEncodable(dss).ok());
  dss.mapping = DssMapping{0x100000000ull, false, 0, 1, std::nullopt};
  ExpectUnencodable(dss, "DSS: DSN 4294967296 does not fit the 32-bit field");

  ExpectUnencodable(AddAddr{true, 1, V4("10.0.0.1"), {}, 5},
                    "ADD_ADDR: echo must not carry an HMAC");
  ExpectUnencodable(AddAddr{false, 1, V4("10.0.0.1"), {}, {}},
                    "ADD_ADDR: non-echo must carry an HMAC");

  const uint8_t big[38] = {};
  ExpectUnencodable(MpExperimental{0, big},
                    "MP_EXPERIMENTAL: 38 payload bytes exceed the 40-byte "
                    "option space");
  ExpectUnencodable(MpExperimental{16, {}},
                    "MP_EXPERIMENTAL: nibble 0x10 does not fit in 4 bits");
}

TEST(MptcpOptionTest, WriterWithoutRoomWritesNothing) {
  for (const MptcpOption& o : Samples()) {
    const size_t len = EncodedLength(o);
    ASSERT_GT(len, 0u);
    Bytes buf(len - 1, 0xee);
    ByteWriter w(absl::MakeSpan(buf));
    EXPECT_FALSE(WriteMptcpOption(o, w)) << Describe(o);
    EXPECT_EQ(w.written(), 0u);
    EXPECT_EQ(buf, Bytes(len - 1, 0xee));
  }
  // Written after other bytes, at the writer's position.
  uint8_t buf[8] = {};
  ByteWriter w(absl::MakeSpan(buf));
  w.WriteU16(0x0101);  // NOP NOP
  ASSERT_TRUE(WriteMptcpOption(MpTcpRst{false, 3}, w));
  EXPECT_EQ(w.written(), 6u);
  EXPECT_EQ(Bytes(buf, buf + 6), (Bytes{1, 1, 0x1e, 4, 0x80, 3}));
}

// ---------------------------------------------------------------------------
// Names and descriptions.

TEST(MptcpOptionTest, Names) {
  EXPECT_STREQ(MptcpSubtypeName(uint8_t{0x0}), "MP_CAPABLE");
  EXPECT_STREQ(MptcpSubtypeName(MptcpSubtype::kDss), "DSS");
  EXPECT_STREQ(MptcpSubtypeName(uint8_t{0x8}), "MP_TCPRST");
  EXPECT_STREQ(MptcpSubtypeName(uint8_t{0xf}), "MP_EXPERIMENTAL");
  EXPECT_STREQ(MptcpSubtypeName(uint8_t{0x9}), "UNKNOWN");
  EXPECT_STREQ(MptcpSubtypeName(MptcpOption(MpJoinAck{})), "MP_JOIN");
  const char* reasons[] = {"unspecified",
                           "mptcp_specific",
                           "lack_of_resources",
                           "administratively_prohibited",
                           "too_much_outstanding_data",
                           "unacceptable_performance",
                           "middlebox_interference"};
  for (uint8_t i = 0; i < 7; ++i) EXPECT_STREQ(TcpRstReasonName(i), reasons[i]);
  EXPECT_STREQ(TcpRstReasonName(7), "unknown");
  EXPECT_EQ(static_cast<uint8_t>(TcpRstReason::kMiddleboxInterference), 6);
}

TEST(MptcpOptionTest, Describe) {
  Dss d;
  d.data_ack = 123;
  d.mapping = DssMapping{456, false, 1, 1000, 0x1234};
  d.data_fin = true;
  EXPECT_EQ(Describe(d), "DSS ack=123 dsn=456 ssn=1 len=1000 csum=0x1234 fin");
  d.data_ack_64 = true;
  d.mapping->dsn_64 = true;
  d.mapping->checksum.reset();
  d.data_fin = false;
  EXPECT_EQ(Describe(d), "DSS ack64=123 dsn64=456 ssn=1 len=1000");
  EXPECT_EQ(Describe(Dss{}), "DSS");

  EXPECT_EQ(Describe(MpCapable::Syn(kMpcFlagA | kMpcFlagH)),
            "MP_CAPABLE v1 flags=0x81[A H]");
  EXPECT_EQ(Describe(MpCapable::AckWithData(kMpcFlagH, 1, 2, 100, 0xab)),
            "MP_CAPABLE v1 flags=0x01[H] skey=0x0000000000000001 "
            "rkey=0x0000000000000002 len=100 csum=0x00ab");
  EXPECT_EQ(Describe(MpJoinSyn{true, 2, 0xdeadbeef, 1}),
            "MP_JOIN SYN backup=1 id=2 token=0xdeadbeef nonce=0x00000001");
  EXPECT_EQ(Describe(MpJoinSynAck{false, 2, 0x1122, 1}),
            "MP_JOIN SYN/ACK backup=0 id=2 hmac=0x0000000000001122 "
            "nonce=0x00000001");
  MpJoinAck ack;
  ack.hmac[0] = 0xab;
  ack.hmac[19] = 0xcd;
  EXPECT_EQ(Describe(ack),
            "MP_JOIN ACK hmac=ab000000000000000000000000000000000000cd");
  EXPECT_EQ(Describe(AddAddr{false, 1, V4("10.0.0.2"), 8080, 0xff}),
            "ADD_ADDR id=1 10.0.0.2 port=8080 hmac=0x00000000000000ff");
  EXPECT_EQ(Describe(AddAddr{true, 3, *IpAddress::Parse("fd00::1"), {}, {}}),
            "ADD_ADDR echo id=3 fd00::1");
  EXPECT_EQ(Describe(*RemoveAddr::Of({1, 2, 30})), "REMOVE_ADDR ids=1,2,30");
  EXPECT_EQ(Describe(MpPrio{true, {}}), "MP_PRIO backup=1");
  EXPECT_EQ(Describe(MpPrio{false, 4}), "MP_PRIO backup=0 id=4 (v0)");
  EXPECT_EQ(Describe(MpFail{99}), "MP_FAIL dsn=99");
  EXPECT_EQ(Describe(MpFastclose{0xabc}),
            "MP_FASTCLOSE key=0x0000000000000abc");
  EXPECT_EQ(Describe(MpTcpRst{true, 6}),
            "MP_TCPRST reason=6 (middlebox_interference) transient");
  EXPECT_EQ(Describe(MpTcpRst{false, 0}), "MP_TCPRST reason=0 (unspecified)");
  const uint8_t data[] = {0x2a, 0xff};
  EXPECT_EQ(Describe(MpExperimental{0x3, data}),
            "MP_EXPERIMENTAL nibble=0x3 data=2aff");
  Dss inf;
  inf.mapping = DssMapping{7, true, 0, 0, 0};
  EXPECT_EQ(Describe(inf), "DSS dsn64=7 ssn=0 len=0 infinite csum=0x0000");
}

}  // namespace
}  // namespace plait::wire
