#include "dataplane/proxy/forwarder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace plait::proxy {
namespace {

// Connections accepted per wake-up; the rest wait for the next iteration.
constexpr int kAcceptsPerWakeup = 16;

std::string PeerName(int fd) {
  sockaddr_storage storage;
  socklen_t length = sizeof(storage);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return "?";
  }
  char host[64] = "?";
  uint16_t port = 0;
  if (storage.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
    port = ntohs(sin->sin_port);
    return absl::StrCat(host, ":", port);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
  inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
  port = ntohs(sin6->sin6_port);
  return absl::StrCat("[", host, "]:", port);
}

std::string Describe(const TcpAddress& a) {
  return a.address.is_v4()
             ? absl::StrCat(a.address.ToString(), ":", a.port)
             : absl::StrCat("[", a.address.ToString(), "]:", a.port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Forwarder>> Forwarder::Create(
    runtime::EventLoop* loop, stack::Stack* stack, BridgeSet* bridges,
    const ForwardSpec& spec, Planner planner,
    std::function<void(const absl::Status&)> on_connect_error) {
  auto listener = ListenTcp(spec.listen);
  if (!listener.ok()) return listener.status();
  auto port = LocalPort(listener->get());
  if (!port.ok()) return port.status();
  std::unique_ptr<Forwarder> forwarder(new Forwarder(
      loop, stack, bridges, spec, std::move(planner), std::move(*listener),
      *port));
  forwarder->on_connect_error_ = std::move(on_connect_error);
  Forwarder* raw = forwarder.get();
  absl::Status status =
      loop->Register(raw->listener_.get(), runtime::Interest::kRead,
                     [raw](runtime::Readiness) { raw->OnAcceptable(); });
  if (!status.ok()) return status;
  return forwarder;
}

Forwarder::Forwarder(runtime::EventLoop* loop, stack::Stack* stack,
                     BridgeSet* bridges, const ForwardSpec& spec,
                     Planner planner, runtime::ScopedFd listener,
                     uint16_t port)
    : loop_(loop),
      stack_(stack),
      bridges_(bridges),
      spec_(spec),
      planner_(std::move(planner)),
      listener_(std::move(listener)),
      port_(port),
      name_(absl::StrCat(spec.transparent ? "transparent:" : "forward:",
                         Describe(TcpAddress{spec.listen.address, port}))) {}

Forwarder::~Forwarder() { StopAccepting(); }

void Forwarder::StopAccepting() {
  if (!listener_.valid()) return;
  (void)loop_->Unregister(listener_.get());
  listener_.reset();
}

void Forwarder::OnAcceptable() {
  for (int i = 0; i < kAcceptsPerWakeup && listener_.valid(); ++i) {
    auto socket = AcceptTcp(listener_.get());
    if (!socket.ok()) {
      if (on_connect_error_) on_connect_error_(socket.status());
      return;
    }
    if (!socket->valid()) return;
    auto target = Target(socket->get());
    if (!target.ok()) {
      if (on_connect_error_) {
        on_connect_error_(absl::FailedPreconditionError(absl::StrCat(
            "transparent ", Describe(spec_.listen), ": refused ",
            PeerName(socket->get()), ": ", target.status().message())));
      }
      ResetAndClose(*socket);
      continue;
    }
    BridgeInfo info;
    info.kind = spec_.transparent ? "transparent" : "forward";
    info.client = PeerName(socket->get());
    info.target = Describe(*target);
    ConnectionPlan plan = planner_(name_, *target);
    info.listener = name_;
    info.rule = std::move(plan.rule);
    info.profile = std::move(plan.profile);
    info.reset_on_fallback = plan.reset_on_fallback;
    info.fast_close_on_close = plan.fast_close_on_close;
    Bridge* bridge =
        bridges_->Create(std::move(*socket), /*connecting=*/false, info);
    auto connection = stack_->Connect(plan.config, spec_.source, target->address,
                                      target->port, bridge, loop_->Now());
    if (!connection.ok()) {
      if (on_connect_error_) on_connect_error_(connection.status());
      bridge->Fail();
      continue;
    }
    bridge->Attach(*connection);
  }
}

absl::StatusOr<TcpAddress> Forwarder::Target(int fd) const {
  if (!spec_.transparent) return spec_.remote;
  auto original = OriginalDestination(fd);
  if (!original.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no original destination (not redirected by iptables?): ",
                     original.status().message()));
  }
  // Without a translation conntrack reports the connection's own
  // destination: forwarding there would loop back into this listener.
  auto local = LocalAddress(fd);
  if (!local.ok()) return local.status();
  if ((original->address == local->address && original->port == local->port) ||
      (original->address == spec_.listen.address && original->port == port_)) {
    return absl::FailedPreconditionError(
        absl::StrCat("its original destination ", Describe(*original),
                     " is this listener (not redirected)"));
  }
  if (original->address.is_v4() != spec_.source.is_v4()) {
    return absl::FailedPreconditionError(
        absl::StrCat("its original destination ", Describe(*original),
                     " is not of the first --path's family"));
  }
  return *original;
}

}  // namespace plait::proxy
