#include "cli/usage.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace plait::cli {

const std::vector<CommandSpec>& CommandSpecs() {
  static const auto* const specs = new std::vector<CommandSpec>{
      {CommandKind::kStatus,
       {"status"},
       {},
       {},
       "",
       "the daemon's version, paths, policy and settings",
       "plaitctl status"},
      {CommandKind::kConns,
       {"conns"},
       {},
       {},
       "",
       "every connection and its subflows, as a table",
       "plaitctl conns"},
      {CommandKind::kConnShow,
       {"conn", "show"},
       {"ID"},
       {},
       "",
       "one connection in detail",
       "plaitctl conn show 7"},
      {CommandKind::kConnClose,
       {"conn", "close"},
       {"ID"},
       {"fast"},
       "[--fast]",
       "close a connection (DATA_FIN; --fast: MP_FASTCLOSE, drops queued "
       "bytes)",
       "plaitctl conn close 7 --fast"},
      {CommandKind::kPolicyGet,
       {"policy", "get"},
       {},
       {},
       "",
       "the policy in force (text format; `policy set` takes it back)",
       "plaitctl policy get > policy.txtpb"},
      {CommandKind::kPolicySet,
       {"policy", "set"},
       {"FILE"},
       {"dry-run"},
       "[--dry-run]",
       "apply a policy from FILE (.txtpb, .textproto or .json)",
       "plaitctl policy set policy.txtpb --dry-run"},
      {CommandKind::kPolicyValidate,
       {"policy", "validate"},
       {"FILE"},
       {},
       "",
       "ask the daemon whether the policy in FILE is valid",
       "plaitctl policy validate policy.json"},
      {CommandKind::kSchedSet,
       {"sched", "set"},
       {"ID", "NAME"},
       {},
       "",
       "switch a connection's scheduler",
       "plaitctl sched set 7 redundant"},
      {CommandKind::kCcSet,
       {"cc", "set"},
       {"ID", "NAME"},
       {},
       "",
       "switch a connection's congestion control",
       "plaitctl cc set 7 olia"},
      {CommandKind::kSubflowAdd,
       {"subflow", "add"},
       {"ID", "LOCAL_ADDR"},
       {"remote-id", "backup"},
       "[--remote-id N] [--backup]",
       "open a subflow from one of the daemon's paths",
       "plaitctl subflow add 7 10.0.2.1 --backup"},
      {CommandKind::kSubflowRm,
       {"subflow", "rm"},
       {"ID", "SUBFLOW_ID"},
       {"reset"},
       "[--reset]",
       "close a subflow (--reset: with a RST)",
       "plaitctl subflow rm 7 1"},
      {CommandKind::kSubflowPrio,
       {"subflow", "prio"},
       {"ID", "SUBFLOW_ID", "backup|regular"},
       {},
       "",
       "make a subflow a backup or a regular one (MP_PRIO)",
       "plaitctl subflow prio 7 1 backup"},
      {CommandKind::kAddrAnnounce,
       {"addr", "announce"},
       {"ID", "ADDR"},
       {},
       "",
       "announce one of the daemon's paths to the peer (ADD_ADDR)",
       "plaitctl addr announce 7 10.0.3.1"},
      {CommandKind::kAddrWithdraw,
       {"addr", "withdraw"},
       {"ID", "ADDR"},
       {},
       "",
       "withdraw an announced address (REMOVE_ADDR)",
       "plaitctl addr withdraw 7 10.0.3.1"},
      {CommandKind::kEvents,
       {"events"},
       {},
       {"type", "conn"},
       "[--type T ...] [--conn ID]",
       "follow events until Ctrl-C (T: connection_created, subflow_closed, "
       "...)",
       "plaitctl events --type subflow_established --type subflow_closed"},
      {CommandKind::kHelp, {"help"}, {}, {}, "", "this text", "plaitctl help"},
  };
  return *specs;
}

std::string Synopsis(const CommandSpec& spec) {
  std::string out = absl::StrCat("plaitctl ", absl::StrJoin(spec.words, " "));
  for (const std::string& operand : spec.operands) {
    absl::StrAppend(&out, " ", operand);
  }
  if (!spec.flags_synopsis.empty()) {
    absl::StrAppend(&out, " ", spec.flags_synopsis);
  }
  return out;
}

std::string UsageText() {
  std::string out =
      "plaitctl: control a running plaitd over its gRPC API\n"
      "\n"
      "usage: plaitctl [GLOBAL FLAGS] COMMAND [ARGS] [--json]\n"
      "\n"
      "commands:\n";
  // Synopsis, then what it does indented below: one column layout would
  // not fit 80 columns next to "subflow add ID LOCAL_ADDR ...".
  for (const CommandSpec& spec : CommandSpecs()) {
    absl::StrAppend(&out, "  ", Synopsis(spec).substr(strlen("plaitctl ")),
                    "\n      ", spec.description, "\n");
  }
  absl::StrAppend(
      &out,
      "\n"
      "global flags (anywhere on the line):\n"
      "  --json                  print the API's answers as JSON (the proto's\n"
      "                          JSON mapping; events: one object per line)\n"
      "  --api ADDR              the daemon: unix:PATH, HOST:PORT or "
      "[V6]:PORT\n"
      "                          (default: $PLAITCTL_API, else plaitd's own\n"
      "                          default: unix:/run/plait/plaitd.sock as "
      "root,\n"
      "                          else unix:$XDG_RUNTIME_DIR/plait/plaitd.sock\n"
      "                          or unix:/tmp/plait-UID/plaitd.sock)\n"
      "  --timeout SECONDS       deadline of each call (default 5; `events`\n"
      "                          follows without one)\n"
      "  --tls-ca FILE           TLS, trusting this CA (any --tls-* flag "
      "turns\n"
      "                          TLS on; without --tls-ca: the system's CAs)\n"
      "  --tls-cert FILE         client certificate (mTLS, with --tls-key)\n"
      "  --tls-key FILE          the client certificate's private key\n"
      "  --tls-server-name NAME  the name the server's certificate must carry\n"
      "  -h, --help              this text\n"
      "\n"
      "exit status: 0 done; 1 the daemon refused (its reason on stderr);\n"
      "2 usage error; 3 the daemon cannot be reached\n"
      "\n"
      "examples:\n");
  for (const CommandSpec& spec : CommandSpecs()) {
    if (spec.kind == CommandKind::kHelp) continue;
    absl::StrAppend(&out, "  ", spec.example, "\n");
  }
  absl::StrAppend(
      &out, "  plaitctl --api 10.0.0.5:7443 --tls-ca ca.pem conns --json\n");
  return out;
}

}  // namespace plait::cli
