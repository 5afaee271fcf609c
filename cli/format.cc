#include "cli/format.h"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/table.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"

namespace plait::cli {
namespace {

// "key:" padded so that the values of a block line up.
std::string Field(const std::string& key, const std::string& value) {
  return absl::StrFormat("%-20s%s\n", key + ":", value);
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

std::string EventTypeName(plait::v1::EventType type) {
  const std::string& name = plait::v1::EventType_Name(type);
  if (name.empty()) return absl::StrCat("TYPE_", static_cast<int>(type));
  return std::string(absl::StripPrefix(name, "EVENT_TYPE_"));
}

// Quoted when it has spaces or quotes, so that the line stays key=value.
std::string QuoteIfNeeded(const std::string& value) {
  if (value.find_first_of(" \"=\t") == std::string::npos && !value.empty()) {
    return value;
  }
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // Only fails for messages with invalid Any types, which the API has none of.
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "{}";
  }
  return json;
}

std::string FormatUnixTime(double unix_seconds) {
  if (unix_seconds <= 0) return "-";
  const time_t whole = static_cast<time_t>(std::floor(unix_seconds));
  const int millis =
      std::min(999, static_cast<int>((unix_seconds - whole) * 1000));
  struct tm tm;
  gmtime_r(&whole, &tm);
  char text[32];
  strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
  return absl::StrFormat("%s.%03dZ", text, millis);
}

std::string FormatDuration(double seconds) {
  if (seconds < 60) return absl::StrFormat("%.1fs", std::max(0.0, seconds));
  uint64_t s = static_cast<uint64_t>(seconds);
  std::vector<std::string> parts;
  if (s >= 86400) parts.push_back(absl::StrCat(s / 86400, "d"));
  if (s >= 3600) parts.push_back(absl::StrCat(s / 3600 % 24, "h"));
  parts.push_back(absl::StrCat(s / 60 % 60, "m"));
  parts.push_back(absl::StrCat(s % 60, "s"));
  return absl::StrJoin(parts, " ");
}

std::string FormatStatus(const plait::v1::Status& status) {
  std::string out;
  out += Field("version", OrDash(status.version()));
  out += Field("uptime", FormatDuration(status.uptime_seconds()));
  out += Field("io mode", OrDash(status.io_mode()));
  out += Field("policy",
               absl::StrCat(OrDash(status.policy_version()), " (generation ",
                            status.policy_generation(), ")"));
  out += Field("open connections", absl::StrCat(status.open_connections()));
  out += Field("scheduler", OrDash(status.scheduler()));
  out += Field("congestion control", OrDash(status.congestion_control()));
  out += Field("path manager", OrDash(status.path_manager()));
  out += Field("event loop lag max",
               FormatRtt(status.event_loop_lag_max_seconds()));
  out += Field("listeners", status.listeners().empty()
                                ? "-"
                                : absl::StrJoin(status.listeners(), ", "));
  // A map's order is unspecified: sort so that the output is stable.
  std::vector<std::string> labels;
  for (const auto& [key, value] : status.labels()) {
    labels.push_back(absl::StrCat(key, "=", value));
  }
  std::sort(labels.begin(), labels.end());
  out += Field("labels", labels.empty() ? "-" : absl::StrJoin(labels, ", "));
  out += "paths:\n";
  TextTable paths({{"ADDRESS"},
                   {"STATE"},
                   {"VIA"},
                   {"PACKETS SENT", TextTable::Align::kRight},
                   {"PACKETS RECEIVED", TextTable::Align::kRight}});
  for (const plait::v1::PathStatus& path : status.paths()) {
    paths.AddRow({path.address(), OrDash(path.state()), OrDash(path.via()),
                  absl::StrCat(path.packets_sent()),
                  absl::StrCat(path.packets_received())});
  }
  out += absl::StrCat(paths.Header(2), "\n");
  for (size_t i = 0; i < paths.rows(); ++i) {
    out += absl::StrCat(paths.Row(i, 2), "\n");
  }
  return out;
}

std::string FormatConnectionDetail(const plait::v1::Connection& c) {
  std::string out;
  out += Field("connection", absl::StrCat(c.id()));
  out += Field("state", ConnectionStateName(c.state()));
  out += Field("kind", OrDash(c.kind()));
  out += Field("listener", OrDash(c.listener()));
  out += Field("client", OrDash(c.client()));
  out += Field("target", OrDash(c.target()));
  out +=
      Field("local -> remote", absl::StrCat(OrDash(c.local_address()), " -> ",
                                            OrDash(c.remote_address())));
  out += Field("scheduler", OrDash(c.scheduler()));
  out += Field("congestion control", OrDash(c.congestion_control()));
  out += Field("path manager", OrDash(c.path_manager()));
  out += Field("rule / profile",
               absl::StrCat(OrDash(c.rule()), " / ", OrDash(c.profile())));
  out += Field("fallback", c.fallback() ? "yes (plain TCP)" : "no");
  out += Field("dss checksums", c.dss_checksums() ? "yes" : "no");
  out += Field("local token", absl::StrFormat("%08x", c.local_token()));
  out += Field("sent", FormatBytes(c.bytes_sent()));
  out += Field("received", FormatBytes(c.bytes_received()));
  out += Field("reinjected", FormatBytes(c.bytes_reinjected()));
  out += Field("age", FormatDuration(c.age_seconds()));
  out += "subflows:\n";
  // The subflow table, indented under its heading.
  for (absl::string_view line : absl::StrSplit(FormatSubflowTable(c.subflows()),
                                               '\n', absl::SkipEmpty())) {
    out += absl::StrCat("  ", line, "\n");
  }
  return out;
}

std::string FormatPolicyState(const plait::v1::PolicyState& state) {
  std::string out = absl::StrCat("# generation: ", state.generation(), "\n");
  out += absl::StrCat("# applied: ",
                      state.applied_unix_seconds() > 0
                          ? FormatUnixTime(state.applied_unix_seconds())
                          : "never (the daemon's start-up defaults)",
                      "\n");
  if (!state.last_refusal().empty()) {
    // A refusal can span lines; each must stay a comment.
    for (absl::string_view line : absl::StrSplit(state.last_refusal(), '\n')) {
      out += absl::StrCat("# last refused: ", line, "\n");
    }
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(state.policy(), &text);
  return out + text;
}

std::string FormatSetPolicyResponse(
    const plait::v1::SetPolicyResponse& response, bool dry_run) {
  if (dry_run) return "policy is valid (dry run: nothing changed)\n";
  // The API does not say when a policy that was not a dry run would not
  // apply; say so rather than claim it did.
  if (!response.applied()) {
    return absl::StrCat("policy ", OrDash(response.version()),
                        " accepted but not applied (generation ",
                        response.generation(), ")\n");
  }
  return absl::StrCat("policy ", OrDash(response.version()),
                      " applied (generation ", response.generation(), ")\n");
}

std::string FormatEvent(const plait::v1::Event& e) {
  std::vector<std::string> parts = {FormatUnixTime(e.unix_seconds()),
                                    absl::StrCat("#", e.sequence()),
                                    EventTypeName(e.type())};
  auto add = [&parts](const std::string& key, const std::string& value) {
    parts.push_back(absl::StrCat(key, "=", QuoteIfNeeded(value)));
  };
  if (e.connection_id() != 0) add("conn", absl::StrCat(e.connection_id()));
  const bool subflow_event =
      e.type() == plait::v1::EVENT_TYPE_SUBFLOW_ESTABLISHED ||
      e.type() == plait::v1::EVENT_TYPE_SUBFLOW_CLOSED ||
      e.type() == plait::v1::EVENT_TYPE_SUBFLOW_PRIORITY;
  // Subflow 0 is the initial one: on a subflow event it means something.
  if (subflow_event || e.subflow_id() != 0) {
    add("subflow", absl::StrCat(e.subflow_id()));
  }
  if (!e.local_address().empty()) add("local", e.local_address());
  if (!e.remote_address().empty()) add("remote", e.remote_address());
  if (subflow_event || e.backup()) add("backup", e.backup() ? "yes" : "no");
  const bool address_event =
      e.type() == plait::v1::EVENT_TYPE_ADDRESS_ANNOUNCED ||
      e.type() == plait::v1::EVENT_TYPE_ADDRESS_REMOVED;
  if (address_event || e.address_id() != 0) {
    add("address_id", absl::StrCat(e.address_id()));
  }
  if (!e.address().empty()) add("address", e.address());
  if (!e.policy_version().empty()) add("policy", e.policy_version());
  if (!e.reason().empty()) add("reason", e.reason());
  if (e.dropped_before() != 0) {
    add("dropped_before", absl::StrCat(e.dropped_before()));
  }
  return absl::StrJoin(parts, " ");
}

}  // namespace plait::cli
