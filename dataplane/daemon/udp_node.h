// One MPTCP stack behind a UdpTransport, driven by an EventLoop: the UDP
// mode's packet I/O as plaitd runs it. Path sockets are read when readable;
// the stack's next deadline is a persistent timer; what the stack queued is
// flushed (one sendmmsg per path) after each round of work.
#ifndef PLAIT_DATAPLANE_DAEMON_UDP_NODE_H_
#define PLAIT_DATAPLANE_DAEMON_UDP_NODE_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/daemon/node.h"
#include "dataplane/io/udp/udp_transport.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/stack/stack.h"

namespace plait::daemon {

class UdpNode : public Node {
 public:
  // Opens the path sockets and registers them on `loop`, which must outlive
  // the node.
  static absl::StatusOr<std::unique_ptr<UdpNode>> Create(
      runtime::EventLoop* loop, const io::udp::UdpTransportConfig& transport,
      const stack::StackConfig& stack);
  ~UdpNode() override;
  UdpNode(const UdpNode&) = delete;
  UdpNode& operator=(const UdpNode&) = delete;

  stack::Stack* stack() override { return stack_.get(); }
  const io::udp::UdpTransport& transport() const { return *transport_; }

  void Kick() override;
  // The path sockets' counts (UDP payload bytes).
  std::vector<PathCounters> path_counters() const override;

  // Flushes that failed at the socket level (sendmmsg itself).
  uint64_t flush_errors() const { return flush_errors_; }

 private:
  UdpNode(runtime::EventLoop* loop);
  void OnPath(size_t path, runtime::Readiness readiness);
  void OnTimer();
  void Finish();

  runtime::EventLoop* const loop_;  // Not owned.
  std::unique_ptr<io::udp::UdpTransport> transport_;
  // After transport_: connections send through it while destroyed.
  std::unique_ptr<stack::Stack> stack_;
  runtime::EventLoop::TimerId timer_ = runtime::EventLoop::kInvalidTimer;
  std::vector<bool> want_write_;
  bool in_callback_ = false;
  uint64_t flush_errors_ = 0;
};

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_UDP_NODE_H_
