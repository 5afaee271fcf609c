#include "dataplane/daemon/api_backend.h"

#include <utility>

namespace plait::daemon {

ApiBackend::ApiBackend(runtime::EventLoop* loop, const DaemonOptions* options,
                       Node* node, proxy::BridgeSet* bridges,
                       PolicyControl* policy, std::vector<std::string> via)
    : loop_(loop),
      options_(options),
      node_(node),
      bridges_(bridges),
      policy_(policy),
      via_(std::move(via)),
      started_(loop->Now()) {}

void ApiBackend::FillStatus(v1::Status* status) {
  status->set_version(kPlaitVersion);
  status->set_uptime_seconds(ToSeconds(loop_->Now() - started_));
  status->set_io_mode(options_->mode == Mode::kTun ? "tun" : "udp");
  const std::vector<PathCounters> counters = node_->path_counters();
  for (size_t i = 0; i < options_->paths.size(); ++i) {
    v1::PathStatus* path = status->add_paths();
    path->set_address(options_->paths[i].ToString());
    path->set_state("up");
    if (i < via_.size()) path->set_via(via_[i]);
    for (const PathCounters& c : counters) {
      if (c.address != options_->paths[i]) continue;
      path->set_packets_sent(c.packets_sent);
      path->set_packets_received(c.packets_received);
    }
  }
  status->set_policy_version(policy_->version());
  status->set_policy_generation(policy_->generation());
  status->set_open_connections(bridges_->size());
  for (const std::string& l : listeners_) status->add_listeners(l);
  for (const auto& [key, value] : options_->labels) {
    (*status->mutable_labels())[key] = value;
  }
  status->set_scheduler(options_->scheduler);
  status->set_congestion_control(options_->congestion_control);
  status->set_path_manager(options_->path_manager);
  status->set_event_loop_lag_max_seconds(loop_->lag().Read().max_seconds);
}

}  // namespace plait::daemon
