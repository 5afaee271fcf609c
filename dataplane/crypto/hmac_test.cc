#include "dataplane/crypto/hmac.h"

#include <array>
#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "dataplane/wire/byte_io.h"
#include "gtest/gtest.h"

namespace plait::crypto {
namespace {

absl::Span<const uint8_t> Ascii(absl::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// ---------------------------------------------------------------------------
// HmacSha256: the Linux KUnit vectors (net/mptcp/crypto_test.c), notes A.6.
// The kernel uses the ASCII characters of its key and message strings as the
// bytes, so key1/key2 are the big-endian readings of 8 ASCII characters each.
// ---------------------------------------------------------------------------

struct LinuxVector {
  absl::string_view key_ascii;  // 16 characters = be64(key1) || be64(key2)
  uint64_t key1;
  uint64_t key2;
  absl::string_view msg_ascii;
  absl::string_view expected_hex;
};

constexpr LinuxVector kLinuxVectors[] = {
    {"0b0b0b0b0b0b0b0b", 0x3062306230623062, 0x3062306230623062, "48692054",
     "8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa"},
    {"aaaaaaaaaaaaaaaa", 0x6161616161616161, 0x6161616161616161, "dddddddd",
     "2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9"},
    {"0102030405060708", 0x3031303230333034, 0x3035303630373038, "cdcdcdcd",
     "e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d"},
};

TEST(HmacSha256Test, LinuxKernelVectorsWithAsciiInputs) {
  for (const LinuxVector& v : kLinuxVectors) {
    SCOPED_TRACE(v.key_ascii);
    // The integer keys are exactly the ASCII key string read big-endian.
    const absl::Span<const uint8_t> key_bytes = Ascii(v.key_ascii);
    ASSERT_EQ(key_bytes.size(), 16u);
    EXPECT_EQ(wire::LoadBe64(key_bytes.data()), v.key1);
    EXPECT_EQ(wire::LoadBe64(key_bytes.data() + 8), v.key2);

    const HmacSha256Digest mac = HmacSha256(v.key1, v.key2, Ascii(v.msg_ascii));
    EXPECT_EQ(Hex(mac), v.expected_hex);  // all 32 bytes
  }
}

TEST(HmacSha256Test, HexDecodedInputsDoNotMatchTheVectors) {
  // The pitfall from the notes: hex-decoding "48692054" gives "Hi T", which
  // is not what the kernel hashes.
  const std::string msg = absl::HexStringToBytes("48692054");
  EXPECT_NE(Hex(HmacSha256(0x0b0b0b0b0b0b0b0b, 0x0b0b0b0b0b0b0b0b, Ascii(msg))),
            kLinuxVectors[0].expected_hex);
}

TEST(HmacSha256Test, EmptyMessage) {
  // python3: hmac.new(bytes.fromhex('0102030405060708'
  //   '1112131415161718'), b'', hashlib.sha256).hexdigest()
  EXPECT_EQ(Hex(HmacSha256(0x0102030405060708, 0x1112131415161718, {})),
            "f45f2c59be1d8061178b68886c161bae3ccab2202524c87a7821f5ca60abdcc6");
}

// ---------------------------------------------------------------------------
// MP_JOIN. A = initiator, B = responder.
// ---------------------------------------------------------------------------

constexpr uint64_t kKeyA = 0x0102030405060708;  // initiator
constexpr uint64_t kKeyB = 0x1112131415161718;  // responder
constexpr uint32_t kNonceA = 0xa1a2a3a4;
constexpr uint32_t kNonceB = 0xb1b2b3b4;

static_assert(std::is_same_v<JoinAckHmacBytes, std::array<uint8_t, 20>>);
static_assert(std::is_same_v<HmacSha256Digest, std::array<uint8_t, 32>>);

TEST(JoinHmacTest, SynAckPinnedValue) {
  // python3: hmac(be64(B)||be64(A), be32(R_B)||be32(R_A))[:8]
  EXPECT_EQ(JoinSynAckHmac(/*responder_key=*/kKeyB, /*initiator_key=*/kKeyA,
                           /*responder_nonce=*/kNonceB,
                           /*initiator_nonce=*/kNonceA),
            0x864b40428762fd06u);
}

TEST(JoinHmacTest, AckPinnedValue) {
  // python3: hmac(be64(A)||be64(B), be32(R_A)||be32(R_B))[:20]
  const JoinAckHmacBytes mac =
      JoinAckHmac(/*initiator_key=*/kKeyA, /*responder_key=*/kKeyB,
                  /*initiator_nonce=*/kNonceA, /*responder_nonce=*/kNonceB);
  EXPECT_EQ(Hex(mac), "53037f2899475529844115fd07e665d23d3554fb");
}

TEST(JoinHmacTest, SynAckIsLeftmost64BitsOfHandBuiltHmac) {
  // Key = Key_B || Key_A, Msg = R_B || R_A, built byte by byte.
  const uint8_t msg[8] = {0xb1, 0xb2, 0xb3, 0xb4, 0xa1, 0xa2, 0xa3, 0xa4};
  const HmacSha256Digest full = HmacSha256(kKeyB, kKeyA, msg);
  EXPECT_EQ(JoinSynAckHmac(kKeyB, kKeyA, kNonceB, kNonceA),
            wire::LoadBe64(full.data()));
  // Writing the integer big-endian yields the first 8 digest bytes.
  uint8_t wire_bytes[8];
  wire::StoreBe64(wire_bytes, JoinSynAckHmac(kKeyB, kKeyA, kNonceB, kNonceA));
  EXPECT_EQ(Hex(wire_bytes), Hex(absl::MakeConstSpan(full.data(), 8)));
}

TEST(JoinHmacTest, AckIsLeftmost160BitsOfHandBuiltHmac) {
  // Key = Key_A || Key_B, Msg = R_A || R_B, built byte by byte.
  const uint8_t msg[8] = {0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xb3, 0xb4};
  const HmacSha256Digest full = HmacSha256(kKeyA, kKeyB, msg);
  const JoinAckHmacBytes mac = JoinAckHmac(kKeyA, kKeyB, kNonceA, kNonceB);
  EXPECT_EQ(mac.size(), 20u);
  EXPECT_EQ(Hex(mac), Hex(absl::MakeConstSpan(full.data(), 20)));
}

TEST(JoinHmacTest, SynAckAndAckDifferForTheSameHandshake) {
  const uint64_t syn_ack = JoinSynAckHmac(kKeyB, kKeyA, kNonceB, kNonceA);
  const JoinAckHmacBytes ack = JoinAckHmac(kKeyA, kKeyB, kNonceA, kNonceB);
  EXPECT_NE(syn_ack, wire::LoadBe64(ack.data()));
}

TEST(JoinHmacTest, KeyOrderAndNonceOrderMatter) {
  const uint64_t syn_ack = JoinSynAckHmac(kKeyB, kKeyA, kNonceB, kNonceA);
  EXPECT_NE(syn_ack, JoinSynAckHmac(kKeyA, kKeyB, kNonceB, kNonceA));
  EXPECT_NE(syn_ack, JoinSynAckHmac(kKeyB, kKeyA, kNonceA, kNonceB));

  const JoinAckHmacBytes ack = JoinAckHmac(kKeyA, kKeyB, kNonceA, kNonceB);
  EXPECT_NE(ack, JoinAckHmac(kKeyB, kKeyA, kNonceA, kNonceB));
  EXPECT_NE(ack, JoinAckHmac(kKeyA, kKeyB, kNonceB, kNonceA));
}

TEST(JoinHmacTest, BothSidesAgree) {
  // Responder B computes the SYN/ACK HMAC from (local=B, remote=A); initiator
  // A verifies it passing the same roles (its remote key as responder_key).
  const uint64_t local_a = kKeyA, remote_b = kKeyB;
  const uint64_t sent =
      JoinSynAckHmac(/*responder_key=*/kKeyB,
                     /*initiator_key=*/kKeyA, kNonceB, kNonceA);
  EXPECT_TRUE(VerifyJoinSynAckHmac(sent, /*responder_key=*/remote_b,
                                   /*initiator_key=*/local_a, kNonceB,
                                   kNonceA));
  // A confused initiator that passes its own key as the responder's fails.
  EXPECT_FALSE(VerifyJoinSynAckHmac(sent, local_a, remote_b, kNonceB, kNonceA));

  // A computes the third-ACK HMAC; B verifies it.
  const JoinAckHmacBytes ack = JoinAckHmac(kKeyA, kKeyB, kNonceA, kNonceB);
  EXPECT_TRUE(VerifyJoinAckHmac(ack, kKeyA, kKeyB, kNonceA, kNonceB));
  EXPECT_FALSE(VerifyJoinAckHmac(ack, kKeyB, kKeyA, kNonceA, kNonceB));
  EXPECT_FALSE(VerifyJoinAckHmac(ack, kKeyA, kKeyB, kNonceB, kNonceA));
}

TEST(JoinHmacTest, VerifyRejectsAnySingleBitFlip) {
  const uint64_t syn_ack = JoinSynAckHmac(kKeyB, kKeyA, kNonceB, kNonceA);
  for (int bit = 0; bit < 64; ++bit) {
    EXPECT_FALSE(VerifyJoinSynAckHmac(syn_ack ^ (uint64_t{1} << bit), kKeyB,
                                      kKeyA, kNonceB, kNonceA))
        << bit;
  }
  const JoinAckHmacBytes ack = JoinAckHmac(kKeyA, kKeyB, kNonceA, kNonceB);
  for (size_t i = 0; i < ack.size(); ++i) {
    JoinAckHmacBytes bad = ack;
    bad[i] ^= 0x80;
    EXPECT_FALSE(VerifyJoinAckHmac(bad, kKeyA, kKeyB, kNonceA, kNonceB)) << i;
  }
}

TEST(JoinHmacTest, VerifyAckRejectsWrongLengths) {
  const HmacSha256Digest full = HmacSha256(
      kKeyA, kKeyB,
      std::array<uint8_t, 8>{0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xb3, 0xb4});
  // The full digest and its 19- and 21-byte prefixes share the right bytes
  // but are not 20 bytes long.
  for (size_t len : {size_t{0}, size_t{19}, size_t{21}, size_t{32}}) {
    EXPECT_FALSE(VerifyJoinAckHmac(absl::MakeConstSpan(full.data(), len), kKeyA,
                                   kKeyB, kNonceA, kNonceB))
        << len;
  }
  EXPECT_TRUE(VerifyJoinAckHmac(absl::MakeConstSpan(full.data(), 20), kKeyA,
                                kKeyB, kNonceA, kNonceB));
}

// ---------------------------------------------------------------------------
// ADD_ADDR
// ---------------------------------------------------------------------------

constexpr uint8_t kV4[4] = {10, 1, 0, 11};
constexpr uint8_t kV6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
                             0,    0, 0, 0, 0, 0, 0, 1};  // fd00::1

TEST(AddAddrHmacTest, PinnedValues) {
  // python3: hmac(be64(sender)||be64(receiver), id||addr||be16(port))[-8:]
  EXPECT_EQ(AddAddrHmac(/*sender_key=*/kKeyA, /*receiver_key=*/kKeyB,
                        /*address_id=*/5, kV4, /*port=*/8080),
            0x90a63eb570c53339u);
  EXPECT_EQ(AddAddrHmac(/*sender_key=*/kKeyB, /*receiver_key=*/kKeyA,
                        /*address_id=*/7, kV6, /*port=*/0),
            0x8c3f0e20f67339a9u);
}

TEST(AddAddrHmacTest, IsRightmost64BitsOfHandBuiltHmac) {
  // Msg = ID (1) || IPv4 (4) || port 8080 = 0x1f90 (2), Key = sender||receiver.
  const uint8_t msg[7] = {5, 10, 1, 0, 11, 0x1f, 0x90};
  const HmacSha256Digest full = HmacSha256(kKeyA, kKeyB, msg);
  EXPECT_EQ(Hex(full),
            "236ba348e10207b6c7559fb5bc596353ced6669a251c8eb990a63eb570c53339");
  const uint64_t mac = AddAddrHmac(kKeyA, kKeyB, 5, kV4, 8080);
  EXPECT_EQ(mac, wire::LoadBe64(full.data() + 24));
  EXPECT_NE(mac, wire::LoadBe64(full.data()));  // not the leftmost bits
}

TEST(AddAddrHmacTest, Ipv6WithoutPortHashesAZeroPort) {
  uint8_t msg[19] = {7};
  for (int i = 0; i < 16; ++i) msg[1 + i] = kV6[i];
  // msg[17], msg[18] stay 0: the port field is hashed even when not sent.
  const HmacSha256Digest full = HmacSha256(kKeyB, kKeyA, msg);
  EXPECT_EQ(AddAddrHmac(kKeyB, kKeyA, 7, kV6, 0),
            wire::LoadBe64(full.data() + 24));
  // Leaving the port out of the message would give another value.
  const HmacSha256Digest no_port =
      HmacSha256(kKeyB, kKeyA, absl::MakeConstSpan(msg, 17));
  EXPECT_NE(AddAddrHmac(kKeyB, kKeyA, 7, kV6, 0),
            wire::LoadBe64(no_port.data() + 24));
}

TEST(AddAddrHmacTest, EveryInputMatters) {
  const uint64_t mac = AddAddrHmac(kKeyA, kKeyB, 5, kV4, 8080);
  EXPECT_NE(mac, AddAddrHmac(kKeyB, kKeyA, 5, kV4, 8080));  // key order
  EXPECT_NE(mac, AddAddrHmac(kKeyA, kKeyB, 6, kV4, 8080));  // address id
  EXPECT_NE(mac, AddAddrHmac(kKeyA, kKeyB, 5, kV4, 0));     // port
  EXPECT_NE(mac, AddAddrHmac(kKeyA, kKeyB, 5, kV4, 8081));  // port
  const uint8_t other[4] = {10, 1, 0, 12};
  EXPECT_NE(mac, AddAddrHmac(kKeyA, kKeyB, 5, other, 8080));  // address
}

TEST(AddAddrHmacTest, ReceiverVerifiesWithSenderKeyFirst) {
  // A announces; B receives and checks with (sender = its remote key A).
  const uint64_t sent = AddAddrHmac(/*sender_key=*/kKeyA,
                                    /*receiver_key=*/kKeyB, 5, kV4, 8080);
  EXPECT_TRUE(VerifyAddAddrHmac(sent, /*sender_key=*/kKeyA,
                                /*receiver_key=*/kKeyB, 5, kV4, 8080));
  EXPECT_FALSE(VerifyAddAddrHmac(sent, kKeyB, kKeyA, 5, kV4, 8080));
  EXPECT_FALSE(VerifyAddAddrHmac(sent, kKeyA, kKeyB, 5, kV4, 0));
  EXPECT_FALSE(VerifyAddAddrHmac(sent ^ 1, kKeyA, kKeyB, 5, kV4, 8080));
}

// ---------------------------------------------------------------------------
// Constant-time comparison
// ---------------------------------------------------------------------------

TEST(ConstantTimeEqualsTest, ComparesLengthAndContents) {
  const uint8_t a[3] = {1, 2, 3};
  const uint8_t b[3] = {1, 2, 3};
  const uint8_t c[3] = {1, 2, 4};
  EXPECT_TRUE(ConstantTimeEquals(a, b));
  EXPECT_FALSE(ConstantTimeEquals(a, c));
  EXPECT_FALSE(ConstantTimeEquals(a, absl::MakeConstSpan(b, 2)));
  EXPECT_TRUE(ConstantTimeEquals({}, {}));
  EXPECT_TRUE(ConstantTimeEquals64(0x0102030405060708, 0x0102030405060708));
  EXPECT_FALSE(ConstantTimeEquals64(0x0102030405060708, 0x0102030405060709));
  EXPECT_FALSE(ConstantTimeEquals64(0x8102030405060708, 0x0102030405060708));
}

}  // namespace
}  // namespace plait::crypto
