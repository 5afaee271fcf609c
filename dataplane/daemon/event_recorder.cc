#include "dataplane/daemon/event_recorder.h"

#include <utility>

#include "dataplane/api/connection_view.h"

namespace plait::daemon {

EventRecorder::EventRecorder(api::EventHub* hub, runtime::EventLoop* loop,
                             std::function<double()> unix_now)
    : hub_(hub), loop_(loop), unix_now_(std::move(unix_now)) {}

v1::Event EventRecorder::Make(v1::EventType type,
                              uint64_t connection_id) const {
  v1::Event event;
  event.set_type(type);
  event.set_connection_id(connection_id);
  event.set_unix_seconds(unix_now_());
  return event;
}

uint64_t EventRecorder::IdOf(const mptcp::MptcpConnection& conn) const {
  if (bridges_ == nullptr) return 0;
  const proxy::BridgeInfo* info = bridges_->InfoOfOwner(conn.owner());
  return info == nullptr ? 0 : info->id;
}

v1::Event EventRecorder::MakeSubflow(v1::EventType type,
                                     const mptcp::MptcpConnection& conn,
                                     const mptcp::SubflowEvent& subflow) const {
  v1::Event event = Make(type, IdOf(conn));
  event.set_subflow_id(subflow.id.value_or(0));
  event.set_local_address(api::EndpointString(subflow.endpoints.local,
                                              subflow.endpoints.local_port));
  event.set_remote_address(api::EndpointString(subflow.endpoints.remote,
                                               subflow.endpoints.remote_port));
  event.set_backup(subflow.backup);
  return event;
}

void EventRecorder::ConnectionOpened(const proxy::BridgeInfo& info) {
  v1::Event event = Make(v1::EVENT_TYPE_CONNECTION_CREATED, info.id);
  event.set_local_address(info.client);
  event.set_remote_address(info.target);
  hub_->Publish(std::move(event));
}

void EventRecorder::ConnectionClosed(const proxy::Bridge& bridge,
                                     const proxy::BridgeInfo& info) {
  v1::Event event = Make(v1::EVENT_TYPE_CONNECTION_CLOSED, info.id);
  event.set_reason(bridge.connection() == nullptr
                       ? "no_connection"
                       : mptcp::MptcpCloseReasonName(bridge.close_reason()));
  hub_->Publish(std::move(event));
}

void EventRecorder::PolicyApplied(const std::string& version) {
  v1::Event event = Make(v1::EVENT_TYPE_POLICY_APPLIED, 0);
  event.set_policy_version(version);
  hub_->Publish(std::move(event));
}

void EventRecorder::PolicyRefused(const std::string& reason) {
  v1::Event event = Make(v1::EVENT_TYPE_POLICY_REFUSED, 0);
  event.set_reason(reason);
  hub_->Publish(std::move(event));
}

void EventRecorder::OnEstablished(const mptcp::MptcpConnection& conn, Time) {
  v1::Event event = Make(v1::EVENT_TYPE_CONNECTION_ESTABLISHED, IdOf(conn));
  if (conn.subflow_count() > 0) {
    const tcp::TcpEndpoints& e = conn.subflow(0).endpoints();
    event.set_local_address(api::EndpointString(e.local, e.local_port));
    event.set_remote_address(api::EndpointString(e.remote, e.remote_port));
  }
  hub_->Publish(std::move(event));
}

void EventRecorder::OnFallback(const mptcp::MptcpConnection& conn, Time) {
  ++counts_.fallbacks;
  const uint64_t id = IdOf(conn);
  hub_->Publish(Make(v1::EVENT_TYPE_FALLBACK, id));
  if (bridges_ == nullptr || id == 0) return;
  const proxy::BridgeInfo* info = nullptr;
  if (bridges_->Find(id, &info) == nullptr || !info->reset_on_fallback) {
    return;
  }
  // Not from inside the connection's callback (MptcpEventSink's rule); the
  // recorder outlives the loop's last iteration.
  loop_->Post([this, id] {
    proxy::Bridge* bridge = bridges_->Find(id);
    if (bridge == nullptr || bridge->mutable_connection() == nullptr ||
        bridge->mutable_connection()->closed()) {
      return;
    }
    ++counts_.resets_on_fallback;
    bridge->mutable_connection()->Abort(loop_->Now());
    if (kick_) kick_();
  });
}

void EventRecorder::OnSubflowEstablished(const mptcp::MptcpConnection& conn,
                                         Time,
                                         const mptcp::SubflowEvent& subflow) {
  hub_->Publish(
      MakeSubflow(v1::EVENT_TYPE_SUBFLOW_ESTABLISHED, conn, subflow));
}

void EventRecorder::OnSubflowClosed(const mptcp::MptcpConnection& conn, Time,
                                    const mptcp::SubflowEvent& subflow,
                                    const mptcp::SubflowCloseReason& reason) {
  v1::Event event = MakeSubflow(v1::EVENT_TYPE_SUBFLOW_CLOSED, conn, subflow);
  event.set_reason(mptcp::SubflowCloseReasonText(reason));
  hub_->Publish(std::move(event));
}

void EventRecorder::OnSubflowPriority(const mptcp::MptcpConnection& conn,
                                      Time,
                                      const mptcp::SubflowEvent& subflow) {
  hub_->Publish(MakeSubflow(v1::EVENT_TYPE_SUBFLOW_PRIORITY, conn, subflow));
}

void EventRecorder::OnAddressAnnounced(const mptcp::MptcpConnection& conn,
                                       Time, uint8_t remote_id,
                                       const wire::IpAddress& address,
                                       uint16_t port) {
  v1::Event event = Make(v1::EVENT_TYPE_ADDRESS_ANNOUNCED, IdOf(conn));
  event.set_address_id(remote_id);
  event.set_address(port == 0 ? address.ToString()
                              : api::EndpointString(address, port));
  hub_->Publish(std::move(event));
}

void EventRecorder::OnAddressRemoved(const mptcp::MptcpConnection& conn, Time,
                                     uint8_t remote_id) {
  v1::Event event = Make(v1::EVENT_TYPE_ADDRESS_REMOVED, IdOf(conn));
  event.set_address_id(remote_id);
  hub_->Publish(std::move(event));
}

}  // namespace plait::daemon
