// The --metrics address ("127.0.0.1:9464", "[::1]:9464", ":9464") in the
// form civetweb's listening_ports option takes. Checked here because
// civetweb's own errors do not say what was wrong with the address.
#ifndef PLAIT_DATAPLANE_METRICS_LISTEN_ADDRESS_H_
#define PLAIT_DATAPLANE_METRICS_LISTEN_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace plait::metrics {

// HOST:PORT with HOST an IPv4 literal, [HOST]:PORT with an IPv6 literal, or
// :PORT for every IPv4 address ("[::]:PORT" for every IPv6 one). PORT is
// 0..65535 (0: the kernel picks one). InvalidArgument naming the address
// otherwise (host names included: nothing is resolved).
absl::StatusOr<std::string> CivetwebListeningPort(absl::string_view address);

}  // namespace plait::metrics

#endif  // PLAIT_DATAPLANE_METRICS_LISTEN_ADDRESS_H_
