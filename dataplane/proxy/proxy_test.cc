// The proxy end to end in one process: application sockets on loopback ->
// Forwarder -> MPTCP over two UDP paths (127.0.0.1, 127.0.0.2 -> 127.0.0.3)
// -> Server -> a local TCP server. The applications run on threads with
// blocking sockets; the test thread runs the event loop.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/daemon/udp_node.h"
#include "dataplane/io/udp/encapsulation.h"
#include "dataplane/proxy/bridge_set.h"
#include "dataplane/proxy/forwarder.h"
#include "dataplane/proxy/server.h"
#include "dataplane/proxy/socket_util.h"
#include "dataplane/runtime/event_loop.h"
#include "gtest/gtest.h"

namespace plait::proxy {
namespace {

using io::udp::PeerLearning;
using io::udp::UdpTransportConfig;

wire::IpAddress Ip(const char* text) { return *wire::IpAddress::Parse(text); }

// The byte at offset i of a test stream.
uint8_t Pattern(uint64_t i, uint8_t salt) {
  return static_cast<uint8_t>((i * 131 + (i >> 11) + salt) & 0xff);
}

// SHA-256 through OpenSSL's EVP interface (the SHA256_* calls are
// deprecated in OpenSSL 3).
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
  }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  void Update(const void* data, size_t n) { EVP_DigestUpdate(ctx_, data, n); }
  std::string HexDigest();

 private:
  EVP_MD_CTX* ctx_;
};

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_, digest, &length);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string PatternSha(uint64_t n, uint8_t salt) {
  Sha256 sha;
  std::vector<uint8_t> buf(65536);
  for (uint64_t off = 0; off < n;) {
    const size_t len = std::min<uint64_t>(buf.size(), n - off);
    for (size_t i = 0; i < len; ++i) buf[i] = Pattern(off + i, salt);
    sha.Update(buf.data(), len);
    off += len;
  }
  return sha.HexDigest();
}

// Sends n pattern bytes on a blocking socket; false on an error.
bool SendPattern(int fd, uint64_t n, uint8_t salt) {
  std::vector<uint8_t> buf(65536);
  for (uint64_t off = 0; off < n;) {
    const size_t len = std::min<uint64_t>(buf.size(), n - off);
    for (size_t i = 0; i < len; ++i) buf[i] = Pattern(off + i, salt);
    size_t done = 0;
    while (done < len) {
      const ssize_t w = send(fd, buf.data() + done, len - done, MSG_NOSIGNAL);
      if (w <= 0) return false;
      done += static_cast<size_t>(w);
    }
    off += len;
  }
  return true;
}

struct Received {
  uint64_t bytes = 0;
  std::string sha;
  int error = 0;  // errno of a failed recv, 0 at a clean EOF
};

// Reads to EOF (or an error) on a blocking socket.
Received ReadAll(int fd) {
  Received r;
  Sha256 sha;
  std::vector<uint8_t> buf(65536);
  for (;;) {
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      r.error = errno;
      break;
    }
    sha.Update(buf.data(), static_cast<size_t>(n));
    r.bytes += static_cast<uint64_t>(n);
  }
  r.sha = sha.HexDigest();
  return r;
}

void SetTimeout(int fd, int seconds) {
  timeval tv{.tv_sec = seconds, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int BlockingConnect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0) {
    close(fd);
    return -1;
  }
  SetTimeout(fd, 30);
  return fd;
}

int BlockingAccept(int listen_fd) {
  // The listener is non-blocking (ListenTcp); wait for a connection.
  for (int i = 0; i < 3000; ++i) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      SetTimeout(fd, 30);
      return fd;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

void Reset(int fd) {
  const linger lg{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close(fd);
}

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = runtime::EventLoop::Create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = std::move(*loop);

    UdpTransportConfig server_udp;
    server_udp.paths = {{Ip("127.0.0.3"), {Ip("127.0.0.3"), 0}}};
    server_udp.learning = PeerLearning::kSameAddress;
    stack::StackConfig server_stack;
    server_stack.seed = 11;
    auto server =
        daemon::UdpNode::Create(loop_.get(), server_udp, server_stack);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);

    UdpTransportConfig client_udp;
    client_udp.paths = {{Ip("127.0.0.1"), {Ip("127.0.0.1"), 0}},
                        {Ip("127.0.0.2"), {Ip("127.0.0.2"), 0}}};
    client_udp.peers = {
        {Ip("127.0.0.3"), server_->transport().socket(0).local()}};
    stack::StackConfig client_stack;
    client_stack.seed = 7;
    auto client =
        daemon::UdpNode::Create(loop_.get(), client_udp, client_stack);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);

    // The application's server.
    auto app = ListenTcp({Ip("127.0.0.1"), 0});
    ASSERT_TRUE(app.ok()) << app.status();
    app_listener_ = std::move(*app);
    const uint16_t app_port = *LocalPort(app_listener_.get());

    mptcp::MptcpConfig config;
    config.tcp.mss = io::udp::InnerMss(true, true, 1500);
    // Short, so that a test can see closed connections freed.
    config.tcp.time_wait = Milliseconds(100);
    config.path_manager = "fullmesh";
    pm::Endpoint second;
    second.id = 1;
    second.address = Ip("127.0.0.2");
    second.subflow = true;
    config.path_manager_config.endpoints = {second};

    BridgeSet::Events events;
    events.on_close = [this](const Bridge& b, const BridgeInfo& info) {
      max_buffered_ = std::max(max_buffered_, b.stats().max_buffered);
      if (b.connection() != nullptr) {
        max_subflows_ =
            std::max(max_subflows_, b.connection()->subflow_count());
      }
      ++closed_;
      printf("closed %s %s reason=%s socket_error=%d up=%llu down=%llu\n",
             info.kind.c_str(), info.client.c_str(),
             mptcp::MptcpCloseReasonName(b.close_reason()), b.socket_error(),
             static_cast<unsigned long long>(b.stats().to_mptcp),
             static_cast<unsigned long long>(b.stats().to_socket));
    };
    server_bridges_ = std::make_unique<BridgeSet>(
        loop_.get(), server_->stack(), Bridge::Options(),
        [this] { server_->Kick(); }, events);
    client_bridges_ = std::make_unique<BridgeSet>(
        loop_.get(), client_->stack(), Bridge::Options(),
        [this] { client_->Kick(); }, events);
    server_proxy_ = std::make_unique<Server>(
        loop_.get(), server_->stack(), server_bridges_.get(),
        ServeSpec{80, {Ip("127.0.0.1"), app_port}},
        std::vector<wire::IpAddress>{Ip("127.0.0.3")}, config);
    auto forwarder = Forwarder::Create(
        loop_.get(), client_->stack(), client_bridges_.get(),
        ForwardSpec{
            {Ip("127.0.0.1"), 0}, {Ip("127.0.0.3"), 80}, Ip("127.0.0.1")},
        config);
    ASSERT_TRUE(forwarder.ok()) << forwarder.status();
    forwarder_ = std::move(*forwarder);
  }

  void TearDown() override {
    // Stacks first: their connections point at the bridges' owners only
    // through callbacks, which stop with them.
    forwarder_.reset();
    client_.reset();
    server_.reset();
    client_bridges_.reset();
    server_bridges_.reset();
  }

  // Runs the loop until `done` or the timeout; true if `done`.
  bool RunUntil(const std::function<bool()>& done, int seconds = 60) {
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!done() && std::chrono::steady_clock::now() < give_up) {
      EXPECT_TRUE(loop_->RunOnce(Milliseconds(5)).ok());
    }
    return done();
  }

  size_t BufferedNow() const {
    size_t total = 0;
    for (const BridgeSet* set :
         {client_bridges_.get(), server_bridges_.get()}) {
      set->ForEach([&](const Bridge& b, const BridgeInfo&) {
        total = std::max(total, b.buffered());
      });
    }
    return total;
  }

  std::unique_ptr<runtime::EventLoop> loop_;
  std::unique_ptr<daemon::UdpNode> server_;
  std::unique_ptr<daemon::UdpNode> client_;
  runtime::ScopedFd app_listener_;
  std::unique_ptr<BridgeSet> server_bridges_;
  std::unique_ptr<BridgeSet> client_bridges_;
  std::unique_ptr<Server> server_proxy_;
  std::unique_ptr<Forwarder> forwarder_;
  size_t max_buffered_ = 0;
  size_t max_subflows_ = 0;
  int closed_ = 0;
};

TEST_F(ProxyTest, StreamsBothWaysIntactOverTwoSubflows) {
  constexpr uint64_t kBytes = 16 << 20;
  Received at_server, at_client;
  bool server_sent = false, client_sent = false;
  std::atomic<int> finished{0};
  std::thread server_app([&] {
    const int fd = BlockingAccept(app_listener_.get());
    std::thread sender([&] {
      server_sent = SendPattern(fd, kBytes, 2);
      shutdown(fd, SHUT_WR);
    });
    at_server = ReadAll(fd);
    sender.join();
    close(fd);
    ++finished;
  });
  std::thread client_app([&] {
    const int fd = BlockingConnect(forwarder_->port());
    std::thread sender([&] {
      client_sent = SendPattern(fd, kBytes, 1);
      shutdown(fd, SHUT_WR);
    });
    at_client = ReadAll(fd);
    sender.join();
    close(fd);
    ++finished;
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(RunUntil([&] { return finished == 2; }));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  server_app.join();
  client_app.join();
  EXPECT_TRUE(server_sent && client_sent);
  EXPECT_EQ(at_server.error, 0);
  EXPECT_EQ(at_client.error, 0);
  EXPECT_EQ(at_server.bytes, kBytes);
  EXPECT_EQ(at_server.sha, PatternSha(kBytes, 1));
  EXPECT_EQ(at_client.bytes, kBytes);
  EXPECT_EQ(at_client.sha, PatternSha(kBytes, 2));
  // Both bridges finish: the connections closed after both DATA_FINs.
  EXPECT_TRUE(RunUntil([&] { return closed_ == 2; }, 10));
  EXPECT_EQ(max_subflows_, 2u);
  EXPECT_LE(max_buffered_, Bridge::Options().chunk_bytes * 2);
  // Both client paths carried a real share of the data.
  for (size_t path = 0; path < 2; ++path) {
    EXPECT_GT(client_->transport().socket(path).stats().sent, 1000u) << path;
  }
  printf("2 x %llu bytes through the proxy in %.2f s (%.1f Mbit/s each way)\n",
         static_cast<unsigned long long>(kBytes), seconds,
         kBytes * 8 / seconds / 1e6);
}

TEST_F(ProxyTest, HalfCloseCrossesBothWays) {
  std::string server_got, client_got;
  int server_eof = -1, client_eof = -1;
  std::atomic<int> finished{0};
  std::thread server_app([&] {
    const int fd = BlockingAccept(app_listener_.get());
    char buf[64];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) server_got.append(buf, n);
    server_eof = static_cast<int>(n);  // 0: the client's FIN arrived
    // Still allowed to answer after the client's half-close.
    send(fd, "world", 5, MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    close(fd);
    ++finished;
  });
  std::thread client_app([&] {
    const int fd = BlockingConnect(forwarder_->port());
    send(fd, "hello", 5, MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    char buf[64];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) client_got.append(buf, n);
    client_eof = static_cast<int>(n);
    close(fd);
    ++finished;
  });
  EXPECT_TRUE(RunUntil([&] { return finished == 2; }, 30));
  server_app.join();
  client_app.join();
  EXPECT_EQ(server_got, "hello");
  EXPECT_EQ(server_eof, 0);
  EXPECT_EQ(client_got, "world");
  EXPECT_EQ(client_eof, 0);
  EXPECT_TRUE(RunUntil([&] { return closed_ == 2; }, 10));
  // Both connections are released to their stacks and freed once their
  // subflows are through TIME-WAIT: nothing stays behind per connection.
  EXPECT_TRUE(RunUntil(
      [&] {
        return client_->stack()->allocated_connections() == 0 &&
               server_->stack()->allocated_connections() == 0;
      },
      10))
      << client_->stack()->allocated_connections() << " "
      << server_->stack()->allocated_connections();
}

// The client application resets its socket: the server application's
// socket is reset too (MP_FASTCLOSE on the way); and the reverse.
// A profile's fast_close_on_close: the application's close ends the
// connection with MP_FASTCLOSE (no DATA_FIN exchange) once its bytes are
// DATA_ACKed; both ends' bridges finish, the server application sees a
// reset after the request it was sent.
TEST_F(ProxyTest, FastCloseOnCloseEndsTheConnectionWithFastclose) {
  std::vector<mptcp::MptcpCloseReason> reasons;
  BridgeSet::Events events;
  events.on_close = [&](const Bridge& b, const BridgeInfo&) {
    reasons.push_back(b.close_reason());
  };
  BridgeSet fast_bridges(loop_.get(), client_->stack(), Bridge::Options(),
                         [this] { client_->Kick(); }, events);
  mptcp::MptcpConfig config;
  config.tcp.mss = io::udp::InnerMss(true, true, 1500);
  auto forwarder = Forwarder::Create(
      loop_.get(), client_->stack(), &fast_bridges,
      ForwardSpec{{Ip("127.0.0.1"), 0}, {Ip("127.0.0.3"), 80}, Ip("127.0.0.1")},
      [config](const std::string&, const TcpAddress&) {
        ConnectionPlan plan{config, "rule", "profile", false, true};
        return plan;
      });
  ASSERT_TRUE(forwarder.ok()) << forwarder.status();
  std::atomic<bool> done{false};
  std::string request;
  int after_request = 0;
  std::thread server_app([&] {
    const int fd = BlockingAccept(app_listener_.get());
    char buf[64];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) request.assign(buf, n);
    send(fd, "response", 8, MSG_NOSIGNAL);
    const ssize_t m = recv(fd, buf, sizeof(buf), 0);
    after_request = m < 0 ? errno : 0;  // ECONNRESET: fast close, not EOF
    close(fd);
    done = true;
  });
  const int fd = BlockingConnect((*forwarder)->port());
  send(fd, "request", 7, MSG_NOSIGNAL);
  char buf[16];
  ssize_t got = 0;
  EXPECT_TRUE(RunUntil([&] {
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) got += n;
    return got == 8;
  }, 30));
  close(fd);
  EXPECT_TRUE(RunUntil([&] { return done.load(); }, 30));
  server_app.join();
  EXPECT_EQ(request, "request");
  EXPECT_EQ(after_request, ECONNRESET);
  EXPECT_TRUE(RunUntil([&] { return !reasons.empty(); }, 10));
  EXPECT_EQ(reasons[0], mptcp::MptcpCloseReason::kAborted);
  forwarder->reset();
}

TEST_F(ProxyTest, ResetCrossesFromClientToServer) {
  int server_error = 0;
  std::atomic<bool> server_has_data{false}, done{false};
  std::thread server_app([&] {
    const int fd = BlockingAccept(app_listener_.get());
    char buf[64];
    if (recv(fd, buf, sizeof(buf), 0) > 0) server_has_data = true;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    server_error = n < 0 ? errno : 0;
    close(fd);
    done = true;
  });
  const int fd = BlockingConnect(forwarder_->port());
  send(fd, "x", 1, MSG_NOSIGNAL);
  EXPECT_TRUE(RunUntil([&] { return server_has_data.load(); }, 30));
  Reset(fd);
  EXPECT_TRUE(RunUntil([&] { return done.load(); }, 30));
  server_app.join();
  EXPECT_EQ(server_error, ECONNRESET);
  EXPECT_TRUE(RunUntil([&] { return closed_ == 2; }, 10));
}

TEST_F(ProxyTest, ResetCrossesFromServerToClient) {
  std::atomic<bool> accepted{false};
  std::thread server_app([&] {
    const int fd = BlockingAccept(app_listener_.get());
    char buf[8];
    (void)recv(fd, buf, sizeof(buf), 0);
    accepted = true;
    Reset(fd);
  });
  const int fd = BlockingConnect(forwarder_->port());
  send(fd, "x", 1, MSG_NOSIGNAL);
  int client_error = 0;
  std::atomic<bool> done{false};
  std::thread client_app([&] {
    char buf[8];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    client_error = n < 0 ? errno : 0;
    done = true;
  });
  EXPECT_TRUE(RunUntil([&] { return done.load(); }, 30));
  server_app.join();
  client_app.join();
  close(fd);
  EXPECT_TRUE(accepted);
  EXPECT_EQ(client_error, ECONNRESET);
  EXPECT_TRUE(RunUntil([&] { return closed_ == 2; }, 10));
}

// A reader that stalls: the proxy stops reading upstream, the sender is
// held back, and no bridge ever holds more than its chunk per direction.
TEST_F(ProxyTest, SlowReaderHoldsTheSenderBackWithBoundedBuffers) {
  constexpr uint64_t kBytes = 64 << 20;
  std::atomic<bool> start_reading{false}, done{false};
  std::atomic<uint64_t> sent{0};
  Received at_server;
  std::thread server_app([&] {
    const int fd = BlockingAccept(app_listener_.get());
    while (!start_reading) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    at_server = ReadAll(fd);
    close(fd);
    done = true;
  });
  const int fd = BlockingConnect(forwarder_->port());
  std::thread client_app([&] {
    std::vector<uint8_t> buf(65536);
    for (uint64_t off = 0; off < kBytes;) {
      const size_t len = std::min<uint64_t>(buf.size(), kBytes - off);
      for (size_t i = 0; i < len; ++i) buf[i] = Pattern(off + i, 3);
      size_t put = 0;
      while (put < len) {
        const ssize_t w = send(fd, buf.data() + put, len - put, MSG_NOSIGNAL);
        if (w <= 0) return;
        put += static_cast<size_t>(w);
        sent += static_cast<uint64_t>(w);
      }
      off += len;
    }
    shutdown(fd, SHUT_WR);
  });
  // Two seconds of a stalled reader: the sender stops far short of the end.
  size_t max_buffered = 0;
  const auto stall_end =
      std::chrono::steady_clock::now() + std::chrono::seconds(2);
  RunUntil([&] {
    max_buffered = std::max(max_buffered, BufferedNow());
    return std::chrono::steady_clock::now() > stall_end;
  });
  const uint64_t sent_while_stalled = sent;
  printf("sent while the reader stalled: %llu bytes\n",
         static_cast<unsigned long long>(sent_while_stalled));
  EXPECT_LT(sent_while_stalled, kBytes / 2);
  EXPECT_LE(max_buffered, 2 * Bridge::Options().chunk_bytes);
  start_reading = true;
  EXPECT_TRUE(RunUntil([&] {
    max_buffered = std::max(max_buffered, BufferedNow());
    return done.load();
  }));
  server_app.join();
  client_app.join();
  close(fd);
  EXPECT_EQ(at_server.bytes, kBytes);
  EXPECT_EQ(at_server.sha, PatternSha(kBytes, 3));
  EXPECT_LE(max_buffered, 2 * Bridge::Options().chunk_bytes);
}

}  // namespace
}  // namespace plait::proxy
