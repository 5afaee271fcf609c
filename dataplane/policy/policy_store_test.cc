#include "dataplane/policy/policy_store.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dataplane/policy/test_policies.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/plait/v1/policy_state.pb.h"

namespace plait::policy {
namespace {

using ::plait::policy::testing::Ip;
using ::plait::policy::testing::kFullPolicy;
using ::plait::policy::testing::ParsePolicy;
using ::plait::policy::testing::TwoPaths;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Outcome = LoadedPolicy::Outcome;

constexpr int64_t kNow = 1700000000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  ASSERT_TRUE(out.good()) << path;
}

// Independent of the store's own code, to build files by hand.
std::string Sha256(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(),
                       nullptr),
            1);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

class PolicyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern =
        absl::StrCat(base != nullptr ? base : "/tmp", "/policy_store.XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ + "/state";
  }

  PolicyStore OpenStore() {
    absl::StatusOr<PolicyStore> store = PolicyStore::Open(dir_);
    EXPECT_TRUE(store.ok()) << store.status();
    return *std::move(store);
  }

  LoadedPolicy LoadOk(const PolicyStore& store,
                      const PolicyContext& context = TwoPaths()) {
    absl::StatusOr<LoadedPolicy> loaded = store.Load(context, kNow);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.value_or(LoadedPolicy{});
  }

  // Saves the full example and returns the file's bytes.
  std::string SaveFull(const PolicyStore& store) {
    EXPECT_TRUE(store.Save(ParsePolicy(kFullPolicy), 7, 1699999999.25).ok());
    return ReadFile(store.path());
  }

  std::string root_;
  std::string dir_;
};

TEST_F(PolicyStoreTest, OpenCreatesTheDirectoryPrivate) {
  dir_ = root_ + "/a/b/state/";
  PolicyStore store = OpenStore();
  EXPECT_EQ(store.dir(), root_ + "/a/b/state");
  EXPECT_EQ(store.path(), root_ + "/a/b/state/policy.binpb");
  struct stat st;
  ASSERT_EQ(::stat(store.dir().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700);
}

TEST_F(PolicyStoreTest, NothingStored) {
  PolicyStore store = OpenStore();
  const LoadedPolicy loaded = LoadOk(store);
  EXPECT_EQ(loaded.outcome, Outcome::kNone);
  EXPECT_TRUE(loaded.problem.empty());
}

TEST_F(PolicyStoreTest, RoundTrip) {
  PolicyStore store = OpenStore();
  SaveFull(store);
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kLoaded) << loaded.problem;
  EXPECT_EQ(loaded.policy.SerializeAsString(),
            ParsePolicy(kFullPolicy).SerializeAsString());
  EXPECT_EQ(loaded.generation, 7u);
  EXPECT_EQ(loaded.applied_unix_seconds, 1699999999.25);
  EXPECT_FALSE(Exists(store.path() + ".tmp"));
  struct stat st;
  ASSERT_EQ(::stat(store.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST_F(PolicyStoreTest, TheFileIsAStoredPolicyWithItsDigest) {
  PolicyStore store = OpenStore();
  v1::StoredPolicy stored;
  ASSERT_TRUE(stored.ParseFromString(SaveFull(store)));
  EXPECT_EQ(stored.generation(), 7u);
  EXPECT_EQ(stored.sha256().size(), 32u);
  v1::Policy policy;
  ASSERT_TRUE(policy.ParseFromString(stored.policy()));
  EXPECT_EQ(policy.version(), "rev-7");
}

TEST_F(PolicyStoreTest, SaveReplacesTheOldPolicy) {
  PolicyStore store = OpenStore();
  SaveFull(store);
  ASSERT_TRUE(store.Save(ParsePolicy("version: \"two\""), 8, 5).ok());
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kLoaded);
  EXPECT_EQ(loaded.policy.version(), "two");
  EXPECT_EQ(loaded.generation, 8u);
  EXPECT_EQ(loaded.applied_unix_seconds, 5);
}

TEST_F(PolicyStoreTest, SaveRecreatesARemovedDirectory) {
  PolicyStore store = OpenStore();
  ASSERT_EQ(::rmdir(dir_.c_str()), 0);
  ASSERT_TRUE(store.Save(ParsePolicy(""), 1, 1).ok());
  EXPECT_EQ(LoadOk(store).outcome, Outcome::kLoaded);
}

TEST_F(PolicyStoreTest, TruncatedFileIsSetAside) {
  PolicyStore store = OpenStore();
  const std::string bytes = SaveFull(store);
  WriteFile(store.path(), bytes.substr(0, bytes.size() / 2));
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kSetAside);
  EXPECT_THAT(loaded.problem, HasSubstr("does not parse"));
  const std::string moved = store.path() + ".corrupt-1700000000";
  EXPECT_EQ(loaded.moved_to, moved);
  EXPECT_EQ(ReadFile(moved), bytes.substr(0, bytes.size() / 2));
  EXPECT_FALSE(Exists(store.path()));
  // Set aside once: the next start has nothing stored.
  EXPECT_EQ(LoadOk(store).outcome, Outcome::kNone);
}

TEST_F(PolicyStoreTest, TruncatedBeforeTheDigestIsADigestMismatch) {
  PolicyStore store = OpenStore();
  v1::StoredPolicy stored;
  ASSERT_TRUE(stored.ParseFromString(SaveFull(store)));
  stored.clear_sha256();
  WriteFile(store.path(), stored.SerializeAsString());
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kSetAside);
  EXPECT_THAT(loaded.problem, StartsWith("SHA-256 digest mismatch"));
}

TEST_F(PolicyStoreTest, FlippedByteIsADigestMismatch) {
  PolicyStore store = OpenStore();
  std::string bytes = SaveFull(store);
  // Byte 0 is field 1's tag and 1-2 its length (the policy is over 127
  // bytes): byte 10 is inside the policy, so the file still parses.
  ASSERT_GT(bytes.size(), 200u);
  bytes[10] ^= 0x01;
  WriteFile(store.path(), bytes);
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kSetAside);
  EXPECT_THAT(loaded.problem,
              StartsWith("SHA-256 digest mismatch: the file says \""));
  EXPECT_EQ(ReadFile(loaded.moved_to), bytes);
}

TEST_F(PolicyStoreTest, GarbageIsSetAside) {
  PolicyStore store = OpenStore();
  WriteFile(store.path(), "this is not a protobuf\n");
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kSetAside);
  EXPECT_EQ(loaded.problem,
            "does not parse as a plait.v1.StoredPolicy (23 bytes)");
  EXPECT_TRUE(Exists(loaded.moved_to));
}

TEST_F(PolicyStoreTest, EmptyFileIsSetAside) {
  // Parses (every field absent), but no digest matches nothing.
  PolicyStore store = OpenStore();
  WriteFile(store.path(), "");
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kSetAside);
  EXPECT_THAT(loaded.problem, StartsWith("SHA-256 digest mismatch"));
}

TEST_F(PolicyStoreTest, InvalidStoredPolicyIsSetAsideWithTheValidatorsWord) {
  PolicyStore store = OpenStore();
  // Saved by a store that does not validate: a rule naming no profile.
  ASSERT_TRUE(
      store.Save(ParsePolicy(R"pb(rules { name: "r" profile: "x" })pb"), 3, 1)
          .ok());
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kSetAside);
  EXPECT_EQ(loaded.problem,
            "its policy is invalid: rules[0].profile: \"x\" names no profile "
            "of the policy");
  EXPECT_FALSE(Exists(store.path()));
}

TEST_F(PolicyStoreTest, PolicyNamingAPathTheNodeNoLongerHasIsSetAside) {
  PolicyStore store = OpenStore();
  SaveFull(store);
  const LoadedPolicy loaded =
      LoadOk(store, PolicyContext{.paths = {Ip("10.0.1.1")}});
  ASSERT_EQ(loaded.outcome, Outcome::kSetAside);
  EXPECT_THAT(loaded.problem,
              StartsWith("its policy is invalid: "
                         "profiles[0].path_manager.endpoints[1].address: "
                         "10.0.2.1 is not one of this node's paths"));
}

TEST_F(PolicyStoreTest, UnparsablePolicyUnderAGoodDigestIsSetAside) {
  PolicyStore store = OpenStore();
  v1::StoredPolicy stored;
  stored.set_policy("\xff");  // wire type 7 does not exist
  stored.set_sha256(Sha256(stored.policy()));
  stored.set_generation(2);
  WriteFile(store.path(), stored.SerializeAsString());
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kSetAside);
  EXPECT_EQ(loaded.problem,
            "its policy bytes do not parse as a plait.v1.Policy");
}

TEST_F(PolicyStoreTest, TwoSetAsidesInOneSecondKeepBoth) {
  PolicyStore store = OpenStore();
  WriteFile(store.path(), "first bad file");
  const LoadedPolicy first = LoadOk(store);
  WriteFile(store.path(), "second bad file");
  const LoadedPolicy second = LoadOk(store);
  ASSERT_EQ(second.outcome, Outcome::kSetAside);
  EXPECT_EQ(first.moved_to, store.path() + ".corrupt-1700000000");
  EXPECT_EQ(second.moved_to, store.path() + ".corrupt-1700000000.1");
  EXPECT_EQ(ReadFile(first.moved_to), "first bad file");
  EXPECT_EQ(ReadFile(second.moved_to), "second bad file");
}

TEST_F(PolicyStoreTest, UnusableDirectoryIsAnErrorNamingIt) {
  const std::string file = root_ + "/file";
  WriteFile(file, "x");
  // A file where a parent directory should be (root ignores modes, so a
  // read-only directory would not do).
  absl::StatusOr<PolicyStore> under_file = PolicyStore::Open(file + "/state");
  ASSERT_FALSE(under_file.ok());
  EXPECT_THAT(std::string(under_file.status().message()),
              HasSubstr("state directory " + file + "/state"));
  EXPECT_THAT(std::string(under_file.status().message()),
              HasSubstr("Not a directory"));
  // The state directory itself a file.
  absl::StatusOr<PolicyStore> is_file = PolicyStore::Open(file);
  ASSERT_FALSE(is_file.ok());
  EXPECT_EQ(std::string(is_file.status().message()),
            "state directory " + file + ": not a directory");
  EXPECT_FALSE(PolicyStore::Open("").ok());
}

TEST_F(PolicyStoreTest, FailedSaveLeavesTheOldFileIntact) {
  PolicyStore store = OpenStore();
  const std::string before = SaveFull(store);
  // The temporary file cannot be opened for writing.
  ASSERT_EQ(::mkdir((store.path() + ".tmp").c_str(), 0700), 0);
  const absl::Status status = store.Save(ParsePolicy("version: \"new\""), 8, 2);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(std::string(status.message()),
            "open " + store.path() + ".tmp: Is a directory");
  EXPECT_EQ(ReadFile(store.path()), before);
  const LoadedPolicy loaded = LoadOk(store);
  ASSERT_EQ(loaded.outcome, Outcome::kLoaded);
  EXPECT_EQ(loaded.policy.version(), "rev-7");
  EXPECT_EQ(loaded.generation, 7u);
}

TEST_F(PolicyStoreTest, UnreadableFileIsAnErrorNotSetAside) {
  PolicyStore store = OpenStore();
  ASSERT_EQ(::mkdir(store.path().c_str(), 0700), 0);
  absl::StatusOr<LoadedPolicy> loaded = store.Load(TwoPaths(), kNow);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(store.path()));
  EXPECT_TRUE(Exists(store.path()));
}

}  // namespace
}  // namespace plait::policy
