// TCP for a simulated host: its plain TCP connections by 4-tuple, its plain
// TCP listeners, and their timers on the simulator's clock; and the host's
// MPTCP stack (dataplane/stack), which gets every segment no plain TCP
// connection or listener takes, and answers segments for nothing with a RST
// (RFC 9293 3.10.7.1). Segments with a bad checksum are dropped and counted.
#ifndef PLAIT_SIM_TCP_HOST_H_
#define PLAIT_SIM_TCP_HOST_H_

#include <cstdint>
#include <memory>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "dataplane/stack/stack.h"
#include "dataplane/tcp/isn.h"
#include "dataplane/tcp/tcp_connection.h"
#include "sim/node.h"
#include "sim/simulator.h"

namespace plait::sim {

class TcpHost {
 public:
  struct Stats {
    uint64_t segments = 0;
    uint64_t bad_checksum = 0;
    uint64_t malformed = 0;
    uint64_t no_connection = 0;  // answered with RST
  };
  // Gives the owner for a connection a listener accepts; called before the
  // connection exists, which is then passed to `on_created`. A null owner
  // refuses the connection (with a RST).
  struct Acceptor {
    absl::AnyInvocable<tcp::TcpOwner*(const tcp::TcpEndpoints&)> owner_for;
    absl::AnyInvocable<void(tcp::TcpConnection*)> on_created;
  };

  // `sim` and `host` must outlive this. The host's packets are handed here.
  TcpHost(Simulator* sim, Host* host, uint64_t seed);
  TcpHost(const TcpHost&) = delete;
  TcpHost& operator=(const TcpHost&) = delete;

  void Listen(const wire::IpAddress& address, uint16_t port,
              const tcp::TcpConfig& config, Acceptor acceptor);
  // Opens a connection from `local` (an ephemeral port) and sends the SYN.
  absl::StatusOr<tcp::TcpConnection*> Connect(const tcp::TcpConfig& config,
                                              const wire::IpAddress& local,
                                              const wire::IpAddress& remote,
                                              uint16_t remote_port,
                                              tcp::TcpOwner* owner);
  // Re-arms a connection's timer; call after acting on it from outside a
  // packet or timer event (the application writing, closing, aborting).
  void Poke(tcp::TcpConnection* connection);

  // The host's MPTCP stack; call PokeStack after acting on it (or on one of
  // its connections) from outside a packet or timer event.
  stack::Stack& mptcp_stack() { return *stack_; }
  void PokeStack();

  // Includes the MPTCP stack's counts.
  Stats stats() const;

 private:
  using Key = std::tuple<wire::IpAddress, uint16_t, wire::IpAddress, uint16_t>;
  struct Output : public tcp::TcpOutput {
    TcpHost* host;
    void SendPacket(absl::Span<const uint8_t> packet) override;
  };
  struct Entry {
    std::unique_ptr<tcp::TcpConnection> connection;
    EventId timer = kNoEvent;
    Time timer_at = kNever;
  };
  struct Listener {
    tcp::TcpConfig config;
    Acceptor acceptor;
  };

  void OnPacket(Packet packet);
  void SendReset(const wire::Segment& segment);
  Entry* Create(const tcp::TcpConfig& config, const tcp::TcpEndpoints& ends,
                tcp::TcpOwner* owner);
  void Rearm(Entry& entry);

  Simulator* sim_;
  Host* host_;
  Output output_;
  tcp::IsnGenerator isn_;
  absl::flat_hash_map<Key, Entry*> by_tuple_;
  absl::flat_hash_map<std::pair<wire::IpAddress, uint16_t>, Listener>
      listeners_;
  std::vector<std::unique_ptr<Entry>> entries_;  // kept for reports
  absl::flat_hash_map<const tcp::TcpConnection*, Entry*> by_connection_;
  uint16_t next_port_ = 49152;
  Stats stats_;
  std::unique_ptr<stack::Stack> stack_;
  EventId stack_timer_ = kNoEvent;
  Time stack_timer_at_ = kNever;
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_TCP_HOST_H_
