#include "dataplane/api/default_address.h"

#include "gtest/gtest.h"

namespace plait::api {
namespace {

TEST(DefaultApiAddressTest, RootUsesTheSystemSocket) {
  EXPECT_EQ(DefaultApiAddressFor(0, "/run/user/0"),
            "unix:/run/plait/plaitd.sock");
}

TEST(DefaultApiAddressTest, UsersUseTheirRuntimeDir) {
  EXPECT_EQ(DefaultApiAddressFor(1000, "/run/user/1000"),
            "unix:/run/user/1000/plait/plaitd.sock");
}

TEST(DefaultApiAddressTest, WithoutRuntimeDirTmpKeyedByUid) {
  EXPECT_EQ(DefaultApiAddressFor(1000, nullptr),
            "unix:/tmp/plait-1000/plaitd.sock");
  EXPECT_EQ(DefaultApiAddressFor(1000, ""), "unix:/tmp/plait-1000/plaitd.sock");
}

TEST(DefaultApiAddressTest, ThisProcessGetsAUnixSocket) {
  EXPECT_EQ(DefaultApiAddress().rfind("unix:", 0), 0u);
}

}  // namespace
}  // namespace plait::api
