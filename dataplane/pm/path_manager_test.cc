#include "dataplane/pm/path_manager.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/base/time.h"
#include "dataplane/pm/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::pm {
namespace {

using ::plait::pm::testing::Ip;
using ::plait::pm::testing::MakeEndpoint;
using ::testing::HasSubstr;

PathManagerConfig Valid() {
  PathManagerConfig config;
  Endpoint wlan = MakeEndpoint(1, "10.0.1.1", "wlan0");
  wlan.subflow = true;
  wlan.fullmesh = true;
  Endpoint server = MakeEndpoint(2, "10.0.2.1");
  server.signal = true;
  server.port = 8443;
  config.endpoints = {wlan, server};
  config.limits = {.max_subflows = 8, .max_add_addr_accepted = 8};
  return config;
}

TEST(ValidateConfigTest, DefaultsAndValidConfigPass) {
  EXPECT_TRUE(ValidateConfig(PathManagerConfig{}).ok());
  EXPECT_TRUE(ValidateConfig(Valid()).ok());
  const Limits defaults;
  EXPECT_EQ(defaults.max_subflows, 2);
  EXPECT_EQ(defaults.max_add_addr_accepted, 0);
}

struct Case {
  const char* expected;  // the field named in the message
  std::function<void(PathManagerConfig&)> mutate;
};

TEST(ValidateConfigTest, ErrorsNameTheField) {
  const Case cases[] = {
      {"limits.max_subflows: 9 is above the maximum 8",
       [](PathManagerConfig& c) { c.limits.max_subflows = 9; }},
      {"limits.max_subflows: -1 is negative",
       [](PathManagerConfig& c) { c.limits.max_subflows = -1; }},
      {"limits.max_add_addr_accepted: 9",
       [](PathManagerConfig& c) { c.limits.max_add_addr_accepted = 9; }},
      {"endpoints[0].id: 0 is reserved",
       [](PathManagerConfig& c) { c.endpoints[0].id = 0; }},
      {"endpoints[1].id: 1 is already used by endpoints[0]",
       [](PathManagerConfig& c) { c.endpoints[1].id = 1; }},
      {"endpoints[1].address: 10.0.1.1 duplicates endpoints[0]",
       [](PathManagerConfig& c) {
         c.endpoints[1].address = Ip("10.0.1.1");
         c.endpoints[1].port.reset();
       }},
      {"endpoints[0].address: 0.0.0.0 is unspecified",
       [](PathManagerConfig& c) { c.endpoints[0].address = Ip("0.0.0.0"); }},
      {"endpoints[0].flags: fullmesh needs subflow",
       [](PathManagerConfig& c) { c.endpoints[0].subflow = false; }},
      {"endpoints[0].flags: fullmesh excludes signal",
       [](PathManagerConfig& c) { c.endpoints[0].signal = true; }},
      {"endpoints[0].port: a port needs the signal flag",
       [](PathManagerConfig& c) { c.endpoints[0].port = 80; }},
      {"endpoints[1].port: 0",
       [](PathManagerConfig& c) { c.endpoints[1].port = 0; }},
      {"endpoints[0].interface: empty",
       [](PathManagerConfig& c) { c.endpoints[0].interface = ""; }},
      {"endpoints: 9 endpoints, at most 8",
       [](PathManagerConfig& c) {
         c.endpoints.clear();
         for (int i = 1; i <= 9; ++i) {
           c.endpoints.push_back(
               MakeEndpoint(i, "10.0.9." + std::to_string(i)));
         }
       }},
      {"retry.initial_backoff",
       [](PathManagerConfig& c) { c.retry.initial_backoff = Duration(0); }},
      {"retry.max_backoff",
       [](PathManagerConfig& c) { c.retry.max_backoff = Milliseconds(10); }},
      {"retry.max_retries",
       [](PathManagerConfig& c) { c.retry.max_retries = -1; }},
      {"ndiffports.subflows: 0",
       [](PathManagerConfig& c) { c.ndiffports.subflows = 0; }},
      {"ndiffports.subflows: 10",
       [](PathManagerConfig& c) { c.ndiffports.subflows = 10; }},
  };
  for (const Case& test_case : cases) {
    PathManagerConfig config = Valid();
    test_case.mutate(config);
    const absl::Status status = ValidateConfig(config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << test_case.expected;
    EXPECT_THAT(status.message(), HasSubstr(test_case.expected));
  }
}

TEST(ValidateConfigTest, EightIsTheMaximum) {
  PathManagerConfig config;
  config.limits = {.max_subflows = 8, .max_add_addr_accepted = 8};
  for (int i = 1; i <= 8; ++i) {
    config.endpoints.push_back(MakeEndpoint(i, "10.0.9." + std::to_string(i)));
  }
  EXPECT_TRUE(ValidateConfig(config).ok());
}

TEST(ActionToStringTest, Readable) {
  EXPECT_EQ(ActionToString(OpenSubflowAction{.id = 3,
                                             .local_id = 1,
                                             .local = Ip("10.0.1.1"),
                                             .interface = "wlan0",
                                             .remote_id = 5,
                                             .remote = Ip("10.1.0.2"),
                                             .remote_port = 80,
                                             .backup = true}),
            "open 3 10.0.1.1(id 1)%wlan0 -> 10.1.0.2:80(id 5) backup");
  EXPECT_EQ(ActionToString(RemoveAddressAction{.ids = {3, 4}}),
            "remove_addr 3,4");
  EXPECT_EQ(ActionToString(AnnounceAddressAction{
                .id = 4, .address = Ip("10.1.0.3"), .port = 8443}),
            "announce 4 10.1.0.3:8443");
  EXPECT_EQ(ActionToString(SetBackupAction{.id = 2, .backup = false}),
            "mp_prio 2 regular");
  EXPECT_EQ(ActionToString(CloseSubflowAction{
                .id = 2, .cause = CloseCause::kPathDown, .reset = true}),
            "close 2 reset reason 0 cause 3");
}

}  // namespace
}  // namespace plait::pm
