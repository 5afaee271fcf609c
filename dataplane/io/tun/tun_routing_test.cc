// A real TUN device in a private network namespace (unshare(CLONE_NEWNET):
// nothing outside this test process sees it): the path addresses' host
// routes exist while the device lives, are gone after it, and a setup that
// fails halfway removes what it had added. Needs CAP_NET_ADMIN; skipped
// without it.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "dataplane/io/tun/rtnetlink.h"
#include "dataplane/io/tun/tun_device.h"
#include "gtest/gtest.h"

namespace plait::io::tun {
namespace {

wire::IpAddress Ip(const char* text) { return *wire::IpAddress::Parse(text); }

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// /proc/net/route holds destinations as little-endian hex: 10.9.0.11 is
// 0B00090A.
bool HasV4Route(const std::string& hex_destination, const std::string& dev) {
  std::istringstream lines(ReadFile("/proc/net/route"));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string iface, destination;
    fields >> iface >> destination;
    if (iface == dev && destination == hex_destination) return true;
  }
  return false;
}

bool HasV6Route(const std::string& hex_destination, const std::string& dev) {
  std::istringstream lines(ReadFile("/proc/net/ipv6_route"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(hex_destination, 0) == 0 &&
        line.find(" " + dev) != std::string::npos) {
      return true;
    }
  }
  return false;
}

class TunRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN)";
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
      GTEST_SKIP() << "no /dev/net/tun";
    }
    // Each test gets a fresh namespace; the old one goes with its last user.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET)";
  }
};

TEST_F(TunRoutingTest, RoutesThePathAddressesWhileTheDeviceLives) {
  TunDeviceConfig config;
  config.name = "plaittest%d";
  config.path_addresses = {Ip("10.9.0.11"), Ip("10.8.0.11")};
  auto device = TunDevice::Open(config, [](absl::Span<const uint8_t>) {});
  ASSERT_TRUE(device.ok()) << device.status();
  const std::string name = (*device)->name();
  EXPECT_EQ(name.rfind("plaittest", 0), 0u) << name;
  ASSERT_NE((*device)->routing(), nullptr);
  EXPECT_EQ((*device)->routing()->added_routes().size(), 2u);
  EXPECT_TRUE(HasV4Route("0B00090A", name));
  EXPECT_TRUE(HasV4Route("0B00080A", name));
  // IPv4-only paths: the device's IPv6 is off, so it sends no chatter.
  EXPECT_EQ(
      ReadFile(("/proc/sys/net/ipv6/conf/" + name + "/disable_ipv6").c_str()),
      "1\n");
  ASSERT_TRUE((*device)->routing() != nullptr);
  device->reset();
  EXPECT_FALSE(HasV4Route("0B00090A", name));
  EXPECT_FALSE(HasV4Route("0B00080A", name));
}

TEST_F(TunRoutingTest, RemovesItsRoutesWhileTheDeviceStays) {
  TunDeviceConfig config;
  config.name = "plaittest0";
  config.path_addresses = {Ip("10.9.0.11"), Ip("fd00:9::11")};
  auto device = TunDevice::Open(config, [](absl::Span<const uint8_t>) {});
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_TRUE(HasV4Route("0B00090A", "plaittest0"));
  EXPECT_TRUE(HasV6Route("fd000009000000000000000000000011 80", "plaittest0"));
  // Remove() is what the destructor does, observable with the device up.
  auto* routing = const_cast<TunRouting*>((*device)->routing());
  ASSERT_TRUE(routing->Remove().ok());
  EXPECT_FALSE(HasV4Route("0B00090A", "plaittest0"));
  EXPECT_FALSE(HasV6Route("fd000009000000000000000000000011 80", "plaittest0"));
}

TEST_F(TunRoutingTest, AFailedSetupRemovesWhatItAdded) {
  // Someone else's route to the second address: ours must fail on it, and
  // the route to the first address must not stay behind.
  TunDeviceConfig other;
  other.name = "plaitother";
  other.path_addresses = {Ip("10.8.0.11")};
  auto owner = TunDevice::Open(other, [](absl::Span<const uint8_t>) {});
  ASSERT_TRUE(owner.ok()) << owner.status();

  TunDeviceConfig config;
  config.name = "plaittest1";
  config.path_addresses = {Ip("10.9.0.11"), Ip("10.8.0.11")};
  auto device = TunDevice::Open(config, [](absl::Span<const uint8_t>) {});
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), absl::StatusCode::kAlreadyExists)
      << device.status();
  EXPECT_NE(device.status().message().find("10.8.0.11"), std::string::npos)
      << device.status();
  EXPECT_FALSE(HasV4Route("0B00090A", "plaittest1"));
  EXPECT_TRUE(HasV4Route("0B00080A", "plaitother"));  // not ours: kept
}

TEST_F(TunRoutingTest, NoRoutingLeavesTheHostAlone) {
  TunDeviceConfig config;
  config.name = "plaittest2";
  config.path_addresses = {Ip("10.9.0.11")};
  config.no_routing = true;
  auto device = TunDevice::Open(config, [](absl::Span<const uint8_t>) {});
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_EQ((*device)->routing(), nullptr);
  EXPECT_FALSE(HasV4Route("0B00090A", "plaittest2"));
}

}  // namespace
}  // namespace plait::io::tun
