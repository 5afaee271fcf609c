#include "dataplane/metrics/listen_address.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace plait::metrics {
namespace {

TEST(ListenAddressTest, TakesLiteralsAndBarePorts) {
  EXPECT_EQ(*CivetwebListeningPort("127.0.0.1:9464"), "127.0.0.1:9464");
  EXPECT_EQ(*CivetwebListeningPort("[::1]:9464"), "[::1]:9464");
  EXPECT_EQ(*CivetwebListeningPort("[::]:0"), "[::]:0");
  EXPECT_EQ(*CivetwebListeningPort(":9464"), "9464");
  EXPECT_EQ(*CivetwebListeningPort("0.0.0.0:0"), "0.0.0.0:0");
  EXPECT_EQ(*CivetwebListeningPort("10.0.0.1:65535"), "10.0.0.1:65535");
}

TEST(ListenAddressTest, RefusesWhatCivetwebWouldMisread) {
  for (const char* bad :
       {"", "9464", ":", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:0x10", "localhost:9464",
        "::1:9464", "[::1]", "[127.0.0.1]:80", "[::1:80", "1.2.3:80",
        "127.0.0.1:9464,8080"}) {
    auto parsed = CivetwebListeningPort(bad);
    EXPECT_FALSE(parsed.ok()) << bad << " -> " << *parsed;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_TRUE(absl::StrContains(parsed.status().message(),
                                    absl::StrCat("\"", bad, "\"")))
          << parsed.status();
    }
  }
}

}  // namespace
}  // namespace plait::metrics
