#include "sim/scenario_runner.h"

#include <algorithm>
#include <deque>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "dataplane/pm/path_manager.h"
#include "sim/flow_app.h"
#include "sim/injector.h"
#include "sim/link.h"
#include "sim/middlebox.h"
#include "sim/node.h"
#include "sim/pcap_tap.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/tcp_host.h"

namespace plait::sim {
namespace {

Time At(double seconds) { return TimeFromEpoch(FromSeconds(seconds)); }

LinkConfig ToLinkConfig(const v1::LinkDirection& d) {
  LinkConfig c;
  c.rate_bps = static_cast<uint64_t>(d.rate_mbps() * 1e6);
  c.delay = FromSeconds(d.delay_ms() / 1000);
  c.jitter = FromSeconds(d.jitter_ms() / 1000);
  c.loss = d.loss();
  if (d.has_burst_loss()) {
    const v1::GilbertElliott& g = d.burst_loss();
    c.gilbert_elliott = GilbertElliott{g.p_good_to_bad(), g.p_bad_to_good(),
                                       g.loss_in_good(), g.loss_in_bad()};
  }
  c.reorder_probability = d.reorder_probability();
  c.reorder_extra_delay = FromSeconds(d.reorder_extra_delay_ms() / 1000);
  c.mtu = d.mtu();
  if (d.queue_bytes() > 0) {
    c.queue_limit_bytes = d.queue_bytes();
  } else if (d.queue_bdp() > 0) {
    // The BDP over this direction's round trip (twice its one-way delay).
    const double bdp = d.rate_mbps() * 1e6 / 8 * 2 * d.delay_ms() / 1000;
    c.queue_limit_bytes =
        std::max<size_t>(static_cast<size_t>(bdp * d.queue_bdp()), 3000);
  }
  c.aqm = d.aqm() == v1::LinkDirection::CODEL ? Aqm::kCoDel : Aqm::kDropTail;
  return c;
}

std::string EndOf(const tcp::TcpConnection* c,
                  const std::optional<Time>& closed_at,
                  tcp::CloseReason reason) {
  if (c == nullptr) return "never-opened";
  if (c->state() == tcp::TcpState::kTimeWait) return "time-wait";
  if (c->state() != tcp::TcpState::kClosed) return "open";
  if (reason == tcp::CloseReason::kNormal) return "closed";
  return tcp::CloseReasonName(reason);
}

std::string EndOfMptcp(const mptcp::MptcpConnection* c,
                       mptcp::MptcpCloseReason reason) {
  if (c == nullptr) return "never-opened";
  if (!c->closed()) return "open";
  if (reason == mptcp::MptcpCloseReason::kNormal) return "closed";
  return mptcp::MptcpCloseReasonName(reason);
}

std::string EndpointText(const wire::IpAddress& address, uint16_t port) {
  return absl::StrCat(address.ToString(), ":", port);
}

// Everything one run builds; destroyed when the run ends.
class Run {
 public:
  Run(const v1::Scenario& scenario, uint64_t seed, bool capture)
      : scenario_(scenario), seed_(seed), capture_(capture), sim_(seed) {}

  absl::StatusOr<RunResult> Go();

 private:
  struct Flow {
    const v1::Flow* spec;
    std::unique_ptr<SenderApp> sender;
    std::unique_ptr<ReceiverApp> receiver;
    tcp::TcpConnection* client = nullptr;
    tcp::TcpConnection* server = nullptr;
    // MPTCP flows: the client always, the server unless its host does not
    // speak MPTCP (then `server` is a plain TCP connection).
    mptcp::MptcpConnection* mptcp_client = nullptr;
    mptcp::MptcpConnection* mptcp_server = nullptr;
    bool mptcp = false;
    TcpHost* client_host = nullptr;
    TcpHost* server_host = nullptr;
  };
  struct Direction {
    std::string name;
    std::unique_ptr<Link> link;
    std::unique_ptr<PcapTap> tap;
    LinkStats at_warmup;
    bool have_warmup = false;
  };

  absl::Status Build();
  absl::Status BuildRoutes();
  PacketSink* SinkOf(const std::string& node);
  absl::Status StartFlows();
  bool AllFlowsDone() const;
  static bool SubflowsDone(const mptcp::MptcpConnection& c);
  RunResult Report();

  const v1::Scenario& scenario_;
  uint64_t seed_;
  bool capture_;
  Simulator sim_;
  absl::flat_hash_map<std::string, std::unique_ptr<Host>> hosts_;
  absl::flat_hash_map<std::string, std::unique_ptr<Router>> routers_;
  absl::flat_hash_map<std::string, std::unique_ptr<TcpHost>> tcp_hosts_;
  std::vector<Direction> directions_;  // two per link: a->b, b->a
  std::vector<std::unique_ptr<PacketFilter>> filters_;
  std::vector<std::unique_ptr<SequenceRewriter>> rewriters_;
  std::vector<std::unique_ptr<Nat>> nats_;
  // Addresses reachable at each node (its own, and NAT public addresses
  // whose translation happens on the way into it), for routing.
  // With the link each address is on (-1 for NAT public addresses): a
  // router sends to an address over that link when it can, so that each
  // path carries its own subflow's packets both ways.
  struct Located {
    wire::IpAddress address;
    int link = -1;
  };
  absl::flat_hash_map<std::string, std::vector<Located>> located_;
  std::deque<Flow> flows_;
};

PacketSink* Run::SinkOf(const std::string& node) {
  if (auto it = hosts_.find(node); it != hosts_.end()) return it->second.get();
  return routers_.at(node).get();
}

absl::Status Run::Build() {
  for (const v1::Node& node : scenario_.nodes()) {
    if (node.kind() == v1::Node::HOST) {
      hosts_[node.name()] = std::make_unique<Host>();
    } else {
      routers_[node.name()] = std::make_unique<Router>();
    }
  }
  uint64_t stream = 1;
  for (const v1::Link& spec : scenario_.links()) {
    const v1::LinkDirection& forward = spec.a_to_b();
    const v1::LinkDirection& backward =
        spec.has_b_to_a() ? spec.b_to_a() : spec.a_to_b();
    Direction ab{absl::StrCat(spec.name(), ":", spec.a(), "->", spec.b())};
    Direction ba{absl::StrCat(spec.name(), ":", spec.b(), "->", spec.a())};
    ab.link = std::make_unique<Link>(&sim_, ToLinkConfig(forward),
                                     sim_.random().Fork(stream++));
    ba.link = std::make_unique<Link>(&sim_, ToLinkConfig(backward),
                                     sim_.random().Fork(stream++));
    // Delivery side of each direction: [reverse filters] -> [tap] -> node.
    PacketSink* into_b = SinkOf(spec.b());
    PacketSink* into_a = SinkOf(spec.a());
    if (capture_) {
      ab.tap = std::make_unique<PcapTap>(&sim_, into_b);
      ba.tap = std::make_unique<PcapTap>(&sim_, into_a);
      into_b = ab.tap.get();
      into_a = ba.tap.get();
    }
    // Sending side of a->b: a -> [filters] -> link.
    PacketSink* from_a = ab.link.get();
    PacketSink* from_b = ba.link.get();
    // Each middlebox has a half for a->b traffic and one for the returning
    // b->a traffic. Box 0 is nearest to a in both directions: outbound
    // a -> box0 -> box1 -> link, inbound link -> box1 -> box0 -> a.
    struct Halves {
      PacketFilter* out;
      PacketFilter* in;  // null for boxes that only act on a->b
    };
    std::vector<Halves> boxes;
    for (const v1::Middlebox& box : spec.middleboxes()) {
      if (box.has_strip_options()) {
        OptionStripper::Config config;
        config.pass_first_packets = box.strip_options().after_packets();
        auto out = std::make_unique<OptionStripper>(config);
        auto in = std::make_unique<OptionStripper>(config);
        boxes.push_back({out.get(), in.get()});
        filters_.push_back(std::move(out));
        filters_.push_back(std::move(in));
      } else if (box.has_rewrite_sequence()) {
        auto rewriter = std::make_unique<SequenceRewriter>(
            SequenceRewriter::FixedOffset(box.rewrite_sequence().offset()));
        boxes.push_back({&rewriter->forward(), &rewriter->reverse()});
        rewriters_.push_back(std::move(rewriter));
      } else if (box.has_injector()) {
        auto injector = std::make_unique<Injector>(
            Injector::Config{box.injector().probability()},
            sim_.random().Fork(1000 + stream++));
        boxes.push_back({injector.get(), nullptr});
        filters_.push_back(std::move(injector));
      } else if (box.has_replay()) {
        const Replayer::Config config{
            .probability = box.replay().probability(),
            .delay = Microseconds(
                static_cast<int64_t>(box.replay().delay_ms() * 1000)),
            .history = box.replay().history() > 0 ? box.replay().history()
                                                  : size_t{256}};
        auto out = std::make_unique<Replayer>(
            &sim_, config, sim_.random().Fork(1000 + stream++));
        auto in = std::make_unique<Replayer>(
            &sim_, config, sim_.random().Fork(1000 + stream++));
        boxes.push_back({out.get(), in.get()});
        filters_.push_back(std::move(out));
        filters_.push_back(std::move(in));
      } else if (box.has_nat()) {
        const wire::IpAddress public_address =
            *wire::IpAddress::Parse(box.nat().public_address());
        auto nat = std::make_unique<Nat>(public_address);
        boxes.push_back({&nat->outbound(), &nat->inbound()});
        located_[spec.a()].push_back(Located{public_address, -1});
        nats_.push_back(std::move(nat));
      }
    }
    for (auto it = boxes.rbegin(); it != boxes.rend(); ++it) {
      it->out->set_next(from_a);
      from_a = it->out;
    }
    for (const Halves& box : boxes) {
      if (box.in == nullptr) continue;
      box.in->set_next(into_a);
      into_a = box.in;
    }
    ab.link->set_destination(into_b);
    ba.link->set_destination(into_a);
    for (const auto& [node, text, out] :
         {std::tuple{spec.a(), spec.a_address(), from_a},
          std::tuple{spec.b(), spec.b_address(), from_b}}) {
      if (text.empty()) continue;
      const wire::IpAddress address = *wire::IpAddress::Parse(text);
      Host& host = *hosts_.at(node);
      host.AddAddress(address);
      host.SetLink(address, out);
      if (host.addresses().size() == 1) host.SetDefaultLink(out);
      located_[node].push_back(
          Located{address, static_cast<int>(directions_.size() / 2)});
    }
    directions_.push_back(std::move(ab));
    directions_.push_back(std::move(ba));
  }
  return BuildRoutes();
}

// Each router forwards to each located address along a shortest path (by
// hop count; ties broken by link order, so routing is deterministic).
absl::Status Run::BuildRoutes() {
  for (auto& [router_name, router] : routers_) {
    // Breadth-first search from the router; remember the first hop's sink.
    absl::flat_hash_map<std::string, PacketSink*> first_hop;
    std::deque<std::string> queue = {router_name};
    first_hop[router_name] = nullptr;
    while (!queue.empty()) {
      const std::string node = queue.front();
      queue.pop_front();
      for (int i = 0; i < scenario_.links_size(); ++i) {
        const v1::Link& spec = scenario_.links(i);
        std::string next;
        PacketSink* out = nullptr;
        if (spec.a() == node) {
          next = spec.b();
          out = directions_[2 * i].link.get();
        } else if (spec.b() == node) {
          next = spec.a();
          out = directions_[2 * i + 1].link.get();
        } else {
          continue;
        }
        if (first_hop.contains(next)) continue;
        first_hop[next] = node == router_name ? out : first_hop[node];
        // Hosts do not forward: the search does not go through them.
        if (routers_.contains(next)) queue.push_back(next);
      }
    }
    // In scenario order, so that routing never depends on hash order.
    for (const v1::Node& n : scenario_.nodes()) {
      auto found = first_hop.find(n.name());
      if (found == first_hop.end() || found->second == nullptr) continue;
      PacketSink* hop = found->second;
      for (const Located& located : located_[n.name()]) {
        const wire::IpAddress& address = located.address;
        PacketSink* via = hop;
        if (located.link >= 0) {
          // Toward the address's own link: over it when this router is its
          // other end, else toward the router at its other end.
          const v1::Link& on = scenario_.links(located.link);
          const std::string& other = on.a() == n.name() ? on.b() : on.a();
          if (other == router_name) {
            via = directions_[2 * located.link + (on.a() == other ? 0 : 1)]
                      .link.get();
          } else if (auto far = first_hop.find(other);
                     routers_.contains(other) && far != first_hop.end() &&
                     far->second != nullptr) {
            via = far->second;
          }
        }
        absl::Status status =
            router->AddRoute(address, address.is_v4() ? 32 : 128, via);
        if (!status.ok()) return status;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Run::StartFlows() {
  uint64_t host_seed = 1;
  // Hosts in scenario order, so that ISN secrets do not depend on hashing.
  for (const v1::Node& node : scenario_.nodes()) {
    if (node.kind() != v1::Node::HOST) continue;
    tcp_hosts_[node.name()] = std::make_unique<TcpHost>(
        &sim_, hosts_.at(node.name()).get(), seed_ * 1000003 + host_seed++);
  }
  for (int i = 0; i < scenario_.flows_size(); ++i) {
    const v1::Flow& spec = scenario_.flows(i);
    Flow& flow = flows_.emplace_back();
    flow.spec = &spec;
    tcp::TcpConfig config;
    if (!spec.congestion_control().empty()) {
      config.congestion_control = spec.congestion_control();
    }
    if (spec.send_buffer_bytes() > 0) {
      config.send_buffer_bytes = spec.send_buffer_bytes();
    }
    if (spec.receive_buffer_bytes() > 0) {
      config.receive_buffer_bytes = spec.receive_buffer_bytes();
      while (config.window_scale < 14 &&
             config.receive_buffer_bytes >
                 (size_t{65535} << config.window_scale)) {
        ++config.window_scale;
      }
    }
    if (spec.no_sack()) config.sack = false;
    if (spec.no_timestamps()) config.timestamps = false;
    if (spec.mss() > 0) config.mss = spec.mss();
    if (absl::Status status = config.Validate(); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("flows[", i, "]: ", status.message()));
    }
    const Host& client_host = *hosts_.at(spec.client());
    const Host& server_host = *hosts_.at(spec.server());
    const wire::IpAddress client_address =
        spec.client_address().empty()
            ? client_host.addresses().front()
            : *wire::IpAddress::Parse(spec.client_address());
    const wire::IpAddress server_address =
        spec.server_address().empty()
            ? server_host.addresses().front()
            : *wire::IpAddress::Parse(spec.server_address());
    const uint16_t port = spec.server_port() > 0
                              ? static_cast<uint16_t>(spec.server_port())
                              : static_cast<uint16_t>(kDefaultServerPort + i);
    const Time start = At(spec.start_s());
    const Time stop =
        spec.duration_s() > 0 ? At(spec.start_s() + spec.duration_s()) : kNever;
    flow.sender = std::make_unique<SenderApp>(
        seed_ * 7919 + static_cast<uint64_t>(i), spec.bytes(), stop);
    flow.receiver =
        std::make_unique<ReceiverApp>(seed_ * 7919 + static_cast<uint64_t>(i));
    flow.client_host = tcp_hosts_.at(spec.client()).get();
    flow.server_host = tcp_hosts_.at(spec.server()).get();
    Flow* f = &flow;
    bool server_plain = false;
    for (const v1::Node& node : scenario_.nodes()) {
      if (node.name() == spec.server()) server_plain = node.no_mptcp();
    }
    if (spec.has_mptcp() && spec.mptcp().enabled()) {
      flow.mptcp = true;
      const v1::Mptcp& m = spec.mptcp();
      mptcp::MptcpConfig mc;
      mc.tcp = config;
      mc.tcp.congestion_control =
          m.congestion_control().empty() ? "lia" : m.congestion_control();
      mc.scheduler = m.scheduler().empty() ? "minrtt" : m.scheduler();
      mc.checksums = m.checksums();
      mc.send_buffer_bytes = config.send_buffer_bytes;
      mc.receive_buffer_bytes = config.receive_buffer_bytes;
      mptcp::MptcpConfig server_mc = mc;
      server_mc.path_manager = "fullmesh";
      server_mc.path_manager_config.limits = {
          .max_subflows = pm::kMaxLimit,
          .max_add_addr_accepted = pm::kMaxLimit};
      uint8_t signal_id = 1;
      for (const std::string& text : m.announce_addresses()) {
        server_mc.path_manager_config.endpoints.push_back(
            pm::Endpoint{.id = signal_id++,
                         .address = *wire::IpAddress::Parse(text),
                         .signal = true});
      }
      if (!server_plain) {
        flow.server_host->mptcp_stack().Listen(
            server_address, port, server_mc,
            stack::Stack::Acceptor{
                [f](const tcp::TcpEndpoints&) -> mptcp::MptcpOwner* {
                  return f->mptcp_server == nullptr ? f->receiver.get()
                                                    : nullptr;
                },
                [f](mptcp::MptcpConnection* c) {
                  f->mptcp_server = c;
                  f->receiver->set_mptcp(c);
                }});
      } else {
        flow.server_host->Listen(
            server_address, port, config,
            TcpHost::Acceptor{[f](const tcp::TcpEndpoints&) -> tcp::TcpOwner* {
                                return f->server == nullptr ? f->receiver.get()
                                                            : nullptr;
                              },
                              [f](tcp::TcpConnection* c) {
                                f->server = c;
                                f->receiver->set_connection(c);
                              }});
      }
      // The client's path manager opens a subflow from each of its other
      // addresses (endpoints with the subflow flag, backup for the
      // backup_addresses) to the server's address and re-creates them when
      // they fail; the server's announces announce_addresses (signal).
      // Limits at Linux's maximum, 8: the scenario decides the paths.
      mptcp::MptcpConfig client_mc = mc;
      client_mc.path_manager =
          m.path_manager().empty() || m.path_manager() == "none"
              ? (m.path_manager() == "none" ? "explicit" : "fullmesh")
              : m.path_manager();
      client_mc.path_manager_config.limits = {
          .max_subflows = pm::kMaxLimit,
          .max_add_addr_accepted = pm::kMaxLimit};
      // With the endpoints, also for the managers switched in later.
      pm::PathManagerConfig with_endpoints = client_mc.path_manager_config;
      uint8_t endpoint_id = 1;
      for (const wire::IpAddress& a : client_host.addresses()) {
        if (a == client_address) continue;
        const bool backup =
            std::find_if(m.backup_addresses().begin(),
                         m.backup_addresses().end(),
                         [&](const std::string& text) {
                           return *wire::IpAddress::Parse(text) == a;
                         }) != m.backup_addresses().end();
        with_endpoints.endpoints.push_back(pm::Endpoint{.id = endpoint_id++,
                                                        .address = a,
                                                        .subflow = true,
                                                        .backup = backup});
      }
      if (m.path_manager() != "none") {
        client_mc.path_manager_config = with_endpoints;
      }
      sim_.Schedule(start,
                    [this, f, client_mc, client_address, server_address, port] {
                      auto connection = f->client_host->mptcp_stack().Connect(
                          client_mc, client_address, server_address, port,
                          f->sender.get(), sim_.now());
                      if (!connection.ok()) return;
                      f->mptcp_client = *connection;
                      f->sender->set_mptcp(*connection);
                      f->client_host->PokeStack();
                    });
      for (const v1::SchedulerSwitch& sw : m.scheduler_switches()) {
        const std::string name = sw.scheduler();
        sim_.Schedule(At(sw.at_s()), [this, f, name] {
          if (f->mptcp_client == nullptr) return;
          // The name was checked by ParseScenario; the report counts the
          // switches that took effect.
          f->mptcp_client->SetScheduler(name, sim_.now()).IgnoreError();
          f->client_host->PokeStack();
        });
      }
      for (const v1::PathManagerSwitch& sw : m.path_manager_switches()) {
        const std::string name =
            sw.path_manager() == "none" ? "explicit" : sw.path_manager();
        sim_.Schedule(At(sw.at_s()), [this, f, name, with_endpoints] {
          if (f->mptcp_client == nullptr) return;
          // The name was checked by ParseScenario; the report counts the
          // switches that took effect.
          f->mptcp_client->SetPathManager(name, with_endpoints, sim_.now())
              .IgnoreError();
          f->client_host->PokeStack();
        });
      }
      for (const v1::CongestionControlSwitch& sw :
           m.congestion_control_switches()) {
        const std::string name = sw.congestion_control();
        sim_.Schedule(At(sw.at_s()), [this, f, name] {
          if (f->mptcp_client == nullptr) return;
          // The name was checked by ParseScenario; the report counts the
          // switches that took effect.
          f->mptcp_client->SetCongestionControl(name, sim_.now()).IgnoreError();
          f->client_host->PokeStack();
        });
      }
      if (stop != kNever) {
        sim_.Schedule(stop, [this, f] {
          f->sender->Pump(sim_.now());
          f->client_host->PokeStack();
        });
      }
      if (spec.abort_at_s() > 0) {
        sim_.Schedule(At(spec.abort_at_s()), [this, f] {
          if (f->mptcp_client == nullptr) return;
          f->mptcp_client->Abort(sim_.now());
          f->client_host->PokeStack();
        });
      }
      continue;
    }
    flow.server_host->Listen(
        server_address, port, config,
        TcpHost::Acceptor{[f](const tcp::TcpEndpoints&) -> tcp::TcpOwner* {
                            return f->server == nullptr ? f->receiver.get()
                                                        : nullptr;
                          },
                          [f](tcp::TcpConnection* c) {
                            f->server = c;
                            f->receiver->set_connection(c);
                          }});
    sim_.Schedule(
        start, [this, f, config, client_address, server_address, port] {
          auto connection = f->client_host->Connect(
              config, client_address, server_address, port, f->sender.get());
          if (!connection.ok()) return;
          f->client = *connection;
          f->sender->set_connection(*connection);
        });
    if (stop != kNever) {
      // Duration flows stop writing at `stop` even if never blocked then.
      sim_.Schedule(stop, [this, f] {
        f->sender->Pump(sim_.now());
        if (f->client != nullptr) f->client_host->Poke(f->client);
      });
    }
    if (spec.abort_at_s() > 0) {
      sim_.Schedule(At(spec.abort_at_s()), [this, f] {
        if (f->client == nullptr) return;
        f->client->Abort(sim_.now());
        f->client_host->Poke(f->client);
      });
    }
  }
  return absl::OkStatus();
}

bool Run::SubflowsDone(const mptcp::MptcpConnection& c) {
  for (size_t i = 0; i < c.subflow_count(); ++i) {
    const tcp::TcpState state = c.subflow(i).state();
    if (state != tcp::TcpState::kClosed && state != tcp::TcpState::kTimeWait) {
      return false;
    }
  }
  return true;
}

bool Run::AllFlowsDone() const {
  for (const Flow& f : flows_) {
    if (f.mptcp) {
      if (f.mptcp_client == nullptr || !f.mptcp_client->closed()) return false;
      if (f.mptcp_server != nullptr && !f.mptcp_server->closed()) return false;
      // The data level can close while subflows still exchange their last
      // FIN and ACK (the DATA_FIN rides on DSS options ahead of them); the
      // report's subflow states mean something only once those are done.
      if (!SubflowsDone(*f.mptcp_client)) return false;
      if (f.mptcp_server != nullptr && !SubflowsDone(*f.mptcp_server)) {
        return false;
      }
      if (f.server != nullptr && f.server->state() != tcp::TcpState::kClosed) {
        return false;
      }
      continue;
    }
    if (f.client == nullptr) return false;
    const tcp::TcpState sender = f.client->state();
    const bool sender_done =
        sender == tcp::TcpState::kClosed || sender == tcp::TcpState::kTimeWait;
    const bool receiver_done =
        f.server == nullptr ? sender == tcp::TcpState::kClosed
                            : f.server->state() == tcp::TcpState::kClosed;
    if (!sender_done || !receiver_done) return false;
  }
  return true;
}

RunResult Run::Report() {
  RunResult result;
  ScenarioReport& report = result.report;
  report.scenario = scenario_.name();
  report.seed = seed_;
  report.end_s = ToSeconds(SinceEpoch(sim_.now()));
  for (const Flow& f : flows_) {
    FlowReport r;
    r.name = f.spec->name();
    r.start_s = f.spec->start_s();
    r.bytes_sent = f.sender->written();
    r.bytes_delivered = f.receiver->received();
    r.completed = f.receiver->end_of_stream_at.has_value();
    r.intact = r.bytes_sent == r.bytes_delivered &&
               f.sender->digest() == f.receiver->digest();
    r.prefix_intact =
        f.receiver->in_order_so_far() && r.bytes_delivered <= r.bytes_sent;
    if (r.completed) {
      r.completion_time_s =
          ToSeconds(*f.receiver->end_of_stream_at - At(r.start_s));
      if (r.completion_time_s > 0) {
        r.goodput_mbps = r.bytes_delivered * 8 / r.completion_time_s / 1e6;
      }
    }
    r.sender_end = EndOf(f.client, f.sender->closed_at, f.sender->close_reason);
    r.receiver_end =
        EndOf(f.server, f.receiver->closed_at, f.receiver->close_reason);
    if (f.mptcp) {
      r.mptcp = true;
      r.sender_end = EndOfMptcp(f.mptcp_client, f.sender->mptcp_close_reason);
      if (f.server == nullptr) {
        r.receiver_end =
            EndOfMptcp(f.mptcp_server, f.receiver->mptcp_close_reason);
      }
      if (f.mptcp_client != nullptr) {
        const mptcp::MptcpConnection& c = *f.mptcp_client;
        r.fallback = c.fallback();
        r.bytes_reinjected = c.stats().bytes_reinjected;
        r.scheduler = c.scheduler_name();
        r.add_addr_received = c.stats().add_addr_received;
        r.scheduler_switches = c.scheduler_switches();
        r.congestion_control = c.congestion_control_name();
        r.congestion_control_switches = c.congestion_control_switches();
        r.path_manager = c.path_manager().name();
        r.path_manager_switches = c.stats().path_manager_switches;
        r.longest_stall_s = ToSeconds(f.receiver->longest_stall);
        if (f.receiver->longest_stall_end) {
          r.longest_stall_end_s =
              ToSeconds(*f.receiver->longest_stall_end - At(r.start_s));
        }
        for (size_t k = 0; k < c.subflow_count(); ++k) {
          const tcp::TcpConnection& t = c.subflow(k);
          const tcp::TcpStats& s = t.stats();
          r.segments_sent += s.segments_sent;
          r.segments_retransmitted += s.segments_retransmitted;
          r.bytes_retransmitted += s.bytes_retransmitted;
          r.rto_count += s.rto_count;
          r.fast_recoveries += s.fast_recoveries;
          const tcp::TcpEndpoints& e = t.endpoints();
          r.subflows.push_back(FlowReport::Subflow{
              EndpointText(e.local, e.local_port),
              EndpointText(e.remote, e.remote_port), s.bytes_sent,
              s.bytes_acked, s.rto_count, tcp::TcpStateName(t.state()),
              ToSeconds(t.rtt().base_rto()) * 1000, c.subflow_backup(k)});
        }
      }
      if (f.mptcp_server != nullptr) {
        r.add_addr_echoed = f.mptcp_server->stats().add_addr_echoes;
        for (size_t k = 0; k < f.mptcp_server->subflow_count(); ++k) {
          const tcp::TcpStats& s = f.mptcp_server->subflow(k).stats();
          r.receiver_dropped_segments += s.dropped_segments;
          r.receiver_challenge_acks += s.challenge_acks;
        }
      }
    }
    if (f.client != nullptr) {
      const tcp::TcpStats& s = f.client->stats();
      r.segments_sent = s.segments_sent;
      r.segments_retransmitted = s.segments_retransmitted;
      r.bytes_retransmitted = s.bytes_retransmitted;
      r.rto_count = s.rto_count;
      r.fast_recoveries = s.fast_recoveries;
    }
    if (f.server != nullptr) {
      r.receiver_dropped_segments = f.server->stats().dropped_segments;
      r.receiver_challenge_acks = f.server->stats().challenge_acks;
    }
    r.rtt = SummarizeRtt(f.sender->rtt_samples);
    report.flows.push_back(r);
  }
  for (const v1::Node& node : scenario_.nodes()) {
    auto it = tcp_hosts_.find(node.name());
    if (it == tcp_hosts_.end()) continue;
    const TcpHost::Stats& s = it->second->stats();
    report.hosts.push_back(HostReport{node.name(), s.segments, s.bad_checksum,
                                      s.malformed, s.no_connection});
  }
  for (Direction& d : directions_) {
    LinkReport l;
    l.name = d.name;
    l.stats = d.link->stats();
    LinkStats start;
    if (d.have_warmup) start = d.at_warmup;
    l.utilization = Utilization(start, l.stats);
    report.links.push_back(l);
    if (d.tap != nullptr) {
      std::string file = d.name;
      for (char& c : file) {
        if (c == ':' || c == '>') c = '_';
      }
      size_t pos;
      while ((pos = file.find("-_")) != std::string::npos) {
        file.replace(pos, 2, "_to_");
      }
      result.captures.emplace_back(file + ".pcap", d.tap->bytes());
    }
  }
  return result;
}

absl::StatusOr<RunResult> Run::Go() {
  if (absl::Status status = Build(); !status.ok()) return status;
  if (absl::Status status = StartFlows(); !status.ok()) return status;
  for (const v1::LinkEvent& event : scenario_.events()) {
    for (size_t i = 0; i < directions_.size(); i += 2) {
      if (scenario_.links(i / 2).name() != event.link()) continue;
      Link* ab = directions_[i].link.get();
      Link* ba = directions_[i + 1].link.get();
      const bool up = event.up();
      // A host sees its own link go down or up (the carrier, as netlink
      // tells a real daemon): its stack's path managers hear about the
      // address on that link. Failures beyond the first hop are found by
      // retransmission timeouts instead.
      const v1::Link& spec = scenario_.links(i / 2);
      std::vector<std::pair<TcpHost*, wire::IpAddress>> ends;
      for (const auto& [node, text] : {std::pair{spec.a(), spec.a_address()},
                                       std::pair{spec.b(), spec.b_address()}}) {
        auto host = tcp_hosts_.find(node);
        if (text.empty() || host == tcp_hosts_.end()) continue;
        ends.emplace_back(host->second.get(), *wire::IpAddress::Parse(text));
      }
      sim_.Schedule(At(event.at_s()), [this, ab, ba, up, ends] {
        ab->SetUp(up);
        ba->SetUp(up);
        for (const auto& [host, address] : ends) {
          const pm::LocalPath path{.address = address};
          if (up) {
            host->mptcp_stack().OnLocalPathUp(path, sim_.now());
          } else {
            host->mptcp_stack().OnLocalPathDown(path, sim_.now());
          }
          host->PokeStack();
        }
      });
    }
  }
  if (scenario_.warmup_s() > 0) {
    sim_.Schedule(At(scenario_.warmup_s()), [this] {
      for (Direction& d : directions_) {
        d.at_warmup = d.link->stats();
        d.have_warmup = true;
      }
    });
  }
  sim_.RunUntil([this] { return AllFlowsDone(); }, At(scenario_.stop_s()));
  return Report();
}

}  // namespace

absl::StatusOr<RunResult> RunScenario(const v1::Scenario& scenario,
                                      const RunOptions& options) {
  Run run(scenario, options.seed.value_or(scenario.seed()), options.capture);
  return run.Go();
}

}  // namespace plait::sim
