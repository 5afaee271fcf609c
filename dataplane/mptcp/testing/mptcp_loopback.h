// A deterministic harness for MptcpConnection tests: two hosts joined by one
// or more paths (each a fixed-delay wire between its own pair of addresses)
// on a virtual clock. A test can drop chosen packets, take a path down, and
// see every packet. Host 0 is the client, host 1 the server; the server's
// connection is created by the first SYN, and SYNs with MP_JOIN go through
// MptcpConnection::HandleJoinSyn with a token lookup.
#ifndef PLAIT_DATAPLANE_MPTCP_TESTING_MPTCP_LOOPBACK_H_
#define PLAIT_DATAPLANE_MPTCP_TESTING_MPTCP_LOOPBACK_H_

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/tcp_header.h"
#include "gtest/gtest.h"

namespace plait::mptcp::mptcp_testing {

// The application on one host: reads everything, records events.
class RecordingApp : public MptcpOwner {
 public:
  void OnEstablished(Time) override { established = true; }
  void OnReadable(Time now) override {
    uint8_t buffer[65536];
    size_t n;
    while ((n = connection->Read(buffer, now)) > 0) {
      received.insert(received.end(), buffer, buffer + n);
    }
    if (connection->AtEndOfStream()) end_of_stream = true;
  }
  void OnWritable(Time) override { ++writable_events; }
  void OnClosed(Time, MptcpCloseReason reason) override {
    closed = true;
    close_reason = reason;
  }

  MptcpConnection* connection = nullptr;
  bool established = false;
  bool end_of_stream = false;
  bool closed = false;
  MptcpCloseReason close_reason = MptcpCloseReason::kNormal;
  int writable_events = 0;
  std::vector<uint8_t> received;
};

class MptcpLoopback {
 public:
  struct Path {
    wire::IpAddress client;
    wire::IpAddress server;
    Duration delay;
    bool down = false;
  };
  struct Packet {
    int from = 0;
    int path = 0;
    std::vector<uint8_t> bytes;
  };

  MptcpLoopback(MptcpConfig client_config, MptcpConfig server_config,
                std::vector<Duration> path_delays = {Milliseconds(10)})
      : server_config_(server_config) {
    for (size_t i = 0; i < path_delays.size(); ++i) {
      const std::string n = std::to_string(i + 1);
      paths.push_back({*wire::IpAddress::Parse("10.0." + n + ".1"),
                       *wire::IpAddress::Parse("10.1." + n + ".2"),
                       path_delays[i]});
    }
    for (int i = 0; i < 2; ++i) {
      outputs_[i].loop = this;
      outputs_[i].host = i;
    }
    opener_.loop = this;
    if (!client_config.key_source) {
      client_config.key_source = [] { return uint64_t{0x0123456789abcdef}; };
    }
    if (!server_config_.key_source) {
      server_config_.key_source = [] { return uint64_t{0xfedcba9876543210}; };
    }
    client = std::make_unique<MptcpConnection>(client_config, &apps[0],
                                               &outputs_[0]);
    apps[0].connection = client.get();
    client->set_subflow_opener(&opener_);
  }

  void Connect() {
    if (event_sinks[0] != nullptr) client->set_event_sink(event_sinks[0]);
    client->Connect(Endpoints(0, 0), 1000, now);
  }
  tcp::TcpEndpoints Endpoints(int path, uint16_t port_offset) const {
    return {paths[path].client, static_cast<uint16_t>(40000 + port_offset),
            paths[path].server, 80};
  }
  bool Join(int path) {
    return client->AddSubflow(Endpoints(path, static_cast<uint16_t>(path)),
                              5000u * static_cast<uint32_t>(path + 1), now);
  }

  // Returns false to drop the packet.
  std::function<bool(const Packet&, const wire::Segment&)> filter;
  // May rewrite a packet (from host `from`) before it goes on the wire; the
  // TCP checksum must be fixed by the hook.
  std::function<void(int from, std::vector<uint8_t>& bytes)> mutate;
  // Event sinks of the client (set by Connect) and of the server (set
  // before its first SYN is accepted).
  MptcpEventSink* event_sinks[2] = {nullptr, nullptr};
  // Every packet sent, in order (when `record` is set).
  bool record = false;
  std::vector<Packet> log;

  bool RunUntil(const std::function<bool()>& done, Duration limit) {
    const Time deadline = now + limit;
    int same_time = 0;
    while (!done()) {
      Time next = deadline;
      if (!wire_.empty()) next = std::min(next, wire_.front().at);
      for (int i = 0; i < 2; ++i) {
        if (MptcpConnection* c = host(i)) {
          next = std::min(next, c->next_deadline());
        }
      }
      if (next >= deadline) {
        now = deadline;
        return done();
      }
      same_time = next <= now ? same_time + 1 : 0;
      if (same_time > 100000) {
        ADD_FAILURE() << "event storm";
        return false;
      }
      now = std::max(now, next);
      if (!wire_.empty() && wire_.front().at <= now) {
        InFlight d = std::move(wire_.front());
        wire_.pop_front();
        Deliver(d.packet);
        continue;
      }
      for (int i = 0; i < 2; ++i) {
        MptcpConnection* c = host(i);
        if (c != nullptr && c->next_deadline() <= now) c->OnTimer(now);
      }
    }
    return true;
  }

  // Writes `data` from host `from` as fast as the connection takes it.
  bool Send(int from, const std::vector<uint8_t>& data, Duration limit) {
    size_t offset = 0;
    return RunUntil(
        [&] {
          MptcpConnection* c = host(from);
          if (c != nullptr && offset < data.size()) {
            offset += c->Write(absl::MakeConstSpan(data).subspan(offset), now);
          }
          return offset == data.size();
        },
        limit);
  }

  MptcpConnection* host(int i) { return i == 0 ? client.get() : server.get(); }

  Time now = Time();
  std::vector<Path> paths;
  RecordingApp apps[2];
  std::unique_ptr<MptcpConnection> client;
  std::unique_ptr<MptcpConnection> server;
  int joins_refused = 0;
  int unmatched = 0;

 private:
  struct Output : public tcp::TcpOutput {
    MptcpLoopback* loop = nullptr;
    int host = 0;
    void SendPacket(absl::Span<const uint8_t> packet) override {
      loop->Transmit(host, packet);
    }
  };
  struct InFlight {
    Time at;
    Packet packet;
  };
  // Opens the subflows path managers ask for, from ports 41000 up. An
  // address that is on no path cannot be used.
  struct Opener : public SubflowOpener {
    MptcpLoopback* loop = nullptr;
    uint16_t next_port = 41000;
    bool OpenSubflow(MptcpConnection* connection,
                     const pm::OpenSubflowAction& action, Time now) override {
      bool known = false;
      for (const Path& p : loop->paths) {
        known = known || p.client == action.local || p.server == action.local;
      }
      if (!known) return false;
      const uint16_t port =
          action.local_port != 0 ? action.local_port : next_port++;
      return connection->AddSubflow(
          tcp::TcpEndpoints{action.local, port, action.remote,
                            action.remote_port},
          9000u * port, now,
          JoinOptions{.backup = action.backup,
                      .local_address_id = action.local_id,
                      .remote_address_id = action.remote_id,
                      .pm_id = action.id});
    }
  };

  Opener opener_;

  int PathOf(int from, const wire::Segment& s) const {
    for (size_t i = 0; i < paths.size(); ++i) {
      if ((from == 0 ? paths[i].client : paths[i].server) == s.ip.src) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }

  void Transmit(int from, absl::Span<const uint8_t> original) {
    std::vector<uint8_t> copy(original.begin(), original.end());
    if (mutate) mutate(from, copy);
    const absl::Span<const uint8_t> bytes = copy;
    auto segment = wire::ParseSegment(bytes);
    EXPECT_TRUE(segment.ok()) << segment.status();
    if (!segment.ok()) return;
    EXPECT_TRUE(segment->checksum_valid);
    EXPECT_EQ(segment->mptcp_error_count, 0);
    const int path = PathOf(from, *segment);
    EXPECT_GE(path, 0);
    if (path < 0) return;
    Packet packet{from, path, std::vector<uint8_t>(bytes.begin(), bytes.end())};
    if (record) log.push_back(packet);
    if (paths[path].down) return;
    if (filter && !filter(packet, *segment)) return;
    // Packets on a path keep their order (a FIFO per wire and delay).
    const Time at = now + paths[path].delay;
    auto it =
        std::upper_bound(wire_.begin(), wire_.end(), at,
                         [](Time t, const InFlight& f) { return t < f.at; });
    wire_.insert(it, InFlight{at, std::move(packet)});
  }

  void Deliver(const Packet& packet) {
    auto segment = wire::ParseSegment(packet.bytes);
    ASSERT_TRUE(segment.ok());
    const int to = 1 - packet.from;
    const bool syn = segment->tcp.has(wire::TcpHeader::kSyn) &&
                     !segment->tcp.has(wire::TcpHeader::kAck);
    if (MptcpConnection* c = host(to);
        c != nullptr && c->OnSegment(*segment, now)) {
      return;
    }
    if (to == 1 && syn) {
      const tcp::TcpEndpoints endpoints{segment->ip.dst, segment->tcp.dst_port,
                                        segment->ip.src, segment->tcp.src_port};
      bool is_join = false;
      for (const auto& o : segment->mptcp_options()) {
        if (std::holds_alternative<wire::MpJoinSyn>(o)) is_join = true;
      }
      if (is_join) {
        if (!MptcpConnection::HandleJoinSyn(
                *segment, 0x7000000u + static_cast<uint32_t>(packet.path), now,
                [&](uint32_t token) -> MptcpConnection* {
                  return server && server->local_token() == token ? server.get()
                                                                  : nullptr;
                },
                &outputs_[1])) {
          ++joins_refused;
        }
        return;
      }
      if (!server) {
        server = std::make_unique<MptcpConnection>(server_config_, &apps[1],
                                                   &outputs_[1]);
        apps[1].connection = server.get();
        server->set_subflow_opener(&opener_);
        server->set_event_sink(event_sinks[1]);
        server->AcceptSyn(endpoints, 0xfffff000u, *segment, now);
        return;
      }
    }
    ++unmatched;
  }

  MptcpConfig server_config_;
  Output outputs_[2];
  std::deque<InFlight> wire_;
};

inline std::vector<uint8_t> Pattern(size_t n, uint32_t seed = 12345) {
  std::vector<uint8_t> data(n);
  uint32_t x = seed;
  for (auto& b : data) {
    x = x * 1103515245 + 12345;
    b = static_cast<uint8_t>(x >> 16);
  }
  return data;
}

}  // namespace plait::mptcp::mptcp_testing

#endif  // PLAIT_DATAPLANE_MPTCP_TESTING_MPTCP_LOOPBACK_H_
