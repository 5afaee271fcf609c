// A deterministic two-endpoint harness for TcpConnection tests: a
// fixed-delay wire on a virtual clock, on which a test can drop chosen
// packets, and owners that read everything and record events.
#ifndef PLAIT_DATAPLANE_TCP_TESTING_LOOPBACK_H_
#define PLAIT_DATAPLANE_TCP_TESTING_LOOPBACK_H_

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "dataplane/cc/registry.h"
#include "dataplane/tcp/tcp_connection.h"
#include "gtest/gtest.h"

namespace plait::tcp::tcp_testing {

using wire::TcpHeader;

// Called with true when the harness enters the engine (a segment, a timer,
// an application write) and false when it leaves, so that a test can tell
// the engine's own work from the harness's (allocation counting).
inline void (*engine_call_hook)(bool entering) = nullptr;

class EngineCall {
 public:
  EngineCall() { if (engine_call_hook) engine_call_hook(true); }
  ~EngineCall() { if (engine_call_hook) engine_call_hook(false); }
};

// Inside an engine call, the harness's own work (copying a packet onto its
// wire) is not the engine's.
class HarnessWork {
 public:
  HarnessWork() { if (engine_call_hook) engine_call_hook(false); }
  ~HarnessWork() { if (engine_call_hook) engine_call_hook(true); }
};

// The application side of one endpoint: reads everything, remembers events.
class RecordingOwner : public TcpOwner {
 public:
  void OnEstablished(Time now) override { established = true; }
  void OnReadable(Time now) override {
    if (!read_automatically) return;
    ReadAll(now);
  }
  void ReadAll(Time now) {
    uint8_t buffer[65536];
    size_t n;
    while ((n = connection->Read(buffer, now)) > 0) {
      HarnessWork harness_work;  // the application's copy, not the engine's
      received.insert(received.end(), buffer, buffer + n);
    }
  }
  void OnWritable(Time now) override { ++writable_events; }
  void OnClosed(Time now, CloseReason reason) override {
    closed = true;
    close_reason = reason;
  }
  void OnLoss(uint64_t, uint64_t, bool timeout, Time) override {
    ++(timeout ? timeout_losses : fast_losses);
  }

  TcpConnection* connection = nullptr;
  bool read_automatically = true;
  bool established = false;
  bool closed = false;
  CloseReason close_reason = CloseReason::kNormal;
  int writable_events = 0;
  int fast_losses = 0;
  int timeout_losses = 0;
  std::vector<uint8_t> received;
};

// Two endpoints joined by a fixed-delay, infinitely fast wire on which a
// test can drop or alter chosen packets. Everything runs on a virtual clock.
class Loopback {
 public:
  struct Side : public TcpOutput {
    Loopback* loop = nullptr;
    int index = 0;
    void SendPacket(absl::Span<const uint8_t> packet) override {
      loop->Transmit(index, packet);
    }
  };

  explicit Loopback(TcpConfig client_config = TcpConfig(),
                    TcpConfig server_config = TcpConfig(),
                    Duration one_way_delay = Milliseconds(10))
      : delay_(one_way_delay) {
    const TcpEndpoints a{*wire::IpAddress::Parse("10.0.0.1"), 40000,
                         *wire::IpAddress::Parse("10.0.0.2"), 80};
    const TcpEndpoints b{a.remote, a.remote_port, a.local, a.local_port};
    for (int i = 0; i < 2; ++i) {
      sides_[i].loop = this;
      sides_[i].index = i;
    }
    client = std::make_unique<TcpConnection>(
        client_config, a, 1000, Cc(client_config), &owners[0], &sides_[0]);
    server = std::make_unique<TcpConnection>(
        server_config, b, 0xfffff000u,  // wraps during long transfers
        Cc(server_config), &owners[1], &sides_[1]);
    owners[0].connection = client.get();
    owners[1].connection = server.get();
  }

  static std::unique_ptr<cc::CongestionControl> Cc(const TcpConfig& config) {
    return *cc::CreateCongestionControl(config.congestion_control,
                                        config.mss);
  }

  // Returns false to drop the packet (from side `from`).
  std::function<bool(int from, const wire::Segment&)> filter;

  void Transmit(int from, absl::Span<const uint8_t> packet) {
    HarnessWork harness_work;
    ++sent_packets[from];
    auto segment = wire::ParseSegment(packet);
    EXPECT_TRUE(segment.ok()) << segment.status();
    if (!segment.ok()) return;
    EXPECT_TRUE(segment->checksum_valid);
    if (filter && !filter(from, *segment)) {
      ++dropped[from];
      return;
    }
    in_flight_.push_back(
        {now + delay_, 1 - from, std::vector<uint8_t>(packet.begin(), packet.end())});
  }

  TcpConnection& endpoint(int i) { return i == 0 ? *client : *server; }

  // Runs until `done` or the deadline; returns whether `done` held.
  bool RunUntil(const std::function<bool()>& done, Duration limit) {
    const Time deadline = now + limit;
    while (!done()) {
      Time next = deadline;
      if (!in_flight_.empty()) next = std::min(next, in_flight_.front().at);
      for (int i = 0; i < 2; ++i) {
        next = std::min(next, endpoint(i).next_deadline());
      }
      if (next >= deadline) {
        now = deadline;
        return done();
      }
      // A timer that fires without moving its deadline would spin here
      // forever: fail instead.
      same_time_events_ = next <= now ? same_time_events_ + 1 : 0;
      if (same_time_events_ > 100000) {
        ADD_FAILURE() << "event storm at t=" << SinceEpoch(now).count();
        return false;
      }
      now = std::max(now, next);
      if (!in_flight_.empty() && in_flight_.front().at <= now) {
        Delivery d = std::move(in_flight_.front());
        in_flight_.pop_front();
        Deliver(d.to, d.bytes);
        continue;
      }
      for (int i = 0; i < 2; ++i) {
        if (endpoint(i).next_deadline() <= now) {
          EngineCall call;
          endpoint(i).OnTimer(now);
        }
      }
    }
    return true;
  }

  void Deliver(int to, const std::vector<uint8_t>& bytes) {
    auto segment = wire::ParseSegment(bytes);
    ASSERT_TRUE(segment.ok());
    TcpConnection& c = endpoint(to);
    EngineCall call;
    if (to == 1 && c.state() == TcpState::kClosed && !server_started_ &&
        segment->tcp.has(TcpHeader::kSyn) && !segment->tcp.has(TcpHeader::kAck)) {
      server_started_ = true;
      c.AcceptSyn(*segment, now);
      return;
    }
    c.OnSegment(*segment, now);
  }

  // Writes `data` from side `from` as fast as the send buffer takes it.
  bool Send(int from, const std::vector<uint8_t>& data, Duration limit) {
    size_t offset = 0;
    TcpConnection& c = endpoint(from);
    return RunUntil(
        [&] {
          if (offset < data.size()) {
            EngineCall call;
            offset += c.Write(absl::MakeConstSpan(data).subspan(offset), now);
          }
          return offset == data.size();
        },
        limit);
  }

  Time now = Time();
  RecordingOwner owners[2];
  std::unique_ptr<TcpConnection> client;
  std::unique_ptr<TcpConnection> server;
  int sent_packets[2] = {0, 0};
  int dropped[2] = {0, 0};

 private:
  struct Delivery {
    Time at;
    int to;
    std::vector<uint8_t> bytes;
  };
  Duration delay_;
  Side sides_[2];
  std::deque<Delivery> in_flight_;
  bool server_started_ = false;
  int same_time_events_ = 0;
};

inline std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> data(n);
  uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245 + 12345;
    b = static_cast<uint8_t>(x >> 16);
  }
  return data;
}

inline bool Established(Loopback& loop) {
  return loop.client->state() == TcpState::kEstablished &&
         loop.server->state() == TcpState::kEstablished;
}

}  // namespace plait::tcp::tcp_testing

#endif  // PLAIT_DATAPLANE_TCP_TESTING_LOOPBACK_H_
