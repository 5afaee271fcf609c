// /metrics as Prometheus scrapes it: over HTTP from a real socket, checked
// by promtool (the Prometheus project's own parser and linter).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dataplane/base/time.h"
#include "dataplane/metrics/exporter.h"
#include "dataplane/metrics/snapshot.h"
#include "dataplane/wire/ip_address.h"
#include "gtest/gtest.h"

namespace plait::metrics {
namespace {

// GET `path` from 127.0.0.1:`port` with HTTP/1.0 (the server closes after
// the response, so reading to EOF gets all of it). The whole response,
// headers included; empty on a socket error.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if (write(fd, request.data(), request.size()) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
        response.append(buffer, n);
      }
    }
  }
  close(fd);
  return response;
}

std::string Body(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

MetricsSnapshot Busy() {
  MetricsSnapshot s;
  s.paths = {{*wire::IpAddress::Parse("10.1.0.11"), 10, 20, 1000, 2000},
             {*wire::IpAddress::Parse("fd00::11"), 1, 2, 100, 200}};
  s.stack.segments = 30;
  s.connections_established = 1;
  s.subflows = 2;
  s.subflow_samples = {
      {*wire::IpAddress::Parse("10.1.0.11"), 0.01, 14600, "cubic"}};
  s.totals.chunks_by_scheduler = {{"minrtt", 4}};
  s.io_drops = {{"received", "bad_magic", 1}};
  s.policy_generation = 2;
  runtime::LagHistogram lag;
  lag.Record(Microseconds(30));
  s.event_loop_lag = lag.Read();
  return s;
}

TEST(ExporterHttpTest, ServesMetricsThatPromtoolAccepts) {
  auto started = MetricsExporter::Start("127.0.0.1:0");
  ASSERT_TRUE(started.ok()) << started.status();
  MetricsExporter& exporter = **started;
  ASSERT_GT(exporter.port(), 0);
  exporter.Update(Busy());

  const std::string response = HttpGet(exporter.port(), "/metrics");
  ASSERT_TRUE(absl::StartsWith(response, "HTTP/1.1 200") ||
              absl::StartsWith(response, "HTTP/1.0 200"))
      << response.substr(0, 200);
  const std::string body = Body(response);
  EXPECT_TRUE(absl::StrContains(
      body,
      "plait_path_packets_total{direction=\"sent\",path=\"10.1.0.11\"} 10"))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "plait_event_loop_lag_seconds_count 1"));

  // Not skipped when promtool is missing: the check must run in CI, and
  // ./x setup installs it (Debian package prometheus).
  ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
      << "promtool not on PATH: install the Debian package prometheus "
         "(./x setup)";
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  const std::string input = dir + "/metrics.txt";
  const std::string output = dir + "/promtool.out";
  std::ofstream(input) << body;
  const int status = std::system(
      absl::StrCat("promtool check metrics < ", input, " > ", output, " 2>&1")
          .c_str());
  std::ifstream in(output);
  const std::string said((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "promtool check metrics failed:\n"
      << said << "\non:\n"
      << body;
  // Lint problems (naming, units, missing help) are reported even when the
  // exit status is 0 in some versions: none are expected.
  EXPECT_EQ(said, "") << said;
}

TEST(ExporterHttpTest, ServesOnlyMetricsPath) {
  auto started = MetricsExporter::Start("127.0.0.1:0");
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string response = HttpGet((*started)->port(), "/nothing");
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 404") ||
              absl::StartsWith(response, "HTTP/1.0 404"))
      << response.substr(0, 200);
}

TEST(ExporterHttpTest, PortInUseIsAnErrorNamingTheAddress) {
  auto first = MetricsExporter::Start("127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string address = absl::StrCat("127.0.0.1:", (*first)->port());
  auto second = MetricsExporter::Start(address);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(second.status().message(), address))
      << second.status();
}

TEST(ExporterHttpTest, AddressNotOfThisHostIsAnError) {
  // TEST-NET-1 (RFC 5737): never a local address.
  auto started = MetricsExporter::Start("192.0.2.1:0");
  ASSERT_FALSE(started.ok());
  EXPECT_TRUE(absl::StrContains(started.status().message(), "192.0.2.1:0"))
      << started.status();
}

}  // namespace
}  // namespace plait::metrics
