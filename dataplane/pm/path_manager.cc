#include "dataplane/pm/path_manager.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace plait::pm {
namespace {

bool IsUnspecified(const wire::IpAddress& address) {
  for (uint8_t byte : address.bytes()) {
    if (byte != 0) return false;
  }
  return true;
}

absl::Status LimitError(const char* field, int value) {
  if (value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value, " is negative"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", value, " is above the maximum ", kMaxLimit));
}

std::string PortSuffix(std::optional<uint16_t> port) {
  return port.has_value() ? absl::StrCat(":", *port) : "";
}

}  // namespace

absl::Status ValidateEndpoint(const Endpoint& endpoint,
                              const std::string& field) {
  if (endpoint.id == kInitialAddressId) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ".id: 0 is reserved for the initial subflow's address; "
                     "use 1..255"));
  }
  if (IsUnspecified(endpoint.address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".address: ", endpoint.address.ToString(), " is unspecified"));
  }
  if (endpoint.interface.has_value() && endpoint.interface->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".interface: empty name"));
  }
  if (endpoint.port.has_value()) {
    if (*endpoint.port == 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".port: 0"));
    }
    if (!endpoint.signal) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".port: a port needs the signal flag"));
    }
  }
  if (endpoint.fullmesh && !endpoint.subflow) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".flags: fullmesh needs subflow"));
  }
  if (endpoint.fullmesh && endpoint.signal) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".flags: fullmesh excludes signal"));
  }
  return absl::OkStatus();
}

absl::Status ValidateConfig(const PathManagerConfig& config) {
  const Limits& limits = config.limits;
  if (limits.max_subflows < 0 || limits.max_subflows > kMaxLimit) {
    return LimitError("limits.max_subflows", limits.max_subflows);
  }
  if (limits.max_add_addr_accepted < 0 ||
      limits.max_add_addr_accepted > kMaxLimit) {
    return LimitError("limits.max_add_addr_accepted",
                      limits.max_add_addr_accepted);
  }
  if (config.endpoints.size() > static_cast<size_t>(kMaxLimit)) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoints: ", config.endpoints.size(),
                     " endpoints, at most ", kMaxLimit));
  }
  for (size_t i = 0; i < config.endpoints.size(); ++i) {
    const Endpoint& endpoint = config.endpoints[i];
    const std::string field = absl::StrCat("endpoints[", i, "]");
    if (absl::Status status = ValidateEndpoint(endpoint, field); !status.ok()) {
      return status;
    }
    for (size_t j = 0; j < i; ++j) {
      const Endpoint& other = config.endpoints[j];
      if (other.id == endpoint.id) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".id: ", endpoint.id,
                         " is already used by endpoints[", j, "]"));
      }
      if (other.address == endpoint.address && other.port == endpoint.port) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".address: ", endpoint.address.ToString(),
            PortSuffix(endpoint.port), " duplicates endpoints[", j, "]"));
      }
    }
  }
  const RetryPolicy& retry = config.retry;
  if (retry.initial_backoff <= Duration::zero()) {
    return absl::InvalidArgumentError(
        "retry.initial_backoff: must be positive");
  }
  if (retry.max_backoff < retry.initial_backoff) {
    return absl::InvalidArgumentError(
        "retry.max_backoff: must be >= retry.initial_backoff");
  }
  if (retry.max_retries < 0 || retry.max_retries > 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retry.max_retries: ", retry.max_retries, " is outside 0..32"));
  }
  if (config.ndiffports.subflows < 1 ||
      config.ndiffports.subflows > kMaxLimit + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ndiffports.subflows: ", config.ndiffports.subflows,
                     " is outside 1..", kMaxLimit + 1));
  }
  return absl::OkStatus();
}

std::string ActionToString(const Action& action) {
  struct Visitor {
    std::string operator()(const OpenSubflowAction& a) const {
      return absl::StrCat(
          "open ", a.id, " ", a.local.ToString(),
          a.local_port != 0 ? absl::StrCat(":", a.local_port) : "", "(id ",
          a.local_id, ")", a.interface ? absl::StrCat("%", *a.interface) : "",
          " -> ", a.remote.ToString(), ":", a.remote_port, "(id ", a.remote_id,
          ")", a.backup ? " backup" : "");
    }
    std::string operator()(const CloseSubflowAction& a) const {
      return absl::StrCat(
          "close ", a.id, a.reset ? " reset" : " fin",
          a.reset ? absl::StrCat(" reason ", a.tcprst_reason) : "", " cause ",
          static_cast<int>(a.cause));
    }
    std::string operator()(const AnnounceAddressAction& a) const {
      return absl::StrCat("announce ", a.id, " ", a.address.ToString(),
                          PortSuffix(a.port));
    }
    std::string operator()(const RemoveAddressAction& a) const {
      return absl::StrCat("remove_addr ", absl::StrJoin(a.ids, ","));
    }
    std::string operator()(const SetBackupAction& a) const {
      return absl::StrCat("mp_prio ", a.id, a.backup ? " backup" : " regular");
    }
  };
  return std::visit(Visitor{}, action);
}

void PrintTo(const OpenSubflowAction& action, std::ostream* os) {
  *os << ActionToString(action);
}
void PrintTo(const CloseSubflowAction& action, std::ostream* os) {
  *os << ActionToString(action);
}
void PrintTo(const AnnounceAddressAction& action, std::ostream* os) {
  *os << ActionToString(action);
}
void PrintTo(const RemoveAddressAction& action, std::ostream* os) {
  *os << ActionToString(action);
}
void PrintTo(const SetBackupAction& action, std::ostream* os) {
  *os << ActionToString(action);
}

}  // namespace plait::pm
