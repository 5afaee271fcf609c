// What a new proxied connection is opened with: its MPTCP settings, and
// which policy rule and profile chose them (for the API and the logs).
// The daemon's policy decides per connection; tests and simple setups use
// one fixed plan.
#ifndef PLAIT_DATAPLANE_PROXY_CONNECTION_PLAN_H_
#define PLAIT_DATAPLANE_PROXY_CONNECTION_PLAN_H_

#include <functional>
#include <string>

#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/proxy/socket_util.h"

namespace plait::proxy {

struct ConnectionPlan {
  mptcp::MptcpConfig config;
  std::string rule;     // "" when no policy rule chose it
  std::string profile;  // "" when the daemon's own settings apply
  // The profile refuses plain TCP: reset the connection if it falls back.
  bool reset_on_fallback = false;
  // The application's close ends the connection with MP_FASTCLOSE
  // (MptcpConnection::CloseFast).
  bool fast_close_on_close = false;
};

// Called on the loop thread for each new connection (forwarders) or once
// per policy (servers, whose listener holds one configuration): `listener`
// is the listener's name ("forward:ADDR:PORT", "transparent:ADDR:PORT",
// "serve:PORT"), `target` where the connection's bytes go.
using Planner = std::function<ConnectionPlan(const std::string& listener,
                                             const TcpAddress& target)>;

inline Planner FixedPlan(const mptcp::MptcpConfig& config) {
  return [config](const std::string&, const TcpAddress&) {
    return ConnectionPlan{config, "", "", false, false};
  };
}

}  // namespace plait::proxy

#endif  // PLAIT_DATAPLANE_PROXY_CONNECTION_PLAN_H_
