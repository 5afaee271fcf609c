// The transport stack one host runs, as pure logic: it takes packets and
// time, sends packets through a tcp::TcpOutput and reports its next deadline.
//
// It demultiplexes incoming segments: by 4-tuple to a subflow of one of its
// MPTCP connections; a SYN carrying MP_JOIN by token to its connection
// (tokens are unique per stack: every connection's key source draws keys
// whose token is not in use); other SYNs to the listener of their address
// and port. A listener accepts MPTCP clients (MP_CAPABLE) and plain TCP
// clients (the connection falls back); a listener configured with
// MptcpConfig::enabled = false is a plain TCP listener. A segment for
// nothing is answered with a RST (RFC 9293 3.10.7.1); a SYN beyond the
// connection limit too.
//
// Plain TCP is carried by an MptcpConnection without MPTCP (enabled = false
// or fallen back), which passes bytes straight through its one subflow.
//
// Connections are never destroyed while the stack lives (owners and reports
// keep pointers); once closed with no timer pending they leave the tables,
// which frees their token and 4-tuples.
#ifndef PLAIT_DATAPLANE_STACK_STACK_H_
#define PLAIT_DATAPLANE_STACK_STACK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "dataplane/base/time.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/mptcp/mptcp_events.h"
#include "dataplane/tcp/isn.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/segment.h"

namespace plait::stack {

struct StackConfig {
  // Open (not yet closed) connections at most; more are refused.
  size_t max_connections = 4096;
  // Buffer bytes all connections and subflows may reserve together (each
  // reserves its buffers up front: MptcpConfig and TcpConfig buffer sizes).
  // A connection, or a subflow, that would go beyond it is refused: a SYN
  // gets an RST, an MP_JOIN an RST with MP_TCPRST "lack of resources",
  // Connect an error. 0: no limit.
  size_t max_buffer_bytes = size_t{1} << 30;
  // Seeds the ISN secret and the MPTCP keys: the same seed gives the same
  // packets (the simulator is deterministic).
  uint64_t seed = 1;
  // Draws candidate MPTCP keys instead of the seeded generator (tests).
  std::function<uint64_t()> key_candidates;
  // Hears the events of every connection the stack creates (Connect and
  // accepted ones), set before their first packet; null: none. It must
  // outlive the stack. An Acceptor's on_created may replace it for one
  // connection (MptcpConnection::set_event_sink).
  mptcp::MptcpEventSink* event_sink = nullptr;
};

class Stack : private mptcp::SubflowOpener {
 public:
  struct Stats {
    uint64_t segments = 0;
    uint64_t bad_checksum = 0;
    uint64_t malformed = 0;
    uint64_t no_connection = 0;  // answered with RST
    uint64_t refused = 0;        // over the connection limit, or no owner
    uint64_t joins = 0;          // MP_JOIN subflows accepted
    // MP_JOIN SYNs answered with RST + MP_TCPRST (also counted in
    // `refused`): naming no token of this stack (forged or stale), or
    // refused by their connection (limits, closing). A join whose HMAC is
    // wrong passes this point and is counted by its connection
    // (MptcpStats::joins_refused on the server, subflow_resets).
    uint64_t joins_unknown_token = 0;
    uint64_t joins_refused = 0;
    // Connections and subflows refused by max_buffer_bytes (also counted
    // in `refused`).
    uint64_t refused_for_memory = 0;
  };
  // Gives the owner for a connection a listener accepts; a null owner
  // refuses it. `on_created` gets the new connection before its SYN/ACK.
  struct Acceptor {
    absl::AnyInvocable<mptcp::MptcpOwner*(const tcp::TcpEndpoints&)> owner_for;
    absl::AnyInvocable<void(mptcp::MptcpConnection*)> on_created;
  };

  // `output` must outlive the stack.
  Stack(const StackConfig& config, tcp::TcpOutput* output);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  void Listen(const wire::IpAddress& address, uint16_t port,
              const mptcp::MptcpConfig& config, Acceptor acceptor);
  // Opens a connection from `local` (an ephemeral port); sends the SYN.
  absl::StatusOr<mptcp::MptcpConnection*> Connect(
      const mptcp::MptcpConfig& config, const wire::IpAddress& local,
      const wire::IpAddress& remote, uint16_t remote_port,
      mptcp::MptcpOwner* owner, Time now);
  // Opens an MP_JOIN subflow of `connection` from `local` (an ephemeral
  // port), a backup one if `backup`. False if the connection cannot add one.
  bool AddSubflow(mptcp::MptcpConnection* connection,
                  const wire::IpAddress& local, const wire::IpAddress& remote,
                  uint16_t remote_port, Time now, bool backup = false);
  bool AddSubflow(mptcp::MptcpConnection* connection,
                  const wire::IpAddress& local, uint16_t local_port,
                  const wire::IpAddress& remote, uint16_t remote_port, Time now,
                  const mptcp::JoinOptions& join);
  // A local address (or interface) went away / came back: every open
  // connection's path manager hears it.
  void OnLocalPathDown(const pm::LocalPath& path, Time now);
  void OnLocalPathUp(const pm::LocalPath& path, Time now);

  // A packet (IP header first) arrived.
  void OnPacket(absl::Span<const uint8_t> packet, Time now);
  // A parsed segment with a valid checksum arrived.
  void OnSegment(const wire::Segment& segment, Time now);
  // Call when now >= next_deadline().
  void OnTimer(Time now);
  Time next_deadline() const;

  bool TokenInUse(uint32_t token) const { return by_token_.contains(token); }
  size_t open_connections() const { return live_.size(); }
  // Connection objects in memory: the open ones, and closed ones not yet
  // released (or still finishing their subflows' closing handshakes).
  size_t allocated_connections() const { return connections_.size(); }
  // What the open connections have reserved (see max_buffer_bytes).
  size_t reserved_buffer_bytes() const;

  // The owner is done with a closed connection (after OnClosed: it makes no
  // more callbacks): the stack frees it once its subflows have finished
  // closing. Connections never released stay in memory until the stack is
  // destroyed, so that a holder (the simulator's report) can still read
  // them. FailedPrecondition if `connection` is not closed or not ours.
  absl::Status Release(const mptcp::MptcpConnection* connection);
  const Stats& stats() const { return stats_; }

 private:
  using Key = std::tuple<wire::IpAddress, uint16_t, wire::IpAddress, uint16_t>;
  struct Listener {
    mptcp::MptcpConfig config;
    Acceptor acceptor;
  };

  mptcp::MptcpConfig Prepare(const mptcp::MptcpConfig& config);
  // mptcp::SubflowOpener: the path managers' subflows.
  // Whether `bytes` more buffer bytes fit in max_buffer_bytes.
  bool BufferBudgetAllows(size_t bytes) const;
  void Free(const mptcp::MptcpConnection* connection);
  void ForgetSubflow(mptcp::MptcpConnection* connection,
                     const tcp::TcpEndpoints& ends) override;
  bool OpenSubflow(mptcp::MptcpConnection* connection,
                   const pm::OpenSubflowAction& action, Time now) override;
  uint64_t NextKey();
  uint16_t EphemeralPort(const wire::IpAddress& local,
                         const wire::IpAddress& remote, uint16_t remote_port);
  uint32_t Isn(const tcp::TcpEndpoints& ends, Time now);
  void Register(mptcp::MptcpConnection* connection);
  // Drops closed connections with nothing pending from the tables.
  void Sweep();
  void SendReset(const wire::Segment& segment);

  StackConfig config_;
  tcp::TcpOutput* output_;
  tcp::IsnGenerator isn_;
  uint64_t key_state_;
  std::vector<std::unique_ptr<mptcp::MptcpConnection>> connections_;
  std::vector<mptcp::MptcpConnection*> live_;
  absl::flat_hash_map<Key, mptcp::MptcpConnection*> by_tuple_;
  absl::flat_hash_map<mptcp::MptcpConnection*, std::vector<Key>> tuples_of_;
  absl::flat_hash_map<uint32_t, mptcp::MptcpConnection*> by_token_;
  absl::flat_hash_set<const mptcp::MptcpConnection*> released_;
  absl::flat_hash_map<std::pair<wire::IpAddress, uint16_t>, Listener>
      listeners_;
  uint16_t next_port_ = 49152;
  Stats stats_;
};

}  // namespace plait::stack

#endif  // PLAIT_DATAPLANE_STACK_STACK_H_
