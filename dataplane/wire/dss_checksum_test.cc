#include "dataplane/wire/dss_checksum.h"

#include <cstdint>
#include <vector>

#include "dataplane/wire/checksum.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

const uint8_t kPayload[] = {0xde, 0xad, 0xbe, 0xef};

TEST(DssChecksumTest, HandComputedValue) {
  // Words: 0102 0304 0506 0708 | 0000 0001 | 0004 | 0000 | dead beef.
  // Sum 0x1adb5 -> fold 0xadb6 -> complement 0x5249 (also checked in Python).
  EXPECT_EQ(DssChecksum(0x0102030405060708ull, 1, 4, kPayload), 0x5249);
}

TEST(DssChecksumTest, OddLengthPayloadIsZeroPadded) {
  const uint8_t odd[] = {0xde, 0xad, 0xbe, 0xef, 0x42};
  EXPECT_EQ(DssChecksum(0x0102030405060708ull, 1, 5, odd), 0x1048);
}

TEST(DssChecksumTest, UsesTheFullSixtyFourBitDsn) {
  // Two DSNs with the same low 32 bits give different checksums.
  EXPECT_NE(DssChecksum(0x0000000100000000ull, 1, 4, kPayload),
            DssChecksum(0x0000000200000000ull, 1, 4, kPayload));
}

TEST(DssChecksumTest, SummingWithTheChecksumGivesZero) {
  const uint64_t dsn = 0xf5a101d3d29d6f73ull;
  const uint32_t ssn = 12345;
  const uint16_t len = sizeof(kPayload);
  const uint16_t csum = DssChecksum(dsn, ssn, len, kPayload);

  InternetChecksum sum;
  sum.AddU64(dsn);
  sum.AddU32(ssn);
  sum.AddU16(len);
  sum.AddU16(csum);
  sum.Add(kPayload);
  EXPECT_EQ(sum.Finish(), 0);
  EXPECT_TRUE(VerifyDssChecksum(dsn, ssn, len, csum, kPayload));
}

TEST(DssChecksumTest, AnyChangeBreaksVerification) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i * 7);
  const uint64_t dsn = 0x1122334455667788ull;
  const uint16_t csum = DssChecksum(dsn, 1, 1000, data);
  ASSERT_TRUE(VerifyDssChecksum(dsn, 1, 1000, csum, data));

  for (size_t i = 0; i < data.size(); i += 97) {
    std::vector<uint8_t> bad = data;
    bad[i] ^= 0x01;
    EXPECT_FALSE(VerifyDssChecksum(dsn, 1, 1000, csum, bad)) << i;
  }
  EXPECT_FALSE(VerifyDssChecksum(dsn + 1, 1, 1000, csum, data));
  EXPECT_FALSE(VerifyDssChecksum(dsn, 2, 1000, csum, data));
  EXPECT_FALSE(VerifyDssChecksum(dsn, 1, 1001, csum, data));
  EXPECT_FALSE(
      VerifyDssChecksum(dsn, 1, 1000, static_cast<uint16_t>(csum ^ 1), data));
}

TEST(DssChecksumTest, EmptyPayloadDataFin) {
  // A DATA_FIN-only mapping: length 1, SSN 0, no payload bytes.
  const uint16_t csum = DssChecksum(0x100, 0, 1, {});
  // 0000 0000 0000 0100 | 0000 0000 | 0001 | 0000 -> 0x0101 -> ~ = 0xfefe.
  EXPECT_EQ(csum, 0xfefe);
  EXPECT_TRUE(VerifyDssChecksum(0x100, 0, 1, csum, {}));
}

}  // namespace
}  // namespace plait::wire
