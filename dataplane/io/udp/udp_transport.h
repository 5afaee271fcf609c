// The UDP packet I/O of plaitd: one UdpPathSocket per local path address,
// the core's tcp::TcpOutput on one side and a packet callback on the other.
//
// Sending: the inner source address picks the path socket; the inner
// destination is looked up in the peer table (inner address -> outer UDP
// endpoint). Receiving: every datagram is validated (header, inner IP
// header, inner destination = the receiving path's address, inner source
// known and coming from its mapped outer endpoint) before the callback sees
// the inner packet; every drop is counted by reason.
//
// No event loop here: a loop polls fd(i) for reading (and for writing while
// WantsWritable(i)), calls OnReadable(i), and calls Flush() after each round
// of work, which sends everything the core queued with one sendmmsg per
// path. Single-threaded: call everything from the loop's thread.
#ifndef PLAIT_DATAPLANE_IO_UDP_UDP_TRANSPORT_H_
#define PLAIT_DATAPLANE_IO_UDP_UDP_TRANSPORT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/io/udp/encapsulation.h"
#include "dataplane/io/udp/udp_endpoint.h"
#include "dataplane/io/udp/udp_path_socket.h"
#include "dataplane/tcp/tcp_owner.h"
#include "dataplane/wire/ip_address.h"

namespace plait::io::udp {

// How the peer table grows from received datagrams (docs/udp-encapsulation.md,
// "Peer table and security"). Learnt entries never replace an entry, and a
// configured entry is never replaced by learning.
enum class PeerLearning : uint8_t {
  // Only configured peers: a datagram whose inner source is not in the table
  // is dropped. For fixed fleets; the safest.
  kOff,
  // Learn an inner source only when it equals the datagram's outer source
  // address (no NAT): forging one takes spoofing that source address, the
  // same as attacking plain TCP over IP.
  kSameAddress,
  // Learn any inner source from any outer endpoint (crosses NAT): the first
  // datagram claiming an inner address owns it until forgotten, so anyone
  // who can reach the socket first can take an unused inner address.
  kAny,
};

struct UdpTransportConfig {
  // Limits of receive_batch and receive_buffer_bytes (Create refuses more,
  // so their product cannot overflow): recvmmsg takes at most 1024
  // (UIO_MAXIOV) messages a call, and no UDP payload reaches 65535 bytes.
  static constexpr size_t kMaxReceiveBatch = 1024;
  static constexpr size_t kMaxReceiveBufferBytes = 65535 + 64;

  struct Path {
    wire::IpAddress inner;  // the path address the stack uses
    UdpEndpoint bind;       // the real socket; usually {inner, kDefaultPort}
  };
  struct Peer {
    wire::IpAddress inner;
    UdpEndpoint outer;
  };
  std::vector<Path> paths;
  std::vector<Peer> peers;
  PeerLearning learning = PeerLearning::kOff;
  // Learnt entries at most: a flood of forged sources cannot grow the table.
  size_t max_learned_peers = 256;
  // Datagrams per receive batch (at most kMaxReceiveBatch), and bytes per
  // datagram buffer (at most kMaxReceiveBufferBytes): bigger datagrams are
  // dropped as truncated. 4096 fits any inner packet of a 1500-byte path;
  // raise it for jumbo frames. A batch larger than socket.batch is received
  // in several recvmmsg calls.
  size_t receive_batch = 32;
  size_t receive_buffer_bytes = 4096;
  UdpPathSocket::Options socket;
};

class UdpTransport : public tcp::TcpOutput {
 public:
  // Gets each valid inner IP packet; the bytes live only during the call.
  // It may call SendPacket (the stack answering), not OnReadable.
  using PacketHandler =
      absl::AnyInvocable<void(absl::Span<const uint8_t> ip_packet)>;

  struct Stats {
    uint64_t delivered = 0;
    // Received datagrams dropped, indexed by DropReason.
    std::array<uint64_t, kDropReasonCount> dropped{};
    uint64_t learned = 0;
    // Outgoing packets dropped before reaching a socket queue.
    uint64_t send_malformed = 0;        // not a whole IP packet
    uint64_t send_no_path = 0;          // inner source is no path address
    uint64_t send_no_peer = 0;          // inner destination not in the table
    uint64_t send_family_mismatch = 0;  // peer's outer family != socket's
    uint64_t send_queue_drops = 0;      // the path socket refused it
    uint64_t queued = 0;

    uint64_t dropped_for(DropReason reason) const {
      return dropped[static_cast<size_t>(reason)];
    }
  };

  // Opens every path's socket. Errors: no path, a path given twice, a bind
  // address whose family differs from its inner address', socket errors.
  static absl::StatusOr<std::unique_ptr<UdpTransport>> Create(
      const UdpTransportConfig& config, PacketHandler handler);

  size_t path_count() const { return paths_.size(); }
  int fd(size_t path) const { return paths_[path].socket->fd(); }
  const UdpPathSocket& socket(size_t path) const {
    return *paths_[path].socket;
  }
  const wire::IpAddress& inner_address(size_t path) const {
    return paths_[path].inner;
  }

  // tcp::TcpOutput: queues the packet on its path socket; Flush() sends.
  void SendPacket(absl::Span<const uint8_t> ip_packet) override;

  // Receives and handles what waits on `path`'s socket, at most
  // `max_batches` batches so that one busy path does not starve the others.
  // Returns the datagrams received; errors are the socket's (recvmmsg).
  absl::StatusOr<size_t> OnReadable(size_t path, size_t max_batches = 16);
  // Sends every queued datagram it can; the first socket error, if any
  // (every path is tried, a blocked one with a single sendmmsg).
  absl::Status Flush();
  // The last send of `path` stopped at EAGAIN: poll for writability. While
  // it is, SendPacket only queues (or drops on a full queue) instead of
  // retrying the socket for every packet.
  bool WantsWritable(size_t path) const { return paths_[path].blocked; }
  // `path`'s socket polled writable: clears the blocked state and sends what
  // is queued on that path (blocking again if the socket fills up). The
  // socket's error, if any. Calling Flush() after the round works too.
  absl::Status OnWritable(size_t path);

  // Adds or replaces a configured peer (also replacing a learnt one).
  void SetPeer(const wire::IpAddress& inner, const UdpEndpoint& outer);
  void RemovePeer(const wire::IpAddress& inner);
  std::optional<UdpEndpoint> PeerFor(const wire::IpAddress& inner) const;

  const Stats& stats() const { return stats_; }

 private:
  struct PathState {
    wire::IpAddress inner;
    std::unique_ptr<UdpPathSocket> socket;
    bool blocked = false;
  };
  struct PeerEntry {
    UdpEndpoint outer;
    bool learned = false;
  };

  UdpTransport(const UdpTransportConfig& config, PacketHandler handler);
  void Handle(size_t path, const ReceivedDatagram& datagram);
  // Sends `path`'s queue, updating `blocked`; the socket's error, if any.
  absl::Status FlushPath(PathState& path);
  // Checks the inner source against the table, learning it if allowed.
  std::optional<DropReason> CheckPeer(const wire::IpAddress& inner,
                                      const UdpEndpoint& from);

  PacketHandler handler_;
  PeerLearning learning_;
  size_t max_learned_peers_;
  size_t learned_peers_ = 0;
  std::vector<PathState> paths_;
  absl::flat_hash_map<wire::IpAddress, size_t> path_by_inner_;
  absl::flat_hash_map<wire::IpAddress, PeerEntry> peers_;
  std::vector<uint8_t> receive_memory_;
  std::vector<ReceivedDatagram> received_;
  Stats stats_;
};

}  // namespace plait::io::udp

#endif  // PLAIT_DATAPLANE_IO_UDP_UDP_TRANSPORT_H_
