// Outbound proxying: a local TCP listener whose every accepted connection is
// carried over a new MPTCP connection to one configured remote
// (`--forward LOCAL_ADDR:PORT=REMOTE_ADDR:PORT`), or transparently to the
// destination each connection had before an iptables REDIRECT sent it to the
// listener (`--transparent LOCAL_ADDR:PORT`, for sidecar use).
#ifndef PLAIT_DATAPLANE_PROXY_FORWARDER_H_
#define PLAIT_DATAPLANE_PROXY_FORWARDER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/proxy/bridge_set.h"
#include "dataplane/proxy/connection_plan.h"
#include "dataplane/proxy/socket_util.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/stack/stack.h"
#include "dataplane/wire/ip_address.h"

namespace plait::proxy {

struct ForwardSpec {
  TcpAddress listen;  // port 0: the kernel picks one (see port())
  TcpAddress remote;  // the MPTCP peer's (inner) address and port
  // The local path address of the initial subflow; the path manager opens
  // the others.
  wire::IpAddress source;
  // Transparent mode: `remote` is unused; each connection goes to its
  // original destination (SO_ORIGINAL_DST). One without one (not
  // redirected, or redirected to the listener itself) is refused: reset,
  // and reported to on_connect_error with the reason.
  bool transparent = false;
};

class Forwarder {
 public:
  // Listens at once. `stack` and `bridges` must outlive the forwarder.
  // Errors: the listener's bind/listen.
  // `planner` gives each connection its settings.
  static absl::StatusOr<std::unique_ptr<Forwarder>> Create(
      runtime::EventLoop* loop, stack::Stack* stack, BridgeSet* bridges,
      const ForwardSpec& spec, Planner planner,
      std::function<void(const absl::Status&)> on_connect_error = nullptr);
  static absl::StatusOr<std::unique_ptr<Forwarder>> Create(
      runtime::EventLoop* loop, stack::Stack* stack, BridgeSet* bridges,
      const ForwardSpec& spec, const mptcp::MptcpConfig& config,
      std::function<void(const absl::Status&)> on_connect_error = nullptr) {
    return Create(loop, stack, bridges, spec, FixedPlan(config),
                  std::move(on_connect_error));
  }
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  uint16_t port() const { return port_; }
  // "forward:ADDR:PORT" or "transparent:ADDR:PORT" (the bound port).
  const std::string& name() const { return name_; }
  // Closes the listener (the drain's first step).
  void StopAccepting();

 private:
  Forwarder(runtime::EventLoop* loop, stack::Stack* stack, BridgeSet* bridges,
            const ForwardSpec& spec, Planner planner,
            runtime::ScopedFd listener, uint16_t port);
  void OnAcceptable();
  // Where an accepted connection goes: spec_.remote, or in transparent mode
  // its original destination. Errors: why it is refused.
  absl::StatusOr<TcpAddress> Target(int fd) const;

  runtime::EventLoop* const loop_;  // Not owned.
  stack::Stack* const stack_;       // Not owned.
  BridgeSet* const bridges_;        // Not owned.
  const ForwardSpec spec_;
  const Planner planner_;
  runtime::ScopedFd listener_;
  const uint16_t port_;
  const std::string name_;
  std::function<void(const absl::Status&)> on_connect_error_;
};

}  // namespace plait::proxy

#endif  // PLAIT_DATAPLANE_PROXY_FORWARDER_H_
