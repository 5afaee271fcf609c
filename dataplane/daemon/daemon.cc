#include "dataplane/daemon/daemon.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/api/api_server.h"
#include "dataplane/api/dataplane_service.h"
#include "dataplane/api/event_hub.h"
#include "dataplane/api/loop_caller.h"
#include "dataplane/daemon/api_backend.h"
#include "dataplane/daemon/event_recorder.h"
#include "dataplane/daemon/node.h"
#include "dataplane/daemon/policy_control.h"
#include "dataplane/metrics/connection_totals.h"
#include "dataplane/metrics/exporter.h"
#include "dataplane/metrics/io_drops.h"
#include "dataplane/daemon/tun_node.h"
#include "dataplane/daemon/udp_node.h"
#include "dataplane/io/tun/tun_device.h"
#include "dataplane/io/udp/encapsulation.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/proxy/bridge_set.h"
#include "dataplane/proxy/forwarder.h"
#include "dataplane/proxy/server.h"
#include "dataplane/runtime/drain.h"
#include "dataplane/runtime/event_loop.h"

namespace plait::daemon {
namespace {

std::string Endpoint(const wire::IpAddress& a, uint16_t port) {
  return a.is_v4() ? absl::StrCat(a.ToString(), ":", port)
                   : absl::StrCat("[", a.ToString(), "]:", port);
}

// Wall-clock time for the API (event times, the policy's applied time);
// the loop's clock is monotonic.
double UnixNow() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

uint64_t RandomSeed() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
    seed = static_cast<uint64_t>(time(nullptr)) * 2654435761u ^ getpid();
  }
  return seed;
}

mptcp::MptcpConfig ConnectionConfig(const DaemonOptions& o) {
  mptcp::MptcpConfig config;
  const bool v4 = o.paths[0].is_v4();
  // What a 1500-byte path carries: inside the encapsulation in UDP mode,
  // less the IP and TCP headers in TUN mode (the device's MTU is 1500).
  config.tcp.mss = static_cast<uint16_t>(o.mode == Mode::kUdp
                                             ? io::udp::InnerMss(v4, v4, 1500)
                                             : 1500 - (v4 ? 20 : 40) - 20);
  config.tcp.congestion_control = o.congestion_control;
  config.send_buffer_bytes = o.buffer_bytes;
  config.receive_buffer_bytes = o.buffer_bytes;
  config.tcp.send_buffer_bytes = o.buffer_bytes;
  config.tcp.receive_buffer_bytes = o.buffer_bytes;
  config.checksums = o.checksums;
  config.scheduler = o.scheduler;
  config.path_manager = o.path_manager;
  // Every path after the first opens a subflow to the peer, as Linux's
  // `ip mptcp endpoint add ADDR subflow` would.
  for (size_t i = 1; i < o.paths.size() && i <= pm::kMaxLimit; ++i) {
    pm::Endpoint e;
    e.id = static_cast<uint8_t>(i);
    e.address = o.paths[i];
    e.subflow = true;
    config.path_manager_config.endpoints.push_back(e);
  }
  config.path_manager_config.limits.max_subflows = std::min<int>(
      pm::kMaxLimit, std::max<int>(2, static_cast<int>(o.paths.size()) - 1));
  return config;
}

// Per-connection figures kept between statistics lines.
struct Tally {
  Time opened;
  uint64_t up = 0;
  uint64_t down = 0;
  std::vector<uint64_t> subflow_sent;
  std::vector<uint64_t> subflow_received;
};

void AddSubflowFields(const mptcp::MptcpConnection& c,
                      std::vector<LogField>* fields) {
  fields->emplace_back("subflows", static_cast<uint64_t>(c.subflow_count()));
  for (size_t i = 0; i < c.subflow_count(); ++i) {
    const tcp::TcpConnection& sf = c.subflow(i);
    const std::string p = absl::StrCat("sf", i, "_");
    fields->emplace_back(
        p + "local", Endpoint(sf.endpoints().local, sf.endpoints().local_port));
    fields->emplace_back(p + "sent_bytes", sf.stats().bytes_sent);
    fields->emplace_back(p + "received_bytes", sf.stats().bytes_delivered);
    fields->emplace_back(p + "retransmitted_bytes",
                         sf.stats().bytes_retransmitted);
  }
}

// The mode's packet I/O and what the daemon logs about it.
struct OpenedNode {
  std::unique_ptr<Node> node;
  // The mode's own fields of the "started" line.
  std::vector<LogField> started;
  // Logs the mode's counters; called before the node goes.
  std::function<void()> log_stats;
  // What carries each path (GetStatus): a UDP endpoint, or the device.
  std::vector<std::string> via;
  // The packet I/O's drops by reason, for the metrics.
  std::function<std::vector<metrics::IoDrop>()> io_drops;
};

absl::StatusOr<OpenedNode> OpenUdpNode(runtime::EventLoop* loop,
                                       const DaemonOptions& o,
                                       const stack::StackConfig& stack_config,
                                       Logger* log) {
  io::udp::UdpTransportConfig transport;
  for (const wire::IpAddress& path : o.paths) {
    transport.paths.push_back({path, {path, o.udp_port}});
  }
  transport.peers = o.peers;
  transport.learning = o.peer_learning;
  auto node_or = UdpNode::Create(loop, transport, stack_config);
  if (!node_or.ok()) return node_or.status();
  UdpNode* node = node_or->get();
  for (size_t i = 0; i < node->transport().path_count(); ++i) {
    log->Info("path",
              {{"address", node->transport().inner_address(i).ToString()},
               {"udp", node->transport().socket(i).local().ToString()}});
  }
  OpenedNode opened;
  opened.node = std::move(*node_or);
  opened.started = {{"mode", "udp"},
                    {"udp_port", static_cast<uint64_t>(o.udp_port)}};
  for (size_t i = 0; i < node->transport().path_count(); ++i) {
    opened.via.push_back(node->transport().socket(i).local().ToString());
  }
  opened.io_drops = [node] { return metrics::UdpIoDrops(node->transport()); };
  opened.log_stats = [node, log] {
    for (size_t i = 0; i < node->transport().path_count(); ++i) {
      const auto& s = node->transport().socket(i).stats();
      log->Info("path_stats",
                {{"path", node->transport().inner_address(i).ToString()},
                 {"sent_datagrams", s.sent},
                 {"received_datagrams", s.received},
                 {"send_errors", s.send_errors},
                 {"queue_full", s.queue_full}});
    }
    const auto& ts = node->transport().stats();
    uint64_t dropped = 0;
    for (uint64_t d : ts.dropped) dropped += d;
    std::vector<LogField> fields = {{"delivered", ts.delivered},
                                    {"dropped", dropped},
                                    {"send_no_peer", ts.send_no_peer},
                                    {"flush_errors", node->flush_errors()}};
    // Each drop reason by name (dropped_bad_magic, ...), for whoever reads
    // the logs after an attack or a misconfiguration.
    for (size_t r = 0; r < ts.dropped.size(); ++r) {
      fields.emplace_back(
          absl::StrCat("dropped_", io::udp::DropReasonName(
                                       static_cast<io::udp::DropReason>(r))),
          ts.dropped[r]);
    }
    log->Info("transport_stats", fields);
  };
  return opened;
}

absl::StatusOr<OpenedNode> OpenTunNode(runtime::EventLoop* loop,
                                       const DaemonOptions& o,
                                       const stack::StackConfig& stack_config,
                                       Logger* log) {
  io::tun::TunDeviceConfig device;
  device.name = o.tun_name;
  device.path_addresses = o.paths;
  device.no_routing = o.no_routing;
  auto node_or = TunNode::Create(loop, device, stack_config);
  if (!node_or.ok()) {
    return absl::Status(node_or.status().code(),
                        absl::StrCat("TUN device \"", o.tun_name,
                                     "\": ", node_or.status().message()));
  }
  TunNode* node = node_or->get();
  const io::tun::TunRouting* routing = node->device().routing();
  for (const wire::IpAddress& path : o.paths) {
    log->Info("path", {{"address", path.ToString()},
                       {"tun", node->device().name()},
                       {"routed", routing != nullptr}});
  }
  const uint64_t routes =
      routing == nullptr ? 0 : routing->added_routes().size();
  log->Info("tun", {{"device", node->device().name()},
                    {"ifindex", node->device().ifindex()},
                    {"routes_added", routes},
                    {"routing", o.no_routing ? "operator" : "plaitd"}});
  OpenedNode opened;
  opened.node = std::move(*node_or);
  opened.started = {{"mode", "tun"}, {"tun", node->device().name()}};
  opened.via.assign(o.paths.size(), node->device().name());
  opened.io_drops = [node] {
    return metrics::TunIoDrops(node->device().stats());
  };
  opened.log_stats = [node, log] {
    const io::tun::TunDevice::Stats& s = node->device().stats();
    std::vector<LogField> fields = {{"device", node->device().name()},
                                    {"packets_in", s.packets_in},
                                    {"bytes_in", s.bytes_in},
                                    {"packets_out", s.packets_out},
                                    {"bytes_out", s.bytes_out},
                                    {"write_blocked", s.write_blocked},
                                    {"read_errors", node->read_errors()}};
    for (size_t d = 0; d < io::tun::TunDevice::kDropCount; ++d) {
      fields.emplace_back(
          absl::StrCat("drop_", io::tun::TunDevice::DropName(
                                    static_cast<io::tun::TunDevice::Drop>(d))),
          s.drops[d]);
    }
    log->Info("tun_stats", fields);
  };
  return opened;
}

}  // namespace

absl::Status RunDaemon(const DaemonOptions& o, Logger* log) {
  auto loop_or = runtime::EventLoop::Create();
  if (!loop_or.ok()) return loop_or.status();
  std::unique_ptr<runtime::EventLoop> loop = std::move(*loop_or);
  runtime::EventLoop* const l = loop.get();

  runtime::DrainOptions drain_options;
  drain_options.deadline = o.drain_timeout;
  drain_options.on_begin = [log] { log->Info("drain_begin"); };
  drain_options.on_finish = [log](const runtime::DrainResult& r) {
    log->Info("drain_end", {{"completed", r.completed},
                            {"pending", absl::StrJoin(r.pending, ",")},
                            {"elapsed_s", ToSeconds(r.elapsed)}});
  };
  runtime::Drain drain(l, drain_options);
  // Before any thread exists (EventLoop::HandleSignal's contract).
  if (absl::Status s = drain.InstallSignalHandlers(); !s.ok()) return s;

  // The API's events; the core reports to the recorder (set on every
  // connection by the stack).
  api::EventHub hub;
  EventRecorder recorder(&hub, l, UnixNow);

  stack::StackConfig stack_config;
  stack_config.event_sink = &recorder;
  stack_config.seed = RandomSeed();
  stack_config.max_buffer_bytes = o.memory_budget_bytes;
  auto opened = o.mode == Mode::kTun ? OpenTunNode(l, o, stack_config, log)
                                     : OpenUdpNode(l, o, stack_config, log);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<Node> node = std::move(opened->node);

  const mptcp::MptcpConfig config = ConnectionConfig(o);
  if (absl::Status s = pm::ValidateConfig(config.path_manager_config);
      !s.ok()) {
    return s;
  }

  std::vector<std::unique_ptr<proxy::Server>> servers;
  PolicyControl::Hooks policy_hooks;
  policy_hooks.unix_now = UnixNow;
  policy_hooks.on_applied = [&](const std::string& version) {
    log->Info("policy_applied", {{"version", version}});
    recorder.PolicyApplied(version);
    // A listener holds one configuration: give it the new policy's.
    for (auto& s : servers) s->Replan();
  };
  policy_hooks.on_refused = [&](const std::string& reason) {
    log->Warning("policy_refused", {{"reason", reason}});
    recorder.PolicyRefused(reason);
  };
  PolicyControl policy(
      config, o.paths, policy::Labels(o.labels.begin(), o.labels.end()),
      policy_hooks);
  if (!o.state_dir.empty()) {
    if (absl::Status s = policy.LoadState(o.state_dir); !s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat("--state-dir: ", s.message()));
    }
  }
  const proxy::Planner planner = [&policy](const std::string& listener,
                                           const proxy::TcpAddress& target) {
    return policy.Plan(listener, target);
  };

  metrics::ConnectionTotals closed_totals;
  absl::flat_hash_map<uint64_t, Tally> tallies;
  proxy::BridgeSet::Events events;
  events.on_open = [&](const proxy::Bridge&, const proxy::BridgeInfo& info) {
    recorder.ConnectionOpened(info);
    tallies[info.id].opened = l->Now();
    log->Info("conn_open", {{"id", info.id},
                            {"kind", info.kind},
                            {"client", info.client},
                            {"target", info.target}});
  };
  events.on_close = [&](const proxy::Bridge& b, const proxy::BridgeInfo& info) {
    recorder.ConnectionClosed(b, info);
    // Released next (BridgeSet): its counts stay in the metrics' totals.
    if (b.connection() != nullptr) closed_totals.AddClosed(*b.connection());
    const double seconds = ToSeconds(l->Now() - tallies[info.id].opened);
    tallies.erase(info.id);
    std::vector<LogField> fields = {
        {"id", info.id},
        {"kind", info.kind},
        {"client", info.client},
        {"target", info.target},
        {"rule", info.rule},
        {"profile", info.profile},
        {"bytes_to_mptcp", b.stats().to_mptcp},
        {"bytes_to_socket", b.stats().to_socket},
        {"duration_s", seconds},
        {"reason", b.connection() == nullptr
                       ? "no_connection"
                       : mptcp::MptcpCloseReasonName(b.close_reason())}};
    if (b.socket_error() != 0) {
      fields.emplace_back("socket_error",
                          std::string(strerror(b.socket_error())));
    }
    if (b.connection() != nullptr) {
      fields.emplace_back("fallback", b.connection()->fallback());
      AddSubflowFields(*b.connection(), &fields);
    }
    log->Info("conn_close", fields);
  };
  proxy::BridgeSet bridges(
      l, node->stack(), proxy::Bridge::Options(), [&node] { node->Kick(); },
      events);
  recorder.Attach(&bridges, [&node] { node->Kick(); });

  auto on_error = [log](const absl::Status& s) {
    log->Warning("connect_error", {{"error", std::string(s.message())}});
  };
  std::vector<std::unique_ptr<proxy::Forwarder>> forwarders;
  for (const proxy::ForwardSpec& spec : o.forwards) {
    auto f = proxy::Forwarder::Create(l, node->stack(), &bridges, spec,
                                      planner, on_error);
    if (!f.ok()) return f.status();
    if (spec.transparent) {
      log->Info("transparent",
                {{"listen", Endpoint(spec.listen.address, (*f)->port())}});
    } else {
      log->Info("forward",
                {{"listen", Endpoint(spec.listen.address, (*f)->port())},
                 {"remote", Endpoint(spec.remote.address, spec.remote.port)}});
    }
    forwarders.push_back(std::move(*f));
  }
  for (const proxy::ServeSpec& spec : o.serves) {
    servers.push_back(std::make_unique<proxy::Server>(
        l, node->stack(), &bridges, spec, o.paths, planner, on_error));
    log->Info("serve",
              {{"port", static_cast<uint64_t>(spec.port)},
               {"target", Endpoint(spec.target.address, spec.target.port)}});
  }

  // The API server, started below once every listener exists; the drain
  // marks it not serving (readiness probes see the drain; the API itself
  // stays up until exit).
  api::ApiServer* serving_api = nullptr;
  drain.AddDrainer("connections", [&](runtime::Drain::Done done) {
    if (serving_api != nullptr) serving_api->SetServing(false);
    for (auto& f : forwarders) f->StopAccepting();
    for (auto& s : servers) s->StopAccepting();
    log->Info("drain_connections",
              {{"open", static_cast<uint64_t>(bridges.size())}});
    bridges.Drain(std::move(done));
  });

  // Periodic throughput: per connection and per subflow, since the last
  // line. Cheap: a walk over the open connections every interval.
  std::function<void()> stats_tick;
  Time last_tick = l->Now();
  stats_tick = [&] {
    // The timer may run late: rates over the time that really passed.
    const Time now = l->Now();
    const double interval = std::max(1e-6, ToSeconds(now - last_tick));
    last_tick = now;
    bridges.ForEach([&](const proxy::Bridge& b, const proxy::BridgeInfo& info) {
      auto it = tallies.find(info.id);
      if (it == tallies.end()) return;  // closed, not yet destroyed
      Tally& t = it->second;
      std::vector<LogField> fields = {
          {"id", info.id},
          {"up_mbps", (b.stats().to_mptcp - t.up) * 8 / interval / 1e6},
          {"down_mbps", (b.stats().to_socket - t.down) * 8 / interval / 1e6}};
      t.up = b.stats().to_mptcp;
      t.down = b.stats().to_socket;
      if (const mptcp::MptcpConnection* c = b.connection(); c != nullptr) {
        t.subflow_sent.resize(c->subflow_count(), 0);
        t.subflow_received.resize(c->subflow_count(), 0);
        for (size_t i = 0; i < c->subflow_count(); ++i) {
          const tcp::TcpConnection& sf = c->subflow(i);
          const uint64_t sent = sf.stats().bytes_sent;
          const uint64_t received = sf.stats().bytes_delivered;
          fields.emplace_back(
              absl::StrCat("sf", i, "_local"),
              Endpoint(sf.endpoints().local, sf.endpoints().local_port));
          fields.emplace_back(absl::StrCat("sf", i, "_send_mbps"),
                              (sent - t.subflow_sent[i]) * 8 / interval / 1e6);
          fields.emplace_back(
              absl::StrCat("sf", i, "_recv_mbps"),
              (received - t.subflow_received[i]) * 8 / interval / 1e6);
          t.subflow_sent[i] = sent;
          t.subflow_received[i] = received;
        }
      }
      log->Info("conn_stats", fields);
    });
    l->RunAfter(o.stats_interval, stats_tick);
  };
  if (o.stats_interval > Duration::zero()) {
    l->RunAfter(o.stats_interval, stats_tick);
  }

  // The API: gRPC threads hand their calls to this loop (LoopCaller).
  ApiBackend backend(l, &o, node.get(), &bridges, &policy, opened->via);
  std::vector<std::string> listeners;
  for (const auto& f : forwarders) listeners.push_back(f->name());
  for (const auto& s : servers) listeners.push_back(s->name());
  backend.set_listeners(listeners);
  api::LoopCaller caller(l);
  api::ServiceOptions service_options;
  service_options.mutations_need_mtls = o.api_mutations_need_mtls;
  api::DataplaneServiceImpl service(&caller, &backend, &hub, service_options);
  // After the service it serves: destroyed (shut down) before it.
  std::unique_ptr<api::ApiServer> api_server;
  if (!o.api.empty()) {
    api::ApiServerOptions api_options;
    api_options.address = o.api;
    api_options.tls_cert_file = o.api_tls_cert;
    api_options.tls_key_file = o.api_tls_key;
    api_options.tls_client_ca_file = o.api_tls_client_ca;
    auto started = api::ApiServer::Start(api_options, {&service});
    if (!started.ok()) return started.status();
    api_server = std::move(*started);
    serving_api = api_server.get();
    log->Info("api", {{"address", api_server->address()},
                      {"tls", !o.api_tls_cert.empty()},
                      {"mtls", !o.api_tls_client_ca.empty()},
                      {"mutations_need_mtls", o.api_mutations_need_mtls}});
  }

  // Metrics: a snapshot from the loop thread every second; scrapes read
  // the last one (the exporter's threads never touch the dataplane).
  std::unique_ptr<metrics::MetricsExporter> exporter;
  std::function<void()> metrics_tick;
  if (!o.metrics.empty()) {
    auto started = metrics::MetricsExporter::Start(o.metrics);
    if (!started.ok()) return started.status();
    exporter = std::move(*started);
    metrics_tick = [&] {
      metrics::MetricsSnapshot snapshot;
      snapshot.paths = node->path_counters();
      snapshot.stack = node->stack()->stats();
      std::vector<const mptcp::MptcpConnection*> live;
      bridges.ForEach([&](const proxy::Bridge& b, const proxy::BridgeInfo&) {
        // A finished bridge's counts are in closed_totals already.
        if (b.connection() != nullptr && !b.finished()) {
          live.push_back(b.connection());
        }
      });
      closed_totals.Collect(live, &snapshot);
      snapshot.io_drops = opened->io_drops();
      snapshot.policy_generation = policy.generation();
      snapshot.policy_refusals = policy.refusals();
      snapshot.event_loop_lag = l->lag().Read();
      exporter->Update(snapshot);
      l->RunAfter(Seconds(1), metrics_tick);
    };
    metrics_tick();
    log->Info("metrics", {{"address", o.metrics},
                          {"port", static_cast<uint64_t>(exporter->port())}});
  }

  std::vector<std::string> paths;
  for (const auto& p : o.paths) paths.push_back(p.ToString());
  std::vector<LogField> started = std::move(opened->started);
  started.insert(started.end(), {{"paths", absl::StrJoin(paths, ",")},
                                 {"scheduler", o.scheduler},
                                 {"congestion_control", o.congestion_control},
                                 {"path_manager", o.path_manager}});
  log->Info("started", started);

  absl::Status status = l->Run();

  // The API first: its calls wait for a loop that no longer runs.
  caller.Close();
  hub.Close();
  if (api_server != nullptr) api_server->Shutdown(std::chrono::seconds(1));

  opened->log_stats();
  const stack::Stack::Stats& ss = node->stack()->stats();
  log->Info("stack_stats",
            {{"segments", ss.segments},
             {"bad_checksum", ss.bad_checksum},
             {"malformed", ss.malformed},
             {"no_connection", ss.no_connection},
             {"refused", ss.refused},
             {"refused_for_memory", ss.refused_for_memory},
             {"joins", ss.joins},
             {"open_connections", static_cast<uint64_t>(bridges.size())}});
  // The stacks' connections call their owners (the bridges): they go first.
  forwarders.clear();
  servers.clear();
  node.reset();
  return status;
}

}  // namespace plait::daemon
