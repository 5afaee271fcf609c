// One MPTCP stack behind a TunDevice, driven by an EventLoop: the TUN mode's
// packet I/O as plaitd runs it. Real MPTCP on the wire: the host routes the
// path addresses to the device (TunRouting, unless no_routing) and forwards
// the stack's packets to the paths. The device is read when readable; the
// stack's next deadline is a persistent timer; what the stack queued is
// written out after each round of work. Each packet is counted for the
// path whose address it carries (source when sent, destination when
// received).
#ifndef PLAIT_DATAPLANE_DAEMON_TUN_NODE_H_
#define PLAIT_DATAPLANE_DAEMON_TUN_NODE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/daemon/node.h"
#include "dataplane/io/tun/tun_device.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/stack/stack.h"
#include "dataplane/tcp/tcp_owner.h"

namespace plait::daemon {

// Also the stack's packet output (privately): it counts each packet before
// handing it to the device.
class TunNode : public Node, private tcp::TcpOutput {
 public:
  // Creates the device (needs CAP_NET_ADMIN), sets up its routing as
  // `device` says and registers it on `loop`, which must outlive the node.
  static absl::StatusOr<std::unique_ptr<TunNode>> Create(
      runtime::EventLoop* loop, const io::tun::TunDeviceConfig& device,
      const stack::StackConfig& stack);
  // Closes the stack, then removes the routes and the device.
  ~TunNode() override;
  TunNode(const TunNode&) = delete;
  TunNode& operator=(const TunNode&) = delete;

  stack::Stack* stack() override { return stack_.get(); }
  void Kick() override;
  // Packets handed to the device by the stack (sent; a packet the device
  // then drops is also in its drop counters) and read from the device for
  // the stack (received), by path address.
  std::vector<PathCounters> path_counters() const override { return counters_; }

  const io::tun::TunDevice& device() const { return *device_; }
  // read() failures on the device (the device stays registered).
  uint64_t read_errors() const { return read_errors_; }
  // Flushes that failed (a write() other than EAGAIN; the packet is dropped
  // and counted by the device).
  uint64_t flush_errors() const { return flush_errors_; }

 private:
  explicit TunNode(runtime::EventLoop* loop);
  void OnDevice(runtime::Readiness readiness);
  void OnTimer();
  void Finish();
  // tcp::TcpOutput: counts, then queues on the device.
  void SendPacket(absl::Span<const uint8_t> ip_packet) override;
  // Counts `packet` for the path whose address is its source (sent) or
  // destination (received); packets of no path (the kernel's own chatter)
  // are not counted. A few byte compares: no parsing, no allocation.
  void Count(absl::Span<const uint8_t> packet, bool sent);

  runtime::EventLoop* const loop_;  // Not owned.
  std::unique_ptr<io::tun::TunDevice> device_;
  // After device_: connections send through it while destroyed.
  std::unique_ptr<stack::Stack> stack_;
  runtime::EventLoop::TimerId timer_ = runtime::EventLoop::kInvalidTimer;
  bool registered_ = false;
  bool want_write_ = false;
  bool in_callback_ = false;
  uint64_t read_errors_ = 0;
  uint64_t flush_errors_ = 0;
  std::vector<PathCounters> counters_;  // one per path address
};

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_TUN_NODE_H_
