// MptcpConnection's path management: driving its pm::PathManager, and the
// signals of RFC 8684 3.4 and 3.3.8 (ADD_ADDR with its HMAC, echo and
// retransmission, REMOVE_ADDR, MP_PRIO).
//
// The path manager is pure: every call returns actions, which are queued and
// executed in AfterEvent, outside any subflow engine callback (opening a
// subflow sends a SYN; closing one may reset it). Events reach it as they
// happen: the connection fully established, joins completed or failed,
// subflows closed, ADD_ADDR and REMOVE_ADDR received, local paths down or up.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "dataplane/crypto/hmac.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/mptcp/mptcp_subflow.h"
#include "dataplane/pm/registry.h"
#include "dataplane/wire/option_writer.h"

namespace plait::mptcp {

MptcpConnection::Subflow* MptcpConnection::FindByPmId(pm::SubflowId id) {
  for (auto& sf : subflows_) {
    if (sf->pm_id == id && !sf->closed && !sf->pm_forgotten) return sf.get();
  }
  return nullptr;
}

uint8_t MptcpConnection::LocalAddressId(const wire::IpAddress& address) const {
  if (!subflows_.empty() && subflows_[0]->tcp->endpoints().local == address) {
    return pm::kInitialAddressId;
  }
  for (const pm::Endpoint& e : pm_->endpoints()) {
    if (e.address == address) return e.id;
  }
  return pm::kInitialAddressId;
}

void MptcpConnection::Apply(pm::Actions actions) {
  for (pm::Action& a : actions) pm_actions_.push_back(std::move(a));
}

absl::Status MptcpConnection::Apply(absl::StatusOr<pm::Actions> actions) {
  if (!actions.ok()) return actions.status();
  Apply(std::move(*actions));
  return absl::OkStatus();
}

// RFC 8684 3.1: the path manager acts once the connection is fully
// established: the server once the third ACK brought the client's key, the
// client once a DATA_ACK showed the server has its key.
void MptcpConnection::StartPathManager(Time now) {
  if (pm_started_ || !mptcp_ || !have_remote_key_ || closed_ ||
      subflows_.empty() || (is_client_ && !peer_confirmed_)) {
    return;
  }
  pm_started_ = true;
  const tcp::TcpEndpoints& e = subflows_[0]->tcp->endpoints();
  Apply(pm_->OnConnectionEstablished(
      now, pm::InitialSubflow{.local = e.local,
                              .local_port = e.local_port,
                              .remote = e.remote,
                              .remote_port = e.remote_port}));
}

void MptcpConnection::RunPathManager(Time now) {
  StartPathManager(now);
  // Bounded: executing an action can produce more (a failed open is
  // reported at once), but each round consumes what it executes.
  for (int guard = 0; guard < 256 && !pm_actions_.empty(); ++guard) {
    const pm::Action action = std::move(pm_actions_.front());
    pm_actions_.pop_front();
    ExecuteAction(action, now);
  }
}

void MptcpConnection::ExecuteAction(const pm::Action& action, Time now) {
  if (const auto* open = std::get_if<pm::OpenSubflowAction>(&action)) {
    const size_t before = subflows_.size();
    const bool opened = opener_ != nullptr &&
                        opener_->OpenSubflow(this, *open, now) &&
                        subflows_.size() > before;
    if (opened) {
      ++stats_.subflows_opened_by_pm;
      return;
    }
    ++stats_.subflow_open_failures;
    // The local address cannot be used now: like a path that is down, the
    // slot waits for it to come back.
    Apply(pm_->OnJoinFailed(
        now, open->id,
        pm::SubflowFailure{.reason = pm::CloseReason::kPathDown}));
  } else if (const auto* close = std::get_if<pm::CloseSubflowAction>(&action)) {
    Subflow* sf = FindByPmId(close->id);
    if (sf == nullptr) return;
    sf->pm_forgotten = true;
    sf->closing = true;
    sf->close_requested = true;
    // What it holds goes on the other subflows; its own copy may still
    // arrive, and the first copy wins at the data level.
    Reinject(*sf);
    if (close->reset) {
      sf->rst_reason = static_cast<wire::TcpRstReason>(close->tcprst_reason);
      sf->rst_transient = close->tcprst_transient;
      sf->tcp->Abort(now);
    } else {
      sf->tcp->Close(now);
    }
  } else if (const auto* announce =
                 std::get_if<pm::AnnounceAddressAction>(&action)) {
    wire::AddAddr add;
    add.address_id = announce->id;
    add.address = announce->address;
    add.port = announce->port;
    add.truncated_hmac = crypto::AddAddrHmac(
        local_key_, remote_key_, announce->id, announce->address.bytes(),
        announce->port.value_or(0));
    std::erase_if(announces_, [&](const PendingAnnounce& p) {
      return p.add.address_id == add.address_id;
    });
    announces_.push_back(PendingAnnounce{
        .add = add, .resend_at = now + config_.add_addr_timeout, .retries = 0});
    signals_.push_back(Signal{wire::MptcpOption{add}, std::nullopt});
    ++stats_.add_addr_sent;
  } else if (const auto* remove =
                 std::get_if<pm::RemoveAddressAction>(&action)) {
    // At most 8 ids per option, as Linux sends (mptcp-protocol.md A.10).
    for (size_t i = 0; i < remove->ids.size(); i += 8) {
      const size_t n = std::min<size_t>(8, remove->ids.size() - i);
      auto option =
          wire::RemoveAddr::Of(absl::MakeConstSpan(remove->ids).subspan(i, n));
      if (option.ok()) {
        signals_.push_back(Signal{wire::MptcpOption{*option}, std::nullopt});
      }
    }
    for (uint8_t id : remove->ids) {
      std::erase_if(announces_, [id](const PendingAnnounce& p) {
        return p.add.address_id == id;
      });
    }
  } else if (const auto* prio = std::get_if<pm::SetBackupAction>(&action)) {
    Subflow* sf = FindByPmId(prio->id);
    if (sf == nullptr) return;
    if (sf->backup != prio->backup) {
      sf->backup = prio->backup;
      if (sf->reported) {
        QueueSubflowEvent(QueuedEvent::Kind::kSubflowPriority, *sf);
      }
    }
    signals_.push_back(Signal{
        wire::MptcpOption{wire::MpPrio{.backup = prio->backup}}, sf->id});
  }
}

// Each signal goes on a pure ACK of its own (MP_PRIO on its subflow, the
// others on the first subflow that can carry them).
void MptcpConnection::SendSignals(Time now) {
  for (int guard = 0; guard < 64 && !signals_.empty(); ++guard) {
    const Signal& signal = signals_.front();
    Subflow* carrier = nullptr;
    for (auto& sf : subflows_) {
      const bool ready = sf->usable && !sf->closed && !sf->pending_reset &&
                         !sf->join_failed &&
                         (sf->tcp->state() == tcp::TcpState::kEstablished ||
                          sf->tcp->state() == tcp::TcpState::kCloseWait);
      if (!ready) continue;
      if (signal.subflow_id ? sf->id == *signal.subflow_id : !sf->stale) {
        carrier = sf.get();
        break;
      }
    }
    if (carrier == nullptr) {
      // MP_PRIO for a subflow that is gone is dropped; one for a subflow
      // still joining, and every other signal, waits for a carrier.
      const bool gone =
          signal.subflow_id &&
          std::none_of(subflows_.begin(), subflows_.end(), [&](const auto& sf) {
            return sf->id == *signal.subflow_id && !sf->closed &&
                   !sf->join_failed;
          });
      if (!gone) return;
      signals_.pop_front();
      continue;
    }
    const size_t before = signals_.size();
    carrier->tcp->SendAckNow(now);
    // AddSignalOption took it off the queue; if not, the ACK was not sent.
    if (signals_.size() == before) return;
  }
}

bool MptcpConnection::AddSignalOption(Subflow& sf, wire::OptionWriter& writer) {
  if (signals_.empty() || !mptcp_ || !sf.usable) return false;
  const Signal& signal = signals_.front();
  if (signal.subflow_id && *signal.subflow_id != sf.id) return false;
  writer.Add(signal.option);
  signals_.pop_front();
  return true;
}

void MptcpConnection::PathTimers(Time now) {
  if (closed_ || !mptcp_) return;
  if (pm_started_ && pm_->next_deadline() <= now) Apply(pm_->OnTimer(now));
  for (auto it = announces_.begin(); it != announces_.end();) {
    if (it->resend_at > now) {
      ++it;
      continue;
    }
    if (it->retries >= config_.add_addr_retries) {
      it = announces_.erase(it);
      continue;
    }
    ++it->retries;
    ++stats_.add_addr_retransmitted;
    it->resend_at = now + config_.add_addr_timeout;
    signals_.push_back(Signal{wire::MptcpOption{it->add}, std::nullopt});
    ++it;
  }
}

Time MptcpConnection::PathDeadline() const {
  if (closed_ || !mptcp_) return kNever;
  Time deadline = pm_started_ ? pm_->next_deadline() : kNever;
  for (const PendingAnnounce& p : announces_) {
    deadline = std::min(deadline, p.resend_at);
  }
  return deadline;
}

void MptcpConnection::OnAddAddr(Subflow& sf, const wire::AddAddr& add,
                                Time now) {
  if (add.echo) {
    const auto it = std::find_if(announces_.begin(), announces_.end(),
                                 [&](const PendingAnnounce& p) {
                                   return p.add.address_id == add.address_id &&
                                          p.add.address == add.address;
                                 });
    if (it != announces_.end()) {
      ++stats_.add_addr_echoes;
      announces_.erase(it);
    }
    return;
  }
  // RFC 8684 3.4.1: the HMAC, keyed with the sender's key first, proves the
  // announcement comes from the peer; anything else is dropped, unechoed.
  if (!add.truncated_hmac ||
      !crypto::VerifyAddAddrHmac(*add.truncated_hmac, remote_key_, local_key_,
                                 add.address_id, add.address.bytes(),
                                 add.port.value_or(0))) {
    ++stats_.add_addr_rejected;
    return;
  }
  ++stats_.add_addr_received;
  // Its HMAC is keyed with our key: the peer has it, which fully
  // establishes the connection as a DATA_ACK would (RFC 8684 3.1).
  peer_confirmed_ = true;
  wire::AddAddr echo = add;
  echo.echo = true;
  echo.truncated_hmac.reset();
  signals_.push_back(Signal{wire::MptcpOption{echo}, std::nullopt});
  const pm::RemoteAddress address{
      .id = add.address_id, .address = add.address, .port = add.port};
  // The same announcement again (the peer did not hear our echo) is not a
  // new address.
  if (std::find(learnt_addresses_.begin(), learnt_addresses_.end(), address) ==
      learnt_addresses_.end()) {
    QueueAddressEvent(QueuedEvent::Kind::kAddressAnnounced, add.address_id,
                      add.address, add.port.value_or(0));
  }
  std::erase_if(learnt_addresses_, [&](const pm::RemoteAddress& known) {
    return known.id == address.id;
  });
  learnt_addresses_.push_back(address);
  StartPathManager(now);
  Apply(pm_->OnAddAddr(now, address));
}

void MptcpConnection::OnRemoveAddr(const wire::RemoveAddr& remove, Time now) {
  ++stats_.remove_addr_received;
  for (uint8_t id : remove.id_span()) {
    QueueAddressEvent(QueuedEvent::Kind::kAddressRemoved, id, {}, 0);
    std::erase_if(learnt_addresses_, [id](const pm::RemoteAddress& known) {
      return known.id == id;
    });
  }
  StartPathManager(now);
  Apply(pm_->OnRemoveAddr(now, remove.id_span()));
}

void MptcpConnection::ReportJoinEstablished(Subflow& sf, Time now) {
  if (!sf.reported && !closed_) {
    sf.reported = true;
    QueueSubflowEvent(QueuedEvent::Kind::kSubflowEstablished, sf);
  }
  if (sf.pm_id && !sf.pm_forgotten) {
    Apply(pm_->OnSubflowEstablished(now, *sf.pm_id));
  }
}

void MptcpConnection::ReportSubflowEnd(Subflow& sf, Time now) {
  if (!sf.pm_id || sf.pm_forgotten || !pm_started_ || closed_) return;
  sf.pm_forgotten = true;
  pm::SubflowFailure failure;
  switch (sf.close_reason) {
    case tcp::CloseReason::kNormal:
      failure.reason = pm::CloseReason::kPeerClosed;
      break;
    case tcp::CloseReason::kReset:
    case tcp::CloseReason::kRefused:
      failure.reason = pm::CloseReason::kReset;
      if (sf.peer_rst) {
        failure.tcprst_reason = sf.peer_rst->reason;
        failure.tcprst_transient = sf.peer_rst->transient;
      }
      break;
    case tcp::CloseReason::kTimeout:
    case tcp::CloseReason::kKeepaliveTimeout:
      failure.reason = pm::CloseReason::kTimeout;
      break;
    case tcp::CloseReason::kAborted:
      // We reset it for a protocol error, with the reason we sent: a path
      // that strips or breaks options (middlebox interference) is not
      // worth re-creating; other reasons are treated as the peer's would be.
      failure.reason = pm::CloseReason::kReset;
      if (sf.rst_reason) {
        failure.tcprst_reason = static_cast<uint8_t>(*sf.rst_reason);
        failure.tcprst_transient = sf.rst_transient;
      }
      break;
  }
  Apply(sf.usable && !sf.join_failed
            ? pm_->OnSubflowClosed(now, *sf.pm_id, failure)
            : pm_->OnJoinFailed(now, *sf.pm_id, failure));
}

// ---------------------------------------------------------------------------
// Requests.

absl::Status MptcpConnection::OpenSubflow(const pm::SubflowRequest& request,
                                          Time now) {
  absl::Status status = Apply(pm_->OpenSubflow(now, request));
  AfterEvent(now);
  return status;
}

absl::Status MptcpConnection::CloseSubflow(pm::SubflowId id, bool reset,
                                           Time now) {
  absl::Status status = Apply(pm_->CloseSubflow(now, id, reset));
  AfterEvent(now);
  return status;
}

absl::Status MptcpConnection::AnnounceAddress(uint8_t local_id, Time now) {
  absl::Status status = Apply(pm_->Announce(now, local_id));
  AfterEvent(now);
  return status;
}

absl::Status MptcpConnection::WithdrawAddress(uint8_t local_id, Time now) {
  absl::Status status = Apply(pm_->WithdrawAnnouncement(now, local_id));
  AfterEvent(now);
  return status;
}

absl::Status MptcpConnection::SetSubflowBackup(pm::SubflowId id, bool backup,
                                               Time now) {
  absl::Status status = Apply(pm_->SetBackup(now, id, backup));
  AfterEvent(now);
  return status;
}

// Subflows the new policy would not have opened (an ndiffports subflow under
// fullmesh, a mesh subflow under explicit) are kept, not closed: a policy
// switch is a change of what to do from now on, and closing working
// subflows carrying data would surprise whoever switched. They stay until
// they end on their own or are closed on request, and are not re-created.
absl::Status MptcpConnection::SetPathManager(
    const std::string& name, const pm::PathManagerConfig& config, Time now) {
  absl::StatusOr<std::unique_ptr<pm::PathManager>> next =
      pm::CreatePathManager(name, config);
  if (!next.ok()) return next.status();
  ++depth_;
  // Actions the old manager queued are its decisions and it tracks their
  // subflows: carry them out now so that the state handed over is whole
  // (an open executed later would carry an id the new manager never gave).
  if (!closed_) RunPathManager(now);
  pm::PathManagerState state = pm_->ExportState();
  // The connection is the truth about which subflows live and on which
  // ports (the manager has 0 where the connection picked one).
  std::erase_if(state.subflows, [&](pm::SubflowInfo& info) {
    const Subflow* sf = FindByPmId(info.id);
    if (sf == nullptr || sf->join_failed) return true;
    info.local_port = sf->tcp->endpoints().local_port;
    return false;
  });
  // After the old manager's accepted ones, which Adopt takes first: those
  // it had no room for, which the new limits may allow.
  state.remote_addresses.insert(state.remote_addresses.end(),
                                learnt_addresses_.begin(),
                                learnt_addresses_.end());
  pm_ = std::move(*next);
  config_.path_manager = name;
  config_.path_manager_config = config;
  ++stats_.path_manager_switches;
  // ADD_ADDR retransmissions (announces_) and queued signals stay: they are
  // the connection's, and the peer must still hear and echo them.
  Apply(pm_->Adopt(now, state));
  --depth_;
  AfterEvent(now);
  return absl::OkStatus();
}

void MptcpConnection::OnLocalPathDown(const pm::LocalPath& path, Time now) {
  if (pm_started_ && !closed_) Apply(pm_->OnLocalPathDown(now, path));
  AfterEvent(now);
}

void MptcpConnection::OnLocalPathUp(const pm::LocalPath& path, Time now) {
  if (pm_started_ && !closed_) Apply(pm_->OnLocalPathUp(now, path));
  AfterEvent(now);
}

}  // namespace plait::mptcp
