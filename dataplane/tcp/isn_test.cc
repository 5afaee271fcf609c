#include "dataplane/tcp/isn.h"

#include <openssl/sha.h>

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "dataplane/base/time.h"
#include "dataplane/wire/ip_address.h"
#include "gtest/gtest.h"

namespace plait::tcp {
namespace {

using wire::IpAddress;

std::vector<uint8_t> Secret(uint8_t seed, size_t n = 16) {
  std::vector<uint8_t> s(n);
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<uint8_t>(seed + 3 * i);
  return s;
}

const IpAddress kLocal = IpAddress::V4(0x0a000001);   // 10.0.0.1
const IpAddress kRemote = IpAddress::V4(0x0a000002);  // 10.0.0.2
const Time kT0 = TimeFromEpoch(Seconds(1000));

TEST(IsnTest, ClockTermCountsFourMicroseconds) {
  EXPECT_EQ(IsnGenerator::ClockTerm(TimeFromEpoch(Duration::zero())), 0u);
  EXPECT_EQ(IsnGenerator::ClockTerm(TimeFromEpoch(Microseconds(3))), 0u);
  EXPECT_EQ(IsnGenerator::ClockTerm(TimeFromEpoch(Microseconds(4))), 1u);
  EXPECT_EQ(IsnGenerator::ClockTerm(TimeFromEpoch(Seconds(1))), 250000u);
  // Wraps every 2^32 * 4 us (about 4.77 hours).
  EXPECT_EQ(IsnGenerator::ClockTerm(TimeFromEpoch(
                Microseconds(4) * (int64_t{1} << 32) + Microseconds(8))),
            2u);
}

TEST(IsnTest, SameTupleAndTimeGiveSameIsn) {
  const IsnGenerator g(Secret(1));
  const IsnGenerator copy(Secret(1));
  EXPECT_EQ(g.Generate(kLocal, 1234, kRemote, 80, kT0),
            g.Generate(kLocal, 1234, kRemote, 80, kT0));
  EXPECT_EQ(g.Generate(kLocal, 1234, kRemote, 80, kT0),
            copy.Generate(kLocal, 1234, kRemote, 80, kT0));
}

TEST(IsnTest, TimeAdvancesIsnByElapsedOverFourMicroseconds) {
  const IsnGenerator g(Secret(1));
  const uint32_t isn0 = g.Generate(kLocal, 1234, kRemote, 80, kT0);
  EXPECT_EQ(g.Generate(kLocal, 1234, kRemote, 80, kT0 + Microseconds(3)), isn0);
  EXPECT_EQ(g.Generate(kLocal, 1234, kRemote, 80, kT0 + Microseconds(4)),
            isn0 + 1);
  EXPECT_EQ(g.Generate(kLocal, 1234, kRemote, 80, kT0 + Milliseconds(1)),
            isn0 + 250);
  EXPECT_EQ(g.Generate(kLocal, 1234, kRemote, 80, kT0 + Seconds(10)),
            isn0 + 2500000);
  // Modulo 2^32 across the wrap.
  EXPECT_EQ(g.Generate(kLocal, 1234, kRemote, 80,
                       kT0 + Microseconds(4) * (int64_t{1} << 32)),
            isn0);
}

TEST(IsnTest, HashTermMatchesDocumentedFormat) {
  const std::vector<uint8_t> secret = Secret(9, 20);
  const IsnGenerator g(secret);
  std::vector<uint8_t> msg = {0x44, 10, 0, 0, 1,    0x04, 0xd2,  // 1234
                              10,   0,  0, 2, 0x00, 0x50};       // 80
  msg.insert(msg.end(), secret.begin(), secret.end());
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(msg.data(), msg.size(), digest);
  const uint32_t expect = (uint32_t{digest[0]} << 24) |
                          (uint32_t{digest[1]} << 16) |
                          (uint32_t{digest[2]} << 8) | digest[3];
  EXPECT_EQ(g.HashTerm(kLocal, 1234, kRemote, 80), expect);
  EXPECT_EQ(g.Generate(kLocal, 1234, kRemote, 80, TimeFromEpoch(Seconds(2))),
            expect + 500000u);
}

TEST(IsnTest, DifferentTuplesDiffer) {
  const IsnGenerator g(Secret(1));
  const IpAddress v6a = *IpAddress::Parse("fd00::1");
  const IpAddress v6b = *IpAddress::Parse("fd00::2");
  const IpAddress other = IpAddress::V4(0x0a000003);
  const uint32_t base = g.Generate(kLocal, 1234, kRemote, 80, kT0);
  EXPECT_NE(g.Generate(kLocal, 1235, kRemote, 80, kT0), base);
  EXPECT_NE(g.Generate(kLocal, 1234, kRemote, 81, kT0), base);
  EXPECT_NE(g.Generate(other, 1234, kRemote, 80, kT0), base);
  EXPECT_NE(g.Generate(kLocal, 1234, other, 80, kT0), base);
  // Swapping the directions is a different tuple.
  EXPECT_NE(g.Generate(kRemote, 80, kLocal, 1234, kT0), base);
  EXPECT_NE(g.Generate(v6a, 1234, v6b, 80, kT0),
            g.Generate(v6b, 1234, v6a, 80, kT0));
  // Many source ports: the hash spreads them (no collisions expected among
  // 1000 32-bit values; the chance of one is about 1e-4).
  absl::flat_hash_set<uint32_t> seen;
  for (uint16_t port = 40000; port < 41000; ++port) {
    seen.insert(g.Generate(kLocal, port, kRemote, 80, kT0));
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IsnTest, SecretMatters) {
  const IsnGenerator a(Secret(1));
  const IsnGenerator b(Secret(2));
  EXPECT_NE(a.Generate(kLocal, 1234, kRemote, 80, kT0),
            b.Generate(kLocal, 1234, kRemote, 80, kT0));
}

TEST(IsnTest, LongSecretIsHashedDown) {
  const std::vector<uint8_t> long_secret = Secret(5, 100);
  std::vector<uint8_t> hashed(SHA256_DIGEST_LENGTH);
  SHA256(long_secret.data(), long_secret.size(), hashed.data());
  const IsnGenerator a(long_secret);
  const IsnGenerator b(hashed);
  EXPECT_EQ(a.Generate(kLocal, 1, kRemote, 2, kT0),
            b.Generate(kLocal, 1, kRemote, 2, kT0));
  // The 64-byte maximum is used as is.
  const IsnGenerator c(Secret(5, 64));
  const IsnGenerator d(Secret(5, 63));
  EXPECT_NE(c.Generate(kLocal, 1, kRemote, 2, kT0),
            d.Generate(kLocal, 1, kRemote, 2, kT0));
}

TEST(IsnDeathTest, ShortSecretAborts) {
  const std::vector<uint8_t> short_secret = Secret(1, 15);
  EXPECT_DEATH(IsnGenerator g(short_secret), "");
}

}  // namespace
}  // namespace plait::tcp
