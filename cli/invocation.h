// What one plaitctl run was asked to do, once its arguments are parsed: the
// global options and one command with its operands.
#ifndef PLAIT_CLI_INVOCATION_H_
#define PLAIT_CLI_INVOCATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "proto/plait/v1/dataplane.pb.h"

namespace plait::cli {

struct TlsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  // Any TLS flag turns TLS on (with the system's roots without --tls-ca).
  bool enabled() const {
    return !ca_file.empty() || !cert_file.empty() || !key_file.empty() ||
           !server_name.empty();
  }
};

struct GlobalOptions {
  // A gRPC target: "unix:PATH", "HOST:PORT" or "[V6]:PORT".
  std::string api;
  double timeout_seconds = 5;
  bool json = false;
  TlsOptions tls;
};

enum class CommandKind {
  kHelp,
  kStatus,
  kConns,
  kConnShow,
  kConnClose,
  kPolicyGet,
  kPolicySet,
  kPolicyValidate,
  kSchedSet,
  kCcSet,
  kSubflowAdd,
  kSubflowRm,
  kSubflowPrio,
  kAddrAnnounce,
  kAddrWithdraw,
  kEvents,
};

struct Invocation {
  GlobalOptions global;
  CommandKind command = CommandKind::kHelp;
  // Operands; each command uses the ones its synopsis names.
  uint64_t connection_id = 0;
  uint32_t subflow_id = 0;
  std::string name;     // sched set / cc set
  std::string address;  // subflow add, addr announce / withdraw
  std::string file;     // policy set / validate
  uint32_t remote_address_id = 0;
  bool backup = false;
  bool reset = false;
  bool fast = false;
  bool dry_run = false;
  std::vector<plait::v1::EventType> event_types;
};

}  // namespace plait::cli

#endif  // PLAIT_CLI_INVOCATION_H_
