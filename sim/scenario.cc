#include "sim/scenario.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/cc/registry.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/sched/registry.h"
#include "dataplane/wire/ip_address.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace plait::sim {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectErrors(absl::string_view filename) : filename_(filename) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(
        absl::StrCat(filename_, ":", line + 1, ":", column + 1, ": ", message));
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string filename_;
  std::vector<std::string> errors_;
};

// Walks the scenario with the parser's record of where each field was, so
// that a semantic error can name its line.
class Checker {
 public:
  Checker(const v1::Scenario& scenario, const TextFormat::ParseInfoTree* tree,
          absl::string_view filename)
      : scenario_(scenario), root_(tree), filename_(filename) {}

  absl::Status Check();

 private:
  // A path into the message, e.g. {"links", 1}, {"a_to_b", -1}.
  struct Step {
    const char* field;
    int index;  // -1 for a singular field
  };

  absl::Status Error(std::initializer_list<Step> path, const std::string& what);
  absl::Status CheckLink(int i);
  absl::Status CheckDirection(int link, const char* which,
                              const v1::LinkDirection& d);
  absl::Status CheckFlow(int i);

  const v1::Scenario& scenario_;
  const TextFormat::ParseInfoTree* root_;
  std::string filename_;
  absl::flat_hash_map<std::string, v1::Node::Kind> nodes_;
  // Host name -> its addresses.
  absl::flat_hash_map<std::string, std::vector<wire::IpAddress>> addresses_;
  absl::flat_hash_set<std::string> links_;
};

absl::Status Checker::Error(std::initializer_list<Step> path,
                            const std::string& what) {
  // Find the deepest location the parser recorded along the path.
  const Descriptor* descriptor = v1::Scenario::descriptor();
  const TextFormat::ParseInfoTree* tree = root_;
  int line = -1;
  std::vector<std::string> names;
  for (const Step& step : path) {
    names.push_back(step.index >= 0
                        ? absl::StrCat(step.field, "[", step.index, "]")
                        : std::string(step.field));
    if (descriptor == nullptr || tree == nullptr) continue;
    const FieldDescriptor* field = descriptor->FindFieldByName(step.field);
    if (field == nullptr) break;
    const auto location = tree->GetLocation(field, step.index);
    if (location.line >= 0) line = location.line;
    if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      tree = tree->GetTreeForNested(field, step.index);
      descriptor = field->message_type();
    } else {
      descriptor = nullptr;
    }
  }
  const std::string where =
      line >= 0 ? absl::StrCat(filename_, ":", line + 1) : filename_;
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": ", absl::StrJoin(names, "."), ": ", what));
}

absl::Status Checker::Check() {
  if (scenario_.stop_s() <= 0) {
    return Error({{"stop_s", -1}},
                 "must be positive (seconds of virtual time)");
  }
  for (int i = 0; i < scenario_.nodes_size(); ++i) {
    const v1::Node& node = scenario_.nodes(i);
    if (node.name().empty())
      return Error({{"nodes", i}, {"name", -1}}, "is empty");
    if (node.kind() == v1::Node::KIND_UNSPECIFIED) {
      return Error({{"nodes", i}, {"kind", -1}}, "must be HOST or ROUTER");
    }
    if (!nodes_.emplace(node.name(), node.kind()).second) {
      return Error({{"nodes", i}, {"name", -1}},
                   absl::StrCat("\"", node.name(), "\" is used twice"));
    }
  }
  absl::flat_hash_set<wire::IpAddress> all_addresses;
  for (int i = 0; i < scenario_.links_size(); ++i) {
    if (absl::Status s = CheckLink(i); !s.ok()) return s;
    const v1::Link& link = scenario_.links(i);
    for (const auto& [node, text, field] :
         {std::tuple{link.a(), link.a_address(), "a_address"},
          std::tuple{link.b(), link.b_address(), "b_address"}}) {
      if (text.empty()) continue;
      const wire::IpAddress address = *wire::IpAddress::Parse(text);
      if (!all_addresses.insert(address).second) {
        return Error({{"links", i}, {field, -1}},
                     absl::StrCat(text, " is used twice"));
      }
      addresses_[node].push_back(address);
    }
  }
  // NAT public addresses are routed to like host addresses: they must be
  // unique too.
  for (int i = 0; i < scenario_.links_size(); ++i) {
    const v1::Link& link = scenario_.links(i);
    for (int m = 0; m < link.middleboxes_size(); ++m) {
      if (!link.middleboxes(m).has_nat()) continue;
      const wire::IpAddress address =
          *wire::IpAddress::Parse(link.middleboxes(m).nat().public_address());
      if (!all_addresses.insert(address).second) {
        return Error({{"links", i},
                      {"middleboxes", m},
                      {"nat", -1},
                      {"public_address", -1}},
                     absl::StrCat(address.ToString(), " is used twice"));
      }
    }
  }
  for (int i = 0; i < scenario_.flows_size(); ++i) {
    if (absl::Status s = CheckFlow(i); !s.ok()) return s;
  }
  for (int i = 0; i < scenario_.events_size(); ++i) {
    const v1::LinkEvent& event = scenario_.events(i);
    if (!links_.contains(event.link())) {
      return Error({{"events", i}, {"link", -1}},
                   absl::StrCat("no link named \"", event.link(), "\""));
    }
    if (event.at_s() < 0) {
      return Error({{"events", i}, {"at_s", -1}}, "must not be negative");
    }
  }
  return absl::OkStatus();
}

absl::Status Checker::CheckLink(int i) {
  const v1::Link& link = scenario_.links(i);
  if (link.name().empty())
    return Error({{"links", i}, {"name", -1}}, "is empty");
  if (!links_.insert(link.name()).second) {
    return Error({{"links", i}, {"name", -1}},
                 absl::StrCat("\"", link.name(), "\" is used twice"));
  }
  for (const auto& [node, address, node_field, address_field] :
       {std::tuple{link.a(), link.a_address(), "a", "a_address"},
        std::tuple{link.b(), link.b_address(), "b", "b_address"}}) {
    auto it = nodes_.find(node);
    if (it == nodes_.end()) {
      return Error({{"links", i}, {node_field, -1}},
                   absl::StrCat("no node named \"", node, "\""));
    }
    const bool host = it->second == v1::Node::HOST;
    if (host && address.empty()) {
      return Error({{"links", i}, {address_field, -1}},
                   absl::StrCat("host \"", node, "\" needs an address here"));
    }
    if (!host && !address.empty()) {
      return Error({{"links", i}, {address_field, -1}},
                   "routers have no addresses");
    }
    if (!address.empty() && !wire::IpAddress::Parse(address).ok()) {
      return Error({{"links", i}, {address_field, -1}},
                   absl::StrCat("\"", address, "\" is not an IP address"));
    }
  }
  if (link.a() == link.b()) {
    return Error({{"links", i}, {"b", -1}}, "a link joins two different nodes");
  }
  if (absl::Status s = CheckDirection(i, "a_to_b", link.a_to_b()); !s.ok()) {
    return s;
  }
  if (link.has_b_to_a()) {
    if (absl::Status s = CheckDirection(i, "b_to_a", link.b_to_a()); !s.ok()) {
      return s;
    }
  }
  for (int m = 0; m < link.middleboxes_size(); ++m) {
    const v1::Middlebox& box = link.middleboxes(m);
    if (box.kind_case() == v1::Middlebox::KIND_NOT_SET) {
      return Error({{"links", i}, {"middleboxes", m}},
                   "names no kind (strip_options, rewrite_sequence, nat, "
                   "injector or replay)");
    }
    if (box.has_replay()) {
      const v1::Replay& r = box.replay();
      auto bad = [&](const char* field, const std::string& what) {
        return Error(
            {{"links", i}, {"middleboxes", m}, {"replay", -1}, {field, -1}},
            what);
      };
      if (!(r.probability() >= 0 && r.probability() <= 1)) {
        return bad("probability",
                   absl::StrCat(r.probability(), " is not a probability"));
      }
      if (!(r.delay_ms() >= 0)) return bad("delay_ms", "must not be negative");
      if (r.history() > 65536) return bad("history", "must be at most 65536");
    }
    if (box.has_nat() &&
        !wire::IpAddress::Parse(box.nat().public_address()).ok()) {
      return Error({{"links", i},
                    {"middleboxes", m},
                    {"nat", -1},
                    {"public_address", -1}},
                   "is not an IP address");
    }
  }
  return absl::OkStatus();
}

absl::Status Checker::CheckDirection(int link, const char* which,
                                     const v1::LinkDirection& d) {
  auto bad = [&](const char* field, const std::string& what) {
    return Error({{"links", link}, {which, -1}, {field, -1}}, what);
  };
  auto probability = [](double p) { return p >= 0 && p <= 1; };
  if (d.rate_mbps() < 0) return bad("rate_mbps", "must not be negative");
  if (d.delay_ms() < 0) return bad("delay_ms", "must not be negative");
  if (d.jitter_ms() < 0) return bad("jitter_ms", "must not be negative");
  if (!probability(d.loss())) {
    return bad("loss", absl::StrCat(d.loss(), " is not a probability"));
  }
  if (!probability(d.reorder_probability())) {
    return bad("reorder_probability",
               absl::StrCat(d.reorder_probability(), " is not a probability"));
  }
  if (d.has_burst_loss()) {
    const v1::GilbertElliott& g = d.burst_loss();
    for (double p : {g.p_good_to_bad(), g.p_bad_to_good(), g.loss_in_good(),
                     g.loss_in_bad()}) {
      if (!probability(p)) {
        return bad("burst_loss", absl::StrCat(p, " is not a probability"));
      }
    }
  }
  if (d.queue_bytes() > 0 && d.queue_bdp() > 0) {
    return bad("queue_bdp", "give queue_bytes or queue_bdp, not both");
  }
  if (d.queue_bdp() < 0) return bad("queue_bdp", "must not be negative");
  if (d.queue_bdp() > 0 && d.rate_mbps() == 0) {
    return bad("queue_bdp", "needs a rate_mbps to compute the BDP");
  }
  if (d.mtu() != 0 && d.mtu() < 576) {
    return bad("mtu", absl::StrCat(d.mtu(), " is below IPv4's minimum of 576"));
  }
  return absl::OkStatus();
}

absl::Status Checker::CheckFlow(int i) {
  const v1::Flow& flow = scenario_.flows(i);
  for (const auto& [host, address, host_field, address_field] :
       {std::tuple{flow.client(), flow.client_address(), "client",
                   "client_address"},
        std::tuple{flow.server(), flow.server_address(), "server",
                   "server_address"}}) {
    auto it = nodes_.find(host);
    if (it == nodes_.end() || it->second != v1::Node::HOST) {
      return Error({{"flows", i}, {host_field, -1}},
                   absl::StrCat("no host named \"", host, "\""));
    }
    if (addresses_[host].empty()) {
      return Error({{"flows", i}, {host_field, -1}},
                   absl::StrCat("host \"", host, "\" is on no link"));
    }
    if (!address.empty()) {
      auto parsed = wire::IpAddress::Parse(address);
      const auto& own = addresses_[host];
      if (!parsed.ok() ||
          std::find(own.begin(), own.end(), *parsed) == own.end()) {
        return Error({{"flows", i}, {address_field, -1}},
                     absl::StrCat("\"", address, "\" is not an address of \"",
                                  host, "\""));
      }
    }
  }
  if (flow.client() == flow.server()) {
    return Error({{"flows", i}, {"server", -1}}, "is the client itself");
  }
  if ((flow.bytes() > 0) == (flow.duration_s() > 0)) {
    return Error({{"flows", i}, {"bytes", -1}},
                 "give exactly one of bytes and duration_s");
  }
  if (flow.start_s() < 0) {
    return Error({{"flows", i}, {"start_s", -1}}, "must not be negative");
  }
  if (flow.server_port() > 65535) {
    return Error({{"flows", i}, {"server_port", -1}}, "must be below 65536");
  }
  if (!flow.congestion_control().empty()) {
    // Plain TCP flows take the uncoupled algorithms; the coupled ones
    // (lia, olia, balia) need an MPTCP connection's subflows.
    std::vector<std::string> names;
    for (const std::string& name : cc::CongestionControlNames()) {
      if (!cc::IsCoupled(name)) names.push_back(name);
    }
    if (std::find(names.begin(), names.end(), flow.congestion_control()) ==
        names.end()) {
      return Error(
          {{"flows", i}, {"congestion_control", -1}},
          absl::StrCat("\"", flow.congestion_control(),
                       "\" is not one of: ", absl::StrJoin(names, ", ")));
    }
  }
  if (flow.mss() != 0 && (flow.mss() < 88 || flow.mss() > 65495)) {
    return Error({{"flows", i}, {"mss", -1}}, "must be between 88 and 65495");
  }
  if (flow.has_mptcp()) {
    const v1::Mptcp& m = flow.mptcp();
    const auto bad = [&](const char* field, const std::string& what) {
      return Error({{"flows", i}, {"mptcp", -1}, {field, -1}}, what);
    };
    const auto one_of = [](const std::string& value,
                           const std::vector<std::string>& names) {
      return absl::StrCat("\"", value,
                          "\" is not one of: ", absl::StrJoin(names, ", "));
    };
    const std::vector<std::string> schedulers = sched::SchedulerNames();
    if (!m.scheduler().empty() &&
        std::find(schedulers.begin(), schedulers.end(), m.scheduler()) ==
            schedulers.end()) {
      return bad("scheduler", one_of(m.scheduler(), schedulers));
    }
    for (int k = 0; k < m.scheduler_switches_size(); ++k) {
      const v1::SchedulerSwitch& sw = m.scheduler_switches(k);
      const auto bad_switch = [&](const char* field, const std::string& what) {
        return Error({{"flows", i},
                      {"mptcp", -1},
                      {"scheduler_switches", k},
                      {field, -1}},
                     what);
      };
      if (std::find(schedulers.begin(), schedulers.end(), sw.scheduler()) ==
          schedulers.end()) {
        return bad_switch("scheduler", one_of(sw.scheduler(), schedulers));
      }
      if (!(sw.at_s() >= 0)) return bad_switch("at_s", "must be at least 0");
    }
    const std::vector<std::string> ccs = cc::CongestionControlNames();
    if (!m.congestion_control().empty() &&
        std::find(ccs.begin(), ccs.end(), m.congestion_control()) ==
            ccs.end()) {
      return bad("congestion_control", one_of(m.congestion_control(), ccs));
    }
    for (int k = 0; k < m.congestion_control_switches_size(); ++k) {
      const v1::CongestionControlSwitch& sw = m.congestion_control_switches(k);
      const auto bad_switch = [&](const char* field, const std::string& what) {
        return Error({{"flows", i},
                      {"mptcp", -1},
                      {"congestion_control_switches", k},
                      {field, -1}},
                     what);
      };
      if (std::find(ccs.begin(), ccs.end(), sw.congestion_control()) ==
          ccs.end()) {
        return bad_switch("congestion_control",
                          one_of(sw.congestion_control(), ccs));
      }
      if (!(sw.at_s() >= 0)) return bad_switch("at_s", "must be at least 0");
    }
    const std::vector<std::string> pms = {"fullmesh", "none"};
    if (!m.path_manager().empty() &&
        std::find(pms.begin(), pms.end(), m.path_manager()) == pms.end()) {
      return bad("path_manager", one_of(m.path_manager(), pms));
    }
    for (int k = 0; k < m.path_manager_switches_size(); ++k) {
      const v1::PathManagerSwitch& sw = m.path_manager_switches(k);
      const auto bad_switch = [&](const char* field, const std::string& what) {
        return Error({{"flows", i},
                      {"mptcp", -1},
                      {"path_manager_switches", k},
                      {field, -1}},
                     what);
      };
      if (std::find(pms.begin(), pms.end(), sw.path_manager()) == pms.end()) {
        return bad_switch("path_manager", one_of(sw.path_manager(), pms));
      }
      if (!(sw.at_s() >= 0)) return bad_switch("at_s", "must be at least 0");
    }
    for (int b = 0; b < m.backup_addresses_size(); ++b) {
      auto parsed = wire::IpAddress::Parse(m.backup_addresses(b));
      const auto& own = addresses_[flow.client()];
      if (!parsed.ok() ||
          std::find(own.begin(), own.end(), *parsed) == own.end()) {
        return Error(
            {{"flows", i}, {"mptcp", -1}, {"backup_addresses", b}},
            absl::StrCat("\"", m.backup_addresses(b),
                         "\" is not an address of \"", flow.client(), "\""));
      }
    }
    for (int b = 0; b < m.announce_addresses_size(); ++b) {
      auto parsed = wire::IpAddress::Parse(m.announce_addresses(b));
      const auto& own = addresses_[flow.server()];
      if (!parsed.ok() ||
          std::find(own.begin(), own.end(), *parsed) == own.end()) {
        return Error(
            {{"flows", i}, {"mptcp", -1}, {"announce_addresses", b}},
            absl::StrCat("\"", m.announce_addresses(b),
                         "\" is not an address of \"", flow.server(), "\""));
      }
    }
    if (m.announce_addresses_size() > pm::kMaxLimit) {
      return bad("announce_addresses",
                 absl::StrCat("more than ", pm::kMaxLimit, " addresses"));
    }
    if (!m.enabled() &&
        (!m.scheduler().empty() || !m.congestion_control().empty() ||
         m.announce_addresses_size() > 0 || !m.path_manager().empty() ||
         m.checksums() || m.backup_addresses_size() > 0 ||
         m.scheduler_switches_size() > 0 ||
         m.congestion_control_switches_size() > 0 ||
         m.path_manager_switches_size() > 0)) {
      return bad("enabled", "is false but other mptcp fields are set");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Scenario> ParseScenario(absl::string_view text,
                                           absl::string_view filename) {
  v1::Scenario scenario;
  CollectErrors errors(filename);
  TextFormat::ParseInfoTree tree;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &scenario)) {
    return absl::InvalidArgumentError(
        errors.errors().empty() ? absl::StrCat(filename, ": cannot be parsed")
                                : absl::StrJoin(errors.errors(), "\n"));
  }
  Checker checker(scenario, &tree, filename);
  if (absl::Status status = checker.Check(); !status.ok()) return status;
  return scenario;
}

}  // namespace plait::sim
