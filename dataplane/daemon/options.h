// plaitd's command line and config file: parsed, merged (the file first,
// then the flags) and validated into DaemonOptions. Every error names the
// flag or field and the bad value; main() prints it and exits with 2.
#ifndef PLAIT_DATAPLANE_DAEMON_OPTIONS_H_
#define PLAIT_DATAPLANE_DAEMON_OPTIONS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/base/time.h"
#include "dataplane/daemon/log.h"
#include "dataplane/io/udp/udp_transport.h"
#include "dataplane/proxy/forwarder.h"
#include "dataplane/proxy/server.h"
#include "dataplane/wire/ip_address.h"

namespace plait::daemon {

enum class Mode { kUdp, kTun };

struct DaemonOptions {
  bool help = false;
  Mode mode = Mode::kUdp;
  std::vector<wire::IpAddress> paths;
  std::vector<io::udp::UdpTransportConfig::Peer> peers;
  uint16_t udp_port = 47100;
  io::udp::PeerLearning peer_learning = io::udp::PeerLearning::kSameAddress;
  // TUN mode: the device, and whether plaitd routes the paths through it.
  std::string tun_name = "plait0";
  bool no_routing = false;
  // ForwardSpec::source is paths[0]. --transparent listeners come after the
  // --forward ones, with ForwardSpec::transparent set.
  std::vector<proxy::ForwardSpec> forwards;
  std::vector<proxy::ServeSpec> serves;
  std::string scheduler = "minrtt";
  std::string congestion_control = "cubic";
  std::string path_manager = "fullmesh";
  LogFormat log_format = LogFormat::kText;
  Duration drain_timeout = Seconds(30);
  Duration stats_interval = Seconds(0);
  size_t buffer_bytes = size_t{1} << 20;
  size_t memory_budget_bytes = size_t{1} << 30;
  bool checksums = false;
  // The API's address ("unix:PATH", "HOST:PORT"); empty: no API (--api
  // none).
  std::string api;
  std::string api_tls_cert;
  std::string api_tls_key;
  std::string api_tls_client_ca;
  bool api_mutations_need_mtls = false;
  // Empty: the policy is not persisted.
  std::string state_dir;
  // The node's labels (--label KEY=VALUE), in the order given.
  std::vector<std::pair<std::string, std::string>> labels;
  // "HOST:PORT" for Prometheus; empty: no metrics endpoint.
  std::string metrics;
};

// The --help text.
const char* UsageText();

// argv as main() gets it. InvalidArgument naming the problem.
absl::StatusOr<DaemonOptions> ParseOptions(int argc, char** argv);

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_OPTIONS_H_
