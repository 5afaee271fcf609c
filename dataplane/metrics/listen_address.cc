#include "dataplane/metrics/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace plait::metrics {
namespace {

absl::Status Invalid(absl::string_view address, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("metrics address \"", address, "\": ", why));
}

}  // namespace

absl::StatusOr<std::string> CivetwebListeningPort(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return Invalid(address, "expected HOST:PORT, [HOST]:PORT or :PORT");
  }
  absl::string_view host = address.substr(0, colon);
  const absl::string_view port_text = address.substr(colon + 1);
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return Invalid(address, "the port must be a number from 0 to 65535");
  }
  // civetweb binds every IPv4 address for a bare port.
  if (host.empty()) return std::string(port_text);
  const bool v6 = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (v6) host = host.substr(1, host.size() - 2);
  const std::string literal(host);
  unsigned char parsed[sizeof(in6_addr)];
  if (inet_pton(v6 ? AF_INET6 : AF_INET, literal.c_str(), parsed) != 1) {
    return Invalid(address, v6 ? "not an IPv6 address"
                               : "not an IPv4 address (write an IPv6 one as "
                                 "[ADDRESS]:PORT; names are not resolved)");
  }
  return v6 ? absl::StrCat("[", literal, "]:", port)
            : absl::StrCat(literal, ":", port);
}

}  // namespace plait::metrics
