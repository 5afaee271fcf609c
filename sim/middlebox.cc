#include "sim/middlebox.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/tcp_header.h"
#include "dataplane/wire/tcp_options.h"

namespace plait::sim {
namespace {

constexpr size_t kSeqOffset = 4;  // within the TCP header
constexpr size_t kAckOffset = 8;

void AddToU32(std::vector<uint8_t>& bytes, size_t at, uint32_t delta) {
  wire::StoreBe32(bytes.data() + at, wire::LoadBe32(bytes.data() + at) + delta);
}

// Writes `address` into the source (or destination) field of the IP header.
void StoreAddress(std::vector<uint8_t>& bytes, bool source,
                  const wire::IpAddress& address) {
  const size_t at = address.is_v4() ? (source ? 12 : 16) : (source ? 8 : 24);
  const absl::Span<const uint8_t> raw = address.bytes();
  std::memcpy(bytes.data() + at, raw.data(), raw.size());
}

}  // namespace

// --- OptionStripper --------------------------------------------------------

OptionStripper::OptionStripper(Config config, PacketSink* next)
    : PacketFilter(next), config_(std::move(config)) {}

bool OptionStripper::Allowed(uint8_t kind) const {
  return std::find(config_.allowed_kinds.begin(), config_.allowed_kinds.end(),
                   kind) != config_.allowed_kinds.end();
}

void OptionStripper::Receive(Packet packet) {
  ++stats_.packets;
  const std::optional<TcpLocation> tcp = LocateTcp(packet.bytes);
  if (!tcp.has_value()) {
    ++stats_.passed_unparsed;
    Forward(std::move(packet));
    return;
  }
  uint64_t& seen = packets_seen_[tcp->flow.Canonical()];
  if (seen++ < config_.pass_first_packets) {
    Forward(std::move(packet));
    return;
  }
  if (!tcp->checksum_valid) {
    ++stats_.passed_bad_checksum;
    Forward(std::move(packet));
    return;
  }
  uint64_t stripped = 0;
  ForEachTcpOption(packet.bytes, tcp->options_offset, tcp->options_length,
                   [&](size_t offset, uint8_t kind, size_t length) {
                     if (Allowed(kind)) return;
                     std::fill_n(packet.bytes.begin() + offset, length,
                                 wire::kTcpOptionNop);
                     ++stripped;
                   });
  if (stripped > 0) {
    ++stats_.packets_stripped;
    stats_.options_stripped += stripped;
    // Cannot fail: LocateTcp parsed this segment with these addresses.
    (void)RefreshTcpChecksum(absl::MakeSpan(packet.bytes), *tcp);
  }
  Forward(std::move(packet));
}

// --- SequenceRewriter ------------------------------------------------------

SequenceRewriter::OffsetChooser SequenceRewriter::FixedOffset(uint32_t offset) {
  return [offset](const FlowKey&) { return offset; };
}

SequenceRewriter::OffsetChooser SequenceRewriter::RandomOffset(Random random) {
  return [random = std::move(random)](const FlowKey&) mutable {
    return random.Next32();
  };
}

SequenceRewriter::SequenceRewriter(OffsetChooser chooser)
    : chooser_(std::move(chooser)) {}

std::optional<uint32_t> SequenceRewriter::OffsetFor(
    const FlowKey& forward_flow) const {
  auto it = offsets_.find(forward_flow);
  if (it == offsets_.end()) return std::nullopt;
  return it->second;
}

void SequenceRewriter::Forward::Receive(Packet packet) {
  const std::optional<TcpLocation> tcp = LocateTcp(packet.bytes);
  if (!tcp.has_value() || !tcp->checksum_valid) {
    ++owner_->stats_.passed;
    PacketFilter::Forward(std::move(packet));
    return;
  }
  auto it = owner_->offsets_.find(tcp->flow);
  if (it == owner_->offsets_.end()) {
    it = owner_->offsets_.emplace(tcp->flow, owner_->chooser_(tcp->flow)).first;
  }
  AddToU32(packet.bytes, tcp->tcp_offset + kSeqOffset, it->second);
  (void)RefreshTcpChecksum(absl::MakeSpan(packet.bytes), *tcp);
  ++owner_->stats_.forward_rewritten;
  PacketFilter::Forward(std::move(packet));
}

void SequenceRewriter::Reverse::Receive(Packet packet) {
  const std::optional<TcpLocation> tcp = LocateTcp(packet.bytes);
  std::optional<uint32_t> offset;
  if (tcp.has_value() && tcp->checksum_valid) {
    offset = owner_->OffsetFor(tcp->flow.Reversed());
  }
  if (!offset.has_value()) {
    ++owner_->stats_.passed;
    PacketFilter::Forward(std::move(packet));
    return;
  }
  const uint32_t minus = 0u - *offset;
  if ((tcp->flags & wire::TcpHeader::kAck) != 0) {
    AddToU32(packet.bytes, tcp->tcp_offset + kAckOffset, minus);
  }
  ForEachTcpOption(packet.bytes, tcp->options_offset, tcp->options_length,
                   [&](size_t at, uint8_t kind, size_t length) {
                     if (kind != wire::kTcpOptionSack) return;
                     for (size_t i = at + 2; i + 4 <= at + length; i += 4) {
                       AddToU32(packet.bytes, i, minus);
                     }
                   });
  (void)RefreshTcpChecksum(absl::MakeSpan(packet.bytes), *tcp);
  ++owner_->stats_.reverse_rewritten;
  PacketFilter::Forward(std::move(packet));
}

// --- Nat -------------------------------------------------------------------

Nat::Nat(wire::IpAddress public_address, uint16_t first_public_port)
    : public_address_(public_address),
      first_public_port_(first_public_port),
      next_port_(first_public_port) {}

std::optional<uint16_t> Nat::PublicPort(const wire::IpAddress& private_address,
                                        uint16_t private_port) const {
  auto it = by_private_.find(PrivateEndpoint{private_address, private_port});
  if (it == by_private_.end()) return std::nullopt;
  return mappings_[it->second].public_port;
}

std::optional<uint16_t> Nat::AllocatePort() {
  const uint32_t range = 65536 - first_public_port_;
  for (uint32_t tries = 0; tries < range; ++tries) {
    const uint16_t port = static_cast<uint16_t>(next_port_);
    next_port_ = next_port_ == 65535 ? first_public_port_ : next_port_ + 1;
    if (!by_public_port_.contains(port)) return port;
  }
  return std::nullopt;
}

void Nat::Outbound::Receive(Packet packet) {
  Nat& nat = *owner_;
  const std::optional<TcpLocation> tcp = LocateTcp(packet.bytes);
  if (!tcp.has_value() || !tcp->checksum_valid ||
      tcp->is_v4 != nat.public_address_.is_v4()) {
    ++nat.stats_.dropped_untranslatable;
    return;
  }
  const PrivateEndpoint endpoint{tcp->flow.src, tcp->flow.src_port};
  auto it = nat.by_private_.find(endpoint);
  if (it == nat.by_private_.end()) {
    const std::optional<uint16_t> port = nat.AllocatePort();
    if (!port.has_value()) {
      ++nat.stats_.dropped_ports_exhausted;
      return;
    }
    nat.mappings_.push_back(Mapping{endpoint.address, endpoint.port, *port});
    const size_t index = nat.mappings_.size() - 1;
    nat.by_public_port_[*port] = index;
    it = nat.by_private_.emplace(endpoint, index).first;
  }
  const Mapping& mapping = nat.mappings_[it->second];
  StoreAddress(packet.bytes, /*source=*/true, nat.public_address_);
  wire::StoreBe16(packet.bytes.data() + tcp->tcp_offset, mapping.public_port);
  RefreshIpv4HeaderChecksum(absl::MakeSpan(packet.bytes));
  (void)RefreshTcpChecksum(absl::MakeSpan(packet.bytes), *tcp);
  ++nat.stats_.translated_out;
  PacketFilter::Forward(std::move(packet));
}

void Nat::Inbound::Receive(Packet packet) {
  Nat& nat = *owner_;
  const std::optional<TcpLocation> tcp = LocateTcp(packet.bytes);
  if (!tcp.has_value() || !tcp->checksum_valid) {
    ++nat.stats_.dropped_untranslatable;
    return;
  }
  auto it = nat.by_public_port_.find(tcp->flow.dst_port);
  if (tcp->flow.dst != nat.public_address_ || it == nat.by_public_port_.end()) {
    ++nat.stats_.dropped_no_mapping;
    return;
  }
  const Mapping& mapping = nat.mappings_[it->second];
  StoreAddress(packet.bytes, /*source=*/false, mapping.private_address);
  wire::StoreBe16(packet.bytes.data() + tcp->tcp_offset + 2,
                  mapping.private_port);
  RefreshIpv4HeaderChecksum(absl::MakeSpan(packet.bytes));
  (void)RefreshTcpChecksum(absl::MakeSpan(packet.bytes), *tcp);
  ++nat.stats_.translated_in;
  PacketFilter::Forward(std::move(packet));
}

// --- Replayer ---------------------------------------------------------------

Replayer::Replayer(Simulator* sim, Config config, Random random,
                   PacketSink* next)
    : PacketFilter(next), sim_(sim), config_(config), random_(random) {
  reservoir_.reserve(config_.history);
}

void Replayer::Receive(Packet packet) {
  ++stats_.packets;
  // Algorithm R: after n packets, each is in the reservoir with probability
  // history / n.
  if (reservoir_.size() < config_.history) {
    reservoir_.push_back(packet.bytes);
  } else {
    const uint64_t slot = random_.UniformInt(stats_.packets);
    if (slot < config_.history) reservoir_[slot] = packet.bytes;
  }
  if (random_.Bernoulli(config_.probability)) {
    std::vector<uint8_t> copy =
        reservoir_[random_.UniformInt(reservoir_.size())];
    sim_->ScheduleIn(config_.delay, [this, copy = std::move(copy)]() mutable {
      ++stats_.replayed;
      Forward(Packet{std::move(copy), sim_->NextPacketId(), sim_->now()});
    });
  }
  Forward(std::move(packet));
}

}  // namespace plait::sim
