// Helpers for the path manager tests.
#ifndef PLAIT_DATAPLANE_PM_TEST_UTIL_H_
#define PLAIT_DATAPLANE_PM_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataplane/base/time.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/pm/registry.h"
#include "dataplane/wire/ip_address.h"

namespace plait::pm::testing {

inline wire::IpAddress Ip(absl::string_view text) {
  auto address = wire::IpAddress::Parse(text);
  if (!address.ok()) {
    std::cerr << address.status() << "\n";
    std::abort();
  }
  return *address;
}

inline Time At(double seconds) { return TimeFromEpoch(FromSeconds(seconds)); }

inline std::unique_ptr<PathManager> MustCreate(
    absl::string_view name, const PathManagerConfig& config) {
  auto manager = CreatePathManager(name, config);
  if (!manager.ok()) {
    std::cerr << manager.status() << "\n";
    std::abort();
  }
  return *std::move(manager);
}

// The actions of one type, in order.
template <typename T>
std::vector<T> Only(const Actions& actions) {
  std::vector<T> out;
  for (const Action& action : actions) {
    if (const T* typed = std::get_if<T>(&action)) out.push_back(*typed);
  }
  return out;
}

// "10.0.1.1->10.1.0.1:80" (+ " backup") for each OpenSubflowAction.
inline std::vector<std::string> Opened(const Actions& actions) {
  std::vector<std::string> out;
  for (const OpenSubflowAction& open : Only<OpenSubflowAction>(actions)) {
    out.push_back(open.local.ToString() + "->" + open.remote.ToString() + ":" +
                  std::to_string(open.remote_port) +
                  (open.backup ? " backup" : ""));
  }
  return out;
}

inline std::vector<SubflowId> ClosedIds(const Actions& actions) {
  std::vector<SubflowId> out;
  for (const CloseSubflowAction& close : Only<CloseSubflowAction>(actions)) {
    out.push_back(close.id);
  }
  return out;
}

inline std::vector<std::string> Strings(const Actions& actions) {
  std::vector<std::string> out;
  for (const Action& action : actions) out.push_back(ActionToString(action));
  return out;
}

inline Endpoint MakeEndpoint(uint8_t id, absl::string_view address,
                             std::optional<std::string> interface = {}) {
  Endpoint endpoint;
  endpoint.id = id;
  endpoint.address = Ip(address);
  endpoint.interface = std::move(interface);
  return endpoint;
}

// Client 10.0.0.1:40001 on eth0 -> server 10.1.0.1:80.
inline InitialSubflow ClientInitial() {
  return InitialSubflow{.local = Ip("10.0.0.1"),
                        .local_port = 40001,
                        .remote = Ip("10.1.0.1"),
                        .remote_port = 80,
                        .interface = "eth0"};
}

}  // namespace plait::pm::testing

#endif  // PLAIT_DATAPLANE_PM_TEST_UTIL_H_
