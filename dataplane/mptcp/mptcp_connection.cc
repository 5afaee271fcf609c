#include "dataplane/mptcp/mptcp_connection.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/cc/registry.h"
#include "dataplane/crypto/hmac.h"
#include "dataplane/crypto/keys.h"
#include "dataplane/mptcp/mptcp_subflow.h"
#include "dataplane/pm/registry.h"
#include "dataplane/sched/registry.h"
#include "dataplane/tcp/packet_builder.h"
#include "dataplane/wire/dss_checksum.h"
#include "dataplane/wire/option_writer.h"
#include "dataplane/wire/sequence.h"
#include "dataplane/wire/tcp_header.h"

namespace plait::mptcp {
namespace {

using wire::TcpHeader;

// MP_JOIN third ACKs sent again without a fourth before the subflow is reset.
constexpr int kMaxJoinAckTries = 5;

// RFC 8684 3.1 as Linux applies it: an MP_CAPABLE that is not v1 with H set
// and B and D-G clear is treated as absent (notes A.4, A.16).
bool ValidMpCapable(const wire::MpCapable& mpc, bool syn) {
  if (syn ? mpc.version < wire::kMptcpVersion1
          : mpc.version != wire::kMptcpVersion1) {
    return false;
  }
  return (mpc.flags & 0x1f) == wire::kMpcFlagH &&
         (mpc.flags & wire::kMpcFlagB) == 0;
}

template <typename T>
const T* Find(const wire::Segment& s) {
  for (const wire::MptcpOption& o : s.mptcp_options()) {
    if (const T* t = std::get_if<T>(&o)) return t;
  }
  return nullptr;
}

bool SameTuple(const tcp::TcpEndpoints& e, const wire::Segment& s) {
  return e.local == s.ip.dst && e.remote == s.ip.src &&
         e.local_port == s.tcp.dst_port && e.remote_port == s.tcp.src_port;
}

}  // namespace

std::string SubflowCloseReasonText(const SubflowCloseReason& reason) {
  std::string text;
  switch (reason.tcp) {
    case tcp::CloseReason::kNormal:
      text = reason.requested ? "closed" : "closed by peer";
      break;
    case tcp::CloseReason::kReset:
      text = "reset by peer";
      break;
    case tcp::CloseReason::kRefused:
      text = "refused by peer";
      break;
    case tcp::CloseReason::kTimeout:
      text = "timeout";
      break;
    case tcp::CloseReason::kKeepaliveTimeout:
      text = "keepalive timeout";
      break;
    case tcp::CloseReason::kAborted:
      // Not on request: we reset it for a protocol error.
      text = reason.requested ? "reset" : "reset for a protocol error";
      break;
  }
  if (reason.tcprst_reason) {
    absl::StrAppend(&text, " (", wire::TcpRstReasonName(*reason.tcprst_reason),
                    ")");
  }
  return text;
}

const char* MptcpCloseReasonName(MptcpCloseReason reason) {
  switch (reason) {
    case MptcpCloseReason::kNormal:
      return "normal";
    case MptcpCloseReason::kFastclose:
      return "fastclose";
    case MptcpCloseReason::kAborted:
      return "aborted";
    case MptcpCloseReason::kSubflowsLost:
      return "subflows_lost";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Construction and opening.

MptcpConnection::MptcpConnection(const MptcpConfig& config, MptcpOwner* owner,
                                 tcp::TcpOutput* output)
    : config_(config),
      owner_(owner),
      output_(output),
      send_(config.send_buffer_bytes),
      recv_(config.receive_buffer_bytes),
      scratch_(kMaxChunk + 1) {
  auto scheduler = sched::CreateScheduler(config.scheduler);
  if (!scheduler.ok()) scheduler = sched::CreateScheduler("minrtt");
  scheduler_ = std::move(*scheduler);
  if (cc::IsCoupled(config_.tcp.congestion_control)) {
    coupling_ = std::make_shared<cc::CouplingGroup>();
  }
  absl::StatusOr<std::unique_ptr<pm::PathManager>> path_manager =
      absl::InvalidArgumentError("invalid");
  if (pm::ValidateConfig(config_.path_manager_config).ok()) {
    path_manager = pm::CreatePathManager(config_.path_manager,
                                         config_.path_manager_config);
  }
  if (!path_manager.ok()) {
    path_manager = pm::CreatePathManager("explicit", pm::PathManagerConfig{});
  }
  pm_ = std::move(*path_manager);
}

MptcpConnection::~MptcpConnection() = default;

void MptcpConnection::DrawKey() {
  if (config_.key_source) {
    local_key_ = config_.key_source();
  } else {
    auto key = crypto::GenerateUniqueKey([](uint32_t) { return false; });
    local_key_ = key.ok() ? key->key : 1;
  }
  const crypto::KeyDerivation d = crypto::DeriveFromKey(local_key_);
  local_token_ = d.token;
  local_idsn_ = d.idsn;
}

MptcpConnection::Subflow* MptcpConnection::NewSubflow(
    const tcp::TcpEndpoints& endpoints, uint32_t isn, bool initial) {
  auto sf = std::make_unique<Subflow>();
  sf->conn = this;
  sf->id = next_subflow_id_++;
  sf->initial = initial;
  sf->join = !initial;
  if (initial) sf->pm_id = pm::kInitialSubflowId;
  auto cc = cc::CreateCongestionControl(config_.tcp.congestion_control,
                                        config_.tcp.mss,
                                        cc::kInitialWindowSegments, coupling_);
  if (!cc.ok()) cc = cc::CreateCongestionControl("reno", config_.tcp.mss);
  sf->tcp = std::make_unique<tcp::TcpConnection>(
      config_.tcp, endpoints, isn, std::move(*cc), sf.get(), output_);
  if (!initial) {
    sf->local_nonce =
        config_.nonce_source
            ? config_.nonce_source()
            : static_cast<uint32_t>(local_key_ >> 13) * 2654435761u + sf->id;
  }
  subflows_.push_back(std::move(sf));
  return subflows_.back().get();
}

void MptcpConnection::Connect(const tcp::TcpEndpoints& endpoints, uint32_t isn,
                              Time now) {
  if (!subflows_.empty()) return;
  ++depth_;
  is_client_ = true;
  if (config_.enabled) DrawKey();
  Subflow* sf = NewSubflow(endpoints, isn, /*initial=*/true);
  sf->usable = true;
  if (!config_.enabled) fallback_ = true;
  sf->tcp->Connect(now);
  --depth_;
  AfterEvent(now);
}

void MptcpConnection::AcceptSyn(const tcp::TcpEndpoints& endpoints,
                                uint32_t isn, const wire::Segment& syn,
                                Time now) {
  if (!subflows_.empty()) return;
  ++depth_;
  const wire::MpCapable* mpc = Find<wire::MpCapable>(syn);
  if (config_.enabled && mpc != nullptr && ValidMpCapable(*mpc, true)) {
    DrawKey();
    mptcp_ = true;
    checksums_ = config_.checksums || (mpc->flags & wire::kMpcFlagA);
  } else {
    Fallback(now);
  }
  Subflow* sf = NewSubflow(endpoints, isn, /*initial=*/true);
  sf->usable = true;
  sf->tcp->AcceptSyn(syn, now);
  --depth_;
  AfterEvent(now);
}

bool MptcpConnection::AddSubflow(const tcp::TcpEndpoints& endpoints,
                                 uint32_t isn, Time now, bool backup) {
  return AddSubflow(
      endpoints, isn, now,
      JoinOptions{.backup = backup,
                  .local_address_id = LocalAddressId(endpoints.local)});
}

bool MptcpConnection::AddSubflow(const tcp::TcpEndpoints& endpoints,
                                 uint32_t isn, Time now,
                                 const JoinOptions& join) {
  // An application that has written everything and closed still has data
  // in flight: a new path can carry (and speed up) the rest, as Linux's path
  // manager adds subflows until the connection is closed. Only once the
  // DATA_FIN is on the subflows, every one of them half-closed, would a new
  // one have nothing to carry.
  if (!is_client_ || !mptcp_ || !have_remote_key_ || closed_ ||
      subflows_fin_sent_) {
    return false;
  }
  ++depth_;
  Subflow* sf = NewSubflow(endpoints, isn, /*initial=*/false);
  sf->backup = join.backup;
  sf->local_address_id = join.local_address_id;
  sf->remote_address_id = join.remote_address_id;
  sf->pm_id = join.pm_id;
  sf->tcp->Connect(now);
  --depth_;
  AfterEvent(now);
  return true;
}

bool MptcpConnection::HandleJoinSyn(
    const wire::Segment& syn, uint32_t isn, Time now,
    const std::function<MptcpConnection*(uint32_t token)>& lookup,
    tcp::TcpOutput* output) {
  const wire::MpJoinSyn* join = Find<wire::MpJoinSyn>(syn);
  MptcpConnection* conn = join != nullptr ? lookup(join->token) : nullptr;
  std::optional<wire::TcpRstReason> refusal =
      wire::TcpRstReason::kMptcpSpecific;
  if (conn != nullptr) refusal = conn->AcceptJoin(syn, isn, now);
  if (!refusal) return true;
  // An unknown token is "MPTCP-specific", a full connection "lack of
  // resources".
  RefuseJoin(syn, *refusal, output);
  return false;
}

void MptcpConnection::RefuseJoin(const wire::Segment& syn,
                                 wire::TcpRstReason reason,
                                 tcp::TcpOutput* output) {
  wire::OptionWriter writer;
  writer.Add(wire::MptcpOption{
      wire::MpTcpRst{.reason = static_cast<uint8_t>(reason)}});
  auto layout = writer.Finish();
  tcp::TcpPacketSpec spec;
  spec.src = syn.ip.dst;
  spec.dst = syn.ip.src;
  spec.src_port = syn.tcp.dst_port;
  spec.dst_port = syn.tcp.src_port;
  spec.seq = 0;
  spec.ack = syn.tcp.seq + 1 + static_cast<uint32_t>(syn.tcp.payload.size());
  spec.flags = TcpHeader::kRst | TcpHeader::kAck;
  if (layout.ok()) spec.options = layout->option_bytes();
  std::vector<uint8_t> packet(100);
  auto built = tcp::BuildTcpPacket(
      spec, 0, [](uint8_t*) {}, absl::MakeSpan(packet));
  if (built.ok())
    output->SendPacket(absl::MakeConstSpan(packet.data(), *built));
}

std::optional<wire::TcpRstReason> MptcpConnection::AcceptJoin(
    const wire::Segment& syn, uint32_t isn, Time now) {
  const wire::MpJoinSyn* join = Find<wire::MpJoinSyn>(syn);
  if (join == nullptr || join->token != local_token_ || !mptcp_ ||
      !have_remote_key_ || closed_ || aborting_) {
    ++stats_.joins_refused;
    return wire::TcpRstReason::kMptcpSpecific;
  }
  // The path manager applies limits.max_subflows.
  StartPathManager(now);
  const absl::StatusOr<pm::SubflowId> id =
      pm_->OnPeerJoin(now, pm::PeerJoin{.local = syn.ip.dst,
                                        .local_port = syn.tcp.dst_port,
                                        .remote = syn.ip.src,
                                        .remote_port = syn.tcp.src_port,
                                        .remote_id = join->address_id,
                                        .backup = join->backup});
  if (!id.ok()) {
    ++stats_.joins_refused;
    return wire::TcpRstReason::kLackOfResources;
  }
  ++depth_;
  const tcp::TcpEndpoints endpoints{syn.ip.dst, syn.tcp.dst_port, syn.ip.src,
                                    syn.tcp.src_port};
  Subflow* sf = NewSubflow(endpoints, isn, /*initial=*/false);
  sf->remote_nonce = join->nonce;
  sf->peer_backup = join->backup;
  sf->pm_id = *id;
  sf->local_address_id = LocalAddressId(syn.ip.dst);
  sf->remote_address_id = join->address_id;
  sf->tcp->AcceptSyn(syn, now);
  --depth_;
  AfterEvent(now);
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Entry points.

bool MptcpConnection::OnSegment(const wire::Segment& segment, Time now) {
  for (auto& sf : subflows_) {
    if (!SameTuple(sf->tcp->endpoints(), segment)) continue;
    // MP_FASTCLOSE rides on a RST, which the engine acts on before any owner
    // hook: look for it here. The key authenticates it (RFC 8684 3.5).
    if (mptcp_ && !closed_) {
      for (const wire::MptcpOption& o : segment.mptcp_options()) {
        const auto* fc = std::get_if<wire::MpFastclose>(&o);
        if (fc != nullptr && fc->receiver_key == local_key_) {
          CloseConnection(MptcpCloseReason::kFastclose, now);
        }
      }
    }
    ++depth_;
    sf->tcp->OnSegment(segment, now);
    --depth_;
    AfterEvent(now);
    return true;
  }
  return false;
}

void MptcpConnection::OnTimer(Time now) {
  ++depth_;
  for (size_t i = 0; i < subflows_.size(); ++i) {
    if (subflows_[i]->tcp->next_deadline() <= now) {
      subflows_[i]->tcp->OnTimer(now);
    }
  }
  for (auto& sf : subflows_) {
    if (sf->join_ack_at > now) continue;
    if (sf->usable || sf->closed || sf->join_failed || sf->pending_reset) {
      sf->join_ack_at = kNever;
    } else if (++sf->join_ack_tries > kMaxJoinAckTries) {
      sf->join_ack_at = kNever;
      sf->pending_reset = wire::TcpRstReason::kMptcpSpecific;
    } else {
      // RFC 8684 3.2: the third ACK is sent again until the fourth arrives.
      sf->tcp->SendAckNow(now);
      sf->join_ack_at = now + sf->tcp->rtt().rto() * (1 << sf->join_ack_tries);
    }
  }
  PathTimers(now);
  if (data_rtx_at_ <= now) DataTimerExpired(now);
  --depth_;
  AfterEvent(now);
}

Time MptcpConnection::next_deadline() const {
  Time deadline = kNever;
  for (const auto& sf : subflows_) {
    deadline = std::min(deadline, sf->tcp->next_deadline());
    if (!sf->usable && !sf->closed) {
      deadline = std::min(deadline, sf->join_ack_at);
    }
    if (PeerClosedAndOpen(*sf)) {
      deadline = std::min(deadline, sf->peer_fin_close_at);
    }
  }
  return std::min({deadline, PathDeadline(), data_rtx_at_});
}

size_t MptcpConnection::Write(absl::Span<const uint8_t> data, Time now) {
  if (close_requested_ || fast_close_when_acked_ || closed_ || aborting_) {
    return 0;
  }
  const size_t n = send_.Write(data);
  // No OnWritable from inside Write: the application has not yet counted
  // these bytes as taken and would write them again. It comes with the next
  // event (an ACK frees the space).
  const bool wants_writable = wants_writable_ || n < data.size();
  wants_writable_ = false;
  AfterEvent(now);
  wants_writable_ = wants_writable;
  return n;
}

size_t MptcpConnection::Read(absl::Span<uint8_t> out, Time now) {
  const size_t n = recv_.Read(out);
  // Room at the data level: take what the subflows hold.
  if (n > 0) {
    ++depth_;
    for (auto& sf : subflows_) {
      if (sf->tcp->readable_bytes() > 0) SubflowReadable(*sf, now);
    }
    --depth_;
    // No OnReadable from inside Read: the application has not consumed
    // `out` yet and would read over it. It gets the bytes just taken from
    // the subflows with its next Read; the notification waits for the next
    // event.
    const bool readable = readable_pending_;
    readable_pending_ = false;
    AfterEvent(now);
    readable_pending_ = readable_pending_ || readable;
  }
  return n;
}

bool MptcpConnection::AtEndOfStream() const {
  return peer_fin_received_ && recv_.readable() == 0;
}

void MptcpConnection::CloseFast(Time now) {
  if (close_requested_ || closed_) return;
  fast_close_when_acked_ = true;
  AfterEvent(now);
}

void MptcpConnection::Close(Time now) {
  if (close_requested_ || closed_) return;
  close_requested_ = true;
  fin_offset_ = send_.end_offset();
  AfterEvent(now);
}

void MptcpConnection::Abort(Time now) {
  if (closed_) return;
  ++depth_;
  aborting_ = true;
  for (auto& sf : subflows_) {
    if (!sf->closed) sf->tcp->Abort(now);
  }
  CloseConnection(MptcpCloseReason::kAborted, now);
  --depth_;
  AfterEvent(now);
}

bool MptcpConnection::ActiveOthers(const Subflow& except) const {
  for (const auto& sf : subflows_) {
    if (sf.get() != &except && sf->CanSend() && !sf->stale) return true;
  }
  return false;
}

size_t MptcpConnection::active_subflows() const {
  size_t n = 0;
  for (const auto& sf : subflows_) n += sf->CanSend() ? 1 : 0;
  return n;
}

const tcp::TcpConnection& MptcpConnection::subflow(size_t i) const {
  return *subflows_[i]->tcp;
}

bool MptcpConnection::subflow_backup(size_t i) const {
  return subflows_[i]->is_backup();
}

std::optional<pm::SubflowId> MptcpConnection::subflow_pm_id(size_t i) const {
  return subflows_[i]->pm_id;
}

void MptcpConnection::ResetSubflow(size_t i, Time now) {
  if (i >= subflows_.size() || subflows_[i]->closed) return;
  ++depth_;
  subflows_[i]->rst_reason = wire::TcpRstReason::kUnspecified;
  subflows_[i]->close_requested = true;
  subflows_[i]->tcp->Abort(now);
  --depth_;
  AfterEvent(now);
}

absl::Status MptcpConnection::SetScheduler(absl::string_view name, Time now) {
  auto scheduler = sched::CreateScheduler(name);
  if (!scheduler.ok()) return scheduler.status();
  // The chunks so far were the old scheduler's decisions.
  chunks_by_earlier_schedulers_[scheduler_->name()] +=
      stats_.chunks_sent - chunks_at_switch_;
  chunks_at_switch_ = stats_.chunks_sent;
  scheduler_ = std::move(*scheduler);
  ++stats_.scheduler_switches;
  // The new scheduler may use a subflow the old one was waiting for.
  AfterEvent(now);
  return absl::OkStatus();
}

absl::Status MptcpConnection::SetCongestionControl(absl::string_view name,
                                                   Time now) {
  const std::vector<std::string> names = cc::CongestionControlNames();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown congestion control \"", name,
                     "\"; known: ", absl::StrJoin(names, ", ")));
  }
  // Coupled algorithms share one group per connection; the old coupled
  // controllers leave it as they are replaced, so lia -> olia keeps it.
  if (cc::IsCoupled(name) && coupling_ == nullptr) {
    coupling_ = std::make_shared<cc::CouplingGroup>();
  }
  config_.tcp.congestion_control = std::string(name);  // new subflows too
  ++depth_;
  for (auto& sf : subflows_) {
    // A closed subflow sends nothing more; its controller stays.
    if (sf->closed) continue;
    auto cc = cc::CreateCongestionControl(
        name, config_.tcp.mss, cc::kInitialWindowSegments, coupling_);
    if (!cc.ok()) continue;  // cannot happen: the name is known
    sf->tcp->SetCongestionControl(std::move(*cc), now);
  }
  ++stats_.congestion_control_switches;
  --depth_;
  AfterEvent(now);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Outgoing options.

uint64_t MptcpConnection::DataAckValue() const {
  return remote_idsn_ + 1 + recv_.contiguous_end() +
         (peer_fin_received_ ? 1 : 0);
}

void MptcpConnection::SubflowAddOptions(Subflow& sf,
                                        const tcp::OutgoingSegment& segment,
                                        wire::OptionWriter& writer) {
  if (fallback_) {
    AddFallbackOptions(sf, writer);
    return;
  }
  if (!config_.enabled) return;
  const uint8_t flags = segment.flags;
  const uint8_t mpc_flags =
      wire::kMpcFlagH |
      (checksums_ || (config_.checksums && is_client_) ? wire::kMpcFlagA : 0);
  if (flags & TcpHeader::kRst) {
    if (aborting_ && have_remote_key_) {
      writer.Add(wire::MptcpOption{wire::MpFastclose{remote_key_}});
    }
    if (sf.rst_reason) {
      writer.Add(wire::MptcpOption{
          wire::MpTcpRst{.transient = sf.rst_transient,
                         .reason = static_cast<uint8_t>(*sf.rst_reason)}});
    }
    if (sf.mp_fail_dsn) {
      writer.Add(wire::MptcpOption{wire::MpFail{.dsn = *sf.mp_fail_dsn}});
    }
    return;
  }
  if (flags & TcpHeader::kSyn) {
    const bool syn_ack = flags & TcpHeader::kAck;
    if (sf.initial) {
      writer.Add(wire::MptcpOption{
          syn_ack ? wire::MpCapable::SynAck(mpc_flags, local_key_)
                  : wire::MpCapable::Syn(mpc_flags)});
    } else if (!syn_ack) {
      writer.Add(
          wire::MptcpOption{wire::MpJoinSyn{.backup = sf.backup,
                                            .address_id = sf.local_address_id,
                                            .token = remote_token_,
                                            .nonce = sf.local_nonce}});
    } else {
      writer.Add(wire::MptcpOption{wire::MpJoinSynAck{
          .backup = sf.backup,
          .address_id = sf.local_address_id,
          .truncated_hmac = crypto::JoinSynAckHmac(
              local_key_, remote_key_, sf.local_nonce, sf.remote_nonce),
          .nonce = sf.local_nonce}});
    }
    return;
  }
  if (!mptcp_ || sf.join_failed) return;
  if (sf.join && is_client_ && !sf.usable) {
    // The third ACK of MP_JOIN, repeated until the peer's fourth ACK.
    const auto hmac = crypto::JoinAckHmac(local_key_, remote_key_,
                                          sf.local_nonce, sf.remote_nonce);
    wire::MpJoinAck ack;
    std::copy(hmac.begin(), hmac.end(), ack.hmac.begin());
    writer.Add(wire::MptcpOption{ack});
    return;
  }

  // ADD_ADDR, REMOVE_ADDR and MP_PRIO go alone on pure ACKs: with a DSS
  // they might not fit, and the DATA_ACK is on every other segment.
  if (segment.data_length == 0 && !(flags & TcpHeader::kFin) &&
      (peer_confirmed_ || !is_client_) && AddSignalOption(sf, writer)) {
    return;
  }
  const Subflow::Chunk* chunk =
      segment.data_length > 0 ? sf.FindChunk(segment.data_offset) : nullptr;
  const bool fin_known = close_requested_ && data_snd_nxt_ == fin_offset_;
  const bool fin_on_chunk =
      chunk != nullptr && fin_known &&
      chunk->data_offset + (chunk->end - chunk->begin) == fin_offset_;
  if (sf.initial && is_client_ && !peer_confirmed_) {
    // Until a DATA_ACK shows the peer has our key, MP_CAPABLE goes along: on
    // pure ACKs with both keys, on the first chunk with its implicit mapping
    // (DSN = IDSN + 1, subflow seq 1). A DATA_FIN due goes in a DSS instead
    // (as Linux does): the subflow FIN that carries it is acknowledged at
    // the TCP level and never sent again, so it must not be left out.
    if (chunk == nullptr && segment.data_length == 0 &&
        !(fin_known && !fin_acked_)) {
      writer.Add(wire::MptcpOption{
          wire::MpCapable::Ack(mpc_flags, local_key_, remote_key_)});
      return;
    }
    // Also when the DATA_FIN is due at the chunk's end, unless this very
    // segment carries the subflow FIN: the server may have lost the third
    // ACK, and only MP_CAPABLE gives it our key; the DATA_FIN follows on
    // the FIN.
    if (chunk != nullptr && chunk->begin == 0 && chunk->data_offset == 0 &&
        (!fin_on_chunk || !segment.fin)) {
      const auto length = static_cast<uint16_t>(chunk->end - chunk->begin);
      writer.Add(wire::MptcpOption{wire::MpCapable::AckWithData(
          mpc_flags, local_key_, remote_key_, length,
          checksums_ ? std::optional<uint16_t>(chunk->checksum)
                     : std::nullopt)});
      return;
    }
  }

  wire::Dss dss;
  if (have_remote_key_) {
    const uint64_t ack = DataAckValue();
    dss.data_ack_64 = peer_uses_dsn64_;
    dss.data_ack = peer_uses_dsn64_ ? ack : (ack & 0xffffffffu);
  }
  if (chunk != nullptr) {
    const uint64_t length = chunk->end - chunk->begin + (fin_on_chunk ? 1 : 0);
    wire::DssMapping mapping;
    mapping.dsn = LocalDsn(chunk->data_offset);
    mapping.subflow_seq = static_cast<uint32_t>(chunk->begin + 1);
    mapping.data_level_length = static_cast<uint16_t>(length);
    if (checksums_) {
      mapping.checksum = fin_on_chunk ? chunk->checksum_fin : chunk->checksum;
    }
    dss.mapping = mapping;
    dss.data_fin = fin_on_chunk;
  } else if (segment.data_length == 0 && fin_known && !fin_acked_) {
    // A DATA_FIN with no data to map: subflow seq 0, length 1 (RFC 8684
    // 3.3.3), on pure ACKs and on the subflow FIN.
    wire::DssMapping mapping;
    mapping.dsn = LocalDsn(fin_offset_);
    mapping.subflow_seq = 0;
    mapping.data_level_length = 1;
    if (checksums_) mapping.checksum = wire::DssChecksum(mapping.dsn, 0, 1, {});
    dss.mapping = mapping;
    dss.data_fin = true;
  }
  if (dss.data_ack || dss.mapping) writer.Add(wire::MptcpOption{dss});
}

void MptcpConnection::SubflowSegmentSent(Subflow& sf,
                                         const tcp::OutgoingSegment& segment) {
  if (!segment.retransmission && segment.data_length > 0) {
    sf.sent_end =
        std::max(sf.sent_end, segment.data_offset + segment.data_length);
  }
  if (segment.fin) sf.fin_sent = true;
}

// ---------------------------------------------------------------------------
// Incoming options.

void MptcpConnection::SubflowIncoming(Subflow& sf, const wire::Segment& s,
                                      Time now) {
  if (fallback_) {
    // We sent MP_FAIL and fell back: the peer has too once it echoes the
    // MP_FAIL, sends an infinite mapping, or sends no MPTCP option at all.
    if (sf.mp_fail_dsn && !s.tcp.has(TcpHeader::kSyn)) {
      bool echoed = s.mptcp_count == 0;
      for (const wire::MptcpOption& o : s.mptcp_options()) {
        const auto* dss = std::get_if<wire::Dss>(&o);
        echoed = echoed || std::holds_alternative<wire::MpFail>(o) ||
                 (dss != nullptr && dss->mapping &&
                  dss->mapping->data_level_length == 0);
      }
      if (echoed) sf.mp_fail_dsn.reset();
    }
    return;
  }
  if (s.tcp.has(TcpHeader::kRst)) {
    // Why the peer reset the subflow, for the path manager.
    if (const wire::MpTcpRst* rst = Find<wire::MpTcpRst>(s)) sf.peer_rst = *rst;
    return;
  }
  const bool syn = s.tcp.has(TcpHeader::kSyn);
  const bool ack = s.tcp.has(TcpHeader::kAck);
  if (sf.initial && is_client_ && syn && ack && !mptcp_) {
    // The SYN/ACK decides: MPTCP if it carries a valid MP_CAPABLE with a key.
    const wire::MpCapable* mpc = Find<wire::MpCapable>(s);
    if (config_.enabled && mpc != nullptr && mpc->sender_key &&
        ValidMpCapable(*mpc, false)) {
      mptcp_ = true;
      remote_key_ = *mpc->sender_key;
      have_remote_key_ = true;
      const crypto::KeyDerivation d = crypto::DeriveFromKey(remote_key_);
      remote_token_ = d.token;
      remote_idsn_ = d.idsn;
      checksums_ = config_.checksums || (mpc->flags & wire::kMpcFlagA);
    } else {
      Fallback(now);
    }
    return;
  }
  if (syn && !ack) return;  // the peer's SYN, handled by AcceptSyn
  if (!mptcp_) return;

  if (sf.join && syn && ack && is_client_) {
    const wire::MpJoinSynAck* join = Find<wire::MpJoinSynAck>(s);
    if (join != nullptr &&
        crypto::VerifyJoinSynAckHmac(join->truncated_hmac, remote_key_,
                                     local_key_, join->nonce, sf.local_nonce)) {
      sf.remote_nonce = join->nonce;
    } else {
      sf.join_failed = true;
      sf.pending_reset = wire::TcpRstReason::kMptcpSpecific;
    }
    return;
  }
  if (sf.join && !is_client_ && !sf.usable && !sf.join_failed) {
    const wire::MpJoinAck* join = Find<wire::MpJoinAck>(s);
    if (join != nullptr &&
        crypto::VerifyJoinAckHmac(join->hmac, remote_key_, local_key_,
                                  sf.remote_nonce, sf.local_nonce)) {
      sf.usable = true;
      // The fourth ACK: the client uses the subflow only once it has one,
      // and a one-way transfer would give it none.
      sf.ack_now = true;
      ReportJoinEstablished(sf, now);
    } else {
      ++stats_.joins_refused;
      sf.join_failed = true;
      sf.pending_reset = wire::TcpRstReason::kMptcpSpecific;
      return;
    }
  }
  if (sf.join_failed) return;

  if (sf.initial && !is_client_ && !have_remote_key_) {
    const wire::MpCapable* mpc = Find<wire::MpCapable>(s);
    if (mpc != nullptr && mpc->sender_key && mpc->receiver_key &&
        *mpc->receiver_key == local_key_ && ValidMpCapable(*mpc, false)) {
      remote_key_ = *mpc->sender_key;
      have_remote_key_ = true;
      const crypto::KeyDerivation d = crypto::DeriveFromKey(remote_key_);
      remote_token_ = d.token;
      remote_idsn_ = d.idsn;
      checksums_ = checksums_ || (mpc->flags & wire::kMpcFlagA);
    } else if (s.mptcp_count == 0) {
      // The first ACK after the handshake has no MPTCP option: a middlebox
      // stripped it; carry on as plain TCP (RFC 8684 3.7).
      Fallback(now);
      return;
    } else {
      return;  // cannot decode mappings without the peer's key
    }
  }

  // The peer's segments lost their MPTCP options on the way (a middlebox
  // strips them): data is handled where it is read (SubflowReadable); an
  // ACK of our data without a DATA_ACK means the peer reads plain TCP.
  if (s.mptcp_count == 0 && have_remote_key_ && s.tcp.payload.empty() &&
      AcksNewData(sf, s) && CanFallBackOn(sf)) {
    FallBackOn(sf, now);
    return;
  }
  segment_data_ack_.reset();
  for (const wire::MptcpOption& o : s.mptcp_options()) {
    if (const auto* mpc = std::get_if<wire::MpCapable>(&o)) {
      if (!is_client_ && sf.initial && mpc->data_level_length &&
          !s.tcp.payload.empty()) {
        AddRxMapping(sf, 0, remote_idsn_ + 1, *mpc->data_level_length,
                     *mpc->data_level_length, mpc->checksum);
      }
    } else if (const auto* dss = std::get_if<wire::Dss>(&o)) {
      ProcessDss(sf, *dss, now);
    } else if (const auto* add = std::get_if<wire::AddAddr>(&o)) {
      OnAddAddr(sf, *add, now);
    } else if (const auto* remove = std::get_if<wire::RemoveAddr>(&o)) {
      OnRemoveAddr(*remove, now);
    } else if (const auto* prio = std::get_if<wire::MpPrio>(&o)) {
      // RFC 8684 3.3.8: it applies to the subflow it arrives on.
      ++stats_.mp_prio_received;
      if (sf.peer_backup != prio->backup) {
        sf.peer_backup = prio->backup;
        if (sf.reported) {
          QueueSubflowEvent(QueuedEvent::Kind::kSubflowPriority, sf);
        }
      }
    }
  }
  if (segment_data_ack_ && !s.tcp.has(TcpHeader::kSyn)) {
    // The window field of a segment carrying a DATA_ACK is the peer's
    // connection-level receive window (RFC 8684 3.3.4); the edge never
    // moves back, as Linux's ack_update_msk keeps the furthest.
    const uint64_t edge = *segment_data_ack_ + (uint64_t{s.tcp.window}
                                                << sf.tcp->peer_window_shift());
    if (!data_wnd_end_ || edge > *data_wnd_end_) data_wnd_end_ = edge;
  }
  // Last: falling back changes how everything above is read.
  if (const wire::MpFail* fail = Find<wire::MpFail>(s))
    OnMpFail(sf, *fail, now);
}

void MptcpConnection::ProcessDss(Subflow& sf, const wire::Dss& dss, Time now) {
  if (dss.data_ack) {
    const uint64_t ack =
        dss.data_ack_64
            ? *dss.data_ack
            : wire::ExpandDataAck32(static_cast<uint32_t>(*dss.data_ack),
                                    LocalDsn(data_una_));
    OnDataAck(ack, now);
    segment_data_ack_ = ack - local_idsn_ - 1;
    if (sf.join && is_client_ && !sf.usable && !sf.join_failed) {
      sf.usable = true;  // the fourth ACK of MP_JOIN
      ReportJoinEstablished(sf, now);
    }
  }
  if (!dss.mapping) return;
  const wire::DssMapping& m = *dss.mapping;
  if (m.dsn_64) peer_uses_dsn64_ = true;
  const uint64_t expected = remote_idsn_ + 1 + recv_.contiguous_end();
  const uint64_t dsn =
      m.dsn_64 ? m.dsn
               : wire::ExpandDsn32(static_cast<uint32_t>(m.dsn), expected);
  if (m.data_level_length == 0) {
    // An infinite mapping (RFC 8684 3.7): the peer fell back; from this
    // subflow byte on, everything is the data stream in order. Reading
    // falls back when it gets there (if this subflow may).
    if (m.subflow_seq > 0) {
      sf.rx_delta = static_cast<int64_t>(dsn - remote_idsn_ - 1) -
                    static_cast<int64_t>(m.subflow_seq - 1);
    }
    ++stats_.infinite_mappings_received;
    return;
  }
  if (dss.data_fin) {
    NoteDataFin(dsn + m.data_level_length - 1);
    // RFC 8684 3.3.3: DATA_ACK it at once. A DATA_FIN may come on a pure
    // ACK (Linux sends it so), which the subflow would not acknowledge.
    sf.ack_now = true;
  }
  const uint64_t data_length = m.data_level_length - (dss.data_fin ? 1 : 0);
  if (m.subflow_seq == 0 || data_length == 0) return;
  AddRxMapping(sf, m.subflow_seq - 1, dsn, data_length, m.data_level_length,
               m.checksum);
}

void MptcpConnection::AddRxMapping(Subflow& sf, uint64_t stream_begin,
                                   uint64_t dsn, uint64_t data_length,
                                   uint16_t wire_length,
                                   std::optional<uint16_t> checksum) {
  if (stream_begin + data_length <= sf.read_offset) return;  // consumed
  if (sf.rx.count(stream_begin)) return;  // the same mapping again
  ++stats_.mappings_received;
  Subflow::RxMapping mapping;
  mapping.end = stream_begin + data_length;
  mapping.data_offset = dsn - remote_idsn_ - 1;
  mapping.dsn = dsn;
  mapping.ssn = static_cast<uint32_t>(stream_begin + 1);
  mapping.wire_length = wire_length;
  mapping.checksum = checksum;
  sf.rx.emplace(stream_begin, mapping);
}

void MptcpConnection::NoteDataFin(uint64_t fin_dsn) {
  if (peer_fin_offset_) return;
  peer_fin_offset_ = fin_dsn - remote_idsn_ - 1;
  CheckDataFin();
}

void MptcpConnection::CheckDataFin() {
  if (peer_fin_offset_ && !peer_fin_received_ &&
      recv_.contiguous_end() == *peer_fin_offset_) {
    peer_fin_received_ = true;
    readable_pending_ = true;
  }
}

void MptcpConnection::OnDataAck(uint64_t data_ack, Time now) {
  peer_confirmed_ = true;
  uint64_t offset = data_ack - local_idsn_ - 1;
  if (close_requested_ && data_snd_nxt_ == fin_offset_ &&
      offset == fin_offset_ + 1) {
    fin_acked_ = true;
    offset = fin_offset_;
  }
  if (fin_acked_ && offset == fin_offset_) {
    data_rtx_at_ = kNever;  // progress: re-armed from now if still needed
    data_rtx_backoff_ = 0;
  }
  if (offset <= data_una_ || offset > data_snd_nxt_) return;
  send_.Release(offset);
  data_una_ = offset;
  data_rtx_at_ = kNever;
  data_rtx_backoff_ = 0;
}

// ---------------------------------------------------------------------------
// Subflow events.

void MptcpConnection::SubflowEstablished(Subflow& sf, Time now) {
  if (sf.initial && !established_) {
    established_ = true;
    // OnEstablished stands for the initial subflow's establishment too.
    sf.reported = true;
    QueueEvent(QueuedEvent::Kind::kEstablished);
  }
  if (sf.join && is_client_ && !sf.usable && !sf.join_failed) {
    sf.join_ack_at = now + sf.tcp->rtt().rto();
  }
}

void MptcpConnection::SubflowReadable(Subflow& sf, Time now) {
  tcp::TcpConnection& t = *sf.tcp;
  if (fallback_ || !config_.enabled) {
    while (t.readable_bytes() > 0) {
      const uint64_t room = recv_.window_end() - recv_.contiguous_end();
      const size_t n =
          t.Read(absl::MakeSpan(scratch_.data(),
                                std::min<size_t>(scratch_.size(), room)),
                 now);
      if (n == 0) break;
      recv_.Insert(recv_.contiguous_end(),
                   absl::MakeConstSpan(scratch_.data(), n));
      readable_pending_ = true;
    }
    if (t.AtEndOfStream() && !peer_fin_received_) {
      peer_fin_offset_ = recv_.contiguous_end();
      peer_fin_received_ = true;
      readable_pending_ = true;
    }
    return;
  }
  if (sf.pending_reset || sf.join_failed) return;
  while (t.readable_bytes() > 0) {
    // The mapping holding the next byte.
    auto it = sf.rx.upper_bound(sf.read_offset);
    if (it != sf.rx.begin() && sf.read_offset >= std::prev(it)->second.end) {
      it = sf.rx.begin();  // past the last mapping: unmapped too
    }
    if (it == sf.rx.begin()) {
      // Data without a mapping: a middlebox strips our options, or the peer
      // sent an infinite mapping. RFC 8684 3.7: the only subflow falls back
      // to plain TCP; any other is reset.
      if (CanFallBackOn(sf)) {
        FallBackOn(sf, now);
        SubflowReadable(sf, now);
        return;
      }
      sf.pending_reset = wire::TcpRstReason::kMiddleboxInterference;
      return;
    }
    --it;
    const uint64_t begin = it->first;
    const Subflow::RxMapping m = it->second;
    const uint64_t skip = sf.read_offset - begin;
    const uint64_t want = m.end - sf.read_offset;
    const uint64_t data_end = m.data_offset + (m.end - begin);
    size_t n;
    if (m.checksum && checksums_) {
      if (data_end > recv_.window_end()) return;  // back-pressure
      // The whole mapping is needed to check it.
      if (skip != 0) {
        sf.pending_reset = wire::TcpRstReason::kMptcpSpecific;
        return;
      }
      if (t.readable_bytes() < want) return;
      n = t.Read(absl::MakeSpan(scratch_.data(), want), now);
      if (n != want ||
          !wire::VerifyDssChecksum(m.dsn, m.ssn, m.wire_length, *m.checksum,
                                   absl::MakeConstSpan(scratch_.data(), n))) {
        ChecksumFailed(sf, m.dsn, absl::MakeConstSpan(scratch_.data(), n), now);
        return;
      }
    } else {
      // As much of the mapping as there is room for: waiting for room for
      // all of it never ends when the mapping is larger than the buffer.
      const uint64_t at = m.data_offset + skip;
      if (at >= recv_.window_end()) return;  // back-pressure
      n = t.Read(absl::MakeSpan(scratch_.data(),
                                std::min<uint64_t>({want, scratch_.size(),
                                                    recv_.window_end() - at})),
                 now);
      if (n == 0) return;
    }
    const uint64_t before = recv_.contiguous_end();
    recv_.Insert(m.data_offset + skip, absl::MakeConstSpan(scratch_.data(), n));
    sf.read_offset += n;
    sf.rx_delta = static_cast<int64_t>(m.data_offset - begin);
    if (sf.read_offset >= m.end) sf.rx.erase(begin);
    if (recv_.contiguous_end() > before) readable_pending_ = true;
  }
  CheckDataFin();
}

void MptcpConnection::SubflowClosed(Subflow& sf, Time now) {
  sf.closed = true;
  // Only a subflow lost while the connection carries on is news: when the
  // connection ends, its closing covers its subflows' (mptcp_events.h).
  if (sf.reported && !fallback_ && !closed_ && !aborting_ &&
      !subflows_fin_sent_) {
    QueueSubflowEvent(QueuedEvent::Kind::kSubflowClosed, sf);
  }
  // Whatever the peer has not DATA_ACKed goes again on the other subflows;
  // duplicates are harmless at the data level (the first copy wins).
  if (mptcp_ && !closed_) Reinject(sf);
  sf.chunks.clear();
  ReportSubflowEnd(sf, now);
}

void MptcpConnection::Reinject(Subflow& sf) {
  for (const Subflow::Chunk& c : sf.chunks) {
    const uint64_t end = c.data_offset + (c.end - c.begin);
    const uint64_t begin = std::max(c.data_offset, data_una_);
    if (end > begin) {
      reinject_.emplace_back(begin, end);
      stats_.bytes_reinjected += end - begin;
    }
  }
}

// ---------------------------------------------------------------------------
// After every entry point.

void MptcpConnection::AfterEvent(Time now) {
  if (depth_ > 0) return;
  if (fast_close_when_acked_ && !closed_ &&
      data_una_ >= send_.end_offset()) {
    fast_close_when_acked_ = false;
    Abort(now);  // comes back here, closed
    return;
  }
  ++depth_;
  // Deferred resets (protocol errors seen inside engine callbacks).
  for (auto& sf : subflows_) {
    if (sf->pending_reset && !sf->closed) {
      sf->rst_reason = *sf->pending_reset;
      ++stats_.subflow_resets;
      sf->tcp->Abort(now);
    }
  }
  if (closed_ && close_reason_ == MptcpCloseReason::kFastclose) {
    for (auto& sf : subflows_) {
      if (!sf->closed) sf->tcp->Abort(now);
    }
  }
  for (auto& sf : subflows_) {
    if (sf->ack_now) {
      sf->ack_now = false;
      if (!sf->closed) sf->tcp->SendAckNow(now);
    }
  }
  if (!closed_ && mptcp_) {
    // A subflow that timed out is potentially failed (as in Linux): what it
    // holds that is not DATA_ACKed goes again on the others, and it takes no
    // new data until it makes progress again.
    for (auto& sf : subflows_) {
      if (sf->closed) continue;
      const tcp::TcpStats& st = sf->tcp->stats();
      if (sf->stale && st.bytes_acked > sf->acked_when_stale) {
        sf->stale = false;
      }
      if (st.rto_count > sf->rto_seen) {
        sf->rto_seen = st.rto_count;
        if (!sf->stale && ActiveOthers(*sf)) {
          sf->stale = true;
          sf->acked_when_stale = st.bytes_acked;
          Reinject(*sf);
        }
      }
    }
  }
  if (!closed_ && mptcp_ && !closing()) ClosePeerClosedSubflows(now);
  if (!closed_) RunPathManager(now);
  if (!closed_ && mptcp_) SendSignals(now);
  if (!closed_) {
    // Drop chunks acknowledged at both levels.
    for (auto& sf : subflows_) {
      while (!sf->chunks.empty()) {
        const Subflow::Chunk& c = sf->chunks.front();
        if (c.end > sf->tcp->stats().bytes_acked ||
            c.data_offset + (c.end - c.begin) > data_una_) {
          break;
        }
        sf->chunks.pop_front();
      }
    }
    Pump(now);
    MaybeFinish(now);
    ArmDataTimer(now);
    bool all_closed = !subflows_.empty();
    for (const auto& sf : subflows_) all_closed = all_closed && sf->closed;
    if (all_closed && !closed_) {
      CloseConnection(MptcpCloseReason::kSubflowsLost, now);
    }
  }
  FreeFailedJoins();
  --depth_;

  // Then the event sink, before the application, which may destroy us
  // from OnClosed.
  if (!events_.empty()) DeliverEvents(now);
  // Tell the application last; it may call back into us.
  if (established_ && !established_reported_) {
    established_reported_ = true;
    owner_->OnEstablished(now);
  }
  if (readable_pending_ && !closed_reported_) {
    readable_pending_ = false;
    owner_->OnReadable(now);
  }
  if (wants_writable_ && send_.free_space() > 0 && !closed_) {
    wants_writable_ = false;
    owner_->OnWritable(now);
  }
  if (closed_ && !closed_reported_) {
    closed_reported_ = true;
    owner_->OnClosed(now, close_reason_);
  }
}

// A join that failed (wrong HMAC, refused) never carried data and never
// will: once its reset is out, its buffers and 4-tuple are given back, or
// an attacker who saw the token could pin a subflow's buffers per forged
// join until the connection ends.
void MptcpConnection::FreeFailedJoins() {
  for (size_t i = 0; i < subflows_.size();) {
    Subflow& sf = *subflows_[i];
    if (!sf.join_failed || !sf.closed || sf.usable) {
      ++i;
      continue;
    }
    if (opener_ != nullptr) opener_->ForgetSubflow(this, sf.tcp->endpoints());
    ++stats_.failed_joins_freed;
    subflows_.erase(subflows_.begin() + static_cast<ptrdiff_t>(i));
  }
}

void MptcpConnection::Pump(Time now) {
  if (!established_ || aborting_ || subflows_.empty()) return;
  if (fallback_ || !config_.enabled) {
    Subflow& sf = *subflows_[0];
    while (data_snd_nxt_ < send_.end_offset() && !sf.closed) {
      const uint64_t n =
          std::min<uint64_t>({send_.end_offset() - data_snd_nxt_,
                              scratch_.size(), sf.tcp->send_buffer_free()});
      if (n == 0) break;
      send_.CopyOut(data_snd_nxt_, n, scratch_.data());
      const size_t w =
          sf.tcp->Write(absl::MakeConstSpan(scratch_.data(), n), now);
      data_snd_nxt_ += w;
      data_una_ = data_snd_nxt_;  // TCP owns reliability now
      send_.Release(data_una_);
      if (w < n) break;
    }
    if (close_requested_ && data_snd_nxt_ == fin_offset_ &&
        !subflows_fin_sent_) {
      subflows_fin_sent_ = true;
      sf.tcp->Close(now);
    }
    return;
  }
  if (!peer_confirmed_ && !is_client_ && !have_remote_key_) return;
  // A subflow first sends what it missed, so that its position in the send
  // queue has no gaps behind it.
  if (scheduler_->Redundant()) CatchUpRedundant(now);

  std::vector<sched::SubflowView> views;
  for (int rounds = 0; rounds < 1024; ++rounds) {
    // What to send: reinjections first, then new data.
    bool reinjection = false;
    uint64_t begin = data_snd_nxt_;
    uint64_t end = send_.end_offset();
    while (!reinject_.empty()) {
      auto& [b, e] = reinject_.front();
      b = std::max(b, data_una_);
      if (b >= e) {
        reinject_.pop_front();
        continue;
      }
      begin = b;
      end = e;
      reinjection = true;
      break;
    }
    if (!reinjection && data_wnd_end_) {
      // New data only within the peer's data-level window; what was sent
      // already may go again (reinjection) wherever it lies.
      end = std::min(end, std::max(*data_wnd_end_, begin));
      if (begin >= end && send_.end_offset() > begin) {
        ++stats_.data_window_limited;
      }
    }
    if (begin >= end) break;
    // Sender-side silly window avoidance (RFC 9293 3.8.6.2.1) at the data
    // level: an application blocked on a full send buffer refills it a few
    // bytes per DATA_ACK, and each sliver would become a segment of its own
    // (a chunk never shares a segment). Wait until a full segment's worth is
    // queued, unless nothing is in flight or the stream is ending.
    if (!reinjection && end - begin < config_.tcp.mss &&
        send_.free_space() < config_.tcp.mss && data_snd_nxt_ > data_una_ &&
        !close_requested_) {
      break;
    }
    views.clear();
    for (const auto& sf : subflows_) {
      sched::SubflowView v;
      v.id = sf->id;
      // A subflow still sending its last chunk takes no new one (a chunk
      // must start a segment): it is shown as usable with no room, so the
      // scheduler waits for it rather than use a backup.
      v.established = sf->CanSend();
      v.potentially_failed = sf->stale;
      v.backup = sf->is_backup();
      v.mss = sf->tcp->effective_mss();
      v.cwnd_bytes = sf->tcp->congestion_control().congestion_window();
      v.bytes_in_flight = sf->tcp->bytes_in_flight();
      v.queued_unsent_bytes = sf->written - sf->sent_end;
      if (sf->sent_end != sf->written) {
        v.queued_unsent_bytes =
            std::max<uint64_t>(v.queued_unsent_bytes, v.cwnd_bytes);
      }
      v.srtt = sf->tcp->rtt().srtt();
      v.rttvar = sf->tcp->rtt().rttvar();
      views.push_back(v);
    }
    sched::ConnectionView cv;
    cv.now = now;
    cv.bytes_to_schedule = end - begin;
    cv.max_chunk_bytes = kMaxChunk;
    cv.send_window_bytes = reinjection ? ~uint64_t{0} : send_.capacity();
    cv.bytes_in_flight = data_snd_nxt_ - data_una_;
    const sched::Decision decision = scheduler_->Schedule(cv, views);
    if (decision.action != sched::Action::kSend || decision.targets.empty()) {
      break;
    }
    // Every target gets the same bytes (the redundant scheduler names
    // several); the first one that takes them decides how many.
    uint64_t written = 0;
    for (const sched::Target& target : decision.targets) {
      Subflow* sf = nullptr;
      for (auto& s : subflows_) {
        if (s->id == target.subflow_id) sf = s.get();
      }
      if (sf == nullptr || !sf->CanSend() || sf->stale ||
          sf->sent_end != sf->written) {
        continue;
      }
      uint64_t length = std::min<uint64_t>(
          {decision.chunk_bytes > 0 ? decision.chunk_bytes : end - begin,
           end - begin, kMaxChunk});
      if (written > 0) length = std::min(length, written);
      length = std::min<uint64_t>(
          length,
          std::max<uint64_t>(target.max_bytes, sf->tcp->effective_mss()));
      // Whole segments: the engine cuts a chunk into MSS-sized segments and
      // the remainder would go as a sliver of its own.
      const uint64_t mss = sf->tcp->payload_per_segment();
      if (written == 0 && mss > 0 && length > mss && length < end - begin) {
        length -= length % mss;
      }
      const size_t before = sf->chunks.size();
      WriteChunk(*sf, begin, length, now);
      if (sf->chunks.size() == before) continue;
      const uint64_t n = sf->chunks.back().end - sf->chunks.back().begin;
      if (written == 0) written = n;
    }
    if (written == 0) break;
    if (reinjection) {
      reinject_.front().first += written;
    } else {
      data_snd_nxt_ += written;
    }
  }

  // The subflows are half-closed (their FINs carry the DATA_FIN reliably)
  // only once every byte is DATA_ACKed: until then a subflow may fail, and
  // what it held must go again on another one, which a subflow that has
  // sent its FIN cannot take. Meanwhile the DATA_FIN rides on the last
  // chunk's mapping and on pure ACKs (RFC 8684 3.3.3: it need not wait for
  // a subflow FIN; Linux sends it on a DSS and closes subflows later).
  if (close_requested_ && data_snd_nxt_ == fin_offset_ && reinject_.empty() &&
      data_una_ >= fin_offset_) {
    subflows_fin_sent_ = true;
  }
  // A join still in its handshake is left to finish and is half-closed
  // once established: closing it now would silently drop the peer's only
  // other way to get its DATA_FIN acknowledged when the first path dies.
  if (subflows_fin_sent_) {
    for (auto& sf : subflows_) {
      const tcp::TcpState state = sf->tcp->state();
      if (!sf->closed && !sf->join_failed &&
          (state == tcp::TcpState::kEstablished ||
           state == tcp::TcpState::kCloseWait)) {
        sf->tcp->Close(now);
      }
    }
  }
}

// The peer closed a subflow (its FIN) while the connection goes on: our
// side is closed too, or it would stay half-open (and count against both
// ends' subflow limits) for the connection's life. Linux closes it at once
// (__mptcp_close_subflow closes a CLOSE_WAIT subflow of an established
// connection that has not fallen back). Here it waits one RTO first, and
// is kept if the connection starts closing meanwhile or it is the last
// that can send: a peer that is itself closing half-closes its subflows
// just before its DATA_FIN, and the half-open subflow may be the only path
// left for our DATA_FIN and DATA_ACKs (soak seed 972 lost its connection
// when the subflow went at once and the other path died). What it holds
// that is not DATA_ACKed goes on the others.
bool MptcpConnection::PeerClosedAndOpen(const Subflow& sf) const {
  return mptcp_ && !closed_ && !closing() && !sf.closed && !sf.closing &&
         !sf.fin_sent && !sf.join_failed && !sf.pending_reset &&
         sf.tcp->state() == tcp::TcpState::kCloseWait;
}

void MptcpConnection::ClosePeerClosedSubflows(Time now) {
  for (auto& sf : subflows_) {
    if (!PeerClosedAndOpen(*sf)) continue;
    if (sf->peer_fin_close_at == kNever) {
      sf->peer_fin_close_at = now + sf->tcp->rtt().rto();
    }
    if (now < sf->peer_fin_close_at) continue;
    if (sf->tcp->readable_bytes() > 0 || !ActiveOthers(*sf)) {
      // Looked at again an RTO later (a deadline in the past would spin
      // the timer).
      sf->peer_fin_close_at = now + sf->tcp->rtt().rto();
      continue;
    }
    sf->closing = true;
    Reinject(*sf);
    sf->tcp->Close(now);
  }
}

void MptcpConnection::CatchUpRedundant(Time now) {
  bool regular_usable = false;
  for (const auto& sf : subflows_) {
    regular_usable =
        regular_usable || (!sf->is_backup() && sf->CanSend() && !sf->stale);
  }
  for (auto& sf : subflows_) {
    if (!sf->CanSend() || sf->stale || sf->is_backup() == regular_usable)
      continue;
    while (sf->sent_end == sf->written) {
      const uint64_t begin = std::max(sf->carried_end, data_una_);
      if (begin >= data_snd_nxt_) break;
      const tcp::TcpConnection& t = *sf->tcp;
      const uint64_t cwnd = t.congestion_control().congestion_window();
      if (cwnd <= t.bytes_in_flight()) break;
      const uint64_t length = std::min<uint64_t>(
          {data_snd_nxt_ - begin, kMaxChunk,
           std::max<uint64_t>(cwnd - t.bytes_in_flight(), t.effective_mss())});
      const size_t chunks = sf->chunks.size();
      WriteChunk(*sf, begin, length, now);
      if (sf->chunks.size() == chunks) break;
    }
  }
}

bool MptcpConnection::WriteChunk(Subflow& sf, uint64_t offset, uint64_t length,
                                 Time now) {
  const uint64_t n =
      std::min<uint64_t>({length, sf.tcp->send_buffer_free(), scratch_.size()});
  if (n == 0) return false;
  send_.CopyOut(offset, n, scratch_.data());
  Subflow::Chunk chunk;
  chunk.begin = sf.written;
  chunk.end = sf.written + n;
  chunk.data_offset = offset;
  if (checksums_) {
    const auto payload = absl::MakeConstSpan(scratch_.data(), n);
    const uint64_t dsn = LocalDsn(offset);
    const auto ssn = static_cast<uint32_t>(chunk.begin + 1);
    chunk.checksum =
        wire::DssChecksum(dsn, ssn, static_cast<uint16_t>(n), payload);
    chunk.checksum_fin =
        wire::DssChecksum(dsn, ssn, static_cast<uint16_t>(n + 1), payload);
  }
  // The mapping must exist before Write: the engine sends at once.
  sf.chunks.push_back(chunk);
  sf.written += n;
  sf.carried_end = std::max(sf.carried_end, offset + n);
  ++stats_.chunks_sent;
  const size_t w = sf.tcp->Write(absl::MakeConstSpan(scratch_.data(), n), now);
  return w == n;
}

void MptcpConnection::MaybeFinish(Time now) {
  if (closed_ || !close_requested_) return;
  if (fallback_ || !config_.enabled) {
    const tcp::TcpState state = subflows_[0]->tcp->state();
    fin_acked_ = subflows_fin_sent_ && (state == tcp::TcpState::kFinWait2 ||
                                        state == tcp::TcpState::kTimeWait ||
                                        state == tcp::TcpState::kClosed);
  }
  if (fin_acked_ && peer_fin_received_) {
    CloseConnection(MptcpCloseReason::kNormal, now);
  }
}

// ---------------------------------------------------------------------------
// Events for the sink.

void MptcpConnection::QueueEvent(QueuedEvent::Kind kind) {
  if (event_sink_ == nullptr) return;
  events_.push_back(QueuedEvent{.kind = kind});
}

void MptcpConnection::QueueSubflowEvent(QueuedEvent::Kind kind,
                                        const Subflow& sf) {
  if (event_sink_ == nullptr) return;
  QueuedEvent event{.kind = kind};
  // As it is now: the priority a later event changes is not this one's.
  event.subflow = SubflowEvent{.id = sf.pm_id,
                               .endpoints = sf.tcp->endpoints(),
                               .backup = sf.is_backup()};
  if (kind == QueuedEvent::Kind::kSubflowClosed) {
    event.close.tcp = sf.close_reason;
    event.close.requested = sf.close_requested;
    if (sf.close_reason == tcp::CloseReason::kAborted && sf.rst_reason) {
      event.close.tcprst_reason = static_cast<uint8_t>(*sf.rst_reason);
    } else if (sf.peer_rst && (sf.close_reason == tcp::CloseReason::kReset ||
                               sf.close_reason == tcp::CloseReason::kRefused)) {
      event.close.tcprst_reason = sf.peer_rst->reason;
    }
  }
  events_.push_back(std::move(event));
}

void MptcpConnection::QueueAddressEvent(QueuedEvent::Kind kind, uint8_t id,
                                        const wire::IpAddress& address,
                                        uint16_t port) {
  if (event_sink_ == nullptr) return;
  events_.push_back(QueuedEvent{
      .kind = kind, .address_id = id, .address = address, .port = port});
}

void MptcpConnection::DeliverEvents(Time now) {
  // Taken out first: a sink that breaks the rule and calls in queues into
  // a fresh list, delivered by that call's own AfterEvent.
  std::vector<QueuedEvent> events;
  events.swap(events_);
  for (const QueuedEvent& e : events) {
    MptcpEventSink* sink = event_sink_;
    if (sink == nullptr) break;  // removed meanwhile
    using Kind = QueuedEvent::Kind;
    switch (e.kind) {
      case Kind::kEstablished:
        sink->OnEstablished(*this, now);
        break;
      case Kind::kFallback:
        sink->OnFallback(*this, now);
        break;
      case Kind::kSubflowEstablished:
        sink->OnSubflowEstablished(*this, now, e.subflow);
        break;
      case Kind::kSubflowClosed:
        sink->OnSubflowClosed(*this, now, e.subflow, e.close);
        break;
      case Kind::kSubflowPriority:
        sink->OnSubflowPriority(*this, now, e.subflow);
        break;
      case Kind::kAddressAnnounced:
        sink->OnAddressAnnounced(*this, now, e.address_id, e.address, e.port);
        break;
      case Kind::kAddressRemoved:
        sink->OnAddressRemoved(*this, now, e.address_id);
        break;
    }
  }
  // Keep the capacity: the next event needs no allocation.
  if (events_.empty()) {
    events.clear();
    events_.swap(events);
  }
}

void MptcpConnection::CloseConnection(MptcpCloseReason reason, Time now) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = reason;
}

}  // namespace plait::mptcp
