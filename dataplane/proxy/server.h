// Inbound proxying: MPTCP connections accepted on a port (on every local
// path address) are each carried to one local TCP address
// (`--serve PORT=LOCAL_ADDR:PORT`). Plain-TCP clients are accepted too:
// their connection falls back, and the bridge works the same.
#ifndef PLAIT_DATAPLANE_PROXY_SERVER_H_
#define PLAIT_DATAPLANE_PROXY_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/proxy/bridge_set.h"
#include "dataplane/proxy/connection_plan.h"
#include "dataplane/proxy/socket_util.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/stack/stack.h"
#include "dataplane/wire/ip_address.h"

namespace plait::proxy {

struct ServeSpec {
  uint16_t port = 0;  // the MPTCP port
  TcpAddress target;  // the local TCP server
};

class Server {
 public:
  // Starts listening on `port` at each of `addresses`, with the plan
  // `planner` gives for this listener. `stack` and `bridges` must outlive
  // the server.
  Server(runtime::EventLoop* loop, stack::Stack* stack, BridgeSet* bridges,
         const ServeSpec& spec, const std::vector<wire::IpAddress>& addresses,
         Planner planner,
         std::function<void(const absl::Status&)> on_connect_error = nullptr);
  Server(runtime::EventLoop* loop, stack::Stack* stack, BridgeSet* bridges,
         const ServeSpec& spec, const std::vector<wire::IpAddress>& addresses,
         const mptcp::MptcpConfig& config,
         std::function<void(const absl::Status&)> on_connect_error = nullptr)
      : Server(loop, stack, bridges, spec, addresses, FixedPlan(config),
               std::move(on_connect_error)) {}

  // Asks the planner again (the policy changed): connections accepted from
  // now on get the new plan. A listener holds one configuration, so the
  // plan cannot depend on the client.
  void Replan();
  // "serve:PORT".
  const std::string& name() const { return name_; }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // New connections are refused (RST) from now on (the drain's first
  // step); the stack has no way to remove a listener.
  void StopAccepting() { accepting_ = false; }

 private:
  mptcp::MptcpOwner* OwnerFor(const tcp::TcpEndpoints& endpoints);
  void Listen();

  runtime::EventLoop* const loop_;  // Not owned.
  stack::Stack* const stack_;       // Not owned.
  BridgeSet* const bridges_;        // Not owned.
  const ServeSpec spec_;
  const std::vector<wire::IpAddress> addresses_;
  const Planner planner_;
  const std::string name_;
  ConnectionPlan plan_;
  std::function<void(const absl::Status&)> on_connect_error_;
  bool accepting_ = true;
  // The bridge made by OwnerFor, waiting for its connection.
  Bridge* pending_ = nullptr;
};

}  // namespace plait::proxy

#endif  // PLAIT_DATAPLANE_PROXY_SERVER_H_
