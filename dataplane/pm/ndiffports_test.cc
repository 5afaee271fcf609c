#include "dataplane/pm/ndiffports.h"

#include <memory>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/base/time.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/pm/registry.h"
#include "dataplane/pm/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::pm {
namespace {

using ::plait::pm::testing::At;
using ::plait::pm::testing::ClientInitial;
using ::plait::pm::testing::Ip;
using ::plait::pm::testing::MakeEndpoint;
using ::plait::pm::testing::MustCreate;
using ::plait::pm::testing::Only;
using ::plait::pm::testing::Opened;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

PathManagerConfig Ndiffports(int subflows, uint16_t first_local_port) {
  PathManagerConfig config;
  config.limits = {.max_subflows = 8, .max_add_addr_accepted = 8};
  config.ndiffports = {.subflows = subflows,
                       .first_local_port = first_local_port};
  return config;
}

TEST(NdiffportsTest, OpensNMinusOneSubflowsOverTheInitialPair) {
  auto pm = MustCreate("ndiffports", Ndiffports(4, 0));
  EXPECT_STREQ(pm->name(), "ndiffports");
  const Actions actions = pm->OnConnectionEstablished(At(0), ClientInitial());
  EXPECT_THAT(Opened(actions),
              ElementsAre("10.0.0.1->10.1.0.1:80", "10.0.0.1->10.1.0.1:80",
                          "10.0.0.1->10.1.0.1:80"));
  EXPECT_EQ(actions.size(), 3u);
  for (const OpenSubflowAction& open : Only<OpenSubflowAction>(actions)) {
    EXPECT_EQ(open.local_port, 0);  // the connection picks distinct ports
    EXPECT_EQ(open.local_id, kInitialAddressId);
    EXPECT_EQ(open.remote_id, kInitialAddressId);
  }
  EXPECT_THAT(pm->Subflows(), SizeIs(4));
}

TEST(NdiffportsTest, ExplicitPortsAreDistinctAndSkipTheInitialOne) {
  // The initial subflow uses 40001.
  auto pm = MustCreate("ndiffports", Ndiffports(4, 40000));
  const Actions actions = pm->OnConnectionEstablished(At(0), ClientInitial());
  std::vector<uint16_t> ports;
  for (const OpenSubflowAction& open : Only<OpenSubflowAction>(actions)) {
    ports.push_back(open.local_port);
  }
  EXPECT_THAT(ports, ElementsAre(40000, 40002, 40003));
  std::set<uint16_t> distinct(ports.begin(), ports.end());
  distinct.insert(ClientInitial().local_port);
  EXPECT_EQ(distinct.size(), 4u);
}

TEST(NdiffportsTest, OneSubflowMeansNoExtra) {
  auto pm = MustCreate("ndiffports", Ndiffports(1, 0));
  EXPECT_THAT(pm->OnConnectionEstablished(At(0), ClientInitial()), IsEmpty());
}

TEST(NdiffportsTest, MustFitTheSubflowLimit) {
  PathManagerConfig config = Ndiffports(4, 0);
  config.limits.max_subflows = 2;
  auto pm = CreatePathManager("ndiffports", config);
  EXPECT_EQ(pm.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pm.status().message(), HasSubstr("ndiffports.subflows"));
  EXPECT_THAT(pm.status().message(), HasSubstr("limits.max_subflows"));
  // The same config is fine for the other managers.
  EXPECT_TRUE(CreatePathManager("fullmesh", config).ok());
}

TEST(NdiffportsTest, IgnoresEndpointsAndAddAddr) {
  PathManagerConfig config = Ndiffports(2, 0);
  Endpoint wlan = MakeEndpoint(1, "10.0.1.1");
  wlan.subflow = true;
  wlan.fullmesh = true;
  Endpoint server = MakeEndpoint(2, "10.0.2.1");
  server.signal = true;
  config.endpoints = {wlan, server};
  auto pm = MustCreate("ndiffports", config);
  EXPECT_THAT(Opened(pm->OnConnectionEstablished(At(0), ClientInitial())),
              ElementsAre("10.0.0.1->10.1.0.1:80"));
  EXPECT_THAT(
      pm->OnAddAddr(At(1), RemoteAddress{.id = 5, .address = Ip("10.1.0.2")}),
      IsEmpty());
  EXPECT_THAT(pm->RemoteAddresses(), SizeIs(2));  // recorded nevertheless
}

TEST(NdiffportsTest, RecreatesAfterTimeoutWithBackoff) {
  PathManagerConfig config = Ndiffports(3, 50000);
  auto pm = MustCreate("ndiffports", config);
  pm->OnConnectionEstablished(At(0), ClientInitial());
  pm->OnSubflowEstablished(At(1), 1);
  EXPECT_THAT(pm->OnSubflowClosed(At(10), 1, {.reason = CloseReason::kTimeout}),
              IsEmpty());
  EXPECT_EQ(pm->next_deadline(), At(11));  // RetryPolicy default: 1 s first
  const Actions retry = pm->OnTimer(At(11));
  ASSERT_THAT(Only<OpenSubflowAction>(retry), SizeIs(1));
  EXPECT_EQ(Only<OpenSubflowAction>(retry)[0].local_port, 50000);
  EXPECT_EQ(pm->stats().subflows_recreated, 1u);
}

}  // namespace
}  // namespace plait::pm
