// One MPTCP stack behind a TunDevice, driven by an EventLoop: the TUN mode's
// packet I/O as plaitd runs it. Real MPTCP on the wire: the host routes the
// path addresses to the device (TunRouting, unless no_routing) and forwards
// the stack's packets to the paths. The device is read when readable; the
// stack's next deadline is a persistent timer; what the stack queued is
// written out after each round of work.
#ifndef PLAIT_DATAPLANE_DAEMON_TUN_NODE_H_
#define PLAIT_DATAPLANE_DAEMON_TUN_NODE_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "dataplane/daemon/node.h"
#include "dataplane/io/tun/tun_device.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/stack/stack.h"

namespace plait::daemon {

class TunNode : public Node {
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
};

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_TUN_NODE_H_
