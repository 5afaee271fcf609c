#include "dataplane/stack/stack.h"

#include <deque>
#include <string>
#include <vector>

#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/mptcp/mptcp_events.h"
#include "dataplane/wire/segment.h"
#include "gtest/gtest.h"

namespace plait::stack {
namespace {

wire::IpAddress Ip(const char* text) { return *wire::IpAddress::Parse(text); }

// Two stacks joined by a zero-delay wire; packets are delivered in order.
struct Pair {
  struct Out : tcp::TcpOutput {
    std::deque<std::vector<uint8_t>>* queue;
    void SendPacket(absl::Span<const uint8_t> p) override {
      queue->emplace_back(p.begin(), p.end());
    }
  };
  struct App : mptcp::MptcpOwner {
    mptcp::MptcpConnection* c = nullptr;
    std::vector<uint8_t> got;
    bool established = false;
    void OnEstablished(Time) override { established = true; }
    void OnReadable(Time now) override {
      uint8_t buf[4096];
      size_t n;
      while (c != nullptr && (n = c->Read(buf, now)) > 0) {
        got.insert(got.end(), buf, buf + n);
      }
    }
  };

  std::deque<std::vector<uint8_t>> to[2];  // to[i]: packets for stack i
  Out out[2];
  std::unique_ptr<Stack> stack[2];
  Time now = TimeFromEpoch(Seconds(1));
  std::vector<std::vector<uint8_t>> rsts;  // sent by stack 1

  explicit Pair(StackConfig server_config = {},
                mptcp::MptcpEventSink* client_sink = nullptr) {
    out[0].queue = &to[1];
    out[1].queue = &to[0];
    StackConfig client_config;
    client_config.seed = 7;
    client_config.event_sink = client_sink;
    stack[0] = std::make_unique<Stack>(client_config, &out[0]);
    stack[1] = std::make_unique<Stack>(server_config, &out[1]);
  }
  void Run(int rounds = 20000) {
    for (int r = 0; r < rounds; ++r) {
      bool any = false;
      for (int i = 0; i < 2; ++i) {
        while (!to[i].empty()) {
          auto p = std::move(to[i].front());
          to[i].pop_front();
          stack[i]->OnPacket(p, now);
          any = true;
        }
      }
      if (any) continue;
      const Time next =
          std::min(stack[0]->next_deadline(), stack[1]->next_deadline());
      if (next == kNever || next > now + Seconds(5)) return;
      now = std::max(now, next);
      for (auto& s : stack) {
        if (s->next_deadline() <= now) s->OnTimer(now);
      }
    }
  }
};

TEST(StackTest, ConnectsJoinsByTokenAndCarriesData) {
  Pair pair;
  Pair::App client_app, server_app;
  mptcp::MptcpConfig config;
  pair.stack[1]->Listen(
      Ip("10.0.0.2"), 80, config,
      Stack::Acceptor{[&](const tcp::TcpEndpoints&) { return &server_app; },
                      [&](mptcp::MptcpConnection* c) { server_app.c = c; }});
  auto c = pair.stack[0]->Connect(config, Ip("10.0.0.1"), Ip("10.0.0.2"), 80,
                                  &client_app, pair.now);
  ASSERT_TRUE(c.ok()) << c.status();
  client_app.c = *c;
  pair.Run();
  ASSERT_TRUE(client_app.established);
  ASSERT_NE(server_app.c, nullptr);
  EXPECT_FALSE((*c)->fallback());
  EXPECT_TRUE(pair.stack[1]->TokenInUse(server_app.c->local_token()));
  EXPECT_TRUE(pair.stack[0]->TokenInUse((*c)->local_token()));
  // A join from another address reaches the same connection by token.
  ASSERT_TRUE(pair.stack[0]->AddSubflow(*c, Ip("10.0.1.1"), Ip("10.0.0.2"), 80,
                                        pair.now));
  pair.Run();
  EXPECT_EQ(server_app.c->subflow_count(), 2u);
  EXPECT_EQ(pair.stack[1]->stats().joins, 1u);
  std::vector<uint8_t> data(300000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7);
  size_t sent = 0;
  for (int i = 0; i < 1000 && server_app.got.size() < data.size(); ++i) {
    sent += (*c)->Write(absl::MakeConstSpan(data).subspan(sent), pair.now);
    pair.Run(50);
    pair.now += Milliseconds(1);
  }
  EXPECT_EQ(server_app.got, data);
  EXPECT_EQ(pair.stack[1]->open_connections(), 1u);
}

// StackConfig::event_sink hears every connection from its first packet:
// the client's (Connect) and the accepted one, whose join the server's path
// manager numbers; the client's join, opened without the path manager, has
// no id.
TEST(StackTest, EventSinkHearsConnectedAndAcceptedConnections) {
  struct Sink : mptcp::MptcpEventSink {
    std::vector<std::string> events;
    void OnEstablished(const mptcp::MptcpConnection&, Time) override {
      events.push_back("established");
    }
    void OnSubflowEstablished(const mptcp::MptcpConnection&, Time,
                              const mptcp::SubflowEvent& sf) override {
      events.push_back(sf.id ? "join " + std::to_string(*sf.id) : "join -");
    }
  };
  Sink client_sink, server_sink;
  StackConfig server_config;
  server_config.event_sink = &server_sink;
  Pair pair(server_config, &client_sink);
  Pair::App client_app, server_app;
  mptcp::MptcpConfig config;
  pair.stack[1]->Listen(
      Ip("10.0.0.2"), 80, config,
      Stack::Acceptor{[&](const tcp::TcpEndpoints&) { return &server_app; },
                      [&](mptcp::MptcpConnection* c) {
                        server_app.c = c;
                        EXPECT_EQ(c->event_sink(), &server_sink);
                      }});
  auto c = pair.stack[0]->Connect(config, Ip("10.0.0.1"), Ip("10.0.0.2"), 80,
                                  &client_app, pair.now);
  ASSERT_TRUE(c.ok()) << c.status();
  client_app.c = *c;
  EXPECT_EQ((*c)->event_sink(), &client_sink);
  pair.Run();
  ASSERT_TRUE(client_app.established);
  // Fully established both ways before the join (a DATA_ACK each way).
  const uint8_t byte = 1;
  ASSERT_EQ((*c)->Write(absl::MakeConstSpan(&byte, 1), pair.now), 1u);
  pair.Run();
  ASSERT_NE(server_app.c, nullptr);
  ASSERT_EQ(server_app.c->Write(absl::MakeConstSpan(&byte, 1), pair.now), 1u);
  pair.Run();
  ASSERT_TRUE(pair.stack[0]->AddSubflow(*c, Ip("10.0.1.1"), Ip("10.0.0.2"), 80,
                                        pair.now));
  pair.Run();
  EXPECT_EQ(client_sink.events,
            (std::vector<std::string>{"established", "join -"}));
  EXPECT_EQ(server_sink.events,
            (std::vector<std::string>{"established", "join 1"}));
}

TEST(StackTest, PlainTcpClientFallsBackAndStrayGetsRst) {
  Pair pair;
  Pair::App client_app, server_app;
  mptcp::MptcpConfig server_config;
  mptcp::MptcpConfig plain;
  plain.enabled = false;
  pair.stack[1]->Listen(
      Ip("10.0.0.2"), 80, server_config,
      Stack::Acceptor{[&](const tcp::TcpEndpoints&) { return &server_app; },
                      [&](mptcp::MptcpConnection* c) { server_app.c = c; }});
  auto c = pair.stack[0]->Connect(plain, Ip("10.0.0.1"), Ip("10.0.0.2"), 80,
                                  &client_app, pair.now);
  ASSERT_TRUE(c.ok());
  client_app.c = *c;
  pair.Run();
  ASSERT_NE(server_app.c, nullptr);
  EXPECT_TRUE(server_app.c->fallback());
  const uint8_t hello[] = {'h', 'i'};
  (*c)->Write(hello, pair.now);
  pair.Run();
  EXPECT_EQ(server_app.got.size(), 2u);
  // Nothing listens on port 81: the SYN is answered with a RST.
  Pair::App other;
  auto d = pair.stack[0]->Connect(plain, Ip("10.0.0.1"), Ip("10.0.0.2"), 81,
                                  &other, pair.now);
  ASSERT_TRUE(d.ok());
  pair.Run();
  EXPECT_EQ(pair.stack[1]->stats().no_connection, 1u);
  EXPECT_TRUE((*d)->closed());
}

TEST(StackTest, KeysAvoidTokensInUse) {
  // The candidates repeat a key: the second connection must skip it.
  std::vector<uint64_t> candidates = {0x1111, 0x1111, 0x2222};
  size_t next = 0;
  StackConfig config;
  config.key_candidates = [&] { return candidates[next++ % 3]; };
  Pair::Out out;
  std::deque<std::vector<uint8_t>> sink;
  out.queue = &sink;
  Stack stack(config, &out);
  Pair::App a, b;
  mptcp::MptcpConfig mc;
  const Time now = TimeFromEpoch(Seconds(1));
  auto first = stack.Connect(mc, Ip("10.0.0.1"), Ip("10.0.0.2"), 80, &a, now);
  auto second = stack.Connect(mc, Ip("10.0.0.1"), Ip("10.0.0.2"), 80, &b, now);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ((*first)->local_key(), 0x1111u);
  EXPECT_EQ((*second)->local_key(), 0x2222u);
  EXPECT_NE((*first)->local_token(), (*second)->local_token());
  EXPECT_TRUE(stack.TokenInUse((*first)->local_token()));
  EXPECT_TRUE(stack.TokenInUse((*second)->local_token()));
}

TEST(StackTest, ConnectionLimitRefuses) {
  StackConfig limited;
  limited.max_connections = 1;
  Pair pair(limited);
  Pair::App apps[3];
  int accepted = 0;
  mptcp::MptcpConfig config;
  pair.stack[1]->Listen(
      Ip("10.0.0.2"), 80, config,
      Stack::Acceptor{[&](const tcp::TcpEndpoints&) { return &apps[2]; },
                      [&](mptcp::MptcpConnection*) { ++accepted; }});
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pair.stack[0]
                    ->Connect(config, Ip("10.0.0.1"), Ip("10.0.0.2"), 80,
                              &apps[i], pair.now)
                    .ok());
  }
  pair.Run();
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(pair.stack[1]->stats().refused, 1u);
}

// Every connection reserves its buffers up front; the budget refuses what
// would go beyond it: a listener answers the SYN with an RST, Connect says
// why, and the connections already open are untouched.
TEST(StackTest, BufferBudgetRefusesConnectionsBeyondIt) {
  mptcp::MptcpConfig config;
  StackConfig limited;
  limited.max_buffer_bytes =
      mptcp::MptcpConnection::ConnectionBufferBytes(config) * 3 / 2;
  Pair pair(limited);
  Pair::App apps[3];
  int accepted = 0;
  pair.stack[1]->Listen(
      Ip("10.0.0.2"), 80, config,
      Stack::Acceptor{[&](const tcp::TcpEndpoints&) { return &apps[2]; },
                      [&](mptcp::MptcpConnection*) { ++accepted; }});
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pair.stack[0]
                    ->Connect(config, Ip("10.0.0.1"), Ip("10.0.0.2"), 80,
                              &apps[i], pair.now)
                    .ok());
  }
  pair.Run();
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(pair.stack[1]->stats().refused_for_memory, 1u);
  EXPECT_EQ(pair.stack[1]->reserved_buffer_bytes(),
            mptcp::MptcpConnection::ConnectionBufferBytes(config));

  // The client side: its own budget, with the error naming it.
  Pair small(StackConfig{});
  StackConfig tiny;
  tiny.max_buffer_bytes = 1000;
  Stack client(tiny, &small.out[0]);
  auto refused = client.Connect(config, Ip("10.0.0.1"), Ip("10.0.0.2"), 80,
                                &apps[0], small.now);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("max_buffer_bytes 1000"),
            std::string::npos)
      << refused.status();
}

// A released connection is freed once its subflows finish closing; one
// never released stays readable (the simulator reads its report).
TEST(StackTest, ReleasedConnectionsAreFreed) {
  Pair pair;
  Pair::App client_app, server_app;
  mptcp::MptcpConfig config;
  mptcp::MptcpConnection* server = nullptr;
  pair.stack[1]->Listen(
      Ip("10.0.0.2"), 80, config,
      Stack::Acceptor{[&](const tcp::TcpEndpoints&) { return &server_app; },
                      [&](mptcp::MptcpConnection* c) {
                        server = c;
                        server_app.c = c;
                      }});
  auto client = pair.stack[0]->Connect(config, Ip("10.0.0.1"), Ip("10.0.0.2"),
                                       80, &client_app, pair.now);
  ASSERT_TRUE(client.ok());
  client_app.c = *client;
  pair.Run();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(pair.stack[0]->Release(*client).code(),
            absl::StatusCode::kFailedPrecondition);  // still open
  (*client)->Close(pair.now);
  server->Close(pair.now);
  pair.Run();
  // Through TIME-WAIT, which Run leaves alone (its timer is far off).
  for (int i = 0; i < 10 && pair.stack[0]->open_connections() > 0; ++i) {
    pair.now = std::max(pair.now, pair.stack[0]->next_deadline());
    pair.stack[0]->OnTimer(pair.now);
    pair.Run();
  }
  ASSERT_TRUE((*client)->closed());
  ASSERT_TRUE(server->closed());
  EXPECT_EQ(pair.stack[0]->open_connections(), 0u);
  EXPECT_EQ(pair.stack[0]->allocated_connections(), 1u);
  ASSERT_TRUE(pair.stack[0]->Release(*client).ok());
  EXPECT_EQ(pair.stack[0]->allocated_connections(), 0u);
  EXPECT_EQ(pair.stack[1]->allocated_connections(), 1u);  // not released
  EXPECT_TRUE(server->closed());
}

}  // namespace
}  // namespace plait::stack
