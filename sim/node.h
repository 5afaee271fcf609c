// Network nodes: end hosts and routers.
//
// A Host is where a protocol endpoint (a TCP flow, an MPTCP connection)
// attaches to the network: the endpoint calls Host::Send with whole IP
// packets and gets the packets addressed to the host through its handler. A
// multi-homed host has one outgoing link per local address, so each subflow
// leaves by the path of its source address.
//
// A Router forwards by longest-prefix match on the destination address. A
// shared bottleneck is: hosts -> access links -> router -> one link ->
// router -> access links -> hosts (see node_test.cc). Routers do not
// decrement the TTL (so they never touch a packet's bytes or checksums).
#ifndef PLAIT_SIM_NODE_H_
#define PLAIT_SIM_NODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "dataplane/wire/ip_address.h"
#include "sim/packet.h"

namespace plait::sim {

class Host : public PacketSink {
 public:
  using Handler = absl::AnyInvocable<void(Packet)>;

  struct Stats {
    uint64_t sent = 0;          // handed to an outgoing link
    uint64_t unroutable = 0;    // Send with no link for the source address
    uint64_t received = 0;      // passed to the handler
    uint64_t misdelivered = 0;  // destination not one of our addresses
    uint64_t malformed = 0;     // not an IPv4/IPv6 packet (either way)
  };

  explicit Host(std::vector<wire::IpAddress> addresses = {});
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  void AddAddress(const wire::IpAddress& address);
  bool HasAddress(const wire::IpAddress& address) const;
  const std::vector<wire::IpAddress>& addresses() const { return addresses_; }

  // Packets whose source is `local` leave through `link` (not owned).
  // Adds `local` to the host's addresses if it is not one already.
  void SetLink(const wire::IpAddress& local, PacketSink* link);
  // Packets whose source has no link of its own leave through `link`.
  void SetDefaultLink(PacketSink* link);

  // Receives the packets addressed to this host. Without a handler they are
  // counted as received and discarded.
  void SetHandler(Handler handler) { handler_ = std::move(handler); }

  // Sends a whole IP packet from this host (at the simulator's current time).
  void Send(Packet packet);

  // From the network: packets for one of our addresses go to the handler,
  // others are counted as misdelivered and discarded.
  void Receive(Packet packet) override;

  const Stats& stats() const { return stats_; }

 private:
  std::vector<wire::IpAddress> addresses_;
  absl::flat_hash_map<wire::IpAddress, PacketSink*> links_;  // Not owned.
  PacketSink* default_link_ = nullptr;                       // Not owned.
  Handler handler_;
  Stats stats_;
};

class Router : public PacketSink {
 public:
  struct Stats {
    uint64_t forwarded = 0;
    uint64_t unroutable = 0;  // no route, or not an IP packet
  };

  // Packets to `prefix`/`prefix_length` go to `next` (not owned). Bits of
  // `prefix` beyond the length are ignored. A route for a prefix that is
  // already routed replaces it. Errors: a length above 32 (IPv4) or 128.
  absl::Status AddRoute(const wire::IpAddress& prefix, int prefix_length,
                        PacketSink* next);

  // The sink for `destination` by longest-prefix match; nullptr if none.
  PacketSink* Lookup(const wire::IpAddress& destination) const;

  void Receive(Packet packet) override;

  const Stats& stats() const { return stats_; }

 private:
  struct Route {
    wire::IpAddress prefix;  // masked to prefix_length
    int prefix_length;
    PacketSink* next;
  };
  std::vector<Route> routes_;
  Stats stats_;
};

// True if the first `prefix_length` bits of `address` and `prefix` agree
// (and they are of the same family).
bool PrefixMatches(const wire::IpAddress& prefix, int prefix_length,
                   const wire::IpAddress& address);

}  // namespace plait::sim

#endif  // PLAIT_SIM_NODE_H_
