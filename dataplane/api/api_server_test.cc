#include "dataplane/api/api_server.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace plait::api {
namespace {

// A short directory: a unix socket's path must stay under 108 bytes, and
// TEST_TMPDIR may be longer.
std::string ShortTempDir() {
  char dir[] = "/tmp/plait-api-test.XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  return dir;
}

TEST(ApiServerTest, ServesOnAUnixSocketWithMode0660AndRemovesItAtShutdown) {
  const std::string dir = ShortTempDir();
  const std::string path = dir + "/plaitd.sock";
  auto server = ApiServer::Start({.address = "unix:" + path}, {});
  ASSERT_TRUE(server.ok()) << server.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  // A second server on the same socket is refused: the first one answers.
  auto second = ApiServer::Start({.address = "unix:" + path}, {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("another process is serving"),
            std::string::npos);
  (*server)->Shutdown(std::chrono::milliseconds(100));
  EXPECT_NE(stat(path.c_str(), &st), 0);
  rmdir(dir.c_str());
}

TEST(ApiServerTest, RefusesASocketDirectoryOthersCanWrite) {
  const std::string dir = ShortTempDir();
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  auto server = ApiServer::Start({.address = "unix:" + dir + "/plaitd.sock"}, {});
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("writable by others"),
            std::string::npos)
      << server.status();
  // Sticky (as /tmp is): others cannot remove or replace our socket.
  ASSERT_EQ(chmod(dir.c_str(), 01777), 0);
  auto sticky = ApiServer::Start({.address = "unix:" + dir + "/plaitd.sock"}, {});
  EXPECT_TRUE(sticky.ok()) << sticky.status();
  sticky->reset();
  rmdir(dir.c_str());
}

TEST(ApiServerTest, PlaintextTcpOnlyOnLoopback) {
  auto open = ApiServer::Start({.address = "0.0.0.0:0"}, {});
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("only for loopback"),
            std::string::npos);
  auto loopback = ApiServer::Start({.address = "127.0.0.1:0"}, {});
  ASSERT_TRUE(loopback.ok()) << loopback.status();
  EXPECT_NE((*loopback)->address(), "127.0.0.1:0");  // the port chosen
}

TEST(ApiServerTest, TlsFlagsGoTogether) {
  auto half = ApiServer::Start(
      {.address = "127.0.0.1:0", .tls_cert_file = "cert.pem"}, {});
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("go together"), std::string::npos);
  auto missing = ApiServer::Start({.address = "127.0.0.1:0",
                                   .tls_cert_file = "/nonexistent/c.pem",
                                   .tls_key_file = "/nonexistent/k.pem"},
                                  {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--api-tls-cert /nonexistent/c.pem"),
            std::string::npos)
      << missing.status();
}

}  // namespace
}  // namespace plait::api
