#include "dataplane/crypto/keys.h"

#include <array>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace plait::crypto {
namespace {

// Notes A.5: SHA-256(01 02 03 04 05 06 07 08) =
// 66840dda154e8a113c31dd0ad32f7f3a366a80e8136979d8f5a101d3d29d6f72.
constexpr uint64_t kExampleKey = 0x0102030405060708;
constexpr uint32_t kExampleToken = 0x66840dda;
constexpr uint64_t kExampleIdsn = 0xf5a101d3d29d6f72;

TEST(KeysTest, WorkedExampleFromNotes) {
  EXPECT_EQ(TokenFromKey(kExampleKey), kExampleToken);
  EXPECT_EQ(IdsnFromKey(kExampleKey), kExampleIdsn);
  const KeyDerivation d = DeriveFromKey(kExampleKey);
  EXPECT_EQ(d.token, kExampleToken);
  EXPECT_EQ(d.idsn, kExampleIdsn);
}

TEST(KeysTest, KeyIsHashedBigEndian) {
  // The byte-reversed key must give a different digest; if the key were
  // serialised little-endian, this key would produce the worked example.
  EXPECT_NE(TokenFromKey(0x0807060504030201), kExampleToken);
  EXPECT_NE(IdsnFromKey(0x0807060504030201), kExampleIdsn);
}

TEST(KeysTest, DeriveMatchesSeparateFunctions) {
  for (uint64_t key : {uint64_t{1}, uint64_t{0xffffffffffffffff},
                       uint64_t{0x8000000000000000}, kExampleKey}) {
    const KeyDerivation d = DeriveFromKey(key);
    EXPECT_EQ(d.token, TokenFromKey(key)) << key;
    EXPECT_EQ(d.idsn, IdsnFromKey(key)) << key;
  }
}

TEST(KeysTest, GeneratesThousandDistinctNonZeroKeys) {
  absl::flat_hash_set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<uint64_t> key = GenerateKey();
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_NE(*key, 0u);
    EXPECT_TRUE(seen.insert(*key).second) << "duplicate key " << *key;
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(KeysTest, RandomBytesAreReadBigEndian) {
  auto fill = [](absl::Span<uint8_t> out) {
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<uint8_t>(i + 1);
    return true;
  };
  absl::StatusOr<uint64_t> key = internal::GenerateKeyWith(fill);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, 0x0102030405060708u);
}

TEST(KeysTest, ZeroDrawIsRedrawn) {
  int calls = 0;
  auto fill = [&calls](absl::Span<uint8_t> out) {
    ++calls;
    for (uint8_t& b : out) b = 0;
    if (calls == 3) out[7] = 0x2a;  // first two draws are zero
    return true;
  };
  absl::StatusOr<uint64_t> key = internal::GenerateKeyWith(fill);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, 0x2au);
  EXPECT_EQ(calls, 3);
}

TEST(KeysTest, AlwaysZeroSourceIsAnError) {
  int calls = 0;
  auto fill = [&calls](absl::Span<uint8_t> out) {
    ++calls;
    for (uint8_t& b : out) b = 0;
    return true;
  };
  absl::StatusOr<uint64_t> key = internal::GenerateKeyWith(fill);
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInternal);
  EXPECT_GT(calls, 1);
  EXPECT_LT(calls, 100);
}

TEST(KeysTest, FailingSourceIsAnError) {
  auto fill = [](absl::Span<uint8_t>) { return false; };
  absl::StatusOr<uint64_t> key = internal::GenerateKeyWith(fill);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(key.status().message().find("RAND_bytes"), absl::string_view::npos);
}

TEST(KeysTest, UniqueKeyRegeneratesWhileTokenCollides) {
  std::vector<uint32_t> rejected;
  absl::StatusOr<GeneratedKey> got = GenerateUniqueKey([&](uint32_t token) {
    if (rejected.size() < 3) {
      rejected.push_back(token);
      return true;  // pretend the first three tokens are taken
    }
    return false;
  });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(rejected.size(), 3u);
  EXPECT_NE(got->key, 0u);
  EXPECT_EQ(got->derived, DeriveFromKey(got->key));
  for (uint32_t t : rejected) EXPECT_NE(t, got->derived.token);
}

TEST(KeysTest, UniqueKeyAvoidsTokensInATable) {
  absl::flat_hash_set<uint32_t> tokens;
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<GeneratedKey> got = GenerateUniqueKey(
        [&tokens](uint32_t token) { return tokens.contains(token); });
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(tokens.insert(got->derived.token).second);
  }
}

TEST(KeysTest, UniqueKeyGivesUpAfterMaxAttempts) {
  int calls = 0;
  absl::StatusOr<GeneratedKey> got = GenerateUniqueKey(
      [&calls](uint32_t) {
        ++calls;
        return true;
      },
      /*max_attempts=*/5);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 5);
}

TEST(KeysTest, UniqueKeyRejectsNonPositiveAttempts) {
  int calls = 0;
  absl::StatusOr<GeneratedKey> got = GenerateUniqueKey(
      [&calls](uint32_t) {
        ++calls;
        return false;
      },
      /*max_attempts=*/0);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace plait::crypto
