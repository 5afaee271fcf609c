// What the API shows of a proxied connection: v1::Connection from the
// bridge, its policy choice and its MPTCP connection. Loop thread only.
#ifndef PLAIT_DATAPLANE_API_CONNECTION_VIEW_H_
#define PLAIT_DATAPLANE_API_CONNECTION_VIEW_H_

#include <string>

#include "dataplane/base/time.h"
#include "dataplane/proxy/bridge.h"
#include "dataplane/proxy/bridge_set.h"
#include "dataplane/tcp/tcp_connection.h"
#include "proto/plait/v1/dataplane.pb.h"

namespace plait::api {

// "ADDR:PORT", or "[ADDR]:PORT" for IPv6.
std::string EndpointString(const wire::IpAddress& address, uint16_t port);

v1::ConnectionState StateOf(const proxy::Bridge& bridge);

void FillConnection(const proxy::Bridge& bridge, const proxy::BridgeInfo& info,
                    Time now, v1::Connection* out);

}  // namespace plait::api

#endif  // PLAIT_DATAPLANE_API_CONNECTION_VIEW_H_
