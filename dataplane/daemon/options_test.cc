#include "dataplane/daemon/options.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace plait::daemon {
namespace {

absl::StatusOr<DaemonOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "plaitd");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseOptions(static_cast<int>(argv.size()), argv.data());
}

std::string WriteFile(const std::string& text) {
  const std::string path =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
      "/plaitd_options_test.textproto";
  std::ofstream(path) << text;
  return path;
}

TEST(OptionsTest, ParsesEveryFlag) {
  auto o = Parse({"--mode=udp",
                  "--path",
                  "127.0.0.1",
                  "--path=127.0.0.2",
                  "--peer",
                  "127.0.0.3=127.0.0.3:4000",
                  "--udp-port=4001",
                  "--forward",
                  "127.0.0.1:8080=127.0.0.3:80",
                  "--serve",
                  "80=127.0.0.1:9000",
                  "--scheduler=roundrobin",
                  "--congestion-control",
                  "lia",
                  "--path-manager=explicit",
                  "--log-format=json",
                  "--drain-timeout=2.5",
                  "--stats-interval",
                  "1",
                  "--peer-learning=off",
                  "--buffer-kib",
                  "64",
                  "--memory-budget-mib=4096",
                  "--checksums"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->paths.size(), 2u);
  EXPECT_EQ(o->paths[1].ToString(), "127.0.0.2");
  ASSERT_EQ(o->peers.size(), 1u);
  EXPECT_EQ(o->peers[0].outer.port, 4000);
  EXPECT_EQ(o->udp_port, 4001);
  ASSERT_EQ(o->forwards.size(), 1u);
  EXPECT_EQ(o->forwards[0].listen.port, 8080);
  EXPECT_EQ(o->forwards[0].remote.port, 80);
  EXPECT_EQ(o->forwards[0].source.ToString(), "127.0.0.1");
  ASSERT_EQ(o->serves.size(), 1u);
  EXPECT_EQ(o->serves[0].port, 80);
  EXPECT_EQ(o->serves[0].target.port, 9000);
  EXPECT_EQ(o->scheduler, "roundrobin");
  EXPECT_EQ(o->congestion_control, "lia");
  EXPECT_EQ(o->path_manager, "explicit");
  EXPECT_EQ(o->log_format, LogFormat::kJson);
  EXPECT_EQ(o->drain_timeout, Milliseconds(2500));
  EXPECT_EQ(o->stats_interval, Seconds(1));
  EXPECT_EQ(o->peer_learning, io::udp::PeerLearning::kOff);
  EXPECT_EQ(o->buffer_bytes, 64u << 10);
  EXPECT_EQ(o->memory_budget_bytes, size_t{4096} << 20);
  EXPECT_TRUE(o->checksums);
}

TEST(OptionsTest, TunMode) {
  auto o = Parse({"--mode=tun", "--path", "10.1.0.11", "--path", "10.2.0.11",
                  "--tun", "plait7", "--no-routing", "--forward",
                  "127.0.0.1:5000=10.1.0.2:5201"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, Mode::kTun);
  EXPECT_EQ(o->tun_name, "plait7");
  EXPECT_TRUE(o->no_routing);
  ASSERT_EQ(o->forwards.size(), 1u);
  EXPECT_EQ(o->forwards[0].source.ToString(), "10.1.0.11");

  // The defaults: device plait0, routing on; a boolean flag may be spelled
  // out, and a value after it is not taken as its own.
  o = Parse({"--mode", "tun", "--no-routing=false", "--path", "10.1.0.11"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->tun_name, "plait0");
  EXPECT_FALSE(o->no_routing);
  o = Parse({"--mode=tun", "--no-routing", "--path", "10.1.0.11"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->no_routing);
  ASSERT_EQ(o->paths.size(), 1u);

  // UDP stays the default mode.
  o = Parse({"--path", "127.0.0.1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, Mode::kUdp);
}

TEST(OptionsTest, Transparent) {
  auto o = Parse({"--mode=tun", "--path", "10.1.0.11", "--forward",
                  "127.0.0.1:5000=10.1.0.2:5201", "--transparent",
                  "127.0.0.1:15001", "--transparent=0.0.0.0:15002"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->forwards.size(), 3u);
  EXPECT_FALSE(o->forwards[0].transparent);
  EXPECT_TRUE(o->forwards[1].transparent);
  EXPECT_EQ(o->forwards[1].listen.address.ToString(), "127.0.0.1");
  EXPECT_EQ(o->forwards[1].listen.port, 15001);
  EXPECT_EQ(o->forwards[1].source.ToString(), "10.1.0.11");
  EXPECT_TRUE(o->forwards[2].transparent);
  EXPECT_EQ(o->forwards[2].listen.port, 15002);

  // From the config file too, and the flags add to its list.
  const std::string file = WriteFile(
      "path: \"10.1.0.11\"\n"
      "transparent: \"127.0.0.1:15001\"\n");
  o = Parse(
      {"--config", file, "--transparent", "[::1]:15003", "--path", "fd00::1"});
  ASSERT_FALSE(o.ok());  // [::1] is not of the first --path's family
  EXPECT_NE(o.status().message().find("--transparent \"[::1]:15003\""),
            std::string::npos)
      << o.status().message();
  o = Parse({"--config", file, "--transparent", "127.0.0.2:15003"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->forwards.size(), 2u);
  EXPECT_TRUE(o->forwards[0].transparent && o->forwards[1].transparent);
  EXPECT_EQ(o->forwards[1].listen.port, 15003);
}

TEST(OptionsTest, TunModeFromConfigFile) {
  const std::string file = WriteFile(
      "mode: \"tun\"\n"
      "path: \"10.1.0.11\"\n"
      "tun: \"plait%d\"\n"
      "no_routing: true\n");
  auto o = Parse({"--config", file});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, Mode::kTun);
  EXPECT_EQ(o->tun_name, "plait%d");
  EXPECT_TRUE(o->no_routing);
  // A flag naming a UDP-only field: the error says where it may come from.
  o = Parse({"--config", file, "--udp-port", "1"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("--udp-port: only for --mode=udp"),
            std::string::npos)
      << o.status().message();
  EXPECT_NE(o.status().message().find(file), std::string::npos);
}

TEST(OptionsTest, ConfigFileThenFlags) {
  const std::string file = WriteFile(
      "path: \"127.0.0.1\"\n"
      "forward: \"127.0.0.1:1=127.0.0.3:80\"\n"
      "scheduler: \"blest\"\n"
      "udp_port: 5000\n");
  auto o = Parse({"--config", file, "--path", "127.0.0.2", "--udp-port=6000"});
  ASSERT_TRUE(o.ok()) << o.status();
  // Lists add up (the file's first), scalars from flags win.
  ASSERT_EQ(o->paths.size(), 2u);
  EXPECT_EQ(o->paths[0].ToString(), "127.0.0.1");
  EXPECT_EQ(o->forwards.size(), 1u);
  EXPECT_EQ(o->scheduler, "blest");
  EXPECT_EQ(o->udp_port, 6000);
}

TEST(OptionsTest, ErrorsNameTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--mode=tun", "--path", "10.0.0.1", "--peer", "10.0.0.2=10.0.0.2:1"},
       "--peer: only for --mode=udp"},
      {{"--mode=tun", "--path", "10.0.0.1", "--udp-port", "1"},
       "--udp-port: only for --mode=udp"},
      {{"--mode=tun", "--path", "10.0.0.1", "--peer-learning", "off"},
       "--peer-learning: only for --mode=udp"},
      {{"--mode=tun", "--path", "10.0.0.1", "--tun", "a/b"},
       "--tun: \"a/b\" is not an interface name"},
      {{"--mode=tun", "--path", "10.0.0.1", "--tun", "sixteen_chars_xx"},
       "is not an interface name"},
      {{"--mode=tun", "--path", "10.0.0.1", "--no-routing=maybe"},
       "--no-routing: \"maybe\" is not true or false"},
      {{"--path", "10.0.0.1", "--tun", "plait1"}, "--tun: only for --mode=tun"},
      {{"--path", "10.0.0.1", "--no-routing"},
       "--no-routing: only for --mode=tun"},
      {{"--mode=foo", "--path", "10.0.0.1"}, "--mode: \"foo\""},
      {{}, "--path: at least one is required"},
      {{"--path", "nonsense"}, "--path: \"nonsense\" is not an IP address"},
      {{"--path", "10.0.0.1", "--path", "10.0.0.1"}, "given twice"},
      {{"--path", "10.0.0.1", "--forward", "10.0.0.1:80"}, "needs the form"},
      {{"--path", "10.0.0.1", "--forward", "10.0.0.1:x=10.0.0.2:80"},
       "--forward \"10.0.0.1:x=10.0.0.2:80\": \"x\" is not a port"},
      {{"--path", "10.0.0.1", "--transparent", "127.0.0.1:0"},
       "--transparent \"127.0.0.1:0\": \"0\" is not a port"},
      {{"--path", "10.0.0.1", "--transparent", "127.0.0.1"},
       "is not ADDR:PORT"},
      {{"--path", "10.0.0.1", "--transparent", "[::1]:15001"},
       "the listener's family differs"},
      {{"--path", "10.0.0.1", "--serve", "0=10.0.0.1:80"}, "is not a port"},
      {{"--path", "10.0.0.1", "--peer", "10.0.0.2=10.0.0.2"}, "ADDR:PORT"},
      {{"--path", "10.0.0.1", "--scheduler", "fifo"},
       "--scheduler: \"fifo\" is not one of minrtt"},
      {{"--path", "10.0.0.1", "--congestion-control", "bbr"},
       "--congestion-control: \"bbr\""},
      {{"--path", "10.0.0.1", "--path-manager", "x"}, "--path-manager"},
      {{"--path", "10.0.0.1", "--log-format", "xml"}, "--log-format"},
      {{"--path", "10.0.0.1", "--drain-timeout", "soon"}, "--drain-timeout"},
      {{"--path", "10.0.0.1", "--peer-learning", "all"}, "--peer-learning"},
      {{"--path", "10.0.0.1", "--buffer-kib", "8"},
       "--buffer-kib: 8 is not between 16 and 65536"},
      {{"--path", "10.0.0.1", "--buffer-kib", "lots"},
       "--buffer-kib: \"lots\" is not a whole number"},
      {{"--path", "10.0.0.1", "--memory-budget-mib", "0"},
       "--memory-budget-mib: 0 is not between"},
      {{"--path", "10.0.0.1", "--checksums=maybe"}, "--checksums"},
      {{"--bogus"}, "unknown flag --bogus"},
      {{"--path"}, "--path needs a value"},
      {{"stray"}, "unexpected argument \"stray\""},
      {{"--config", "/nonexistent/plaitd.textproto"}, "cannot read"},
  };
  for (const Case& c : cases) {
    auto o = Parse(c.args);
    ASSERT_FALSE(o.ok()) << c.message;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(c.message), std::string::npos)
        << o.status().message() << " does not contain " << c.message;
  }
}

TEST(OptionsTest, ConfigSyntaxErrorNamesFileAndLine) {
  const std::string file = WriteFile("path: \"10.0.0.1\"\nforwad: \"x\"\n");
  auto o = Parse({"--config", file});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find(file + ":2:"), std::string::npos)
      << o.status().message();
  EXPECT_NE(o.status().message().find("forwad"), std::string::npos);
}

TEST(OptionsTest, HelpMentionsEveryFlag) {
  auto o = Parse({"--help"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  const std::string usage = UsageText();
  for (const char* flag : {"--mode",
                           "--path",
                           "--peer",
                           "--peer-learning",
                           "--udp-port",
                           "--tun",
                           "--no-routing",
                           "--forward",
                           "--transparent",
                           "SO_ORIGINAL_DST",
                           "REDIRECT",
                           "--serve",
                           "--scheduler",
                           "--congestion-control",
                           "--path-manager",
                           "--config",
                           "--log-format",
                           "--drain-timeout",
                           "--stats-interval",
                           "--buffer-kib",
                           "--memory-budget-mib",
                           "--checksums",
                           "--help"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

TEST(OptionsTest, ApiStateLabelsAndMetrics) {
  auto o = Parse({"--path=127.0.0.1", "--api", "127.0.0.1:0",
                  "--state-dir=/var/lib/plait", "--label", "zone=edge",
                  "--label=tier=gold", "--metrics", "127.0.0.1:9464"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->api, "127.0.0.1:0");
  EXPECT_EQ(o->state_dir, "/var/lib/plait");
  ASSERT_EQ(o->labels.size(), 2u);
  EXPECT_EQ(o->labels[0].first, "zone");
  EXPECT_EQ(o->labels[1].second, "gold");
  EXPECT_EQ(o->metrics, "127.0.0.1:9464");
}

TEST(OptionsTest, ApiDefaultsToAUnixSocketAndNoneTurnsItOff) {
  auto o = Parse({"--path=127.0.0.1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->api.rfind("unix:/", 0), 0u) << o->api;
  auto off = Parse({"--path=127.0.0.1", "--api=none"});
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_TRUE(off->api.empty());
}

TEST(OptionsTest, ApiErrorsNameTheFlag) {
  auto Error = [](std::vector<std::string> args) {
    args.insert(args.begin(), "--path=127.0.0.1");
    auto o = Parse(args);
    return o.ok() ? std::string("ok") : std::string(o.status().message());
  };
  EXPECT_NE(Error({"--label", "novalue"}).find("--label \"novalue\""),
            std::string::npos);
  EXPECT_NE(Error({"--label", "a=1", "--label", "a=2"}).find("given twice"),
            std::string::npos);
  EXPECT_NE(Error({"--api-mutations-need-mtls"}).find("--api-tls-client-ca"),
            std::string::npos);
  EXPECT_NE(Error({"--api=none", "--api-tls-cert=c.pem"}).find("--api none"),
            std::string::npos);
  EXPECT_NE(Error({"--metrics", "9464"}).find("HOST:PORT"), std::string::npos);
  EXPECT_NE(Error({"--api="}).find("--api: empty"), std::string::npos);
}

}  // namespace
}  // namespace plait::daemon
