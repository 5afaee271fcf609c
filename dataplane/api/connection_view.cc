#include "dataplane/api/connection_view.h"

#include "absl/strings/str_cat.h"
#include "dataplane/tcp/tcp_state.h"

namespace plait::api {

std::string EndpointString(const wire::IpAddress& address, uint16_t port) {
  return address.is_v4() ? absl::StrCat(address.ToString(), ":", port)
                         : absl::StrCat("[", address.ToString(), "]:", port);
}

v1::ConnectionState StateOf(const proxy::Bridge& bridge) {
  const mptcp::MptcpConnection* c = bridge.connection();
  if (bridge.finished() || (c != nullptr && c->closed())) {
    return v1::CONNECTION_STATE_CLOSED;
  }
  if (c == nullptr || !c->established()) return v1::CONNECTION_STATE_CONNECTING;
  if (c->closing()) {
    return v1::CONNECTION_STATE_CLOSING;
  }
  return v1::CONNECTION_STATE_ESTABLISHED;
}

namespace {

void FillSubflow(const mptcp::MptcpConnection& c, size_t i, v1::Subflow* out) {
  const tcp::TcpConnection& sf = c.subflow(i);
  out->set_id(c.subflow_pm_id(i).value_or(0));
  out->set_local_address(
      EndpointString(sf.endpoints().local, sf.endpoints().local_port));
  out->set_remote_address(
      EndpointString(sf.endpoints().remote, sf.endpoints().remote_port));
  out->set_state(tcp::TcpStateName(sf.state()));
  out->set_backup(c.subflow_backup(i));
  out->set_rtt_seconds(ToSeconds(sf.rtt().srtt()));
  out->set_cwnd_bytes(sf.congestion_control().congestion_window());
  out->set_bytes_in_flight(sf.bytes_in_flight());
  out->set_bytes_sent(sf.stats().bytes_sent);
  out->set_bytes_received(sf.stats().bytes_delivered);
  out->set_bytes_retransmitted(sf.stats().bytes_retransmitted);
  out->set_retransmissions(sf.stats().segments_retransmitted);
}

}  // namespace

void FillConnection(const proxy::Bridge& bridge, const proxy::BridgeInfo& info,
                    Time now, v1::Connection* out) {
  out->set_id(info.id);
  out->set_state(StateOf(bridge));
  out->set_kind(info.kind);
  out->set_listener(info.listener);
  out->set_client(info.client);
  out->set_target(info.target);
  out->set_rule(info.rule);
  out->set_profile(info.profile);
  out->set_bytes_sent(bridge.stats().to_mptcp);
  out->set_bytes_received(bridge.stats().to_socket);
  out->set_age_seconds(ToSeconds(now - info.opened));
  const mptcp::MptcpConnection* c = bridge.connection();
  if (c == nullptr) return;
  out->set_scheduler(c->scheduler_name());
  out->set_congestion_control(c->congestion_control_name());
  out->set_path_manager(c->path_manager_name());
  out->set_fallback(c->fallback());
  out->set_dss_checksums(c->checksums_enabled());
  out->set_local_token(c->local_token());
  out->set_bytes_reinjected(c->stats().bytes_reinjected);
  if (c->subflow_count() > 0) {
    const tcp::TcpEndpoints& e = c->subflow(0).endpoints();
    out->set_local_address(EndpointString(e.local, e.local_port));
    out->set_remote_address(EndpointString(e.remote, e.remote_port));
  }
  for (size_t i = 0; i < c->subflow_count(); ++i) {
    FillSubflow(*c, i, out->add_subflows());
  }
}

}  // namespace plait::api
