// The TUN packet I/O of plaitd: the kernel routes each path address to a
// TUN device (tun_routing.h), whose descriptor carries whole IPv4 and IPv6
// packets (IFF_TUN | IFF_NO_PI: no Ethernet header, no packet-info prefix).
// Real MPTCP on the wire; the host's kernel forwards it to the paths.
//
// Like io/udp/udp_transport.h: no event loop here. A loop polls fd() for
// reading (and for writing while WantsWritable()), calls OnReadable(), and
// calls Flush() after each round of work. Reading is batched: at most
// `read_batch` packets per OnReadable, so that a busy device does not starve
// timers and other descriptors (the loop is level-triggered and calls
// again). Writing is queued: SendPacket copies the packet into a bounded
// queue and Flush() writes the queue out, one write() per packet (a TUN
// descriptor takes one packet per write); if the device would block, the
// rest waits for the next Flush, and a full queue drops the newest packet
// (TCP recovers it as a loss, as from a full NIC queue). Every drop is
// counted by reason. Single-threaded: call everything from the loop thread.
#ifndef PLAIT_DATAPLANE_IO_TUN_TUN_DEVICE_H_
#define PLAIT_DATAPLANE_IO_TUN_TUN_DEVICE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/io/tun/tun_routing.h"
#include "dataplane/runtime/scoped_fd.h"
#include "dataplane/tcp/tcp_owner.h"
#include "dataplane/wire/ip_address.h"

namespace plait::io::tun {

struct TunDeviceConfig {
  // The interface name; a "%d" lets the kernel pick a free number.
  std::string name = "plait%d";
  // The addresses the stack uses on its paths (e.g. 10.1.0.11, 10.2.0.11):
  // each gets a host route through the device.
  std::vector<wire::IpAddress> path_addresses;
  // Leave the link state and the routes to the operator (who manages
  // routing), as plaitd --no-routing does. The device is still created.
  bool no_routing = false;
  // Packets read per OnReadable call at most.
  size_t read_batch = 64;
  // Packets waiting for Flush at most; more are dropped (kQueueFull).
  size_t write_queue_packets = 2048;
  // Largest packet read or queued; a TUN device's default MTU is 1500, and
  // nothing bigger arrives without IFF_VNET_HDR (no GSO).
  size_t max_packet_bytes = 65535;
};

class TunDevice : public tcp::TcpOutput {
 public:
  // Gets each inner IPv4 or IPv6 packet read from the device; the bytes live
  // only during the call. It may call SendPacket, not OnReadable.
  using PacketHandler =
      absl::AnyInvocable<void(absl::Span<const uint8_t> ip_packet)>;

  enum class Drop : uint8_t {
    kNotIp,       // version nibble neither 4 nor 6
    kTooShort,    // shorter than its IP header
    kQueueFull,   // outgoing: the write queue was full
    kTooLarge,    // outgoing: bigger than max_packet_bytes
    kWriteError,  // outgoing: write() failed other than EAGAIN
  };
  static constexpr size_t kDropCount = 5;
  static const char* DropName(Drop drop);

  struct Stats {
    uint64_t packets_in = 0;  // delivered to the handler
    uint64_t bytes_in = 0;
    uint64_t packets_out = 0;  // written to the device
    uint64_t bytes_out = 0;
    uint64_t read_batches = 0;
    uint64_t write_blocked = 0;  // Flush stopped at EAGAIN
    std::array<uint64_t, kDropCount> drops{};
    uint64_t dropped(Drop d) const { return drops[static_cast<size_t>(d)]; }
  };

  // Creates the TUN device (needs CAP_NET_ADMIN) and, unless no_routing,
  // brings it up and routes the path addresses through it; with only IPv4
  // path addresses it also disables IPv6 on the device, which otherwise
  // delivers the kernel's link-local chatter. Errors name the step.
  static absl::StatusOr<std::unique_ptr<TunDevice>> Open(
      const TunDeviceConfig& config, PacketHandler handler);
  // Over any descriptor that reads and writes one packet per call (a
  // SOCK_SEQPACKET socket in tests, or a TUN descriptor opened elsewhere).
  // Makes it non-blocking. No routing.
  static absl::StatusOr<std::unique_ptr<TunDevice>> FromFd(
      runtime::ScopedFd fd, const TunDeviceConfig& config,
      PacketHandler handler);
  ~TunDevice() override;

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  // Null when no_routing (or FromFd).
  const TunRouting* routing() const { return routing_.get(); }

  // tcp::TcpOutput: queues the packet; Flush() writes it.
  void SendPacket(absl::Span<const uint8_t> ip_packet) override;
  // Reads up to read_batch packets and hands the IP ones to the handler.
  // Returns the packets read (0 when nothing waited); errors are read()'s.
  absl::StatusOr<size_t> OnReadable();
  // Writes queued packets until the queue is empty or the device would
  // block. A failed write() drops that packet (kWriteError) and returns the
  // error after trying the rest.
  absl::Status Flush();
  bool WantsWritable() const { return blocked_; }
  size_t queued() const { return queue_count_; }

  const Stats& stats() const { return stats_; }

 private:
  TunDevice(runtime::ScopedFd fd, const TunDeviceConfig& config,
            PacketHandler handler);
  void Count(Drop drop) { ++stats_.drops[static_cast<size_t>(drop)]; }

  PacketHandler handler_;
  const size_t read_batch_;
  const size_t max_packet_bytes_;
  std::string name_;
  int ifindex_ = 0;
  // Declared before routing_ so that the routes go before the device does.
  runtime::ScopedFd fd_;
  std::unique_ptr<TunRouting> routing_;

  std::vector<uint8_t> read_buffer_;
  // A ring of packet slots, reused so that queueing allocates nothing once
  // warm; queue_head_ is the oldest.
  std::vector<std::vector<uint8_t>> queue_;
  size_t queue_head_ = 0;
  size_t queue_count_ = 0;
  bool blocked_ = false;
  Stats stats_;
};

}  // namespace plait::io::tun

#endif  // PLAIT_DATAPLANE_IO_TUN_TUN_DEVICE_H_
