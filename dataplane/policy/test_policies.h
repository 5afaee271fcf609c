// Helpers the policy tests share: policies written as text protos, and the
// node the examples in policy.proto and the validator's messages assume.
#ifndef PLAIT_DATAPLANE_POLICY_TEST_POLICIES_H_
#define PLAIT_DATAPLANE_POLICY_TEST_POLICIES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/policy/policy_validator.h"
#include "dataplane/wire/ip_address.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "proto/plait/v1/policy.pb.h"

namespace plait::policy::testing {

inline v1::Policy ParsePolicy(absl::string_view text) {
  v1::Policy policy;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text),
                                                     &policy)) {
    ADD_FAILURE() << "not a plait.v1.Policy text proto: " << text;
  }
  return policy;
}

inline wire::IpAddress Ip(absl::string_view text) {
  auto address = wire::IpAddress::Parse(text);
  if (!address.ok()) ADD_FAILURE() << address.status();
  return address.value_or(wire::IpAddress());
}

// Two IPv4 paths, as in the validator's example messages.
inline PolicyContext TwoPaths() {
  return PolicyContext{.paths = {Ip("10.0.1.1"), Ip("10.0.2.1")}};
}

// A policy using most of what policy.proto offers, valid on TwoPaths().
inline constexpr absl::string_view kFullPolicy = R"pb(
  version: "rev-7"
  profiles {
    name: "bulk"
    path_manager {
      mode: "fullmesh"
      endpoints { id: 1 address: "10.0.1.1" signal: true }
      endpoints { id: 2 address: "10.0.2.1" subflow: true fullmesh: true }
      limits { max_subflows: 4 max_add_addr_accepted: 2 }
    }
    scheduler { name: "roundrobin" }
    congestion_control { name: "olia" }
    options {
      dss_checksums: true
      add_addr_timeout_ms: 500
      add_addr_retries: 5
      fallback: FALLBACK_BEHAVIOUR_RESET
    }
  }
  profiles {
    name: "ndiff_2"
    path_manager { mode: "ndiffports" ndiffports_subflows: 4 }
  }
  profiles { name: "plain-defaults" }
  rules {
    name: "web"
    match {
      destination_prefixes: "10.1.0.0/16"
      destination_prefixes: "2001:db8::/32"
      destination_ports { first: 80 }
      destination_ports { first: 8000 last: 8999 }
      listeners: "forward:10.0.1.1:8080"
      labels { key: "site" value: "ams" }
    }
    profile: "bulk"
  }
  rules { name: "rest" profile: "ndiff_2" }
  default_profile: "plain-defaults"
)pb";

}  // namespace plait::policy::testing

#endif  // PLAIT_DATAPLANE_POLICY_TEST_POLICIES_H_
