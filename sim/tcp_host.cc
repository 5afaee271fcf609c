#include "sim/tcp_host.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "dataplane/cc/registry.h"
#include "dataplane/tcp/packet_builder.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/segment.h"

namespace plait::sim {
namespace {

using wire::TcpHeader;

std::array<uint8_t, 32> SecretFrom(uint64_t seed) {
  std::array<uint8_t, 32> secret{};
  for (int i = 0; i < 4; ++i) {
    wire::StoreBe64(
        secret.data() + 8 * i,
        seed * 0x9e3779b97f4a7c15ull + uint64_t(i) * 0xbf58476d1ce4e5b9ull);
  }
  return secret;
}

}  // namespace

TcpHost::TcpHost(Simulator* sim, Host* host, uint64_t seed)
    : sim_(sim), host_(host), isn_(SecretFrom(seed)) {
  output_.host = this;
  stack::StackConfig stack_config;
  stack_config.seed = seed * 0x2545f4914f6cdd1dull + 17;
  // The simulator opens few connections; a limit a host might have.
  stack_config.max_connections = 4096;
  stack_ = std::make_unique<stack::Stack>(stack_config, &output_);
  host_->SetHandler([this](Packet packet) { OnPacket(std::move(packet)); });
}

void TcpHost::Output::SendPacket(absl::Span<const uint8_t> packet) {
  Packet p;
  p.bytes.assign(packet.begin(), packet.end());
  p.id = host->sim_->NextPacketId();
  p.sent_at = host->sim_->now();
  host->host_->Send(std::move(p));
}

TcpHost::Stats TcpHost::stats() const {
  Stats s = stats_;
  const stack::Stack::Stats& m = stack_->stats();
  s.bad_checksum += m.bad_checksum;
  s.malformed += m.malformed;
  s.no_connection += m.no_connection;
  return s;
}

void TcpHost::PokeStack() {
  const Time deadline = stack_->next_deadline();
  if (deadline == stack_timer_at_) return;
  sim_->Cancel(stack_timer_);
  stack_timer_ = kNoEvent;
  stack_timer_at_ = deadline;
  if (deadline == kNever) return;
  stack_timer_ = sim_->Schedule(std::max(deadline, sim_->now()), [this] {
    stack_timer_ = kNoEvent;
    stack_timer_at_ = kNever;
    stack_->OnTimer(sim_->now());
    PokeStack();
  });
}

void TcpHost::Listen(const wire::IpAddress& address, uint16_t port,
                     const tcp::TcpConfig& config, Acceptor acceptor) {
  listeners_[{address, port}] = Listener{config, std::move(acceptor)};
}

TcpHost::Entry* TcpHost::Create(const tcp::TcpConfig& config,
                                const tcp::TcpEndpoints& ends,
                                tcp::TcpOwner* owner) {
  auto cc = cc::CreateCongestionControl(config.congestion_control, config.mss);
  if (!cc.ok()) return nullptr;
  auto entry = std::make_unique<Entry>();
  const uint32_t isn = isn_.Generate(ends.local, ends.local_port, ends.remote,
                                     ends.remote_port, sim_->now());
  entry->connection = std::make_unique<tcp::TcpConnection>(
      config, ends, isn, std::move(*cc), owner, &output_);
  Entry* raw = entry.get();
  by_tuple_[Key{ends.local, ends.local_port, ends.remote, ends.remote_port}] =
      raw;
  by_connection_[raw->connection.get()] = raw;
  entries_.push_back(std::move(entry));
  return raw;
}

absl::StatusOr<tcp::TcpConnection*> TcpHost::Connect(
    const tcp::TcpConfig& config, const wire::IpAddress& local,
    const wire::IpAddress& remote, uint16_t remote_port, tcp::TcpOwner* owner) {
  if (absl::Status status = config.Validate(); !status.ok()) return status;
  tcp::TcpEndpoints ends{local, 0, remote, remote_port};
  for (int tries = 0; tries < 16384; ++tries) {
    ends.local_port = next_port_;
    next_port_ = next_port_ == 65535 ? 49152 : next_port_ + 1;
    if (!by_tuple_.contains(Key{local, ends.local_port, remote, remote_port})) {
      break;
    }
  }
  Entry* entry = Create(config, ends, owner);
  if (entry == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown congestion control \"", config.congestion_control, "\""));
  }
  entry->connection->Connect(sim_->now());
  Rearm(*entry);
  return entry->connection.get();
}

void TcpHost::Poke(tcp::TcpConnection* connection) {
  auto it = by_connection_.find(connection);
  if (it != by_connection_.end()) Rearm(*it->second);
}

void TcpHost::Rearm(Entry& entry) {
  tcp::TcpConnection& c = *entry.connection;
  if (c.state() == tcp::TcpState::kClosed) {
    sim_->Cancel(entry.timer);
    entry.timer = kNoEvent;
    entry.timer_at = kNever;
    const auto& e = c.endpoints();
    auto it =
        by_tuple_.find(Key{e.local, e.local_port, e.remote, e.remote_port});
    if (it != by_tuple_.end() && it->second == &entry) by_tuple_.erase(it);
    return;
  }
  const Time deadline = c.next_deadline();
  if (deadline == entry.timer_at) return;
  sim_->Cancel(entry.timer);
  entry.timer = kNoEvent;
  entry.timer_at = deadline;
  if (deadline == kNever) return;
  const Time at = std::max(deadline, sim_->now());
  Entry* raw = &entry;
  entry.timer = sim_->Schedule(at, [this, raw] {
    raw->timer = kNoEvent;
    raw->timer_at = kNever;
    raw->connection->OnTimer(sim_->now());
    Rearm(*raw);
  });
}

void TcpHost::OnPacket(Packet packet) {
  ++stats_.segments;
  auto segment = wire::ParseSegment(packet.bytes);
  if (!segment.ok()) {
    ++stats_.malformed;
    return;
  }
  if (!segment->checksum_valid) {
    ++stats_.bad_checksum;
    return;
  }
  const wire::Segment& s = *segment;
  auto it =
      by_tuple_.find(Key{s.ip.dst, s.tcp.dst_port, s.ip.src, s.tcp.src_port});
  if (it != by_tuple_.end()) {
    Entry& entry = *it->second;
    entry.connection->OnSegment(s, sim_->now());
    Rearm(entry);
    return;
  }
  auto listener = listeners_.find({s.ip.dst, s.tcp.dst_port});
  if (listener != listeners_.end() && s.tcp.has(TcpHeader::kSyn) &&
      !s.tcp.has(TcpHeader::kAck) && !s.tcp.has(TcpHeader::kRst)) {
    const tcp::TcpEndpoints ends{s.ip.dst, s.tcp.dst_port, s.ip.src,
                                 s.tcp.src_port};
    Listener& l = listener->second;
    tcp::TcpOwner* owner = l.acceptor.owner_for(ends);
    Entry* entry = owner == nullptr ? nullptr : Create(l.config, ends, owner);
    if (entry == nullptr) {
      // The listener takes no more connections: refuse this one.
      ++stats_.no_connection;
      SendReset(s);
      return;
    }
    l.acceptor.on_created(entry->connection.get());
    entry->connection->AcceptSyn(s, sim_->now());
    Rearm(*entry);
    return;
  }
  // Everything else is the MPTCP stack's, which answers strays with a RST.
  stack_->OnSegment(s, sim_->now());
  PokeStack();
}

void TcpHost::SendReset(const wire::Segment& s) {
  std::array<uint8_t, 80> buffer;
  auto built = tcp::BuildResetReply(s, absl::MakeSpan(buffer));
  if (built.ok())
    output_.SendPacket(absl::MakeConstSpan(buffer.data(), *built));
}

}  // namespace plait::sim
