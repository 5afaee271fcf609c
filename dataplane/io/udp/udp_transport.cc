#include "dataplane/io/udp/udp_transport.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace plait::io::udp {

absl::StatusOr<std::unique_ptr<UdpTransport>> UdpTransport::Create(
    const UdpTransportConfig& config, PacketHandler handler) {
  if (config.paths.empty()) {
    return absl::InvalidArgumentError("UDP transport: no path");
  }
  // Bounded so that receive_batch * receive_buffer_bytes cannot overflow
  // (and stays a sane allocation: at most ~64 MiB).
  if (config.receive_batch == 0 ||
      config.receive_batch > UdpTransportConfig::kMaxReceiveBatch) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UDP transport: receive_batch must be 1..",
        UdpTransportConfig::kMaxReceiveBatch, ", got ", config.receive_batch));
  }
  if (config.receive_buffer_bytes <= kHeaderSize ||
      config.receive_buffer_bytes >
          UdpTransportConfig::kMaxReceiveBufferBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UDP transport: receive_buffer_bytes must be ", kHeaderSize + 1, "..",
        UdpTransportConfig::kMaxReceiveBufferBytes, ", got ",
        config.receive_buffer_bytes));
  }
  std::unique_ptr<UdpTransport> transport(
      new UdpTransport(config, std::move(handler)));
  for (const auto& path : config.paths) {
    if (path.inner.is_v4() != path.bind.address.is_v4()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "UDP transport: path ", path.inner.ToString(), " bound to ",
          path.bind.ToString(), " of another address family"));
    }
    if (!transport->path_by_inner_.emplace(path.inner, transport->paths_.size())
             .second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "UDP transport: path ", path.inner.ToString(), " given twice"));
    }
    auto socket = UdpPathSocket::Open(path.bind, config.socket);
    if (!socket.ok()) return socket.status();
    transport->paths_.push_back({path.inner, std::move(*socket)});
  }
  for (const auto& peer : config.peers) {
    transport->SetPeer(peer.inner, peer.outer);
  }
  return transport;
}

UdpTransport::UdpTransport(const UdpTransportConfig& config,
                           PacketHandler handler)
    : handler_(std::move(handler)),
      learning_(config.learning),
      max_learned_peers_(config.max_learned_peers),
      receive_memory_(config.receive_batch * config.receive_buffer_bytes),
      received_(config.receive_batch) {
  for (size_t i = 0; i < received_.size(); ++i) {
    received_[i].buffer =
        absl::MakeSpan(receive_memory_.data() + i * config.receive_buffer_bytes,
                       config.receive_buffer_bytes);
  }
}

void UdpTransport::SendPacket(absl::Span<const uint8_t> ip_packet) {
  wire::IpAddress src, dst;
  if (!ReadInnerAddresses(ip_packet, &src, &dst)) {
    ++stats_.send_malformed;
    return;
  }
  auto path = path_by_inner_.find(src);
  if (path == path_by_inner_.end()) {
    ++stats_.send_no_path;
    return;
  }
  auto peer = peers_.find(dst);
  if (peer == peers_.end()) {
    ++stats_.send_no_peer;
    return;
  }
  PathState& state = paths_[path->second];
  if (peer->second.outer.address.is_v4() !=
      state.socket->local().address.is_v4()) {
    ++stats_.send_family_mismatch;
    return;
  }
  uint8_t header[kHeaderSize];
  WriteHeader(absl::MakeSpan(header));
  // A full queue first tries to make room: the core may send a burst larger
  // than the queue between two flushes of the loop. Not while the socket is
  // known to be blocked: every packet of the burst would make a sendmmsg
  // that fails with EAGAIN. OnWritable (or the next Flush) resumes.
  if (state.socket->full() && !state.blocked) {
    auto flushed = state.socket->SendBatch();
    if (flushed.ok()) state.blocked = flushed->would_block;
  }
  if (!state.socket->Enqueue(peer->second.outer, header, ip_packet)) {
    ++stats_.send_queue_drops;
    return;
  }
  ++stats_.queued;
}

absl::StatusOr<size_t> UdpTransport::OnReadable(size_t path,
                                                size_t max_batches) {
  size_t total = 0;
  for (size_t batch = 0; batch < max_batches; ++batch) {
    auto got = paths_[path].socket->ReceiveBatch(absl::MakeSpan(received_));
    if (!got.ok()) return got.status();
    for (size_t i = 0; i < *got; ++i) Handle(path, received_[i]);
    total += *got;
    // A short batch means the socket is drained. The socket's own batch may
    // be smaller than ours: a full one of its size is not short.
    if (*got < std::min(received_.size(), paths_[path].socket->batch())) {
      break;
    }
  }
  return total;
}

void UdpTransport::Handle(size_t path, const ReceivedDatagram& datagram) {
  auto drop = [this](DropReason reason) {
    ++stats_.dropped[static_cast<size_t>(reason)];
  };
  if (datagram.truncated) return drop(DropReason::kTruncated);
  const Decapsulated inner =
      Decapsulate(datagram.buffer.first(datagram.length));
  if (!inner.ok) return drop(inner.reason);
  if (inner.dst != paths_[path].inner) {
    return drop(DropReason::kWrongDestination);
  }
  if (auto reason = CheckPeer(inner.src, datagram.from)) return drop(*reason);
  ++stats_.delivered;
  handler_(inner.packet);
}

std::optional<DropReason> UdpTransport::CheckPeer(const wire::IpAddress& inner,
                                                  const UdpEndpoint& from) {
  auto it = peers_.find(inner);
  if (it != peers_.end()) {
    if (it->second.outer != from) return DropReason::kPeerMismatch;
    return std::nullopt;
  }
  const bool may_learn =
      learning_ == PeerLearning::kAny ||
      (learning_ == PeerLearning::kSameAddress && inner == from.address);
  if (!may_learn || learned_peers_ >= max_learned_peers_) {
    return DropReason::kUnknownPeer;
  }
  peers_.emplace(inner, PeerEntry{from, /*learned=*/true});
  ++learned_peers_;
  ++stats_.learned;
  return std::nullopt;
}

absl::Status UdpTransport::FlushPath(PathState& path) {
  if (path.socket->queued() == 0) {
    path.blocked = false;
    return absl::OkStatus();
  }
  auto result = path.socket->SendBatch();
  if (!result.ok()) return result.status();
  path.blocked = result->would_block;
  return absl::OkStatus();
}

absl::Status UdpTransport::Flush() {
  absl::Status first;
  // A blocked path is tried too (one sendmmsg, which stops at EAGAIN): a
  // loop that polls for writability and only calls Flush() resumes it here.
  for (PathState& path : paths_) first.Update(FlushPath(path));
  return first;
}

absl::Status UdpTransport::OnWritable(size_t path) {
  paths_[path].blocked = false;
  return FlushPath(paths_[path]);
}

void UdpTransport::SetPeer(const wire::IpAddress& inner,
                           const UdpEndpoint& outer) {
  auto it = peers_.find(inner);
  if (it != peers_.end() && it->second.learned) --learned_peers_;
  peers_.insert_or_assign(inner, PeerEntry{outer, /*learned=*/false});
}

void UdpTransport::RemovePeer(const wire::IpAddress& inner) {
  auto it = peers_.find(inner);
  if (it == peers_.end()) return;
  if (it->second.learned) --learned_peers_;
  peers_.erase(it);
}

std::optional<UdpEndpoint> UdpTransport::PeerFor(
    const wire::IpAddress& inner) const {
  auto it = peers_.find(inner);
  if (it == peers_.end()) return std::nullopt;
  return it->second.outer;
}

}  // namespace plait::io::udp
