#include "dataplane/proxy/server.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace plait::proxy {

Server::Server(runtime::EventLoop* loop, stack::Stack* stack,
               BridgeSet* bridges, const ServeSpec& spec,
               const std::vector<wire::IpAddress>& addresses,
               Planner planner,
               std::function<void(const absl::Status&)> on_connect_error)
    : loop_(loop),
      stack_(stack),
      bridges_(bridges),
      spec_(spec),
      addresses_(addresses),
      planner_(std::move(planner)),
      name_(absl::StrCat("serve:", spec.port)),
      on_connect_error_(std::move(on_connect_error)) {
  Replan();
}

void Server::Replan() {
  plan_ = planner_(name_, spec_.target);
  Listen();
}

void Server::Listen() {
  // Stack::Listen replaces the listener's configuration; connections
  // already accepted keep theirs.
  for (const wire::IpAddress& address : addresses_) {
    stack_->Listen(
        address, spec_.port, plan_.config,
        stack::Stack::Acceptor{[this](const tcp::TcpEndpoints& endpoints) {
                                 return OwnerFor(endpoints);
                               },
                               [this](mptcp::MptcpConnection* connection) {
                                 if (pending_ == nullptr) return;
                                 pending_->Attach(connection);
                                 pending_ = nullptr;
                               }});
  }
}

mptcp::MptcpOwner* Server::OwnerFor(const tcp::TcpEndpoints& endpoints) {
  if (!accepting_) return nullptr;
  // The local server is dialled now; until it answers, the bridge reads
  // nothing from the connection, whose window then holds the client back.
  auto socket = ConnectTcp(spec_.target);
  if (!socket.ok()) {
    if (on_connect_error_) on_connect_error_(socket.status());
    return nullptr;
  }
  BridgeInfo info;
  info.kind = "serve";
  info.client =
      absl::StrCat(endpoints.remote.ToString(), ":", endpoints.remote_port);
  info.target =
      absl::StrCat(spec_.target.address.ToString(), ":", spec_.target.port);
  info.listener = name_;
  info.rule = plan_.rule;
  info.profile = plan_.profile;
  info.reset_on_fallback = plan_.reset_on_fallback;
  info.fast_close_on_close = plan_.fast_close_on_close;
  pending_ = bridges_->Create(std::move(*socket), /*connecting=*/true, info);
  return pending_;
}

}  // namespace plait::proxy
