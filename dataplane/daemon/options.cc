#include "dataplane/daemon/options.h"

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dataplane/api/default_address.h"
#include "dataplane/cc/registry.h"
#include "dataplane/pm/registry.h"
#include "dataplane/sched/registry.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "proto/plait/v1/plaitd_config.pb.h"

namespace plait::daemon {
namespace {

using v1::PlaitdConfig;

constexpr char kUsage[] =
    R"(usage: plaitd [--mode=udp|tun] --path ADDR [--path ADDR]... [flags]

plaitd carries applications' TCP connections over MPTCP (RFC 8684). In UDP
mode every subflow travels in UDP datagrams between two plaitd (no
privileges needed). In TUN mode plaitd speaks real MPTCP on the wire, to
another plaitd or to any MPTCP host (the Linux kernel's), through a TUN
device that the host routes the path addresses to (needs CAP_NET_ADMIN).

Flags (--flag=value or --flag value; repeatable ones may be given many times):
  --mode=MODE           packet I/O: udp (the default) or tun
  --path ADDR           a local path address (repeatable, at least one). The
                        first carries each outbound connection's initial
                        subflow; the path manager opens subflows from the
                        others. UDP mode binds a UDP socket on each; TUN mode
                        routes each through the device (do not assign them
                        to an interface: the stack, not the kernel, owns
                        them)
  --peer INNER=OUTER_ADDR:PORT
                        UDP mode: the UDP endpoint that carries the peer's
                        path address INNER (repeatable); needed for peers
                        this plaitd connects to
  --peer-learning=MODE  UDP mode: learn peers from received datagrams: off,
                        same-address (inner source = outer source; the
                        default) or any (crosses NAT, less safe)
  --udp-port N          UDP mode: the UDP port of every path socket (default
                        47100; 0: the kernel picks one per path, see the
                        "path" log lines)
  --tun NAME            TUN mode: the device's name (default plait0; "%%d"
                        lets the kernel pick a number, see the "tun" log
                        line)
  --no-routing          TUN mode: do not bring the device up nor route the
                        path addresses through it (for operators who manage
                        routing themselves); by default plaitd adds a host
                        route per --path and removes it on exit
  --forward LOCAL_ADDR:PORT=REMOTE_ADDR:PORT
                        listen on LOCAL (TCP; port 0: the kernel picks one,
                        see the "forward" log line) and carry each
                        connection over MPTCP to REMOTE, a peer's path
                        address (repeatable)
  --transparent LOCAL_ADDR:PORT
                        listen on LOCAL (TCP) for connections that iptables
                        redirected there, and carry each over MPTCP to its
                        original destination (SO_ORIGINAL_DST), from the
                        first --path (repeatable; sidecar use). Connections
                        that were not redirected are reset and logged. The
                        rule, for an application reaching 10.1.0.0/24:
                          iptables -t nat -A OUTPUT -p tcp -d 10.1.0.0/24 \
                            -j REDIRECT --to-ports 15001
                        with --transparent 127.0.0.1:15001. It must not catch
                        plaitd's own traffic: match only the application's
                        destinations (in TUN mode plaitd's subflows leave
                        through its device, not the kernel's TCP), or exclude
                        plaitd's user with -m owner ! --uid-owner USER
  --serve PORT=LOCAL_ADDR:PORT
                        accept MPTCP connections on PORT (every path address)
                        and carry each to the local TCP server LOCAL
                        (repeatable)
  --scheduler NAME      packet scheduler (default minrtt), one of:
                        %s
  --congestion-control NAME
                        per-subflow congestion control (default cubic), one
                        of: %s
  --path-manager NAME   path manager (default fullmesh: a subflow from every
                        --path after the first), one of:
                        %s
  --config FILE         a config file, protobuf text format (schema
                        proto/plait/v1/plaitd_config.proto, one field per
                        flag); flags add to its lists and override the rest
  --log-format=FORMAT   text (default) or json; logs go to stderr, one line
                        per event
  --drain-timeout SECS  on SIGTERM/SIGINT, stop accepting, close every
                        connection and exit when they finish or after SECS
                        (default 30); a second signal exits at once
  --buffer-kib N        KiB of buffer each connection reserves per
                        direction, at the data level and in each subflow
                        (default 1024; 16 to 65536). Smaller buffers hold
                        more connections, larger ones fill longer paths
  --memory-budget-mib N MiB of buffers all connections may reserve together
                        (default 1024); beyond it new connections and
                        subflows are refused (the stack_stats line counts
                        them as refused_for_memory)
  --checksums           ask for DSS checksums on every connection (RFC 8684
                        3.3.1; the peer may ask for them too)
  --stats-interval SECS log throughput per connection and subflow every SECS
                        (default 0: off; connection open/close are always
                        logged with their bytes)
  --api ADDR            where the gRPC API listens (plait.v1.DataplaneService,
                        grpc.health.v1, server reflection): unix:PATH,
                        HOST:PORT or [V6]:PORT, or none. Default: a unix
                        socket, /run/plait/plaitd.sock as root, else under
                        $XDG_RUNTIME_DIR/plait (plaitctl looks there too).
                        Plaintext TCP only on loopback addresses
  --api-tls-cert FILE   PEM certificate (chain) for a TCP --api: TLS
  --api-tls-key FILE    its PEM private key
  --api-tls-client-ca FILE
                        PEM CA that client certificates are verified with
                        (mTLS); clients without a certificate may still read
  --api-mutations-need-mtls
                        calls that change the dataplane (policy, scheduler,
                        subflows, close) only from clients with a verified
                        certificate
  --state-dir DIR       keep the policy set over the API in DIR and load it
                        at start (a corrupt file is set aside and reported)
  --label KEY=VALUE     a label of this node, for policy rules' match.labels
                        (repeatable)
  --metrics HOST:PORT   serve Prometheus metrics at http://HOST:PORT/metrics
  --help                this text
Exit codes: 0 after a drain, 1 a runtime failure, 2 bad flags or config.
)";

struct FlagSpec {
  const char* name;
  // Given alone (--flag) it means true; --flag=true|false also works.
  bool boolean;
};
constexpr FlagSpec kFlags[] = {
    {"mode", false},
    {"path", false},
    {"peer", false},
    {"peer-learning", false},
    {"udp-port", false},
    {"tun", false},
    {"no-routing", true},
    {"forward", false},
    {"transparent", false},
    {"serve", false},
    {"scheduler", false},
    {"congestion-control", false},
    {"path-manager", false},
    {"config", false},
    {"log-format", false},
    {"drain-timeout", false},
    {"stats-interval", false},
    {"buffer-kib", false},
    {"memory-budget-mib", false},
    {"checksums", true},
    {"api", false},
    {"api-tls-cert", false},
    {"api-tls-key", false},
    {"api-tls-client-ca", false},
    {"api-mutations-need-mtls", true},
    {"state-dir", false},
    {"label", false},
    {"metrics", false},
};

absl::Status Bad(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

// The flags as a config message (the same fields), so that a file and the
// command line go through one validation.
absl::Status SetFlag(const std::string& name, const std::string& value,
                     PlaitdConfig* c, std::string* config_file) {
  if (name == "mode") {
    c->set_mode(value);
  } else if (name == "path") {
    c->add_path(value);
  } else if (name == "peer") {
    c->add_peer(value);
  } else if (name == "peer-learning") {
    c->set_peer_learning(value);
  } else if (name == "udp-port") {
    uint32_t port;
    if (!absl::SimpleAtoi(value, &port)) {
      return Bad(absl::StrCat("--udp-port: \"", value, "\" is not a number"));
    }
    c->set_udp_port(port);
  } else if (name == "tun") {
    c->set_tun(value);
  } else if (name == "no-routing") {
    if (value != "true" && value != "false") {
      return Bad(
          absl::StrCat("--no-routing: \"", value, "\" is not true or false"));
    }
    c->set_no_routing(value == "true");
  } else if (name == "forward") {
    c->add_forward(value);
  } else if (name == "transparent") {
    c->add_transparent(value);
  } else if (name == "serve") {
    c->add_serve(value);
  } else if (name == "scheduler") {
    c->set_scheduler(value);
  } else if (name == "congestion-control") {
    c->set_congestion_control(value);
  } else if (name == "path-manager") {
    c->set_path_manager(value);
  } else if (name == "config") {
    *config_file = value;
  } else if (name == "log-format") {
    c->set_log_format(value);
  } else if (name == "buffer-kib" || name == "memory-budget-mib") {
    uint32_t n;
    if (!absl::SimpleAtoi(value, &n)) {
      return Bad(
          absl::StrCat("--", name, ": \"", value, "\" is not a whole number"));
    }
    if (name == "buffer-kib") {
      c->set_buffer_kib(n);
    } else {
      c->set_memory_budget_mib(n);
    }
  } else if (name == "checksums") {
    if (value != "true" && value != "false") {
      return Bad(
          absl::StrCat("--checksums: \"", value, "\" is not true or false"));
    }
    c->set_checksums(value == "true");
  } else if (name == "api") {
    c->set_api(value);
  } else if (name == "api-tls-cert") {
    c->set_api_tls_cert(value);
  } else if (name == "api-tls-key") {
    c->set_api_tls_key(value);
  } else if (name == "api-tls-client-ca") {
    c->set_api_tls_client_ca(value);
  } else if (name == "api-mutations-need-mtls") {
    if (value != "true" && value != "false") {
      return Bad(absl::StrCat("--api-mutations-need-mtls: \"", value,
                              "\" is not true or false"));
    }
    c->set_api_mutations_need_mtls(value == "true");
  } else if (name == "state-dir") {
    c->set_state_dir(value);
  } else if (name == "label") {
    c->add_label(value);
  } else if (name == "metrics") {
    c->set_metrics(value);
  } else if (name == "drain-timeout" || name == "stats-interval") {
    double seconds;
    if (!absl::SimpleAtod(value, &seconds)) {
      return Bad(absl::StrCat("--", name, ": \"", value,
                              "\" is not a number of seconds"));
    }
    if (name == "drain-timeout") {
      c->set_drain_timeout(seconds);
    } else {
      c->set_stats_interval(seconds);
    }
  }
  return absl::OkStatus();
}

class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit ErrorCollector(std::string file) : file_(std::move(file)) {}
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) {
      first_ =
          absl::StrCat(file_, ":", line + 1, ":", column + 1, ": ", message);
    }
  }
  const std::string& first() const { return first_; }

 private:
  std::string file_;
  std::string first_;
};

absl::StatusOr<PlaitdConfig> ReadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Bad(absl::StrCat("--config: cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  PlaitdConfig config;
  ErrorCollector errors(path);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), &config)) {
    return Bad(errors.first().empty() ? absl::StrCat(path, ": cannot be parsed")
                                      : errors.first());
  }
  return config;
}

absl::StatusOr<wire::IpAddress> ParseIp(const std::string& what,
                                        absl::string_view text) {
  auto ip = wire::IpAddress::Parse(text);
  if (!ip.ok()) {
    return Bad(absl::StrCat(what, ": \"", text, "\" is not an IP address"));
  }
  return *ip;
}

absl::StatusOr<uint16_t> ParsePort(const std::string& what,
                                   absl::string_view text, bool allow_zero) {
  uint32_t port;
  if (!absl::SimpleAtoi(text, &port) || port > 65535 ||
      (port == 0 && !allow_zero)) {
    return Bad(absl::StrCat(what, ": \"", text, "\" is not a port"));
  }
  return static_cast<uint16_t>(port);
}

// "ADDR:PORT" or "[V6ADDR]:PORT".
absl::StatusOr<proxy::TcpAddress> ParseAddressPort(const std::string& what,
                                                   absl::string_view text,
                                                   bool allow_zero_port) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    return Bad(absl::StrCat(what, ": \"", text, "\" is not ADDR:PORT"));
  }
  absl::string_view host = text.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) {
    return Bad(absl::StrCat(what, ": \"", text, "\" is not ADDR:PORT"));
  }
  auto ip = ParseIp(what, host);
  if (!ip.ok()) return ip.status();
  auto port = ParsePort(what, text.substr(colon + 1), allow_zero_port);
  if (!port.ok()) return port.status();
  return proxy::TcpAddress{*ip, *port};
}

absl::StatusOr<std::pair<std::string, std::string>> SplitEq(
    const std::string& what, const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '=');
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    return Bad(absl::StrCat(what, ": \"", text, "\" needs the form A=B"));
  }
  return std::make_pair(parts[0], parts[1]);
}

bool Known(const std::string& name, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (n == name) return true;
  }
  return false;
}

// The API, state and metrics flags.
absl::Status ValidateApi(const PlaitdConfig& c, DaemonOptions* o) {
  o->api = c.has_api() ? c.api() : api::DefaultApiAddress();
  if (o->api == "none") o->api.clear();
  if (c.has_api() && c.api().empty()) {
    return Bad("--api: empty (give an address, or none)");
  }
  o->api_tls_cert = c.api_tls_cert();
  o->api_tls_key = c.api_tls_key();
  o->api_tls_client_ca = c.api_tls_client_ca();
  o->api_mutations_need_mtls = c.api_mutations_need_mtls();
  if (o->api_mutations_need_mtls && o->api_tls_client_ca.empty()) {
    return Bad(
        "--api-mutations-need-mtls: needs --api-tls-client-ca (without it no "
        "client certificate can be verified, and nothing could change the "
        "dataplane)");
  }
  if ((!o->api_tls_cert.empty() || !o->api_tls_key.empty() ||
       !o->api_tls_client_ca.empty()) &&
      o->api.empty()) {
    return Bad("--api-tls-*: given with --api none");
  }
  o->state_dir = c.state_dir();
  if (c.has_state_dir() && c.state_dir().empty()) {
    return Bad("--state-dir: empty");
  }
  for (const std::string& label : c.label()) {
    const size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Bad(absl::StrCat("--label \"", label,
                              "\": expected KEY=VALUE with a non-empty KEY"));
    }
    const std::string key = label.substr(0, eq);
    for (const auto& [k, v] : o->labels) {
      if (k == key) {
        return Bad(absl::StrCat("--label \"", label, "\": ", key,
                                " is given twice"));
      }
    }
    o->labels.emplace_back(key, label.substr(eq + 1));
  }
  o->metrics = c.metrics();
  if (c.has_metrics() && c.metrics().find(':') == std::string::npos) {
    return Bad(absl::StrCat("--metrics \"", c.metrics(),
                            "\": expected HOST:PORT (e.g. 127.0.0.1:9464)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DaemonOptions> Validate(const PlaitdConfig& c) {
  DaemonOptions o;
  const std::string mode = c.has_mode() ? c.mode() : "udp";
  if (mode == "tun") {
    o.mode = Mode::kTun;
    // The UDP mode's flags would silently do nothing.
    if (c.peer_size() > 0) {
      return Bad(
          "--peer: only for --mode=udp (in TUN mode the host's routing "
          "reaches the peer's path addresses)");
    }
    if (c.has_udp_port()) return Bad("--udp-port: only for --mode=udp");
    if (c.has_peer_learning())
      return Bad("--peer-learning: only for --mode=udp");
    if (c.has_tun()) {
      const std::string& name = c.tun();
      // IFNAMSIZ (16) with its NUL; the kernel refuses '/', ':' and blanks.
      if (name.empty() || name.size() > 15 || name == "." || name == ".." ||
          name.find_first_of("/: \t\n") != std::string::npos) {
        return Bad(absl::StrCat("--tun: \"", name,
                                "\" is not an interface name (1 to 15 "
                                "characters, no '/', ':' or blanks)"));
      }
      o.tun_name = name;
    }
    o.no_routing = c.no_routing();
  } else if (mode == "udp") {
    if (c.has_tun()) return Bad("--tun: only for --mode=tun");
    if (c.has_no_routing()) return Bad("--no-routing: only for --mode=tun");
  } else {
    return Bad(absl::StrCat("--mode: \"", mode, "\" is not udp or tun"));
  }
  if (c.path_size() == 0) return Bad("--path: at least one is required");
  for (const std::string& p : c.path()) {
    auto ip = ParseIp("--path", p);
    if (!ip.ok()) return ip.status();
    for (const auto& seen : o.paths) {
      if (seen == *ip) return Bad(absl::StrCat("--path: ", p, " given twice"));
    }
    o.paths.push_back(*ip);
  }
  if (c.has_udp_port()) {
    if (c.udp_port() > 65535) {
      return Bad(absl::StrCat("--udp-port: ", c.udp_port(), " is not a port"));
    }
    o.udp_port = static_cast<uint16_t>(c.udp_port());
  }
  for (const std::string& p : c.peer()) {
    const std::string what = absl::StrCat("--peer \"", p, "\"");
    auto kv = SplitEq("--peer", p);
    if (!kv.ok()) return kv.status();
    auto inner = ParseIp(what, kv->first);
    if (!inner.ok()) return inner.status();
    auto outer = ParseAddressPort(what, kv->second, false);
    if (!outer.ok()) return outer.status();
    o.peers.push_back({*inner, {outer->address, outer->port}});
  }
  if (c.has_peer_learning()) {
    const std::string& l = c.peer_learning();
    if (l == "off") {
      o.peer_learning = io::udp::PeerLearning::kOff;
    } else if (l == "same-address") {
      o.peer_learning = io::udp::PeerLearning::kSameAddress;
    } else if (l == "any") {
      o.peer_learning = io::udp::PeerLearning::kAny;
    } else {
      return Bad(absl::StrCat("--peer-learning: \"", l,
                              "\" is not off, same-address or any"));
    }
  }
  for (const std::string& f : c.forward()) {
    const std::string what = absl::StrCat("--forward \"", f, "\"");
    auto kv = SplitEq("--forward", f);
    if (!kv.ok()) return kv.status();
    auto local = ParseAddressPort(what, kv->first, true);
    if (!local.ok()) return local.status();
    auto remote = ParseAddressPort(what, kv->second, false);
    if (!remote.ok()) return remote.status();
    if (remote->address.is_v4() != o.paths[0].is_v4()) {
      return Bad(absl::StrCat(what,
                              ": the remote's family differs from the first "
                              "--path's"));
    }
    o.forwards.push_back({*local, *remote, o.paths[0]});
  }
  for (const std::string& t : c.transparent()) {
    const std::string what = absl::StrCat("--transparent \"", t, "\"");
    // The original destination comes from the iptables rule, which names
    // the listener's port: the kernel cannot pick it.
    auto local = ParseAddressPort(what, t, false);
    if (!local.ok()) return local.status();
    if (local->address.is_v4() != o.paths[0].is_v4()) {
      return Bad(absl::StrCat(what,
                              ": the listener's family differs from the first "
                              "--path's (a redirected connection keeps its "
                              "family)"));
    }
    o.forwards.push_back({*local, {}, o.paths[0], /*transparent=*/true});
  }
  for (const std::string& s : c.serve()) {
    const std::string what = absl::StrCat("--serve \"", s, "\"");
    auto kv = SplitEq("--serve", s);
    if (!kv.ok()) return kv.status();
    auto port = ParsePort(what, kv->first, false);
    if (!port.ok()) return port.status();
    auto target = ParseAddressPort(what, kv->second, false);
    if (!target.ok()) return target.status();
    o.serves.push_back({*port, *target});
  }
  if (c.has_scheduler()) o.scheduler = c.scheduler();
  if (!Known(o.scheduler, sched::SchedulerNames())) {
    return Bad(absl::StrCat("--scheduler: \"", o.scheduler, "\" is not one of ",
                            absl::StrJoin(sched::SchedulerNames(), ", ")));
  }
  if (c.has_congestion_control()) o.congestion_control = c.congestion_control();
  if (!Known(o.congestion_control, cc::CongestionControlNames())) {
    return Bad(absl::StrCat("--congestion-control: \"", o.congestion_control,
                            "\" is not one of ",
                            absl::StrJoin(cc::CongestionControlNames(), ", ")));
  }
  if (c.has_path_manager()) o.path_manager = c.path_manager();
  if (!Known(o.path_manager, pm::PathManagerNames())) {
    return Bad(absl::StrCat("--path-manager: \"", o.path_manager,
                            "\" is not one of ",
                            absl::StrJoin(pm::PathManagerNames(), ", ")));
  }
  if (c.has_log_format()) {
    if (c.log_format() == "json") {
      o.log_format = LogFormat::kJson;
    } else if (c.log_format() != "text") {
      return Bad(absl::StrCat("--log-format: \"", c.log_format(),
                              "\" is not text or json"));
    }
  }
  if (c.has_drain_timeout()) {
    if (!(c.drain_timeout() >= 0 && c.drain_timeout() < 86400)) {
      return Bad("--drain-timeout: must be between 0 and 86400 seconds");
    }
    o.drain_timeout = FromSeconds(c.drain_timeout());
  }
  if (c.has_stats_interval()) {
    if (!(c.stats_interval() >= 0 && c.stats_interval() < 86400)) {
      return Bad("--stats-interval: must be between 0 and 86400 seconds");
    }
    o.stats_interval = FromSeconds(c.stats_interval());
  }
  if (c.has_buffer_kib()) {
    // At least a few segments; at most what a 32-bit window can use.
    if (c.buffer_kib() < 16 || c.buffer_kib() > 65536) {
      return Bad(absl::StrCat("--buffer-kib: ", c.buffer_kib(),
                              " is not between 16 and 65536"));
    }
    o.buffer_bytes = size_t{c.buffer_kib()} << 10;
  }
  if (c.has_memory_budget_mib()) {
    if (c.memory_budget_mib() < 1 || c.memory_budget_mib() > (1u << 20)) {
      return Bad(absl::StrCat("--memory-budget-mib: ", c.memory_budget_mib(),
                              " is not between 1 and 1048576"));
    }
    o.memory_budget_bytes = size_t{c.memory_budget_mib()} << 20;
  }
  if (c.has_checksums()) o.checksums = c.checksums();
  if (absl::Status s = ValidateApi(c, &o); !s.ok()) return s;
  return o;
}

}  // namespace

const char* UsageText() {
  static const std::string* text = new std::string(
      absl::StrFormat(kUsage, absl::StrJoin(sched::SchedulerNames(), ", "),
                      absl::StrJoin(cc::CongestionControlNames(), ", "),
                      absl::StrJoin(pm::PathManagerNames(), ", ")));
  return text->c_str();
}

absl::StatusOr<DaemonOptions> ParseOptions(int argc, char** argv) {
  PlaitdConfig flags;
  std::string config_file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      DaemonOptions o;
      o.help = true;
      return o;
    }
    if (arg.rfind("--", 0) != 0) {
      return Bad(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& f : kFlags) {
      if (name == f.name) spec = &f;
    }
    if (spec == nullptr) return Bad(absl::StrCat("unknown flag --", name));
    if (!has_value && spec->boolean) {
      value = "true";
    } else if (!has_value) {
      if (i + 1 >= argc) return Bad(absl::StrCat("--", name, " needs a value"));
      value = argv[++i];
    }
    if (absl::Status s = SetFlag(name, value, &flags, &config_file); !s.ok()) {
      return s;
    }
  }
  PlaitdConfig merged;
  if (!config_file.empty()) {
    auto file = ReadConfigFile(config_file);
    if (!file.ok()) return file.status();
    merged = *file;
  }
  merged.MergeFrom(flags);
  auto options = Validate(merged);
  if (!options.ok() && !config_file.empty()) {
    // Say where the bad value may have come from.
    return Bad(absl::StrCat(options.status().message(), " (flags and ",
                            config_file, ")"));
  }
  return options;
}

}  // namespace plait::daemon
