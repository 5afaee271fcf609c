#include "dataplane/daemon/log.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace plait::daemon {
namespace {

TEST(LogTest, TextIsOneLineOfKeyValues) {
  Logger log(LogFormat::kText);
  EXPECT_EQ(log.Format("T", LogLevel::kInfo, "conn_open",
                       {{"id", uint64_t{7}},
                        {"client", "127.0.0.1:5"},
                        {"error", "Connection refused"},
                        {"ok", true}}),
            "T info conn_open id=7 client=127.0.0.1:5 "
            "error=\"Connection refused\" ok=true");
}

TEST(LogTest, JsonKeepsNumbersAndEscapesStrings) {
  Logger log(LogFormat::kJson);
  EXPECT_EQ(log.Format("T", LogLevel::kWarning, "x",
                       {{"n", uint64_t{3}},
                        {"rate", 1.5},
                        {"s", "a\"b\\c\n"},
                        {"done", false}}),
            "{\"time\":\"T\",\"level\":\"warning\",\"event\":\"x\",\"n\":3,"
            "\"rate\":1.500,\"s\":\"a\\\"b\\\\c\\n\",\"done\":false}");
}

}  // namespace
}  // namespace plait::daemon
