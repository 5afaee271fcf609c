// plaitd: carries applications' TCP connections over MPTCP. One stack on
// one event-loop thread, behind a UdpTransport (--mode=udp, plaitd to
// plaitd) or a TUN device (--mode=tun, real MPTCP on the wire), with the
// proxy's forwarders (local TCP listeners -> MPTCP) and servers (MPTCP ->
// local TCP). Exit codes: 0 after a drain, 1 a runtime failure, 2 bad
// flags or config.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/daemon/daemon.h"
#include "dataplane/daemon/log.h"
#include "dataplane/daemon/options.h"

int main(int argc, char** argv) {
  auto options = plait::daemon::ParseOptions(argc, argv);
  if (!options.ok()) {
    fprintf(stderr, "plaitd: %s\nRun plaitd --help for the flags.\n",
            std::string(options.status().message()).c_str());
    return 2;
  }
  if (options->help) {
    fputs(plait::daemon::UsageText(), stdout);
    return 0;
  }
  plait::daemon::Logger log(options->log_format);
  absl::Status status = plait::daemon::RunDaemon(*options, &log);
  if (!status.ok()) {
    log.Error("exit", {{"error", std::string(status.message())}});
    return 1;
  }
  return 0;
}
