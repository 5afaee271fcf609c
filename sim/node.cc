#include "sim/node.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sim/ip_peek.h"

namespace plait::sim {
namespace {

wire::IpAddress Masked(const wire::IpAddress& address, int prefix_length) {
  const absl::Span<const uint8_t> in = address.bytes();
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < in.size(); ++i) {
    const int bits = std::clamp(prefix_length - static_cast<int>(i) * 8, 0, 8);
    const uint8_t mask = static_cast<uint8_t>(0xff00 >> bits);
    out[i] = in[i] & mask;
  }
  return address.is_v4()
             ? wire::IpAddress::V4Bytes(absl::MakeConstSpan(out.data(), 4))
             : wire::IpAddress::V6Bytes(out);
}

}  // namespace

bool PrefixMatches(const wire::IpAddress& prefix, int prefix_length,
                   const wire::IpAddress& address) {
  if (prefix.family() != address.family()) return false;
  return Masked(prefix, prefix_length) == Masked(address, prefix_length);
}

Host::Host(std::vector<wire::IpAddress> addresses)
    : addresses_(std::move(addresses)) {}

void Host::AddAddress(const wire::IpAddress& address) {
  if (!HasAddress(address)) addresses_.push_back(address);
}

bool Host::HasAddress(const wire::IpAddress& address) const {
  return std::find(addresses_.begin(), addresses_.end(), address) !=
         addresses_.end();
}

void Host::SetLink(const wire::IpAddress& local, PacketSink* link) {
  AddAddress(local);
  links_[local] = link;
}

void Host::SetDefaultLink(PacketSink* link) { default_link_ = link; }

void Host::Send(Packet packet) {
  const std::optional<IpAddresses> addresses = PeekIpAddresses(packet.bytes);
  if (!addresses.has_value()) {
    ++stats_.malformed;
    return;
  }
  PacketSink* link = default_link_;
  if (auto it = links_.find(addresses->src); it != links_.end()) {
    link = it->second;
  }
  if (link == nullptr) {
    ++stats_.unroutable;
    return;
  }
  ++stats_.sent;
  link->Receive(std::move(packet));
}

void Host::Receive(Packet packet) {
  const std::optional<IpAddresses> addresses = PeekIpAddresses(packet.bytes);
  if (!addresses.has_value()) {
    ++stats_.malformed;
    return;
  }
  if (!HasAddress(addresses->dst)) {
    ++stats_.misdelivered;
    return;
  }
  ++stats_.received;
  if (handler_) handler_(std::move(packet));
}

absl::Status Router::AddRoute(const wire::IpAddress& prefix, int prefix_length,
                              PacketSink* next) {
  const int max_length = prefix.is_v4() ? 32 : 128;
  if (prefix_length < 0 || prefix_length > max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("route prefix length ", prefix_length, " for ",
                     prefix.ToString(), " is not in 0..", max_length));
  }
  const wire::IpAddress masked = Masked(prefix, prefix_length);
  for (Route& route : routes_) {
    if (route.prefix == masked && route.prefix_length == prefix_length) {
      route.next = next;
      return absl::OkStatus();
    }
  }
  routes_.push_back(Route{masked, prefix_length, next});
  return absl::OkStatus();
}

PacketSink* Router::Lookup(const wire::IpAddress& destination) const {
  const Route* best = nullptr;
  for (const Route& route : routes_) {
    if ((best == nullptr || route.prefix_length > best->prefix_length) &&
        PrefixMatches(route.prefix, route.prefix_length, destination)) {
      best = &route;
    }
  }
  return best == nullptr ? nullptr : best->next;
}

void Router::Receive(Packet packet) {
  const std::optional<IpAddresses> addresses = PeekIpAddresses(packet.bytes);
  PacketSink* next = addresses.has_value() ? Lookup(addresses->dst) : nullptr;
  if (next == nullptr) {
    ++stats_.unroutable;
    return;
  }
  ++stats_.forwarded;
  next->Receive(std::move(packet));
}

}  // namespace plait::sim
