#include "cli/policy_file.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << contents;
  return path;
}

TEST(PolicyFileTest, ReadsTextFormat) {
  const std::string path = WriteFile("p.txtpb", R"(
    # Two paths for the web tier.
    profiles { name: "web" scheduler { name: "minrtt" } }
    rules {
      name: "to-web"
      match { destination_prefixes: "10.1.0.0/16" destination_ports { first: 443 } }
      profile: "web"
    }
    default_profile: "web"
  )");
  absl::StatusOr<plait::v1::Policy> policy = LoadPolicyFile(path);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->profiles(0).scheduler().name(), "minrtt");
  EXPECT_EQ(policy->rules(0).match().destination_ports(0).first(), 443u);
  EXPECT_EQ(policy->default_profile(), "web");
}

TEST(PolicyFileTest, ReadsTextprotoToo) {
  absl::StatusOr<plait::v1::Policy> policy =
      LoadPolicyFile(WriteFile("p.textproto", "version: \"r1\"\n"));
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->version(), "r1");
}

TEST(PolicyFileTest, ReadsJsonWithEitherFieldNameSpelling) {
  const std::string path = WriteFile("p.json", R"({
    "profiles": [{"name": "web", "congestion_control": {"name": "olia"}}],
    "defaultProfile": "web"
  })");
  absl::StatusOr<plait::v1::Policy> policy = LoadPolicyFile(path);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->profiles(0).congestion_control().name(), "olia");
  EXPECT_EQ(policy->default_profile(), "web");
}

TEST(PolicyFileTest, TextSyntaxErrorNamesFileAndLine) {
  const std::string path = WriteFile("bad.txtpb",
                                     "profiles {\n"
                                     "  name: \"web\"\n"
                                     "  scheduler { name: minrtt }\n"
                                     "}\n");
  absl::StatusOr<plait::v1::Policy> policy = LoadPolicyFile(path);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(policy.status().message()),
              StartsWith(path + ":3:21: Expected string"));
}

TEST(PolicyFileTest, TextUnknownFieldNamesFileAndLine) {
  const std::string path =
      WriteFile("unknown.txtpb", "version: \"a\"\nschedulr: \"minrtt\"\n");
  absl::StatusOr<plait::v1::Policy> policy = LoadPolicyFile(path);
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(std::string(policy.status().message()),
              StartsWith(path + ":2:9: "));
  EXPECT_THAT(std::string(policy.status().message()), HasSubstr("schedulr"));
}

TEST(PolicyFileTest, JsonSyntaxErrorNamesFileAndLine) {
  const std::string path = WriteFile("bad.json",
                                     "{\n"
                                     "  \"version\": \"a\",\n"
                                     "  \"rules\": [,]\n"
                                     "}\n");
  absl::StatusOr<plait::v1::Policy> policy = LoadPolicyFile(path);
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(std::string(policy.status().message()),
              StartsWith(path + ":3:13: "));
  EXPECT_THAT(std::string(policy.status().message()),
              HasSubstr("syntax error"));
}

TEST(PolicyFileTest, JsonUnknownFieldNamesTheField) {
  const std::string path = WriteFile("unknown.json", R"({"schedulr": 1})");
  absl::StatusOr<plait::v1::Policy> policy = LoadPolicyFile(path);
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(std::string(policy.status().message()), StartsWith(path + ": "));
  EXPECT_THAT(std::string(policy.status().message()), HasSubstr("schedulr"));
}

TEST(PolicyFileTest, UnknownExtensionIsRefused) {
  absl::StatusOr<plait::v1::Policy> policy =
      LoadPolicyFile(WriteFile("p.yaml", "version: a\n"));
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(std::string(policy.status().message()),
              HasSubstr("unknown policy format"));
}

TEST(PolicyFileTest, MissingFileSaysSo) {
  absl::StatusOr<plait::v1::Policy> policy =
      LoadPolicyFile("/nonexistent/p.txtpb");
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(std::string(policy.status().message()),
            "cannot read /nonexistent/p.txtpb: No such file or directory");
}

}  // namespace
}  // namespace plait::cli
